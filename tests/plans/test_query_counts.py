"""A fixed number of queries per plan page, whatever the plan's size (STYLE.md: Data).

Each test measures a page over a small plan, grows it to three times the size and measures
again: the count must not move. A count that grows with the rows is an N+1."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.services import stakeholder_create, stakeholder_mark_left
from kam.models import Role
from plans import services
from tests.factories import UserFactory
from tests.plans.factories import AccountPlanFactory, ProductFactory


def _grow_plan(plan, owner, start: int, units: int) -> None:
    """Per unit: a team member; an objective with a hypothesis; a risk, an opportunity (with a
    product) and three actions, each linked to one of them and owned by the new member, one
    overdue; an archived plan; a stakeholder who left (the header's departure flag); a business
    unit with a cell per product."""
    account = plan.account
    for index in range(start, start + units):
        member = UserFactory(role=Role.KAM)
        account.team.add(member)
        objective = services.objective_create(
            plan=plan, actor=owner, description=f"Objective {index:02d}", metric="m",
            baseline=Decimal(10), target=Decimal(20), current_value=Decimal(12),
            status="at_risk" if index % 2 else "on_track",
        )  # fmt: skip
        services.hypothesis_create(
            plan=plan, actor=owner, objective=objective, hypothesis=f"Hypothesis {index:02d}",
            expected_value=Decimal(1000), realised_value=Decimal(100 * index),
            currency="USD" if index % 2 else "BRL",
        )  # fmt: skip
        risk = services.risk_create(plan=plan, actor=owner, title=f"Risk {index:02d}",
                                    owner=member, severity=4, likelihood=2)  # fmt: skip
        product = ProductFactory(name=f"Product {index:02d}")
        opportunity = services.opportunity_create(
            plan=plan, actor=owner, title=f"Opportunity {index:02d}", amount=Decimal(5000),
            probability=40, owner=member, product=product,
        )  # fmt: skip
        for link, due in (({"objective": objective}, 5), ({"risk": risk}, -5),
                          ({"opportunity": opportunity}, 9)):  # fmt: skip
            services.action_create(
                plan=plan, actor=owner, title=f"Action {index:02d} {due}", owner_user=member,
                due_date=date(2026, 3, 10) + timedelta(days=due), **link,
            )  # fmt: skip
        AccountPlanFactory(account=account, status="archived", title=f"Old {index:02d}",
                           period_start=date(2010 + index, 1, 1),
                           period_end=date(2010 + index, 12, 31))  # fmt: skip
        gone = stakeholder_create(account=account, actor=owner, name=f"Gone {index:02d}",
                                  buying_role="champion")  # fmt: skip
        stakeholder_mark_left(stakeholder=gone, left_on=date(2026, 3, 1), actor=owner)
        unit = services.business_unit_create(account=account, actor=owner, name=f"BU {index:02d}")
        services.whitespace_cell_set(account=account, actor=owner, business_unit=unit,
                                     product=product, state="opportunity",
                                     opportunity=opportunity)  # fmt: skip


# 1 session, 2 user, 3 the account (+ owner, parent, tier, recommended tier), 4 the active
# plan (+ reviewed_by), 5 stakeholders for the header's departure flag, 6 objectives,
# 7 hypotheses (+ objective), 8 risks (+ owner), 9 opportunities (+ owner, product),
# 10 actions (+ owner, objective, opportunity, risk), 11 team for the owner choices, 12 other
# plans, 13 unread notifications (navigation bell), then the add forms' choices as they
# render: 14 hypothesis: objectives; 15 risk: owners; 16-17 opportunity: products, owners;
# 18-21 action: owners, objectives, opportunities, risks
PLAN_PAGE_QUERIES = 21


@pytest.mark.parametrize("persona", ["kam_user", "leader"])
def test_the_plan_page_has_a_fixed_number_of_queries(
    request, client_for, kam_user, plan, persona, django_assert_num_queries
):
    client = client_for(request.getfixturevalue(persona))
    url = reverse("account_plan", args=[plan.account_id])
    _grow_plan(plan, kam_user, start=0, units=1)
    client.get(url)  # warm-up

    with django_assert_num_queries(PLAN_PAGE_QUERIES):
        small = client.get(url)
    assert len(small.context["rows"].actions) == 3
    assert small.context["progress"].actions_overdue == 1

    _grow_plan(plan, kam_user, start=1, units=2)
    with django_assert_num_queries(PLAN_PAGE_QUERIES):
        large = client.get(url)
    assert len(large.context["rows"].actions) == 9
    assert large.context["progress"].actions_overdue == 3
    assert len(large.context["other_plans"]) == 3
    assert len(large.context["departures"]) == 3


# 1 session, 2 user, 3 the account, 4 stakeholders (departure flag), 5 products, 6 business
# units, 7 cells (+ opportunity), 8 open opportunities for the cell links (editing) or the
# active plan for “Create opportunity” (heat map), 9 unread notifications
WHITESPACE_QUERIES = 9


@pytest.mark.parametrize("query", ["", "?edit=1"], ids=["heat-map", "editing"])
def test_the_whitespace_page_has_a_fixed_number_of_queries(
    client_for, kam_user, plan, django_assert_num_queries, query
):
    client = client_for(kam_user)
    url = reverse("account_whitespace", args=[plan.account_id]) + query
    _grow_plan(plan, kam_user, start=0, units=1)
    client.get(url)

    with django_assert_num_queries(WHITESPACE_QUERIES):
        small = client.get(url)
    assert len(small.context["matrix"]) == 1

    _grow_plan(plan, kam_user, start=1, units=2)
    with django_assert_num_queries(WHITESPACE_QUERIES):
        large = client.get(url)
    assert len(large.context["matrix"]) == 3
    assert len(large.context["products"]) == 3


# 1 session, 2 user, 3 the account, 4 the plan, 5 stakeholders, 6 changes (+ user),
# 7 unread notifications
HISTORY_QUERIES = 7


def test_the_history_page_has_a_fixed_number_of_queries(
    client_for, kam_user, plan, django_assert_num_queries
):
    client = client_for(kam_user)
    url = reverse("plan_history", args=[plan.account_id, plan.pk])
    _grow_plan(plan, kam_user, start=0, units=1)
    client.get(url)
    with django_assert_num_queries(HISTORY_QUERIES):
        client.get(url)
    _grow_plan(plan, kam_user, start=1, units=2)
    with django_assert_num_queries(HISTORY_QUERIES):
        large = client.get(url)
    assert len(large.context["changes"]) == 1 + 3 * 7
