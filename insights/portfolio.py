"""The portfolio dashboard's figures (DESIGN.md §2.6), for the page, its CSV exports and the
API. Stable entry points:

    options = portfolio_options(user)                       # 2 queries: tiers, places
    filters, notices = portfolio_filters_from_query(query, options)   # 1 with a KAM, else 0
    summary = portfolio_summary(user, filters, options=options)       # 14 or 15 queries

`portfolio_summary(user, filters, *, today=None, options=None, kam_rows=None) -> PortfolioSummary`
(`kam_rows`: the rows of the two per-KAM tables built, every KAM when None) reads only
accounts `user` may see (accounts_for_user); leaders and admins see everyone, a KAM their own
and their team's accounts. It runs a fixed number of set-based queries whatever the data size
(16 or 17 with the options): no loop over accounts. Amounts are in
`summary.rates.reporting_currency` converted with the rates in force today (accounts.currency);
amounts in a currency without a rate are left out and `summary.rates.missing` says which.

What the figures are built from (docs/portfolio.md explains each one):
- revenue windows copied nightly onto each account (Account.revenue_last_12m/prev_12m, by
  accounts.services.account_revenue_refresh, as of its last run's day: `summary.revenue_as_of`);
- the denormalised tier, Pareto class, health band and last touch on the account row;
- one health row per account and month (accounts.HealthMonth) for the 12-month trend;
- for a leader's whole portfolio, one KAM, one industry or one region, and for a KAM's own
  accounts (any of them narrowed by a tier), the summary rows of insights.portfolio_slices,
  kept current as data changes;
- the account rules of accounts.models.AccountQuerySet (live, touch and QBR overdue,
  renewals, health bands, Pareto classes), which the accounts list filters with too, so that
  every figure's link (`drill(...)`) lists exactly the accounts it counts.
"""

from __future__ import annotations

import functools
import heapq
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import caches
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.urls import get_script_prefix, reverse
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

from accounts.currency import Rates, converted, rates_on
from accounts.health_text import component_label, reason_text
from accounts.models import (
    Account,
    AccountQuerySet,
    Currency,
    HealthBand,
    HealthMonth,
    HealthScore,
    Tier,
)
from accounts.selectors import (
    LIVE,
    accounts_for_user,
    current_config,
    industries_and_regions_for_user,
    revenue_windows_as_of,
    sees_every_account,
    sees_owned_and_team_accounts,
)
from activities.models import ClientRequest, Commitment
from insights.models import SliceDimension
from insights.portfolio_slices import (
    AMOUNTS,
    PORTFOLIO_VIEW,
    RENEWAL_DAYS,
    Slices,
    account_group_rows,
    commitment_group_rows,
    commitment_slice_rows,
    health_month_counts,
    kam_tier_live_accounts,
    load_group_rows,
    pareto_bucket_rows,
    pareto_slice_rows,
    pipeline_group_rows,
    pipeline_slice_rows,
    sla_slice_rows,
    slice_rows,
    trend_slice_rows,
)
from insights.sla import WINDOWS, SlaBreakdown, SlaCompliance, sla_breakdown
from kam.dates import business_date
from kam.lookups import InArray
from kam.models import Role, User, user_choices
from kam.params import parse_int
from kam.people import people_in_scope
from plans.models import Opportunity
from plans.selectors import open_opportunities

logger = logging.getLogger(__name__)
ZERO = Decimal("0")
CENT = Decimal("0.01")
TABLE_ROWS = 10
# What the account tables draw, on the page and in their downloads (the name, owner, tier,
# health and renewal date) and what the opportunities' table draws: each row built every
# column of an account, its owner, its tier (and an opportunity's plan and owner) for nothing.
TABLE_ACCOUNT_FIELDS = (
    "name", "health_score", "health_band", "renewal_date",
    "owner__full_name", "owner__email", "tier__key", "tier__name",
)  # fmt: skip
TABLE_OPPORTUNITY_FIELDS = (
    "title", "stage", "probability", "amount", "currency", "expected_close", "plan__account__name",
)  # fmt: skip
# KAMs the load table shows (and links); its CSV has every KAM.
LOAD_ROWS = 20
# Up to this many open opportunities in view, the largest are found by sorting them all
# (_opportunity_rows), in ms sorted whole / by the index: 205 (a tier, industry and region at
# 20,000 accounts) 3.9 / 8.2, 1,238 (the same at 100,000) 8.4 / 34.4, 2,840 (an industry and
# region at 100,000) 20.7 / 29.3, 5,024 (an industry at 20,000) 18.9 / 7.9, 25,160 (the same at
# 100,000) 50.4 / 10.3.
SORTED_WHOLE_MAX = 3000
TREND_MONTHS = 12
BANDS = [HealthBand.HEALTHY, HealthBand.WATCH, HealthBand.AT_RISK, HealthBand.UNKNOWN]


# --- filters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PortfolioFilters:
    owner_id: int | None = None
    tier_id: int | None = None
    industry: str = ""
    region: str = ""
    # The chosen KAM's name, as read when the filter was checked (for the KAM filter's picker);
    # not part of what the filters are.
    owner_name: str = field(default="", compare=False)

    def as_query(self) -> dict[str, str]:
        """The filters as URL parameters, for the page URL and the accounts-list links."""
        query = {
            "owner": str(self.owner_id or ""),
            "tier": str(self.tier_id or ""),
            "industry": self.industry,
            "region": self.region,
        }
        return {key: value for key, value in query.items() if value}

    @property
    def is_filtered(self) -> bool:
        return bool(self.as_query())


@dataclass(frozen=True)
class PortfolioOptions:
    user: User
    tiers: list[Tier]
    industries: list[str]
    regions: list[str]

    def owner_name(self, owner_id: int) -> str | None:
        """The name of `owner_id` when they own an account `user` sees (one query), else
        None. The KAM filter is a people picker (kam.people, scope "owners"): the page lists
        no owners, and a chosen one is checked by this query."""
        found = user_choices(people_in_scope("owners", self.user).filter(pk=owner_id))
        return found[0][1] if found else None


