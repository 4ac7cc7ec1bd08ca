"""Reads over every app: the accounts list with its filters (the drill-down of every dashboard
figure)."""

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.currency import Rates, converted
from accounts.models import Account, Tier
from accounts.selectors import LIVE, RevenueSummary, account_revenue_summary, accounts_for_user
from activities.models import ClientRequest
from activities.selectors import commitments_overdue_q
from insights.portfolio import PortfolioFilters, view_slices
from insights.portfolio_slices import (
    COMMITMENT_ACCOUNTS,
    RENEWAL_DAYS,
    STATUS_COUNTS,
    account_marks_taken,
    count_stored,
    live_revenue_stored,
)
from kam.dates import business_date
from kam.sorting import Sorting, SortKey
from plans.selectors import open_pipeline_q

# The list's sortable columns (kam.sorting; `-key` descending). NULLs (never touched, no renewal
# date, no rate for the currency) go last either way; ties by name, then id.
ACCOUNT_SORT_KEYS = {
    "name": SortKey("name", nullable=False),
    "industry": SortKey("industry", nullable=False),
    "owner": SortKey("owner__full_name", nullable=False),
    "status": SortKey("status", nullable=False),
    "tier": SortKey("tier_rank"),
    "health": SortKey("health_score"),
    "last_touch": SortKey("last_touch_at"),
    "renewal": SortKey("renewal_date"),
}
REVENUE = "revenue"


def account_sorting(rates: Rates | None = None) -> Sorting:
    """The accounts list's sort keys; with `rates`, also by revenue: the last 12 months in the
    reporting currency, as the portfolio dashboard converts it (accounts.currency.converted)."""
    keys = dict(ACCOUNT_SORT_KEYS)
    if rates is not None:
        keys[REVENUE] = SortKey(converted("revenue_last_12m", rates))
    return Sorting(keys=keys, default="name", descending_first=frozenset({REVENUE, "health"}))


ACCOUNT_SORTS = account_sorting()


# The list's revenue filter: accounts with revenue booked in the last 12 months, or the
# retention cohort (revenue in the 12 months before those), from the nightly revenue windows.
REVENUE_FILTERS = {
    "last_12m": Q(revenue_last_12m__gt=0),
    "prev_12m": Q(revenue_prev_12m__gt=0),
}


def account_list_rows(
    user,
    *,
    search: str = "",
    status: str = "",
    owner_id: int | None = None,
    industry: str = "",
    region: str = "",
    tier_id: int | None = None,
    band: str = "",
    pareto_class: str = "",
    touch_overdue: bool = False,
    qbr_overdue: bool = False,
    renewal_within_days: int | None = None,
    commitments_overdue: bool = False,
    open_pipeline: bool = False,
    revenue: str = "",
    sla_missed_days: int | None = None,
    today: date | None = None,
    now: datetime | None = None,
    default_cadence_days: int = 30,
    sort: str = "name",
    rates: Rates | None = None,
) -> QuerySet[Account]:
    """The accounts list, and the accounts behind every figure of the portfolio dashboard
    (insights.portfolio builds its counts from the same AccountQuerySet rules). `sort` is a key
    of account_sorting(rates) (an unknown one sorts by name); sorting by revenue needs `rates`."""
    today = today or business_date()
    rows = accounts_for_user(user).select_related("owner", "tier")
    if search:
        rows = rows.name_contains(search)
    if status == LIVE:
        rows = rows.live()
    elif status:
        rows = rows.filter(status=status)
    if owner_id:
        rows = rows.filter(owner_id=owner_id)
    if industry:
        rows = rows.filter(industry=industry)
    if region:
        rows = rows.filter(region=region)
    if tier_id:
        rows = rows.filter(tier_id=tier_id)
    if band:
        rows = rows.in_band(band)
    if pareto_class:
        rows = rows.in_pareto_class(pareto_class)
    if touch_overdue:
        # The tiers' cut-offs as constants (one query), which the last-touch index can use over
        # the whole portfolio; worked out per row from the joined tier, the filter reads it all.
        tiers = list(Tier.objects.only("pk", "touch_cadence_days"))
        rows = rows.touch_overdue(today, default_cadence_days, tiers=tiers)
    if renewal_within_days is not None:
        rows = rows.renewal_within(today, renewal_within_days)
    # These read columns kept from the accounts' agreed items, plans and QBR dates: the
    # accounts written since they were last computed are computed first
    # (insights.account_rollups); while a refresh holds them, the rules are read instead
    # (slower, the same accounts).
    current = (commitments_overdue or open_pipeline or qbr_overdue) and account_marks_taken()
    if qbr_overdue:
        rows = rows.with_qbr_overdue(today) if current else rows.qbr_overdue(today)
    if commitments_overdue:
        rows = (
            rows.with_overdue_commitments(today)
            if current
            else rows.filter(commitments_overdue_q(today))
        )
    if open_pipeline:
        rows = rows.with_open_pipeline() if current else rows.filter(open_pipeline_q())
    if revenue in REVENUE_FILTERS:
        rows = rows.filter(REVENUE_FILTERS[revenue])
    if sla_missed_days:
        rows = rows.filter(sla_missed_q(now or timezone.now(), sla_missed_days))
    return rows.order_by(*account_sorting(rates).parse(sort).order_by())


