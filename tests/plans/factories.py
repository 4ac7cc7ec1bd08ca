"""Factories for plan rows: bare rows for bulk data. Tests of behaviour go through
plans.services instead (which check owners and record history)."""

from datetime import date
from decimal import Decimal

import factory
from django.utils import timezone

from tests.factories import AccountFactory


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "plans.Product"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Product {n:03d}")
    series = "Core"
    list_price = Decimal("1000.00")


class AccountPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "plans.AccountPlan"

    account = factory.SubFactory(AccountFactory)
    title = factory.Sequence(lambda n: f"Plan {n:03d}")
    period_start = date(2026, 1, 1)
    period_end = date(2026, 12, 31)
    status = "active"


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "plans.Objective"

    plan = factory.SubFactory(AccountPlanFactory)
    description = factory.Sequence(lambda n: f"Objective {n:03d}")
    metric = "Downtime (h/month)"
    baseline = Decimal("40")
    target = Decimal("20")
    current_value = Decimal("30")
    status = "on_track"


class HypothesisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "plans.ValueHypothesis"

    plan = factory.SelfAttribute("objective.plan")
    objective = factory.SubFactory(ObjectiveFactory)
    hypothesis = factory.Sequence(lambda n: f"Hypothesis {n:03d}")
    expected_value = Decimal("100000")
    realised_value = Decimal("25000")
    currency = "BRL"


class RiskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "plans.Risk"

    plan = factory.SubFactory(AccountPlanFactory)
    title = factory.Sequence(lambda n: f"Risk {n:03d}")
    severity = 3
    likelihood = 3
    owner = factory.SelfAttribute("plan.account.owner")


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "plans.Opportunity"

    plan = factory.SubFactory(AccountPlanFactory)
    title = factory.Sequence(lambda n: f"Opportunity {n:03d}")
    amount = Decimal("50000")
    probability = 40
    owner = factory.SelfAttribute("plan.account.owner")


class ActionFactory(factory.django.DjangoModelFactory):
    """A plan action: an agreed item of the plan's account (activities.Commitment)."""

    class Meta:
        model = "activities.Commitment"

    plan = factory.SubFactory(AccountPlanFactory)
    account = factory.SelfAttribute("plan.account")
    source = "plan"
    title = factory.Sequence(lambda n: f"Action {n:03d}")
    owner_user = factory.SelfAttribute("plan.account.owner")
    due_date = date(2026, 4, 1)
    status = "open"
    done_at = factory.LazyAttribute(lambda o: timezone.now() if o.status == "done" else None)
