"""SLA compliance: one rule (activities.models outcome expressions and ClientRequest methods),
read in bulk by insights.sla per account, tier and KAM in one query each."""

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Tier
from accounts.services import scoring_defaults_ensure
from activities.models import ClientRequest, SlaOutcome
from insights.sla import (
    Compliance,
    account_sla,
    breached_requests,
    sla_breakdown,
    sla_compliance,
    sla_compliance_by_account,
    sla_compliance_by_kam,
    sla_compliance_by_tier,
    sla_compliance_windows,
)
from kam.models import Role
from tests.factories import AccountFactory, UserFactory
from tests.insights.sla_data import make_request

SP = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=SP)

# (received days before NOW, response due h, answered after h or None, resolution due h,
# resolved after h or None)
request_rows = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=100),
        st.integers(min_value=1, max_value=30),
        st.one_of(st.none(), st.integers(min_value=0, max_value=40)),
        st.integers(min_value=1, max_value=60),
        st.one_of(st.none(), st.integers(min_value=0, max_value=70)),
    ),
    max_size=8,
)
rule_settings = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _make_rows(account, rows) -> list[ClientRequest]:
    ClientRequest.objects.all().delete()
    made = []
    for days_ago, response_due, answered, resolution_due, resolved in rows:
        received = NOW - timedelta(days=days_ago, hours=1)
        # Nothing is answered after NOW: the clock cannot read the future.
        answered = (
            answered if answered is None or received + timedelta(hours=answered) <= NOW else None
        )
        resolved = (
            resolved if resolved is None or received + timedelta(hours=resolved) <= NOW else None
        )
        made.append(
            make_request(
                account,
                received_at=received,
                response_due_h=response_due,
                response_after_h=answered,
                resolution_due_h=resolution_due,
                resolved_after_h=resolved,
            )
        )
    return made


def _expected(made, days, clock) -> tuple[Compliance, Compliance]:
    window = [r for r in made if r.received_within(NOW, days)]
    first = Counter(r.first_response_outcome(clock) for r in window)
    resolution = Counter(r.resolution_outcome(clock) for r in window)
    return (
        Compliance(first[SlaOutcome.MET], first[SlaOutcome.MISSED], first[SlaOutcome.PENDING]),
        Compliance(
            resolution[SlaOutcome.MET],
            resolution[SlaOutcome.MISSED],
            resolution[SlaOutcome.PENDING],
        ),
    )


@rule_settings
@given(rows=request_rows)
def test_outcome_annotation_and_window_agree_with_the_row_answers(account, rows):
    made = {r.pk: r for r in _make_rows(account, rows)}
    for row in ClientRequest.objects.with_sla_outcomes(NOW):
        assert row.first_response_outcome == made[row.pk].first_response_outcome(NOW)
        assert row.resolution_outcome == made[row.pk].resolution_outcome(NOW)
    for days in (30, 90):
        assert set(
            ClientRequest.objects.received_within(NOW, days).values_list("pk", flat=True)
        ) == {pk for pk, r in made.items() if r.received_within(NOW, days)}


@rule_settings
@given(rows=request_rows)
def test_compliance_counts_agree_with_the_row_answers(account, rows):
    made = _make_rows(account, rows)
    for days in (30, 90):
        result = sla_compliance(ClientRequest.objects.all(), NOW, days=days)
        first, resolution = _expected(made, days, NOW)
        assert result.first_response == first
        assert result.resolution == resolution
        assert result.requests == sum(1 for r in made if r.received_within(NOW, days))
        # The per-account reader gives the same figures.
        by_account = sla_compliance_by_account(ClientRequest.objects.all(), NOW, [days])
        assert by_account.get(account.pk, {}).get(days, result) == result


def test_met_missed_and_pending_follow_the_due_moment(account):
    received = NOW - timedelta(hours=10)
    make_request(account, received_at=received, response_due_h=4, response_after_h=4)  # met at due
    make_request(account, received_at=received, response_due_h=4, response_after_h=5)  # late
    make_request(account, received_at=received, response_due_h=4)  # unanswered, past due
    make_request(account, received_at=received, response_due_h=20)  # unanswered, in target
    result = sla_compliance(ClientRequest.objects.all(), NOW, days=30)
    assert result.first_response == Compliance(met=1, missed=2, pending=1)
    assert result.first_response.pct == pytest.approx(33.3)
    # Nothing resolved, and every resolution still inside its 24 hours: nothing counted.
    assert result.resolution == Compliance(met=0, missed=0, pending=4)
    assert result.resolution.pct is None


def test_the_window_counts_requests_received_in_the_last_n_days(account):
    make_request(account, received_at=NOW - timedelta(days=10), response_after_h=1)
    make_request(account, received_at=NOW - timedelta(days=60), response_after_h=9)
    make_request(account, received_at=NOW - timedelta(days=95), response_after_h=1)
    windows = sla_compliance_windows(ClientRequest.objects.all(), NOW)
    assert windows[30].first_response == Compliance(met=1, missed=0, pending=0)
    assert windows[90].first_response == Compliance(met=1, missed=1, pending=0)
    assert windows[90].first_response.pct == 50.0


