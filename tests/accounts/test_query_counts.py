"""A fixed number of queries per page, whatever the data size (STYLE.md: Data).

Each test measures a page over a small data set, grows the data to three times the size and
measures again: the count must not move. A count that grows with the rows is an N+1."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, Tier, TimelineKind
from accounts.services import (
    milestone_create,
    rating_set,
    satisfaction_record,
    scoring_defaults_ensure,
    stakeholder_create,
    stakeholder_mark_left,
    tier_recommendation_review,
)
from accounts.timeline import timeline_page, timeline_record
from activities.models import Commitment, PlannedMeeting, Playbook, PlaybookFiring
from activities.services import (
    NextStep,
    commitment_complete,
    interaction_log,
    qbr_hold,
    qbr_schedule,
    request_create,
    request_resolve,
)
from insights.portfolio_slices import portfolio_slices_refresh
from insights.services import health_recompute
from kam.dates import business_date
from kam.models import Role
from plans.models import AccountPlan
from tests.factories import AccountFactory, CommitmentFactory, RevenueRecordFactory, UserFactory
from tests.plans.factories import AccountPlanFactory, OpportunityFactory

CRITERIA = ["growth_potential", "market_influence", "strategic_alignment", "referral_value"]


@pytest.fixture
def config(db):
    # Made on first use; made here so that the first measured request does not make it.
    return scoring_defaults_ensure()


# --- accounts list ----------------------------------------------------------------------------


def _grow_account_list(kam_user, outsider, start: int, units: int) -> None:
    """Per unit: two own accounts (one tiered and touched, one never touched), one shared by a
    colleague, and one of the outsider's that the KAM must not see."""
    tiers = list(Tier.objects.order_by("rank"))
    for index in range(start, start + units):
        AccountFactory(
            name=f"Own {index:02d}",
            owner=kam_user,
            tier=tiers[index % len(tiers)],
            last_touch_at=timezone.now() - timedelta(days=index * 7),
            health_score=60 + index,
            health_band="watch",
        )
        AccountFactory(name=f"Quiet {index:02d}", owner=kam_user)
        colleague = UserFactory(role=Role.KAM)
        shared = AccountFactory(name=f"Shared {index:02d}", owner=colleague, industry=f"I{index}")
        shared.team.add(kam_user)
        AccountFactory(name=f"Foreign {index:02d}", owner=outsider)


@pytest.mark.parametrize(
    ("persona", "rows_per_unit", "queries"), [("kam_user", 3, 10), ("leader", 4, 10)]
)
def test_account_list_page_one_has_a_fixed_number_of_queries(
    request, client_for, kam_user, outsider, config, now, persona, rows_per_unit, queries,
    django_assert_num_queries,
):  # fmt: skip
    client = client_for(request.getfixturevalue(persona))
    url = reverse("account_list")
    _grow_account_list(kam_user, outsider, start=0, units=2)
    portfolio_slices_refresh()  # as the minute task does
    client.get(url)  # warm-up

    # 1 session, 2 user, 3 the saved views the user may open, 4 industries for the industry
    # filter, 5 current scoring config (default touch cadence), 6 exchange rates (the revenue
    # column, converted as on the dashboard), 7 the count, from the summary rows
    # (insights.selectors.account_list_count_stored), 8 the page of accounts (+ owner, tier),
    # 9 unread notifications (navigation bell), 10 tier filter options. No owner is read for
    # the owner filter nor for the leader's bulk reassignment: both are people pickers
    # (kam.people), whose search reads them (tests/kam/test_people.py).
    with django_assert_num_queries(queries):
        small = client.get(url)
    assert len(small.context["page"].object_list) == 2 * rows_per_unit
    assert small.context["page"].paginator.count == 2 * rows_per_unit

    _grow_account_list(kam_user, outsider, start=2, units=4)
    portfolio_slices_refresh()
    with django_assert_num_queries(queries):
        large = client.get(url)
    assert len(large.context["page"].object_list) == 6 * rows_per_unit
    assert large.context["page"].paginator.count == 6 * rows_per_unit
    # Accounts written since the rows were brought up to date: the summary rows cannot say,
    # the page counts its rows (one statement more).
    Account.objects.filter(pk=large.context["page"].object_list[0].pk).update(name="Renamed")
    with django_assert_num_queries(queries + 1):
        marked = client.get(url)
    assert marked.context["page"].paginator.count == 6 * rows_per_unit


