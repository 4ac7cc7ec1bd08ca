"""Writes to plans: the rules people hit (field-level messages), history and versions, the
one-active-plan rule, optimistic locking, carrying a plan into the next period."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from activities.models import Commitment as Action
from kam.models import Role
from plans import services
from plans.models import (
    AccountPlan,
    Objective,
    Opportunity,
    PlanChange,
    Risk,
    ValueHypothesis,
    WhitespaceCell,
)
from tests.factories import AccountFactory, UserFactory
from tests.plans.factories import AccountPlanFactory


def _field_errors(excinfo) -> dict:
    return excinfo.value.message_dict


def test_plan_create_records_the_creation_in_the_history(plan, kam_user):
    change = PlanChange.objects.get(plan=plan)
    assert (change.verb, change.entity, change.user, change.version) == (
        "created",
        "plan",
        kam_user,
        1,
    )


def test_plan_create_refuses_a_second_active_plan_on_the_status_field(plan, kam_user):
    with pytest.raises(ValidationError) as excinfo:
        services.plan_create(
            account=plan.account,
            actor=kam_user,
            status="active",
            title="Another",
            period_start=date(2027, 1, 1),
            period_end=date(2027, 12, 31),
        )
    assert "Acme 2026" in _field_errors(excinfo)["status"][0]
    assert plan.account.plans.count() == 1


def test_plan_create_refuses_a_period_ending_before_it_starts(account, kam_user):
    with pytest.raises(ValidationError) as excinfo:
        services.plan_create(
            account=account,
            actor=kam_user,
            title="Backwards",
            period_start=date(2026, 6, 1),
            period_end=date(2026, 1, 1),
        )
    assert "period_end" in _field_errors(excinfo)
    assert not AccountPlan.objects.exists()


def test_plan_activate_refuses_a_second_active_plan_and_archives_nothing(plan, kam_user):
    draft = AccountPlanFactory(account=plan.account, status="draft", period_start=date(2027, 1, 1),
                               period_end=date(2027, 12, 31))  # fmt: skip
    with pytest.raises(ValidationError) as excinfo:
        services.plan_activate(plan=draft, actor=kam_user)
    assert "status" in _field_errors(excinfo)
    plan.refresh_from_db()
    draft.refresh_from_db()
    assert (plan.status, draft.status) == ("active", "draft")


def test_plan_activate_succeeds_once_the_active_plan_is_archived(plan, kam_user):
    draft = AccountPlanFactory(account=plan.account, status="draft")
    services.plan_archive(plan=plan, actor=kam_user)
    services.plan_activate(plan=draft, actor=kam_user)
    assert AccountPlan.objects.get(account=plan.account, status="active") == draft
    assert PlanChange.objects.filter(plan=draft, verb="activated").exists()


def test_plan_update_saves_bumps_the_version_and_records_before_and_after(plan, team_member):
    updated = services.plan_update(
        plan=plan, expected_version=1, actor=team_member, swot_threats="New competitor"
    )
    assert updated.version == 2
    change = PlanChange.objects.filter(plan=plan).first()
    assert change.user == team_member
    assert change.version == 2
    assert change.changes == [
        {"entity": "plan", "field": "swot_threats", "before": "", "after": "New competitor"}
    ]


def test_plan_update_at_an_old_version_writes_nothing_and_carries_the_current_plan(
    plan, kam_user, team_member
):
    services.plan_update(plan=plan, expected_version=1, actor=kam_user, title="Theirs")
    with pytest.raises(services.StalePlanEdit) as excinfo:
        services.plan_update(plan=plan, expected_version=1, actor=team_member, title="Mine")
    assert excinfo.value.current.title == "Theirs"
    assert excinfo.value.current.version == 2
    plan.refresh_from_db()
    assert plan.title == "Theirs"


def test_plan_update_without_a_change_records_nothing(plan, kam_user):
    services.plan_update(plan=plan, expected_version=1, actor=kam_user, title=plan.title)
    plan.refresh_from_db()
    assert plan.version == 1
    assert PlanChange.objects.filter(plan=plan).count() == 1


def test_plan_mark_reviewed_stamps_who_and_when(plan, team_member, now):
    services.plan_mark_reviewed(plan=plan, actor=team_member)
    plan.refresh_from_db()
    assert (plan.last_reviewed_at, plan.reviewed_by) == (now, team_member)
    assert PlanChange.objects.filter(plan=plan, verb="reviewed").exists()


# --- plan rows --------------------------------------------------------------------------------


def test_objective_create_refuses_a_target_equal_to_the_baseline(plan, kam_user):
    with pytest.raises(ValidationError) as excinfo:
        services.objective_create(
            plan=plan, actor=kam_user, description="Flat", metric="m",
            baseline=Decimal("5"), target=Decimal("5.00"),
        )  # fmt: skip
    assert "target" in _field_errors(excinfo)
    assert not Objective.objects.exists()


@pytest.mark.parametrize("probability", [-1, 101])
def test_opportunity_create_refuses_a_probability_outside_0_to_100(plan, kam_user, probability):
    with pytest.raises(ValidationError) as excinfo:
        services.opportunity_create(
            plan=plan, actor=kam_user, title="Upsell", amount=Decimal("1000"),
            probability=probability, owner=kam_user,
        )  # fmt: skip
    assert "probability" in _field_errors(excinfo)
    assert not Opportunity.objects.exists()


@pytest.mark.parametrize(
    ("service", "fields"),
    [
        (services.action_create, {"title": "Call", "due_date": date(2026, 4, 1)}),
        (services.risk_create, {"title": "Budget cut", "severity": 4, "likelihood": 2}),
        (services.opportunity_create, {"title": "Upsell", "amount": Decimal("10"),
                                       "probability": 10}),
    ],
)  # fmt: skip
def test_an_owner_off_the_account_team_is_refused_on_the_owner_field(
    plan, kam_user, outsider, service, fields
):
    # A plan action is an agreed item: its owner field is owner_user (ours).
    owner = "owner_user" if service is services.action_create else "owner"
    with pytest.raises(ValidationError) as excinfo:
        service(plan=plan, actor=kam_user, **{owner: outsider}, **fields)
    assert "Oscar Outsider" in _field_errors(excinfo)[owner][0]
    assert not (Action.objects.exists() or Risk.objects.exists() or Opportunity.objects.exists())


def test_a_leader_is_not_an_eligible_owner_unless_on_the_team(plan, kam_user, leader):
    with pytest.raises(ValidationError):
        services.action_create(
            plan=plan,
            actor=leader,
            title="Sponsor call",
            owner_user=leader,
            due_date=date(2026, 4, 1),
        )
    plan.account.team.add(leader)
    action = services.action_create(
        plan=plan, actor=leader, title="Sponsor call", owner_user=leader, due_date=date(2026, 4, 1)
    )
    assert action.owner == leader


def test_the_account_owner_and_team_members_may_own_rows(plan, kam_user, team_member):
    services.action_create(
        plan=plan, actor=kam_user, title="A", owner_user=kam_user, due_date=date(2026, 4, 1)
    )
    services.risk_create(plan=plan, actor=kam_user, title="R", owner=team_member, severity=5,
                         likelihood=5)  # fmt: skip
    assert Action.objects.count() == Risk.objects.count() == 1


def test_an_update_that_breaks_a_rule_leaves_the_row_as_it_was(objective, kam_user):
    with pytest.raises(ValidationError) as excinfo:
        services.objective_update(objective=objective, actor=kam_user, target=Decimal("40"))
    assert "target" in _field_errors(excinfo)
    objective.refresh_from_db()
    assert objective.target == Decimal("20")


def test_links_must_point_inside_the_same_plan(plan, kam_user):
    other_plan = AccountPlanFactory(account=plan.account, status="draft")
    foreign = services.objective_create(
        plan=other_plan, actor=kam_user, description="Elsewhere", metric="m",
        baseline=Decimal(1), target=Decimal(2),
    )  # fmt: skip
    with pytest.raises(ValidationError) as excinfo:
        services.hypothesis_create(
            plan=plan, actor=kam_user, objective=foreign, hypothesis="h",
            expected_value=Decimal(1),
        )  # fmt: skip
    assert "objective" in _field_errors(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        services.action_create(
            plan=plan, actor=kam_user, title="a", owner_user=kam_user, due_date=date(2026, 4, 1),
            objective=foreign,
        )  # fmt: skip
    assert "objective" in _field_errors(excinfo)


def test_every_row_change_records_a_plan_change_and_bumps_the_version(plan, kam_user, objective):
    assert plan.version == 2  # the objective's creation
    risk = services.risk_create(
        plan=plan, actor=kam_user, title="Budget cut", owner=kam_user, severity=4, likelihood=3
    )
    services.risk_update(risk=risk, actor=kam_user, status="mitigated")
    services.risk_delete(risk=risk, actor=kam_user)
    plan.refresh_from_db()
    assert plan.version == 5
    verbs = list(
        PlanChange.objects.filter(plan=plan).order_by("pk").values_list("verb", "entity", "version")
    )
    assert verbs == [
        ("created", "plan", 1),
        ("created", "objective", 2),
        ("created", "risk", 3),
        ("updated", "risk", 4),
        ("deleted", "risk", 5),
    ]
    update = PlanChange.objects.get(plan=plan, verb="updated")
    assert update.changes == [
        {"entity": "risk", "field": "status", "before": "open", "after": "mitigated"}
    ]


def test_a_row_update_at_an_old_row_version_is_refused(objective, kam_user, team_member):
    services.objective_update(
        objective=objective, actor=kam_user, expected_version=1, current_value=Decimal("25")
    )
    with pytest.raises(services.StaleEdit) as excinfo:
        services.objective_update(
            objective=objective, actor=team_member, expected_version=1, current_value=Decimal("28")
        )
    assert excinfo.value.current.current_value == Decimal("25")


def test_archived_plans_refuse_row_changes(plan, kam_user):
    services.plan_archive(plan=plan, actor=kam_user)
    plan.refresh_from_db()
    with pytest.raises(ValidationError):
        services.action_create(
            plan=plan, actor=kam_user, title="Late", owner_user=kam_user, due_date=date(2026, 4, 1)
        )


def test_a_failed_multi_row_write_leaves_nothing(plan, kam_user, objective, monkeypatch):
    """plan_start_next_period writes a plan, its rows and a history row: a failure half-way
    rolls everything back."""

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Risk.objects, "bulk_create", explode)
    services.risk_create(plan=plan, actor=kam_user, title="R", owner=kam_user, severity=2,
                         likelihood=2)  # fmt: skip
    plans_before = AccountPlan.objects.count()
    objectives_before = Objective.objects.count()
    changes_before = PlanChange.objects.count()
    with pytest.raises(RuntimeError):
        services.plan_start_next_period(plan=plan, actor=kam_user)
    assert AccountPlan.objects.count() == plans_before
    assert Objective.objects.count() == objectives_before
    assert PlanChange.objects.count() == changes_before


# --- next period ------------------------------------------------------------------------------


def test_start_next_period_copies_the_plan_into_a_draft(plan, kam_user, team_member, objective):
    hypothesis = services.hypothesis_create(
        plan=plan, actor=kam_user, objective=objective, hypothesis="Sensors on line 2",
        expected_value=Decimal("120000"), realised_value=Decimal("30000"),
    )  # fmt: skip
    risk = services.risk_create(plan=plan, actor=kam_user, title="Budget cut", owner=team_member,
                                severity=4, likelihood=3)  # fmt: skip
    open_opp = services.opportunity_create(
        plan=plan, actor=kam_user, title="Line 3 rollout", amount=Decimal("90000"),
        probability=60, owner=kam_user, stage="proposal",
    )  # fmt: skip
    services.opportunity_create(
        plan=plan, actor=kam_user, title="Won deal", amount=Decimal("1"), probability=100,
        owner=kam_user, stage="won",
    )  # fmt: skip
    services.action_create(plan=plan, actor=kam_user, title="Open for opp", owner_user=kam_user,
                           due_date=date(2026, 5, 1), opportunity=open_opp)  # fmt: skip
    services.action_create(plan=plan, actor=kam_user, title="Open for risk", owner_user=team_member,
                           due_date=date(2026, 5, 1), risk=risk)  # fmt: skip
    services.action_create(plan=plan, actor=kam_user, title="Done already", owner_user=kam_user,
                           due_date=date(2026, 2, 1), status="done")  # fmt: skip

    new = services.plan_start_next_period(plan=plan, actor=kam_user)

    assert (new.status, new.period_start, new.period_end) == (
        "draft",
        date(2027, 1, 1),
        date(2027, 12, 31),
    )
    assert new.swot_strengths == "Trusted on line 2"
    new_objective = new.objectives.get()
    assert (new_objective.description, new_objective.current_value) == (
        objective.description,
        objective.current_value,
    )
    new_hypothesis = new.hypotheses.get()
    assert new_hypothesis.objective == new_objective
    assert new_hypothesis.hypothesis == hypothesis.hypothesis
    assert list(new.risks.values_list("title", "owner")) == [("Budget cut", team_member.pk)]
    assert list(new.opportunities.values_list("title", flat=True)) == ["Line 3 rollout"]
    # Open actions are agreed items: they move to the new period (never copied, so nothing is
    # chased twice), linked to the rows that came along; the done one stays with its plan.
    actions = {a.title: a for a in new.actions.select_related("opportunity", "risk")}
    assert set(actions) == {"Open for opp", "Open for risk"}
    assert actions["Open for opp"].opportunity == new.opportunities.get()
    assert actions["Open for risk"].risk == new.risks.get()
    assert Action.objects.filter(title="Open for opp").count() == 1
    assert list(plan.actions.values_list("title", flat=True)) == ["Done already"]
    # The source plan is otherwise untouched and still active.
    plan.refresh_from_db()
    assert plan.status == "active"
    assert plan.objectives.count() == 1
    assert PlanChange.objects.filter(plan=new, verb="copied").exists()


def test_start_next_period_twice_is_refused(plan, kam_user):
    services.plan_start_next_period(plan=plan, actor=kam_user)
    with pytest.raises(ValidationError):
        services.plan_start_next_period(plan=plan, actor=kam_user)
    assert plan.account.plans.count() == 2


# --- whitespace -------------------------------------------------------------------------------


def test_whitespace_cell_set_creates_updates_and_clears_one_cell(account, kam_user, product):
    unit = services.business_unit_create(account=account, actor=kam_user, name="Mining")
    services.whitespace_cell_set(account=account, actor=kam_user, business_unit=unit,
                                 product=product, state="opportunity")  # fmt: skip
    services.whitespace_cell_set(account=account, actor=kam_user, business_unit=unit,
                                 product=product, state="current")  # fmt: skip
    cell = WhitespaceCell.objects.get()
    assert (cell.state, cell.account) == ("current", account)
    services.whitespace_cell_set(
        account=account, actor=kam_user, business_unit=unit, product=product, state=""
    )
    assert not WhitespaceCell.objects.exists()


def test_whitespace_refuses_a_business_unit_of_another_account(account, kam_user, product):
    foreign = services.business_unit_create(
        account=AccountFactory(owner=UserFactory(role=Role.KAM)), actor=kam_user, name="Other"
    )
    with pytest.raises(ValidationError) as excinfo:
        services.whitespace_cell_set(account=account, actor=kam_user, business_unit=foreign,
                                     product=product, state="current")  # fmt: skip
    assert "business_unit" in _field_errors(excinfo)


def test_business_unit_names_are_unique_per_account_ignoring_case(account, kam_user):
    services.business_unit_create(account=account, actor=kam_user, name="Mining")
    with pytest.raises(ValidationError) as excinfo:
        services.business_unit_create(account=account, actor=kam_user, name="mining")
    assert "name" in _field_errors(excinfo)


def test_hypothesis_values_feed_realised_value(plan, kam_user, objective):
    services.hypothesis_create(
        plan=plan, actor=kam_user, objective=objective, hypothesis="h",
        expected_value=Decimal("100"), realised_value=Decimal("40"),
    )  # fmt: skip
    assert ValueHypothesis.objects.get().realised_pct == 40
