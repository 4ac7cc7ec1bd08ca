"""Portfolio figures (insights.portfolio) on a hand-made portfolio: every figure worked out by
hand in tests/accounts/portfolio_data.py."""

import threading
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.db import connection as db_connection
from django.db import transaction
from django.http import QueryDict
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.currency import rates_on
from accounts.models import Account, ExchangeRate, HealthMonth
from accounts.scoring import band_for, compute_health
from accounts.services import account_revenue_refresh
from insights import portfolio
from insights import services as insights_services
from insights.portfolio import (
    PortfolioFilters,
    _opportunity_rows,
    drill,
    portfolio_filters_from_query,
    portfolio_options,
    portfolio_summary,
)
from insights.services import health_months_rebuild, health_recompute
from kam.dates import business_date
from plans.selectors import open_opportunities
from tests.database import connect, row_versions
from tests.factories import AccountFactory, RevenueRecordFactory
from tests.insights.portfolio_data import build_portfolio
from tests.plans.factories import AccountPlanFactory, OpportunityFactory


@pytest.fixture
def data(now, kam_user, outsider, team_member, leader):
    return build_portfolio(
        kam_user=kam_user, outsider=outsider, team_member=team_member, leader=leader
    )


text = st.text(min_size=0, max_size=12)


@settings(max_examples=200)
@given(
    owner=st.one_of(st.none(), st.integers(1, 10**6)),
    industry=text,
    region=text,
    extra=st.dictionaries(st.sampled_from(["status", "band", "tier", "pareto", "sort"]), text),
)
def test_a_drill_down_link_is_the_list_with_the_filters_and_its_own_parameters_url_encoded(
    owner, industry, region, extra
):
    """drill encodes each key=value pair once and keeps it (insights.portfolio._query_pair):
    the link is what urlencode gives for the dashboard's filters with the figure's parameters
    over them, empty values left out, whatever the text."""
    filters = PortfolioFilters(owner_id=owner, industry=industry, region=region)
    query = {**filters.as_query(), **{key: value for key, value in extra.items() if value}}
    expected = reverse("account_list") + (f"?{urlencode(query)}" if query else "")
    assert drill(filters, **extra) == expected


def test_leader_sees_every_figure_of_the_whole_portfolio(data, leader):
    s = portfolio_summary(leader, PortfolioFilters())
    assert s.accounts.value == 4  # Delta churned
    assert s.revenue.value == Decimal("1500.00")  # 1,000 BRL + 100 USD × 5; EUR left out
    assert s.unconverted == ["EUR"]
    assert s.revenue_at_risk.value == Decimal("500.00")
    assert s.at_risk.value == 2
    assert s.touch_overdue.value == 2
    assert s.qbr_overdue.value == 1
    assert s.renewals.value == 2
    assert s.renewals_revenue == Decimal("1000.00")
    assert s.pipeline_weighted.value == Decimal("600.00")  # 500 + 20 USD × 5
    assert s.pipeline_open == 2
    assert (s.commitments_overdue.value, s.commitments_overdue.accounts) == (3, 2)
    assert s.retention_base == Decimal("2600.00")
    assert s.retention_current == Decimal("1500.00")
    assert s.retention_kept == Decimal("1300.00")
    assert s.nrr_pct.value == 57.7
    assert s.grr_pct.value == 50.0
    assert s.revenue_as_of == date(2026, 3, 10)
    assert {c: (f.accounts, f.value) for c, f in s.pareto_classes.items()} == {
        "A": (1, Decimal("1000.00")),
        "B": (1, Decimal("500.00")),
        "C": (1, Decimal("0.00")),
    }


def test_tiers_count_live_accounts_by_health_band(data, leader):
    s = portfolio_summary(leader, PortfolioFilters())
    rows = {
        row.name: (row.accounts.value, {b: f.value for b, f in row.bands.items()})
        for row in s.tiers
    }
    assert rows == {
        "Strategic": (1, {"healthy": 1, "watch": 0, "at_risk": 0, "unknown": 0}),
        "Key": (2, {"healthy": 0, "watch": 1, "at_risk": 1, "unknown": 0}),
        "Growth": (0, {"healthy": 0, "watch": 0, "at_risk": 0, "unknown": 0}),
        "Maintain": (1, {"healthy": 0, "watch": 0, "at_risk": 1, "unknown": 0}),
    }


