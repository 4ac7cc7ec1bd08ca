"""What the API reads and writes. Output serializers render rows the selectors loaded (no
queries of their own); input serializers check shapes and types, resolve ids through the
caller's access and check the row against its model's rules (RowRules), then the views hand the
values to the services, which own the rules across rows."""

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.settings import api_settings

from accounts.health_text import component_label, reason_text
from accounts.models import (
    ACCOUNT_PROFILE_FIELDS,
    Account,
    HealthBand,
    HealthScore,
    Stakeholder,
    Tier,
    TierChange,
)
from accounts.selectors import accounts_for_user, on_accounts_for_user
from activities.models import (
    MAX_OFFSET_DAYS,
    QBR,
    TRIGGER_BANDS,
    ClientRequest,
    Commitment,
    CommitmentEvent,
    Interaction,
    Playbook,
    PlaybookFiring,
    PlaybookStep,
    PlaybookTrigger,
    RequestStatus,
    StepOwner,
)
from activities.services import REQUEST_FIELDS
from kam.dates import date_in_range, datetime_in_range
from kam.models import User
from plans.models import AccountPlan, Objective, Opportunity, Product, Risk
from plans.services import ITEM_FIELDS, PLAN_FIELDS

MAX_NEXT_STEPS = 10  # as the quick log's formset (activities.forms.NextSteps)


# --- shared pieces ----------------------------------------------------------------------------


class UserRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "full_name", "email"]


class TierRefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = Tier
        fields = ["id", "key", "name", "rank"]


def version_field():
    """Optimistic concurrency: the `version` the client read; a stale one is refused (409)."""
    return serializers.IntegerField(
        min_value=1,
        max_value=2_147_483_647,
        help_text=_("Required: the version you read. If someone saved since, nothing is "
                    "written and the answer is 409 with the current version."),
    )  # fmt: skip


