"""check_sla: warnings at 75 % of a target and breach notices, each sent once to the right
people, in business hours of the account's calendar (São Paulo, 09–18 Monday to Friday)."""

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from accounts.models import Tier
from accounts.services import scoring_defaults_ensure
from activities.models import (
    Notification,
    NotificationPreference,
    Reminder,
    ReminderKind,
)
from activities.reminders import sla_check
from activities.services import request_create, request_respond
from activities.tasks import check_sla
from kam.celery import app as celery_app
from kam.models import Role
from tests.factories import UserFactory

SP = ZoneInfo("America/Sao_Paulo")
FRIDAY_4PM = datetime(2026, 3, 6, 16, 0, tzinfo=SP)
MONDAY_4PM = datetime(2026, 3, 9, 16, 0, tzinfo=SP)  # 9 of 12 business hours: 75 %
TUESDAY_10AM = datetime(2026, 3, 10, 10, 0, tzinfo=SP)  # 12 business hours: the due moment
WARN = ReminderKind.SLA_WARNING
BREACH = ReminderKind.SLA_BREACH


@pytest.fixture
def strategic_request(account):
    """A low-priority request on a strategic account (first response within 12 business hours;
    resolution within 90, far beyond these tests), received on Friday at 16:00."""
    scoring_defaults_ensure()
    Tier.objects.filter(key="strategic").update(response_sla_hours=12)
    account.tier = Tier.objects.get(key="strategic")
    account.save()
    with time_machine.travel(FRIDAY_4PM, tick=False):
        return request_create(
            account=account,
            actor=account.owner,
            subject="Copy of the May invoice",
            received_at=FRIDAY_4PM,
            priority="low",
        )


def _notices(kind) -> list[tuple[str, str]]:
    return sorted(
        Reminder.objects.filter(kind=kind, sent_at__isnull=False).values_list(
            "recipient__email", "ref"
        )
    )


def test_a_friday_request_warns_on_monday_at_4pm_and_breaches_after_tuesday_10am(
    strategic_request, kam_user, leader
):
    ref = f"request:{strategic_request.pk}:response"
    assert sla_check(now=datetime(2026, 3, 9, 15, 59, tzinfo=SP)) == {WARN: 0, BREACH: 0}
    assert sla_check(now=MONDAY_4PM) == {WARN: 1, BREACH: 0}
    assert _notices(WARN) == [(kam_user.email, ref)]
    assert mail.outbox[-1].to == [kam_user.email]
    assert f"Request #{strategic_request.pk}" in mail.outbox[-1].subject
    # At the due moment it is not late yet; a minute after, the owner and the leader hear.
    assert sla_check(now=TUESDAY_10AM) == {WARN: 0, BREACH: 0}
    assert sla_check(now=datetime(2026, 3, 10, 10, 1, tzinfo=SP)) == {WARN: 0, BREACH: 2}
    assert _notices(BREACH) == sorted([(kam_user.email, ref), (leader.email, ref)])
    assert len(mail.outbox) == 3
    assert Notification.objects.filter(kind=BREACH).count() == 2


def test_running_twice_sends_nothing_twice(strategic_request, kam_user, leader):
    late = datetime(2026, 3, 10, 11, 0, tzinfo=SP)
    assert sla_check(now=late) == {WARN: 0, BREACH: 2}
    assert sla_check(now=late) == {WARN: 0, BREACH: 0}
    call_command("check_sla", "--at", "2026-03-10T11:15:00-03:00")
    assert check_sla.apply(args=["2026-03-10T11:30:00-03:00"]).get() == {WARN: 0, BREACH: 0}
    assert len(mail.outbox) == 2
    assert Reminder.objects.count() == 2
    assert Notification.objects.count() == 2


def test_the_breach_goes_to_the_owners_manager_instead_of_every_leader(
    strategic_request, kam_user, leader
):
    manager = UserFactory(email="manager@example.com", role=Role.LEADER)
    kam_user.manager = manager
    kam_user.save()
    sla_check(now=datetime(2026, 3, 10, 11, 0, tzinfo=SP))
    assert {email for email, _ref in _notices(BREACH)} == {kam_user.email, manager.email}


