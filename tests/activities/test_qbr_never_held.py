"""Before the first QBR is held, every place says "No QBR held yet" and counts from the
contract start (else the account's creation), never "overdue since" a QBR that did not happen
(issue 16, point 3)."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import formats

from accounts.health_text import reason_text
from accounts.models import Account, QbrDue, qbr_due
from accounts.scoring import HealthInputs, _qbr
from activities.models import Notification
from activities.reminders import reminders_send
from activities.services import qbr_hold, qbr_schedule
from tests.factories import AccountFactory

# FROZEN_NOW (tests/conftest.py) is 2026-03-10 in São Paulo.
TODAY = date(2026, 3, 10)
START = date(2019, 9, 26)  # + the default 90 days: 25 December 2019


@pytest.mark.parametrize(
    ("last_held", "contract_start", "basis", "counted_from", "due_on"),
    [
        (date(2026, 1, 1), START, QbrDue.LAST_QBR, date(2026, 1, 1), date(2026, 4, 1)),
        (None, START, QbrDue.CONTRACT_START, START, date(2019, 12, 25)),
        (None, None, QbrDue.CREATED, date(2025, 6, 1), date(2025, 8, 30)),
    ],
)
def test_the_qbr_clock_counts_from_the_last_qbr_else_the_contract_start_else_the_creation(
    last_held, contract_start, basis, counted_from, due_on
):
    due = qbr_due(
        last_held_on=last_held,
        contract_start=contract_start,
        created_on=date(2025, 6, 1),
        cadence_days=90,
    )
    assert (due.basis, due.counted_from, due.due_on) == (basis, counted_from, due_on)
    assert due.never_held is (last_held is None)


def test_the_account_rule_and_the_many_row_rule_give_the_same_due_date(account, now):
    account.contract_start = START
    account.save()
    row = Account.objects.with_qbr_due().get(pk=account.pk)
    assert row.next_qbr_due_on == account.qbr_due().due_on == date(2019, 12, 25)


def test_the_account_page_says_no_qbr_held_yet_and_counts_from_the_contract_start(
    client_for, kam_user, account, now
):
    account.contract_start = START
    account.save()
    page = client_for(kam_user).get(reverse("account_detail", args=[account.pk])).content.decode()
    days = (TODAY - date(2019, 12, 25)).days
    assert (
        "No QBR held yet: counted from the contract start on 09/26/2019, the first was due on "
        f"12/25/2019, {days} days ago."
    ) in page
    assert "overdue since 12/25/2019" not in page


def test_without_a_contract_start_the_clock_counts_from_the_accounts_creation(
    now, client_for, kam_user
):
    account = AccountFactory(owner=kam_user)  # created today (the frozen clock)
    page = client_for(kam_user).get(reverse("account_qbrs", args=[account.pk])).content.decode()
    assert (
        "No QBR held yet: counted from the account's creation on 03/10/2026, the first is "
        "due by 06/08/2026."
    ) in page


def test_a_scheduled_qbr_replaces_the_clock_on_the_account_page(client_for, kam_user, account, now):
    account.contract_start = START
    account.save()
    qbr_schedule(account=account, actor=kam_user, scheduled_on=TODAY + timedelta(days=7))
    page = client_for(kam_user).get(reverse("account_detail", args=[account.pk])).content.decode()
    assert "Scheduled for" in page
    assert "No QBR held yet:" not in page


def test_my_work_lists_a_never_held_qbr_as_no_qbr_held_yet(client_for, kam_user, account, now):
    account.contract_start = START
    account.save()
    page = client_for(kam_user).get(reverse("my_work")).content.decode()
    assert "No QBR held yet · contract started 09/26/2019" in page
    assert "overdue since 12/25/2019" not in page


def test_once_a_qbr_is_held_the_clock_counts_from_it(client_for, kam_user, account, now):
    account.contract_start = START
    account.save()
    qbr = qbr_schedule(account=account, actor=kam_user, scheduled_on=date(2025, 11, 1))
    qbr_hold(qbr=qbr, actor=kam_user, held_at=now - timedelta(days=129))
    account.refresh_from_db()
    page = client_for(kam_user).get(reverse("my_work")).content.decode()
    assert "No QBR held yet" not in page
    assert "overdue since 01/30/2026" in page


@pytest.mark.parametrize(
    ("basis", "days_overdue", "code", "text"),
    [
        ("contract_start", 30, "qbr_first_overdue", "No QBR held yet; counted from the contract"),
        ("created", -10, "qbr_first_due", "No QBR held yet; counted from the account's creation"),
        ("last_qbr", 30, "qbr_overdue", "QBR overdue by 30 days."),
    ],
)
def test_the_health_reason_says_no_qbr_held_yet_before_the_first(basis, days_overdue, code, text):
    inputs = HealthInputs(
        days_since_touch=None,
        touch_cadence_days=None,
        active_stakeholders=0,
        has_decision_maker=False,
        has_champion=False,
        engaged_stakeholders_90d=0,
        open_departures=0,
        sentiment_avg_90d=None,
        interactions_90d=0,
        satisfaction_pct=None,
        revenue_last_12m=0,
        revenue_prev_12m=0,
        commitments_kept_90d=0,
        commitments_overdue=0,
        qbr_tracked=True,
        qbr_days_overdue=days_overdue,
        qbr_basis=basis,
    )
    score, reason = _qbr(inputs)
    assert reason.code == code
    assert reason_text(reason.as_dict()).startswith(text)
    assert score == (40 if days_overdue == 30 else 100)


def test_the_overdue_notice_and_email_say_no_qbr_held_yet(client_for, account, leader, now):
    account.contract_start = START
    account.save()
    reminders_send(today=TODAY)
    (notice,) = Notification.objects.filter(user=leader, kind=Notification.Kind.QBR_OVERDUE)
    assert notice.params["basis"] == "contract_start"
    page = client_for(leader).get(reverse("notification_list")).content.decode()
    days = (TODAY - date(2019, 12, 25)).days
    assert "No QBR held yet with" in page
    assert f"since 09/26/2019: the first is <strong>overdue</strong> by {days} days" in page
    (email,) = [m for m in mail.outbox if m.to == [leader.email]]
    assert "No QBR has been held yet with Acme Industrial" in email.body
    start, due = (formats.date_format(day, "DATE_FORMAT") for day in (START, date(2019, 12, 25)))
    assert f"Counted from {start}, the first was due on {due}, {days} days ago" in email.body