def test_pareto_bars_rank_accounts_with_the_cumulative_share(data, leader):
    s = portfolio_summary(leader, PortfolioFilters())
    assert [(b.label, b.accounts, b.revenue, b.cumulative_pct, b.band) for b in s.pareto] == [
        ("1", 1, Decimal("1000.00"), 66.7, "A"),
        ("2", 1, Decimal("500.00"), 100.0, "A"),  # starts at 66.7 %, under the 80 % line
    ]


def test_pareto_groups_many_accounts_into_twenty_bars(now, leader):
    for index in range(45):
        account = AccountFactory(name=f"P{index:02d}")
        RevenueRecordFactory(
            account=account, amount=9000 // (index + 1), booked_on=date(2026, 3, 1)
        )
    account_revenue_refresh(day=date(2026, 3, 10))
    bars = portfolio_summary(leader, PortfolioFilters()).pareto
    assert len(bars) == 20
    assert sum(bar.accounts for bar in bars) == 45
    assert bars[0].label == "1–2"  # rank × 20 ÷ 45, rounded up: ranks 1 and 2 make bar 1
    assert bars[-1].cumulative_pct == 100.0
    assert [bar.band for bar in bars] == sorted(bar.band for bar in bars)  # A, then B, then C
    assert bars[-1].band == "C"


def test_health_trend_is_the_median_and_share_at_risk_per_month(data, leader, kam_user):
    trend = portfolio_summary(leader, PortfolioFilters()).trend
    assert [(p.month, p.median, p.at_risk_pct, p.scored) for p in trend] == [
        (date(2026, 2, 1), 50.0, 33.3, 3),
        (date(2026, 3, 1), 35.0, 66.7, 3),  # Charlie's "unknown" is not counted
    ]
    trend = portfolio_summary(kam_user, PortfolioFilters()).trend
    assert [(p.median, p.at_risk_pct) for p in trend] == [(50.0, 33.3), (45.0, 50.0)]


def test_tables_list_the_accounts_behind_the_figures(data, leader):
    s = portfolio_summary(leader, PortfolioFilters())
    assert [(r.account.name, r.revenue) for r in s.at_risk_rows] == [
        ("Bravo", Decimal("500.00")),
        ("Echo", None),  # no EUR rate
    ]
    assert s.at_risk_rows[0].reasons == [
        {
            "label": "Engagement recency",
            "reason": "No interaction logged yet; this tier expects one every 30 days.",
        },
        {"label": "Commitments kept", "reason": "0 commitments kept in 90 days, 2 overdue."},
    ]
    assert [r.account.name for r in s.renewal_rows] == ["Charlie", "Alpha"]
    assert [(r.opportunity.title, r.weighted) for r in s.opportunity_rows] == [
        ("Alpha upsell", Decimal("500.00")),
        ("Bravo cross-sell", Decimal("100.00")),
    ]


@pytest.mark.parametrize(
    "query", ["", "industry=Retail", "industry=Retail&region=Sul", "tier=key", "kam"]
)
def test_both_ways_to_the_largest_opportunities_give_the_same_rows_in_every_view(
    data, leader, kam_user, monkeypatch, query
):
    """A view's largest opportunities are the same rows whether its open ones are sorted whole
    (few of them, SORTED_WHOLE_MAX) or found per currency off the index (many): each view
    computed both ways, the filters joining the accounts in view to each currency's branch."""
    user = kam_user if query == "kam" else leader
    options = portfolio_options(user)
    query = query.replace("tier=key", f"tier={data['tiers']['key'].pk}").replace("kam", "")
    filters, _notices = portfolio_filters_from_query(QueryDict(query), options)

    def rows(sorted_whole_max):
        monkeypatch.setattr(portfolio, "SORTED_WHOLE_MAX", sorted_whole_max)
        summary = portfolio_summary(user, filters, options=options)
        return [(r.opportunity.pk, r.weighted, r.amount) for r in summary.opportunity_rows]

    whole = rows(10_000)
    assert rows(-1) == whole
    if user == leader and not query:
        assert len(whole) == 2  # the whole portfolio's two open opportunities


