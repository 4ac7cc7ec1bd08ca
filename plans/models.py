"""Account plans (DESIGN §2.4): objectives, value hypotheses, SWOT, risks, opportunities,
actions, governance, and the whitespace matrix. Rules that hold for every row are database
constraints; rules across rows (owners on the team, links inside one plan) are in services."""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Currency
from kam.dates import business_date, date_in_range, date_range_check
from kam.search import search_vector

# A plan nobody has reviewed for a quarter is flagged as stale.
STALE_AFTER_DAYS = 90

# A value or price of 0 or more: said on the field (forms, the admin, the API) before the
# database's constraint would refuse it.
NOT_NEGATIVE = MinValueValidator(0, message=_("Enter a value of 0 or more."))


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    ARCHIVED = "archived", _("Archived")


class Product(models.Model):
    """Our catalogue, managed by admins (Django admin)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    series = models.CharField(_("series"), max_length=100, blank=True)
    list_price = models.DecimalField(
        _("list price"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[NOT_NEGATIVE],
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.BRL
    )

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["series", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(list_price__isnull=True) | Q(list_price__gte=0),
                name="product_price_not_negative",
                violation_error_message=_("The list price must be 0 or more."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AccountPlan(models.Model):
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="plans",
        verbose_name=_("account"),
        db_index=False,
    )
    title = models.CharField(_("title"), max_length=200)
    period_start = models.DateField(_("period start"), validators=[date_in_range])
    period_end = models.DateField(_("period end"), validators=[date_in_range])
    status = models.CharField(
        _("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    swot_strengths = models.TextField(_("strengths"), blank=True)
    swot_weaknesses = models.TextField(_("weaknesses"), blank=True)
    swot_opportunities = models.TextField(_("opportunities (SWOT)"), blank=True)
    swot_threats = models.TextField(_("threats"), blank=True)
    governance_rhythm = models.TextField(
        _("governance rhythm"),
        blank=True,
        help_text=_("Steering meetings, who attends, how often."),
    )
    qbr_cadence_note = models.CharField(_("QBR cadence"), max_length=200, blank=True)
    last_reviewed_at = models.DateTimeField(_("last reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Bumped by every change to the plan or its rows: an edit opened at an older version is
    # refused instead of overwriting (plans.services.plan_update).
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Accounts, stakeholders, plans, interactions and requests are found by the global search
    # (kam/search.py, insights/search.py); recomputed by PostgreSQL when a text changes.
    search_vector = models.GeneratedField(
        expression=search_vector(
            ("A", ("title",)),
            ("D", ("swot_strengths", "swot_weaknesses", "swot_opportunities", "swot_threats")),
        ),
        output_field=SearchVectorField(),
        db_persist=True,
        editable=False,
    )

    class Meta:
        verbose_name = _("account plan")
        verbose_name_plural = _("account plans")
        ordering = ["-period_start", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status="active"),
                name="plan_one_active_per_account",
                violation_error_message=_("This account already has an active plan."),
            ),
            models.CheckConstraint(
                condition=Q(period_end__gt=F("period_start")), name="plan_period_ordered"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PlanStatus.values), name="plan_status_valid"
            ),
            date_range_check("period_start", name="plan_period_start_range"),
            date_range_check("period_end", name="plan_period_end_range"),
        ]
        indexes = [
            models.Index(fields=["account", "-period_start"]),
            GinIndex(fields=["search_vector"], name="plan_search_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("plan_detail", args=[self.account_id, self.pk])

    def clean(self) -> None:
        """The period's order, for the form, the API and the services alike (the database's
        copy is plan_period_ordered)."""
        super().clean()
        start, end = self.period_start, self.period_end
        if isinstance(start, date) and isinstance(end, date) and end <= start:
            raise ValidationError({"period_end": _("The period must end after it starts.")})

    @property
    def is_active(self) -> bool:
        return self.status == PlanStatus.ACTIVE

    @property
    def is_archived(self) -> bool:
        return self.status == PlanStatus.ARCHIVED

    def reviewed_on(self) -> date:
        """The last review, or the day the plan was made when it was never reviewed."""
        moment = self.last_reviewed_at or self.created_at or timezone.now()
        return business_date(moment)

    def days_since_review(self, today: date) -> int:
        return (today - self.reviewed_on()).days

    def is_stale(self, today: date) -> bool:
        """An active plan not reviewed for a quarter."""
        return self.is_active and self.days_since_review(today) >= STALE_AFTER_DAYS

    def next_period(self) -> tuple[date, date]:
        """The period right after this one, of the same length."""
        start = self.period_end + timedelta(days=1)
        return start, start + (self.period_end - self.period_start)


class ObjectiveStatus(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    OFF_TRACK = "off_track", _("Off track")
    ACHIEVED = "achieved", _("Achieved")


class Objective(models.Model):
    """What the client wants to achieve, measurably."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="objectives")
    description = models.CharField(_("what the client wants"), max_length=300)
    metric = models.CharField(_("metric"), max_length=200)
    baseline = models.DecimalField(_("baseline"), max_digits=14, decimal_places=2)
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    current_value = models.DecimalField(
        _("current value"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True, validators=[date_in_range])
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ObjectiveStatus.choices,
        default=ObjectiveStatus.ON_TRACK,
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        ordering = ["due_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(target=F("baseline")), name="objective_target_differs_from_baseline"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ObjectiveStatus.values), name="objective_status_valid"
            ),
            date_range_check("due_date", nullable=True, name="objective_due_date_range"),
        ]

    def __str__(self) -> str:
        return self.description

    def clean(self) -> None:
        """The database's objective_target_differs_from_baseline, worded for every write path."""
        super().clean()
        if self.target is not None and self.target == self.baseline:
            raise ValidationError(
                {"target": _("The target must differ from the baseline, or there is nothing "
                             "to achieve.")}
            )  # fmt: skip

    @property
    def title(self) -> str:
        return self.description

    @property
    def reached(self) -> Decimal:
        return self.baseline if self.current_value is None else self.current_value

    @property
    def gap(self) -> Decimal:
        """How far the current value still is from the target (baseline when not measured)."""
        return self.target - self.reached

    @property
    def progress_pct(self) -> int:
        """Share of the way from baseline to target, 0–100 (works for targets below baseline)."""
        span = self.target - self.baseline
        done = (self.reached - self.baseline) / span * 100
        return int(max(Decimal(0), min(Decimal(100), done)))

    @property
    def counts_as_on_track(self) -> bool:
        return self.status in (ObjectiveStatus.ON_TRACK, ObjectiveStatus.ACHIEVED)