def portfolio_options(user) -> PortfolioOptions:
    """What the filters offer: the industries and regions of the accounts `user` sees, and
    every tier (two queries); the owners are found by the KAM filter's picker."""
    industries, regions = industries_and_regions_for_user(user)
    return PortfolioOptions(
        user=user,
        tiers=list(Tier.objects.order_by("rank")),
        industries=industries,
        regions=regions,
    )


FILTER_KEYS = ("owner", "tier", "industry", "region")


def portfolio_filters_from_query(query, options: PortfolioOptions) -> tuple[PortfolioFilters, list]:
    """Filters from a query string (a QueryDict or a dict). An unknown value, a malformed one
    or one outside what `user` sees drops every filter: the caller shows the unfiltered page
    with the notices returned."""
    notices = []
    values = {}
    labels = {
        "owner": _("KAM"),
        "tier": _("tier"),
        "industry": _("industry"),
        "region": _("region"),
    }
    for key in FILTER_KEYS:
        raw = query.getlist(key) if hasattr(query, "getlist") else [query.get(key, "")]
        raw = [value for value in raw if value not in ("", None)]
        if len(raw) > 1:
            notices.append(_("Only one %(filter)s can be chosen.") % {"filter": labels[key]})
        elif raw:
            values[key] = str(raw[0]).strip()
    known = {
        "tier": {str(tier.pk) for tier in options.tiers},
        "industry": set(options.industries),
        "region": set(options.regions),
    }
    owner_name = None
    for key, value in values.items():
        if key == "owner":
            owner_id = parse_int(value)
            owner_name = options.owner_name(owner_id) if owner_id is not None else None
            is_known = owner_name is not None
        else:
            is_known = value in known[key]
        if not is_known:
            notices.append(
                _("Unknown %(filter)s “%(value)s”.") % {"filter": labels[key], "value": value[:60]}
            )
    if notices:
        notices.append(_("Showing the whole portfolio instead."))
        return PortfolioFilters(), notices
    return (
        PortfolioFilters(
            owner_id=int(values["owner"]) if "owner" in values else None,
            tier_id=int(values["tier"]) if "tier" in values else None,
            industry=values.get("industry", ""),
            region=values.get("region", ""),
            owner_name=owner_name or "",
        ),
        [],
    )


def filtered_accounts(user, filters: PortfolioFilters) -> QuerySet[Account]:
    accounts = accounts_for_user(user)
    if filters.owner_id:
        accounts = accounts.filter(owner_id=filters.owner_id)
    if filters.tier_id:
        accounts = accounts.filter(tier_id=filters.tier_id)
    if filters.industry:
        accounts = accounts.filter(industry=filters.industry)
    if filters.region:
        accounts = accounts.filter(region=filters.region)
    return accounts


def drill(filters: PortfolioFilters, **extra) -> str:
    """The accounts list filtered to the accounts behind a figure: the dashboard's filters
    plus `extra` (accounts list parameters)."""
    query = {**filters.as_query(), **{k: str(v) for k, v in extra.items() if v not in (None, "")}}
    path = _account_list_path(get_script_prefix())
    return path + "?" + "&".join(map(_query_pair, query.items())) if query else path


@functools.lru_cache(maxsize=1024)
def _query_pair(pair: tuple[str, str]) -> str:
    """One `key=value` of a drill-down URL, encoded as urlencode does: the dashboard links 120
    to 200 figures to the list (the filtered views fewer) with the same few pairs, and encoding
    them anew took 3 of its 40 ms (bench/README.md, "Where a page is above its floor")."""
    return urlencode((pair,))


@functools.cache
def _account_list_path(script_prefix: str) -> str:
    """The accounts list's path, reversed once for the prefix the site is served under (the
    key): the computed dashboard links some 200 figures to the list, and reversing each took
    about 3 of its 90 ms."""
    return reverse("account_list")


# --- the summary ------------------------------------------------------------------------------


@dataclass
class Figure:
    """A number and the accounts list URL of the accounts behind it."""

    value: object
    url: str
    accounts: int | None = None


@dataclass
class TierRow:
    tier_id: int | None
    name: str
    accounts: Figure
    bands: dict[str, Figure]  # band -> accounts of that tier in that band
    revenue: Decimal
    max: int | None = None  # the tier policy's maximum accounts per KAM


@dataclass
class ParetoBar:
    label: str  # "1–25": the accounts' ranks by revenue
    accounts: int
    revenue: Decimal
    cumulative_pct: float
    band: str  # "A", "B" or "C": where the bar ends on the cumulative curve


@dataclass
class TrendPoint:
    month: date
    median: float | None
    at_risk_pct: float | None
    scored: int


@dataclass
class AtRiskRow:
    account: Account
    revenue: Decimal | None
    reasons: list[dict]  # {"label", "reason"}, weakest first


@dataclass
class RenewalRow:
    account: Account
    revenue: Decimal | None


@dataclass
class OpportunityRow:
    opportunity: object
    weighted: Decimal | None
    amount: Decimal | None


@dataclass
class LoadCell:
    tier_id: int
    accounts: Figure
    max: int  # the tier policy's maximum accounts per KAM

    @property
    def over(self) -> bool:
        return self.accounts.value > self.max


@dataclass
class LoadRow:
    owner_id: int
    name: str
    accounts: Figure
    cells: list[LoadCell]  # one per tier, in rank order
    over: list[str]  # tiers above their maximum accounts per KAM

    @property
    def over_policy(self) -> bool:
        return bool(self.over)