def test_load_per_kam_flags_tiers_over_their_maximum(data, leader, kam_user, outsider):
    load = portfolio_summary(leader, PortfolioFilters()).load
    assert [(r.name, r.accounts.value, r.over) for r in load] == [
        (kam_user.full_name, 3, ["Key"]),
        (outsider.full_name, 1, []),
    ]
    cells = {cell.tier_id: (cell.accounts.value, cell.over) for cell in load[0].cells}
    tiers = data["tiers"]
    assert cells[tiers["key"].pk] == (2, True)
    assert cells[tiers["strategic"].pk] == (1, False)


def test_a_kam_sees_their_own_portfolio_only(data, kam_user, team_member, outsider):
    mine = portfolio_summary(kam_user, PortfolioFilters())
    assert (mine.accounts.value, mine.revenue.value, mine.at_risk.value) == (3, 1500, 1)
    assert [r.name for r in mine.load] == [kam_user.full_name]
    team = portfolio_summary(team_member, PortfolioFilters())
    assert (team.accounts.value, team.revenue.value, team.renewals.value) == (1, 1000, 1)
    assert [r.account.name for r in team.at_risk_rows] == []
    theirs = portfolio_summary(outsider, PortfolioFilters())
    assert (theirs.accounts.value, theirs.at_risk.value) == (1, 1)
    assert [r.account.name for r in theirs.at_risk_rows] == ["Echo"]
    assert theirs.pipeline_open == 0


@pytest.mark.parametrize(
    ("filters", "accounts", "revenue", "nrr", "grr"),
    [
        ({"industry": "Retail"}, 2, Decimal("1000.00"), 62.5, 50.0),
        ({"region": "Norte"}, 2, Decimal("500.00"), 38.5, 38.5),
        ({"tier": "key"}, 2, Decimal("500.00"), 38.5, 38.5),
        ({"owner": "outsider"}, 1, Decimal("0.00"), None, None),
        ({"industry": "Retail", "region": "Sul"}, 1, Decimal("1000.00"), 76.9, 61.5),
    ],
)
def test_filters_narrow_every_figure(data, leader, outsider, filters, accounts, revenue, nrr, grr):
    if "tier" in filters:
        filters["tier"] = str(data["tiers"][filters["tier"]].pk)
    if "owner" in filters:
        filters["owner"] = str(outsider.pk)
    options = portfolio_options(leader)
    parsed, notices = portfolio_filters_from_query(filters, options)
    assert notices == []
    s = portfolio_summary(leader, parsed, options=options)
    assert (s.accounts.value, s.revenue.value, s.nrr_pct.value, s.grr_pct.value) == (
        accounts,
        revenue,
        nrr,
        grr,
    )


def test_options_offer_what_the_user_sees(data, kam_user, outsider, leader):
    mine = portfolio_options(kam_user)
    assert (mine.industries, mine.regions) == (["Energy", "Retail"], ["Norte", "Sul"])
    # The KAM filter is a people picker: the options list no owner, they name one on demand.
    assert mine.owner_name(kam_user.pk) == kam_user.full_name
    assert mine.owner_name(outsider.pk) is None
    assert portfolio_options(leader).owner_name(outsider.pk) == outsider.full_name


@pytest.mark.parametrize(
    "query",
    [
        "tier=abc",
        "tier=999999",
        "owner=-1",
        "owner=1e3",
        "industry=Nowhere",
        "region=%FF%FE",
        "industry=Retail&industry=Energy",
        "owner=" + "9" * 40,
    ],
)
def test_unknown_or_malformed_filters_give_the_whole_portfolio_with_a_notice(data, leader, query):
    options = portfolio_options(leader)
    filters, notices = portfolio_filters_from_query(QueryDict(query), options)
    assert filters == PortfolioFilters()
    assert notices and "whole portfolio" in notices[-1]


def test_a_kam_naming_another_kam_gets_their_own_accounts(data, kam_user, outsider):
    options = portfolio_options(kam_user)
    filters, notices = portfolio_filters_from_query(QueryDict(f"owner={outsider.pk}"), options)
    assert filters == PortfolioFilters() and notices
    summary = portfolio_summary(kam_user, filters, options=options)
    assert summary.accounts.value == 3
    assert "Echo" not in [r.account.name for r in summary.at_risk_rows]