def test_an_answered_request_is_not_chased(strategic_request, kam_user, leader):
    request_respond(
        client_request=strategic_request,
        at=datetime(2026, 3, 9, 9, 30, tzinfo=SP),
        actor=kam_user,
    )
    assert sla_check(now=datetime(2026, 3, 10, 11, 0, tzinfo=SP)) == {WARN: 0, BREACH: 0}


def test_switched_off_warnings_are_not_sent_but_breaches_are(strategic_request, kam_user, leader):
    NotificationPreference.objects.create(user=kam_user, sla_warning=False)
    assert sla_check(now=MONDAY_4PM) == {WARN: 0, BREACH: 0}
    assert sla_check(now=datetime(2026, 3, 10, 11, tzinfo=SP)) == {WARN: 0, BREACH: 2}


def test_two_requests_of_one_account_on_one_day_are_two_notices(
    strategic_request, account, kam_user, leader
):
    with time_machine.travel(FRIDAY_4PM, tick=False):
        request_create(
            account=account,
            actor=kam_user,
            subject="Second",
            received_at=FRIDAY_4PM,
            priority="low",
        )
    assert sla_check(now=MONDAY_4PM) == {WARN: 2, BREACH: 0}
    assert Notification.objects.filter(user=kam_user, kind=WARN).count() == 2


def test_the_notices_read_well_in_the_notification_list(
    strategic_request, client_for, kam_user, leader
):
    sla_check(now=datetime(2026, 3, 10, 11, 0, tzinfo=SP))
    page = client_for(leader).get(reverse("notification_list")).content.decode()
    assert f"#{strategic_request.pk}</a> from Acme Industrial" in page
    assert "<strong>missed</strong> its response deadline" in page


def test_check_sla_is_on_the_beat_schedule_every_15_minutes():
    entries = {entry["task"]: entry for entry in celery_app.conf.beat_schedule.values()}
    schedule = entries["activities.tasks.check_sla"]["schedule"]
    assert schedule.minute == {0, 15, 30, 45}
    assert len(schedule.hour) == 24


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_still_send_each_notice_once(kam_user, team_member, leader):
    """Two workers at once, each with its own database connection: the unique key makes the
    second INSERT a no-op and the conditional UPDATE lets only one of them claim each row."""
    from tests.factories import AccountFactory

    scoring_defaults_ensure()
    Tier.objects.filter(key="strategic").update(response_sla_hours=12)
    account = AccountFactory(owner=kam_user, tier=Tier.objects.get(key="strategic"))
    with time_machine.travel(FRIDAY_4PM, tick=False):
        for number in range(3):
            request_create(
                account=account,
                actor=kam_user,
                subject=f"Request {number}",
                received_at=FRIDAY_4PM,
                priority="low",
            )
    late = datetime(2026, 3, 10, 11, 0, tzinfo=SP)
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            start.wait(timeout=10)
            results.append(sla_check(now=late))
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    assert sum(r[BREACH] for r in results) == 6  # three requests, owner and leader each
    assert len(mail.outbox) == 6
    assert Reminder.objects.filter(sent_at__isnull=False).count() == 6
    assert Notification.objects.count() == 6


def test_a_portuguese_speaker_is_told_in_portuguese(strategic_request, kam_user, leader):
    kam_user.language = "pt-br"
    kam_user.save()
    sla_check(now=datetime(2026, 3, 10, 11, 0, tzinfo=SP))
    to_owner = next(m for m in mail.outbox if m.to == [kam_user.email])
    assert to_owner.subject == (
        f"Prazo de resposta perdido: pedido nº {strategic_request.pk} (Acme Industrial)"
    )
    assert "10/03/2026 10:00" in to_owner.body
    to_leader = next(m for m in mail.outbox if m.to == [leader.email])
    assert to_leader.subject.startswith("Response deadline missed")