def test_the_pipeline_and_overdue_filters_take_the_account_marks_in_fixed_queries(
    client_for, leader, kam_user, outsider, config, now, django_assert_num_queries
):
    """The list's "open pipeline" and "commitments overdue" read the accounts' summary
    columns, brought up to date first for the accounts written since (insights.account_rollups):
    the same statements however many were written."""
    client = client_for(leader)
    url = reverse("account_list") + "?pipeline=open&commitments=overdue"
    _grow_account_list(kam_user, outsider, start=0, units=3)
    client.get(url)  # warm-up
    # 1–10 as the leader's list above but for 8, no page to read when the count is 0; in a
    # savepoint (a transaction in production) the summary rows' lock and the account marks
    # (none).
    with django_assert_num_queries(9 + 4):
        assert not client.get(url).context["page"].object_list
    overdue_day = business_date() - timedelta(days=3)
    for written in (1, 4):
        accounts = list(Account.objects.order_by("pk")[:written])
        for account in accounts:
            CommitmentFactory(account=account, due_date=overdue_day)
            plan = AccountPlan.objects.filter(account=account).first()
            OpportunityFactory(plan=plan or AccountPlanFactory(account=account), stage="proposal")
        # And the page again; then their columns computed, their KAM, industry and region,
        # those marked for the dashboard's refresh, the account marks taken deleted.
        with django_assert_num_queries(10 + 4 + 4):
            page = client.get(url).context["page"]
        assert {row.pk for row in page.object_list} == {account.pk for account in accounts}


def test_a_dashboard_figures_list_counts_from_the_summary_rows_in_fixed_queries(
    client_for, leader, kam_user, outsider, config, now, django_assert_num_queries
):
    """?touch=overdue is a dashboard figure: while the summary rows are current its count is
    their sum, the statement in place of the COUNT; once an account is written, the rows'
    sum finds a mark and the page counts its accounts, one statement more, however many."""
    client = client_for(leader)
    url = reverse("account_list") + "?touch=overdue"
    _grow_account_list(kam_user, outsider, start=0, units=3)
    portfolio_slices_refresh()
    client.get(url)  # warm-up
    # 1–10 as the leader's list above (the tiers' touch cadences read once more, 11), with 7
    # the summary rows' sum (whether the day is built and unmarked, and the figure's total).
    with django_assert_num_queries(11):
        current = client.get(url).context["page"]
    assert current.paginator.count == current.paginator.object_list.count() > 0
    for written in (1, 4):
        Account.objects.filter(pk__in=Account.objects.order_by("pk").values("pk")[:written]).update(
            last_touch_at=None
        )
        # 8 the sum, None: marked; then the COUNT.
        with django_assert_num_queries(12):
            page = client.get(url).context["page"]
        assert page.paginator.count == page.paginator.object_list.count()  # the rows'
        portfolio_slices_refresh()
        with django_assert_num_queries(11):
            current = client.get(url).context["page"]
        assert current.paginator.count == current.paginator.object_list.count()


# --- account overview and timeline ------------------------------------------------------------


