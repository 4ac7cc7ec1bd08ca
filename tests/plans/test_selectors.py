"""Reads: access through the account, progress figures, stale plans, and the contracts the
QBR prep pack and the health score rely on."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.http import Http404
from django.utils import timezone

from accounts.models import Account
from plans import services
from plans.models import AccountPlan
from plans.selectors import (
    account_stale_plan,
    get_plan_for_user,
    open_high_risk_counts,
    plan_progress,
    qbr_plan_summary,
    stale_plans,
)
from tests.factories import AccountFactory
from tests.plans.factories import (
    AccountPlanFactory,
    ActionFactory,
    HypothesisFactory,
    ObjectiveFactory,
    OpportunityFactory,
    RiskFactory,
)

TODAY = date(2026, 3, 10)


@pytest.mark.parametrize("persona", ["kam_user", "team_member", "leader", "admin_user"])
def test_get_plan_for_user_returns_the_plan_to_whoever_sees_the_account(request, plan, persona):
    assert get_plan_for_user(request.getfixturevalue(persona), plan.pk) == plan


def test_get_plan_for_user_is_404_for_an_outsider(plan, outsider):
    with pytest.raises(Http404):
        get_plan_for_user(outsider, plan.pk)


def test_plan_progress_counts_objectives_actions_value_and_pipeline(plan):
    for status in ("on_track", "achieved", "at_risk", "off_track"):
        ObjectiveFactory(plan=plan, status=status)
    ActionFactory(plan=plan, due_date=TODAY - timedelta(days=1))  # overdue
    ActionFactory(plan=plan, due_date=TODAY)  # due today: not overdue yet
    ActionFactory(plan=plan, due_date=TODAY - timedelta(days=9), status="done")
    objective = ObjectiveFactory(plan=plan)
    HypothesisFactory(objective=objective, expected_value=Decimal(100), realised_value=Decimal(30))
    HypothesisFactory(objective=objective, expected_value=Decimal(50), realised_value=Decimal(20))
    HypothesisFactory(objective=objective, currency="USD", expected_value=Decimal(10),
                      realised_value=Decimal(0))  # fmt: skip
    OpportunityFactory(plan=plan, amount=Decimal(1000), probability=50)
    OpportunityFactory(plan=plan, amount=Decimal(1000), probability=100, stage="won")

    progress = plan_progress(plan, TODAY)

    assert (progress.objectives_on_track, progress.objectives_total) == (3, 5)
    assert (progress.actions_overdue, progress.actions_open) == (1, 2)
    assert progress.realised_value == {"BRL": Decimal(50), "USD": Decimal(0)}
    assert progress.expected_value == {"BRL": Decimal(150), "USD": Decimal(10)}
    assert progress.weighted_pipeline == {"BRL": Decimal(500)}
    assert progress.value_rows[0] == ("BRL", Decimal(50), Decimal(150), 33)


def _reviewed(plan, days_ago: int) -> None:
    moment = timezone.make_aware(datetime(2026, 3, 10, 12)) - timedelta(days=days_ago)
    type(plan).objects.filter(pk=plan.pk).update(last_reviewed_at=moment)


def test_stale_plans_lists_active_plans_not_reviewed_for_90_days(kam_user, now):
    fresh, borderline, stale = (AccountPlanFactory(account__owner=kam_user) for _ in range(3))
    _reviewed(fresh, 10)
    _reviewed(borderline, 89)
    _reviewed(stale, 90)
    draft = AccountPlanFactory(account__owner=kam_user, status="draft")
    _reviewed(draft, 300)
    with time_machine.travel(datetime(2025, 11, 1, 12, tzinfo=timezone.get_current_timezone())):
        never_reviewed_old = AccountPlanFactory(account__owner=kam_user)
    never_reviewed_new = AccountPlanFactory(account__owner=kam_user)

    result = list(stale_plans(Account.objects.all(), TODAY))

    assert set(result) == {stale, never_reviewed_old}
    assert never_reviewed_new not in result
    # The selector agrees with the model's own flag.
    for plan in (fresh, borderline, stale, never_reviewed_old, never_reviewed_new):
        plan.refresh_from_db()
        assert plan.is_stale(TODAY) is (plan in result)
        # The account page's banner reads the same rule, one account at a time.
        assert account_stale_plan(plan.account, TODAY) == (plan if plan in result else None)
    assert account_stale_plan(draft.account, TODAY) is None


def test_a_plan_reviewed_late_in_the_evening_is_stale_on_the_same_day_on_every_page(plan):
    """Plan.reviewed_on (the plan page) and stale_plans (the lists, the account banner) count
    from the same day: the review at 22:30 in São Paulo, 10:30 the next day in Tokyo."""
    sao_paulo = ZoneInfo("America/Sao_Paulo")
    reviewed = datetime(2026, 3, 10, 22, 30, tzinfo=sao_paulo)
    AccountPlan.objects.filter(pk=plan.pk).update(last_reviewed_at=reviewed)
    plan.refresh_from_db()
    with timezone.override(ZoneInfo("Asia/Tokyo")):
        assert plan.reviewed_on() == TODAY
        for days in (89, 90, 91):
            today = TODAY + timedelta(days=days)
            listed = stale_plans(Account.objects.all(), today).filter(pk=plan.pk).exists()
            assert plan.is_stale(today) is listed is (days >= 90), days


def test_stale_plans_only_covers_the_accounts_given(kam_user, now):
    mine = AccountPlanFactory(account__owner=kam_user)
    other = AccountPlanFactory()
    _reviewed(mine, 100)
    _reviewed(other, 100)
    assert list(stale_plans(Account.objects.filter(owner=kam_user), TODAY)) == [mine]


def test_qbr_plan_summary_gives_objectives_with_gaps_open_risks_and_open_opportunities(
    plan, kam_user
):
    objective = ObjectiveFactory(plan=plan, baseline=Decimal(40), target=Decimal(20),
                                 current_value=Decimal(26))  # fmt: skip
    unmeasured = ObjectiveFactory(plan=plan, baseline=Decimal(100), target=Decimal(150),
                                  current_value=None)  # fmt: skip
    small = RiskFactory(plan=plan, severity=2, likelihood=2)
    big = RiskFactory(plan=plan, severity=5, likelihood=4)
    RiskFactory(plan=plan, severity=5, likelihood=5, status="closed")
    open_opp = OpportunityFactory(plan=plan, stage="negotiation")
    OpportunityFactory(plan=plan, stage="lost")
    services.plan_mark_reviewed(plan=plan, actor=kam_user)

    summary = qbr_plan_summary(plan.account, since_date=date(2026, 3, 1))

    assert summary["plan"] == plan
    gaps = {o.pk: o.gap for o in summary["objectives"]}
    assert gaps == {objective.pk: Decimal(-6), unmeasured.pk: Decimal(50)}
    assert summary["open_risks"] == [big, small]
    assert summary["open_opportunities"] == [open_opp]
    assert [c.verb for c in summary["changes_since"]] == ["reviewed", "created"]


def test_qbr_plan_summary_without_an_active_plan_is_empty(account):
    AccountPlanFactory(account=account, status="draft")
    assert qbr_plan_summary(account, since_date=date(2026, 1, 1)) == {
        "plan": None,
        "objectives": [],
        "open_risks": [],
        "open_opportunities": [],
        "changes_since": [],
    }


def test_open_high_risk_counts_counts_open_severe_risks_of_active_plans_only(
    plan, django_assert_num_queries
):
    RiskFactory(plan=plan, severity=4)
    RiskFactory(plan=plan, severity=5)
    RiskFactory(plan=plan, severity=3)  # not high
    RiskFactory(plan=plan, severity=5, status="mitigated")  # not open
    calm = AccountPlanFactory()
    RiskFactory(plan=calm, severity=2)
    draft_only = AccountPlanFactory(status="draft")
    RiskFactory(plan=draft_only, severity=5)
    no_plan = AccountFactory()

    ids = [plan.account_id, calm.account_id, draft_only.account_id, no_plan.pk]
    with django_assert_num_queries(1):
        counts = open_high_risk_counts(ids)

    # Accounts without an active plan are absent: their risk input is unknown, not zero.
    assert counts == {plan.account_id: 2, calm.account_id: 0}
