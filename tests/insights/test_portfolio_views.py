"""The portfolio page, its htmx fragment, its CSV exports, its links to the accounts list and
the exchange-rate page, with every persona (figures in tests/accounts/test_portfolio.py)."""

import csv
import io
import itertools
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account, ExchangeRate
from insights.portfolio import PortfolioFilters, portfolio_summary
from kam.models import Role
from tests.insights.portfolio_data import build_portfolio


@pytest.fixture
def data(now, kam_user, outsider, team_member, leader):
    return build_portfolio(
        kam_user=kam_user, outsider=outsider, team_member=team_member, leader=leader
    )


def listed(client, url: str) -> set[str]:
    """The account names the accounts list shows at `url` (one page is enough here)."""
    response = client.get(url)
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.num_pages == 1
    return {account.name for account in page.object_list}


# --- personas ---------------------------------------------------------------------------------


def test_anonymous_is_sent_to_log_in(client, data):
    response = client.get(reverse("portfolio"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    response = client.get(reverse("portfolio_export", args=["at-risk", "csv"]))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("persona", "accounts", "at_risk", "hidden"),
    [
        ("leader", 4, ["Bravo", "Echo"], set()),
        ("admin_user", 4, ["Bravo", "Echo"], set()),
        ("kam_user", 3, ["Bravo"], {"Echo"}),
        ("team_member", 1, [], {"Bravo", "Charlie", "Echo"}),
        ("outsider", 1, ["Echo"], {"Alpha", "Bravo", "Charlie"}),
    ],
)
def test_each_persona_sees_the_dashboard_of_what_they_may_see(
    request, client_for, data, persona, accounts, at_risk, hidden
):
    client = client_for(request.getfixturevalue(persona))
    response = client.get(reverse("portfolio"))
    assert response.status_code == 200
    summary = response.context["summary"]
    assert summary.accounts.value == accounts
    assert [row.account.name for row in summary.at_risk_rows] == at_risk
    body = response.content.decode()
    for name in {"Alpha", "Bravo", "Charlie", "Echo"} - hidden:
        assert f">{name}</a>" in body or name not in at_risk
    for name in hidden:
        assert f">{name}</a>" not in body


def test_page_shows_every_block(client_for, leader, data):
    body = client_for(leader).get(reverse("portfolio")).content.decode()
    for block_id in [
        "kpi-revenue",
        "kpi-revenue-at-risk",
        "kpi-at-risk",
        "kpi-touch",
        "kpi-qbr",
        "kpi-renewals",
        "kpi-pipeline",
        "kpi-commitments",
        "kpi-nrr",
        "kpi-grr",
        "pareto-chart",
        "tiers-chart",
        "tiers-table",
        "trend-chart",
        "at-risk-table",
        "renewals-table",
        "opportunities-table",
        "load-table",
        "portfolio-rates",
        "portfolio-chart-data",
    ]:
        assert f'id="{block_id}"' in body, block_id
    assert "1 USD = 5 BRL" in body and "01/01/2026" in body  # the rate in force and its date
    assert "No exchange rate is set for EUR" in body
    assert "How: the base is every account" in body  # the retention method


def test_htmx_filter_request_gets_the_figures_only(client_for, leader, data):
    response = client_for(leader).get(
        reverse("portfolio") + "?industry=Energy",
        headers={"HX-Request": "true", "HX-Target": "portfolio-results"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="portfolio-results">')
    assert "<html" not in body
    assert response.context["summary"].accounts.value == 2  # Bravo and Echo


def test_filters_live_in_the_url_and_the_selects(client_for, leader, data):
    tier = data["tiers"]["key"]
    response = client_for(leader).get(reverse("portfolio"), {"tier": tier.pk, "region": "Norte"})
    body = response.content.decode()
    assert f'<option value="{tier.pk}" selected>' in body
    assert '<option value="Norte" selected>' in body
    assert response.context["summary"].accounts.value == 2
    # The exports carry the same filters.
    assert f"at-risk.csv?tier={tier.pk}&amp;region=Norte" in body


@pytest.mark.parametrize("query", ["tier=abc", "owner=999999", "industry=Nope", "%zz=1&region=%"])
def test_bad_filters_show_the_whole_portfolio_with_a_notice(client_for, leader, data, query):
    response = client_for(leader).get(reverse("portfolio") + "?" + query)
    assert response.status_code == 200
    if "%zz" in query:
        assert response.context["summary"].accounts.value == 4
        return
    assert "Showing the whole portfolio instead." in response.content.decode()
    assert response.context["summary"].accounts.value == 4


def test_a_kam_passing_another_kams_id_sees_only_their_own(client_for, kam_user, outsider, data):
    response = client_for(kam_user).get(reverse("portfolio"), {"owner": outsider.pk})
    assert "Showing the whole portfolio instead." in response.content.decode()
    summary = response.context["summary"]
    assert summary.accounts.value == 3
    assert "Echo" not in response.content.decode()


# --- every number links to exactly its accounts ---------------------------------------------


def test_every_figure_links_to_exactly_the_accounts_behind_it(client_for, leader, data):
    client = client_for(leader)
    s = client.get(reverse("portfolio")).context["summary"]
    assert listed(client, s.at_risk.url) == {"Bravo", "Echo"}
    assert listed(client, s.revenue_at_risk.url) == {"Bravo", "Echo"}
    assert listed(client, s.accounts.url) == {"Alpha", "Bravo", "Charlie", "Echo"}
    assert listed(client, s.revenue.url) == {"Alpha", "Bravo", "Echo"}
    assert listed(client, s.touch_overdue.url) == {"Bravo", "Charlie"}
    assert listed(client, s.qbr_overdue.url) == {"Bravo"}
    assert listed(client, s.renewals.url) == {"Alpha", "Charlie"}
    assert listed(client, s.pipeline_weighted.url) == {"Alpha", "Bravo"}
    assert listed(client, s.commitments_overdue.url) == {"Alpha", "Bravo"}
    assert listed(client, s.nrr_pct.url) == {"Alpha", "Bravo", "Charlie", "Delta"}
    assert listed(client, s.pareto_classes["A"].url) == {"Alpha"}


def test_an_owner_who_is_no_longer_a_kam_is_offered_and_linked_as_on_the_list(
    client_for, leader, outsider, data
):
    # Echo's owner became a leader (a role changed, an account not yet handed over): the
    # dashboard's KAM filter and load table and the accounts list's owner filter take the
    # same owners (the people picker's "owners" scope), so the load row's link lists exactly
    # Echo.
    outsider.role = Role.LEADER
    outsider.save(update_fields=["role"])
    client = client_for(leader)
    response = client.get(reverse("portfolio"))
    found = client.get(reverse("people_search", args=["owners"])).json()["results"]
    assert outsider.pk in {row["value"] for row in found}
    chosen = client.get(reverse("portfolio"), {"owner": outsider.pk})
    assert not chosen.context["notices"]
    assert chosen.context["filters"].owner_name == outsider.full_name
    listed_by_owner = client.get(reverse("account_list"), {"owner": outsider.pk})
    assert not listed_by_owner.context["notices"]
    (row,) = [row for row in response.context["summary"].load if row.owner_id == outsider.pk]
    assert row.name == outsider.full_name
    assert listed(client, row.accounts.url) == {"Echo"}


def count_figures(summary):
    """Every (count, url) the page shows as a number of accounts."""
    s = summary
    yield s.accounts.value, s.accounts.url
    yield s.at_risk.value, s.at_risk.url
    yield s.touch_overdue.value, s.touch_overdue.url
    yield s.qbr_overdue.value, s.qbr_overdue.url
    yield s.renewals.value, s.renewals.url
    yield s.commitments_overdue.accounts, s.commitments_overdue.url
    for figure in s.pareto_classes.values():
        yield figure.accounts, figure.url
    for row in s.tiers:
        yield row.accounts.value, row.accounts.url
        for figure in row.bands.values():
            yield figure.value, figure.url
    for row in s.load:
        yield row.accounts.value, row.accounts.url
        for cell in row.cells:
            yield cell.accounts.value, cell.accounts.url


@pytest.mark.parametrize("persona", ["leader", "kam_user"])
@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"industry": "Retail"},
        {"region": "Norte"},
        {"tier": "key"},
        # No summary row holds filters combined: the figures come from the view's accounts.
        {"industry": "Retail", "region": "Norte"},
    ],
)
def test_each_count_matches_the_length_of_its_list(request, client_for, data, persona, filters):
    client = client_for(request.getfixturevalue(persona))
    if "tier" in filters:
        filters = {"tier": data["tiers"][filters["tier"]].pk}
    summary = client.get(reverse("portfolio"), filters).context["summary"]
    checked = 0
    for value, url in count_figures(summary):
        if not url:  # another tier's row under a tier filter: empty, not linked
            assert value == 0
            continue
        assert client.get(url).context["page"].paginator.count == value, url
        checked += 1
    assert checked > 15