@dataclass
class SlaRow:
    """SLA compliance of one tier or one KAM over each window (insights.sla); `missed` links
    to the accounts with a missed target in that window."""

    key: int | None
    name: str
    windows: dict[int, SlaCompliance]
    accounts: str  # the accounts of this tier or KAM
    missed: dict[int, str]  # window → the accounts with a missed target in it

    @property
    def window_cells(self) -> list[tuple[SlaCompliance, str]]:
        """Each window's compliance with the link to its accounts with a missed target."""
        return [(self.windows[days], self.missed.get(days, "")) for days in WINDOWS]


@dataclass
class PortfolioSummary:
    today: date
    filters: PortfolioFilters
    rates: Rates
    revenue_as_of: date | None
    accounts: Figure  # not churned
    revenue: Figure  # last 12 months, accounts not churned
    revenue_at_risk: Figure
    at_risk: Figure
    touch_overdue: Figure
    qbr_overdue: Figure
    renewals: Figure  # accounts renewing in the next RENEWAL_DAYS
    renewals_revenue: Decimal
    pipeline_weighted: Figure
    pipeline_open: int  # open opportunities
    commitments_overdue: Figure  # value = commitments, accounts = accounts with any
    nrr_pct: Figure
    grr_pct: Figure
    retention_base: Decimal  # revenue of the 12 months before, of the retention cohort
    retention_current: Decimal
    retention_kept: Decimal
    pareto_classes: dict[str, Figure]  # stored class -> accounts (value = revenue)
    pareto: list[ParetoBar] = field(default_factory=list)
    tiers: list[TierRow] = field(default_factory=list)
    trend: list[TrendPoint] = field(default_factory=list)
    at_risk_rows: list[AtRiskRow] = field(default_factory=list)
    renewal_rows: list[RenewalRow] = field(default_factory=list)
    opportunity_rows: list[OpportunityRow] = field(default_factory=list)
    load: list[LoadRow] = field(default_factory=list)
    sla_tiers: list[SlaRow] = field(default_factory=list)
    sla_kams: list[SlaRow] = field(default_factory=list)
    pareto_a_pct: float = 80.0
    pareto_b_pct: float = 95.0
    computed_at: datetime | None = None  # when these figures were computed (they may be cached)
    from_cache: bool = False
    load_total: int = 0  # KAMs in the load table (`load` may hold only the first rows)
    sla_kams_total: int = 0  # KAMs in the SLA table (`sla_kams` likewise)
    # Which computation these figures are (the entry's key and its drawing name it).
    computation: str = field(default_factory=lambda: uuid.uuid4().hex)
    # The tiers of the load table's columns, as its rows' cells are (the figures' own).
    load_tiers: list[Tier] = field(default_factory=list)

    @property
    def unconverted(self) -> list[str]:
        return self.rates.missing

    @property
    def sla_windows(self) -> tuple[int, ...]:
        return WINDOWS

    @property
    def has_every_kam(self) -> bool:
        """Whether the load and SLA tables hold every KAM (not only the rows the page draws,
        `kam_rows` of portfolio_summary)."""
        return len(self.load) == self.load_total and len(self.sla_kams) == self.sla_kams_total


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT)


def _pct(part: Decimal, whole: Decimal) -> float | None:
    return round(float(part / whole * 100), 1) if whole else None