class ComputedChoiceField(serializers.ChoiceField):
    """A choice the nightly jobs compute (health band, Pareto class): null until they have, not
    the blank string the column holds."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return super().to_representation(value) if value else None


# --- the model's rules, before the service writes ---------------------------------------------


def _blamed_field(model, constraint, written: set[str]) -> str:
    """The field a broken constraint is reported on: the last of its fields, in the model's
    order, that the request wrote (the one the rule is about: renewal after start, the external
    id within its account); else the whole request."""
    referenced = set(getattr(constraint, "fields", ()))
    condition = getattr(constraint, "condition", None)
    if condition is not None:
        referenced |= models.Q(condition).referenced_base_fields
    names = [f.name for f in model._meta.concrete_fields if f.name in referenced & written]
    return names[-1] if names else api_settings.NON_FIELD_ERRORS_KEY


def _violation_message(model, row, constraint) -> str:
    if constraint.violation_error_message != constraint.default_violation_error_message:
        return constraint.get_violation_error_message()
    if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
        return row.unique_error_message(model, constraint.fields).messages[0]
    # A CheckConstraint whose rule has no field validator or Model.clean() to word it.
    return _("Enter a valid value.")


def check_row(model, instance, attrs: dict, *, written: set[str]) -> None:
    """Raise a Django ValidationError keyed by field if the row as it would be saved (`instance`
    changed by `attrs`, or a new row of `attrs`) breaks a rule of its model: Model.clean() (the
    rules across fields, worded), then every CheckConstraint and UniqueConstraint (what the
    database would refuse with an IntegrityError). On a new row, fields this request does not
    write are left out (Django skips the constraints on them): the service sets those."""
    concrete = {field.name: field for field in model._meta.concrete_fields}
    row = copy.copy(instance) if instance is not None else model()
    for name, value in attrs.items():
        if name in concrete and concrete[name].editable:
            setattr(row, name, value)
    row.clean()
    exclude = set() if instance is not None else set(concrete) - written
    errors: dict[str, list[str]] = {}
    for constraint in model._meta.constraints:
        try:
            constraint.validate(model, row, exclude=exclude)
        except DjangoValidationError:
            field = _blamed_field(model, constraint, written)
            errors.setdefault(field, []).append(_violation_message(model, row, constraint))
    if errors:
        raise DjangoValidationError(errors)


def json_type_error(field, value) -> str | None:
    """Why `value`, as parsed from JSON, is not the type the schema gives `field`; None if it
    is. DRF alone reads more than the schema says (a number as a string, "5" as an integer or
    an id, "yes" as a boolean, a number as a decimal), which a client cannot tell from it."""
    if value is None:
        return None  # allowed or not: the field says
    if isinstance(field, serializers.ManyRelatedField):
        items = value if isinstance(value, list) else []  # not a list: DRF refuses it
        errors = (json_type_error(field.child_relation, item) for item in items)
        return next(filter(None, errors), None)
    is_integer = isinstance(value, int) and not isinstance(value, bool)
    if isinstance(field, serializers.PrimaryKeyRelatedField):
        ok, message, params = is_integer, "incorrect_type", {"data_type": type(value).__name__}
    elif isinstance(field, serializers.ChoiceField):
        ok, message, params = (
            type(value) in {type(key) for key in field.choices},
            "invalid_choice",
            {"input": value},
        )
    elif isinstance(field, serializers.BooleanField):
        ok, message, params = isinstance(value, bool), "invalid", {}
    elif isinstance(field, serializers.IntegerField):
        integral = isinstance(value, float) and value.is_integer()
        ok, message, params = is_integer or integral, "invalid", {}
    elif isinstance(field, serializers.DecimalField):
        if isinstance(value, str):
            return None
        return str(_('Send the number as a string, such as "12500.00".'))
    elif isinstance(field, serializers.CharField):
        ok, message, params = isinstance(value, str), "invalid", {}
    else:
        return None  # dates and times parse strings only; nested serializers check themselves
    return None if ok else str(field.error_messages[message]).format(**params)


class RowRules:
    """For every input serializer of the API (each writes a row of `Meta.model`): the JSON
    types the schema gives its fields (json_type_error), then, once its own fields and
    validate() pass, the row as it would be saved checked against its model's rules
    (check_row), so a value the database would refuse is a 400 naming the field, never a
    server error. tests/api/test_constraints.py walks every constraint of every model."""

    def written_fields(self) -> set[str]:
        return {field.source for field in self.fields.values() if not field.read_only}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            return super().to_internal_value(data)  # DRF refuses what is not an object
        wrong_type = {}
        for name, field in self.fields.items():
            if not field.read_only and name in data:
                message = json_type_error(field, data[name])
                if message:
                    wrong_type[name] = [message]
        if not wrong_type:
            return super().to_internal_value(data)
        # Along with the other fields' errors, as DRF reports them all at once.
        try:
            super().to_internal_value({k: v for k, v in data.items() if k not in wrong_type})
        except serializers.ValidationError as error:
            others = error.detail if isinstance(error.detail, dict) else {}
        else:
            others = {}
        raise serializers.ValidationError({**others, **wrong_type})

    def run_validation(self, data=empty):
        value = super().run_validation(data)
        if value is None:
            return value  # an allowed null
        try:
            check_row(self.Meta.model, self.instance, value, written=self.written_fields())
        except DjangoValidationError as error:
            raise serializers.ValidationError(serializers.as_serializer_error(error)) from error
        return value


class ParetoClassSerializer(serializers.Serializer):
    accounts = serializers.IntegerField()
    revenue = serializers.DecimalField(max_digits=18, decimal_places=2)


class PortfolioTierSerializer(serializers.Serializer):
    tier = serializers.IntegerField(allow_null=True, help_text=_("Tier id; null: no tier yet."))
    name = serializers.CharField()
    accounts = serializers.IntegerField()
    revenue = serializers.DecimalField(max_digits=18, decimal_places=2)
    health_bands = serializers.DictField(child=serializers.IntegerField())


class AtRiskReasonSerializer(serializers.Serializer):
    label = serializers.CharField()
    reason = serializers.CharField()


class AtRiskAccountSerializer(serializers.Serializer):
    account = serializers.IntegerField()
    name = serializers.CharField()
    revenue = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    reasons = AtRiskReasonSerializer(many=True)


class PortfolioSummarySerializer(serializers.Serializer):
    """The dashboard's headline figures (insights.portfolio.portfolio_summary). Money is in
    the reporting currency; amounts in a currency without an exchange rate are left out and
    that currency is listed in `unconverted_currencies`."""

    reporting_currency = serializers.CharField()
    unconverted_currencies = serializers.ListField(child=serializers.CharField())
    revenue_as_of = serializers.DateField(allow_null=True)
    accounts = serializers.IntegerField(help_text=_("Accounts not churned."))
    revenue_12m = serializers.DecimalField(max_digits=18, decimal_places=2)
    revenue_at_risk = serializers.DecimalField(max_digits=18, decimal_places=2)
    accounts_at_risk = serializers.IntegerField()
    touches_overdue = serializers.IntegerField()
    qbrs_overdue = serializers.IntegerField()
    renewals_next_90_days = serializers.IntegerField()
    renewals_revenue = serializers.DecimalField(max_digits=18, decimal_places=2)
    pipeline_weighted = serializers.DecimalField(max_digits=18, decimal_places=2)
    pipeline_open = serializers.IntegerField()
    commitments_overdue = serializers.IntegerField()
    nrr_pct = serializers.FloatField(allow_null=True)
    grr_pct = serializers.FloatField(allow_null=True)
    pareto_classes = serializers.DictField(child=ParetoClassSerializer())
    tiers = PortfolioTierSerializer(many=True)
    at_risk = AtRiskAccountSerializer(many=True)

    @staticmethod
    def from_summary(summary) -> dict:
        return {
            "reporting_currency": summary.rates.reporting_currency,
            "unconverted_currencies": summary.unconverted,
            "revenue_as_of": summary.revenue_as_of,
            "accounts": summary.accounts.value,
            "revenue_12m": summary.revenue.value,
            "revenue_at_risk": summary.revenue_at_risk.value,
            "accounts_at_risk": summary.at_risk.value,
            "touches_overdue": summary.touch_overdue.value,
            "qbrs_overdue": summary.qbr_overdue.value,
            "renewals_next_90_days": summary.renewals.value,
            "renewals_revenue": summary.renewals_revenue,
            "pipeline_weighted": summary.pipeline_weighted.value,
            "pipeline_open": summary.pipeline_open,
            "commitments_overdue": summary.commitments_overdue.value,
            "nrr_pct": summary.nrr_pct.value,
            "grr_pct": summary.grr_pct.value,
            "pareto_classes": {
                cls: {"accounts": figure.accounts or 0, "revenue": figure.value}
                for cls, figure in summary.pareto_classes.items()
            },
            "tiers": [
                {
                    "tier": row.tier_id,
                    "name": row.name,
                    "accounts": row.accounts.value,
                    "revenue": row.revenue,
                    "health_bands": {band: fig.value for band, fig in row.bands.items()},
                }
                for row in summary.tiers
            ],
            "at_risk": [
                {
                    "account": row.account.pk,
                    "name": row.account.name,
                    "revenue": row.revenue,
                    "reasons": row.reasons,
                }
                for row in summary.at_risk_rows
            ],
        }


class ScopedField(serializers.PrimaryKeyRelatedField):
    """An id resolved in `model`'s rows the caller may see (get_queryset); any other id reads
    as "does not exist". The unscoped queryset only tells the schema what the id points at."""

    model = None

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", self.model._default_manager.all())
        super().__init__(**kwargs)


class VisibleAccountField(ScopedField):
    """An account id the caller may see."""

    model = Account

    def get_queryset(self):
        return accounts_for_user(self.context["request"].user).select_related("owner")


class VisibleStakeholderField(ScopedField):
    model = Stakeholder

    def get_queryset(self):
        return on_accounts_for_user(Stakeholder.objects.all(), self.context["request"].user)


class ActiveUserField(ScopedField):
    model = User

    def get_queryset(self):
        return User.objects.filter(is_active=True)


# --- accounts ---------------------------------------------------------------------------------


class AccountSerializer(serializers.ModelSerializer):
    website = serializers.CharField(read_only=True, help_text=_("A URL, or empty."))
    pareto_class = ComputedChoiceField(
        choices=[("A", "A"), ("B", "B"), ("C", "C")],
        help_text=_("Null until the nightly tiering has run."),
    )
    health_band = ComputedChoiceField(
        choices=HealthBand.choices,
        help_text=_("Null until the account is first scored (the `unknown` filter includes "
                    "those accounts)."),
    )  # fmt: skip
    owner = UserRefSerializer(read_only=True)
    team = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    tier = TierRefSerializer(read_only=True, allow_null=True)
    recommended_tier = TierRefSerializer(read_only=True, allow_null=True)
    revenue_12m = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        read_only=True,
        help_text=_("Revenue booked in the last 12 months, in the account's currency."),
    )

    class Meta:
        model = Account
        fields = [
            "id",
            *ACCOUNT_PROFILE_FIELDS,
            "external_id",
            "tier",
            "recommended_tier",
            "pareto_class",
            "tier_score",
            "health_score",
            "health_band",
            "revenue_12m",
            "last_touch_at",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


ACCOUNT_INPUT_FIELDS = [*ACCOUNT_PROFILE_FIELDS, "external_id"]


class AccountInputSerializer(RowRules, serializers.ModelSerializer):
    parent = VisibleAccountField(required=False, allow_null=True)
    owner = ActiveUserField(
        required=False,
        help_text=_("User id of the owner KAM. Leaders and admins only; a KAM owns what they "
                    "create."),
    )  # fmt: skip
    team = ActiveUserField(many=True, required=False)

    class Meta:
        model = Account
        fields = ACCOUNT_INPUT_FIELDS
        # The services own the rules across rows (and word them); no model validators.
        validators = []

    def validate_owner(self, owner):
        if not (self.instance or Account()).may_be_owned_by(owner):
            raise serializers.ValidationError(_("The owner must be a key account manager."))
        return owner

    # Renewal before start: Account.clean, which the services run (a 400 naming renewal_date).


class AccountUpdateSerializer(AccountInputSerializer):
    version = version_field()

    class Meta(AccountInputSerializer.Meta):
        fields = [*ACCOUNT_INPUT_FIELDS, "version"]


# --- stakeholders -----------------------------------------------------------------------------


STAKEHOLDER_FIELDS = [
    "name",
    "title",
    "department",
    "email",
    "phone",
    "buying_role",
    "influence",
    "stance",
    "reports_to",
    "is_primary",
    "left_on",
    "notes",
    "external_id",
]


class StakeholderSerializer(serializers.ModelSerializer):
    email = serializers.CharField(read_only=True, help_text=_("An email address, or empty."))
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = Stakeholder
        fields = [
            "id",
            "account",
            *STAKEHOLDER_FIELDS,
            "is_active",
            "last_interaction_at",
            "created_at",
        ]
        read_only_fields = fields


class StakeholderInputSerializer(RowRules, serializers.ModelSerializer):
    account = VisibleAccountField()
    reports_to = VisibleStakeholderField(required=False, allow_null=True)

    class Meta:
        model = Stakeholder
        fields = ["account", *STAKEHOLDER_FIELDS]
        # The services own the rules across rows (and word them); no model validators.
        validators = []


class StakeholderUpdateSerializer(StakeholderInputSerializer):
    class Meta(StakeholderInputSerializer.Meta):
        fields = STAKEHOLDER_FIELDS


# --- interactions and commitments -------------------------------------------------------------


class InteractionSerializer(serializers.ModelSerializer):
    logged_by = UserRefSerializer(read_only=True, allow_null=True)
    stakeholders = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    commitments = serializers.PrimaryKeyRelatedField(
        many=True,
        read_only=True,
        help_text=_("Commitments made from this interaction's next steps."),
    )

    class Meta:
        model = Interaction
        fields = [
            "id",
            "account",
            "kind",
            "occurred_at",
            "summary",
            "notes",
            "sentiment",
            "category",
            "stakeholders",
            "logged_by",
            "commitments",
            "external_id",
            "created_at",
        ]
        read_only_fields = fields


class NextStepInputSerializer(RowRules, serializers.Serializer):
    """A next step becomes a commitment: exactly one owner, on our team or the client's."""

    title = serializers.CharField(max_length=300)
    due_date = serializers.DateField(validators=[date_in_range])
    owner_user = ActiveUserField(required=False, allow_null=True)
    owner_stakeholder = VisibleStakeholderField(required=False, allow_null=True)

    class Meta:
        model = Commitment

    def validate(self, attrs):
        if (attrs.get("owner_user") is None) == (attrs.get("owner_stakeholder") is None):
            raise serializers.ValidationError(
                {"owner_user": _("Choose one owner: one of us or a client stakeholder.")}
            )
        return attrs