# --- exports ----------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_csv_exports_match_the_tables(client_for, leader, data):
    client = client_for(leader)
    summary = client.get(reverse("portfolio")).context["summary"]
    at_risk = read_csv(client.get(reverse("portfolio_export", args=["at-risk", "csv"])))
    assert at_risk[0][:5] == [
        "Account",
        "Owner",
        "Tier",
        "Health score",
        "Revenue, last 12 months (BRL)",
    ]
    assert [row[0] for row in at_risk[1:]] == [r.account.name for r in summary.at_risk_rows]
    assert at_risk[1][3:5] == ["30", "500.00"]
    assert "Engagement recency" in at_risk[1][5]
    tiers = read_csv(client.get(reverse("portfolio_export", args=["tiers", "csv"])))
    assert tiers[1:] == [
        ["Strategic", "1", "1", "0", "0", "0", "1000.00"],
        ["Key", "2", "0", "1", "1", "0", "500.00"],
        ["Growth", "0", "0", "0", "0", "0", "0"],
        ["Maintain", "1", "0", "0", "1", "0", "0"],
    ]
    renewals = read_csv(client.get(reverse("portfolio_export", args=["renewals", "csv"])))
    assert [row[0] for row in renewals[1:]] == ["Charlie", "Alpha"]
    opportunities = read_csv(client.get(reverse("portfolio_export", args=["opportunities", "csv"])))
    assert [(row[0], row[7]) for row in opportunities[1:]] == [
        ("Alpha upsell", "500.00"),
        ("Bravo cross-sell", "100.00"),
    ]
    load = read_csv(client.get(reverse("portfolio_export", args=["load", "csv"])))
    assert load[0][-1] == "Over the tier policy"
    assert [row[1] for row in load[1:]] == ["3", "1"] and load[1][-1] == "Key"
    trend = read_csv(client.get(reverse("portfolio_export", args=["trend", "csv"])))
    assert trend[1:] == [["2026-02", "50.0", "33.3", "3"], ["2026-03", "35.0", "66.7", "3"]]
    pareto = read_csv(client.get(reverse("portfolio_export", args=["pareto", "csv"])))
    assert pareto[1:] == [["1", "1", "1000.00", "66.7", "A"], ["2", "1", "500.00", "100.0", "A"]]