def test_nothing_received_means_no_percentage(account):
    result = sla_compliance(ClientRequest.objects.all(), NOW)
    assert result.requests == 0
    assert result.first_response.pct is None
    assert result.resolution.pct is None


@pytest.fixture
def portfolio_requests(db):
    """Two KAMs; strategic and key accounts; a known spread of outcomes."""
    scoring_defaults_ensure()
    strategic, key = Tier.objects.get(key="strategic"), Tier.objects.get(key="key")
    ana = UserFactory(full_name="Ana KAM", role=Role.KAM)
    bruno = UserFactory(full_name="Bruno KAM", role=Role.KAM)
    accounts = {
        "ana_strategic": AccountFactory(owner=ana, tier=strategic),
        "ana_key": AccountFactory(owner=ana, tier=key),
        "bruno_strategic": AccountFactory(owner=bruno, tier=strategic),
        "bruno_none": AccountFactory(owner=bruno, tier=None),
    }
    day = timedelta(days=1)
    plan = {
        # name: [(days ago, answered after h)] with a 4 h first-response target
        "ana_strategic": [(2, 1), (3, 2), (40, 8)],
        "ana_key": [(5, 9)],
        "bruno_strategic": [(1, 3), (70, 1)],
        "bruno_none": [(10, None)],
    }
    for name, rows in plan.items():
        for days_ago, answered in rows:
            make_request(
                accounts[name], received_at=NOW - days_ago * day, response_after_h=answered
            )
    return {"ana": ana, "bruno": bruno, "strategic": strategic, "key": key, **accounts}


def test_compliance_by_tier_and_by_kam_in_one_query_each(
    portfolio_requests, django_assert_num_queries
):
    p = portfolio_requests
    requests = ClientRequest.objects.all()
    with django_assert_num_queries(1):
        by_tier = sla_compliance_by_tier(requests, NOW)
    assert by_tier[p["strategic"].pk][30].first_response == Compliance(3, 0, 0)
    assert by_tier[p["strategic"].pk][90].first_response == Compliance(4, 1, 0)
    assert by_tier[p["key"].pk][30].first_response == Compliance(0, 1, 0)
    assert by_tier[None][30].first_response == Compliance(0, 1, 0)  # unanswered, past due
    with django_assert_num_queries(1):
        by_kam = sla_compliance_by_kam(requests, NOW)
    assert by_kam[p["ana"].pk][30].first_response == Compliance(2, 1, 0)
    assert by_kam[p["ana"].pk][90].first_response.pct == 50.0
    assert by_kam[p["bruno"].pk][90].first_response == Compliance(2, 1, 0)
    with django_assert_num_queries(1):
        by_account = sla_compliance_by_account(requests, NOW)
    assert by_account[p["ana_key"].pk][90].requests == 1


def test_the_breakdown_sums_to_the_same_figures_in_one_query(
    portfolio_requests, django_assert_num_queries
):
    requests = ClientRequest.objects.all()
    with django_assert_num_queries(1):
        breakdown = sla_breakdown(requests, NOW)
    assert breakdown.by_tier == sla_compliance_by_tier(requests, NOW)
    assert breakdown.by_kam == sla_compliance_by_kam(requests, NOW)
    assert breakdown.kam_names[portfolio_requests["ana"].pk] == "Ana KAM"


def test_more_requests_cost_no_more_queries(portfolio_requests, django_assert_num_queries):
    for index in range(20):
        make_request(portfolio_requests["bruno_none"], received_at=NOW - timedelta(days=index % 80))
    with django_assert_num_queries(1):
        sla_breakdown(ClientRequest.objects.all(), NOW)


def test_account_card_counts_open_requests_breached_now_whenever_received(account):
    make_request(account, received_at=NOW - timedelta(days=200))  # open, breached, old
    make_request(account, received_at=NOW - timedelta(hours=2))  # open, inside its target
    make_request(account, received_at=NOW - timedelta(days=5), resolved_after_h=30)  # late, closed
    card = account_sla(account, NOW)
    assert card.open_requests == 2
    assert card.open_breached == 1
    assert card.windows[30].requests == 2
    assert card.windows[30].resolution == Compliance(met=0, missed=1, pending=1)
    assert card.windows[90].first_response == Compliance(met=0, missed=1, pending=1)


def test_breached_requests_since_a_moment(account):
    late = make_request(account, received_at=NOW - timedelta(days=5), response_after_h=6)
    make_request(
        account, received_at=NOW - timedelta(days=5), response_after_h=1, resolved_after_h=2
    )
    make_request(account, received_at=NOW - timedelta(days=50), response_after_h=6)
    rows = breached_requests(ClientRequest.objects.all(), NOW, since=NOW - timedelta(days=30))
    assert rows == [late]