class InteractionInputSerializer(RowRules, serializers.ModelSerializer):
    """The quick log: one interaction and its next steps, written all or nothing."""

    account = VisibleAccountField()
    stakeholders = VisibleStakeholderField(many=True, required=False)
    next_steps = NextStepInputSerializer(many=True, required=False, max_length=MAX_NEXT_STEPS)

    class Meta:
        model = Interaction
        fields = [
            "account",
            "kind",
            "occurred_at",
            "summary",
            "notes",
            "sentiment",
            "category",
            "stakeholders",
            "next_steps",
        ]
        # The services own the rules across rows (and word them); no model validators.
        validators = []

    def validate(self, attrs):
        account = attrs["account"]
        # The quick log offers the account's active people only (present, or owning a step).
        for person in attrs.get("stakeholders", []):
            if person.account_id != account.pk or not person.is_active:
                raise serializers.ValidationError(
                    {"stakeholders": _("%(name)s is not an active stakeholder of this account.")
                     % {"name": person.name}}
                )  # fmt: skip
        for index, step in enumerate(attrs.get("next_steps", [])):
            person = step.get("owner_stakeholder")
            if person is not None and not person.is_active:
                message = _("%(name)s has left the company.") % {"name": person.name}
                raise serializers.ValidationError(
                    {"next_steps": {index: {"owner_stakeholder": [message]}}}
                )
        return attrs


