"""Facts about one row, and the rules the database enforces whatever the code path."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from plans.models import AccountPlan, Objective, Opportunity
from tests.plans.factories import (
    AccountPlanFactory,
    ActionFactory,
    ObjectiveFactory,
    OpportunityFactory,
    RiskFactory,
)


def test_the_database_refuses_a_second_active_plan_for_one_account(plan):
    with pytest.raises(IntegrityError, match="plan_one_active_per_account"), transaction.atomic():
        AccountPlan.objects.create(
            account=plan.account,
            title="Rogue",
            period_start=date(2027, 1, 1),
            period_end=date(2027, 12, 31),
            status="active",
        )


def test_the_database_allows_many_draft_and_archived_plans_beside_the_active_one(plan):
    for status in ("draft", "draft", "archived", "archived"):
        AccountPlanFactory(account=plan.account, status=status)
    assert plan.account.plans.count() == 5


def test_active_plans_of_different_accounts_do_not_clash(plan):
    AccountPlanFactory(status="active")
    assert AccountPlan.objects.filter(status="active").count() == 2


def test_the_database_refuses_an_objective_whose_target_equals_its_baseline(plan):
    with pytest.raises(IntegrityError, match="objective_target_differs"), transaction.atomic():
        ObjectiveFactory(plan=plan, baseline=Decimal("10"), target=Decimal("10"))


@pytest.mark.parametrize("probability", [101, 250])
def test_the_database_refuses_a_probability_above_100(plan, probability):
    with pytest.raises(IntegrityError, match="opportunity_probability"), transaction.atomic():
        OpportunityFactory(plan=plan, probability=probability)


def test_the_database_refuses_a_period_that_ends_before_it_starts(account):
    with pytest.raises(IntegrityError, match="plan_period_ordered"), transaction.atomic():
        AccountPlanFactory(
            account=account, period_start=date(2026, 6, 1), period_end=date(2026, 1, 1)
        )


def test_the_database_refuses_an_action_linked_to_two_things(plan):
    objective = ObjectiveFactory(plan=plan)
    risk = RiskFactory(plan=plan)
    with pytest.raises(IntegrityError, match="commitment_links_at_most_one"), transaction.atomic():
        ActionFactory(plan=plan, objective=objective, risk=risk)


@pytest.mark.parametrize(
    ("amount", "probability", "weighted"),
    [
        ("50000", 40, "20000.00"),
        ("999.99", 33, "330.00"),
        ("100", 0, "0.00"),
        ("100", 100, "100.00"),
    ],
)
def test_weighted_value_is_amount_times_probability(amount, probability, weighted):
    opportunity = Opportunity(amount=Decimal(amount), probability=probability)
    assert opportunity.weighted_value == Decimal(weighted)


@pytest.mark.parametrize(
    ("baseline", "target", "current", "gap", "progress"),
    [
        ("40", "20", "30", "-10", 50),  # lowering downtime: halfway
        ("40", "20", None, "-20", 0),  # not measured yet: counted from the baseline
        ("100", "200", "250", "-50", 100),  # beyond the target: capped
        ("100", "200", "150", "50", 50),
    ],
)
def test_objective_gap_and_progress(baseline, target, current, gap, progress):
    objective = Objective(
        baseline=Decimal(baseline),
        target=Decimal(target),
        current_value=Decimal(current) if current else None,
    )
    assert objective.gap == Decimal(gap)
    assert objective.progress_pct == progress


def _plan_reviewed(days_ago: int | None, status: str = "active") -> AccountPlan:
    today = date(2026, 3, 10)
    created = timezone.make_aware(datetime(2025, 1, 1, 12))
    reviewed = (
        None
        if days_ago is None
        else timezone.make_aware(
            datetime.combine(today - timedelta(days=days_ago), datetime.min.time())
        )
        + timedelta(hours=12)
    )
    return AccountPlan(status=status, created_at=created, last_reviewed_at=reviewed)


@pytest.mark.parametrize(
    ("days_ago", "status", "stale"),
    [
        (89, "active", False),
        (90, "active", True),
        (200, "active", True),
        (None, "active", True),  # never reviewed, made more than 90 days ago
        (200, "draft", False),  # only the active plan is held to the rhythm
        (200, "archived", False),
    ],
)
def test_a_plan_is_stale_when_active_and_not_reviewed_for_90_days(days_ago, status, stale):
    assert _plan_reviewed(days_ago, status).is_stale(date(2026, 3, 10)) is stale


def test_next_period_follows_the_plan_with_the_same_length():
    plan = AccountPlan(period_start=date(2026, 1, 1), period_end=date(2026, 12, 31))
    assert plan.next_period() == (date(2027, 1, 1), date(2027, 12, 31))
