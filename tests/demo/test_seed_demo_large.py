"""`seed_demo --scale large` at a tiny scale factor: the same bulk loader as the 20,000-account
portfolio (kam/demo_large.py, kam/bulk_load.py), against the test database."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F

from accounts.models import (
    Account,
    ExchangeRate,
    HealthMonth,
    HealthScore,
    Stakeholder,
    TimelineEntry,
)
from activities.models import QBR, ClientRequest, Commitment, Interaction
from demo.bulk_load import LARGE_TABLES, LOADED_TABLES
from demo.large import DEMO_KAMS, SCALES, STAKEHOLDERS_MIN, STAKEHOLDERS_SPREAD, large_counts
from insights.models import PortfolioSliceBuild
from insights.portfolio_slices import portfolio_slices_refresh
from kam.dates import business_date
from kam.models import User
from plans.models import AccountPlan, Opportunity

SCALE = 0.002  # 40 accounts, 2,000 interactions, 400 commitments, 200 opportunities
TABLES = LOADED_TABLES + LARGE_TABLES


def _indexes() -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [TABLES]
        )
        return set(cursor.fetchall())


def _column_defaults() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_name = ANY(%s) AND column_default IS NOT NULL
              AND is_identity = 'NO'
            """,
            [[*TABLES, "kam_user"]],
        )
        return cursor.fetchall()


def _seed_large():
    call_command("seed_demo", scale="large", scale_factor=SCALE, yes=True, stdout=io.StringIO())


def _counts() -> dict[str, int]:
    return {
        "accounts": Account.objects.count(),
        "stakeholders": Stakeholder.objects.count(),
        "interactions": Interaction.objects.count(),
        "commitments": Commitment.objects.count(),
        "opportunities": Opportunity.objects.count(),
        "scores": HealthScore.objects.count(),
        "timeline": TimelineEntry.objects.count(),
    }


@pytest.mark.django_db(transaction=True)
def test_seed_demo_large_loads_the_exact_counts_and_leaves_the_schema_as_it_was():
    indexes_before = _indexes()
    defaults_before = _column_defaults()
    expected = large_counts(SCALE)
    portfolio_slices_refresh()  # the dashboard's summary rows of the data the load replaces

    _seed_large()

    # The load bypassed the triggers that keep them current: they are forgotten, and the next
    # read computes them from the loaded accounts.
    assert not PortfolioSliceBuild.objects.exists()

    accounts = expected["accounts"]
    assert Account.objects.count() == accounts == 40
    assert Account.objects.filter(status="churned").count() == expected["churned"] == 1
    assert Interaction.objects.count() == expected["interactions"] == 2_000
    assert Commitment.objects.count() == expected["commitments"] == 400
    assert ClientRequest.objects.count() == expected["requests"] == 80
    # The open clocks were recomputed in business hours (not the loader's calendar hours).
    awaiting = ClientRequest.objects.awaiting_response()
    assert awaiting.exists()
    assert not awaiting.filter(
        first_response_due_at=F("received_at") + timedelta(hours=24)
    ).exists()
    assert AccountPlan.objects.exists()
    assert Opportunity.objects.count() == expected["opportunities"] == 200
    live = Account.objects.exclude(status="churned")
    # A year of history, and today's scores computed by the nightly service.
    assert HealthScore.objects.count() == accounts * 365 + live.count()
    assert HealthScore.objects.filter(day=business_date()).count() == live.count()
    per_account = Stakeholder.objects.values("account").distinct().count()
    assert per_account == accounts
    assert (
        STAKEHOLDERS_MIN * accounts
        <= Stakeholder.objects.count()
        <= (STAKEHOLDERS_MIN + STAKEHOLDERS_SPREAD - 1) * accounts
    )
    # The timeline holds what the services would have written for those rows.
    assert TimelineEntry.objects.count() == (
        Interaction.objects.count()
        + Commitment.objects.count()
        + Commitment.objects.filter(status="done").count()
        + Stakeholder.objects.count()
        + Stakeholder.objects.filter(left_on__isnull=False).count()
        + QBR.objects.filter(status="held").count()
    )
    # The demo users are in it; each demo KAM owns its share of the accounts.
    assert User.objects.filter(email__endswith="@bench.example", role="kam").count() == 3
    for email in DEMO_KAMS:
        owner = User.objects.get(email=email)
        assert owner.check_password("demo")
        assert Account.objects.filter(owner=owner).count() == expected["demo_kam_accounts"]
    assert User.objects.get(email="leader@example.com").check_password("demo")
    # What the nightly jobs leave: latest score on the account, tiers, portfolio aggregates.
    assert not live.filter(health_score__isnull=True).exists()
    assert not live.filter(pareto_class="").exists()
    assert not Account.objects.exclude(revenue_as_of=business_date()).exists()
    # Loaded with triggers off, each account carries its tier's rank as the triggers would set.
    assert Account.objects.exclude(tier=None).exists()
    assert not Account.objects.exclude(tier=None).exclude(tier_rank=F("tier__rank")).exists()
    assert not Account.objects.filter(tier=None).exclude(tier_rank=None).exists()
    assert set(ExchangeRate.objects.values_list("currency", flat=True)) == {"USD", "EUR"}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(DISTINCT (account_id, date_trunc('month', day))) "
            "FROM accounts_healthscore"
        )
        assert HealthMonth.objects.count() == cursor.fetchone()[0]
    # Indexes and unique constraints rebuilt, temporary column defaults gone.
    assert _indexes() == indexes_before
    assert _column_defaults() == defaults_before


@pytest.mark.django_db(transaction=True)
def test_seed_demo_large_gives_the_same_rows_when_run_again():
    _seed_large()
    first = _counts()
    first_names = list(Account.objects.order_by("pk").values_list("pk", "name", "owner__email"))
    _seed_large()
    assert _counts() == first
    assert (
        list(Account.objects.order_by("pk").values_list("pk", "name", "owner__email"))
        == first_names
    )


@pytest.mark.django_db
def test_seed_demo_large_refuses_a_database_not_named_bench_without_yes():
    with pytest.raises(CommandError, match="--yes"):
        call_command("seed_demo", scale="large", scale_factor=SCALE, stdout=io.StringIO())
    assert not Account.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_seed_demo_xl_is_five_times_large_with_two_months_of_history_and_real_kam_books():
    """--scale xl: every count of the large demo times five (here, at its scale factor, 200
    accounts), 60 days of health history instead of 365, and demo KAMs who keep a book of the
    large demo's size (70 accounts at full scale, not 350)."""
    factor = SCALES["xl"]["factor"] * SCALE
    expected = large_counts(factor)
    call_command("seed_demo", scale="xl", scale_factor=SCALE, yes=True, stdout=io.StringIO())
    assert Account.objects.count() == expected["accounts"] == 200
    assert Interaction.objects.count() == expected["interactions"] == 10_000
    live = Account.objects.exclude(status="churned").count()
    assert HealthScore.objects.count() == 200 * SCALES["xl"]["history_days"] + live
    for email in DEMO_KAMS:
        assert Account.objects.filter(owner__email=email).count() == expected["demo_kam_accounts"]
    assert large_counts(5.0)["demo_kam_accounts"] == large_counts(1.0)["demo_kam_accounts"] == 70