class CommitmentChangeSerializer(serializers.Serializer):
    """One field an event changed, its values as text (null: not set)."""

    field = serializers.CharField()
    before = serializers.CharField(allow_null=True)
    after = serializers.CharField(allow_null=True)


class CommitmentEventSerializer(serializers.ModelSerializer):
    actor = UserRefSerializer(read_only=True, allow_null=True)
    changes = CommitmentChangeSerializer(many=True, read_only=True)

    class Meta:
        model = CommitmentEvent
        fields = ["verb", "at", "actor", "reason", "changes"]
        read_only_fields = fields


class CommitmentSerializer(serializers.ModelSerializer):
    """An agreed item: a commitment from an interaction or a QBR, a plan action, a playbook
    step, or one added by hand; `source` says which."""

    owner_user = UserRefSerializer(read_only=True, allow_null=True)
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = Commitment
        fields = [
            "id",
            "account",
            "title",
            "owner_user",
            "owner_stakeholder",
            "due_date",
            "status",
            "is_overdue",
            "source",
            "source_interaction",
            "source_qbr",
            "plan",
            "objective",
            "opportunity",
            "risk",
            "done_at",
            "created_at",
            "version",
        ]
        read_only_fields = fields

    def get_is_overdue(self, commitment) -> bool:
        # One date for the whole response (CommitmentViewSet puts it in the context).
        return commitment.is_overdue(self.context["today"])