def _grow_account_history(account, leader, now, start: int, units: int) -> None:
    """Per unit, on `account`: a team member, two stakeholders (one reports to the other) and a
    champion who left; an interaction with both, whose two next steps are owned by the new
    team member and by a client stakeholder, one of them completed; a milestone, a rating, a
    subsidiary, a revenue record, a satisfaction answer, a tier change, a daily health
    score and a playbook firing."""
    owner = account.owner
    tiers = list(Tier.objects.order_by("rank"))
    for index in range(start, start + units):
        # Each unit a day after the one before, so the newest page always holds every kind.
        with time_machine.travel(now - timedelta(days=10 - index), tick=False):
            _add_history_unit(account, leader, owner, tiers, index)


def _add_history_unit(account, leader, owner, tiers, index: int) -> None:
    now = timezone.now()
    member = UserFactory(role=Role.KAM)
    account.team.add(member)
    # A planned meeting of the new member's, weeks ahead (the account's upcoming list).
    PlannedMeeting.objects.create(
        account=account, owner=member, uid=f"history-{index}", title=f"Meeting {index:02d}",
        starts_at=now + timedelta(days=30), ends_at=now + timedelta(days=30, hours=1),
    )  # fmt: skip
    boss = stakeholder_create(
        account=account, actor=owner, name=f"Boss {index:02d}", buying_role="decision_maker"
    )
    report = stakeholder_create(
        account=account,
        actor=owner,
        name=f"Report {index:02d}",
        buying_role="user",
        reports_to=boss,
    )
    gone = stakeholder_create(
        account=account, actor=owner, name=f"Gone {index:02d}", buying_role="champion"
    )
    stakeholder_mark_left(
        stakeholder=gone, left_on=business_date() - timedelta(days=index), actor=owner
    )
    occurred_at = now - timedelta(hours=1)
    interaction_log(
        account=account,
        actor=owner,
        kind="meeting",
        occurred_at=occurred_at,
        summary=f"Meeting {index:02d}",
        stakeholders=[boss, report],
        next_steps=[
            NextStep(
                title=f"Proposal {index:02d}",
                due_date=business_date() + timedelta(days=index),
                owner_user=member,
            ),
            NextStep(
                title=f"Client data {index:02d}",
                due_date=business_date() + timedelta(days=index),
                owner_stakeholder=report,
            ),
        ],
    )
    commitment_complete(
        commitment=Commitment.objects.get(title=f"Proposal {index:02d}"), actor=member
    )
    qbr_hold(
        qbr=qbr_schedule(account=account, actor=owner, scheduled_on=business_date()),
        actor=owner,
        held_at=now - timedelta(minutes=30),
    )
    milestone_create(
        account=account,
        actor=owner,
        happened_on=business_date(),
        title=f"Milestone {index:02d}",
    )
    client_request = request_create(
        account=account,
        actor=owner,
        subject=f"Request {index:02d}",
        received_at=now - timedelta(hours=2),
        requester=boss,
    )
    request_resolve(client_request=client_request, at=now - timedelta(minutes=20), actor=owner)
    request_create(
        account=account,
        actor=owner,
        subject=f"Open request {index:02d}",
        received_at=now - timedelta(hours=3),
    )
    rating_set(
        account=account,
        actor=member,
        criterion=CRITERIA[index % len(CRITERIA)],
        score=1 + index % 5,
    )
    AccountFactory(name=f"Subsidiary {index:02d}", owner=owner, parent=account)
    RevenueRecordFactory(account=account, booked_on=business_date() - timedelta(days=20 * index))
    satisfaction_record(
        account=account,
        actor=owner,
        kind="nps",
        score=index % 11,
        recorded_on=business_date() - timedelta(days=index),
        stakeholder=boss,
    )
    tier_recommendation_review(
        account=account,
        actor=leader,
        accept=False,
        tier=tiers[index % len(tiers)],
        reason=f"Reason {index:02d}",
    )
    health_recompute(account_ids=[account.pk], day=business_date())
    # A playbook episode on the timeline (started and already over, so each unit has its own).
    firing = PlaybookFiring.objects.create(
        playbook=Playbook.objects.get_or_create(name="Recovery", trigger="qbr_overdue")[0],
        account=account,
        cleared_at=now,
    )
    timeline_record(
        account=account, kind=TimelineKind.PLAYBOOK_FIRED, occurred_at=now, playbook_firing=firing
    )


