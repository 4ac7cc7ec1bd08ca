"""One rule for the revenue windows, growth, margin and share (accounts/revenue.py): every
reader (the nightly copy onto the account, the account page's summary, the API list, health and
tiering inputs) gives the answer built from each record's own window, around the window edges
(day - 365, day - 730) and with records booked after the day."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import revenue
from accounts.models import Account, RevenueRecord, RevenueRefresh
from accounts.revenue import growth_pct, margin_pct, share_pct, window_of, windows
from accounts.selectors import account_revenue_summary, revenue_windows_as_of
from accounts.services import account_revenue_refresh
from api.selectors import api_accounts
from insights.health_inputs import health_inputs, tier_inputs
from tests.database import row_versions
from tests.factories import AccountFactory, RevenueRecordFactory

DAY = date(2026, 3, 10)
EDGES = [-731, -730, -729, -366, -365, -364, -1, 0, 1, 2, 400]

# A record: (days from the day scored, amount, cost or None, which account)
records = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(EDGES), st.integers(min_value=-800, max_value=30)),
        st.integers(min_value=0, max_value=10_000),
        st.one_of(st.none(), st.integers(min_value=0, max_value=12_000)),
        st.integers(min_value=0, max_value=2),
    ),
    max_size=12,
)
days = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))
rule_settings = settings(
    max_examples=40,
    deadline=None,
    # The accounts are made once per test; each example deletes the records it made.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture
def accounts(kam_user):
    churned = AccountFactory(owner=kam_user, currency="BRL", status="churned")
    return [
        AccountFactory(owner=kam_user, currency="BRL"),
        AccountFactory(owner=kam_user, currency="BRL"),
        churned,
    ]


def _make(accounts, rows, day) -> list[RevenueRecord]:
    RevenueRecord.objects.all().delete()
    return [
        RevenueRecordFactory(
            account=accounts[which],
            booked_on=day + timedelta(days=offset),
            amount=Decimal(amount),
            cost=None if cost is None else Decimal(cost),
        )
        for offset, amount, cost, which in rows
    ]


def _expected(made, account, day) -> dict:
    """Each record's own answer (RevenueRecord.window), summed."""
    mine = [r for r in made if r.account_id == account.pk]
    last = [r for r in mine if r.window(day) == revenue.LAST_12_MONTHS]
    costed = [r for r in last if r.cost is not None]
    return {
        "last": sum((r.amount for r in last), Decimal(0)),
        "previous": sum(
            (r.amount for r in mine if r.window(day) == revenue.PREVIOUS_12_MONTHS), Decimal(0)
        ),
        "costed": sum((r.amount for r in costed), Decimal(0)) if costed else None,
        "cost": sum((r.cost for r in costed), Decimal(0)) if costed else None,
        "count": len(last),
        "lifetime": sum((r.amount for r in mine if r.booked_on <= day), Decimal(0)),
    }


@rule_settings
@given(rows=records, day=days)
def test_window_totals_and_the_nightly_copy_agree_with_each_records_window(accounts, rows, day):
    made = _make(accounts, rows, day)
    totals = {
        row["account_id"]: row for row in RevenueRecord.objects.window_totals(day, margin=True)
    }
    account_revenue_refresh(day=day)
    for account in accounts:
        expected = _expected(made, account, day)
        row = totals.get(account.pk, {"last": 0, "previous": 0, "costed": None, "cost": None})
        assert (row["last"], row["previous"]) == (expected["last"], expected["previous"])
        assert (row["costed"], row["cost"]) == (expected["costed"], expected["cost"])
        stored = Account.objects.get(pk=account.pk)
        assert (stored.revenue_last_12m, stored.revenue_prev_12m) == (
            expected["last"],
            expected["previous"],
        )
        assert stored.revenue_as_of is not None  # computed, by this refresh or an earlier one
    assert revenue_windows_as_of() == day