class CommitmentReasonSerializer(RowRules, serializers.Serializer):
    """Why an item is cancelled (required) or reopened (optional); kept on its history."""

    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)

    class Meta:
        model = Commitment


# --- QBRs -------------------------------------------------------------------------------------


class QBRSerializer(serializers.ModelSerializer):
    # Local wall-clock time ("10:00:00"); OpenAPI's "time" format would demand an offset.
    scheduled_time = serializers.CharField(
        read_only=True, allow_null=True, help_text=_("HH:MM:SS, local time; null: all day.")
    )
    attendees = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    stakeholders = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = QBR
        fields = [
            "id",
            "account",
            "scheduled_on",
            "scheduled_time",
            "status",
            "attendees",
            "stakeholders",
            "agenda",
            "outcome",
            "rating",
            "held_at",
            "created_at",
        ]
        read_only_fields = fields


class QBRScheduleSerializer(RowRules, serializers.Serializer):
    account = VisibleAccountField()
    scheduled_on = serializers.DateField(validators=[date_in_range])
    scheduled_time = serializers.TimeField(required=False, allow_null=True)
    agenda = serializers.CharField(required=False, allow_blank=True, default="")
    attendees = ActiveUserField(many=True, required=False)
    stakeholders = VisibleStakeholderField(many=True, required=False)

    class Meta:
        model = QBR


class QBRHoldSerializer(RowRules, serializers.Serializer):
    held_at = serializers.DateTimeField(validators=[datetime_in_range])
    outcome = serializers.CharField(required=False, allow_blank=True, default="")
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    attendees = ActiveUserField(many=True, required=False)
    stakeholders = VisibleStakeholderField(many=True, required=False)
    next_steps = NextStepInputSerializer(many=True, required=False, max_length=MAX_NEXT_STEPS)

    class Meta:
        model = QBR


# --- client requests --------------------------------------------------------------------------