# The accounts list's filters (account_list_rows' arguments) a count from the summary rows
# understands; any other filter set means the list counts its rows.
STORED_COUNT_FILTERS = frozenset(
    {
        "status",
        "owner_id",
        "industry",
        "region",
        "tier_id",
        "band",
        "pareto_class",
        "touch_overdue",
        "qbr_overdue",
        "renewal_within_days",
        "commitments_overdue",
        "open_pipeline",
        "sort",
    }
)


def account_list_count_stored(user, filters: Mapping[str, Any], *, today: date) -> int | None:
    """How many accounts account_list_rows gives for `filters` (its arguments, as the list's
    form gives them; the sort changes no count), from the dashboard's summary rows
    (insights.portfolio_slices.count_stored), when a figure of them counts exactly those
    accounts: every account (no status filter), live accounts, the accounts of one status,
    touch overdue, QBR overdue, renewals within RENEWAL_DAYS, an open pipeline (every status)
    or commitments overdue (one of them), narrowed by a tier, a health band or a Pareto class
    (not the commitments), for a view the rows are kept for (the dashboard's: view_slices).
    One query; None when the filters are not such a figure (no query) or the rows are not
    current: the caller counts the accounts. The counts that read most accounts are these (at
    100,000 accounts, QBR overdue by its rule: 55 ms; every account 12 ms; commitments overdue
    32-49 ms; an open pipeline 17-25 ms; the accounts flagged at risk 7 ms, bench/README.md)."""
    if any(value for name, value in filters.items() if name not in STORED_COUNT_FILTERS):
        return None
    status = filters.get("status") or ""
    renewal_within_days = filters.get("renewal_within_days")
    figures = [
        count
        for count, asked in (
            ("live_accounts", status == LIVE),
            (STATUS_COUNTS.get(status), status in STATUS_COUNTS),
            ("touch", filters.get("touch_overdue")),
            ("qbr", filters.get("qbr_overdue")),
            ("renewals", renewal_within_days == RENEWAL_DAYS),
            ("pipeline_accounts", filters.get("open_pipeline")),
            (COMMITMENT_ACCOUNTS, filters.get("commitments_overdue")),
        )
        if asked
    ]
    if not figures and not status:
        figures = ["accounts"]  # every account of the view, whatever its status
    if len(figures) != 1 or status not in ("", LIVE, *STATUS_COUNTS):
        return None
    if renewal_within_days not in (None, RENEWAL_DAYS):
        return None
    narrowing = PortfolioFilters(
        owner_id=filters.get("owner_id"),
        tier_id=filters.get("tier_id"),
        industry=filters.get("industry") or "",
        region=filters.get("region") or "",
    )
    slices = view_slices(user, narrowing)
    if slices is None:
        return None
    return count_stored(
        slices,
        figures[0],
        today=today,
        tier_id=narrowing.tier_id,
        band=filters.get("band") or "",
        pareto_class=filters.get("pareto_class") or "",
    )


def sla_missed_q(now: datetime, days: int) -> Q:
    """Accounts with a client request received in the last `days` days that missed a target
    (ClientRequest.is_breached: late, or open past due): the accounts behind the dashboard's
    missed SLA figures (insights.sla)."""
    return Q(
        Exists(
            ClientRequest.objects.filter(account=OuterRef("pk"))
            .received_within(now, days)
            .breached(now)
        )
    )


def account_revenue(account: Account, today: date) -> RevenueSummary:
    """The account's revenue figures (accounts.selectors.account_revenue_summary), its share
    of the portfolio taken from the dashboard's summary rows when they are current
    (portfolio_slices.live_revenue_stored), so the account page does not read every account of
    its currency (23 ms at 100,000 accounts); summed from the accounts when they are not."""
    return account_revenue_summary(
        account,
        today,
        portfolio_revenue=live_revenue_stored(account.currency, business_date()),
    )
