"""Reads shared by views, jobs and the API. Access is decided here and only here."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, When
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from accounts.models import Account, QualitativeRating, RatingCriterion, Stakeholder

ZERO = Decimal("0")


def accounts_for_user(user) -> QuerySet[Account]:
    """Every account `user` may see: leaders and admins see all; a KAM sees the accounts they
    own or are on the team of; anyone else sees none."""
    if not user.is_authenticated or not user.is_active:
        return Account.objects.none()
    if user.sees_all_accounts:
        return Account.objects.all()
    # One id set (owned UNION ALL on the team), probed by primary key: "owner = user OR
    # EXISTS(team row)" cannot use an index and read all 20,000 accounts for every query of a
    # KAM's page (13 ms each; bench/README.md).
    owned = Account.objects.filter(owner=user).values("pk")
    on_team = Account.team.through.objects.filter(user=user).values("account_id")
    return Account.objects.filter(pk__in=owned.union(on_team, all=True))


def get_account_for_user(user, pk: int, *, for_update: bool = False) -> Account:
    """The account, or 404 when it does not exist or is not shared with `user`."""
    queryset = accounts_for_user(user).select_related("owner", "parent", "tier", "recommended_tier")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    return get_object_or_404(queryset, pk=pk)


# Sort keys the list accepts; NULLs (never touched, no renewal date) go last either way.
ACCOUNT_SORTS = {
    "name": F("name").asc(),
    "-name": F("name").desc(),
    "last_touch": F("last_touch_at").asc(nulls_last=True),
    "-last_touch": F("last_touch_at").desc(nulls_last=True),
    "renewal": F("renewal_date").asc(nulls_last=True),
    "-renewal": F("renewal_date").desc(nulls_last=True),
    "health": F("health_score").asc(nulls_last=True),
    "-health": F("health_score").desc(nulls_last=True),
    "tier": F("tier__rank").asc(nulls_last=True),
}


# The list's status filter also takes "live": every account but the churned ones, which is
# what the portfolio dashboard counts as under management.
LIVE = "live"
# Accounts whose QBRs are tracked: prospects have none yet, churned ones no more.
QBR_TRACKED_STATUSES = ("active", "at_risk")


def touch_overdue_q(today: date, default_cadence_days: int, *, tiers=None) -> Q:
    """Not churned, and never touched or the tier's touch cadence (the configured default
    without a tier) ran out before `today`: Account.touch_overdue as a filter. One cut-off
    instant per tier, so the database compares timestamps instead of converting each
    account's last touch to a local date. `tiers` saves the query for them."""
    from datetime import datetime, time

    from django.utils import timezone

    from accounts.models import Tier

    if tiers is None:
        tiers = Tier.objects.only("pk", "touch_cadence_days")

    def cutoff(cadence_days: int):
        # Overdue when the local date of the last touch + cadence < today, i.e. the last touch
        # happened before the start of (today - cadence) in the local time zone.
        return timezone.make_aware(datetime.combine(today - timedelta(days=cadence_days), time.min))

    late = Q(tier__isnull=True, last_touch_at__lt=cutoff(default_cadence_days))
    for tier in tiers:
        late |= Q(tier_id=tier.pk, last_touch_at__lt=cutoff(tier.touch_cadence_days))
    return ~Q(status="churned") & (Q(last_touch_at__isnull=True) | late)


def qbr_overdue_q(today: date, *, among: QuerySet[Account] | None = None) -> Q:
    """Active or at-risk, no QBR planned from `today` on, and the next QBR was due before
    `today`: a cadence after the last one held, or before any, after the contract start (or the
    account's creation), as activities.selectors.qbr_due_on. A set (hashed once per query),
    not a subquery per account; `among` limits the set to those accounts (a KAM's seventy
    instead of the whole portfolio)."""
    from django.db.models.expressions import RawSQL
    from django.utils import timezone

    from activities.models import DEFAULT_QBR_CADENCE_DAYS

    tz = str(timezone.get_current_timezone())
    # The last QBR held is read from the account row (kept by activities.services.qbr_hold):
    # the maximum over every QBR, twice per list page, cost the "QBR overdue" list ~70 ms at
    # 20,000 accounts (bench/README.md).
    sql = """
        SELECT a.id FROM accounts_account a
        LEFT JOIN accounts_tier t ON t.id = a.tier_id
        WHERE a.status IN ('active', 'at_risk')
          AND NOT EXISTS (
            SELECT 1 FROM activities_qbr p
            WHERE p.account_id = a.id AND p.status = 'planned' AND p.scheduled_on >= %s
          )
          AND COALESCE((a.last_qbr_held_at AT TIME ZONE %s)::date, a.contract_start,
                       (a.created_at AT TIME ZONE %s)::date)
              + COALESCE(t.qbr_cadence_days, %s) < %s
    """
    params = (today, tz, tz, DEFAULT_QBR_CADENCE_DAYS, today)
    if among is not None:
        among_sql, among_params = among.values("pk").order_by().query.sql_with_params()
        sql += f" AND a.id IN ({among_sql})"
        params = (*params, *among_params)
    return Q(pk__in=RawSQL(sql, params))  # noqa: S611 - constant SQL, values as parameters  # nosec B611


