"""The accounts list's power tools: sortable headers, the revenue column and the column chooser,
saved views (who sees and changes them), bulk actions (who may do what, all or nothing) and
the list's whole state in its URL."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services
from accounts.models import Account, ExchangeRate, SavedView, Tier
from accounts.selectors import (
    STAKEHOLDER_SORTING,
    get_saved_view_for_user,
    saved_views_for_user,
    tier_review_rows,
)
from accounts.services import (
    BulkRefused,
    accounts_reassign,
    scoring_defaults_ensure,
    tier_recommendation_review,
    tier_review_request,
)
from insights.models import PortfolioSliceMark
from insights.portfolio import PortfolioFilters, portfolio_summary
from insights.selectors import account_sorting
from kam.dates import business_date
from kam.models import AuditEvent, Role
from tests.database import plan_without
from tests.factories import AccountFactory, StakeholderFactory, UserFactory

URL = "/accounts/"


def _names(response) -> list[str]:
    return [account.name for account in response.context["page"]]


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def config(db):
    return scoring_defaults_ensure()


@pytest.fixture
def revenue_accounts(kam_user, config):
    """Three accounts in two currencies: in BRL the dollar one is the largest."""
    ExchangeRate.objects.create(currency="USD", rate=Decimal("5"), valid_from=date(2026, 1, 1))
    return [
        AccountFactory(name="Alpha", owner=kam_user, revenue_last_12m=Decimal("300000")),
        AccountFactory(
            name="Bravo", owner=kam_user, currency="USD", revenue_last_12m=Decimal("100000")
        ),
        AccountFactory(name="Charlie", owner=kam_user, revenue_last_12m=Decimal("0")),
    ]


# --- sort -------------------------------------------------------------------------------------


def test_revenue_header_sorts_largest_first_then_toggles(client_for, kam_user, revenue_accounts):
    client = client_for(kam_user)
    response = client.get(URL, {"sort": "-revenue"})
    # USD 100,000 at 5 = BRL 500,000 > BRL 300,000 > 0.
    assert _names(response) == ["Bravo", "Alpha", "Charlie"]
    assert _names(client.get(URL, {"sort": "revenue"})) == ["Charlie", "Alpha", "Bravo"]
    page = response.content.decode()
    assert 'aria-sort="descending"' in page
    # The sorted header's link asks for the other direction and keeps the other parameters.
    assert "?sort=revenue" in page


def test_first_click_on_revenue_sorts_descending():
    sort = account_sorting().parse("name")
    assert sort.toggled("revenue") == "-revenue"
    assert sort.toggled("owner") == "owner"
    assert sort.toggled("name") == "-name"


@pytest.mark.parametrize("sort", ["bogus", "--name", "-", "revenue;drop", "ü" * 30, "x" * 41])
def test_unknown_sort_keys_sort_by_name(client_for, kam_user, revenue_accounts, sort):
    response = client_for(kam_user).get(URL, {"sort": sort})
    assert response.status_code == 200
    assert _names(response) == ["Alpha", "Bravo", "Charlie"]


def test_ties_keep_a_stable_order_by_name_then_id(leader, kam_user, config):
    for name in ["Delta", "Alpha", "Charlie", "Bravo"]:
        AccountFactory(name=name, owner=kam_user, industry="Retail")
    order = account_sorting().parse("industry").order_by()
    names = list(Account.objects.order_by(*order).values_list("name", flat=True))
    assert names == ["Alpha", "Bravo", "Charlie", "Delta"]


@pytest.mark.parametrize(
    ("sort", "index"),
    [("last_touch", "account_touch_idx"), ("-last_touch", "account_touch_desc_idx")],
)
def test_the_last_touch_sort_reads_its_index_in_either_direction(client_for, leader, sort, index):
    """The page's order (NULLs last both ways, then name and id) is an index's order, so a
    page is read from the index instead of sorting every account (bench/README.md). With
    sorting switched off, PostgreSQL can only avoid a sort through a matching index."""
    for day in (None, 3, 1, 2):
        AccountFactory(last_touch_at=None if day is None else f"2026-11-0{day}T10:00:00Z")
    with CaptureQueriesContext(connection) as queries:
        response = client_for(leader).get(URL, {"sort": sort})
    assert response.status_code == 200
    touched = [a.last_touch_at.day for a in response.context["page"] if a.last_touch_at]
    assert touched == sorted(touched, reverse=sort.startswith("-"))
    assert response.context["page"][-1].last_touch_at is None  # never touched: last either way
    page = next(q["sql"] for q in queries if " LIMIT " in q["sql"] and "last_touch_at" in q["sql"])
    plan = plan_without(page, "enable_sort", "enable_seqscan")
    assert f"using {index} on accounts_account" in plan


@pytest.mark.parametrize(
    ("sort", "index"),
    [("health", "account_health_sort_asc_idx"), ("-health", "account_health_sort_idx")],
)
def test_the_health_sort_reads_its_index_in_either_direction(client_for, leader, sort, index):
    """As the last-touch sort: unscored accounts last either way, then name and id."""
    for score in (None, 40, 90, 65):
        AccountFactory(health_score=score)
    with CaptureQueriesContext(connection) as queries:
        response = client_for(leader).get(URL, {"sort": sort})
    assert response.status_code == 200
    scores = [a.health_score for a in response.context["page"]]
    assert scores == [*sorted(scores[:3], reverse=sort.startswith("-")), None]
    page = next(q["sql"] for q in queries if " LIMIT " in q["sql"] and "health_score" in q["sql"])
    plan = plan_without(page, "enable_sort", "enable_seqscan")
    assert f"using {index} on accounts_account" in plan


@pytest.mark.parametrize(
    ("sort", "index"),
    [("tier", "account_tier_rank_idx"), ("-tier", "account_tier_rank_desc_idx")],
)
def test_the_tier_sort_orders_by_rank_then_name_with_no_tier_last(
    client_for, leader, config, sort, index
):
    """By the tier's rank (1 is the top tier), ties by name, accounts without a tier last
    either way; the page is read from an index on the rank the account row carries (migration
    accounts/0042) instead of joining the tiers and sorting."""
    tiers = list(Tier.objects.order_by("rank"))
    for name, tier in [("Delta", tiers[1]), ("Alpha", None), ("Echo", tiers[0]),
                       ("Bravo", tiers[1]), ("Charlie", tiers[0])]:  # fmt: skip
        AccountFactory(name=name, tier=tier)
    with CaptureQueriesContext(connection) as queries:
        response = client_for(leader).get(URL, {"sort": sort})
    assert response.status_code == 200
    by_rank = [["Charlie", "Echo"], ["Bravo", "Delta"]]
    if sort.startswith("-"):
        by_rank.reverse()
    assert _names(response) == [*by_rank[0], *by_rank[1], "Alpha"]
    page = next(q["sql"] for q in queries if " LIMIT " in q["sql"] and "tier_rank" in q["sql"])
    plan = plan_without(page, "enable_sort", "enable_seqscan")
    assert f"using {index} on accounts_account" in plan


@pytest.mark.parametrize(
    ("query", "index"),
    [
        ({"pipeline": "open"}, "account_open_pipeline_idx"),
        ({"commitments": "overdue"}, "account_commitment_due_idx"),
    ],
)
def test_the_pipeline_and_overdue_filters_read_their_index_in_the_lists_order(
    client_for, leader, query, index
):
    """Both filters read a column of the account row (insights.account_rollups) through an
    index in the list's order (name, id): page 500 reads 12,500 entries, not every match."""
    AccountFactory.create_batch(3)
    # The columns as the rollups would keep them for an open opportunity and a late item, and
    # the accounts' marks (their inserts marked them) as if taken since.
    Account.objects.update(open_opportunities=1, earliest_commitment_due="2020-01-01")
    PortfolioSliceMark.objects.filter(dimension="account").delete()
    with CaptureQueriesContext(connection) as queries:
        response = client_for(leader).get(URL, query)
    assert len(response.context["page"]) == 3
    count = next(q["sql"] for q in queries if q["sql"].startswith(COUNT_OF_ACCOUNTS))
    page = next(q["sql"] for q in queries if q["sql"].startswith(PAGE_OF_ACCOUNTS))
    plan = plan_without(count, "enable_seqscan", "enable_bitmapscan")
    assert f"Index Only Scan using {index} on accounts_account" in plan
    # The page: in name order from this index or the plain name index, never sorted.
    plan = plan_without(page, "enable_sort", "enable_seqscan", "enable_bitmapscan")
    assert "Sort" not in plan and "Index Scan" in plan