def portfolio_summary(
    user,
    filters: PortfolioFilters,
    *,
    today: date | None = None,
    options: PortfolioOptions | None = None,
    kam_rows: int | None = None,
) -> PortfolioSummary:
    """Every figure of the dashboard for the accounts `user` sees that match `filters`: fourteen
    or fifteen queries (numbered below), plus two for `options` when not given. One
    function per block of the page; the account rules (live, touch and QBR overdue, renewals,
    bands, Pareto classes) are AccountQuerySet's, as on the accounts list the figures link
    to. The two per-KAM tables hold their first `kam_rows` rows (every KAM when None), in
    their order over every KAM, with the number of KAMs: the page draws 20 of 1,400 at
    100,000 accounts, and building every row took longer than most of its statements."""
    today = today or business_date()
    options = options or portfolio_options(user)
    tiers = {tier.pk: tier for tier in options.tiers}
    # 1. the exchange rates in force, 2. the scoring configuration (cadence, Pareto bands)
    rates = rates_on(today)
    config = current_config()
    accounts = filtered_accounts(user, filters)
    # A leader's unfiltered view reads whole tables: no join to "the accounts in view".
    narrowed = not (user.sees_all_accounts and not filters.is_filtered)

    def scoped(rows, account_field="account"):
        """`rows` of the accounts in view; everyone's without a join when nothing narrows."""
        if not narrowed:
            return rows
        return rows.filter(**{f"{account_field}__in": accounts.values("pk")})

    revenue = converted("revenue_last_12m", rates)
    # 3. the figures per tier, band, stored Pareto class and currency: the summary rows of the
    # view when it has them (3a whether they are current, 3b the rows), else one pass over
    # its accounts
    view = view_slices(user, filters)
    groups = None if view is None else slice_rows(view, today=today, tier_id=filters.tier_id)
    if groups is None:  # no summary rows for this view, or for this day any more
        # A view no summary row holds (filters combined, a KAM's with a filter) is a few
        # accounts: its planned QBRs are read for them alone. A slice's view read here while
        # its rows are out of date (a region, a tier: thousands) keeps the portfolio's set.
        few = narrowed and view is None
        view = None
        groups = account_group_rows(
            accounts,
            today,
            default_cadence_days=config.default_touch_cadence_days,
            tiers=tiers.values(),
            few=few,
        )
    _convert(groups, rates)
    summary = PortfolioSummary(
        today=today,
        filters=filters,
        rates=rates,
        # 4. the day the revenue windows are as of (the last refresh's)
        revenue_as_of=revenue_windows_as_of(),
        **_kpi_figures(groups, filters),
        pareto_classes=_pareto_classes(groups, filters),
        tiers=_tier_rows(groups, tiers, filters),
        pareto_a_pct=float(config.pareto_a_pct),
        pareto_b_pct=float(config.pareto_b_pct),
    )
    live_accounts = accounts.live()
    # 5. the Pareto curve (stored for the whole portfolio and each tier)
    if view == PORTFOLIO_VIEW:
        buckets = pareto_slice_rows(today=today, tier_id=filters.tier_id)
    else:
        buckets = pareto_bucket_rows(live_accounts, rates)
    summary.pareto = _pareto_bars(buckets, summary)
    # 6. median health and share at risk per month (stored for the whole portfolio)
    first = _months_back(today, TREND_MONTHS)
    if view == PORTFOLIO_VIEW and filters.tier_id is None:
        counts = trend_slice_rows(today=today, since=first)
    else:
        counts = health_month_counts(scoped(HealthMonth.objects.all()), since=first)
    summary.trend = _health_trend(counts)
    # 7. accounts in the at-risk health band, largest revenue first, with their latest reasons
    summary.at_risk_rows = _at_risk_rows(live_accounts, revenue)
    # 8. the next renewals
    summary.renewal_rows = _renewal_rows(accounts, today, revenue)
    # 9. the weighted pipeline (the view's summary rows, or its open opportunities), 10. its
    # largest opportunities
    opportunities = scoped(open_opportunities(), "plan__account")
    if view is not None:
        pipeline = pipeline_slice_rows(view, today=today, tier_id=filters.tier_id)
    else:
        pipeline = pipeline_group_rows(opportunities)
    summary.pipeline_weighted.value, summary.pipeline_open = _pipeline_totals(pipeline, rates)
    summary.opportunity_rows = _opportunity_rows(
        opportunities, rates, sort_whole=summary.pipeline_open <= SORTED_WHOLE_MAX
    )
    # 11. commitments overdue and the accounts that have them (the view's summary rows, or its
    # commitments)
    if view is not None:
        overdue = commitment_slice_rows(view, today=today, tier_id=filters.tier_id)
    else:
        overdue = commitment_group_rows(scoped(Commitment.objects.all()), today)
    # Per tier: the accounts add up, an account has one tier.
    summary.commitments_overdue.value = sum(row["overdue"] for row in overdue)
    summary.commitments_overdue.accounts = sum(row["accounts"] for row in overdue)
    # 12. accounts per KAM and tier against the tier policy (none for one KAM's slice: the
    # load is theirs)
    counts = _load_counts(view, groups, live_accounts, filters=filters, today=today)
    # 13. SLA compliance of the client requests per tier and per KAM, 30 and 90 days, in one
    # statement: the view's summary rows (what stays put during the day, and the open clocks
    # falling due today) plus the requests received today, read live; with no summary rows,
    # every request of the window
    now = timezone.now()
    stored = None
    if view is not None and business_date(now) == today:
        stored = sla_slice_rows(view, today=today, tier_id=filters.tier_id)
    breakdown = sla_breakdown(scoped(ClientRequest.objects.all()), now, stored=stored)
    # 14. the names of the KAMs of the two tables (both are ordered by name after their
    # figures); none to read when no KAM has an account in view
    kam_ids = counts.keys() | breakdown.kam_counts.keys()
    names = dict(user_choices(User.objects.filter(InArray(F("pk"), kam_ids)))) if kam_ids else {}
    summary.load = _load_rows(_load_order(counts, names, tiers, kam_rows), names, tiers, filters)
    summary.load_tiers = list(tiers.values())
    summary.load_total = len(counts)
    summary.sla_tiers, summary.sla_kams = _sla_rows(
        breakdown, tiers, filters, names, kam_rows=kam_rows
    )
    summary.sla_kams_total = len(breakdown.kam_counts)
    summary.computed_at = timezone.now()
    return summary


def view_slices(user, filters: PortfolioFilters) -> Slices | None:
    """The summary rows that answer this view (insights.portfolio_slices): the slices whose
    rows add up to it. For a leader, the whole portfolio or one KAM's, industry's or region's
    slice; for a KAM, their KAM slice and their team slice (their own accounts alone with the
    KAM filter on themselves). None when the view must read its accounts: two of KAM, industry
    and region at once, or a KAM's view narrowed by industry, region or another KAM (a tier
    narrows the rows of any slice)."""
    narrowing = [
        (dimension, value)
        for dimension, value in (
            (SliceDimension.OWNER, str(filters.owner_id) if filters.owner_id else ""),
            (SliceDimension.INDUSTRY, filters.industry),
            (SliceDimension.REGION, filters.region),
        )
        if value
    ]
    if sees_every_account(user):
        if len(narrowing) > 1:
            return None
        return (narrowing[0],) if narrowing else PORTFOLIO_VIEW
    if not sees_owned_and_team_accounts(user):
        return None
    own = (SliceDimension.OWNER, str(user.pk))
    if not narrowing:
        return (own, (SliceDimension.TEAM, str(user.pk)))
    return (own,) if narrowing == [own] else None


def _convert(groups: list[dict], rates) -> None:
    """Each group's sums (in its currency) in the reporting currency, in place (a CASE per
    account cost more)."""
    for group in groups:
        for key in AMOUNTS:
            if group[key] is not None:
                group[key] = rates.convert(group[key], group["currency"])


def _total(groups: list[dict], key: str):
    value = sum((row[key] or 0 for row in groups), start=0)
    return value.quantize(CENT) if isinstance(value, Decimal) else value


def _in_band(groups: list[dict], band: str) -> list[dict]:
    """The groups of a health band, as the accounts list's band filter (in_band) reads it."""
    values = AccountQuerySet.band_values(band)
    return [g for g in groups if g["health_band"] in values]


