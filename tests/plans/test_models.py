"""Facts about one row, and the rules the database enforces whatever the code path."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from plans.models import AccountPlan, Objective, Opportunity
from tests.plans.factories import (
    AccountPlanFactory,
    ActionFactory,
    HypothesisFactory,
    ObjectiveFactory,
    OpportunityFactory,
    ProductFactory,
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


# A row breaking a check constraint on a value a person types, and the field its refusal is
# said on: every form, the admin and full_clean word it on that field, never by the
# constraint's name ("Constraint “hypothesis_values_not_negative” is violated.").
BROKEN_ROWS = {
    "hypothesis_values_not_negative (expected)": (
        lambda plan: HypothesisFactory.build(
            objective=ObjectiveFactory(plan=plan), expected_value=Decimal(-100)
        ),
        "expected_value",
    ),
    "hypothesis_values_not_negative (realised)": (
        lambda plan: HypothesisFactory.build(
            objective=ObjectiveFactory(plan=plan), realised_value=Decimal(-1)
        ),
        "realised_value",
    ),
    "product_price_not_negative": (
        lambda plan: ProductFactory.build(list_price=Decimal(-1)),
        "list_price",
    ),
    "opportunity_amount_not_neg": (
        lambda plan: OpportunityFactory.build(plan=plan, amount=Decimal(-1)),
        "amount",
    ),
    "opportunity_probability_0_to_100": (
        lambda plan: OpportunityFactory.build(plan=plan, probability=101),
        "probability",
    ),
    "risk_severity_1_to_5": (lambda plan: RiskFactory.build(plan=plan, severity=6), "severity"),
    "risk_likelihood_1_to_5": (
        lambda plan: RiskFactory.build(plan=plan, likelihood=0),
        "likelihood",
    ),
    "objective_target_differs_from_baseline": (
        lambda plan: ObjectiveFactory.build(plan=plan, baseline=Decimal(5), target=Decimal(5)),
        "target",
    ),
    "plan_period_ordered": (
        lambda plan: AccountPlanFactory.build(
            account=plan.account,
            status="draft",
            period_start=date(2026, 6, 1),
            period_end=date(2026, 1, 1),
        ),
        "period_end",
    ),
}


@pytest.mark.parametrize(("make", "field"), BROKEN_ROWS.values(), ids=BROKEN_ROWS.keys())
def test_a_broken_value_rule_is_said_on_its_field_in_words(plan, make, field):
    row = make(plan)
    with pytest.raises(ValidationError) as refused:
        row.full_clean()
    errors = refused.value.message_dict
    assert list(errors) == [field]
    assert not any("Constraint" in message for message in errors[field])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda plan: HypothesisFactory.build(
                objective=ObjectiveFactory(plan=plan), expected_value=Decimal(-1)
            ),
            "The expected and realised values must be 0 or more.",
        ),
        (
            lambda plan: ProductFactory.build(list_price=Decimal(-1)),
            "The list price must be 0 or more.",
        ),
    ],
    ids=["hypothesis", "product"],
)
def test_the_not_negative_constraints_name_their_fields_wherever_they_are_checked(
    plan, make, message
):
    """Checked alone (as the API checks a row before writing it: api.serializers.check_row),
    the constraint says which values, not its name."""
    row = make(plan)
    with pytest.raises(ValidationError) as refused:
        row.validate_constraints()
    assert refused.value.messages == [message]


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
