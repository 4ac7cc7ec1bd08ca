from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps

from plans import services
from tests.plans.factories import ProductFactory


@pytest.fixture
def db_rows(db):
    """db_rows() → every row of the accounts, activities and plans tables, to compare before
    and after a request that must write nothing."""

    def snapshot() -> dict[str, list[dict]]:
        rows = {}
        for app in ("accounts", "activities", "plans"):
            for model in apps.get_app_config(app).get_models(include_auto_created=True):
                rows[model._meta.label] = list(model.objects.order_by("pk").values())
        return rows

    return snapshot


@pytest.fixture
def plan(account, kam_user, now):
    """The account's active 2026 plan, made through the service (so it has its history)."""
    return services.plan_create(
        account=account,
        actor=kam_user,
        status="active",
        title="Acme 2026",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        swot_strengths="Trusted on line 2",
    )


@pytest.fixture
def objective(plan, kam_user):
    return services.objective_create(
        plan=plan,
        actor=kam_user,
        description="Cut unplanned downtime",
        metric="Downtime",
        baseline=Decimal("40"),
        target=Decimal("20"),
        current_value=Decimal("32"),
        unit="h/month",
        status="on_track",
    )


@pytest.fixture
def product(db):
    return ProductFactory(name="Predictive Maintenance", series="Industrial")