def _kpi_figures(groups: list[dict], filters: PortfolioFilters) -> dict[str, object]:
    """The headline figures, each with the accounts-list link that lists what it counts (the
    pipeline and commitments are filled in later)."""

    def url(**extra):
        return drill(filters, **extra)

    at_risk = _in_band(groups, HealthBand.AT_RISK)
    base, current = _total(groups, "cohort_base"), _total(groups, "cohort_current")
    kept = _total(groups, "cohort_kept")
    return {
        "accounts": Figure(_total(groups, "live_accounts"), url(status=LIVE)),
        "revenue": Figure(_total(groups, "live_revenue"), url(status=LIVE, revenue="last_12m")),
        # The health band, not the status a KAM sets: the link filters band=at_risk.
        "revenue_at_risk": Figure(
            _total(at_risk, "live_revenue"), url(status=LIVE, band=HealthBand.AT_RISK)
        ),
        "at_risk": Figure(
            _total(at_risk, "live_accounts"), url(status=LIVE, band=HealthBand.AT_RISK)
        ),
        "touch_overdue": Figure(_total(groups, "touch"), url(touch="overdue")),
        "qbr_overdue": Figure(_total(groups, "qbr"), url(qbr="overdue")),
        "renewals": Figure(_total(groups, "renewals"), url(renewal=RENEWAL_DAYS, sort="renewal")),
        "renewals_revenue": _total(groups, "renewals_revenue"),
        "pipeline_weighted": Figure(ZERO, url(pipeline="open")),
        "pipeline_open": 0,
        "commitments_overdue": Figure(0, url(commitments="overdue")),
        "nrr_pct": Figure(_pct(current, base), url(revenue="prev_12m")),
        "grr_pct": Figure(_pct(kept, base), url(revenue="prev_12m")),
        "retention_base": base,
        "retention_current": current,
        "retention_kept": kept,
    }


def _pareto_classes(groups: list[dict], filters: PortfolioFilters) -> dict[str, Figure]:
    """Live revenue and accounts per stored Pareto class (in_pareto_class)."""
    classes = {}
    for cls in ("A", "B", "C"):
        rows = [g for g in groups if g["pareto_class"] == cls]
        classes[cls] = Figure(
            _total(rows, "live_revenue"),
            drill(filters, status=LIVE, pareto=cls),
            accounts=_total(rows, "live_accounts"),
        )
    return classes


def _tier_rows(
    groups: list[dict], tiers: dict[int, Tier], filters: PortfolioFilters
) -> list[TierRow]:
    """Live accounts per tier and health band, with the tier's revenue (no query)."""
    tier_rows = []
    for tier_id in [*tiers, None]:
        rows = [g for g in groups if g["tier_id"] == tier_id]
        count = _total(rows, "live_accounts")
        if tier_id is None and not count:
            continue
        tier_param = tier_id or ""
        # Under a tier filter the other tiers' rows are empty: no link to their accounts.
        linked = tier_id and filters.tier_id in (None, tier_id)

        def url(linked=linked, tier_param=tier_param, **extra):
            return drill(filters, status=LIVE, tier=tier_param, **extra) if linked else ""

        tier_rows.append(
            TierRow(
                tier_id=tier_id,
                name=str(tiers[tier_id]) if tier_id else _("No tier"),
                accounts=Figure(count, url()),
                bands={
                    band: Figure(_total(_in_band(rows, band), "live_accounts"), url(band=band))
                    for band in BANDS
                },
                revenue=_total(rows, "live_revenue"),
                max=tiers[tier_id].max_accounts_per_kam if tier_id else None,
            )
        )
    return tier_rows


def _renewal_rows(accounts, today: date, revenue) -> list[RenewalRow]:
    """The next renewals (renewal_within), soonest first: one query."""
    return [
        RenewalRow(account=account, revenue=_money(account.revenue_converted))
        for account in accounts.renewal_within(today, RENEWAL_DAYS)
        .select_related("owner", "tier")
        .only(*TABLE_ACCOUNT_FIELDS)
        .annotate(revenue_converted=revenue)
        .order_by("renewal_date", "name", "pk")[:TABLE_ROWS]
    ]


def _pipeline_totals(pipeline: list[dict], rates) -> tuple[Decimal, int]:
    """The weighted pipeline and the count of open opportunities from
    insights.portfolio_slices.pipeline_group_rows (the view's summary rows, or its open
    opportunities): converted here, per tier and currency (no CASE per opportunity)."""
    weighted_total, open_count = ZERO, 0
    for row in pipeline:
        open_count += row["open"]
        converted_sum = rates.convert(row["weighted"] / 100, row["currency"])
        weighted_total += converted_sum or ZERO
    return weighted_total.quantize(CENT), open_count


def _opportunity_rows(opportunities, rates, *, sort_whole: bool) -> list[OpportunityRow]:
    """The largest open opportunities by weighted amount: one query. Over many opportunities
    the candidates are the first TABLE_ROWS of each currency by its own weighted amount
    (conversion keeps the order within a currency; a currency without a rate sorts last, by
    id, as NULL does), read off the opportunity_open_weighted index instead of converting and
    sorting every open opportunity (21 ms at 20,000 accounts). A view with few of them
    (`sort_whole`: one KAM's book, or a narrow filter) has them sorted whole: the union of a
    branch per currency, each joining the accounts in view, took longer to build and plan than
    sorting a few hundred (bench/README.md, "Where a page is above its floor")."""
    weighted = converted(F("amount") * F("probability") / 100, rates)
    if sort_whole:
        candidates = opportunities
    else:
        firsts = [
            opportunities.filter(currency=currency)
            .order_by(
                *(
                    [(F("amount") * F("probability")).desc(), "pk"]
                    if currency in rates.in_use
                    else ["pk"]
                )
            )
            .values("pk")[:TABLE_ROWS]
            for currency in Currency.values
        ]
        candidates = Opportunity.objects.filter(pk__in=firsts[0].union(*firsts[1:], all=True))
    return [
        OpportunityRow(
            opportunity=o,
            weighted=_money(o.weighted_converted),
            amount=_money(o.amount_converted),
        )
        for o in candidates.select_related("plan__account")
        .only(*TABLE_OPPORTUNITY_FIELDS)
        .annotate(weighted_converted=weighted, amount_converted=converted("amount", rates))
        .order_by(F("weighted_converted").desc(nulls_last=True), "pk")[:TABLE_ROWS]
    ]