def renewal_within_q(today: date, days: int) -> Q:
    """Not churned, renewal date from today to `days` ahead (inclusive)."""
    return ~Q(status="churned") & Q(
        renewal_date__gte=today, renewal_date__lte=today + timedelta(days=days)
    )


def commitments_overdue_q(today: date) -> Q:
    """At least one open commitment (ours or the client's) past its due date."""
    from activities.models import Commitment, CommitmentStatus

    overdue = Commitment.objects.filter(status=CommitmentStatus.OPEN, due_date__lt=today)
    return Q(pk__in=overdue.values("account_id"))


def open_opportunities():
    """Opportunities still open, in plans that are not archived: the expansion pipeline."""
    from plans.models import CLOSED_STAGES, Opportunity, PlanStatus

    return Opportunity.objects.exclude(stage__in=CLOSED_STAGES).exclude(
        plan__status=PlanStatus.ARCHIVED
    )


def open_pipeline_q() -> Q:
    return Q(pk__in=open_opportunities().values("plan__account_id"))


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
    today: date | None = None,
    default_cadence_days: int = 30,
    sort: str = "name",
) -> QuerySet[Account]:
    """The accounts list, and the accounts behind every figure of the portfolio dashboard
    (accounts.portfolio builds its counts from the same filters)."""
    from django.utils import timezone

    today = today or timezone.localdate()
    rows = accounts_for_user(user).select_related("owner", "tier")
    if search:
        rows = rows.filter(Q(name__icontains=search) | Q(legal_name__icontains=search))
    if status == LIVE:
        rows = rows.exclude(status="churned")
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
    if band == "unknown":  # not enough data, or not scored yet
        rows = rows.filter(health_band__in=["unknown", ""])
    elif band:
        rows = rows.filter(health_band=band)
    if pareto_class:
        rows = rows.filter(pareto_class=pareto_class)
    if touch_overdue:
        rows = rows.filter(touch_overdue_q(today, default_cadence_days))
    if qbr_overdue:
        rows = rows.filter(qbr_overdue_q(today))
    if renewal_within_days is not None:
        rows = rows.filter(renewal_within_q(today, renewal_within_days))
    if commitments_overdue:
        rows = rows.filter(commitments_overdue_q(today))
    if open_pipeline:
        rows = rows.filter(open_pipeline_q())
    if revenue in REVENUE_FILTERS:
        rows = rows.filter(REVENUE_FILTERS[revenue])
    return rows.order_by(ACCOUNT_SORTS.get(sort, ACCOUNT_SORTS["name"]), "pk")


def account_owners_for_user(user) -> QuerySet:
    """The KAMs who own an account `user` sees, for the owner filter. A probe of the owner
    index per KAM: joining every visible account and de-duplicating the user rows took
    ~0.4 s per query at 20,000 accounts (bench/README.md)."""
    from kam.models import Role, User

    owns = accounts_for_user(user).filter(owner=OuterRef("pk"))
    return User.objects.filter(Exists(owns), role=Role.KAM)


def industries_and_regions_for_user(user) -> tuple[list[str], list[str]]:
    """The industries and the regions of the accounts `user` sees, for filters: one query."""
    pairs = accounts_for_user(user).values_list("industry", "region").order_by().distinct()
    industries, regions = set(), set()
    for industry, region in pairs:
        industries.add(industry)
        regions.add(region)
    return sorted(industries - {""}), sorted(regions - {""})


def account_page_stakeholders(account: Account) -> list[Stakeholder]:
    return list(account.stakeholders.select_related("reports_to").order_by("name"))


@dataclass(frozen=True)
class RevenueSummary:
    currency: str
    last_12_months: Decimal
    previous_12_months: Decimal
    lifetime: Decimal
    records_last_12_months: int
    margin_pct: Decimal | None
    portfolio_share_pct: Decimal | None  # of the accounts in the same currency

    @property
    def trend_pct(self) -> Decimal | None:
        if not self.previous_12_months:
            return None
        change = (self.last_12_months - self.previous_12_months) / self.previous_12_months
        return (change * 100).quantize(Decimal("0.1"))


