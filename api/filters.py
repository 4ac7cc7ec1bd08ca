"""Query parameters of the list endpoints: the filters (django-filter) and `?ordering=`.
Related rows are filtered by id (`?account=12`), never looked up: an id the caller cannot see
simply matches nothing. A value the schema does not allow is a 400 naming the parameter, never
read loosely (`1.5` as 1, `yes` as no filter) nor ignored."""

import re
from datetime import UTC

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from rest_framework import exceptions
from rest_framework.filters import OrderingFilter

from accounts.models import AccountStatus, BuyingRole, HealthBand, Stance
from activities.models import (
    CommitmentSource,
    CommitmentStatus,
    InteractionCategory,
    InteractionKind,
    QBRStatus,
    RequestChannel,
    RequestPriority,
    RequestStatus,
)
from kam.dates import business_date
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


class WholeNumberField(forms.IntegerField):
    """An integer written in ASCII digits: "1.5", "1.0", "1e3" or "²" is not read as a number
    (Django's IntegerField would take "1.0", and int() takes non-ASCII digits)."""

    DIGITS = re.compile(r"-?[0-9]+")

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not self.DIGITS.fullmatch(str(value).strip()):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


def refuse_repeated(query_params) -> None:
    """Each query parameter takes one value (the schema's); sent twice, which would count?"""
    repeated = sorted(name for name, values in query_params.lists() if len(values) > 1)
    if repeated:
        message = _("Send this parameter once.")
        raise exceptions.ValidationError({name: [message] for name in repeated})


class IdFilter(filters.NumberFilter):
    field_class = WholeNumberField
    # What api.schema.FilterParameters writes in the schema for this parameter.
    openapi_schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def id_filter(field_name: str, label=None):
    return IdFilter(field_name=field_name, min_value=1, max_value=MAX_ID, label=label or _("Id"))


class TrueFalseField(forms.Field):
    """`true` or `false` (any case), the schema's boolean; anything else is refused, where
    django-filter's own boolean filter would silently not filter."""

    widget = forms.TextInput
    default_error_messages = {"invalid": _("Enter true or false.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        answer = {"true": True, "false": False}.get(str(value).strip().lower())
        if answer is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return answer


class BooleanFilter(filters.BooleanFilter):
    field_class = TrueFalseField


class Ordering(OrderingFilter):
    """`?ordering=` takes one of the fields the list names (`-` for descending), listed in the
    schema; anything else is a 400 naming the parameter (DRF's filter would ignore it).
    One field only: the cursor pagination positions on it."""

    def choices(self, view) -> list[str]:
        fields = getattr(view, "ordering_fields", None) or []
        return [term for field in fields for term in (field, f"-{field}")]

    def get_ordering(self, request, queryset, view):
        term = request.query_params.get(self.ordering_param)
        if term in (None, ""):
            return self.get_default_ordering(view)
        choices = self.choices(view)
        if term not in choices:
            raise exceptions.ValidationError(
                {self.ordering_param: [_("Order by one of: %(fields)s.")
                                       % {"fields": ", ".join(choices)}]}
            )  # fmt: skip
        return [term]

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": str(_("The field to order by; a leading `-` for descending.")),
                "schema": {"type": "string", "enum": self.choices(view)},
            }
        ]


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
        return queryset.name_contains(value)

    def filter_band(self, queryset, name, value):
        # "unknown" includes accounts not scored yet, as on the accounts list.
        return queryset.in_band(value)

    def filter_pareto_class(self, queryset, name, value):
        return queryset.in_pareto_class(value)


class StakeholderFilter(filters.FilterSet):
    account = id_filter("account_id", _("Account id"))
    buying_role = filters.ChoiceFilter(choices=BuyingRole.choices)
    stance = filters.ChoiceFilter(choices=Stance.choices)
    active = BooleanFilter(
        field_name="left_on", lookup_expr="isnull", label=_("Still with the company")
    )
    is_primary = BooleanFilter()


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
    overdue = BooleanFilter(method="filter_overdue", label=_("Open and past due"))
    source = filters.ChoiceFilter(choices=CommitmentSource.choices)
    plan = id_filter("plan_id", _("Account plan id (its actions)"))

    def filter_overdue(self, queryset, name, value):
        today = business_date()
        return queryset.overdue(today) if value else queryset.not_overdue(today)


class ClientRequestFilter(filters.FilterSet):
    account = id_filter("account_id", _("Account id"))
    owner = id_filter("owner_id", _("Owner user id"))
    status = filters.ChoiceFilter(
        choices=[("open", _("Open")), *RequestStatus.choices], method="filter_status"
    )
    priority = filters.ChoiceFilter(choices=RequestPriority.choices)
    channel = filters.ChoiceFilter(choices=RequestChannel.choices)
    received_after = IsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = IsoDateTimeFilter(field_name="received_at", lookup_expr="lte")
    breached = BooleanFilter(method="filter_breached", label=_("Either SLA clock breached (now)"))

    def filter_status(self, queryset, name, value):
        return queryset.open() if value == "open" else queryset.in_status(value)

    def filter_breached(self, queryset, name, value):
        breached = queryset.breached(timezone.now())
        return breached if value else queryset.exclude(pk__in=breached.values("pk"))


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
