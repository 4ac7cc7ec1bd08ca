"""The querysets behind the API, each built on accounts.selectors.accounts_for_user (or the
app selectors built on it), with what the serializers read joined or prefetched so a list
page is a fixed number of queries."""

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Prefetch, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import HealthScore, RevenueRecord, Stakeholder, TierChange
from accounts.selectors import accounts_for_user
from activities.models import Interaction
from activities.selectors import commitments_for_user, qbrs_for_user
from api.models import ApiToken
from plans.models import AccountPlan, Action, Objective, Opportunity, Risk


def api_accounts(user, today: date) -> QuerySet:
    """Accounts with their owner, tiers and revenue of the last 12 months (a subquery, so the
    list stays one query plus the team)."""
    revenue = (
        RevenueRecord.objects.filter(
            account=OuterRef("pk"), booked_on__gt=today - timedelta(days=365)
        )
        .order_by()
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=16, decimal_places=2)
    return (
        accounts_for_user(user)
        .select_related("owner", "tier", "recommended_tier")
        .prefetch_related("team")
        .annotate(
            revenue_12m=Coalesce(
                Subquery(revenue, output_field=money), Value(Decimal(0)), output_field=money
            )
        )
    )


def api_stakeholders(user) -> QuerySet[Stakeholder]:
    return Stakeholder.objects.filter(account__in=accounts_for_user(user))


def api_interactions(user) -> QuerySet[Interaction]:
    return (
        Interaction.objects.filter(account__in=accounts_for_user(user))
        .select_related("logged_by")
        .prefetch_related(
            Prefetch("stakeholders", queryset=Stakeholder.objects.only("pk")),
            Prefetch("commitments", queryset=_only_pk_and("source_interaction_id")),
        )
    )


def _only_pk_and(field: str):
    from activities.models import Commitment

    return Commitment.objects.only("pk", field)


def api_commitments(user) -> QuerySet:
    return commitments_for_user(user).select_related("owner_user")


def api_qbrs(user) -> QuerySet:
    return qbrs_for_user(user).prefetch_related("attendees", "stakeholders")


def api_health_scores(user) -> QuerySet[HealthScore]:
    return HealthScore.objects.filter(account__in=accounts_for_user(user)).select_related("config")


def api_tier_changes(user) -> QuerySet[TierChange]:
    return TierChange.objects.filter(account__in=accounts_for_user(user)).select_related(
        "from_tier", "to_tier", "changed_by"
    )


def api_plans(user) -> QuerySet[AccountPlan]:
    return AccountPlan.objects.filter(account__in=accounts_for_user(user))


def api_plan_rows(user, model) -> QuerySet:
    """Objectives, risks, opportunities or actions of the plans `user` may see."""
    return model.objects.filter(plan__account__in=accounts_for_user(user))


PLAN_ROW_MODELS = (Objective, Opportunity, Risk, Action)


def api_tokens_for_user(user) -> QuerySet[ApiToken]:
    """Live tokens first, newest first."""
    return ApiToken.objects.filter(user=user).order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at", "-pk"
    )


def api_portfolio_summary(user, today: date) -> dict:
    """Headline figures over the accounts `user` sees: six queries whatever the portfolio size.

    A stopgap until the portfolio dashboard's selector exists (accounts/portfolio.py)."""
    from django.db.models import Count, DateTimeField, ExpressionWrapper, Q
    from django.utils import timezone

    from accounts.scoring_inputs import current_config
    from activities.models import CommitmentStatus

    accounts = accounts_for_user(user)
    by_tier = dict(
        accounts.order_by()
        .values_list("tier__key")
        .annotate(n=Count("pk"))
        .values_list("tier__key", "n")
    )
    by_band = dict(
        accounts.order_by()
        .values_list("health_band")
        .annotate(n=Count("pk"))
        .values_list("health_band", "n")
    )
    by_pareto = dict(
        accounts.order_by()
        .values_list("pareto_class")
        .annotate(n=Count("pk"))
        .values_list("pareto_class", "n")
    )
    revenue = dict(
        RevenueRecord.objects.filter(
            account__in=accounts, booked_on__gt=today - timedelta(days=365)
        )
        .order_by()
        .values_list("account__currency")
        .annotate(total=Sum("amount"))
        .values_list("account__currency", "total")
    )
    cadence = Coalesce(
        "tier__touch_cadence_days", Value(current_config().default_touch_cadence_days)
    )
    touch_due = ExpressionWrapper(
        F("last_touch_at") + cadence * Value(timedelta(days=1)), output_field=DateTimeField()
    )
    touches_overdue = (
        accounts.filter(status__in=["active", "at_risk"])
        .annotate(touch_due_at=touch_due)
        .filter(Q(touch_due_at__lt=timezone.now()) | Q(last_touch_at__isnull=True))
        .count()
    )
    return {
        "accounts": sum(by_tier.values()),
        "by_tier": {key or "none": count for key, count in by_tier.items()},
        "by_health_band": {band or "unscored": count for band, count in by_band.items()},
        "by_pareto_class": {cls or "none": count for cls, count in by_pareto.items()},
        "revenue_12m": revenue,
        "touches_overdue": touches_overdue,
        "commitments_overdue": commitments_for_user(user)
        .filter(status=CommitmentStatus.OPEN, due_date__lt=today)
        .count(),
        "renewals_next_90_days": accounts.filter(
            renewal_date__gte=today, renewal_date__lte=today + timedelta(days=90)
        ).count(),
    }
