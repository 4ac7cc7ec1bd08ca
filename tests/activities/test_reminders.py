"""The reminder job: QBR reminders to the owner, escalations to leaders, one commitment digest
per person per day; each sent exactly once, whatever reruns or concurrent workers do."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import formats, timezone, translation

from accounts.models import Account, Tier
from accounts.services import scoring_defaults_ensure
from activities.models import (
    Commitment,
    CommitmentEvent,
    CommitmentStatus,
    Notification,
    NotificationPreference,
    Reminder,
    ReminderKind,
)
from activities.reminders import DAILY_KINDS, QBR_REMINDER_LEAD_DAYS, reminders_send
from activities.services import commitment_complete, qbr_hold, qbr_schedule
from activities.tasks import send_reminders
from kam.celery import app as celery_app
from kam.models import Role
from tests.factories import AccountFactory, CommitmentFactory, StakeholderFactory, UserFactory

LAST_QBR = date(2026, 1, 15)
DUE = date(2026, 4, 15)  # LAST_QBR + the "key" tier's 90 days
REMINDER_DAY = DUE - timedelta(days=QBR_REMINDER_LEAD_DAYS)  # 1 April


def _noon(day: date) -> datetime:
    """Midday in São Paulo (15:00 UTC), as the `now` fixture."""
    return datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(_noon(date(2026, 3, 10)), tick=False) as traveller:
        yield traveller


def run_on(clock, day: date) -> dict[str, int]:
    clock.move_to(_noon(day))
    return reminders_send(today=day)


def sent(kind: str, to=None) -> list:
    """The emails of one kind in the outbox (optionally to one person), by their subject."""
    markers = {
        ReminderKind.QBR_DUE: ("QBR due for", "QBR due for"),
        ReminderKind.QBR_OVERDUE: ("QBR overdue", "QBR overdue"),
        ReminderKind.COMMITMENTS_DIGEST: ("by tomorrow", "by tomorrow"),
    }[kind]
    return [
        message
        for message in mail.outbox
        if any(marker in message.subject for marker in markers)
        and (to is None or message.to == [to.email])
    ]


@pytest.fixture
def qbr_account(clock, kam_user):
    """A "key" tier account (QBR every 90 days) whose last QBR was held on 15 January; the
    contract started long ago, so only the held QBR sets the due date."""
    scoring_defaults_ensure()
    account = AccountFactory(
        name="Acme Industrial",
        owner=kam_user,
        tier=Tier.objects.get(key="key"),
        contract_start=date(2020, 1, 1),
    )
    qbr_hold(
        qbr=qbr_schedule(account=account, actor=kam_user, scheduled_on=LAST_QBR),
        actor=kam_user,
        held_at=timezone.make_aware(datetime(2026, 1, 15, 10)),
    )
    return account


@pytest.fixture
def leader_pt(db):
    return UserFactory(email="chefe@example.com", role=Role.LEADER, language="pt-br")


# --- QBR due: the owner, once -----------------------------------------------------------------


def test_the_owner_is_reminded_once_when_the_qbr_comes_within_the_lead_time(
    clock, qbr_account, kam_user, leader
):
    for day in (date(2026, 3, 30), REMINDER_DAY - timedelta(days=1)):
        assert run_on(clock, day)[ReminderKind.QBR_DUE] == 0
    assert run_on(clock, REMINDER_DAY)[ReminderKind.QBR_DUE] == 1
    assert run_on(clock, REMINDER_DAY)[ReminderKind.QBR_DUE] == 0  # the same day again
    assert run_on(clock, REMINDER_DAY + timedelta(days=1))[ReminderKind.QBR_DUE] == 0

    (email,) = sent(ReminderKind.QBR_DUE)
    assert email.to == [kam_user.email]
    assert email.subject == "QBR due for Acme Industrial by 04/15/2026"
    assert "due on April 15, 2026 (in 14 days)" in email.body
    assert reverse("account_qbrs", args=[qbr_account.pk]) in email.body
    (notice,) = Notification.objects.filter(kind=Notification.Kind.QBR_DUE)
    assert (notice.user, notice.account, notice.day) == (kam_user, qbr_account, REMINDER_DAY)
    (reminder,) = Reminder.objects.filter(kind=ReminderKind.QBR_DUE)
    assert (reminder.ref, reminder.due_on, reminder.recipient) == (
        f"account:{qbr_account.pk}",
        DUE,
        kam_user,
    )
    assert reminder.sent_at is not None
    assert not sent(ReminderKind.QBR_DUE, to=leader)


def test_the_reminder_is_in_the_owners_language(clock, qbr_account, kam_user):
    kam_user.language = "pt-br"
    kam_user.save()
    run_on(clock, REMINDER_DAY)
    (email,) = [m for m in mail.outbox if m.to == [kam_user.email]]
    with translation.override("pt-br"):
        long_date = formats.date_format(DUE, "DATE_FORMAT")
        short_date = formats.date_format(DUE, "SHORT_DATE_FORMAT")
    assert long_date == "15 de abril de 2026"
    assert short_date in email.subject
    assert long_date in email.body
    assert "April" not in email.body


def test_a_scheduled_qbr_means_no_reminder_and_no_escalation(clock, qbr_account, kam_user, leader):
    qbr_schedule(account=qbr_account, actor=kam_user, scheduled_on=date(2026, 4, 20))
    for day in (REMINDER_DAY, DUE + timedelta(days=1), date(2026, 4, 20)):
        sent_today = run_on(clock, day)
        assert sent_today[ReminderKind.QBR_DUE] == sent_today[ReminderKind.QBR_OVERDUE] == 0
    # The planned date passed without the QBR being held: no longer counts as scheduled.
    assert run_on(clock, date(2026, 4, 21))[ReminderKind.QBR_OVERDUE] == 1


NAME = "Ferraz & Filhos <b>"


def test_names_reach_subjects_and_bodies_as_written_not_html_escaped(
    clock, qbr_account, kam_user, leader
):
    """Text emails are not HTML: `&` stays `&` (kam.mail renders them without escaping)."""
    Account.objects.filter(pk=qbr_account.pk).update(name=NAME)  # (the instance is stale)
    CommitmentFactory(account=qbr_account, title="Quote <v2> & terms", due_date=DUE)
    run_on(clock, REMINDER_DAY)
    run_on(clock, DUE + timedelta(days=1))
    due, overdue, digest = (
        sent(ReminderKind.QBR_DUE)[0],
        sent(ReminderKind.QBR_OVERDUE, to=leader)[0],
        sent(ReminderKind.COMMITMENTS_DIGEST)[0],
    )
    assert due.subject == f"QBR due for {NAME} by 04/15/2026"
    assert overdue.subject == f"QBR overdue: {NAME}"
    for email in (due, overdue, digest):
        assert NAME in email.body
        assert "&amp;" not in email.subject + email.body
        assert "&lt;" not in email.subject + email.body
    assert "Quote <v2> & terms" in digest.body


# --- QBR overdue: every leader, once ---------------------------------------------------------


def test_an_overdue_qbr_is_escalated_once_to_every_leader_in_their_language(
    clock, qbr_account, kam_user, leader, leader_pt, admin_user
):
    assert run_on(clock, DUE)[ReminderKind.QBR_OVERDUE] == 0  # due today: not overdue yet
    assert run_on(clock, DUE + timedelta(days=1))[ReminderKind.QBR_OVERDUE] == 2
    assert run_on(clock, DUE + timedelta(days=1))[ReminderKind.QBR_OVERDUE] == 0
    assert run_on(clock, DUE + timedelta(days=5))[ReminderKind.QBR_OVERDUE] == 0

    english = [m for m in mail.outbox if m.to == [leader.email]]
    portuguese = [m for m in mail.outbox if m.to == [leader_pt.email]]
    assert len(english) == len(portuguese) == 1
    assert english[0].subject == "QBR overdue: Acme Industrial"
    assert "was due on April 15, 2026, 1 day ago" in english[0].body
    assert "Olivia Owner" in english[0].body
    with translation.override("pt-br"):
        assert formats.date_format(DUE, "DATE_FORMAT") in portuguese[0].body
    # Leaders only: not the owner, not an admin.
    assert not [m for m in mail.outbox if m.to in ([kam_user.email], [admin_user.email])
                and "overdue" in m.subject.lower()]  # fmt: skip
    notices = Notification.objects.filter(kind=Notification.Kind.QBR_OVERDUE)
    assert sorted(n.user.email for n in notices) == sorted([leader.email, leader_pt.email])


def test_a_new_qbr_held_starts_a_new_cycle_of_reminders(clock, qbr_account, kam_user, leader):
    run_on(clock, REMINDER_DAY)
    run_on(clock, DUE + timedelta(days=1))
    clock.move_to(_noon(date(2026, 4, 20)))
    qbr_hold(
        qbr=qbr_schedule(account=qbr_account, actor=kam_user, scheduled_on=date(2026, 4, 20)),
        actor=kam_user,
        held_at=timezone.now() - timedelta(hours=2),
    )
    next_due = date(2026, 7, 19)
    assert run_on(clock, date(2026, 4, 21))[ReminderKind.QBR_OVERDUE] == 0
    assert run_on(clock, next_due - timedelta(days=14))[ReminderKind.QBR_DUE] == 1
    assert len(sent(ReminderKind.QBR_DUE, to=kam_user)) == 2
    assert len(sent(ReminderKind.QBR_OVERDUE, to=leader)) == 1


# --- the commitments digest: one per person per day ------------------------------------------


@pytest.fixture
def due_commitments(clock, account, kam_user, team_member):
    day = date(2026, 3, 10)
    client_person = StakeholderFactory(account=account, name="Carla Cliente")
    return {
        "mine_overdue": CommitmentFactory(
            account=account, title="Send the deck", due_date=day - timedelta(days=3)
        ),
        "mine_tomorrow": CommitmentFactory(
            account=account, title="Book the visit", due_date=day + timedelta(days=1)
        ),
        "clients_tomorrow": CommitmentFactory(
            account=account,
            title="Sign the NDA",
            owner_user=None,
            owner_stakeholder=client_person,
            due_date=day + timedelta(days=1),
        ),
        "later": CommitmentFactory(
            account=account, title="Plan the offsite", due_date=day + timedelta(days=5)
        ),
        "teams_overdue": CommitmentFactory(
            account=account, title="Fix the invoice", owner_user=team_member, due_date=day
        ),
    }


def test_one_digest_per_owner_per_day(clock, due_commitments, kam_user, team_member):
    day = date(2026, 3, 10)
    assert run_on(clock, day)[ReminderKind.COMMITMENTS_DIGEST] == 2
    assert run_on(clock, day)[ReminderKind.COMMITMENTS_DIGEST] == 0

    (mine,) = sent(ReminderKind.COMMITMENTS_DIGEST, to=kam_user)
    assert mine.subject == "3 commitments overdue or due by tomorrow"
    for title in ("Send the deck", "Book the visit", "Sign the NDA"):
        assert title in mine.body
    assert "Plan the offsite" not in mine.body
    assert "Fix the invoice" not in mine.body
    assert "client side: Carla Cliente" in mine.body
    (theirs,) = sent(ReminderKind.COMMITMENTS_DIGEST, to=team_member)
    assert theirs.subject == "1 commitment overdue or due by tomorrow"
    assert "Fix the invoice" in theirs.body and "due today" in theirs.body
    notice = Notification.objects.get(user=kam_user, kind=Notification.Kind.COMMITMENTS_DIGEST)
    assert notice.params == {"overdue": 1, "due_soon": 2}

    # The next day: a new digest for what is still open.
    commitment_complete(commitment=due_commitments["teams_overdue"], actor=team_member)
    assert run_on(clock, day + timedelta(days=1))[ReminderKind.COMMITMENTS_DIGEST] == 1
    assert len(sent(ReminderKind.COMMITMENTS_DIGEST, to=kam_user)) == 2
    assert len(sent(ReminderKind.COMMITMENTS_DIGEST, to=team_member)) == 1


def test_nobody_with_nothing_due_gets_a_digest(clock, account, kam_user):
    CommitmentFactory(account=account, due_date=date(2026, 3, 20))
    CommitmentFactory(account=account, due_date=date(2026, 3, 1), status=CommitmentStatus.CANCELLED)
    assert run_on(clock, date(2026, 3, 10))[ReminderKind.COMMITMENTS_DIGEST] == 0


# --- preferences -----------------------------------------------------------------------------


def test_a_switched_off_kind_is_neither_notified_nor_emailed(
    clock, qbr_account, due_commitments, kam_user, leader
):
    NotificationPreference.objects.create(user=kam_user, qbr_due=False)
    NotificationPreference.objects.create(user=leader, qbr_overdue=False)
    run_on(clock, REMINDER_DAY)
    run_on(clock, DUE + timedelta(days=1))
    assert not sent(ReminderKind.QBR_DUE)
    assert not sent(ReminderKind.QBR_OVERDUE)
    assert not Notification.objects.filter(
        kind__in=[Notification.Kind.QBR_DUE, Notification.Kind.QBR_OVERDUE]
    ).exists()
    # Other kinds still come.
    assert sent(ReminderKind.COMMITMENTS_DIGEST, to=kam_user)


def test_email_off_keeps_the_in_app_notification(clock, due_commitments, kam_user):
    NotificationPreference.objects.create(user=kam_user, email=False)
    run_on(clock, date(2026, 3, 10))
    assert not [m for m in mail.outbox if m.to == [kam_user.email]]
    assert Notification.objects.filter(
        user=kam_user, kind=Notification.Kind.COMMITMENTS_DIGEST
    ).exists()


def test_the_settings_page_saves_the_preferences(client_for, kam_user):
    client = client_for(kam_user)
    assert client.get(reverse("notification_settings")).status_code == 200
    assert not NotificationPreference.objects.exists()  # a GET writes nothing
    response = client.post(reverse("notification_settings"), {"qbr_overdue": "on", "email": "on"})
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=kam_user)
    assert (preference.qbr_due, preference.qbr_overdue, preference.commitments_digest) == (
        False,
        True,
        False,
    )
    assert preference.email


def test_the_settings_page_needs_a_login(client):
    response = client.get(reverse("notification_settings"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# --- the claim -------------------------------------------------------------------------------


def test_a_reminder_already_claimed_is_not_sent_again(clock, qbr_account, kam_user):
    clock.move_to(_noon(REMINDER_DAY))
    Reminder.objects.create(
        kind=ReminderKind.QBR_DUE,
        ref=f"account:{qbr_account.pk}",
        due_on=DUE,
        recipient=kam_user,
        sent_at=timezone.now(),
    )
    assert reminders_send(today=REMINDER_DAY)[ReminderKind.QBR_DUE] == 0
    assert not sent(ReminderKind.QBR_DUE)


def test_a_failed_email_is_retried_on_the_next_run(clock, qbr_account, kam_user, monkeypatch):
    from django.core.mail import EmailMessage

    real_send = EmailMessage.send

    def broken_send(self, *args, **kwargs):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(EmailMessage, "send", broken_send)
    assert run_on(clock, REMINDER_DAY)[ReminderKind.QBR_DUE] == 0
    reminder = Reminder.objects.get(kind=ReminderKind.QBR_DUE)
    assert reminder.sent_at is None  # the claim was rolled back with the failure
    assert not Notification.objects.filter(kind=Notification.Kind.QBR_DUE).exists()

    monkeypatch.setattr(EmailMessage, "send", real_send)
    assert run_on(clock, REMINDER_DAY)[ReminderKind.QBR_DUE] == 1
    assert len(sent(ReminderKind.QBR_DUE)) == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_still_send_each_reminder_once(kam_user, team_member, leader):
    """Two workers at once, each with its own database connection: the unique key makes the
    second INSERT a no-op and the conditional UPDATE lets only one of them claim each row."""
    with time_machine.travel(_noon(date(2026, 1, 15)), tick=False) as clock:
        scoring_defaults_ensure()
        account = AccountFactory(
            owner=kam_user, tier=Tier.objects.get(key="key"), contract_start=date(2020, 1, 1)
        )
        account.team.add(team_member)
        qbr_hold(
            qbr=qbr_schedule(account=account, actor=kam_user, scheduled_on=LAST_QBR),
            actor=kam_user,
            held_at=timezone.now() - timedelta(hours=1),
        )
        for owner in (kam_user, team_member):
            CommitmentFactory(account=account, owner_user=owner, due_date=date(2026, 4, 1))
        day = DUE + timedelta(days=1)  # the QBR is overdue, commitments too
        clock.move_to(_noon(day))
        start = threading.Barrier(2)
        results, errors = [], []

        def worker():
            try:
                start.wait(timeout=10)
                results.append(reminders_send(today=day))
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
    totals = {kind: sum(r[kind] for r in results) for kind in DAILY_KINDS}
    assert totals == {
        # Both items are past the Key tier's grace: one notice to the leader for the account.
        ReminderKind.ITEM_ESCALATED: 1,
        ReminderKind.CLIENT_ITEM_CHASE: 0,
        ReminderKind.QBR_DUE: 0,
        ReminderKind.QBR_OVERDUE: 1,  # one leader
        ReminderKind.COMMITMENTS_DIGEST: 2,  # two owners
    }
    # Each item's history says it was escalated, once.
    assert sorted(
        CommitmentEvent.objects.filter(verb="escalated").values_list("commitment__title", flat=True)
    ) == sorted(Commitment.objects.values_list("title", flat=True))
    assert len(mail.outbox) == 4  # QBR overdue, two digests, one escalation
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [leader.email, leader.email, kam_user.email, team_member.email]
    )
    # QBR overdue, two digests, and one escalation row per item (claimed per item).
    assert Reminder.objects.count() == 5
    assert not Reminder.objects.filter(sent_at__isnull=True).exists()
    assert Notification.objects.count() == 4


# --- entry points and the notification list --------------------------------------------------


def test_the_command_and_the_celery_task_run_the_same_job(clock, qbr_account, kam_user):
    clock.move_to(_noon(REMINDER_DAY))
    call_command("send_reminders", "--date", REMINDER_DAY.isoformat())
    assert len(sent(ReminderKind.QBR_DUE)) == 1
    result = send_reminders.apply(args=[REMINDER_DAY.isoformat()]).get()
    assert result[ReminderKind.QBR_DUE] == 0  # already sent by the command
    assert len(sent(ReminderKind.QBR_DUE)) == 1


def test_the_job_is_on_the_beat_schedule():
    # The schedule lives in settings (CELERY_BEAT_SCHEDULE); Celery reads it through its app.
    entries = {entry["task"]: entry for entry in celery_app.conf.beat_schedule.values()}
    schedule = entries["activities.tasks.send_reminders"]["schedule"]
    assert (schedule.hour, schedule.minute) == ({6}, {0})


def test_the_notification_list_shows_the_reminders(
    clock, client_for, qbr_account, due_commitments, kam_user, leader
):
    run_on(clock, REMINDER_DAY)
    run_on(clock, DUE + timedelta(days=1))
    mine = client_for(kam_user).get(reverse("notification_list")).content.decode()
    assert "The next QBR with" in mine and "Acme Industrial" in mine
    # By 1 April all four of kam_user's open commitments are overdue.
    assert "Your commitments: 4 overdue, 0 due today or tomorrow." in mine
    theirs = client_for(leader).get(reverse("notification_list")).content.decode()
    assert "is <strong>overdue</strong> by 1 day" in theirs