class ValueHypothesis(models.Model):
    """How we move an objective, and the value it should bring, tracked to what it brought."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="hypotheses")
    objective = models.ForeignKey(
        Objective,
        verbose_name=_("objective"),
        on_delete=models.CASCADE,
        related_name="hypotheses",
    )
    hypothesis = models.TextField(_("hypothesis"))
    expected_value = models.DecimalField(
        _("expected value"), max_digits=14, decimal_places=2, validators=[NOT_NEGATIVE]
    )
    realised_value = models.DecimalField(
        _("realised value"),
        max_digits=14,
        decimal_places=2,
        default=Decimal(0),
        validators=[NOT_NEGATIVE],
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.BRL
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("value hypothesis")
        verbose_name_plural = _("value hypotheses")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expected_value__gte=0, realised_value__gte=0),
                name="hypothesis_values_not_negative",
                violation_error_message=_("The expected and realised values must be 0 or more."),
            ),
        ]

    def __str__(self) -> str:
        return self.hypothesis[:80]

    @property
    def title(self) -> str:
        return str(self)

    @property
    def realised_pct(self) -> int | None:
        if not self.expected_value:
            return None
        return int(self.realised_value / self.expected_value * 100)


def _one_to_five(name: str):
    return models.PositiveSmallIntegerField(
        name, default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )


class RiskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    MITIGATED = "mitigated", _("Mitigated")
    CLOSED = "closed", _("Closed")


# A risk at this severity or above counts in the health score.
HIGH_SEVERITY = 4


class Risk(models.Model):
    """A retention risk."""

    plan = models.ForeignKey(
        AccountPlan, on_delete=models.CASCADE, related_name="risks", db_index=False
    )
    title = models.CharField(_("risk"), max_length=200)
    severity = _one_to_five(_("severity"))
    likelihood = _one_to_five(_("likelihood"))
    mitigation = models.TextField(_("mitigation"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="plan_risks",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RiskStatus.choices, default=RiskStatus.OPEN
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("risk")
        verbose_name_plural = _("risks")
        ordering = ["status", "-severity", "-likelihood", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__gte=1, severity__lte=5), name="risk_severity_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(likelihood__gte=1, likelihood__lte=5), name="risk_likelihood_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RiskStatus.values), name="risk_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["plan", "status", "severity"])]

    def __str__(self) -> str:
        return self.title

    @property
    def exposure(self) -> int:
        return self.severity * self.likelihood

    @property
    def is_open(self) -> bool:
        return self.status == RiskStatus.OPEN

    @property
    def is_high(self) -> bool:
        return self.severity >= HIGH_SEVERITY


class OpportunityKind(models.TextChoices):
    UPSELL = "upsell", _("Upsell")
    CROSS_SELL = "cross_sell", _("Cross-sell")
    RENEWAL = "renewal", _("Renewal")


class OpportunityStage(models.TextChoices):
    IDENTIFIED = "identified", _("Identified")
    QUALIFIED = "qualified", _("Qualified")
    PROPOSAL = "proposal", _("Proposal")
    NEGOTIATION = "negotiation", _("Negotiation")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


CLOSED_STAGES = (OpportunityStage.WON, OpportunityStage.LOST)


class Opportunity(models.Model):
    """An expansion opportunity: upsell, cross-sell or renewal."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="opportunities")
    kind = models.CharField(
        _("kind"), max_length=10, choices=OpportunityKind.choices, default=OpportunityKind.UPSELL
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    title = models.CharField(_("title"), max_length=200)
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.BRL
    )
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=50, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    stage = models.CharField(
        _("stage"),
        max_length=12,
        choices=OpportunityStage.choices,
        default=OpportunityStage.IDENTIFIED,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="plan_opportunities",
    )
    expected_close = models.DateField(
        _("expected close"), null=True, blank=True, validators=[date_in_range]
    )
    # The deal's id in the system it was imported from (dataio): re-imports update, not add.
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["expected_close", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(probability__gte=0, probability__lte=100),
                name="opportunity_probability_0_to_100",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="opportunity_amount_not_neg"),
            models.CheckConstraint(
                condition=Q(stage__in=OpportunityStage.values), name="opportunity_stage_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=OpportunityKind.values), name="opportunity_kind_valid"
            ),
            models.UniqueConstraint(
                fields=["plan", "external_id"],
                condition=~Q(external_id=""),
                name="opportunity_external_id_unique",
            ),
            date_range_check(
                "expected_close", nullable=True, name="opportunity_expected_close_range"
            ),
        ]
        indexes = [
            # The dashboard's largest open opportunities: the first ten of each currency by
            # weighted amount, read off this index whatever the size of the pipeline
            # (insights.portfolio._opportunity_rows).
            models.Index(
                F("currency"),
                (F("amount") * F("probability")).desc(),
                F("id"),
                name="opportunity_open_weighted",
                # Not "stage IN (...)": PostgreSQL prints that back in a form that differs
                # once re-created (the large demo's loader drops and re-creates indexes).
                condition=~Q(stage=OpportunityStage.WON) & ~Q(stage=OpportunityStage.LOST),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def weighted_value(self) -> Decimal:
        return (self.amount * self.probability / 100).quantize(Decimal("0.01"))

    @property
    def is_open(self) -> bool:
        return self.stage not in CLOSED_STAGES


class PlanChange(models.Model):
    """One saved change to a plan: who, when, and field by field what it was and became.
    `changes` is a list of {"entity", "field", "before", "after"} (values as text)."""

    class Entity(models.TextChoices):
        PLAN = "plan", _("Plan")
        OBJECTIVE = "objective", _("Objective")
        HYPOTHESIS = "hypothesis", _("Value hypothesis")
        RISK = "risk", _("Risk")
        OPPORTUNITY = "opportunity", _("Opportunity")
        ACTION = "action", _("Action")

    class Verb(models.TextChoices):
        CREATED = "created", _("Added")
        UPDATED = "updated", _("Changed")
        DELETED = "deleted", _("Removed")
        REVIEWED = "reviewed", _("Reviewed")
        ACTIVATED = "activated", _("Activated")
        ARCHIVED = "archived", _("Archived")
        COPIED = "copied", _("Started from the previous period")

    plan = models.ForeignKey(
        AccountPlan, on_delete=models.CASCADE, related_name="changes", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    entity = models.CharField(max_length=12, choices=Entity.choices)
    verb = models.CharField(max_length=10, choices=Verb.choices)
    label = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=list)
    version = models.PositiveIntegerField(
        _("plan version"), help_text=_("The plan's version after this change.")
    )

    class Meta:
        verbose_name = _("plan change")
        verbose_name_plural = _("plan changes")
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["plan", "-changed_at"])]

    def __str__(self) -> str:
        return f"{self.plan_id} v{self.version}: {self.verb} {self.entity}"


