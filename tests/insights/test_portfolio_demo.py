"""The demo data fills every block of the portfolio dashboard (kam/demo.py)."""

import pytest
from django.db import transaction

from accounts.models import ExchangeRate
from demo.demo import demo_seed
from insights.portfolio import PortfolioFilters, portfolio_summary
from kam.models import User


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seed once for the module, rolled back at the end (as tests/kam/test_seed_demo_data.py)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield demo_seed()
        transaction.set_rollback(True)


def test_demo_fills_every_block_for_the_leader(seeded, db):
    leader = User.objects.get(email="leader@example.com")
    s = portfolio_summary(leader, PortfolioFilters())
    assert s.unconverted == []  # USD and EUR have rates
    assert set(ExchangeRate.objects.values_list("currency", flat=True)) == {"USD", "EUR"}
    assert s.revenue.value > 0 and s.revenue_as_of == s.today
    assert len(s.pareto) > 1 and {bar.band for bar in s.pareto} == {"A", "B", "C"}
    assert all(row.accounts.value for row in s.tiers)
    assert sum(row.bands["at_risk"].value for row in s.tiers) == s.at_risk.value > 0
    assert len(s.trend) == 12
    assert s.revenue_at_risk.value > 0
    assert s.at_risk_rows and all(row.reasons for row in s.at_risk_rows)
    assert s.touch_overdue.value and s.qbr_overdue.value
    assert s.renewal_rows and s.renewals.value
    assert s.pipeline_weighted.value > 0 and s.opportunity_rows
    assert s.commitments_overdue.value > 0
    assert len(s.load) == 3
    assert s.nrr_pct.value and s.grr_pct.value


def test_a_demo_kam_sees_their_own_dashboard(seeded, db):
    karina = User.objects.get(email="kam@example.com")
    s = portfolio_summary(karina, PortfolioFilters())
    assert (
        0
        < s.accounts.value
        < portfolio_summary(
            User.objects.get(email="leader@example.com"), PortfolioFilters()
        ).accounts.value
    )
    assert s.trend and s.revenue.value > 0


def test_seeding_again_adds_no_rate(seeded, db):
    demo_seed()
    assert ExchangeRate.objects.count() == 2
