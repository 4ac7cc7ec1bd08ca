"""Reads shared by views, jobs and the API. Access is decided here and only here."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, When
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from accounts import revenue
from accounts.defaults import default_tier_policies
from accounts.health_text import component_label, reason_text
from accounts.models import (
    Account,
    AccountStatus,
    HealthScore,
    QualitativeRating,
    RatingCriterion,
    SatisfactionEntry,
    ScoringConfig,
    Stakeholder,
    Tier,
    TierChange,
    revenue_window_q,
    revenue_window_sums,
)
from accounts.scoring import DEFAULT_HEALTH_WEIGHTS, DEFAULT_TIER_WEIGHTS
from kam.audit import OBJECT_TYPES
from kam.models import AuditEvent, Role, User

ZERO = Decimal("0")
TENTH = Decimal("0.1")


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


def renewal_within_q(today: date, days: int) -> Q:
    """Not churned, renewal date from today to `days` ahead (inclusive)."""
    return ~Q(status="churned") & Q(
        renewal_date__gte=today, renewal_date__lte=today + timedelta(days=days)
    )


def account_owners_for_user(user) -> QuerySet:
    """The KAMs who own an account `user` sees, for the owner filter. A probe of the owner
    index per KAM: joining every visible account and de-duplicating the user rows took
    ~0.4 s per query at 20,000 accounts (bench/README.md)."""

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
        growth = revenue.growth_pct(self.last_12_months, self.previous_12_months)
        return None if growth is None else growth.quantize(TENTH)


def account_revenue_summary(account: Account, today: date) -> RevenueSummary:
    """Derived figures (two queries): this account's windows (accounts.revenue; nothing booked
    after `today` counts, lifetime included), and the share of the portfolio in its currency."""
    last = revenue.windows(today).last
    figures = account.revenue_records.aggregate(
        **revenue_window_sums(today, margin=True),
        lifetime=Coalesce(Sum("amount", filter=Q(booked_on__lte=today)), ZERO),
        count=Count("pk", filter=revenue_window_q(last)),
    )
    # The share compares the nightly revenue windows (Account.revenue_last_12m, kept by
    # services.account_revenue_refresh) of this account and of the live accounts in its
    # currency (accounts.revenue explains why): summing the revenue records themselves read
    # ~400,000 rows per page view at 20,000 accounts (bench/README.md).
    portfolio = (
        Account.objects.filter(currency=account.currency)
        .exclude(status=AccountStatus.CHURNED)
        .aggregate(total=Coalesce(Sum("revenue_last_12m"), ZERO))["total"]
    )
    margin = revenue.margin_pct(figures["costed"], figures["cost"])
    share = None
    if account.revenue_as_of is not None and account.status != AccountStatus.CHURNED:
        share = revenue.share_pct(account.revenue_last_12m, portfolio)
    return RevenueSummary(
        currency=account.currency,
        last_12_months=figures["last"],
        previous_12_months=figures["previous"],
        lifetime=figures["lifetime"],
        records_last_12_months=figures["count"],
        margin_pct=None if margin is None else margin.quantize(TENTH),
        portfolio_share_pct=None if share is None else share.quantize(TENTH),
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


def current_config() -> ScoringConfig:
    """The configuration version in force. Before the first one is saved (the first scoring run
    or configuration save creates it, accounts.services.scoring_defaults_ensure) the defaults,
    unsaved: a read never writes."""
    config = ScoringConfig.objects.order_by("-version").first()
    if config is not None:
        return config
    return ScoringConfig(
        version=1,
        health_weights=dict(DEFAULT_HEALTH_WEIGHTS),
        tier_weights=dict(DEFAULT_TIER_WEIGHTS),
        tiers=default_tier_policies(),
    )


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    type_label: str
    account_name: str | None
    changes: list[tuple[str, str | None, str | None]]


def audit_rows(events) -> list[AuditRow]:
    """The page's rows with their accounts' names: one query for all the accounts."""
    events = list(events)
    ids = {event.account_id for event in events if event.account_id}
    names = dict(Account.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    return [
        AuditRow(
            event=event,
            type_label=OBJECT_TYPES.get(event.object_type, event.object_type),
            account_name=names.get(event.account_id),
            changes=[(field, pair[0], pair[1]) for field, pair in sorted(event.changes.items())],
        )
        for event in events
    ]