def test_a_pareto_class_with_revenue_reads_its_range_of_the_pareto_index(
    transactional_db, client_for, leader
):
    """The dashboard's Pareto drill-down (class A, revenue in the last 12 months): its count and
    its page read the class's entries of account_pareto_idx in the list's order, index only,
    where PostgreSQL read every account row for each (bench/README.md)."""
    AccountFactory.create_batch(3)
    Account.objects.update(pareto_class="A", revenue_last_12m=100)
    AccountFactory(name="Class B")  # not in the class
    Account.objects.filter(name="Class B").update(pareto_class="B", revenue_last_12m=100)
    with CaptureQueriesContext(connection) as queries:
        response = client_for(leader).get(URL, {"pareto": "A", "revenue": "last_12m"})
    assert len(response.context["page"]) == 3
    assert "Class B" not in _names(response)
    count = next(q["sql"] for q in queries if q["sql"].startswith(COUNT_OF_ACCOUNTS))
    page = next(q["sql"] for q in queries if q["sql"].startswith(PAGE_OF_ACCOUNTS))
    for sql in (count, page):
        plan = vacuumed_plan_without(sql, "enable_sort", "enable_seqscan", "enable_bitmapscan")
        assert "Index Only Scan using account_pareto_idx on accounts_account" in plan
        assert "Sort" not in plan


