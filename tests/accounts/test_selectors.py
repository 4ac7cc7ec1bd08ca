from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.selectors import account_revenue_summary, accounts_for_user
from accounts.services import account_revenue_refresh
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
    today = timezone.localdate()
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