# --- what the nightly job keeps for the dashboard ------------------------------------------


def test_revenue_refresh_copies_both_windows_and_clears_old_ones(now, kam_user):
    account = AccountFactory(owner=kam_user)
    RevenueRecordFactory(account=account, amount=10, booked_on=date(2026, 3, 10))
    RevenueRecordFactory(account=account, amount=20, booked_on=date(2025, 3, 11))
    RevenueRecordFactory(account=account, amount=40, booked_on=date(2025, 3, 10))  # year before
    RevenueRecordFactory(account=account, amount=80, booked_on=date(2024, 3, 10))  # too old
    RevenueRecordFactory(account=account, amount=160, booked_on=date(2026, 3, 11))  # future
    assert account_revenue_refresh(day=date(2026, 3, 10)) == 1
    account.refresh_from_db()
    assert (account.revenue_last_12m, account.revenue_prev_12m) == (30, 40)
    assert account.revenue_as_of == date(2026, 3, 10)
    assert account_revenue_refresh(day=date(2026, 3, 10)) == 0  # nothing moved
    account.revenue_records.all().delete()
    account_revenue_refresh(day=date(2026, 3, 10))
    account.refresh_from_db()
    assert (account.revenue_last_12m, account.revenue_prev_12m) == (0, 0)


def test_health_recompute_keeps_each_months_latest_score(now, kam_user, monkeypatch):
    account = AccountFactory(owner=kam_user)
    today = business_date()

    def score(day: date, score: int) -> None:
        """Score `day` as the scoring does, with the account's score set to `score`."""

        def scored(inputs, config):
            return replace(
                compute_health(inputs, config), score=score, band=band_for(score, config)
            )

        monkeypatch.setattr(insights_services, "compute_health", scored)
        health_recompute(account_ids=[account.pk], day=day)

    def months() -> dict:
        return dict(HealthMonth.objects.filter(account=account).values_list("month", "score"))

    score(today - timedelta(days=3), 40)
    assert months() == {date(2026, 3, 1): 40}
    score(today, 60)
    assert months() == {date(2026, 3, 1): 60}
    # A backfill of an earlier day of the month leaves the later day's score.
    score(today - timedelta(days=1), 30)
    assert months() == {date(2026, 3, 1): 60}
    # A night whose score is the stored one writes nothing.
    versions = row_versions("accounts_healthmonth")
    score(today, 60)
    assert row_versions("accounts_healthmonth") == versions
    # The latest day rescored moves the month; a month without a row gets one.
    score(today, 65)
    score(date(2026, 2, 3), 20)
    score(date(2026, 2, 27), 25)
    score(date(2026, 2, 3), 10)
    assert months() == {date(2026, 3, 1): 65, date(2026, 2, 1): 25}
    # Rebuilt from the daily scores, the same rows come back.
    HealthMonth.objects.all().delete()
    assert health_months_rebuild() == 2
    assert months() == {date(2026, 3, 1): 65, date(2026, 2, 1): 25}


@pytest.mark.django_db(transaction=True)
def test_a_backfill_during_the_nights_run_waits_and_leaves_the_later_days_month_row(
    now, kam_user, monkeypatch
):
    """The night's chunk (another connection: it holds the month's shared lock and has written
    today's score, not committed yet) and a backfill of yesterday that scores differently: the
    backfill waits for the chunk to commit, then sees today's score and leaves the month row
    that holds it."""
    account = AccountFactory(owner=kam_user)
    today = business_date()
    scores = iter([50, 10])

    def scored(inputs, config):
        score = next(scores)
        return replace(compute_health(inputs, config), score=score, band=band_for(score, config))

    monkeypatch.setattr(insights_services, "compute_health", scored)
    health_recompute(account_ids=[account.pk], day=today - timedelta(days=2))
    month = today.replace(day=1)
    night = connect()
    try:
        with night.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock_shared(%s, %s)",
                [insights_services.HEALTH_MONTH_LOCK, month.toordinal()],
            )
            cursor.execute(
                """
                INSERT INTO accounts_healthscore (account_id, day, score, band, components,
                    movers, config_id, computed_at)
                SELECT account_id, %s, 99, 'healthy', components, '[]', config_id, now()
                FROM accounts_healthscore WHERE account_id = %s
                """,
                [today, account.pk],
            )
            cursor.execute(
                "UPDATE accounts_healthmonth SET score = 99, band = 'healthy'"
                " WHERE account_id = %s AND month = %s",
                [account.pk, month],
            )
        backfill = threading.Thread(
            target=lambda: (
                health_recompute(account_ids=[account.pk], day=today - timedelta(days=1)),
                db_connection.close(),
            )
        )
        backfill.start()
        backfill.join(1)
        assert backfill.is_alive(), "the backfill waits for the night's chunk"
        night.commit()
        backfill.join(10)
        assert not backfill.is_alive()
    finally:
        night.close()
    row = HealthMonth.objects.get(account=account, month=month)
    assert (row.score, row.band) == (99, "healthy")