def vacuumed_plan_without(sql: str, *methods: str) -> str:
    """plan_without after `VACUUM (ANALYZE)` of the accounts (a test with transactional_db: its
    rows are committed), as production's are vacuumed. Without a visibility map an index-only
    scan costs the planner what a scan of another index in the same order plus the rows does,
    and which of the two it picked depended on the dead rows earlier tests of the same test
    database had left in the table: these tests failed now and then. Marked all-visible, the
    index that holds every column read is the cheapest way to the list's order."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) accounts_account")
    return plan_without(sql, *methods)


def test_a_filter_keeps_the_sort_and_the_columns(client_for, kam_user, revenue_accounts):
    response = client_for(kam_user).get(
        URL, {"sort": "-revenue", "cols": ["revenue", "owner"], "status": "active"}
    )
    page = response.content.decode()
    assert 'name="sort" value="-revenue" form="account-filters"' in page
    assert response.context["columns"] == ["owner", "revenue"]
    assert "Industry</a></th>" not in page


def test_stakeholders_sort_by_their_headers(client_for, kam_user):
    account = AccountFactory(owner=kam_user)
    StakeholderFactory(account=account, name="Ana", influence=2)
    StakeholderFactory(account=account, name="Bia", influence=5)
    response = client_for(kam_user).get(
        reverse("account_stakeholders", args=[account.pk]), {"sort": "-influence"}
    )
    assert [person.name for person in response.context["stakeholders"]] == ["Bia", "Ana"]
    assert STAKEHOLDER_SORTING.parse("nope").key == "name"


# --- revenue column ---------------------------------------------------------------------------


def test_revenue_column_is_the_dashboards_figure(client_for, leader, kam_user, revenue_accounts):
    bravo = revenue_accounts[1]
    Account.objects.filter(pk=bravo.pk).update(health_band="at_risk", health_score=20)
    summary = portfolio_summary(leader, PortfolioFilters())
    on_dashboard = {row.account.pk: row.revenue for row in summary.at_risk_rows}
    response = client_for(leader).get(URL, {"q": "Bravo"})
    (listed,) = response.context["page"]
    assert listed.revenue_converted == on_dashboard[bravo.pk] == Decimal("500000.00")
    assert "500,000" in response.content.decode()


def test_a_currency_without_rate_shows_a_dash_and_sorts_last(client_for, kam_user, config):
    AccountFactory(name="Euro", owner=kam_user, currency="EUR", revenue_last_12m=Decimal("9"))
    AccountFactory(name="Real", owner=kam_user, revenue_last_12m=Decimal("1"))
    response = client_for(kam_user).get(URL, {"sort": "-revenue"})
    assert _names(response) == ["Real", "Euro"]
    assert response.context["page"][1].revenue_converted is None


# --- URL state --------------------------------------------------------------------------------


def test_invalid_filters_are_named_and_the_valid_ones_kept(client_for, kam_user, config):
    AccountFactory(name="Live one", owner=kam_user, status="active")
    AccountFactory(name="Gone", owner=kam_user, status="churned")
    response = client_for(kam_user).get(URL, {"status": "live", "band": "purple", "cols": "x"})
    assert response.status_code == 200
    assert _names(response) == ["Live one"]
    (notice,) = response.context["notices"]
    assert "Health" in notice and "Columns" in notice


def test_htmx_requests_get_the_table_that_replaces_itself(client_for, kam_user, config):
    AccountFactory(name="Alpha", owner=kam_user)
    response = client_for(kam_user).get(
        URL, {"sort": "-name"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="account-results"
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="account-results">')
    assert 'hx-push-url="true"' in page and 'hx-swap="outerHTML"' in page


# --- saved views ------------------------------------------------------------------------------


@pytest.fixture
def team(db):
    """A manager with two reports; an outsider KAM under another manager."""
    boss = UserFactory(role=Role.LEADER, email="manager@example.com")
    ana = UserFactory(role=Role.KAM, email="ana@example.com", manager=boss)
    bia = UserFactory(role=Role.KAM, email="bia@example.com", manager=boss)
    other_boss = UserFactory(role=Role.KAM, email="other-boss@example.com")
    stranger = UserFactory(role=Role.KAM, email="stranger@example.com", manager=other_boss)
    return boss, ana, bia, stranger


def test_shared_views_reach_the_sales_team_only(team, leader):
    boss, ana, bia, stranger = team
    shared = SavedView.objects.create(owner=ana, name="At risk", query="band=at_risk", shared=True)
    private = SavedView.objects.create(owner=ana, name="Mine", query="status=live")
    assert set(saved_views_for_user(ana)) == {shared, private}
    assert list(saved_views_for_user(bia)) == [shared]  # same manager
    assert list(saved_views_for_user(boss)) == [shared]  # her manager
    assert list(saved_views_for_user(leader)) == [shared]  # leaders see every shared view
    assert list(saved_views_for_user(stranger)) == []


def test_only_the_owner_renames_or_deletes_a_view(client_for, team):
    _boss, ana, bia, stranger = team
    view = SavedView.objects.create(owner=ana, name="At risk", query="band=at_risk", shared=True)
    assert get_saved_view_for_user(bia, view.pk) == view
    with pytest.raises(Exception) as refused:
        get_saved_view_for_user(bia, view.pk, change=True)
    assert refused.typename == "PermissionDenied"
    rename = reverse("saved_view_update", args=[view.pk])
    assert client_for(bia).post(rename, {"name": "Hijacked"}).status_code == 403
    assert client_for(stranger).post(rename, {"name": "Hijacked"}).status_code == 404
    delete = reverse("saved_view_delete", args=[view.pk])
    assert client_for(stranger).post(delete).status_code == 404
    assert client_for(bia).post(delete).status_code == 403
    view.refresh_from_db()
    assert view.name == "At risk"
    assert client_for(ana).post(delete).status_code == 302
    assert not SavedView.objects.exists()


def test_save_a_view_then_open_it_by_its_id(client_for, kam_user, config):
    AccountFactory(name="Risky", owner=kam_user, health_band="at_risk")
    AccountFactory(name="Fine", owner=kam_user, health_band="healthy")
    client = client_for(kam_user)
    response = client.post(
        reverse("saved_view_create"),
        {"name": "At risk", "shared": "on", "query": "band=at_risk&sort=-health&page=3&cols=tier"},
    )
    view = SavedView.objects.get()
    assert (view.owner, view.shared) == (kam_user, True)
    assert view.query == "band=at_risk&sort=-health&cols=tier"  # no page
    assert response["Location"] == f"{URL}?{view.query}&view={view.pk}"
    opened = client.get(URL, {"view": view.pk}, follow=True)
    assert _names(opened) == ["Risky"]
    assert opened.context["active_view"] == view
    assert opened.context["columns"] == ["tier"]


def test_a_view_with_invalid_filters_is_not_saved(client_for, kam_user, config):
    response = client_for(kam_user).post(
        reverse("saved_view_create"), {"name": "Bad", "query": "band=purple&status=live"}
    )
    assert response.status_code == 302
    assert not SavedView.objects.exists()
    assert "Health" in _messages(response)[0]


def test_two_views_of_one_owner_need_two_names(client_for, kam_user, config):
    SavedView.objects.create(owner=kam_user, name="Mine")
    response = client_for(kam_user).post(reverse("saved_view_create"), {"name": "Mine"})
    assert SavedView.objects.count() == 1
    assert "already have a view" in _messages(response)[0]


def test_rename_and_share_keep_the_filters_unless_asked(client_for, kam_user, config):
    view = SavedView.objects.create(owner=kam_user, name="Old", query="status=live")
    client = client_for(kam_user)
    url = reverse("saved_view_update", args=[view.pk])
    client.post(url, {"name": "New", "shared": "on", "query": "band=watch"})
    view.refresh_from_db()
    assert (view.name, view.shared, view.query) == ("New", True, "status=live")
    client.post(url, {"name": "New", "query": "band=watch", "replace": "1"})
    view.refresh_from_db()
    assert (view.shared, view.query) == (False, "band=watch")


def test_someone_elses_private_view_id_is_not_applied(client_for, team, config):
    _boss, ana, bia, _stranger = team
    view = SavedView.objects.create(owner=ana, name="Mine", query="status=churned")
    response = client_for(bia).get(URL, {"view": view.pk})
    assert response.status_code == 200
    assert response.context["active_view"] is None
    assert "not available" in response.context["notices"][0]


# --- bulk actions -----------------------------------------------------------------------------


def _bulk(client, action, accounts, **extra):
    return client.post(
        reverse("account_bulk"),
        {"action": action, "accounts": [a.pk for a in accounts], "next": "/accounts/?q=A", **extra},
    )


def test_a_leader_reassigns_two_accounts_with_audit(client_for, leader, kam_user, team_member):
    first = AccountFactory(name="Alpha", owner=kam_user)
    second = AccountFactory(name="Bravo", owner=kam_user)
    response = _bulk(client_for(leader), "reassign", [first, second], owner=team_member.pk)
    assert response["Location"] == "/accounts/?q=A"
    assert _messages(response) == [f"2 accounts handed over to {team_member}."]
    assert set(Account.objects.values_list("owner", flat=True)) == {team_member.pk}
    events = AuditEvent.objects.filter(object_type="account", changes__has_key="owner")
    assert sorted(events.values_list("object_label", flat=True)) == ["Alpha", "Bravo"]


def test_a_kam_may_not_reassign_and_nothing_changes(client_for, kam_user, team_member):
    first = AccountFactory(name="Alpha", owner=kam_user)
    response = _bulk(client_for(kam_user), "reassign", [first], owner=team_member.pk)
    first.refresh_from_db()
    assert first.owner == kam_user
    (message,) = _messages(response)
    assert "Alpha" in message and "Nothing was changed" in message
    with pytest.raises(BulkRefused) as refused:
        accounts_reassign(actor=kam_user, ids=[first.pk], owner=team_member)
    assert refused.value.names == ["Alpha"]


def test_reassign_is_all_or_nothing(leader, kam_user, team_member, monkeypatch):
    good = AccountFactory(name="Alpha", owner=kam_user)
    second = AccountFactory(name="Bravo", owner=kam_user)
    real_update, calls = services.account_update, []

    def fails_on_the_second(**kwargs):
        calls.append(kwargs["account"].name)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real_update(**kwargs)

    monkeypatch.setattr(services, "account_update", fails_on_the_second)
    with pytest.raises(RuntimeError):
        accounts_reassign(actor=leader, ids=[good.pk, second.pk], owner=team_member)
    assert calls == ["Alpha", "Bravo"]  # the first was handed over, then undone
    assert set(Account.objects.values_list("owner", flat=True)) == {kam_user.pk}
    assert not AuditEvent.objects.filter(changes__has_key="owner").exists()


def test_accounts_out_of_sight_are_refused_without_their_names(outsider, kam_user):
    hidden = AccountFactory(name="Secret", owner=kam_user)
    own = AccountFactory(name="Mine", owner=outsider)
    with pytest.raises(BulkRefused) as refused:
        tier_review_request(actor=outsider, ids=[own.pk, hidden.pk])
    assert refused.value.hidden == 1 and "Secret" not in refused.value.message
    own.refresh_from_db()
    assert own.tier_review_requested_at is None


def test_a_tier_review_request_puts_accounts_on_the_review_list(
    client_for, kam_user, leader, config
):
    tier = Tier.objects.order_by("rank").first()
    account = AccountFactory(name="Alpha", owner=kam_user, tier=tier)
    assert list(tier_review_rows(leader)) == []
    response = _bulk(client_for(kam_user), "tier_review", [account])
    assert _messages(response) == ["1 account put on the tier review list."]
    assert list(tier_review_rows(leader)) == [account]
    tier_recommendation_review(account=account, actor=leader, accept=False, reason="Right as is")
    assert list(tier_review_rows(leader)) == []
    assert client_for(leader).get(reverse("tier_review")).status_code == 200


def test_export_selection_writes_only_the_ticked_rows_neutralised(client_for, kam_user, outsider):
    formula = AccountFactory(name="=HYPERLINK(1)", owner=kam_user)
    plain = AccountFactory(name="Plain", owner=kam_user)
    AccountFactory(name="Not ticked", owner=kam_user)
    foreign = AccountFactory(name="Foreign", owner=outsider)
    response = _bulk(client_for(kam_user), "export", [formula, plain, foreign])
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["'=HYPERLINK(1)", "Plain"]


def test_bulk_without_a_selection_says_so(client_for, leader):
    response = client_for(leader).post(reverse("account_bulk"), {"action": "tier_review"})
    assert response.status_code == 302
    assert "Select at least one account" in _messages(response)[0]


def test_bulk_refuses_ids_that_are_not_numbers(client_for, leader):
    response = client_for(leader).post(
        reverse("account_bulk"), {"action": "export", "accounts": ["1", "²"]}
    )
    assert response.status_code == 302
    assert "not an account number" in _messages(response)[0]


def test_a_leader_sees_the_reassign_controls_and_a_kam_does_not(client_for, kam_user, leader):
    AccountFactory(owner=kam_user)
    scoring_defaults_ensure()
    assert 'value="reassign"' in client_for(leader).get(URL).content.decode()
    assert 'value="reassign"' not in client_for(kam_user).get(URL).content.decode()


COUNT_OF_ACCOUNTS = 'SELECT COUNT(*) AS "__count" FROM "accounts_account"'
PAGE_OF_ACCOUNTS = 'SELECT "accounts_account"."id"'


def test_the_qbr_overdue_filter_reads_the_stored_due_date_in_the_lists_order(
    transactional_db, client_for, leader
):
    """The "QBR overdue" list reads each account's stored QBR due date (Account.qbr_due_date,
    kept by insights.account_rollups, brought up to date first for the accounts written since)
    and its page reads account_qbr_due_idx in the list's order, index only: page 500 reads its
    first matches instead of working out each live account's due date from its dates and tier
    and sorting the overdue ones (bench/README.md). (Its count, at scale, comes from the
    dashboard's summary rows.)"""
    AccountFactory(name="Overdue", contract_start="2020-01-01")
    AccountFactory(name="Not due", contract_start=business_date())
    AccountFactory.create_batch(
        100, name="Prospect", status="prospect", contract_start="2020-01-01"
    )
    with CaptureQueriesContext(connection) as queries:
        response = client_for(leader).get(URL, {"qbr": "overdue"})
    assert response.status_code == 200
    assert [a.name for a in response.context["page"]] == ["Overdue"]
    assert not Account.objects.filter(qbr_due_date=None).exists()  # computed before the read
    count = next(q["sql"] for q in queries if q["sql"].startswith(COUNT_OF_ACCOUNTS))
    page = next(q["sql"] for q in queries if q["sql"].startswith(PAGE_OF_ACCOUNTS))
    assert '"qbr_due_date" <' in count and '"qbr_due_date" <' in page
    plan = vacuumed_plan_without(page, "enable_sort", "enable_seqscan", "enable_bitmapscan")
    assert "Index Only Scan using account_qbr_due_idx on accounts_account" in plan
    assert "Sort" not in plan


@pytest.mark.needs_contrib("pg_trgm")
def test_the_search_finds_a_part_of_either_name_through_its_trigram_index(client_for, leader):
    """`q` matches a part of the name or the legal name anywhere in it, whatever its case
    (AccountQuerySet.name_contains); the count reads the trigram index on the upper-cased names
    (accounts/migrations/0049) instead of every account (bench/README.md). With sequential and
    index-only scans switched off (account_name_idx holds the upper-cased names, for a search
    that matches most accounts: the test below), the planner reads it rather than the rows of
    every account."""
    AccountFactory(name="Metalúrgica Norte", legal_name="MN Indústria SA")
    AccountFactory(name="Vale Verde", legal_name="Metalurgica VV Ltda")
    AccountFactory(name="Outra", legal_name="Outra SA")
    response = client_for(leader).get(URL, {"q": "TALUR"})
    assert response.status_code == 200
    assert [a.name for a in response.context["page"]] == ["Vale Verde"]
    with CaptureQueriesContext(connection) as queries:
        response = client_for(leader).get(URL, {"q": "etalúrg"})
    assert [a.name for a in response.context["page"]] == ["Metalúrgica Norte"]
    count = next(q["sql"] for q in queries if q["sql"].startswith(COUNT_OF_ACCOUNTS))
    plan = plan_without(count, "enable_seqscan", "enable_indexonlyscan")
    assert "Bitmap Index Scan on account_name_search_trgm_idx" in plan


def test_the_name_search_is_one_rule_on_either_name_and_never_across_them(kam_user):
    """name_contains, the rule of the list, the API's `q` and the log form's picker: a part of
    the name or of the legal name, any case (ASCII letters here: how PostgreSQL upper-cases the
    others depends on the database's locale), accents kept; `%` and `_` are plain characters;
    a text that would span the end of the name and the start of the legal name matches
    nothing, the separator in it included. The stored column follows a rename."""
    both = AccountFactory(name="Alfa Ltda", legal_name="Beta Comércio 100%_SA", owner=kam_user)
    other = AccountFactory(name="Gama", legal_name="Delta SA", owner=kam_user)
    names = Account.objects.filter(pk__in=[both.pk, other.pk])

    def found(text):
        return sorted(a.name for a in names.name_contains(text))

    assert found("ltda") == ["Alfa Ltda"]
    assert found("COMéRCIO") == ["Alfa Ltda"]  # the accent's case as stored: any locale
    assert found("comercio") == []  # accents are kept, as the list always did
    assert found("100%_") == ["Alfa Ltda"]
    assert found("1_0") == []
    assert found("%") == ["Alfa Ltda"]
    assert found("sa") == ["Alfa Ltda", "Gama"]
    assert found("") == ["Alfa Ltda", "Gama"]
    assert found("LtdaBeta") == found("Ltda\nBeta") == found("Ltda Beta") == []
    Account.objects.filter(pk=other.pk).update(name="Épsilon")
    assert found("ÉPSILON") == ["Épsilon"]
    assert found("gama") == []


def test_a_search_that_matches_most_accounts_is_paged_off_the_name_index_alone(
    transactional_db, client_for, leader
):
    """A part of a name in most names ("Ltda"): the page's ids come from account_name_idx in
    the list's order, the search tested on the index's own upper-cased names (index only,
    no sort), where PostgreSQL read every account row and sorted the matches for page 500
    (bench/README.md). For the page, bitmap and sequential scans and sorts are switched off:
    an index in the list's order serves it, and the name index alone without reading the rows.
    The count, with bitmap and sequential scans off, reads the same index whole, index only
    (the planner considers reading an index without a condition or an order only index
    only)."""
    AccountFactory(name="Alfa Ltda", legal_name="Alfa Comércio Ltda")
    AccountFactory(name="Beta", legal_name="Beta Serviços Ltda")
    AccountFactory(name="Gama", legal_name="Gama SA")
    with CaptureQueriesContext(connection) as queries:
        response = client_for(leader).get(URL, {"q": "ltda"})
    assert [a.name for a in response.context["page"]] == ["Alfa Ltda", "Beta"]
    count = next(q["sql"] for q in queries if q["sql"].startswith(COUNT_OF_ACCOUNTS))
    page = next(q["sql"] for q in queries if q["sql"].startswith(PAGE_OF_ACCOUNTS))
    plan = vacuumed_plan_without(count, "enable_seqscan", "enable_bitmapscan")
    assert "Index Only Scan using account_name_idx on accounts_account" in plan
    plan = vacuumed_plan_without(page, "enable_sort", "enable_seqscan", "enable_bitmapscan")
    assert "Index Only Scan using account_name_idx on accounts_account" in plan
    assert "Sort" not in plan


def test_each_row_draws_its_columns_escaped_with_the_touch_rule(client_for, kam_user, config):
    """account_row (insights/templatetags/account_list_tags.py) draws the list's rows in Python:
    the name escaped once, "overdue since" exactly when Account.touch_overdue says so, a
    never-touched live account "now", churned ones no due date, the review badge and the
    Pareto class beside the tier when its own column is hidden."""
    from django.utils import timezone

    today = business_date()
    fresh = AccountFactory(name="Fresh & <Co>", owner=kam_user, last_touch_at=timezone.now())
    stale = AccountFactory(
        name="Stale", owner=kam_user, last_touch_at=timezone.now().replace(year=2020)
    )
    never = AccountFactory(name="Never", owner=kam_user, last_touch_at=None)
    gone = AccountFactory(name="Gone", owner=kam_user, status="churned", last_touch_at=None)
    Account.objects.filter(pk=stale.pk).update(
        tier_review_requested_at=timezone.now(), pareto_class="A"
    )
    cadence = config.default_touch_cadence_days
    response = client_for(kam_user).get(
        URL, {"cols": ["tier", "next_touch", "last_touch"], "status": ""}
    )
    html = response.content.decode()
    rows = {
        account.name: html[html.index(f'value="{account.pk}"') :].split("</tr>", 1)[0]
        for account in (fresh, stale, never, gone)
    }
    assert "Fresh &amp; &lt;Co&gt;</a>" in rows["Fresh & <Co>"]
    assert 'aria-label="Select Fresh &amp; &lt;Co&gt;"' in rows["Fresh & <Co>"]
    for account in (fresh, stale, never, gone):
        account.refresh_from_db()
        overdue = account.touch_overdue(today, cadence)
        assert ("overdue since" in rows[account.name]) == (
            overdue and account.last_touch_at is not None
        )
    assert "overdue since" in rows["Stale"]
    assert '<span class="text-danger fw-semibold">now</span>' in rows["Never"]
    assert rows["Gone"].rstrip().endswith("<td>—</td>")  # no next touch for a churned account
    assert "review asked" in rows["Stale"] and "(A)</span>" in rows["Stale"]
    assert ">never</span>" in rows["Never"]


def test_a_filter_of_one_value_sent_two_is_ignored_and_named(client_for, leader, kam_user):
    """?owner=1&owner=2 (an edited link): the list does not quietly use one of them; it ignores
    the owner filter and says so, as the dashboard refuses it."""
    other = UserFactory(full_name="Rafael Novo", role=Role.KAM)
    AccountFactory(name="Acme", owner=kam_user)
    AccountFactory(name="Bravo", owner=other)
    response = client_for(leader).get(f"{URL}?owner={kam_user.pk}&owner={other.pk}&status=live")
    assert response.status_code == 200
    assert "Ignored because not valid here: Owner." in response.content.decode()
    names = {row.name for row in response.context["page"]}
    assert names == {"Acme", "Bravo"}