@rule_settings
@given(rows=records, day=days)
def test_every_reader_gives_the_same_windows_growth_and_margin(kam_user, accounts, rows, day):
    made = _make(accounts, rows, day)
    account_revenue_refresh(day=day)
    health = health_inputs([a.pk for a in accounts], day)
    tiering = {t.account_id: t for t in tier_inputs(day)}
    api = dict(api_accounts(kam_user, day).values_list("pk", "revenue_12m"))
    live_total = sum((_expected(made, a, day)["last"] for a in accounts[:2]), Decimal(0))
    for account in accounts:
        expected = _expected(made, account, day)
        margin = margin_pct(expected["costed"], expected["cost"])
        assert api[account.pk] == expected["last"]
        assert health[account.pk].revenue_last_12m == expected["last"]
        assert health[account.pk].revenue_prev_12m == expected["previous"]
        if account.status != "churned":  # tiering reads live accounts only
            assert tiering[account.pk].revenue_last_12m == expected["last"]
            assert tiering[account.pk].margin_pct == (None if margin is None else float(margin))
        account.refresh_from_db()
        summary = account_revenue_summary(account, day)
        assert (summary.last_12_months, summary.previous_12_months) == (
            expected["last"],
            expected["previous"],
        )
        assert summary.records_last_12_months == expected["count"]
        assert summary.lifetime == expected["lifetime"]
        assert summary.margin_pct == (None if margin is None else margin.quantize(Decimal("0.1")))
        growth = growth_pct(expected["last"], expected["previous"])
        assert summary.trend_pct == (None if growth is None else growth.quantize(Decimal("0.1")))
        share = share_pct(expected["last"], live_total)
        if account.status == "churned" or share is None:
            assert summary.portfolio_share_pct is None
        else:
            assert summary.portfolio_share_pct == share.quantize(Decimal("0.1"))


@pytest.mark.parametrize(
    ("offset", "window"),
    [
        (1, None),  # booked after the day: not revenue yet
        (0, revenue.LAST_12_MONTHS),
        (-364, revenue.LAST_12_MONTHS),
        (-365, revenue.PREVIOUS_12_MONTHS),
        (-729, revenue.PREVIOUS_12_MONTHS),
        (-730, None),
    ],
)
def test_window_edges(offset, window):
    assert window_of(DAY + timedelta(days=offset), DAY) == window
    last, previous = windows(DAY)
    assert last.end == DAY and last.start == previous.end == DAY - timedelta(days=365)


@pytest.mark.parametrize(
    ("last", "previous", "growth"),
    [(150, 100, Decimal(50)), (50, 100, Decimal(-50)), (100, 0, None), (0, 0, None)],
)
def test_growth_pct(last, previous, growth):
    assert growth_pct(Decimal(last), Decimal(previous)) == growth


@pytest.mark.parametrize(
    ("costed", "cost", "margin"),
    [(Decimal(200), Decimal(150), Decimal(25)), (None, None, None), (Decimal(0), Decimal(0), None)],
)
def test_margin_pct(costed, cost, margin):
    assert margin_pct(costed, cost) == margin


def test_the_nightly_copy_writes_only_the_accounts_whose_windows_moved(accounts):
    """A night's refresh rewrites the accounts whose windows moved (a record leaving the
    12 months) and those never computed, no other; the day the windows are as of is the last
    refresh's whatever it wrote, and it keeps how many accounts it changed."""
    leaving, staying, _churned = accounts
    RevenueRecordFactory(account=leaving, booked_on=DAY - timedelta(days=364), amount=100)
    RevenueRecordFactory(account=staying, booked_on=DAY - timedelta(days=30), amount=50)
    assert revenue_windows_as_of() is None
    assert account_revenue_refresh(day=DAY) == 3  # never computed: every account
    before = row_versions("accounts_account")

    tomorrow = DAY + timedelta(days=1)
    assert account_revenue_refresh(day=tomorrow) == 1
    after = row_versions("accounts_account")
    assert [pk for pk in before if before[pk] != after[pk]] == [leaving.pk]
    leaving.refresh_from_db()
    staying.refresh_from_db()
    assert (leaving.revenue_last_12m, leaving.revenue_prev_12m) == (0, 100)
    assert (leaving.revenue_as_of, staying.revenue_as_of) == (tomorrow, DAY)
    assert revenue_windows_as_of() == tomorrow

    # Nothing moves the next night: no account written, the day still moves on.
    assert account_revenue_refresh(day=tomorrow + timedelta(days=1)) == 0
    assert row_versions("accounts_account") == after
    assert revenue_windows_as_of() == tomorrow + timedelta(days=1)
    # An account created since, with no revenue, is computed once (its share can be shown).
    new = AccountFactory(owner=leaving.owner, currency="BRL")
    assert account_revenue_refresh(day=tomorrow + timedelta(days=1)) == 1
    new.refresh_from_db()
    assert new.revenue_as_of == tomorrow + timedelta(days=1)
    assert list(RevenueRefresh.objects.order_by("day").values_list("day", "accounts_changed")) == [
        (DAY, 3),
        (tomorrow, 1),
        (tomorrow + timedelta(days=1), 1),  # the rerun of a day keeps its last count
    ]