def test_summary_reads_a_fixed_number_of_queries(data, leader, django_assert_num_queries):
    options = portfolio_options(leader)
    portfolio_summary(leader, PortfolioFilters(), options=options)  # the day's summary rows
    # 1 rates, 2 config, 3 are the summary rows current, 4 the rows (figures per tier, band,
    # class and currency), 5 the day the revenue windows are as of, 6 Pareto, 7 trend,
    # 8 at-risk rows, 9 renewals, 10 pipeline total, 11 top opportunities, 12 commitments
    # overdue, 13 load per KAM (from the KAM summary rows), 14 SLA compliance per tier and KAM,
    # 15 the names of the KAMs of both
    with django_assert_num_queries(15):
        portfolio_summary(leader, PortfolioFilters(), options=options)
    assert Account.objects.count() == 5


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    opportunities=st.lists(
        st.tuples(
            st.sampled_from(["BRL", "USD", "EUR"]),
            st.integers(0, 30),  # amount in hundreds: ties are likely
            st.sampled_from([0, 10, 50, 100]),
            st.sampled_from(["identified", "negotiation", "won", "lost"]),
            st.booleans(),  # in an archived plan
        ),
        max_size=30,
    ),
    eur_rate=st.booleans(),
)
# More open opportunities without a rate than the table shows, larger ones created later.
@example(
    opportunities=[("EUR", hundreds, 50, "identified", False) for hundreds in range(12)]
    + [("BRL", 1, 10, "identified", False)],
    eur_rate=False,
)
def test_largest_opportunities_are_every_open_ones_sorted_by_converted_weighted_amount(
    now, kam_user, opportunities, eur_rate
):
    """The ten first of each currency are the candidates: the same ten, in the same order, as
    converting and sorting every open opportunity (ties by id; no rate: last, by id), which is
    what a view with few of them does."""
    with transaction.atomic():
        ExchangeRate.objects.create(
            currency="USD", rate=Decimal("5.5"), valid_from=date(2025, 1, 1)
        )
        if eur_rate:
            ExchangeRate.objects.create(
                currency="EUR", rate=Decimal("6"), valid_from=date(2025, 1, 1)
            )
        account = AccountFactory(owner=kam_user)
        plans = {
            archived: AccountPlanFactory(
                account=account, status="archived" if archived else "active"
            )
            for archived in (False, True)
        }
        for currency, hundreds, probability, stage, archived in opportunities:
            OpportunityFactory(
                plan=plans[archived],
                currency=currency,
                amount=hundreds * 100,
                probability=probability,
                stage=stage,
            )
        rates = rates_on(date.today())
        # Both ways to the candidates give the same rows: the first of each currency (many
        # open opportunities) and every open one (a few, SORTED_WHOLE_MAX).
        rows = _opportunity_rows(open_opportunities(), rates, sort_whole=False)
        assert rows == _opportunity_rows(open_opportunities(), rates, sort_whole=True)

        def converted_weighted(o):
            return rates.convert(o.amount * o.probability / 100, o.currency)

        every = sorted(
            open_opportunities(),
            key=lambda o: (converted_weighted(o) is None, -(converted_weighted(o) or 0), o.pk),
        )
        assert [row.opportunity.pk for row in rows] == [o.pk for o in every[:10]]
        transaction.set_rollback(True)