def test_exports_follow_filters_and_access(client_for, kam_user, leader, data):
    rows = read_csv(
        client_for(leader).get(
            reverse("portfolio_export", args=["at-risk", "csv"]), {"industry": "Energy"}
        )
    )
    assert [row[0] for row in rows[1:]] == ["Bravo", "Echo"]
    rows = read_csv(client_for(kam_user).get(reverse("portfolio_export", args=["at-risk", "csv"])))
    assert [row[0] for row in rows[1:]] == ["Bravo"]


def test_xlsx_export_and_unknown_tables(client_for, leader, data):
    client = client_for(leader)
    response = client.get(reverse("portfolio_export", args=["load", "xlsx"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get(reverse("portfolio_export", args=["nope", "csv"])).status_code == 404
    assert client.get(reverse("portfolio_export", args=["load", "pdf"])).status_code == 404


# --- queries ----------------------------------------------------------------------------------


FILTER_SETS = [
    dict(combo)
    for size in range(5)
    for combo in itertools.combinations(
        [("owner", "kam"), ("tier", "key"), ("industry", "Retail"), ("region", "Sul")], size
    )
]


def _queries_of(filters: dict) -> int:
    """1 session, 2 user, 3 industries and regions, 4 tiers (the filter options),
    5 exchange rates, 6 scoring configuration, 7 and 8 the figures per tier/band/class (the
    view's summary rows: are they current, then the rows; or one pass over the accounts and
    the load per KAM), 9 the day the revenue windows are as of, 10 Pareto bars, 11 monthly
    health, 12 at-risk rows with their latest reasons, 13 renewals, 14 pipeline total, 15 top
    opportunities, 16 commitments overdue, 17 SLA compliance per tier and KAM, 18 the names of
    the KAMs of the load and SLA tables, 19 unread notifications (navigation); 20 the load per
    KAM when summary rows answer the view but are not one KAM's; and with a KAM chosen, that
    KAM checked against the accounts the user sees (and named: the KAM filter is a people
    picker that lists no one else). 18 is not read when no KAM has an account in the view
    (_dashboard_read)."""
    narrowing = {"owner", "industry", "region"} & filters.keys()
    chosen = 1 if "owner" in filters else 0
    return (20 if narrowing in (set(), {"industry"}, {"region"}) else 19) + chosen


def _dashboard_read(client, kam_user, data, filters, queries):
    """The dashboard with `filters` ("owner": the KAM, "tier": the Key tier) in `queries`
    queries, after a warm-up (and the day's summary rows)."""
    query = dict(filters)
    if "owner" in query:
        query["owner"] = kam_user.pk
    if "tier" in query:
        query["tier"] = data["tiers"]["key"].pk
    client.get(reverse("portfolio"))
    with CaptureQueriesContext(connection) as context:
        response = client.get(reverse("portfolio"), query)
    assert response.status_code == 200
    assert not response.context["notices"]
    summary = response.context["summary"]
    if not (summary.load_total or summary.sla_kams_total):
        queries -= 1  # no KAM to name
    assert len(context) == queries, "\n".join(q["sql"][:200] for q in context.captured_queries)


@pytest.mark.parametrize("filters", FILTER_SETS)
def test_dashboard_has_a_fixed_query_count_for_each_kind_of_view(
    client_for, leader, kam_user, data, filters
):
    _dashboard_read(client_for(leader), kam_user, data, filters, _queries_of(filters))


@pytest.mark.parametrize(
    "filters,queries",
    [
        # Their KAM slice and their team slice, then the load per KAM from their accounts.
        ({}, 20),
        ({"tier": "key"}, 20),
        # Their KAM slice alone, the load from its rows; the KAM chosen checked.
        ({"owner": "kam"}, 20),
        # Their accounts read.
        ({"industry": "Retail"}, 19),
    ],
)
def test_a_kams_own_dashboard_has_a_fixed_query_count(client_for, kam_user, data, filters, queries):
    Account.objects.get(name="Echo").team.add(kam_user)  # a team slice with an account
    _dashboard_read(client_for(kam_user), kam_user, data, filters, queries)


def test_htmx_fragment_has_the_same_query_count(
    client_for, leader, data, django_assert_num_queries
):
    client = client_for(leader)
    client.get(reverse("portfolio"))  # warm-up
    # As the page but the navigation bell's count: the fragment has no navigation, and the
    # context processor counts the unread notices only when the bell is drawn.
    with django_assert_num_queries(_queries_of({"region": "Sul"}) - 1):
        response = client.get(
            reverse("portfolio"),
            {"region": "Sul"},
            headers={"HX-Request": "true", "HX-Target": "portfolio-results"},
        )
    assert "<nav" not in response.content.decode()


# --- exchange rates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"), [("kam_user", 403), ("leader", 403), ("admin_user", 200)]
)
def test_only_admins_manage_rates(request, db, client_for, persona, status):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("exchange_rates")).status_code == status
    response = client.post(
        reverse("exchange_rates"), {"currency": "USD", "rate": "5", "valid_from": "2026-01-01"}
    )
    assert response.status_code == (302 if status == 200 else 403)


def test_admin_sets_a_rate_and_the_dashboard_uses_it(client_for, admin_user, data, leader):
    client = client_for(admin_user)
    response = client.post(
        reverse("exchange_rates"), {"currency": "EUR", "rate": "6.5", "valid_from": "2026-03-01"}
    )
    assert response.status_code == 302
    rate = ExchangeRate.objects.get(currency="EUR")
    assert (rate.rate, rate.valid_from, rate.set_by) == (
        Decimal("6.5"),
        date(2026, 3, 1),
        admin_user,
    )
    summary = portfolio_summary(leader, PortfolioFilters())
    assert summary.revenue.value == Decimal("66500.00")  # + 10,000 EUR × 6.5
    assert summary.unconverted == []


@pytest.mark.parametrize(
    ("post", "field"),
    [
        ({"currency": "USD", "rate": "0", "valid_from": "2026-02-01"}, "rate"),
        ({"currency": "USD", "rate": "-2", "valid_from": "2026-02-01"}, "rate"),
        ({"currency": "USD", "rate": "abc", "valid_from": "2026-02-01"}, "rate"),
        ({"currency": "USD", "rate": "5", "valid_from": "yesterday"}, "valid_from"),
        ({"currency": "BRL", "rate": "1", "valid_from": "2026-01-01"}, "currency"),
        ({"currency": "XYZ", "rate": "1", "valid_from": "2026-01-01"}, "currency"),
        ({"currency": "USD", "rate": "7", "valid_from": "2026-01-01"}, "valid_from"),  # taken
    ],
)
def test_bad_rates_are_refused_naming_the_field(client_for, admin_user, data, post, field):
    response = client_for(admin_user).post(reverse("exchange_rates"), post)
    assert response.status_code == 422
    form = response.context["form"]
    assert list(form.errors) == [field]
    assert ExchangeRate.objects.count() == 3


def test_admin_deletes_a_rate(client_for, admin_user, kam_user, data):
    rate = ExchangeRate.objects.get(currency="USD", valid_from=date(2026, 4, 1))
    url = reverse("exchange_rate_delete", args=[rate.pk])
    assert client_for(kam_user).post(url).status_code == 403
    assert client_for(admin_user).post(url).status_code == 302
    assert not ExchangeRate.objects.filter(pk=rate.pk).exists()


def test_load_table_shows_the_most_loaded_kams_and_the_csv_every_kam(
    client_for, leader, kam_user, data, monkeypatch
):
    monkeypatch.setattr("insights.portfolio.LOAD_ROWS", 1)
    client = client_for(leader)
    response = client.get(reverse("portfolio"))
    summary = response.context["summary"]
    assert [row.name for row in summary.load] == [kam_user.full_name]  # over the policy
    # The page builds the rows it draws only, and counts every KAM.
    assert (len(summary.load), summary.load_total, summary.has_every_kam) == (1, 2, False)
    assert "The 1 most loaded of 2 KAMs" in response.content.decode()
    every = portfolio_summary(leader, PortfolioFilters())
    assert [row.name for row in every.load[:1]] == [kam_user.full_name] and every.has_every_kam
    assert every.load[1].accounts.url == ""  # not shown, not linked
    assert summary.sla_kams_total == len(every.sla_kams)
    assert summary.sla_kams == every.sla_kams[:1]
    rows = read_csv(client.get(reverse("portfolio_export", args=["load", "csv"])))
    assert len(rows) == 3


@pytest.mark.parametrize("persona", ["leader", "outsider"])
def test_an_empty_portfolio_renders_with_dashes(request, db, client_for, now, persona):
    response = client_for(request.getfixturevalue(persona)).get(reverse("portfolio"))
    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary.accounts.value, summary.revenue.value, summary.nrr_pct.value) == (0, 0, None)
    assert summary.pareto == [] and summary.trend == [] and summary.load == []
    body = response.content.decode()
    assert "No revenue in the last 12 months." in body
    assert "No health history yet." in body
    assert 'id="kpi-nrr" href="/accounts/?revenue=prev_12m">—</a>' in body
