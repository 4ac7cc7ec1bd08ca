"""My work has a fixed number of queries, whatever the data size (STYLE.md: Data).

Measured over a small data set, then over three times as much: the count must not move."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from accounts.models import Tier
from accounts.services import scoring_defaults_ensure
from activities.models import QBR, Notification, PlannedMeeting, QBRStatus
from activities.services import request_create, request_respond
from kam.dates import business_date
from kam.models import Role
from tests.activities.test_views import quick_log_data
from tests.factories import AccountFactory, CommitmentFactory, StakeholderFactory, UserFactory


def _grow_my_work(kam_user, outsider, start: int, units: int) -> None:
    """Per unit: an own account owed a touch whose champion left, with an overdue commitment of
    ours and an upcoming one of the client's; a colleague's account the KAM is on the team of,
    never touched, with an upcoming commitment of the KAM's; the outsider's account with
    commitments of its own; and an unread notification. The own account's last QBR was held
    400 days ago: overdue whatever its tier."""
    today = business_date()
    tiers = list(Tier.objects.order_by("rank"))
    for index in range(start, start + units):
        own = AccountFactory(
            name=f"Own {index:02d}",
            owner=kam_user,
            tier=tiers[index % len(tiers)],
            last_touch_at=timezone.now() - timedelta(days=200 + index),
            # As activities.services.qbr_hold keeps it for the QBR held below.
            last_qbr_held_at=timezone.now() - timedelta(days=400),
        )
        StakeholderFactory(
            account=own, name=f"Gone {index:02d}", buying_role="champion", left_on=today
        )
        client_person = StakeholderFactory(account=own, name=f"Client {index:02d}")
        CommitmentFactory(
            account=own, title=f"Overdue {index:02d}", due_date=today - timedelta(days=index + 1)
        )
        QBR.objects.create(
            account=own,
            scheduled_on=today - timedelta(days=400),
            status=QBRStatus.HELD,
            held_at=timezone.now() - timedelta(days=400),
        )
        CommitmentFactory(
            account=own,
            title=f"Client task {index:02d}",
            owner_user=None,
            owner_stakeholder=client_person,
            due_date=today + timedelta(days=index),
        )
        shared = AccountFactory(name=f"Shared {index:02d}", owner=UserFactory(role=Role.KAM))
        shared.team.add(kam_user)
        CommitmentFactory(
            account=shared,
            title=f"Shared task {index:02d}",
            owner_user=kam_user,
            due_date=today + timedelta(days=3),
        )
        foreign = AccountFactory(name=f"Foreign {index:02d}", owner=outsider)
        CommitmentFactory(account=foreign, title=f"Foreign task {index:02d}", due_date=today)
        # A request awaiting an answer on each of the KAM's accounts (theirs to answer), one
        # answered already, and the outsider's.
        for target in (own, shared):
            request_create(
                account=target,
                actor=kam_user,
                subject=f"Question {target.name}",
                received_at=timezone.now() - timedelta(hours=index + 1),
                owner=kam_user,
            )
        answered = request_create(
            account=own, actor=kam_user, subject="Answered", received_at=timezone.now()
        )
        request_respond(client_request=answered, at=timezone.now(), actor=kam_user)
        request_create(
            account=foreign, actor=outsider, subject="Foreign", received_at=timezone.now()
        )
        # A meeting over on each of the KAM's accounts (to log), one dismissed, one ahead, and
        # the outsider's.
        for target, owner, uid, ends, dismissed in [
            (own, kam_user, "own", -1, None),
            (shared, kam_user, "shared", -2, None),
            (own, kam_user, "dismissed", -3, timezone.now()),
            (own, kam_user, "ahead", 3, None),
            (foreign, outsider, "foreign", -1, None),
        ]:
            PlannedMeeting.objects.create(
                account=target, owner=owner, uid=f"{uid}-{index}", title=f"Meeting {uid}",
                starts_at=timezone.now() + timedelta(hours=ends - 1),
                ends_at=timezone.now() + timedelta(hours=ends), prompt_dismissed_at=dismissed,
            )  # fmt: skip
        Notification.objects.create(
            user=kam_user,
            account=own,
            kind=Notification.Kind.HEALTH_BAND_DROP,
            params={"from": "healthy", "to": "watch", "score": 60},
            day=today - timedelta(days=index),
        )


MY_WORK_QUERIES = 12
FOLLOW_THROUGH_QUERIES = 7


def test_my_work_has_a_fixed_number_of_queries(
    client_for, kam_user, outsider, now, django_assert_num_queries
):
    scoring_defaults_ensure()  # made on first use; made now so that no measured request makes it
    client = client_for(kam_user)
    url = reverse("my_work")
    _grow_my_work(kam_user, outsider, start=0, units=2)
    client.get(url)  # warm-up

    # 1 session, 2 user, 3 current scoring config (default touch cadence),
    # 4 my open commitments due within 14 days (the date and flags of each), 5 those drawn
    # (+ account, owners), 6 my accounts (+ tier; the quick add's choices, each flagged owed a
    # touch, key contact gone, QBR unscheduled with its due date), 7 the stakeholders of those
    # with a key contact gone, 8 my requests awaiting an answer (+ account, owner, requester),
    # 9-10 their owners' working calendars (calendars, company holidays:
    # accounts.selectors.calendars_of), 11 my meetings over and not logged or dismissed
    # (+ account), 12 unread notifications (bell)
    with django_assert_num_queries(MY_WORK_QUERIES):
        small = client.get(url)
    work = small.context["work"]
    assert len(work.requests_awaiting) == 4
    assert (len(work.overdue), len(work.upcoming)) == (2, 4)
    assert (len(work.owed_touch), len(work.departures)) == (4, 2)
    assert len(work.qbrs_due) == 2
    assert len(work.meetings_to_log) == 4

    _grow_my_work(kam_user, outsider, start=2, units=4)
    with django_assert_num_queries(MY_WORK_QUERIES):
        large = client.get(url)
    work = large.context["work"]
    assert len(work.requests_awaiting) == 12
    dues = [r.first_response_due_at for r in work.requests_awaiting]
    assert dues == sorted(dues)
    assert (len(work.overdue), len(work.upcoming)) == (6, 12)
    assert sum(work.counts.values()) == 18
    assert (len(work.owed_touch), len(work.departures)) == (12, 6)
    assert len(work.qbrs_due) == 6
    assert len(work.meetings_to_log) == 12


def _grow_follow_through(account, kam_user, plan, start: int, units: int) -> None:
    """Per unit: a commitment of ours overdue, one of the client's due this week, a plan action
    (an agreed item of the plan) and a cancelled one."""
    from activities.services import commitment_cancel
    from plans.services import action_create

    today = business_date()
    for index in range(start, start + units):
        client_person = StakeholderFactory(account=account, name=f"Client {index:02d}")
        CommitmentFactory(
            account=account, title=f"Ours {index:02d}", due_date=today - timedelta(days=1)
        )
        CommitmentFactory(
            account=account,
            title=f"Theirs {index:02d}",
            owner_user=None,
            owner_stakeholder=client_person,
            due_date=today + timedelta(days=3),
        )
        action_create(
            plan=plan,
            actor=kam_user,
            title=f"Action {index:02d}",
            owner_user=kam_user,
            due_date=today + timedelta(days=index),
        )
        dropped = CommitmentFactory(account=account, title=f"Dropped {index:02d}", due_date=today)
        commitment_cancel(commitment=dropped, actor=kam_user, reason="Not needed")


def test_the_accounts_follow_through_list_has_a_fixed_number_of_queries(
    client_for, kam_user, account, now, django_assert_num_queries
):
    """The account's Commitments tab: every agreed item (commitments, plan actions, the client's
    and cancelled ones) with the in-place follow-through buttons."""
    from tests.plans.factories import AccountPlanFactory

    scoring_defaults_ensure()
    plan = AccountPlanFactory(account=account, status="active")
    client = client_for(kam_user)
    url = reverse("account_commitments", args=[account.pk]) + "?status=all"
    _grow_follow_through(account, kam_user, plan, start=0, units=2)
    client.get(url)  # warm-up

    # 1 session, 2 user, 3 the account, 4 stakeholders (the add form's owners and the header's
    # departure flag), 5 the team, 6 unread notifications, 7 the agreed items (+ owners,
    # interaction)
    with django_assert_num_queries(FOLLOW_THROUGH_QUERIES):
        small = client.get(url)
    assert len(small.context["commitments"]) == 8
    _grow_follow_through(account, kam_user, plan, start=2, units=4)
    with django_assert_num_queries(FOLLOW_THROUGH_QUERIES):
        large = client.get(url)
    assert len(large.context["commitments"]) == 24
    assert 'id="follow-up-' in large.content.decode()


QUICK_LOG_POST_QUERIES = 22


def test_the_quick_log_post_has_a_fixed_number_of_queries(
    client_for, kam_user, account, django_assert_num_queries
):
    """The account page's quick log, posted with htmx: the interaction with two people and a
    next step saved, then a fresh form and the timeline back. The team is read once for both
    forms (a log does not change it)."""
    scoring_defaults_ensure()
    client = client_for(kam_user)
    url = reverse("interaction_create", args=[account.pk])

    def grow(start: int, units: int) -> None:
        for index in range(start, start + units):
            StakeholderFactory(account=account, name=f"Person {index:02d}")
            account.team.add(UserFactory(role=Role.KAM))
            request_create(
                account=account, actor=kam_user, subject=f"Question {index:02d}",
                received_at=timezone.now() - timedelta(hours=index + 1), owner=kam_user,
            )  # fmt: skip

    def post(n: int, people):
        due = business_date() + timedelta(days=7)
        data = quick_log_data(
            stakeholders=people,
            steps=[(f"Send the proposal {n}", f"u{kam_user.pk}", due)],
            kind="call",
            summary=f"Call {n}",
            sentiment="1",
        )
        return client.post(url, data, HTTP_HX_REQUEST="true")

    grow(0, 2)
    people = list(account.stakeholders.order_by("pk")[:2])
    post(0, people)  # warm-up
    # 1 session, 2 user, 3 the account (+ owner, parent, tiers; on the team?), 4 stakeholders,
    # 5 the open requests the log may answer, 6 the team (next-step owners); in a savepoint
    # (7 and 19): 8 the team's ids (the step's owner), 9 the interaction, 10 its people, 11 its
    # timeline entry, 12 the next step, 13 its event, 14 its timeline entry, 15 the account's
    # last touch, 16-17 the people's last interaction (locked, then moved), 18 the rescore's
    # outbox row; then the fresh form (the same team and, as this log answered none, the same
    # open requests); the timeline: 20-22 its entries (with the names of the people at its
    # interactions) between SET LOCAL and RESET. No bell: a fragment does not draw it.
    with django_assert_num_queries(QUICK_LOG_POST_QUERIES):
        small = post(1, people)
    assert small.status_code == 200
    assert "Call 1" in small.content.decode()
    grow(2, 4)
    with django_assert_num_queries(QUICK_LOG_POST_QUERIES):
        large = post(2, people)
    assert large.status_code == 200
    assert "Call 2" in large.content.decode()