@pytest.fixture
def history_account(account, leader, config, now):
    parent = AccountFactory(name="Acme Holdings", owner=account.owner)
    account.parent = parent
    account.save()
    return account


@pytest.mark.parametrize(
    ("url_name", "queries"),
    [
        # 1 session, 2 user, 3 the account (+ owner, parent, tier, recommended tier),
        # 4 stakeholders (+ reports_to), 5 timeline entries (+ actor, interaction, logged_by,
        # commitment and its owners, stakeholder, milestone, QBR, playbook, request, the names
        # of the people at each interaction), between SET LOCAL join_collapse_limit and its
        # RESET (accounts.timeline: +2), 6 current scoring config, 7 revenue of this account,
        # 8 revenue of the same-currency portfolio (from the dashboard's summary rows, current
        # here: while an account's change has them out of date, +1, the accounts summed),
        # 9 latest rating per criterion (+ set_by),
        # 10 the latest health score (+ config, the trend's days and scores), 11 tier changes
        # (+ tiers, changed_by), 12 satisfaction answers (+ stakeholder), 13 team (the quick
        # log's next-step owners too), 14 subsidiaries, 15 quick log: the open requests it may
        # answer, 16 the active plan if its review is overdue, 17 the agreed items overdue or
        # due this week (+ owners), 18 the SLA card (the account's client requests counted per
        # window, one aggregate), 19 the next QBR planned (the tier card shows it instead of
        # the due date), 20 the upcoming planned meetings (+ owner), 21 unread notifications
        ("account_detail", 23),
        # 1 session, 2 user, 3 the account, 4 timeline entries (+ client request, the people at
        # each interaction, between SET LOCAL join_collapse_limit and its RESET: +2),
        # 5 stakeholders, 6 quick log: team for the next-step owners, 7 quick log: the open
        # requests, 8 unread notifications
        ("account_timeline", 10),
    ],
)
def test_account_pages_have_a_fixed_number_of_queries(
    client_for,
    kam_user,
    leader,
    history_account,
    now,
    url_name,
    queries,
    django_assert_num_queries,
):
    client = client_for(kam_user)
    url = reverse(url_name, args=[history_account.pk])
    _grow_account_history(history_account, leader, now, start=0, units=1)
    portfolio_slices_refresh()  # as the minute task keeps them
    client.get(url)  # warm-up

    with django_assert_num_queries(queries):
        small = client.get(url)
    assert len(small.context["entries"]) == 14
    assert len(small.context["stakeholders"]) == 3
    assert {entry.kind for entry in small.context["entries"]} == set(TimelineKind.values)

    _grow_account_history(history_account, leader, now, start=1, units=2)
    portfolio_slices_refresh()
    with django_assert_num_queries(queries):
        large = client.get(url)
    assert len(large.context["entries"]) == 20
    assert {entry.kind for entry in large.context["entries"]} == set(TimelineKind.values)
    assert len(large.context["stakeholders"]) == 9


@pytest.mark.parametrize("inside_a_transaction", [True, False])
@pytest.mark.django_db(transaction=True)
def test_the_timeline_join_order_setting_does_not_outlive_its_statement(
    history_account, leader, now, inside_a_transaction
):
    """timeline_page plans its statement with join_collapse_limit = 1; the statements after
    it, in the caller's transaction or not, plan as usual."""
    _grow_account_history(history_account, leader, now, start=0, units=1)

    def setting() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW join_collapse_limit")
            return cursor.fetchone()[0]

    default = setting()
    if inside_a_transaction:
        with transaction.atomic():
            entries, _cursor = timeline_page(history_account)
            assert setting() == default
    else:
        entries, _cursor = timeline_page(history_account)
    assert entries and setting() == default == "8"
