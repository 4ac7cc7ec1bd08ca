"""Query filters for the list endpoints (django-filter). Related rows are filtered by id
(`?account=12`), never looked up: an id the caller cannot see simply matches nothing."""

from datetime import UTC

import django_filters as filters
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from accounts.models import AccountStatus, BuyingRole, HealthBand, Stance
from activities.models import CommitmentStatus, InteractionCategory, InteractionKind, QBRStatus
from plans.models import PlanStatus

MAX_ID = 2**63 - 1


class UtcIsoDateTimeField(IsoDateTimeField):
    """ISO 8601 with any offset Python accepts, compared in UTC: PostgreSQL refuses offsets
    beyond ±15:59 ("+23:37"), which would be a server error instead of a valid filter."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None or value.tzinfo is None:
            return value
        try:
            return value.astimezone(UTC)
        except OverflowError as error:
            raise ValidationError(_("Date and time out of range."), code="invalid") from error


class IsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


def id_filter(field_name: str, label=None):
    return filters.NumberFilter(
        field_name=field_name, min_value=1, max_value=MAX_ID, label=label or _("Id")
    )


class AccountFilter(filters.FilterSet):
    q = filters.CharFilter(method="search", label=_("Name or legal name contains"))
    status = filters.ChoiceFilter(choices=AccountStatus.choices)
    owner = id_filter("owner_id", _("Owner user id"))
    tier = filters.CharFilter(field_name="tier__key", label=_("Tier key"))
    health_band = filters.ChoiceFilter(choices=HealthBand.choices, method="filter_band")
    pareto_class = filters.ChoiceFilter(
        choices=[("A", "A"), ("B", "B"), ("C", "C")], method="filter_pareto_class"
    )
    industry = filters.CharFilter()
    region = filters.CharFilter()
    external_id = filters.CharFilter()
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    def search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(name__icontains=value) | Q(legal_name__icontains=value))

    def filter_band(self, queryset, name, value):
        # "unknown" includes accounts not scored yet, as on the accounts list.
        return queryset.in_band(value)

    def filter_pareto_class(self, queryset, name, value):
        return queryset.in_pareto_class(value)


class StakeholderFilter(filters.FilterSet):
    account = id_filter("account_id", _("Account id"))
    buying_role = filters.ChoiceFilter(choices=BuyingRole.choices)
    stance = filters.ChoiceFilter(choices=Stance.choices)
    active = filters.BooleanFilter(
        field_name="left_on", lookup_expr="isnull", label=_("Still with the company")
    )
    is_primary = filters.BooleanFilter()


class InteractionFilter(filters.FilterSet):
    account = id_filter("account_id", _("Account id"))
    kind = filters.ChoiceFilter(choices=InteractionKind.choices)
    category = filters.ChoiceFilter(choices=InteractionCategory.choices)
    occurred_after = IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")


class CommitmentFilter(filters.FilterSet):
    account = id_filter("account_id", _("Account id"))
    status = filters.ChoiceFilter(choices=CommitmentStatus.choices)
    owner_user = id_filter("owner_user_id", _("Owner user id"))
    due_after = filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = filters.DateFilter(field_name="due_date", lookup_expr="lte")
    overdue = filters.BooleanFilter(method="filter_overdue", label=_("Open and past due"))

    def filter_overdue(self, queryset, name, value):
        today = timezone.localdate()
        return queryset.overdue(today) if value else queryset.not_overdue(today)


class QBRFilter(filters.FilterSet):
    account = id_filter("account_id", _("Account id"))
    status = filters.ChoiceFilter(choices=QBRStatus.choices)
    scheduled_after = filters.DateFilter(field_name="scheduled_on", lookup_expr="gte")
    scheduled_before = filters.DateFilter(field_name="scheduled_on", lookup_expr="lte")


class HealthScoreFilter(filters.FilterSet):
    account = id_filter("account_id", _("Account id"))
    band = filters.ChoiceFilter(choices=HealthBand.choices)
    day_from = filters.DateFilter(field_name="day", lookup_expr="gte")
    day_to = filters.DateFilter(field_name="day", lookup_expr="lte")


class TierChangeFilter(filters.FilterSet):
    account = id_filter("account_id", _("Account id"))
    changed_after = IsoDateTimeFilter(field_name="changed_at", lookup_expr="gte")


class PlanFilter(filters.FilterSet):
    account = id_filter("account_id", _("Account id"))
    status = filters.ChoiceFilter(choices=PlanStatus.choices)


class PlanRowFilter(filters.FilterSet):
    plan = id_filter("plan_id", _("Plan id"))
    account = id_filter("plan__account_id", _("Account id"))