# --- cache ------------------------------------------------------------------------------------
# The unfiltered leader view reads the whole portfolio (17 statements over all of 20,000
# accounts, bench/README.md) while most of its inputs change once a night. Figures are kept for
# PORTFOLIO_CACHE_SECONDS in the shared (Redis) cache, per audience (everyone, or one KAM),
# filters, day and language, and the page says when they were computed, with a Refresh button.
# A generation number in the key lets the nightly job and rate changes drop every entry at once.
# An entry is three keys: the key names the computation, `<key>:summary` holds the summary, and
# `<key>:drawn:<time zone>` the figures as the page drew them with the computation they drew;
# a page whose drawing is current reads the first and the last (one round trip) and neither
# draws nor unpickles anything more. Redis down costs only speed: every cache error falls back
# to computing.

GENERATION_KEY = "portfolio:generation"


def _shared_cache():
    return caches["shared"]


def portfolio_cache_reset() -> None:
    """Forget every cached dashboard (new generation); old entries expire on their own."""
    try:
        _shared_cache().set(GENERATION_KEY, uuid.uuid4().hex, None)
    except RedisError:
        logger.warning("Portfolio cache not reset: Redis is unreachable", exc_info=True)


# The shape of a cached PortfolioSummary, in its key: a change of what an entry holds (2: the
# KAM tables cut to their drawn rows; 3: the load's tiers, the figures drawn beside it; 4: the
# computation under the key, the summary under a key of its own) must not read entries stored
# by code before it.
SUMMARY_SHAPE = "4"


def _cache_key(user, filters: PortfolioFilters, today: date, generation: str) -> str:
    audience = "all" if user.sees_all_accounts else f"user{user.pk}"
    return ":".join(
        [
            "portfolio",
            SUMMARY_SHAPE,
            generation,
            audience,
            today.isoformat(),
            translation.get_language() or "",
            urlencode(filters.as_query()),
        ]
    )


def portfolio_summary_cached(
    user,
    filters: PortfolioFilters,
    *,
    options: PortfolioOptions | None = None,
    refresh: bool = False,
) -> PortfolioSummary:
    """portfolio_summary through the shared cache (see above); `refresh` recomputes and
    stores. The summary says when it was computed and whether it came from the cache. It
    holds the rows the page draws of the per-KAM tables (`kam_rows`): at 100,000 accounts the
    load and SLA rows of 1,400 KAMs made an entry of 820 KB that took longer to unpickle than
    the rest of the page (bench/README.md); their CSVs compute every row (portfolio_export)."""
    summary, _figures = _cached(user, filters, options=options, refresh=refresh, draw=None)
    return summary


def portfolio_figures_cached(
    user,
    filters: PortfolioFilters,
    *,
    options: PortfolioOptions | None = None,
    refresh: bool = False,
    draw: Callable[[PortfolioSummary], str],
) -> tuple[PortfolioSummary, str]:
    """The page's: the summary (as portfolio_summary_cached) and its figures drawn by `draw`
    (the figures' HTML of a summary) in the current time zone, kept beside the entry with the
    computation they drew. A page whose drawing is current reads the computation and the
    drawing in one round trip, and neither draws the figures again (9 ms of templates at
    20,000 accounts) nor unpickles the summary (up to a fifth of the page, bench/README.md):
    the summary it returns is read only if used (a SimpleLazyObject). Figures drawn from an
    entry since refreshed are drawn again."""
    return _cached(user, filters, options=options, refresh=refresh, draw=draw)


def _cached(
    user,
    filters: PortfolioFilters,
    *,
    options: PortfolioOptions | None,
    refresh: bool,
    draw: Callable[[PortfolioSummary], str] | None,
) -> tuple[PortfolioSummary, str]:
    seconds = settings.PORTFOLIO_CACHE_SECONDS
    today = business_date()

    def computed() -> PortfolioSummary:
        return portfolio_summary(user, filters, today=today, options=options, kam_rows=LOAD_ROWS)

    def drawn_now(summary: PortfolioSummary) -> str:
        return "" if draw is None else draw(summary)

    if seconds <= 0:
        summary = computed()
        return summary, drawn_now(summary)
    cache = _shared_cache()
    try:
        generation = cache.get(GENERATION_KEY)
        if generation is None:
            generation = uuid.uuid4().hex
            cache.add(GENERATION_KEY, generation, None)
            generation = cache.get(GENERATION_KEY, generation)
        key = _cache_key(user, filters, today, generation)
        summary_key = f"{key}:summary"
        drawn_key = f"{key}:drawn:{timezone.get_current_timezone_name()}"
        computation, figures, cached = None, "", None
        if draw is None and not refresh:
            cached = _stored_summary(summary_key)
        elif not refresh:
            found = cache.get_many([key, drawn_key])
            computation = found.get(key)
            drawn_from, figures = found.get(drawn_key, (None, ""))
            if computation is not None and drawn_from == computation:

                def stored() -> PortfolioSummary:
                    """Read when used. Gone meanwhile, replaced by a refresh since, or Redis
                    gone: computed, not stored (a refresh's entry is newer)."""
                    try:
                        summary = _stored_summary(summary_key)
                    except RedisError:
                        logger.warning("Portfolio cache unreachable; computing", exc_info=True)
                        summary = None
                    if summary is None or summary.computation != computation:
                        return computed()
                    return summary

                return SimpleLazyObject(stored), figures
            if computation is not None:
                # Its summary (the entry's key and summary are written at once: a refresh
                # since the first read makes both newer, and that summary is drawn).
                cached = _stored_summary(summary_key)
    except RedisError:
        logger.warning("Portfolio cache unreachable; computing", exc_info=True)
        summary = computed()
        return summary, drawn_now(summary)
    if cached is not None:
        if draw is None:
            return cached, ""
        # Computed without drawing (the warm task, a CSV), first viewed in this time zone, or
        # drawn from an entry since refreshed: drawn now, kept for the rest of the entry's time.
        summary, figures = cached, draw(cached)
        age = max(0, int((timezone.now() - cached.computed_at).total_seconds()))
        to_store = {drawn_key: (cached.computation, figures)} if age < seconds else {}
        seconds -= age
    else:
        summary = computed()
        figures = drawn_now(summary)
        to_store = {key: summary.computation, summary_key: summary}
        if draw is not None:
            to_store[drawn_key] = (summary.computation, figures)
    try:
        if to_store:
            cache.set_many(to_store, seconds)
    except RedisError:
        logger.warning("Portfolio cache unreachable; not stored", exc_info=True)
    return summary, figures