def account_revenue_summary(account: Account, today: date) -> RevenueSummary:
    """Derived figures (two queries): this account's windows, and the same-currency portfolio."""
    year_ago = today - timedelta(days=365)
    two_years_ago = today - timedelta(days=730)
    figures = account.revenue_records.aggregate(
        last=Coalesce(Sum("amount", filter=Q(booked_on__gt=year_ago)), ZERO),
        previous=Coalesce(
            Sum("amount", filter=Q(booked_on__gt=two_years_ago, booked_on__lte=year_ago)), ZERO
        ),
        lifetime=Coalesce(Sum("amount"), ZERO),
        costed_amount=Sum("amount", filter=Q(booked_on__gt=year_ago, cost__isnull=False)),
        cost=Sum("cost", filter=Q(booked_on__gt=year_ago)),
        count=Count("pk", filter=Q(booked_on__gt=year_ago)),
    )
    # The share compares the nightly revenue windows (Account.revenue_last_12m, kept by
    # services.account_revenue_refresh) of this account and of every account in its currency:
    # summing the revenue records themselves read ~400,000 rows per page view at 20,000
    # accounts (bench/README.md).
    portfolio = Account.objects.filter(currency=account.currency).aggregate(
        total=Coalesce(Sum("revenue_last_12m"), ZERO)
    )["total"]
    margin = None
    if figures["costed_amount"]:
        margin = (
            (figures["costed_amount"] - figures["cost"]) / figures["costed_amount"] * 100
        ).quantize(Decimal("0.1"))
    share = None
    if portfolio and account.revenue_as_of is not None:
        share = (account.revenue_last_12m / portfolio * 100).quantize(Decimal("0.1"))
    return RevenueSummary(
        currency=account.currency,
        last_12_months=figures["last"],
        previous_12_months=figures["previous"],
        lifetime=figures["lifetime"],
        records_last_12_months=figures["count"],
        margin_pct=margin,
        portfolio_share_pct=share,
    )


def current_ratings(account: Account) -> dict[str, QualitativeRating]:
    """The latest rating per criterion (one query)."""
    latest = (
        account.ratings.select_related("set_by")
        .order_by("criterion", "-set_at", "-pk")
        .distinct("criterion")
    )
    by_criterion = {rating.criterion: rating for rating in latest}
    return {c: by_criterion.get(c) for c in RatingCriterion.values}


_CONFIG_JSON = ("health_weights", "tier_weights", "tiers")


def account_health(account: Account, today: date, days: int = 180) -> dict:
    """The latest score with its explanation, the trend for the chart, the tier history and the
    latest satisfaction answers: four queries."""
    from accounts.health_text import component_label, reason_text
    from accounts.models import HealthScore, SatisfactionEntry, TierChange

    window = HealthScore.objects.filter(account=account, day__gt=today - timedelta(days=days))
    latest_day = Subquery(window.order_by("-day").values("day")[:1])
    history = list(
        window.select_related("config")
        # Only the latest day's explanation is shown: decoding every day's components and the
        # configuration's JSON took ~20 ms of CPU per page with 180 days of history
        # (bench/README.md). The latest day's come as annotations of the same query.
        .defer("components", "movers", *(f"config__{name}" for name in _CONFIG_JSON))
        .annotate(
            latest_components=Case(When(day=latest_day, then=F("components")), default=None),
            latest_movers=Case(When(day=latest_day, then=F("movers")), default=None),
        )
        .order_by("day")
    )
    latest = history[-1] if history else None
    components = []
    if latest:
        for component in latest.latest_components:
            components.append(
                {
                    "label": component_label(component["key"]),
                    "score": component["score"],
                    "weight": component["weight"],
                    "reason": reason_text(component["reason"]),
                }
            )
        # Weakest first; components left out for lack of data at the end.
        components.sort(key=lambda c: (c["score"] is None, c["score"] or 0))
    movers = [
        {"label": component_label(m["key"]), "from": m["from"], "to": m["to"]}
        for m in (latest.latest_movers if latest else [])
    ]
    return {
        "latest": latest,
        "components": components,
        "movers": movers,
        "trend": [{"day": h.day.isoformat(), "score": h.score} for h in history],
        "tier_changes": list(
            TierChange.objects.filter(account=account)
            .select_related("from_tier", "to_tier", "changed_by")
            .order_by("-changed_at", "-pk")[:10]
        ),
        "satisfaction": list(
            SatisfactionEntry.objects.filter(account=account).select_related("stakeholder")[:5]
        ),
    }


def tier_review_rows(user) -> QuerySet[Account]:
    """Accounts whose tier and recommendation disagree and no leader has reviewed yet."""
    return (
        accounts_for_user(user)
        .filter(recommended_tier__isnull=False, recommendation_reviewed=False)
        .exclude(tier=F("recommended_tier"))
        .select_related("tier", "recommended_tier", "owner")
        .order_by("-tier_score", "name")
    )
