"""The querysets behind the API, each built on accounts.selectors.accounts_for_user (or the
app selectors built on it), with what the serializers read joined or prefetched so a list
page is a fixed number of queries."""

from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Prefetch, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import HealthScore, RevenueRecord, Stakeholder, TierChange
from accounts.revenue import windows
from accounts.selectors import accounts_for_user, on_accounts_for_user
from activities.models import Commitment, Interaction, Playbook, PlaybookFiring, PlaybookStep
from activities.selectors import commitments_for_user, qbrs_for_user, requests_for_user
from api.models import ApiToken
from plans.models import AccountPlan, Objective, Opportunity, Risk


def api_accounts(user, today: date) -> QuerySet:
    """Accounts with their owner, tiers and revenue of the last 12 months as of `today`
    (accounts.revenue.windows; a subquery, so the list stays one query plus the team)."""
    revenue = (
        RevenueRecord.objects.filter(account=OuterRef("pk"))
        .in_window(windows(today).last)
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
    return on_accounts_for_user(Stakeholder.objects.all(), user)


def api_interactions(user) -> QuerySet[Interaction]:
    return (
        on_accounts_for_user(Interaction.objects.all(), user)
        .select_related("logged_by")
        .prefetch_related(
            Prefetch("stakeholders", queryset=Stakeholder.objects.only("pk")),
            Prefetch("commitments", queryset=_only_pk_and("source_interaction_id")),
        )
    )


def _only_pk_and(field: str):

    return Commitment.objects.only("pk", field)


def api_commitments(user) -> QuerySet:
    return commitments_for_user(user).select_related("owner_user")


def api_commitment_events(commitment) -> QuerySet:
    return commitment.events.select_related("actor")


def api_qbrs(user) -> QuerySet:
    return qbrs_for_user(user).prefetch_related("attendees", "stakeholders")


def api_requests(user) -> QuerySet:
    return requests_for_user(user).select_related("owner")


def api_health_scores(user) -> QuerySet[HealthScore]:
    return on_accounts_for_user(HealthScore.objects.all(), user).select_related("config")


def api_tier_changes(user) -> QuerySet[TierChange]:
    return on_accounts_for_user(TierChange.objects.all(), user).select_related(
        "from_tier", "to_tier", "recommended_tier", "changed_by"
    )


def api_plans(user) -> QuerySet[AccountPlan]:
    return on_accounts_for_user(AccountPlan.objects.all(), user)


def api_plan_rows(user, model) -> QuerySet:
    """Objectives, risks or opportunities of the plans `user` may see (a plan's actions are
    agreed items: api_commitments)."""
    return on_accounts_for_user(model.objects.all(), user, via="plan__account")


PLAN_ROW_MODELS = (Objective, Opportunity, Risk)


def api_tokens_for_user(user) -> QuerySet[ApiToken]:
    """Live tokens first, newest first."""
    return ApiToken.objects.filter(user=user).order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at", "-pk"
    )


def api_playbooks() -> QuerySet:
    """Every playbook (they are configuration, not account data), with tiers and steps."""
    return Playbook.objects.prefetch_related(
        "tiers", Prefetch("steps", queryset=PlaybookStep.objects.select_related("user"))
    )


def api_playbook_firings(user, playbook) -> QuerySet:
    """A playbook's firings on the accounts `user` sees, with the items they created."""
    return (
        on_accounts_for_user(PlaybookFiring.objects.filter(playbook=playbook), user)
        .prefetch_related("items")
        .order_by("-id")
    )
