"""Summary rows of the portfolio dashboard, kept current as data changes (docs/portfolio.md,
"Summary rows").

Five kinds of row are kept per *slice* and business day, each from one grouped query that the
page used to run over every account, restricted to the slice's accounts:
- `PortfolioSlice` (`account_group_rows`): live accounts and revenue, touch and QBR overdue,
  renewals and the retention cohort per (tier, health band, Pareto class, currency);
- `PortfolioPipelineSlice` (`pipeline_group_rows`): the open pipeline per tier and currency;
- `PortfolioCommitmentSlice` (`commitment_group_rows`): the overdue commitments per tier;
- `PortfolioSlaSlice` (`insights.sla.sla_settled_group_rows`): the client requests' SLA
  compliance per tier and KAM, the part of it that stays put during the day, and
  `PortfolioSlaDueSlice` (`insights.sla.sla_falling_due_group_rows`): the open clocks of those
  requests that fall due during the day, per tier, KAM and due moment (the page counts those
  past due and reads the requests received today live);
- `PortfolioLoadSlice` (`load_group_rows`): the live accounts per tier, kept for the KAM
  slices only (what the load per KAM reads).
A slice is one KAM's, one industry's or one region's accounts, the accounts a user is on the
team of without owning them, or the whole portfolio, which is summed from the KAM slices (each
account has one KAM); a tier narrows the rows of any slice. A view reads the sum of one or
more slices: a KAM's own dashboard is their KAM slice and their team slice, which share no
account. Not slices, computed whole and stored for the
whole portfolio: the Pareto curves (`pareto_bucket_rows`, and one per tier) and the health
trend's counts (`health_month_counts`, per month).

- Database triggers mark what a write touched (migrations insights/0002–0010); `slice_rows`
  computes the marks of the slice it is about to read before reading it, and
  `portfolio_slices_refresh` (every minute from beat) does so for every mark, so that a page
  rarely has any to do.
- Rules that move with the calendar (touch and QBR overdue, renewals, overdue commitments) are
  why the rows carry their business day: the first read or refresh of a new day computes the
  day's rows in full.
- `portfolio_slices_check` (nightly, and `manage.py portfolio_slices --check`) computes every
  row again from the accounts, compares, repairs and reports the rows that had drifted.

Every write here holds one transaction-level advisory lock, so two refreshes never interleave.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Count, Exists, F, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Least
from django.utils import timezone

from accounts.currency import Rates, converted, rates_on
from accounts.models import (
    Account,
    AccountQuerySet,
    AccountStatus,
    HealthBand,
    HealthMonth,
    Tier,
)
from accounts.selectors import current_config
from activities.models import ClientRequest, Commitment
from insights.account_rollups import COLUMNS as ROLLUP_COLUMNS
from insights.account_rollups import account_rollups_drift, account_rollups_update
from insights.models import (
    ACCOUNT,
    EVERY_SLICE,
    PARETO,
    TREND,
    PortfolioCommitmentSlice,
    PortfolioLoadSlice,
    PortfolioParetoBucket,
    PortfolioPipelineSlice,
    PortfolioSlaDueSlice,
    PortfolioSlaSlice,
    PortfolioSlice,
    PortfolioSliceBuild,
    PortfolioSliceMark,
    PortfolioTrendCount,
    SliceDimension,
    SliceRow,
)
from insights.sla import FALLING_DUE as SLA_FALLING_DUE
from insights.sla import FIGURES as SLA_FIGURES
from insights.sla import SlaStored, sla_falling_due_group_rows, sla_settled_group_rows
from kam.bulk import rows_inserted
from kam.dates import business_date
from kam.lookups import InArray
from kam.runtime import gc_paused
from plans.selectors import open_opportunities

logger = logging.getLogger(__name__)
RENEWAL_DAYS = 90
PARETO_BARS = 20
GROUP_FIELDS = ("tier_id", "health_band", "pareto_class", "currency")
# The accounts of each status (the list's status filter): PortfolioSlice's `<status>_accounts`.
STATUS_COUNTS = {status: f"{status}_accounts" for status in AccountStatus.values}
COUNTS = (
    "accounts",
    "pipeline_accounts",
    *STATUS_COUNTS.values(),
    "live_accounts",
    "touch",
    "qbr",
    "renewals",
)
AMOUNTS = ("live_revenue", "renewals_revenue", "cohort_base", "cohort_current", "cohort_kept")
FIGURES = (*COUNTS, *AMOUNTS)
# count_stored's name for PortfolioCommitmentSlice.accounts: the accounts with an overdue
# agreed item (the list's "commitments overdue").
COMMITMENT_ACCOUNTS = "commitment_accounts"
# The account field each dimension slices by (the team: the members' ids, through the team).
SLICE_FIELD = {
    SliceDimension.OWNER: "owner_id",
    SliceDimension.INDUSTRY: "industry",
    SliceDimension.REGION: "region",
    SliceDimension.TEAM: "team",
}
# The slices whose rows add up to a view's: (dimension, value) each.
Slices = tuple[tuple[str, str], ...]
PORTFOLIO_VIEW: Slices = ((SliceDimension.PORTFOLIO, ""),)
BATCH = 5000
DRIFT_LOGGED = 20
# pg_advisory_xact_lock key of every write to the slices ("KAMslice").
LOCK_KEY = 0x4B414D736C696365


def account_group_rows(
    accounts: QuerySet[Account],
    today: date,
    *,
    default_cadence_days: int,
    tiers: Iterable[Tier],
    by: tuple[str, ...] = (),
    few: bool = False,
) -> list[dict]:
    """Accounts (every status; those with an open pipeline; those of each status), live
    accounts and revenue, touch and QBR overdue, renewals and the retention cohort per (tier,
    band, Pareto class, currency), and per `by` fields first: one query. Amounts stay in each
    currency (a CASE per account cost more; the caller converts the sums). `tiers` are every
    tier, with their touch cadences. `few`: `accounts` are a view no summary row holds (filters
    combined, a KAM's with a filter), whose planned QBRs are read for them alone
    (AccountQuerySet.qbr_planned_ahead_q's `among`); a slice's build, a slice's view read while
    its rows are out of date and the whole portfolio read every planned QBR once."""
    live = AccountQuerySet.live_q()
    cohort = Q(revenue_prev_12m__gt=0)
    touch_q = AccountQuerySet.touch_overdue_q(today, default_cadence_days, tiers=list(tiers))
    qbr_q = AccountQuerySet.qbr_overdue_q(today, among=accounts if few else None)
    renewal_q = AccountQuerySet.renewal_within_q(today, RENEWAL_DAYS)
    last, previous = F("revenue_last_12m"), F("revenue_prev_12m")
    return list(
        accounts.values(*by, *GROUP_FIELDS)
        .annotate(
            accounts=Count("pk"),
            pipeline_accounts=Count("pk", filter=AccountQuerySet.open_pipeline_q()),
            **{
                count: Count("pk", filter=Q(status=status))
                for status, count in STATUS_COUNTS.items()
            },
            live_accounts=Count("pk", filter=live),
            live_revenue=Sum(last, filter=live),
            touch=Count("pk", filter=touch_q),
            qbr=Count("pk", filter=qbr_q),
            renewals=Count("pk", filter=renewal_q),
            renewals_revenue=Sum(last, filter=renewal_q),
            cohort_base=Sum(previous, filter=cohort),
            cohort_current=Sum(last, filter=cohort),
            cohort_kept=Sum(Least(last, previous), filter=cohort),
        )
        .order_by()
    )


def pipeline_group_rows(opportunities: QuerySet, *, by: tuple[str, ...] = ()) -> list[dict]:
    """The open pipeline per (account tier, opportunity currency), and per `by` account fields
    first: amount × probability summed ("weighted", the weighted amount × 100) and the
    opportunities counted ("open"). One query; the caller converts."""
    return list(
        opportunities.values(
            *(f"plan__account__{field}" for field in by),
            "currency",
            tier_id=F("plan__account__tier_id"),
        )
        .annotate(weighted=Sum(F("amount") * F("probability")), open=Count("pk"))
        .order_by()
    )


def commitment_group_rows(
    commitments: QuerySet, today: date, *, by: tuple[str, ...] = ()
) -> list[dict]:
    """The overdue commitments per account tier, and per `by` account fields first: how many,
    and the accounts that have any ("overdue", "accounts"). One query."""
    return list(
        commitments.overdue(today)
        .values(*(f"account__{field}" for field in by), tier_id=F("account__tier_id"))
        .annotate(overdue=Count("pk"), accounts=Count("account_id", distinct=True))
        .order_by()
    )


def load_group_rows(live_accounts: QuerySet[Account], *, by: tuple[str, ...] = ()) -> list[dict]:
    """The live accounts (`live_accounts`, the caller's `.live()`) per tier, and per `by` fields
    first ("live_accounts"): one query. The load per KAM against each tier's policy."""
    return list(live_accounts.values(*by, "tier_id").annotate(live_accounts=Count("pk")).order_by())


def pareto_bucket_rows(live_accounts: QuerySet[Account], rates: Rates) -> list[tuple]:
    """The live accounts with revenue, ranked by revenue converted with `rates`, largest
    first, cut into up to PARETO_BARS buckets of equal count: (bucket, accounts, revenue to the
    cent, first rank, last rank) per bucket, in order. One query."""
    ranked = live_accounts.annotate(converted_revenue=converted("revenue_last_12m", rates)).filter(
        converted_revenue__gt=0
    )
    # .order_by(): the model's ordering by name would sort every account for nothing.
    inner, params = ranked.values("converted_revenue").order_by().query.sql_with_params()
    sql = f"""
        SELECT bucket, COUNT(*), ROUND(SUM(rev), 2), MIN(rank), MAX(rank) FROM (
            SELECT rev, rank, CEIL(rank * %s::numeric / total)::int AS bucket FROM (
                SELECT r.converted_revenue AS rev,
                       ROW_NUMBER() OVER (ORDER BY r.converted_revenue DESC) AS rank,
                       COUNT(*) OVER () AS total
                FROM ({inner}) AS r
            ) AS ranked
        ) AS bucketed
        GROUP BY bucket ORDER BY bucket
    """  # noqa: S608 - the inner SQL is Django's, with its parameters passed separately  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(sql, (PARETO_BARS, *params))
        return [tuple(row) for row in cursor.fetchall()]


def health_month_counts(
    months: QuerySet[HealthMonth], *, since: date | None = None, only: set | None = None
) -> list[tuple]:
    """(month, band, score, accounts) of the monthly health rows that are scored and in a known
    band, from month `since` (or only the months `only`): one query, a hash aggregate of at
    most months × 3 × 101 rows (percentile_cont sorted every row instead, bench/README.md)."""
    if since is not None:
        months = months.filter(month__gte=since)
    if only is not None:
        months = months.filter(month__in=only)
    return list(
        months.exclude(band=HealthBand.UNKNOWN)
        .exclude(score=None)
        .values_list("month", "band", "score")
        .annotate(accounts=Count("pk"))
        .order_by()
    )


# --- reading ----------------------------------------------------------------------------------


def slice_rows(slices: Slices, *, today: date, tier_id: int | None = None) -> list[dict] | None:
    """The rows of the view made of `slices` as `account_group_rows` gives them, the slices'
    rows side by side (only tier `tier_id`'s when given); the whole portfolio is
    ((SliceDimension.PORTFOLIO, ""),). Brings the slices up to date first: two queries when
    nothing changed. None when a later day is built already (a page that took its date just
    before midnight), or when the slices must be brought up to date while a refresh, a day's
    build or the nightly check holds the lock (14 s at 100,000 accounts): the caller reads the
    accounts instead of waiting."""
    marks = _marks_of(slices)
    # 1. the latest day built from `today` on, and whether a slice of the view is marked
    state = _latest_build(marks, today).values_list("day", "marked").first()
    if state is not None and state[0] > today:
        return None
    if (state is None or state[1]) and _bring_up_to_date(today, marks, wait=False) < 0:
        return None
    # 2. the rows
    return list(_view_rows(PortfolioSlice, slices, today, tier_id).values(*GROUP_FIELDS, *FIGURES))


def _view_rows(model: type[SliceRow], slices: Slices, today: date, tier_id: int | None):
    """The stored rows of `model` for the view made of `slices` (only tier `tier_id`'s)."""
    in_view = Q()
    for dimension, value in slices:
        in_view |= Q(dimension=dimension, value=value)
    rows = model.objects.filter(in_view, day=today)
    return rows if tier_id is None else rows.filter(tier_id=tier_id)


def _latest_build(marks: Q, today: date) -> QuerySet:
    """The days built from `today` on, latest first, each with whether one of `marks` stands
    (`marked`). A later day than `today` (a page that took its date just before midnight) takes
    the marks, so `today`'s rows are then no longer kept current."""
    return (
        PortfolioSliceBuild.objects.filter(day__gte=today)
        .order_by("-day")
        .annotate(marked=Exists(PortfolioSliceMark.objects.filter(marks)))
    )


def _sum_if_current(slices: Slices, rows: QuerySet, figure: str, *, today: date):
    """`figure` summed over `rows` (stored rows of the view made of `slices`, for `today`) when
    the view's rows are current: `today` is the latest day built and nothing it depends on is
    marked (`_marks_of`), and, for a figure its row set lists as added (_RowSet.added), no row
    lacks it (a row the code of a release before it wrote). One query: (False, None) when they
    are not current, else (True, the sum; None when there is no row to sum). Reads only:
    bringing the rows up to date is the dashboard's and the minute task's."""
    added = figure in ADDED_FIGURES.get(rows.model, ())
    total = rows.order_by().values("day").annotate(total=Sum(figure)).values("total")
    state = (
        _latest_build(_marks_of(slices), today)
        .annotate(
            total=Subquery(total),
            lacking=Exists(rows.filter(**{figure: None})) if added else Value(False),
        )
        .values_list("day", "marked", "total", "lacking")
        .first()
    )
    if state is None or state[0] > today or state[1] or state[3]:
        return False, None
    return True, state[2]


def count_stored(
    slices: Slices,
    count: str,
    *,
    today: date,
    tier_id: int | None = None,
    band: str = "",
    pareto_class: str = "",
) -> int | None:
    """The accounts list's count of one figure of COUNTS, or of COMMITMENT_ACCOUNTS (the
    accounts with an overdue agreed item), over the view made of `slices`, narrowed by a tier,
    a health band (AccountQuerySet.in_band) and a Pareto class (the commitment rows are per
    tier only: None with a band or class): the stored rows' sum when they are current
    (`_sum_if_current`), one query; None when they are not (the caller counts the accounts)."""
    if count == COMMITMENT_ACCOUNTS:
        if band or pareto_class:
            return None
        rows = _view_rows(PortfolioCommitmentSlice, slices, today, tier_id)
        count = "accounts"
    else:
        rows = _view_rows(PortfolioSlice, slices, today, tier_id)
    if band:
        rows = rows.filter(health_band__in=AccountQuerySet.band_values(band))
    if pareto_class:
        rows = rows.filter(pareto_class=pareto_class)
    current, total = _sum_if_current(slices, rows, count, today=today)
    return (total or 0) if current else None


def live_revenue_stored(currency: str, today: date):
    """The live accounts' revenue (last 12 months) in `currency`, summed from the whole
    portfolio's summary rows when they are current (`_sum_if_current`): one query over a few
    rows, where summing the accounts reads every one of the currency (23 ms at 100,000
    accounts, bench/README.md). The same sum as the accounts' (`account_group_rows`'
    live_revenue). None when the rows are not current or hold no live revenue of the currency:
    the caller sums the accounts (accounts.selectors.account_revenue_summary)."""
    rows = _view_rows(PortfolioSlice, PORTFOLIO_VIEW, today, None).filter(currency=currency)
    _current, total = _sum_if_current(PORTFOLIO_VIEW, rows, "live_revenue", today=today)
    return total


def pipeline_slice_rows(slices: Slices, *, today: date, tier_id: int | None = None) -> list[dict]:
    """pipeline_group_rows of the view made of `slices` (only tier `tier_id`'s when given), as
    stored: one query. Read after slice_rows of the same view, which brings it up to date."""
    rows = _view_rows(PortfolioPipelineSlice, slices, today, tier_id)
    return list(rows.values("tier_id", "currency", "weighted", "open"))


def commitment_slice_rows(slices: Slices, *, today: date, tier_id: int | None = None) -> list[dict]:
    """commitment_group_rows of the view made of `slices` (only tier `tier_id`'s when given),
    as stored: one query. Read after slice_rows of the same view, which brings it up to date."""
    rows = _view_rows(PortfolioCommitmentSlice, slices, today, tier_id)
    return list(rows.values("tier_id", "overdue", "accounts"))


def sla_slice_rows(slices: Slices, *, today: date, tier_id: int | None = None) -> SlaStored:
    """sla_settled_group_rows and sla_falling_due_group_rows of the view made of `slices`
    (only tier `tier_id`'s when given), as stored: queries that insights.sla.sla_breakdown
    reads with its own. Read after slice_rows of the same view, which brings it up to date."""
    return SlaStored(
        settled=_view_rows(PortfolioSlaSlice, slices, today, tier_id)
        .values("tier_id", "kam_id", *SLA_FIGURES)
        .order_by(),
        falling_due=_view_rows(PortfolioSlaDueSlice, slices, today, tier_id)
        .values("tier_id", "kam_id", "due_at", *SLA_FALLING_DUE)
        .order_by(),
    )


def pareto_slice_rows(*, today: date, tier_id: int | None = None) -> list[tuple]:
    """pareto_bucket_rows of the whole portfolio, or of tier `tier_id`, as stored: one query.
    Read after slice_rows of the whole portfolio, which brings them up to date."""
    return list(
        PortfolioParetoBucket.objects.filter(day=today, tier_id=tier_id)
        .order_by("bucket")
        .values_list("bucket", "accounts", "revenue", "first", "last")
    )


def trend_slice_rows(*, today: date, since: date) -> list[tuple]:
    """health_month_counts of every account from month `since`, as stored: one query. Read
    after slice_rows of the whole portfolio, which brings them up to date."""
    return list(
        PortfolioTrendCount.objects.filter(day=today, month__gte=since).values_list(
            "month", "band", "score", "accounts"
        )
    )


def kam_tier_live_accounts(
    *, today: date, tier_id: int | None = None
) -> list[tuple[int, int, int]]:
    """(owner id, tier id, live accounts) of every KAM with live accounts, from the KAM slices
    (only tier `tier_id` when given): one query, in the index's order (the order of ties in the
    load table). Read after slice_rows of the whole portfolio, which brings every KAM slice up
    to date."""
    rows = PortfolioLoadSlice.objects.filter(day=today, dimension=SliceDimension.OWNER)
    if tier_id is not None:
        rows = rows.filter(tier_id=tier_id)
    return [
        (int(owner), tier, count)
        for owner, tier, count in rows.values_list("value", "tier_id", "live_accounts").order_by(
            "value", "tier_id"
        )
    ]


def _marks_of(slices: Slices) -> Q:
    """The marks that make a view's slices out of date: their own, or for the whole portfolio
    any KAM's (it is their sum), the Pareto curves' and the trend's; a mark of every slice; and
    any account's (which slices it stands for is looked up when it is taken)."""
    marks = Q(dimension__in=[EVERY_SLICE, ACCOUNT])
    for dimension, value in slices:
        if dimension == SliceDimension.PORTFOLIO:
            marks |= Q(dimension__in=[SliceDimension.OWNER, PARETO, TREND])
        else:
            marks |= Q(dimension=dimension, value=value)
    return marks


# --- keeping them current -----------------------------------------------------------------------


def _lock(*, wait: bool = True) -> bool:
    """Take the summary rows' lock for this transaction; without `wait`, only if it is free
    (False when someone else holds it). Held to the end of the transaction: the callers' own
    (`transaction.atomic`), as requests are not one transaction each (no ATOMIC_REQUESTS)."""
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
        return cursor.fetchone()[0]


@dataclass(frozen=True)
class _RowSet:
    """One kind of summary row: its model, the fields that key a row within a slice, the
    figures (summed to make the whole portfolio from the KAM slices), how the rows of some
    slices are computed from the accounts, and the kinds of slice it is kept for (every kind
    unless said: the whole portfolio's summed from the KAM slices when it is one of them)."""

    model: type[SliceRow]
    keys: tuple[str, ...]
    figures: tuple[str, ...]
    # (today, dimension, values or None for all, rule inputs) -> [(slice value, row)]
    compute: Callable[..., list[tuple[str, dict]]]
    dimensions: tuple[str, ...] = tuple(SliceDimension.values)
    # Figures a row written by the code of a release before them lacks (NULL): the whole
    # portfolio's sum of them is NULL too when a KAM slice's row lacks them, not a partial sum.
    added: tuple[str, ...] = ()

    @property
    def summed(self) -> bool:
        """Whether the whole portfolio's rows are kept (summed from the KAM slices')."""
        return SliceDimension.PORTFOLIO in self.dimensions

    def computed(self, today, dimension, values, inputs) -> list:
        return [
            self.model(day=today, dimension=dimension, value=value, **row)
            for value, row in self.compute(today, dimension, values, inputs)
        ]


def _slice_filter(dimension: str, values: set[str] | None, prefix: str = "") -> tuple[Q, tuple]:
    """The filter to the accounts of slices `values` of `dimension` (all when None) and the
    field to group by, both relative to `prefix` (the path to the account). A team slice joins
    the team, one row per member, without the accounts the member owns: one condition on the
    joined member, so that the filter and the grouping read the same join."""
    if dimension == SliceDimension.PORTFOLIO:
        return Q(), ()
    field = f"{prefix}{SLICE_FIELD[dimension]}"
    narrowed = Q()
    if dimension == SliceDimension.TEAM:
        owner = F(f"{prefix}owner_id")
        narrowed = Q(**{f"{field}__lt": owner}) | Q(**{f"{field}__gt": owner})
    if values is not None:
        if dimension in (SliceDimension.OWNER, SliceDimension.TEAM):
            values = {int(value) for value in values}
        narrowed &= Q(**{f"{field}__in": values})
    return narrowed, (SLICE_FIELD[dimension],)


def _per_slice(rows: list[dict], by: tuple[str, ...], prefix: str = "") -> list[tuple[str, dict]]:
    """(slice value, row) from rows grouped by the slice field `by` (at `prefix`) first."""
    return [(str(row.pop(f"{prefix}{by[0]}")) if by else "", row) for row in rows]


def _account_rows(today, dimension, values, inputs):
    narrowed, by = _slice_filter(dimension, values)
    default_cadence_days, tiers = inputs
    rows = account_group_rows(
        Account.objects.filter(narrowed),
        today,
        default_cadence_days=default_cadence_days,
        tiers=tiers,
        by=by,
    )
    return _per_slice(rows, by)


def _pipeline_rows(today, dimension, values, inputs):
    narrowed, by = _slice_filter(dimension, values, "plan__account__")
    rows = pipeline_group_rows(open_opportunities().filter(narrowed), by=by)
    return _per_slice(rows, by, "plan__account__")


def _load_rows(today, dimension, values, inputs):
    narrowed, by = _slice_filter(dimension, values)
    return _per_slice(load_group_rows(Account.objects.live().filter(narrowed), by=by), by)


def _commitment_rows(today, dimension, values, inputs):
    narrowed, by = _slice_filter(dimension, values, "account__")
    rows = commitment_group_rows(Commitment.objects.filter(narrowed), today, by=by)
    return _per_slice(rows, by, "account__")


def _sla_rows(today, dimension, values, inputs):
    narrowed, by = _slice_filter(dimension, values, "account__")
    rows = sla_settled_group_rows(ClientRequest.objects.filter(narrowed), today, by=by)
    return _per_slice(rows, by, "account__")


def _sla_due_rows(today, dimension, values, inputs):
    narrowed, by = _slice_filter(dimension, values, "account__")
    rows = sla_falling_due_group_rows(ClientRequest.objects.filter(narrowed), today, by=by)
    return _per_slice(rows, by, "account__")


ROW_SETS = (
    _RowSet(
        PortfolioSlice,
        GROUP_FIELDS,
        FIGURES,
        _account_rows,
        added=("accounts", "pipeline_accounts", *STATUS_COUNTS.values()),
    ),
    _RowSet(PortfolioCommitmentSlice, ("tier_id",), ("overdue", "accounts"), _commitment_rows),
    _RowSet(PortfolioPipelineSlice, ("tier_id", "currency"), ("weighted", "open"), _pipeline_rows),
    _RowSet(PortfolioSlaSlice, ("tier_id", "kam_id"), SLA_FIGURES, _sla_rows),
    _RowSet(PortfolioSlaDueSlice, ("tier_id", "kam_id", "due_at"), SLA_FALLING_DUE, _sla_due_rows),
    # Read for the KAM slices only (the load per KAM of the whole portfolio or a tier).
    _RowSet(
        PortfolioLoadSlice,
        ("tier_id",),
        ("live_accounts",),
        _load_rows,
        dimensions=(SliceDimension.OWNER,),
    ),
)
# Per summary model, the figures a row of the release before lacks (_RowSet.added).
ADDED_FIGURES = {row_set.model: row_set.added for row_set in ROW_SETS if row_set.added}


@transaction.atomic
@gc_paused()
def _bring_up_to_date(today: date, marked: Q | None = None, *, wait: bool = True) -> int:
    """Under the lock: the day's rows in full if they are not built (or every slice is
    marked), else the slices of the `marked` marks (every mark when None) computed again, and
    the whole portfolio summed again from its KAMs when one of them changed. Returns the rows
    written; -1, doing nothing, when a later day is built already (marks are taken for the
    latest day only), or without `wait` when someone else holds the lock."""
    if not _lock(wait=wait):
        return -1
    if PortfolioSliceBuild.objects.filter(day__gt=today).exists():
        return -1
    built = PortfolioSliceBuild.objects.filter(day=today).exists()
    if not built or PortfolioSliceMark.objects.filter(dimension=EVERY_SLICE).exists():
        return _build(today)
    if not _accounts_resolved():  # so many accounts marked that the day is built in full
        return _build(today)
    marks = PortfolioSliceMark.objects.all()
    if marked is not None:
        marks = marks.filter(marked)
    taken = list(marks.values_list("pk", "dimension", "value"))
    by_dimension: dict[str, set[str]] = {}
    for _pk, marked_dimension, marked_value in taken:
        by_dimension.setdefault(marked_dimension, set()).add(marked_value)
    inputs = _rule_inputs()
    written = _pareto_computed(today, inputs[1]) if by_dimension.pop(PARETO, None) else 0
    if months := by_dimension.pop(TREND, None):
        written += _trend_computed(today, {date.fromisoformat(month) for month in months})
    for row_set in ROW_SETS:
        for marked_dimension, values in by_dimension.items():
            if marked_dimension not in row_set.dimensions:
                continue
            rows = row_set.computed(today, marked_dimension, values, inputs)
            row_set.model.objects.filter(
                day=today, dimension=marked_dimension, value__in=values
            ).delete()
            written += rows_inserted(row_set.model, rows)
        if SliceDimension.OWNER in by_dimension and row_set.summed:
            written += _portfolio_summed(today, row_set)
    _forget([pk for pk, _dimension, _value in taken])
    return written


def _pareto_curves(today: date, tiers: list[Tier]) -> list[PortfolioParetoBucket]:
    """The Pareto curves from the accounts: the whole portfolio's and each tier's."""
    rates = rates_on(today)
    live = Account.objects.live()
    scopes = [None, *(tier.pk for tier in tiers)]
    return [
        PortfolioParetoBucket(
            day=today,
            tier_id=tier_id,
            bucket=bucket,
            accounts=count,
            revenue=revenue,
            first=first,
            last=last,
        )
        for tier_id in scopes
        for bucket, count, revenue, first, last in pareto_bucket_rows(
            live if tier_id is None else live.filter(tier_id=tier_id), rates
        )
    ]


def _pareto_computed(today: date, tiers: list[Tier]) -> int:
    curves = _pareto_curves(today, tiers)
    PortfolioParetoBucket.objects.filter(day=today).delete()
    return rows_inserted(PortfolioParetoBucket, curves)


def _trend_counts(today: date, months: set[date] | None = None) -> list[PortfolioTrendCount]:
    return [
        PortfolioTrendCount(day=today, month=month, band=band, score=score, accounts=accounts)
        for month, band, score, accounts in health_month_counts(
            HealthMonth.objects.all(), only=months
        )
    ]


def _trend_computed(today: date, months: set[date] | None = None) -> int:
    """The trend's counts of `months` (every month when None) from the monthly health rows."""
    counts = _trend_counts(today, months)
    stale = PortfolioTrendCount.objects.filter(day=today)
    if months is not None:
        stale = stale.filter(month__in=months)
    stale.delete()
    return rows_inserted(PortfolioTrendCount, counts)


def _accounts_resolved() -> bool:
    """Turn the marks of accounts (a QBR, opportunity, plan, commitment or client request
    written; the account's own QBR dates or tier) into marks of their slices as they are now
    (their team members' too), under the lock: an account moved meanwhile marked both its old
    and new slices itself, a member who left marked their team slice, and a change committed
    after this keeps its own mark. Each account's summary columns are computed again with it.

    False, taking nothing, when more than BATCH accounts are marked (a bulk import, a migration
    that added a column): the caller then takes them all at once, a refresh by building the
    day (which computes every account's columns and takes every mark), the others with
    `_every_account_marked`."""
    marks = PortfolioSliceMark.objects.filter(dimension=ACCOUNT)
    taken = list(marks.values_list("pk", "value")[: BATCH + 1])
    if not taken:
        return True
    if len(taken) > BATCH:
        return False
    ids = sorted({int(value) for _pk, value in taken})
    account_rollups_update(ids)
    keys = set()
    for start in range(0, len(ids), BATCH):
        # One row per team member (one with None for an account without a team).
        for owner_id, industry, region, member_id in (
            Account.objects.filter(InArray(F("pk"), ids[start : start + BATCH]))
            .order_by()
            .values_list("owner_id", "industry", "region", "team")
        ):
            keys |= {
                (SliceDimension.OWNER, str(owner_id)),
                (SliceDimension.INDUSTRY, industry),
                (SliceDimension.REGION, region),
            }
            if member_id is not None:
                keys.add((SliceDimension.TEAM, str(member_id)))
    rows_inserted(
        PortfolioSliceMark,
        [PortfolioSliceMark(dimension=dimension, value=value) for dimension, value in keys],
    )
    _forget([pk for pk, _value in taken])
    return True


def _every_account_marked() -> None:
    """More than BATCH account marks, outside a day build: every account's columns and one mark
    of every slice, which the next refresh builds in full, as it would compute nearly every
    slice anyway (taking 100,000 account marks: 2.8 s so, 25 s looking up each account's
    slices). The marks are deleted first, so the columns computed next see every change they
    stood for."""
    PortfolioSliceMark.objects.filter(dimension=ACCOUNT).delete()
    account_rollups_update()
    PortfolioSliceMark.objects.create(dimension=EVERY_SLICE, value="")


def _accounts_taken() -> None:
    """The marks of accounts taken, one by one or (more than BATCH) all at once."""
    if not _accounts_resolved():
        _every_account_marked()


def _forget(mark_ids: list[int]) -> None:
    """Delete the marks a refresh read (and only those: see PortfolioSliceMark)."""
    for start in range(0, len(mark_ids), BATCH):
        PortfolioSliceMark.objects.filter(pk__in=mark_ids[start : start + BATCH]).delete()


def _rule_inputs() -> tuple[int, list[Tier]]:
    return current_config().default_touch_cadence_days, list(Tier.objects.all())


def _portfolio_summed(today: date, row_set: _RowSet) -> int:
    """The whole portfolio's rows as the sums of the KAM slices' (each account has one KAM):
    a few thousand narrow rows instead of every account."""
    rows = (
        row_set.model.objects.filter(day=today, dimension=SliceDimension.OWNER)
        .values(*row_set.keys)
        .annotate(
            **{f"sum_{figure}": Sum(figure) for figure in row_set.figures},
            **{
                f"lacking_{figure}": Count("pk", filter=Q(**{figure: None}))
                for figure in row_set.added
            },
        )
        .order_by()
    )
    for row in rows:
        for figure in row_set.added:
            if row[f"lacking_{figure}"]:
                row[f"sum_{figure}"] = None
    summed = [
        row_set.model(
            day=today,
            dimension=SliceDimension.PORTFOLIO,
            value="",
            **{key: row[key] for key in row_set.keys},
            **{figure: row[f"sum_{figure}"] for figure in row_set.figures},
        )
        for row in rows
    ]
    row_set.model.objects.filter(day=today, dimension=SliceDimension.PORTFOLIO).delete()
    return rows_inserted(row_set.model, summed)


def _every_row(today: date, row_set: _RowSet, inputs, *, portfolio: bool) -> list:
    """Every slice's rows from the accounts (of the kinds of slice the rows are kept for); the
    whole portfolio's too when `portfolio` (the check computes them independently of the KAM
    slices they are summed from)."""
    dimensions = [d for d in row_set.dimensions if portfolio or d != SliceDimension.PORTFOLIO]
    return [
        row for dimension in dimensions for row in row_set.computed(today, dimension, None, inputs)
    ]


def _build(today: date) -> int:
    """Every row of `today` from the accounts (inside the lock). The day before's rows stay:
    a page that took its date just before midnight may still be reading them; older ones go."""
    # Every account's summary columns first; the marks of the accounts that changed are taken
    # with the rest, as every slice is computed below. An account mark committed after the
    # first read stays, for the next refresh: its columns may have been computed before it.
    accounts_marked = list(
        PortfolioSliceMark.objects.filter(dimension=ACCOUNT).values_list("pk", flat=True)
    )
    account_rollups_update()
    taken = accounts_marked + list(
        PortfolioSliceMark.objects.exclude(dimension=ACCOUNT).values_list("pk", flat=True)
    )
    inputs = _rule_inputs()
    written = _pareto_computed(today, inputs[1]) + _trend_computed(today)
    for row_set in ROW_SETS:
        rows = _every_row(today, row_set, inputs, portfolio=False)
        row_set.model.objects.filter(day=today).delete()
        written += rows_inserted(row_set.model, rows)
        if row_set.summed:
            written += _portfolio_summed(today, row_set)
    _forget(taken)
    kept = today - timedelta(days=1)
    models = (*(row_set.model for row_set in ROW_SETS), PortfolioParetoBucket, PortfolioTrendCount)
    for model in models:
        model.objects.filter(day__lt=kept).delete()
    PortfolioSliceBuild.objects.filter(day__lt=kept).delete()
    PortfolioSliceBuild.objects.update_or_create(
        day=today, defaults={"built_at": timezone.now(), "checked_at": None, "drift": None}
    )
    # Every row the dashboard reads is new, and the planner's statistics still describe the
    # day before's until autovacuum samples the tables again: for the new day's rows it expects
    # one, and sorted the KAM slices' 38,000 rows to sum them (100,000 accounts: 26 ms instead of
    # 9). Sampled here, inside the build's transaction: 0.3 s at 100,000 accounts.
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(model._meta.db_table for model in models)}")
    return written


@transaction.atomic
def account_marks_taken() -> bool:
    """Take the marks of accounts (a QBR, opportunity, plan, commitment or client request
    written; the account's own QBR dates or tier): their summary columns computed again
    (insights.account_rollups), their slices marked for the next refresh. What a list that
    filters on those columns runs first, so it lists the accounts as they are now: one query
    when nothing is marked.

    Without waiting: while a refresh, a day build or the check holds the lock (a build takes
    seconds at 100,000 accounts), nothing is taken and False says the columns may be behind, so
    that the list reads the rules themselves for this request instead of waiting."""
    if not _lock(wait=False):
        return False
    _accounts_taken()
    return True


@transaction.atomic
def portfolio_slices_forget() -> None:
    """Forget every day built, so that the next read or refresh computes the rows in full: for
    a bulk load that bypassed the triggers (TRUNCATE fires none; the large demo loads with
    `session_replication_role = replica`), or a new REPORTING_CURRENCY (the Pareto curves are
    stored converted)."""
    _lock()
    PortfolioSliceBuild.objects.all().delete()


def portfolio_slices_refresh(*, today: date | None = None) -> int:
    """Every marked slice computed again (the day's rows in full on a new day): what the
    minute task runs. Returns the rows written (-1 when a later day than `today` is built)."""
    return _bring_up_to_date(today or business_date())


@dataclass(frozen=True)
class SliceCheck:
    """What a check found: the rows compared and those it had to repair, each described as
    "dimension=value tier band class currency: figure stored → computed"."""

    day: date
    rows: int
    drift: list[str]


def _repaired(model, stored: list, fresh: list, key, figures, label, skip=None) -> list[str]:
    """Compare the `stored` rows of `model` with the `fresh` ones by `key`; rows whose
    `figures` differ are replaced by the fresh ones (or deleted, or added). Returns a drift line
    per row, "label: figure stored → computed, …"; keys for which `skip` is true are left."""
    stored_rows = {key(row): row for row in stored}
    fresh_rows = {key(row): row for row in fresh}
    drift, repair = [], []
    for row_key in stored_rows.keys() | fresh_rows.keys():
        if skip is not None and skip(row_key):
            continue
        old, new = stored_rows.get(row_key), fresh_rows.get(row_key)
        changes = [
            f"{figure} {getattr(old, figure, None)} → {getattr(new, figure, None)}"
            for figure in figures
            if getattr(old, figure, None) != getattr(new, figure, None)
        ]
        if changes:
            drift.append(f"{label(row_key)}: {', '.join(changes)}")
            repair.append(row_key)
    model.objects.filter(
        pk__in=[stored_rows[row_key].pk for row_key in repair if row_key in stored_rows]
    ).delete()
    rows_inserted(model, [fresh_rows[row_key] for row_key in repair if row_key in fresh_rows])
    return drift


def _account_columns_repaired() -> list[str]:
    """The accounts whose summary columns differ from their rules, repaired: a drift line per
    account, "account=id: column stored → computed, …". Accounts marked meanwhile are left to
    the next refresh (what a mark covers is not drift): their marks are read after the
    comparison, so that one committed while it ran counts."""
    found = account_rollups_drift()
    marked = {
        int(value)
        for value in PortfolioSliceMark.objects.filter(dimension=ACCOUNT).values_list(
            "value", flat=True
        )
    }
    found = [row for row in found if row[0] not in marked]
    account_rollups_update([pk for pk, _stored, _computed in found])
    return [
        f"account={pk}: "
        + ", ".join(
            f"{column} {old} → {new}"
            for column, old, new in zip(ROLLUP_COLUMNS, stored, computed, strict=True)
            if old != new
        )
        for pk, stored, computed in found
    ]


def _slice_key(row_set: _RowSet):
    return lambda row: (row.dimension, row.value, *(getattr(row, key) for key in row_set.keys))


def _slice_label(row_key: tuple) -> str:
    parts = " ".join("" if part is None else str(part) for part in row_key[2:])
    return f"{row_key[0]}={row_key[1]} {parts}"


@transaction.atomic
@gc_paused()
def portfolio_slices_check(*, today: date | None = None) -> SliceCheck:
    """Every row computed again from the accounts (the whole portfolio's too, rather than
    summed) and compared with the stored one; the rows that differ are repaired and reported
    (a warning in the log; the day's build row keeps the count). Marked slices are brought up
    to date first, and slices marked while the check ran are left to the next refresh: what a
    mark covers is not drift."""
    today = today or business_date()
    if _bring_up_to_date(today) < 0:
        return SliceCheck(day=today, rows=0, drift=[])  # a later day is built: check that one
    inputs = _rule_inputs()
    fresh = {row_set: _every_row(today, row_set, inputs, portfolio=True) for row_set in ROW_SETS}
    curves, counts = _pareto_curves(today, inputs[1]), _trend_counts(today)
    _accounts_taken()  # what was written while this ran
    moving = set(PortfolioSliceMark.objects.values_list("dimension", "value"))
    if any(dimension in (SliceDimension.OWNER, EVERY_SLICE) for dimension, _value in moving):
        moving.add((SliceDimension.PORTFOLIO, ""))
    moving_dimensions = {dimension for dimension, _value in moving}
    drift = _account_columns_repaired()
    if EVERY_SLICE not in moving_dimensions:
        for row_set, rows in fresh.items():
            drift += _repaired(
                row_set.model,
                list(row_set.model.objects.filter(day=today)),
                rows,
                _slice_key(row_set),
                row_set.figures,
                _slice_label,
                skip=lambda row_key: row_key[:2] in moving,
            )
        if PARETO not in moving_dimensions:
            drift += _repaired(
                PortfolioParetoBucket,
                list(PortfolioParetoBucket.objects.filter(day=today)),
                curves,
                lambda row: (row.tier_id, row.bucket),
                ("accounts", "revenue", "first", "last"),
                lambda row_key: f"pareto tier={row_key[0]} bucket={row_key[1]}",
            )
        if TREND not in moving_dimensions:
            drift += _repaired(
                PortfolioTrendCount,
                list(PortfolioTrendCount.objects.filter(day=today)),
                counts,
                lambda row: (row.month, row.band, row.score),
                ("accounts",),
                lambda row_key: f"trend month={row_key[0]} {row_key[1]} {row_key[2]}",
            )
    if drift:
        logger.warning(
            "Portfolio summary rows: %d drifted and were repaired; the first: %s",
            len(drift),
            sorted(drift)[:DRIFT_LOGGED],
        )
    PortfolioSliceBuild.objects.filter(day=today).update(
        checked_at=timezone.now(), drift=len(drift)
    )
    rows = sum(len(rows) for rows in fresh.values()) + len(curves) + len(counts)
    return SliceCheck(day=today, rows=rows, drift=sorted(drift))
