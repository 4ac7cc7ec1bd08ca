from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import account_revenue_refresh, scoring_defaults_ensure, stakeholder_create
from activities.models import QBR, ClientRequest, Commitment, Interaction
from activities.services import (
    NextStep,
    interaction_log,
    qbr_hold,
    qbr_schedule,
    request_create,
    request_resolve,
    request_respond,
)
from insights.services import health_recompute_all, tiers_recompute
from kam.dates import business_date
from plans import services as plan_services
from plans.models import AccountPlan, Objective, Opportunity, Risk
from tests.factories import AccountFactory, RevenueRecordFactory, StakeholderFactory


@pytest.fixture
def api():
    client = APIClient()
    client.default_format = "json"  # the API parses JSON only
    return client


@pytest.fixture
def api_as(api):
    """api_as(user) → an API client authenticated as that user (no auth queries counted)."""

    def login(user):
        api.force_authenticate(user)
        return api

    return login


@dataclass
class Book:
    """A small, demo-like book of business on `account` (the conftest account: owner kam_user,
    team_member on the team), everything made through the services, then scored."""

    account: object
    champion: object
    buyer: object
    interaction: Interaction
    commitment: Commitment
    plan: AccountPlan
    objective: Objective
    opportunity: Opportunity
    risk: Risk
    action: Commitment  # a plan action: an agreed item with source "plan"
    qbr: QBR
    held_qbr: QBR
    client_request: ClientRequest  # answered, open
    resolved_request: ClientRequest


def build_book(account, actor, today: date) -> Book:
    scoring_defaults_ensure()
    champion = stakeholder_create(
        account=account,
        actor=actor,
        name="Carla Champion",
        buying_role="champion",
        stance="advocate",
    )
    buyer = stakeholder_create(
        account=account, actor=actor, name="Bruno Buyer", buying_role="economic_buyer"
    )
    for months_ago in range(0, 24, 2):
        RevenueRecordFactory(
            account=account,
            booked_on=today - timedelta(days=30 * months_ago + 5),
            amount=Decimal("10000.00"),
        )
    occurred = timezone.now() - timedelta(days=3)
    interaction = interaction_log(
        account=account,
        actor=actor,
        kind="meeting",
        occurred_at=occurred,
        summary="Quarterly planning",
        stakeholders=[champion],
        sentiment=1,
        next_steps=[
            NextStep(title="Send proposal", due_date=today + timedelta(days=7), owner_user=actor),
            NextStep(
                title="Share usage data",
                due_date=today + timedelta(days=5),
                owner_stakeholder=buyer,
            ),
        ],
    )
    plan = plan_services.plan_create(
        account=account,
        actor=actor,
        status="active",
        title=f"{account.name} plan",
        period_start=date(today.year, 1, 1),
        period_end=date(today.year, 12, 31),
    )
    objective = plan_services.objective_create(
        plan=plan,
        actor=actor,
        description="Cut downtime",
        metric="Hours",
        baseline=Decimal("40"),
        target=Decimal("20"),
        status="on_track",
    )
    opportunity = plan_services.opportunity_create(
        plan=plan, actor=actor, title="Line 3 retrofit", amount=Decimal("50000"), owner=actor
    )
    risk = plan_services.risk_create(
        plan=plan, actor=actor, title="Budget freeze", severity=4, likelihood=3, owner=actor
    )
    action = plan_services.action_create(
        plan=plan,
        actor=actor,
        title="Workshop",
        owner_user=actor,
        due_date=today + timedelta(days=20),
        objective=objective,
    )
    held = qbr_schedule(account=account, actor=actor, scheduled_on=today - timedelta(days=10))
    held = qbr_hold(
        qbr=held,
        actor=actor,
        held_at=timezone.now() - timedelta(days=10),
        outcome="Good review",
        rating=4,
        attendees=[actor],
        stakeholders=[champion],
    )
    qbr = qbr_schedule(
        account=account,
        actor=actor,
        scheduled_on=today + timedelta(days=30),
        scheduled_time=time(10, 0),
        agenda="Review the year",
        attendees=[actor],
        stakeholders=[champion],
    )
    received = timezone.now() - timedelta(days=2)
    client_request = request_create(
        account=account,
        actor=actor,
        subject="Copy of the invoice",
        received_at=received,
        requester=champion,
        channel="email",
        priority="high",
    )
    request_respond(client_request=client_request, at=received + timedelta(hours=1), actor=actor)
    resolved_request = request_create(
        account=account, actor=actor, subject="New contact", received_at=received
    )
    request_resolve(client_request=resolved_request, at=received + timedelta(hours=2), actor=actor)
    return Book(
        account=account,
        champion=champion,
        buyer=buyer,
        interaction=interaction,
        commitment=interaction.commitments.get(title="Send proposal"),
        plan=plan,
        objective=objective,
        opportunity=opportunity,
        risk=risk,
        action=action,
        qbr=qbr,
        held_qbr=held,
        client_request=client_request,
        resolved_request=resolved_request,
    )


def score(today: date) -> None:
    """The nightly jobs: tiers (with the initial tier changes), revenue windows, health."""
    tiers_recompute(day=today)
    account_revenue_refresh(day=today)
    health_recompute_all(day=today - timedelta(days=1))
    health_recompute_all(day=today)


@pytest.fixture
def book(account, kam_user, now):
    """The conftest account with a book of business, scored."""
    today = business_date()
    book = build_book(account, kam_user, today)
    score(today)
    book.account.refresh_from_db()
    return book


@pytest.fixture
def other_book(outsider, now):
    """An account of the outsider's (with a stakeholder) that nobody else is on."""
    other = AccountFactory(name="Outsider Corp", owner=outsider)
    StakeholderFactory(account=other, name="Someone Else")
    return other