def _stored_summary(summary_key: str) -> PortfolioSummary | None:
    """The cached summary under `summary_key`, marked as from the cache, or None. Redis errors
    are the caller's."""
    stored = _shared_cache().get(summary_key)
    if stored is not None:
        stored.from_cache = True
    return stored


def portfolio_cache_warm() -> int:
    """Compute and store everyone's unfiltered dashboard (what leaders and admins open first)
    in each language, so that this page, the slowest to compute, is served from the cache.
    Beat runs it a little more often than the cache expires. Returns the entries stored."""
    if settings.PORTFOLIO_CACHE_SECONDS <= 0:
        return 0
    viewer = (
        User.objects.filter(is_active=True, role__in=[Role.LEADER, Role.ADMIN])
        .order_by("pk")
        .first()
    )
    if viewer is None:
        return 0
    options = portfolio_options(viewer)
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            portfolio_summary_cached(viewer, PortfolioFilters(), options=options, refresh=True)
    return len(settings.LANGUAGES)


def _pareto_bars(buckets: list[tuple], summary: PortfolioSummary) -> list[ParetoBar]:
    """Accounts by revenue, largest first, in up to PARETO_BARS bars of equal account count
    (insights.portfolio_slices.pareto_bucket_rows), with the cumulative share of revenue; a bar
    is A, B or C by where the curve is when it starts (the configured class thresholds)."""
    grand = sum((bucket[2] for bucket in buckets), start=ZERO)
    bars, running = [], ZERO
    for _bucket, count, amount, first, last in buckets:
        start_pct = float(running / grand * 100) if grand else 0.0
        running += amount
        band = "A" if start_pct < summary.pareto_a_pct else "B"
        if start_pct >= summary.pareto_b_pct:
            band = "C"
        bars.append(
            ParetoBar(
                label=f"{first}–{last}" if first != last else str(first),
                accounts=count,
                revenue=amount.quantize(Decimal("0.01")),
                cumulative_pct=round(float(running / grand * 100), 1) if grand else 0.0,
                band=band,
            )
        )
    return bars


def _months_back(today: date, months: int) -> date:
    month = today.replace(day=1)
    for _step in range(months - 1):
        month = (month - timedelta(days=1)).replace(day=1)
    return month


