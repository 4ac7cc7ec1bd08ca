import random
from datetime import timedelta
from decimal import Decimal

from accounts.models import Account
from accounts.selectors import (
    account_revenue_summary,
    accounts_for_user,
    industries_and_regions_for_user,
)
from accounts.services import account_revenue_refresh
from kam.dates import business_date
from tests.factories import AccountFactory, RevenueRecordFactory


def test_kam_sees_owned_and_team_accounts_once(kam_user, team_member, outsider):
    owned = AccountFactory(owner=kam_user)
    both = AccountFactory(owner=kam_user)
    both.team.add(kam_user)  # owner and on the team: listed once
    on_team = AccountFactory(owner=outsider)
    on_team.team.add(kam_user)
    AccountFactory(owner=outsider)
    assert sorted(accounts_for_user(kam_user).values_list("pk", flat=True)) == sorted(
        [owned.pk, both.pk, on_team.pk]
    )
    assert accounts_for_user(kam_user).count() == 3


def test_portfolio_share_compares_the_nightly_revenue_windows(kam_user):
    today = business_date()
    account = AccountFactory(owner=kam_user, currency="BRL")
    other = AccountFactory(owner=kam_user, currency="BRL")
    dollars = AccountFactory(owner=kam_user, currency="USD")
    RevenueRecordFactory(account=account, booked_on=today - timedelta(days=10), amount=300)
    RevenueRecordFactory(account=other, booked_on=today - timedelta(days=40), amount=900)
    RevenueRecordFactory(account=dollars, booked_on=today - timedelta(days=40), amount=5000)
    assert account_revenue_summary(account, today).portfolio_share_pct is None  # not yet run
    account_revenue_refresh(day=today)
    account.refresh_from_db()
    summary = account_revenue_summary(account, today)
    assert summary.last_12_months == Decimal("300")
    assert summary.portfolio_share_pct == Decimal("25.0")  # 300 of 1,200 BRL


INDUSTRIES = ["", "Energy", "energy", "Óleo e Gás", "Retail", "Zinco", "A"]
REGIONS = ["", "Sul", "sul", "São Paulo", "Norte", "Z"]


def test_filter_industries_and_regions_are_those_of_the_accounts_each_user_sees(
    kam_user, leader, outsider
):
    """A leader's come from an index walk, a KAM's from their accounts: both must be the
    distinct values of the accounts they see, blanks left out, on random data."""
    rng = random.Random(18)
    for _round in range(3):
        for _n in range(20):
            AccountFactory(
                owner=rng.choice([kam_user, outsider]),
                industry=rng.choice(INDUSTRIES),
                region=rng.choice(REGIONS),
            )
        for user, accounts in (
            (leader, Account.objects.all()),
            (kam_user, Account.objects.filter(owner=kam_user)),
        ):
            pairs = list(accounts.values_list("industry", "region"))
            expected = (
                sorted({industry for industry, _region in pairs} - {""}),
                sorted({region for _industry, region in pairs} - {""}),
            )
            assert industries_and_regions_for_user(user) == expected
    AccountFactory(owner=kam_user, industry="Only on my accounts", region="")
    assert "Only on my accounts" in industries_and_regions_for_user(leader)[0]
    assert "Only on my accounts" in industries_and_regions_for_user(kam_user)[0]
    assert "Only on my accounts" not in industries_and_regions_for_user(outsider)[0]