class ClientRequestSerializer(serializers.ModelSerializer):
    owner = UserRefSerializer(read_only=True)
    status = serializers.ChoiceField(
        choices=RequestStatus.choices,
        read_only=True,
        help_text=_("awaiting: no answer yet; answered: answered, not resolved; resolved."),
    )
    first_response_met = serializers.BooleanField(
        read_only=True, help_text=_("Answered by the first-response due moment.")
    )
    first_response_breached = serializers.SerializerMethodField(
        help_text=_("Answered after the due moment, or still unanswered past it.")
    )
    resolution_met = serializers.BooleanField(
        read_only=True, help_text=_("Resolved by the resolution due moment.")
    )
    resolution_breached = serializers.SerializerMethodField(
        help_text=_("Resolved after the due moment, or still open past it.")
    )

    class Meta:
        model = ClientRequest
        fields = [
            "id",
            "account",
            "requester",
            "channel",
            "subject",
            "details",
            "priority",
            "received_at",
            "owner",
            "status",
            "first_response_at",
            "first_response_due_at",
            "first_response_met",
            "first_response_breached",
            "first_response_interaction",
            "resolved_at",
            "resolution_due_at",
            "resolution_met",
            "resolution_breached",
            "version",
            "created_at",
        ]
        read_only_fields = fields

    def get_first_response_breached(self, request) -> bool:
        # One moment for the whole response (ClientRequestViewSet puts it in the context).
        return request.is_first_response_breached(self.context["now"])

    def get_resolution_breached(self, request) -> bool:
        return request.is_resolution_breached(self.context["now"])


class ClientRequestInputSerializer(RowRules, serializers.ModelSerializer):
    account = VisibleAccountField()
    requester = VisibleStakeholderField(required=False, allow_null=True)
    owner = ActiveUserField(
        required=False,
        help_text=_("One of the account's team; the account's owner when left out."),
    )

    class Meta:
        model = ClientRequest
        fields = ["account", *REQUEST_FIELDS]
        # The services own the rules across rows (and word them); no model validators.
        validators = []


class ClientRequestUpdateSerializer(ClientRequestInputSerializer):
    version = serializers.IntegerField(
        min_value=1,
        write_only=True,
        help_text=_("The version you read: a change saved since then answers 409."),
    )

    class Meta(ClientRequestInputSerializer.Meta):
        fields = [*REQUEST_FIELDS, "version"]


class RequestMomentSerializer(RowRules, serializers.Serializer):
    at = serializers.DateTimeField(
        required=False,
        validators=[datetime_in_range],
        help_text=_("When it happened; now when left out."),
    )

    class Meta:
        model = ClientRequest


# --- health and tiers -------------------------------------------------------------------------


class HealthReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    params = serializers.DictField()
    text = serializers.CharField(help_text=_("The reason in plain words, in your language."))


class HealthComponentSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    score = serializers.IntegerField(
        allow_null=True, help_text=_("Null: left out for lack of data.")
    )
    weight = serializers.FloatField()
    reason = HealthReasonSerializer()


class HealthMoverSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    from_score = serializers.IntegerField()
    to_score = serializers.IntegerField()


class HealthScoreSerializer(serializers.ModelSerializer):
    components = serializers.SerializerMethodField()
    movers = serializers.SerializerMethodField()
    change = serializers.IntegerField(read_only=True, allow_null=True)
    config_version = serializers.IntegerField(source="config.version", read_only=True)

    class Meta:
        model = HealthScore
        fields = [
            "id",
            "account",
            "day",
            "score",
            "band",
            "previous_score",
            "change",
            "components",
            "movers",
            "config_version",
            "computed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(HealthComponentSerializer(many=True))
    def get_components(self, score):
        return [
            {
                "key": component["key"],
                "label": component_label(component["key"]),
                "score": component["score"],
                "weight": component["weight"],
                "reason": {
                    "code": component["reason"].get("code", ""),
                    "params": component["reason"].get("params") or {},
                    "text": reason_text(component["reason"]),
                },
            }
            for component in score.components
        ]

    @extend_schema_field(HealthMoverSerializer(many=True))
    def get_movers(self, score):
        return [
            {
                "key": mover["key"],
                "label": component_label(mover["key"]),
                "from_score": mover["from"],
                "to_score": mover["to"],
            }
            for mover in score.movers
        ]


class TierChangeSerializer(serializers.ModelSerializer):
    from_tier = TierRefSerializer(read_only=True, allow_null=True)
    to_tier = TierRefSerializer(read_only=True)
    recommended_tier = TierRefSerializer(read_only=True, allow_null=True)
    tier_changed = serializers.BooleanField(read_only=True)
    changed_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = TierChange
        fields = [
            "id",
            "account",
            "from_tier",
            "to_tier",
            "recommended_tier",
            "tier_changed",
            "source",
            "reason",
            "changed_by",
            "changed_at",
        ]
        read_only_fields = fields


# --- plans ------------------------------------------------------------------------------------


class ObjectiveSerializer(serializers.ModelSerializer):
    progress_pct = serializers.IntegerField(read_only=True)

    class Meta:
        model = Objective
        fields = ["id", "plan", *ITEM_FIELDS[Objective], "progress_pct", "version"]
        read_only_fields = fields


class RiskSerializer(serializers.ModelSerializer):
    exposure = serializers.IntegerField(read_only=True)

    class Meta:
        model = Risk
        fields = ["id", "plan", *ITEM_FIELDS[Risk], "exposure", "version"]
        read_only_fields = fields


class OpportunitySerializer(serializers.ModelSerializer):
    weighted_value = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)

    class Meta:
        model = Opportunity
        fields = ["id", "plan", *ITEM_FIELDS[Opportunity], "weighted_value", "version"]
        read_only_fields = fields


class PlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = AccountPlan
        fields = [
            "id",
            "account",
            *PLAN_FIELDS,
            "status",
            "last_reviewed_at",
            "reviewed_by",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PlanDetailSerializer(PlanSerializer):
    objectives = ObjectiveSerializer(many=True, read_only=True)
    opportunities = OpportunitySerializer(many=True, read_only=True)
    risks = RiskSerializer(many=True, read_only=True)
    actions = serializers.PrimaryKeyRelatedField(
        many=True,
        read_only=True,
        help_text=_("The plan's actions: agreed items at /api/v1/commitments/?plan=<id>."),
    )

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "objectives", "opportunities", "risks", "actions"]
        read_only_fields = fields


class PlanInputSerializer(RowRules, serializers.ModelSerializer):
    account = VisibleAccountField()
    status = serializers.ChoiceField(
        choices=[("draft", _("Draft")), ("active", _("Active"))], required=False, default="draft"
    )

    class Meta:
        model = AccountPlan
        fields = ["account", *PLAN_FIELDS, "status"]
        # The services own the rules across rows (and word them); no model validators.
        validators = []


class PlanUpdateSerializer(RowRules, serializers.ModelSerializer):
    version = version_field()

    class Meta:
        model = AccountPlan
        fields = [*PLAN_FIELDS, "version"]
        # The services own the rules across rows (and word them); no model validators.
        validators = []


class VisiblePlanField(ScopedField):
    model = AccountPlan

    def get_queryset(self):
        plans = AccountPlan.objects.select_related("account")
        return on_accounts_for_user(plans, self.context["request"].user)


def plan_row_input(model, *, update: bool):
    """The input serializer of one kind of plan row: its editable fields (ITEM_FIELDS, as the
    web forms), the plan on create, the version read on update. Links to other rows and owners
    resolve through the caller's access; the services check they belong to the plan and team."""

    fields = list(ITEM_FIELDS[model])
    declared = {}
    if "owner" in fields:
        declared["owner"] = ActiveUserField(required=not update)
    for link, link_model in (
        ("objective", Objective),
        ("opportunity", Opportunity),
        ("risk", Risk),
    ):
        if link in fields:
            declared[link] = _plan_row_field(link_model)
    if "product" in fields:
        declared["product"] = serializers.PrimaryKeyRelatedField(
            queryset=Product.objects.all(), required=False, allow_null=True
        )
    if update:
        declared["version"] = version_field()
        fields.append("version")
    else:
        declared["plan"] = VisiblePlanField()
        fields.insert(0, "plan")
    meta = type("Meta", (), {"model": model, "fields": fields, "validators": []})
    name = f"{model.__name__}{'Update' if update else 'Input'}Serializer"
    return type(name, (RowRules, serializers.ModelSerializer), {"Meta": meta, **declared})


def _plan_row_field(model):
    class VisibleRowField(ScopedField):
        def get_queryset(self):
            user = self.context["request"].user
            return on_accounts_for_user(model.objects.all(), user, via="plan__account")

    VisibleRowField.model = model
    return VisibleRowField(required=False, allow_null=True)


class CommitmentInputSerializer(NextStepInputSerializer):
    """A new agreed item. With `plan` it is one of the plan's actions (owned by one of us),
    optionally for one of its objectives, opportunities or risks."""

    account = VisibleAccountField()
    plan = VisiblePlanField(required=False, allow_null=True)
    objective = _plan_row_field(Objective)
    opportunity = _plan_row_field(Opportunity)
    risk = _plan_row_field(Risk)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        plan = attrs.get("plan")
        if plan is not None:
            if plan.account_id != attrs["account"].pk:
                raise serializers.ValidationError({"plan": _("Choose a plan of this account.")})
            if attrs.get("owner_user") is None:
                raise serializers.ValidationError(
                    {"owner_user": _("A plan action is owned by one of us.")}
                )
        return attrs


