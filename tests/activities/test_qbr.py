"""QBRs: the due date, scheduling, holding with next steps, cancelling, and their pages."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    DEFAULT_QBR_CADENCE_DAYS,
    Tier,
    TimelineEntry,
    TimelineKind,
    qbr_due_from,
)
from accounts.services import scoring_defaults_ensure
from activities.models import QBR, Commitment, QBRStatus
from activities.selectors import my_work, qbr_schedule_status
from activities.services import NextStep, qbr_cancel, qbr_hold, qbr_schedule
from kam.models import Role
from tests.factories import AccountFactory, StakeholderFactory, UserFactory

# FROZEN_NOW (tests/conftest.py) is 2026-03-10 12:00 in São Paulo.
TODAY = date(2026, 3, 10)


@pytest.fixture
def ana(account):
    return StakeholderFactory(account=account, name="Ana Lima")


@pytest.fixture
def planned(account, kam_user, ana, now):
    return qbr_schedule(
        account=account, actor=kam_user, scheduled_on=TODAY, stakeholders=[ana], agenda="Year"
    )


def _hold(qbr, actor, **overrides):
    arguments = {
        "qbr": qbr,
        "actor": actor,
        "held_at": timezone.now() - timedelta(hours=1),
        "outcome": "Renewal agreed",
        "rating": 4,
    }
    return qbr_hold(**{**arguments, **overrides})


# --- the due date (pure) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_held", "contract_start", "cadence", "expected"),
    [
        (date(2026, 1, 1), date(2020, 1, 1), 90, date(2026, 4, 1)),
        (date(2026, 1, 1), None, 365, date(2027, 1, 1)),
        (None, date(2026, 2, 1), 30, date(2026, 3, 3)),
        (None, None, 90, date(2025, 9, 30)),  # from the account's creation
    ],
)
def test_next_qbr_is_due_a_cadence_after_the_last_held_or_the_contract_start(
    last_held, contract_start, cadence, expected
):
    due = qbr_due_from(
        last_held_on=last_held,
        contract_start=contract_start,
        created_on=date(2025, 7, 2),
        cadence_days=cadence,
    )
    assert due == expected


def test_without_a_tier_the_default_cadence_of_90_days_applies():
    assert DEFAULT_QBR_CADENCE_DAYS == 90
    due = qbr_due_from(
        last_held_on=date(2026, 1, 1), contract_start=None, created_on=TODAY, cadence_days=None
    )
    assert due == date(2026, 4, 1)


def test_a_held_qbr_knows_when_the_next_one_is_due(now):
    held = QBR(scheduled_on=TODAY, status=QBRStatus.HELD, held_at=now)
    assert held.next_due(30) == TODAY + timedelta(days=30)
    assert QBR(scheduled_on=TODAY).next_due(30) is None


def test_the_schedule_uses_the_tier_cadence_and_flags_an_overdue_qbr(account, kam_user, now):
    scoring_defaults_ensure()
    account.tier = Tier.objects.get(key="growth")  # 180 days
    account.contract_start = date(2025, 1, 1)
    account.save()
    schedule = qbr_schedule_status(account, [], TODAY)
    assert (schedule.cadence_days, schedule.due_on) == (180, date(2025, 6, 30))
    assert schedule.is_overdue
    held = _hold(qbr_schedule(account=account, actor=kam_user, scheduled_on=TODAY), kam_user)
    account.refresh_from_db()  # qbr_hold keeps last_qbr_held_at, which the due date reads
    schedule = qbr_schedule_status(account, [held], TODAY)
    assert schedule.due_on == TODAY + timedelta(days=180)
    assert not schedule.is_overdue


@pytest.mark.parametrize("status", ["prospect", "churned"])
def test_the_qbr_tab_never_calls_a_prospect_or_churned_account_overdue(status, account, now):
    account.status = status
    account.contract_start = date(2020, 1, 1)
    account.save()
    schedule = qbr_schedule_status(account, [], TODAY)
    assert schedule.due_on < TODAY
    assert not schedule.is_overdue


# --- services --------------------------------------------------------------------------------


def test_scheduling_a_qbr_with_a_stakeholder_of_another_account_is_refused(account, kam_user, now):
    stranger = StakeholderFactory(account=AccountFactory(), name="Sam Stranger")
    with pytest.raises(ValidationError) as refused:
        qbr_schedule(account=account, actor=kam_user, scheduled_on=TODAY, stakeholders=[stranger])
    assert set(refused.value.error_dict) == {"stakeholders"}
    assert "Sam Stranger" in str(refused.value)
    assert not QBR.objects.exists()


def test_a_colleague_off_the_team_cannot_attend_but_a_leader_can(account, kam_user, leader, now):
    colleague = UserFactory(role=Role.KAM, full_name="Carl Colleague")
    with pytest.raises(ValidationError) as refused:
        qbr_schedule(account=account, actor=kam_user, scheduled_on=TODAY, attendees=[colleague])
    assert set(refused.value.error_dict) == {"attendees"}
    qbr = qbr_schedule(account=account, actor=kam_user, scheduled_on=TODAY, attendees=[leader])
    assert list(qbr.attendees.all()) == [leader]


def test_holding_a_qbr_in_the_future_is_refused_and_writes_nothing(planned, kam_user, now):
    with pytest.raises(ValidationError) as refused:
        _hold(planned, kam_user, held_at=now + timedelta(days=1))
    assert set(refused.value.error_dict) == {"held_at"}
    planned.refresh_from_db()
    assert planned.status == QBRStatus.PLANNED
    assert not TimelineEntry.objects.filter(kind=TimelineKind.QBR_HELD).exists()


def test_holding_with_a_stakeholder_of_another_account_is_a_field_error(planned, kam_user, now):
    stranger = StakeholderFactory(account=AccountFactory())
    with pytest.raises(ValidationError) as refused:
        _hold(planned, kam_user, stakeholders=[stranger])
    assert set(refused.value.error_dict) == {"stakeholders"}


def test_holding_a_qbr_records_the_outcome_and_turns_next_steps_into_commitments(
    planned, account, kam_user, team_member, ana, now
):
    held = _hold(
        planned,
        team_member,
        attendees=[kam_user, team_member],
        stakeholders=[ana],
        next_steps=[
            NextStep(title="Send the renewal draft", due_date=TODAY, owner_user=kam_user),
            NextStep(
                title="Share usage data", due_date=TODAY + timedelta(3), owner_stakeholder=ana
            ),
        ],
    )
    assert (held.status, held.rating, held.outcome) == (QBRStatus.HELD, 4, "Renewal agreed")
    assert set(held.attendees.all()) == {kam_user, team_member}
    assert list(held.stakeholders.all()) == [ana]
    commitments = list(Commitment.objects.filter(source_qbr=held).order_by("due_date"))
    assert [(c.title, c.owner) for c in commitments] == [
        ("Send the renewal draft", kam_user),
        ("Share usage data", ana),
    ]
    assert all(c.created_by == team_member for c in commitments)
    kinds = sorted(TimelineEntry.objects.filter(account=account).values_list("kind", flat=True))
    assert kinds == ["commitment_created", "commitment_created", "qbr_held"]

    work = my_work(kam_user, TODAY)
    assert [c.title for c in work.upcoming] == ["Send the renewal draft", "Share usage data"]


@pytest.mark.parametrize(
    ("step", "field"),
    [
        ({"due_date": TODAY - timedelta(days=5)}, "next_steps-0-due_date"),
        ({"owner_user": "outsider"}, "next_steps-0-owner"),
        ({"owner_stakeholder": "stranger"}, "next_steps-0-owner"),
        ({"title": "x" * 301}, "next_steps-0-title"),
    ],
)
def test_next_steps_are_checked_like_the_quick_log_and_nothing_is_written(
    planned, kam_user, outsider, now, step, field
):
    values = {"title": "Follow up", "due_date": TODAY, "owner_user": kam_user}
    values |= step
    if values.get("owner_user") == "outsider":
        values["owner_user"] = outsider
    if values.get("owner_stakeholder") == "stranger":
        values["owner_user"] = None
        values["owner_stakeholder"] = StakeholderFactory(account=AccountFactory())
    with pytest.raises(ValidationError) as refused:
        _hold(planned, kam_user, next_steps=[NextStep(**values)])
    assert set(refused.value.error_dict) == {field}
    planned.refresh_from_db()
    assert planned.status == QBRStatus.PLANNED
    assert not Commitment.objects.exists()


def test_a_qbr_is_held_only_once(planned, kam_user, now):
    _hold(planned, kam_user)
    with pytest.raises(ValidationError):
        _hold(planned, kam_user, next_steps=[NextStep("Again", TODAY, owner_user=kam_user)])
    assert not Commitment.objects.exists()
    assert TimelineEntry.objects.filter(kind=TimelineKind.QBR_HELD).count() == 1


def test_cancelling_changes_a_planned_qbr_only(planned, account, kam_user, now):
    assert qbr_cancel(qbr=planned, actor=kam_user).status == QBRStatus.CANCELLED
    held = _hold(qbr_schedule(account=account, actor=kam_user, scheduled_on=TODAY), kam_user)
    assert qbr_cancel(qbr=held, actor=kam_user).status == QBRStatus.HELD


def test_the_database_refuses_a_rating_outside_1_to_5(planned, kam_user, now):
    held = _hold(planned, kam_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        QBR.objects.filter(pk=held.pk).update(rating=6)


def test_the_database_refuses_a_held_qbr_without_a_date(planned):
    with pytest.raises(IntegrityError), transaction.atomic():
        QBR.objects.filter(pk=planned.pk).update(status=QBRStatus.HELD)


# --- pages -----------------------------------------------------------------------------------


def test_the_qbr_list_shows_the_next_due_date_and_the_qbrs(client_for, kam_user, account, now):
    scoring_defaults_ensure()
    account.tier = Tier.objects.get(key="key")  # 90 days
    account.save()
    held = _hold(
        qbr_schedule(account=account, actor=kam_user, scheduled_on=date(2026, 1, 10)),
        kam_user,
        held_at=timezone.make_aware(datetime(2026, 1, 10, 10)),
    )
    response = client_for(kam_user).get(reverse("account_qbrs", args=[account.pk]))
    assert response.status_code == 200
    assert response.context["schedule"].due_on == date(2026, 4, 10)
    assert response.context["tab"] == "qbrs"
    page = response.content.decode()
    assert "Due by April 10, 2026" in page
    assert reverse("qbr_detail", args=[held.pk]) in page
    assert reverse("qbr_prep", args=[held.pk]) in page


def test_scheduling_from_the_page_with_a_foreign_stakeholder_is_a_field_error(
    client_for, kam_user, account, db_rows, now
):
    stranger = StakeholderFactory(account=AccountFactory(), name="Sam Stranger")
    before = db_rows()
    response = client_for(kam_user).post(
        reverse("account_qbrs", args=[account.pk]),
        {"scheduled_on": "2026-04-01", "stakeholders": [stranger.pk]},
    )
    assert response.status_code == 422
    assert "stakeholders" in response.context["form"].errors
    assert db_rows() == before


def test_scheduling_from_the_page(client_for, kam_user, team_member, account, ana, now):
    response = client_for(kam_user).post(
        reverse("account_qbrs", args=[account.pk]),
        {
            "scheduled_on": "2026-04-01",
            "scheduled_time": "14:30",
            "attendees": [kam_user.pk, team_member.pk],
            "stakeholders": [ana.pk],
            "agenda": "Results and plan",
        },
    )
    assert response.status_code == 302
    qbr = QBR.objects.get()
    assert (qbr.scheduled_on, qbr.scheduled_time) == (date(2026, 4, 1), time(14, 30))
    assert set(qbr.attendees.all()) == {kam_user, team_member}
    assert qbr.created_by == kam_user


def test_holding_from_the_page_in_the_future_is_a_field_error(
    client_for, kam_user, planned, db_rows, now
):
    before = db_rows()
    response = client_for(kam_user).post(
        reverse("qbr_detail", args=[planned.pk]),
        {
            "hold-held_at": "2026-03-12T10:00",
            "hold-outcome": "Too early",
            "next_steps-TOTAL_FORMS": "1",
            "next_steps-INITIAL_FORMS": "0",
            "next_steps-0-title": "",
        },
    )
    assert response.status_code == 422
    assert "held_at" in response.context["hold_form"].errors
    assert db_rows() == before


def test_holding_from_the_page_puts_a_bad_next_step_owner_on_its_row(
    client_for, kam_user, planned, db_rows, now
):
    before = db_rows()
    response = client_for(kam_user).post(
        reverse("qbr_detail", args=[planned.pk]),
        {
            "hold-held_at": "2026-03-10T10:00",
            "next_steps-TOTAL_FORMS": "1",
            "next_steps-INITIAL_FORMS": "0",
            "next_steps-0-title": "Follow up",
            "next_steps-0-owner": "u999999",
            "next_steps-0-due_date": "2026-03-20",
        },
    )
    assert response.status_code == 422
    assert "owner" in response.context["next_steps"].forms[0].errors
    assert db_rows() == before


def test_holding_from_the_page_then_the_commitments_are_in_my_work(
    client_for, kam_user, planned, ana, now
):
    client = client_for(kam_user)
    response = client.post(
        reverse("qbr_detail", args=[planned.pk]),
        {
            "hold-held_at": "2026-03-10T10:00",
            "hold-stakeholders": [ana.pk],
            "hold-outcome": "Good review",
            "hold-rating": "5",
            "next_steps-TOTAL_FORMS": "2",
            "next_steps-INITIAL_FORMS": "0",
            "next_steps-0-title": "Send the minutes",
            "next_steps-0-owner": f"u{kam_user.pk}",
            "next_steps-0-due_date": "2026-03-12",
            "next_steps-1-title": "Confirm the budget",
            "next_steps-1-owner": f"s{ana.pk}",
            "next_steps-1-due_date": "2026-03-20",
        },
    )
    assert response.status_code == 302
    planned.refresh_from_db()
    assert (planned.status, planned.rating) == (QBRStatus.HELD, 5)
    page = client.get(reverse("my_work")).content.decode()
    assert "Send the minutes" in page
    assert "Confirm the budget" in page
    detail = client.get(reverse("qbr_detail", args=[planned.pk])).content.decode()
    assert "Send the minutes" in detail
    assert 'id="qbr-hold"' not in detail  # held: no form any more
    timeline = client.get(reverse("account_timeline", args=[planned.account_id]))
    assert "QBR of" in timeline.content.decode()


def test_my_work_lists_qbrs_due_until_one_is_scheduled(client_for, kam_user, account, now):
    scoring_defaults_ensure()
    account.tier = Tier.objects.get(key="key")  # 90 days
    account.save()
    _hold(
        qbr_schedule(account=account, actor=kam_user, scheduled_on=date(2025, 12, 1)),
        kam_user,
        held_at=timezone.make_aware(datetime(2025, 12, 1, 10)),
    )
    other = AccountFactory(name="Beta Foods", owner=kam_user)  # due in 90 days: not yet
    client = client_for(kam_user)
    work = client.get(reverse("my_work")).context["work"]
    assert work.qbrs_due == [(account, date(2026, 3, 1))]
    assert other not in [row[0] for row in work.qbrs_due]
    assert "overdue since 03/01/2026" in client.get(reverse("my_work")).content.decode()

    qbr_schedule(account=account, actor=kam_user, scheduled_on=date(2026, 3, 20))
    assert client.get(reverse("my_work")).context["work"].qbrs_due == []


def test_the_account_keeps_its_latest_qbr_held_even_when_an_older_one_is_recorded_later(
    planned, account, kam_user, now
):
    latest = timezone.now() - timedelta(hours=1)
    _hold(planned, kam_user, held_at=latest)
    account.refresh_from_db()
    assert account.last_qbr_held_at == latest
    older = qbr_schedule(account=account, actor=kam_user, scheduled_on=TODAY - timedelta(30))
    _hold(older, kam_user, held_at=latest - timedelta(days=30))
    account.refresh_from_db()
    assert account.last_qbr_held_at == latest
