"""Reads shared by views, jobs and the API. Access is decided here and only here."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from accounts.models import Account, QualitativeRating, RatingCriterion, RevenueRecord, Stakeholder

ZERO = Decimal("0")


def accounts_for_user(user) -> QuerySet[Account]:
    """Every account `user` may see: leaders and admins see all; a KAM sees the accounts they
    own or are on the team of; anyone else sees none."""
    if not user.is_authenticated or not user.is_active:
        return Account.objects.none()
    if user.sees_all_accounts:
        return Account.objects.all()
    on_team = Account.team.through.objects.filter(account=OuterRef("pk"), user=user)
    return Account.objects.filter(Q(owner=user) | Exists(on_team))


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


def account_list_rows(
    user,
    *,
    search: str = "",
    status: str = "",
    owner_id: int | None = None,
    industry: str = "",
    tier_id: int | None = None,
    band: str = "",
    sort: str = "name",
) -> QuerySet[Account]:
    rows = accounts_for_user(user).select_related("owner", "tier")
    if search:
        rows = rows.filter(Q(name__icontains=search) | Q(legal_name__icontains=search))
    if status:
        rows = rows.filter(status=status)
    if owner_id:
        rows = rows.filter(owner_id=owner_id)
    if industry:
        rows = rows.filter(industry=industry)
    if tier_id:
        rows = rows.filter(tier_id=tier_id)
    if band:
        rows = rows.filter(health_band=band)
    return rows.order_by(ACCOUNT_SORTS.get(sort, ACCOUNT_SORTS["name"]), "pk")


def industries_for_user(user) -> list[str]:
    return list(
        accounts_for_user(user)
        .exclude(industry="")
        .values_list("industry", flat=True)
        .distinct()
        .order_by("industry")
    )


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
    portfolio = RevenueRecord.objects.filter(
        account__currency=account.currency, booked_on__gt=year_ago
    ).aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]
    margin = None
    if figures["costed_amount"]:
        margin = (
            (figures["costed_amount"] - figures["cost"]) / figures["costed_amount"] * 100
        ).quantize(Decimal("0.1"))
    share = (figures["last"] / portfolio * 100).quantize(Decimal("0.1")) if portfolio else None
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


def account_health(account: Account, today: date, days: int = 180) -> dict:
    """The latest score with its explanation, the trend for the chart, the tier history and the
    latest satisfaction answers: four queries."""
    from accounts.health_text import component_label, reason_text
    from accounts.models import HealthScore, SatisfactionEntry, TierChange

    history = list(
        HealthScore.objects.filter(account=account, day__gt=today - timedelta(days=days))
        .select_related("config")
        .order_by("day")
    )
    latest = history[-1] if history else None
    components = []
    if latest:
        for component in latest.components:
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
        for m in (latest.movers if latest else [])
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