def _health_trend(counts) -> list[TrendPoint]:
    """The median and the share at risk per month, from (month, band, score, accounts)
    (insights.portfolio_slices.health_month_counts)."""
    months: dict[date, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    at_risk: dict[date, int] = defaultdict(int)
    for month, band, score, number in counts:
        months[month][score] += number
        if band == HealthBand.AT_RISK:
            at_risk[month] += number
    points = []
    for month in sorted(months):
        histogram = months[month]
        scored = sum(histogram.values())
        points.append(
            TrendPoint(
                month=month,
                median=_median(histogram, scored),
                at_risk_pct=round(at_risk[month] * 100 / scored, 1),
                scored=scored,
            )
        )
    return points


def _median(histogram: dict[int, int], total: int) -> float:
    """The median of `total` values given as {value: how many}, the middle two averaged
    (percentile_cont(0.5))."""
    lower_rank, upper_rank = (total - 1) // 2, total // 2
    lower = upper = None
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if lower is None and seen > lower_rank:
            lower = value
        if seen > upper_rank:
            upper = value
            break
    return round((lower + upper) / 2, 1)


def _at_risk_rows(live_accounts, revenue) -> list[AtRiskRow]:
    latest = HealthScore.objects.filter(account=OuterRef("pk")).order_by("-day")
    rows = (
        live_accounts.in_band(HealthBand.AT_RISK)
        .select_related("owner", "tier")
        .only(*TABLE_ACCOUNT_FIELDS)
        .annotate(
            revenue_converted=revenue,
            latest_components=Subquery(latest.values("components")[:1]),
        )
        .order_by(F("revenue_converted").desc(nulls_last=True), "health_score", "pk")[:TABLE_ROWS]
    )
    return [
        AtRiskRow(
            account=account,
            revenue=_money(account.revenue_converted),
            reasons=top_reasons(account.latest_components or []),
        )
        for account in rows
    ]


def top_reasons(components: list[dict], count: int = 2) -> list[dict]:
    """The weakest scored components of a health score, in plain language."""
    scored = sorted((c for c in components if c.get("score") is not None), key=lambda c: c["score"])
    return [
        {"label": component_label(c["key"]), "reason": reason_text(c.get("reason") or {})}
        for c in scored[:count]
    ]


def _load_counts(view, groups, live_accounts, *, filters, today: date) -> dict:
    """Live accounts per KAM and tier ({owner: {tier: count}}): from a KAM's summary rows (no
    query), from every KAM's (one query) for the whole portfolio, else from the accounts (one
    query)."""
    counts = defaultdict(lambda: defaultdict(int))
    if view is not None and len(view) == 1 and view[0][0] == SliceDimension.OWNER:
        for group in groups:
            if group["live_accounts"]:
                counts[int(view[0][1])][group["tier_id"]] += group["live_accounts"]
        return counts
    if view == PORTFOLIO_VIEW:
        rows = kam_tier_live_accounts(today=today, tier_id=filters.tier_id)
    else:
        rows = [
            (row["owner_id"], row["tier_id"], row["live_accounts"])
            for row in load_group_rows(live_accounts, by=("owner_id",))
        ]
    for owner_id, tier_id, count in rows:
        counts[owner_id][tier_id] = count
    return counts


def _over_policy(by_tier: dict, tiers: dict[int, Tier]) -> list[int]:
    """The tiers in which a KAM holds more accounts than the tier's policy allows."""
    return [
        tier_id
        for tier_id, count in by_tier.items()
        if tier_id in tiers and count > tiers[tier_id].max_accounts_per_kam
    ]


def _first(items, key, count: int | None) -> list:
    """sorted(items, key=key)[:count], every item when `count` is None: the first rows of a
    table of every KAM without sorting the rest (heapq.nsmallest, the same order, ties
    included)."""
    return sorted(items, key=key) if count is None else heapq.nsmallest(count, items, key=key)


def _load_order(
    counts: dict, names: dict[int, str], tiers: dict[int, Tier], count: int | None = None
) -> list[tuple]:
    """The first `count` KAMs' (every KAM's when None) (owner id, {tier: accounts}):
    over-policy KAMs first, then the most loaded, then by name."""
    return _first(
        counts.items(),
        lambda item: (
            not _over_policy(item[1], tiers),
            -sum(item[1].values()),
            names.get(item[0]) or "",
        ),
        count,
    )


def _load_rows(
    order: list[tuple], names: dict[int, str], tiers: dict[int, Tier], filters
) -> list[LoadRow]:
    # Only the rows the page shows get links (the CSV has every KAM; 280 KAMs × 5 links cost
    # more than every query together).
    tier_names = {tier_id: str(tier) for tier_id, tier in tiers.items()}
    rows = []
    for index, (owner_id, by_tier) in enumerate(order):
        linked = index < LOAD_ROWS
        owner_filters = PortfolioFilters(
            owner_id=owner_id,
            tier_id=filters.tier_id,
            industry=filters.industry,
            region=filters.region,
        )

        def url(owner_filters=owner_filters, linked=linked, **extra):
            return drill(owner_filters, status=LIVE, **extra) if linked else ""

        rows.append(
            LoadRow(
                owner_id=owner_id,
                name=names.get(owner_id, ""),
                accounts=Figure(sum(by_tier.values()), url()),
                cells=[
                    LoadCell(
                        tier_id=tier_id,
                        accounts=Figure(
                            by_tier.get(tier_id, 0),
                            url(tier=tier_id) if filters.tier_id in (None, tier_id) else "",
                        ),
                        max=tier.max_accounts_per_kam,
                    )
                    for tier_id, tier in tiers.items()
                ],
                over=[tier_names[tier_id] for tier_id in _over_policy(by_tier, tiers)],
            )
        )
    return rows


def _sla_rows(
    breakdown: SlaBreakdown,
    tiers: dict[int, Tier],
    filters: PortfolioFilters,
    names: dict[int, str],
    *,
    kam_rows: int | None = None,
):
    """Per tier (rank order, every tier) and per KAM (lowest 90-day first-response compliance
    first), from insights.sla.sla_breakdown. The figures link to the accounts behind
    them: the tier's or KAM's accounts, and those with a missed target in the window. `names`
    are the KAMs' (the filter options: every owner of an account in view); the first
    `kam_rows` KAMs only (every one when None)."""
    empty = {days: SlaCompliance(days) for days in WINDOWS}

    def links(row_filters: PortfolioFilters, linked: bool) -> tuple[str, dict[int, str]]:
        if not linked:
            return "", {}
        return drill(row_filters), {days: drill(row_filters, sla=days) for days in WINDOWS}

    tier_rows = []
    for tier_id in [*tiers, None]:
        windows = breakdown.by_tier.get(tier_id)
        if tier_id is None and windows is None:
            continue
        linked = bool(tier_id) and filters.tier_id in (None, tier_id)
        row_filters = PortfolioFilters(
            owner_id=filters.owner_id,
            tier_id=tier_id,
            industry=filters.industry,
            region=filters.region,
        )
        accounts, missed = links(row_filters, linked)
        tier_rows.append(
            SlaRow(
                key=tier_id,
                name=str(tiers[tier_id]) if tier_id else _("No tier"),
                windows=windows or empty,
                accounts=accounts,
                missed=missed,
            )
        )

    def kam_order(owner_id):
        pct = breakdown.kam_first_response_pct(owner_id, max(WINDOWS))
        return (pct is None, pct if pct is not None else 0, names.get(owner_id) or "")

    rows = []
    # Links on the rows the page shows only, as on the load table (the CSV has every KAM).
    kams = _first(breakdown.kam_counts, kam_order, kam_rows)
    for index, owner_id in enumerate(kams):
        row_filters = PortfolioFilters(
            owner_id=owner_id,
            tier_id=filters.tier_id,
            industry=filters.industry,
            region=filters.region,
        )
        accounts, missed = links(row_filters, index < LOAD_ROWS)
        rows.append(
            SlaRow(
                key=owner_id,
                name=names.get(owner_id, ""),
                windows=breakdown.kam_windows(owner_id),
                accounts=accounts,
                missed=missed,
            )
        )
    return tier_rows, rows