class BusinessUnit(models.Model):
    """A division of the client, a row of the whitespace matrix."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="business_units", db_index=False
    )
    name = models.CharField(_("business unit"), max_length=200)

    class Meta:
        verbose_name = _("business unit")
        verbose_name_plural = _("business units")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="business_unit_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class WhitespaceState(models.TextChoices):
    CURRENT = "current", _("Current")
    IN_PROGRESS = "in_progress", _("In progress")
    OPPORTUNITY = "opportunity", _("Opportunity")
    NOT_A_FIT = "not_a_fit", _("Not a fit")


class WhitespaceCell(models.Model):
    """Where one of our products stands in one business unit of the client."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="whitespace_cells"
    )
    business_unit = models.ForeignKey(
        BusinessUnit, on_delete=models.CASCADE, related_name="cells", db_index=False
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="cells")
    state = models.CharField(_("state"), max_length=12, choices=WhitespaceState.choices)
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="whitespace_cells",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("whitespace cell")
        verbose_name_plural = _("whitespace cells")
        constraints = [
            models.UniqueConstraint(
                fields=["business_unit", "product"], name="whitespace_one_cell_per_unit_product"
            ),
            models.CheckConstraint(
                condition=Q(state__in=WhitespaceState.values), name="whitespace_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.business_unit} × {self.product}: {self.state}"