# --- playbooks --------------------------------------------------------------------------------


class PlaybookStepSerializer(serializers.ModelSerializer):
    display_title = serializers.CharField(
        read_only=True,
        help_text=_("The title in the reader's language (a shipped step until it is edited)."),
    )
    user = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = PlaybookStep
        fields = ["id", "order", "title", "display_title", "owner_role", "user", "due_offset_days"]
        read_only_fields = fields


class PlaybookSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(
        read_only=True,
        help_text=_("The name in the reader's language (a shipped playbook until renamed)."),
    )
    band = serializers.CharField(
        read_only=True, help_text=_("For a health trigger: the band it fires at; else empty.")
    )
    tiers = TierRefSerializer(many=True, read_only=True)
    steps = PlaybookStepSerializer(many=True, read_only=True)

    class Meta:
        model = Playbook
        fields = [
            "id",
            "key",
            "name",
            "display_name",
            "description",
            "trigger",
            "band",
            "days",
            "tiers",
            "is_active",
            "version",
            "steps",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PlaybookStepInputSerializer(RowRules, serializers.Serializer):
    title = serializers.CharField(max_length=300)
    owner_role = serializers.ChoiceField(choices=StepOwner.choices, default=StepOwner.ACCOUNT_OWNER)
    user = ActiveUserField(
        required=False, allow_null=True, help_text=_("The named user (owner_role named_user).")
    )
    due_offset_days = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET_DAYS, default=0)

    class Meta:
        model = PlaybookStep


class PlaybookInputSerializer(RowRules, serializers.Serializer):
    """A playbook with its steps (given: they replace the steps, in this order) and its tier
    filter (given: replaces it; empty: every tier)."""

    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    trigger = serializers.ChoiceField(choices=PlaybookTrigger.choices)
    band = serializers.ChoiceField(
        choices=TRIGGER_BANDS, required=False, allow_blank=True, default=""
    )
    days = serializers.IntegerField(
        min_value=0, max_value=MAX_OFFSET_DAYS, required=False, allow_null=True, default=None
    )
    tiers = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Tier.objects.all(), required=False
    )
    is_active = serializers.BooleanField(required=False, default=True)
    steps = PlaybookStepInputSerializer(many=True, required=False, max_length=20)

    class Meta:
        model = Playbook


class PlaybookFiringSerializer(serializers.ModelSerializer):
    items = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text=_("The commitments this firing created.")
    )

    class Meta:
        model = PlaybookFiring
        fields = [
            "id",
            "playbook",
            "account",
            "episode_key",
            "playbook_version",
            "fired_at",
            "cleared_at",
            "items",
        ]
        read_only_fields = fields


class CommitmentUpdateSerializer(RowRules, serializers.Serializer):
    """Edit, reschedule or reassign an open item (a plan action's objective, opportunity or
    risk too). A new due date needs a `reason` (kept on the item's history); `version` is the
    one you read (409 if someone saved since). Checked as the row would be saved."""

    title = serializers.CharField(max_length=300, required=False)
    due_date = serializers.DateField(validators=[date_in_range], required=False)
    owner_user = ActiveUserField(required=False, allow_null=True)
    owner_stakeholder = VisibleStakeholderField(required=False, allow_null=True)
    objective = _plan_row_field(Objective)
    opportunity = _plan_row_field(Opportunity)
    risk = _plan_row_field(Risk)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)
    version = version_field()

    class Meta:
        model = Commitment

    def validate(self, attrs):
        # Reassigning to one side clears the other (as activities.services.commitment_update).
        if attrs.get("owner_user") is not None:
            attrs.setdefault("owner_stakeholder", None)
        if attrs.get("owner_stakeholder") is not None:
            attrs.setdefault("owner_user", None)
        item = self.instance
        if item is not None and item.plan_id is None:
            for name in ("objective", "opportunity", "risk"):
                if attrs.get(name) is not None:
                    raise serializers.ValidationError(
                        {name: _("Only a plan action links to a plan row.")}
                    )
        if item is not None and item.plan_id is not None:
            owner = attrs.get("owner_user", item.owner_user)
            if owner is None:
                field = "owner_stakeholder" if attrs.get("owner_stakeholder") else "owner_user"
                raise serializers.ValidationError(
                    {field: _("A plan action is owned by one of us.")}
                )
        return attrs
