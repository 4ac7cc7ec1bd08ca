import secrets
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Account, HealthBand, Stakeholder, Tier, qbr_due_from
from kam.dates import (
    business_date,
    business_day_start,
    business_moment,
    date_in_range,
    date_range_check,
    datetime_in_range,
    datetime_range_check,
)
from kam.search import search_vector


class InteractionKind(models.TextChoices):
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    VISIT = "visit", _("Visit")
    EMAIL = "email", _("Email")
    NOTE = "note", _("Note")


class Sentiment(models.IntegerChoices):
    VERY_NEGATIVE = -2, _("Very negative")
    NEGATIVE = -1, _("Negative")
    NEUTRAL = 0, _("Neutral")
    POSITIVE = 1, _("Positive")
    VERY_POSITIVE = 2, _("Very positive")


class InteractionCategory(models.TextChoices):
    VALUE_PLAN = "value_plan", _("Value plan")
    EVOLUTION = "evolution", _("Evolution")
    INCIDENT = "incident", _("Incident")


class Interaction(models.Model):
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="interactions", db_index=False
    )
    kind = models.CharField(_("type"), max_length=10, choices=InteractionKind.choices)
    occurred_at = models.DateTimeField(_("date"), validators=[datetime_in_range])
    stakeholders = models.ManyToManyField(
        Stakeholder, verbose_name=_("stakeholders present"), blank=True, related_name="interactions"
    )
    summary = models.CharField(_("summary"), max_length=300)
    notes = models.TextField(_("notes"), blank=True)
    sentiment = models.SmallIntegerField(
        _("sentiment"), choices=Sentiment.choices, default=Sentiment.NEUTRAL
    )
    category = models.CharField(
        _("category"),
        max_length=12,
        choices=InteractionCategory.choices,
        default=InteractionCategory.EVOLUTION,
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="logged_interactions",
    )
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Accounts, stakeholders, plans, interactions and requests are found by the global search
    # (kam/search.py, insights/search.py); recomputed by PostgreSQL when a text changes.
    search_vector = models.GeneratedField(
        expression=search_vector(("A", ("summary",)), ("D", ("notes",))),
        output_field=SearchVectorField(),
        db_persist=True,
        editable=False,
    )

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=InteractionKind.values), name="interaction_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(sentiment__gte=-2, sentiment__lte=2), name="interaction_sentiment_range"
            ),
            models.CheckConstraint(
                condition=Q(category__in=InteractionCategory.values),
                name="interaction_category_valid",
            ),
            models.UniqueConstraint(
                fields=["account", "external_id"],
                condition=~Q(external_id=""),
                name="interaction_external_id_unique",
            ),
            datetime_range_check("occurred_at", name="interaction_occurred_at_range"),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="interaction_search_idx"),
            # Includes sentiment so the health score reads last touch, sentiment and count in
            # an index-only scan (bench/README.md).
            models.Index(
                fields=["account", "-occurred_at"],
                include=["sentiment"],
                name="interaction_account_recent_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.summary

    def get_absolute_url(self) -> str:
        """Its place on the account's timeline: the page that starts at it (a back-dated one
        may be pages down), scrolled to its entry."""
        start = (self.occurred_at + timedelta(microseconds=1)).isoformat()
        query = urlencode({"before_at": start, "before_id": 1})
        timeline = reverse("account_timeline", args=[self.account_id])
        return f"{timeline}?{query}#interaction-{self.pk}"

    # Notes longer than this (characters or lines) start folded on the timeline.
    NOTES_SHORT_CHARS = 400
    NOTES_SHORT_LINES = 4

    @property
    def notes_are_long(self) -> bool:
        return (
            len(self.notes) > self.NOTES_SHORT_CHARS
            or self.notes.count("\n") >= self.NOTES_SHORT_LINES
        )


class QBRStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class QBR(models.Model):
    """A quarterly business review with the client: planned, then held (with an outcome, a
    rating and next steps that become commitments) or cancelled."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="qbrs", db_index=False
    )
    scheduled_on = models.DateField(_("date"), validators=[date_in_range])
    scheduled_time = models.TimeField(_("time"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=QBRStatus.choices, default=QBRStatus.PLANNED
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("our attendees"),
        blank=True,
        related_name="qbrs_attended",
    )
    stakeholders = models.ManyToManyField(
        Stakeholder, verbose_name=_("client attendees"), blank=True, related_name="qbrs"
    )
    agenda = models.TextField(_("agenda"), blank=True)
    outcome = models.TextField(_("outcome notes"), blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("How the client rated the review, 1 (poor) to 5 (excellent)."),
    )
    held_at = models.DateTimeField(
        _("held on"), null=True, blank=True, validators=[datetime_in_range]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("QBR")
        verbose_name_plural = _("QBRs")
        ordering = ["-scheduled_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=QBRStatus.values), name="qbr_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="qbr_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=(Q(status="held") & Q(held_at__isnull=False))
                | (~Q(status="held") & Q(held_at__isnull=True)),
                name="qbr_held_at_iff_held",
            ),
            date_range_check("scheduled_on", name="qbr_scheduled_on_range"),
            datetime_range_check("held_at", nullable=True, name="qbr_held_at_range"),
        ]
        indexes = [
            models.Index(fields=["account", "status", "scheduled_on"]),
            models.Index(fields=["status", "scheduled_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.scheduled_on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("qbr_detail", args=[self.pk])

    @property
    def is_planned(self) -> bool:
        return self.status == QBRStatus.PLANNED

    @property
    def held_on(self) -> date | None:
        return business_date(self.held_at) if self.held_at else None

    def starts_at(self):
        """The scheduled moment (aware, the day and time read in the business time zone, as
        every date is), or None for an all-day review."""
        if self.scheduled_time is None:
            return None
        return business_moment(datetime.combine(self.scheduled_on, self.scheduled_time))

    def next_due(self, cadence_days: int | None) -> date | None:
        """For a held QBR, when the next one is due under `cadence_days`
        (accounts.models.qbr_due_from)."""
        if self.held_on is None:
            return None
        return qbr_due_from(
            last_held_on=self.held_on,
            contract_start=None,
            created_on=self.held_on,
            cadence_days=cadence_days,
        )


class CommitmentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


# Days an agreed item of an account without a tier may stay overdue before its leader is told
# (a tier sets its own: Tier.escalation_grace_days).
DEFAULT_ESCALATION_GRACE_DAYS = 3


class CommitmentSource(models.TextChoices):
    """Where an agreed item came from (one list whatever the source)."""

    MANUAL = "manual", _("Added by hand")
    INTERACTION = "interaction", _("Interaction")
    QBR = "qbr", _("QBR")
    PLAN = "plan", _("Account plan")
    PLAYBOOK = "playbook", _("Playbook")
    REQUEST = "request", _("Client request")


def commitment_overdue_q(today: date) -> Q:
    """The one definition of an overdue agreed item (a commitment, a plan action, a QBR next
    step, a playbook step), as a condition: still open and due before `today` (the caller's
    local date; an item due today is not overdue yet).
    Commitment.is_overdue answers the same for one row; tests/activities/test_commitment_rules.py
    checks that they agree."""
    return Q(status=CommitmentStatus.OPEN, due_date__lt=today)


def commitment_to_chase_q(today: date) -> Q:
    """The one definition of a client's item "to chase with the client": owned by the client's
    side, still open and come due: due `today` or before (overdue, or due today). An item due
    later is not owed yet: the KAM chases on the day it falls due, when the chase reminder goes
    (activities.reminders). My work and the account page's follow-through card count these;
    Commitment.is_to_chase answers the same for one row (tests/activities/test_commitment_rules.py
    checks that they agree)."""
    return Q(status=CommitmentStatus.OPEN, owner_stakeholder__isnull=False, due_date__lte=today)


# The agreed item's own columns a row draws (CommitmentQuerySet.as_rows); its follow-up
# forms load the item again through the access check.
ROW_FIELDS = (
    "account", "title", "owner_user", "owner_stakeholder", "due_date", "status", "source",
)  # fmt: skip


class CommitmentQuerySet(models.QuerySet):
    def open(self) -> "CommitmentQuerySet":
        return self.filter(status=CommitmentStatus.OPEN)

    def overdue(self, today: date) -> "CommitmentQuerySet":
        """Open and due before `today`: Commitment.is_overdue as a filter."""
        return self.filter(commitment_overdue_q(today))

    def not_overdue(self, today: date) -> "CommitmentQuerySet":
        return self.exclude(commitment_overdue_q(today))

    def past_grace(self, today: date, tiers) -> "CommitmentQuerySet":
        """Open and overdue by more than the account tier's escalation grace
        (Commitment.is_past_grace for one row; no tier: DEFAULT_ESCALATION_GRACE_DAYS)."""
        late = Q(
            account__tier__isnull=True,
            due_date__lt=today - timedelta(days=DEFAULT_ESCALATION_GRACE_DAYS),
        )
        for tier in tiers:
            late |= Q(
                account__tier_id=tier.pk,
                due_date__lt=today - timedelta(days=tier.escalation_grace_days),
            )
        return self.filter(late, status=CommitmentStatus.OPEN)

    def to_chase(self, today: date) -> "CommitmentQuerySet":
        """The client's items come due: Commitment.is_to_chase as a filter."""
        return self.filter(commitment_to_chase_q(today))

    def due_between(self, first: date, last: date) -> "CommitmentQuerySet":
        """Open and due from `first` to `last` (inclusive)."""
        return self.open().filter(due_date__gte=first, due_date__lte=last)

    def as_rows(self) -> "CommitmentQuerySet":
        """What a list of agreed items draws (commitment_row.html and its controls): the item,
        its account's name and its owner's name, in one query. Whole account and user rows
        (an account is 43 columns, its search vector among them) made reading My work's 180
        open items about a third slower (bench/README.md, "Templates")."""
        return self.select_related("account", "owner_user", "owner_stakeholder").only(
            *ROW_FIELDS, "account__name", "owner_user__full_name", "owner_user__email",
            "owner_stakeholder__name",
        )  # fmt: skip


class Commitment(models.Model):
    """An agreed item: what was agreed, owned either by one of our users or by a client
    stakeholder, whatever it came from (an interaction's next steps, a QBR's, an account plan's
    actions, a playbook's steps, a client request). One table, so one rule for overdue, one
    history, one list (docs/architecture.md)."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="commitments", db_index=False
    )
    title = models.CharField(_("what"), max_length=300)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner (our side)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="commitments",
        db_index=False,
    )
    owner_stakeholder = models.ForeignKey(
        Stakeholder,
        verbose_name=_("owner (client side)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="commitments",
    )
    due_date = models.DateField(_("due date"), validators=[date_in_range])
    status = models.CharField(
        _("status"), max_length=10, choices=CommitmentStatus.choices, default=CommitmentStatus.OPEN
    )
    source_interaction = models.ForeignKey(
        Interaction,
        verbose_name=_("from interaction"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commitments",
    )
    source_qbr = models.ForeignKey(
        QBR,
        verbose_name=_("from QBR"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commitments",
    )
    playbook_firing = models.ForeignKey(
        "PlaybookFiring",
        verbose_name=_("from playbook"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="items",
    )
    source = models.CharField(
        _("source"),
        max_length=12,
        choices=CommitmentSource.choices,
        default=CommitmentSource.MANUAL,
    )
    # A plan action: the plan, and at most one of its objectives, opportunities or risks.
    # (plans sits above activities: referenced by name, never imported.)
    plan = models.ForeignKey(
        "plans.AccountPlan",
        verbose_name=_("account plan"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="actions",
        db_index=False,
    )
    objective = models.ForeignKey(
        "plans.Objective",
        verbose_name=_("for objective"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions",
    )
    opportunity = models.ForeignKey(
        "plans.Opportunity",
        verbose_name=_("for opportunity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions",
    )
    risk = models.ForeignKey(
        "plans.Risk",
        verbose_name=_("for risk"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions",
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = CommitmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["due_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(owner_user__isnull=False) & Q(owner_stakeholder__isnull=True))
                | (Q(owner_user__isnull=True) & Q(owner_stakeholder__isnull=False)),
                name="commitment_exactly_one_owner",
            ),
            models.CheckConstraint(
                condition=Q(status__in=CommitmentStatus.values), name="commitment_status_valid"
            ),
            models.CheckConstraint(
                condition=(Q(status="done") & Q(done_at__isnull=False))
                | (~Q(status="done") & Q(done_at__isnull=True)),
                name="commitment_done_at_iff_done",
            ),
            date_range_check("due_date", name="commitment_due_date_range"),
            models.CheckConstraint(
                condition=Q(source__in=CommitmentSource.values), name="commitment_source_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(objective__isnull=True, opportunity__isnull=True)
                    | Q(objective__isnull=True, risk__isnull=True)
                    | Q(opportunity__isnull=True, risk__isnull=True)
                ),
                name="commitment_links_at_most_one",
            ),
            models.CheckConstraint(
                condition=Q(plan__isnull=False)
                | Q(objective__isnull=True, opportunity__isnull=True, risk__isnull=True),
                name="commitment_links_need_plan",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_date"]),
            # The open items by due date with their account, read without the table: the
            # accounts list's "overdue commitments" filter counts the accounts that have one
            # (16,000 of 20,000 in the large demo: 26 → 16 ms, bench/README.md), and every
            # other overdue count (commitment_overdue_q) reads the same rows.
            models.Index(
                fields=["due_date"],
                include=["account"],
                condition=Q(status=CommitmentStatus.OPEN),
                name="commitment_open_due_idx",
            ),
            models.Index(fields=["plan", "status", "due_date"], name="commitment_plan_idx"),
            models.Index(fields=["owner_user", "status", "due_date"]),
            # Includes the owner so the health score counts kept/overdue commitments in an
            # index-only scan (bench/README.md).
            models.Index(
                fields=["account", "status", "due_date"],
                include=["owner_user"],
                name="commitment_account_status_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def owner(self):
        return self.owner_user or self.owner_stakeholder

    @property
    def is_ours(self) -> bool:
        return self.owner_user_id is not None

    def is_overdue(self, today: date) -> bool:
        """Still open and due before `today` (commitment_overdue_q for one row)."""
        return self.status == CommitmentStatus.OPEN and self.due_date < today

    def is_to_chase(self, today: date) -> bool:
        """The client owns it, it is open and it has come due (commitment_to_chase_q for many
        rows)."""
        return (
            self.owner_stakeholder_id is not None
            and self.status == CommitmentStatus.OPEN
            and self.due_date <= today
        )

    def is_past_grace(self, today: date) -> bool:
        """Overdue by more than its account tier's escalation grace: the leader is told
        (CommitmentQuerySet.past_grace for many rows)."""
        account = self.account
        grace = (
            account.tier.escalation_grace_days if account.tier_id else DEFAULT_ESCALATION_GRACE_DAYS
        )
        return self.is_overdue(today - timedelta(days=grace))

    @property
    def is_open(self) -> bool:
        return self.status == CommitmentStatus.OPEN

    @property
    def linked(self):
        """The plan row an action moves (objective, opportunity or risk), if any."""
        return self.objective or self.opportunity or self.risk

    def clean(self) -> None:
        """The database's link constraints, worded for every write path."""
        super().clean()
        links = [
            name for name in ("objective", "opportunity", "risk") if getattr(self, f"{name}_id")
        ]
        if len(links) > 1:
            raise ValidationError(
                {links[1]: _("Link the action to one objective, opportunity or risk at most.")}
            )


class CommitmentEvent(models.Model):
    """One step in an agreed item's history: who, when, what changed and why (a reschedule
    and a cancellation carry the reason given)."""

    class Verb(models.TextChoices):
        CREATED = "created", _("Created")
        EDITED = "edited", _("Edited")
        RESCHEDULED = "rescheduled", _("Rescheduled")
        REASSIGNED = "reassigned", _("Reassigned")
        COMPLETED = "completed", _("Completed")
        REOPENED = "reopened", _("Reopened")
        CANCELLED = "cancelled", _("Cancelled")
        ESCALATED = "escalated", _("Escalated to the leader")
        CHASED = "chased", _("Reminder to chase the client")

    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    verb = models.CharField(max_length=12, choices=Verb.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    # [{"field", "before", "after"}], values as text
    changes = models.JSONField(default=list)

    class Meta:
        verbose_name = _("agreed item change")
        verbose_name_plural = _("agreed item changes")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["commitment", "-at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(verb__in=["created", "edited", "rescheduled", "reassigned",
                                      "completed", "reopened", "cancelled", "escalated",
                                      "chased"]),
                name="commitment_event_verb_valid",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.commitment_id} {self.verb}"


# ---------------------------------------------------------------------------------------------
# Client requests and their SLA clocks


class RequestChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    WHATSAPP = "whatsapp", _("WhatsApp")
    MEETING = "meeting", _("Meeting")
    PORTAL = "portal", _("Portal")


class RequestPriority(models.TextChoices):
    # The values are accounts.models.REQUEST_PRIORITIES (the tier's resolution targets).
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class RequestStatus(models.TextChoices):
    """Derived from the moments, never stored: awaiting an answer, answered (being worked on),
    resolved."""

    AWAITING = "awaiting", _("Awaiting an answer")
    ANSWERED = "answered", _("Answered")
    RESOLVED = "resolved", _("Resolved")


# THE SLA rules. Each is a condition here (ClientRequestQuerySet filters with it; insights.sla
# counts with it, a column counted FILTER (WHERE …)) next to the ClientRequest method that
# answers it for one row; tests/activities/test_request_rules.py checks they agree.
# A due moment is the last one still on time: answered at the due moment is met.


def request_open_q() -> Q:
    return Q(resolved_at__isnull=True)


def request_awaiting_response_q() -> Q:
    return Q(resolved_at__isnull=True, first_response_at__isnull=True)


def request_status_q(status: str) -> Q:
    if status == RequestStatus.RESOLVED:
        return Q(resolved_at__isnull=False)
    if status == RequestStatus.ANSWERED:
        return Q(resolved_at__isnull=True, first_response_at__isnull=False)
    return request_awaiting_response_q()


def first_response_met_q() -> Q:
    return Q(first_response_at__isnull=False, first_response_at__lte=F("first_response_due_at"))


def first_response_breached_q(now: datetime) -> Q:
    """Answered after the due moment, or still unanswered with the due moment past."""
    return Q(first_response_at__isnull=False, first_response_at__gt=F("first_response_due_at")) | Q(
        first_response_at__isnull=True, first_response_due_at__lt=now
    )


def first_response_falls_due_q(start: datetime, end: datetime) -> Q:
    """Unanswered with its due moment in [start, end): pending at `start`, missed from its due
    moment on. What can change outcome during a business day with no row written
    (insights.sla, the summary rows)."""
    return Q(
        first_response_at__isnull=True,
        first_response_due_at__gte=start,
        first_response_due_at__lt=end,
    )


def resolution_met_q() -> Q:
    return Q(resolved_at__isnull=False, resolved_at__lte=F("resolution_due_at"))


def resolution_breached_q(now: datetime) -> Q:
    return Q(resolved_at__isnull=False, resolved_at__gt=F("resolution_due_at")) | Q(
        resolved_at__isnull=True, resolution_due_at__lt=now
    )


def resolution_falls_due_q(start: datetime, end: datetime) -> Q:
    return Q(resolved_at__isnull=True, resolution_due_at__gte=start, resolution_due_at__lt=end)


class SlaOutcome(models.TextChoices):
    """Where one SLA clock of a request stands for compliance: met (answered or resolved by
    the due moment), missed (late, or still open with the due moment past), pending (still
    open inside its target: not counted either way)."""

    MET = "met", _("Met")
    MISSED = "missed", _("Missed")
    PENDING = "pending", _("Pending")


def _outcome(met: Q, missed: Q) -> Case:
    return Case(
        When(met, then=Value(SlaOutcome.MET)),
        When(missed, then=Value(SlaOutcome.MISSED)),
        default=Value(SlaOutcome.PENDING),
        output_field=models.CharField(),
    )


def first_response_outcome_expr(now: datetime) -> Case:
    """ClientRequest.first_response_outcome(now) as an expression (met: first_response_met_q,
    missed: first_response_breached_q, else pending)."""
    return _outcome(first_response_met_q(), first_response_breached_q(now))


def resolution_outcome_expr(now: datetime) -> Case:
    """ClientRequest.resolution_outcome(now) as an expression."""
    return _outcome(resolution_met_q(), resolution_breached_q(now))


def request_window_start_on(day: date, days: int) -> datetime:
    """The first moment of the `days`-day compliance window at any moment of business day
    `day`: the start of the business day `days` days before. The window is those `days` whole
    business days and today up to the moment (as a CRM's "last N days" counts, from the start
    of a day): a figure moves during the day with today's requests and clocks only, never
    because a request received a month ago at this hour has dropped out, and the dashboard's
    stored part holds every earlier day of it (insights.sla)."""
    return business_day_start(day - timedelta(days=days))


def request_window_start(now: datetime, days: int) -> datetime:
    """request_window_start_on the business day of `now`."""
    return request_window_start_on(business_date(now), days)


def request_received_within_q(now: datetime, days: int) -> Q:
    """Received in the compliance window of `days` days at `now` (request_window_start)."""
    return Q(received_at__gte=request_window_start(now, days), received_at__lte=now)


def first_response_warning_q(now: datetime) -> Q:
    """Still unanswered and past 75 % of its first-response target (activities.sla)."""
    return request_awaiting_response_q() & Q(first_response_warning_at__lte=now)


def resolution_warning_q(now: datetime) -> Q:
    return request_open_q() & Q(resolution_warning_at__lte=now)


class ClientRequestQuerySet(models.QuerySet):
    def open(self) -> "ClientRequestQuerySet":
        """Not resolved yet (ClientRequest.is_open)."""
        return self.filter(request_open_q())

    def awaiting_response(self) -> "ClientRequestQuerySet":
        """Open and never answered (ClientRequest.is_awaiting_response)."""
        return self.filter(request_awaiting_response_q())

    def in_status(self, status: str) -> "ClientRequestQuerySet":
        """ClientRequest.status == `status`."""
        return self.filter(request_status_q(status))

    def first_response_met(self) -> "ClientRequestQuerySet":
        """Answered by the due moment (ClientRequest.first_response_met)."""
        return self.filter(first_response_met_q())

    def first_response_breached(self, now: datetime) -> "ClientRequestQuerySet":
        """ClientRequest.is_first_response_breached(now)."""
        return self.filter(first_response_breached_q(now))

    def resolution_met(self) -> "ClientRequestQuerySet":
        return self.filter(resolution_met_q())

    def resolution_breached(self, now: datetime) -> "ClientRequestQuerySet":
        """ClientRequest.is_resolution_breached(now)."""
        return self.filter(resolution_breached_q(now))

    def breached(self, now: datetime) -> "ClientRequestQuerySet":
        """Either clock breached (ClientRequest.is_breached)."""
        return self.filter(first_response_breached_q(now) | resolution_breached_q(now))

    def received_within(self, now: datetime, days: int) -> "ClientRequestQuerySet":
        """ClientRequest.received_within(now, days)."""
        return self.filter(request_received_within_q(now, days))

    def with_sla_outcomes(self, now: datetime) -> "ClientRequestQuerySet":
        """Annotates `first_response_outcome` and `resolution_outcome` (SlaOutcome values), as
        ClientRequest.first_response_outcome(now) / resolution_outcome(now) answer them."""
        return self.annotate(
            first_response_outcome=first_response_outcome_expr(now),
            resolution_outcome=resolution_outcome_expr(now),
        )

    def first_response_warning_due(self, now: datetime) -> "ClientRequestQuerySet":
        return self.filter(first_response_warning_q(now))

    def resolution_warning_due(self, now: datetime) -> "ClientRequestQuerySet":
        return self.filter(resolution_warning_q(now))


class ClientRequest(models.Model):
    """Something a client asked of us, with two SLA clocks in business hours: the first
    response and the resolution. The due moments (and the 75 % warning moments) are stored when
    the request is created and recomputed by activities.services when what they depend on
    changes (received_at, priority, the tier's policy, the account's tier)."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="client_requests", db_index=False
    )
    requester = models.ForeignKey(
        Stakeholder,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="client_requests",
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=RequestChannel.choices, default=RequestChannel.EMAIL
    )
    subject = models.CharField(_("subject"), max_length=300)
    details = models.TextField(_("details"), blank=True)
    priority = models.CharField(
        _("priority"),
        max_length=10,
        choices=RequestPriority.choices,
        default=RequestPriority.NORMAL,
    )
    received_at = models.DateTimeField(_("received at"), validators=[datetime_in_range])
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="client_requests",
    )
    first_response_at = models.DateTimeField(
        _("first response at"), null=True, blank=True, validators=[datetime_in_range]
    )
    first_response_interaction = models.ForeignKey(
        Interaction,
        verbose_name=_("answered in"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="answered_requests",
    )
    resolved_at = models.DateTimeField(
        _("resolved at"), null=True, blank=True, validators=[datetime_in_range]
    )
    # The logged interaction that resolved it (quick log "…and resolves it"), so undoing that
    # log reopens the request; cleared when the request is reopened.
    resolved_in_interaction = models.ForeignKey(
        Interaction,
        verbose_name=_("resolved in"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="resolved_requests",
    )
    first_response_due_at = models.DateTimeField(_("first response due"), editable=False)
    first_response_warning_at = models.DateTimeField(editable=False)
    resolution_due_at = models.DateTimeField(_("resolution due"), editable=False)
    resolution_warning_at = models.DateTimeField(editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    # Accounts, stakeholders, plans, interactions and requests are found by the global search
    # (kam/search.py, insights/search.py); recomputed by PostgreSQL when a text changes.
    search_vector = models.GeneratedField(
        expression=search_vector(("A", ("subject",)), ("D", ("details",))),
        output_field=SearchVectorField(),
        db_persist=True,
        editable=False,
    )

    objects = ClientRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("client request")
        verbose_name_plural = _("client requests")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=RequestChannel.values), name="client_request_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=RequestPriority.values),
                name="client_request_priority_valid",
            ),
            datetime_range_check("received_at", name="client_request_received_at_range"),
            datetime_range_check(
                "first_response_at", nullable=True, name="client_request_first_response_range"
            ),
            datetime_range_check(
                "resolved_at", nullable=True, name="client_request_resolved_at_range"
            ),
            models.CheckConstraint(
                condition=Q(first_response_at__isnull=True)
                | Q(first_response_at__gte=F("received_at")),
                name="client_request_response_not_before_received",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("received_at")),
                name="client_request_resolved_not_before_received",
            ),
            # A resolution answers the client: resolving an unanswered request stamps the
            # first response too (activities.services.request_resolve).
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(first_response_at__isnull=False),
                name="client_request_resolved_was_answered",
            ),
            # The due moments follow from received_at (activities.sla, always after it); the
            # warning comes before the breach.
            models.CheckConstraint(
                condition=Q(
                    first_response_warning_at__lte=F("first_response_due_at"),
                    resolution_warning_at__lte=F("resolution_due_at"),
                ),
                name="client_request_warning_before_due",
            ),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="client_request_search_idx"),
            # An account's requests newest first (its page), and the SLA counts of a chunk of
            # accounts (the nightly health's input, insights.sla) from the index alone: the
            # clocks included, 7.9 → 1.5 ms a chunk of 1,000 accounts at 100,000.
            models.Index(
                fields=["account", "-received_at"],
                include=[
                    "first_response_at",
                    "first_response_due_at",
                    "resolved_at",
                    "resolution_due_at",
                ],
                name="client_request_account_idx",
            ),
            # The dashboard's SLA figures read live only what its summary rows cannot hold, the
            # requests of today (insights.sla.sla_breakdown); the summary rows read the open
            # clocks falling due during the day when they are built
            # (insights.sla.sla_falling_due_group_rows).
            models.Index(fields=["received_at"], name="client_request_received_idx"),
            models.Index(
                fields=["first_response_due_at"],
                condition=Q(first_response_at__isnull=True),
                name="client_request_unanswered_idx",
            ),
            models.Index(
                fields=["resolution_due_at"],
                condition=Q(resolved_at__isnull=True),
                name="client_request_unresolved_due",
            ),
            # My work and the SLA check read the open requests by due moment.
            models.Index(
                fields=["owner", "first_response_due_at"],
                condition=Q(resolved_at__isnull=True),
                name="client_request_owner_open_idx",
            ),
            models.Index(
                fields=["first_response_warning_at"],
                condition=Q(resolved_at__isnull=True, first_response_at__isnull=True),
                name="client_request_awaiting_idx",
            ),
            models.Index(
                fields=["resolution_warning_at"],
                condition=Q(resolved_at__isnull=True),
                name="client_request_unresolved_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    # -- the SLA rules for one row (ClientRequestQuerySet has the same for many) -----------------
    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def is_awaiting_response(self) -> bool:
        return self.resolved_at is None and self.first_response_at is None

    @property
    def status(self) -> str:
        if self.resolved_at is not None:
            return RequestStatus.RESOLVED
        if self.first_response_at is not None:
            return RequestStatus.ANSWERED
        return RequestStatus.AWAITING

    def get_status_display(self) -> str:
        return RequestStatus(self.status).label

    @property
    def first_response_met(self) -> bool:
        """Answered by the due moment (False while unanswered)."""
        return self.first_response_at is not None and (
            self.first_response_at <= self.first_response_due_at
        )

    def is_first_response_breached(self, now: datetime) -> bool:
        if self.first_response_at is not None:
            return self.first_response_at > self.first_response_due_at
        return self.first_response_due_at < now

    @property
    def resolution_met(self) -> bool:
        return self.resolved_at is not None and self.resolved_at <= self.resolution_due_at

    def is_resolution_breached(self, now: datetime) -> bool:
        if self.resolved_at is not None:
            return self.resolved_at > self.resolution_due_at
        return self.resolution_due_at < now

    def is_breached(self, now: datetime) -> bool:
        return self.is_first_response_breached(now) or self.is_resolution_breached(now)

    def received_within(self, now: datetime, days: int) -> bool:
        """request_received_within_q for one row."""
        return request_window_start(now, days) <= self.received_at <= now

    def first_response_outcome(self, now: datetime) -> str:
        """SlaOutcome of the first-response clock at `now` (first_response_outcome_expr)."""
        if self.first_response_met:
            return SlaOutcome.MET
        if self.is_first_response_breached(now):
            return SlaOutcome.MISSED
        return SlaOutcome.PENDING

    def resolution_outcome(self, now: datetime) -> str:
        """SlaOutcome of the resolution clock at `now` (resolution_outcome_expr)."""
        if self.resolution_met:
            return SlaOutcome.MET
        if self.is_resolution_breached(now):
            return SlaOutcome.MISSED
        return SlaOutcome.PENDING

    def is_first_response_warning_due(self, now: datetime) -> bool:
        return self.is_awaiting_response and self.first_response_warning_at <= now

    def is_resolution_warning_due(self, now: datetime) -> bool:
        return self.is_open and self.resolution_warning_at <= now

    @property
    def current_due_at(self) -> datetime:
        """The clock that runs now: the first response while unanswered, else the
        resolution."""
        return (
            self.first_response_due_at
            if self.first_response_at is None
            else (self.resolution_due_at)
        )


class Notification(models.Model):
    """An in-app notice for one user. One per (user, account, kind, day): reruns of a nightly
    job never notify twice. And one open notice (unread, unresolved) per (user, account, kind,
    ref): a new event about the same subject refreshes the open notice
    (activities.services.notifications_send) instead of piling up beside it. A notice whose
    condition no longer holds (the account recovered) is resolved, not left claiming it."""

    class Kind(models.TextChoices):
        HEALTH_BAND_DROP = "health_band_drop", _("Health dropped a band")
        HEALTH_RECOVERED = "health_recovered", _("Health recovered")
        QBR_DUE = "qbr_due", _("QBR due soon")
        QBR_OVERDUE = "qbr_overdue", _("QBR overdue")
        COMMITMENTS_DIGEST = "commitments_digest", _("Commitments due")
        ITEM_ESCALATED = "item_escalated", _("Agreed item overdue past its grace")
        CLIENT_ITEM_CHASE = "client_item_chase", _("Client's agreed item to chase")
        SLA_WARNING = "sla_warning", _("Request close to its SLA")
        SLA_BREACH = "sla_breach", _("Request SLA breached")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # Tells apart notices of one kind about different rows of one account on one day (two
    # requests breaching the same day); empty for the per-account notices.
    ref = models.CharField(max_length=60, blank=True, default="")
    params = models.JSONField(default=dict)
    day = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # When what the notice said stopped being true (a health drop the account has recovered
    # from); `params` then carries the score and band it has now.
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "account", "kind", "day", "ref"],
                name="notification_once_per_day",
            ),
            models.UniqueConstraint(
                fields=["user", "account", "kind", "ref"],
                condition=Q(read_at__isnull=True, resolved_at__isnull=True),
                name="notification_one_open_per_subject",
            ),
        ]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.day}"


class ReminderKind(models.TextChoices):
    """What the nightly reminder job sends; each kind can be switched off per user."""

    QBR_DUE = "qbr_due", _("QBR due soon (to the account owner)")
    QBR_OVERDUE = "qbr_overdue", _("QBR overdue (to leaders)")
    COMMITMENTS_DIGEST = "commitments_digest", _("Daily digest of commitments due")
    ITEM_ESCALATED = "item_escalated", _("Agreed item overdue past its tier's grace (to leaders)")
    CLIENT_ITEM_CHASE = "client_item_chase", _("Client's agreed item due: chase it (to the owner)")
    SLA_WARNING = "sla_warning", _("Client request close to its SLA (to the owner)")
    SLA_BREACH = "sla_breach", _("Client request SLA breached (to the owner and the leader)")


class Reminder(models.Model):
    """One reminder to one person, keyed by (kind, object, due date, recipient).

    The job inserts candidate rows with ON CONFLICT DO NOTHING, then claims each with
    `UPDATE … SET sent_at = now WHERE sent_at IS NULL` and sends only when it changed one row:
    however often the job runs, and on however many workers at once, a reminder goes out once.
    """

    kind = models.CharField(max_length=30, choices=ReminderKind.choices)
    # What the reminder is about, e.g. "account:12" or "user:5" (the digest is about a day's
    # list of one person's commitments).
    ref = models.CharField(max_length=60)
    due_on = models.DateField()
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    params = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "ref", "due_on", "recipient"], name="reminder_once"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ReminderKind.values), name="reminder_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["sent_at"], name="reminder_unsent")]

    def __str__(self) -> str:
        return f"{self.kind} {self.ref} {self.due_on} → {self.recipient_id}"


class NotificationPreference(models.Model):
    """A user's on/off switch per kind of reminder (no row: everything on)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    qbr_due = models.BooleanField(_("QBR due soon"), default=True)
    qbr_overdue = models.BooleanField(_("QBR overdue (leaders)"), default=True)
    commitments_digest = models.BooleanField(_("Daily digest of commitments due"), default=True)
    item_escalated = models.BooleanField(
        _("Agreed items overdue past their grace (leaders)"), default=True
    )
    client_item_chase = models.BooleanField(_("Client's agreed items to chase"), default=True)
    sla_warning = models.BooleanField(_("Client request close to its SLA"), default=True)
    sla_breach = models.BooleanField(_("Client request SLA breached"), default=True)
    email = models.BooleanField(
        _("Also send by email"),
        default=True,
        help_text=_("Off: reminders only appear under Notifications."),
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)

    def wants(self, kind: str) -> bool:
        return bool(getattr(self, kind, True))


def new_calendar_token() -> str:
    return secrets.token_urlsafe(32)  # 43 characters, 256 bits


class CalendarToken(models.Model):
    """The secret in a user's calendar feed URL. One live token per user; revoking keeps the
    row (revoked_at) so an old URL stays dead."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_tokens"
    )
    token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar token")
        verbose_name_plural = _("calendar tokens")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(revoked_at__isnull=True),
                name="calendar_token_one_live_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {'revoked' if self.revoked_at else 'live'}"


# ---------------------------------------------------------------------------------------------
# Playbooks: a signal on an account (a trigger) creates agreed items (the steps), once per
# episode. The conditions are evaluated by insights.playbooks (docs/playbooks.md).


class PlaybookTrigger(models.TextChoices):
    HEALTH_BAND = "health_band", _("Health band drops to")
    KEY_CONTACT_LEFT = "key_contact_left", _("Champion or primary contact leaves")
    RENEWAL_WITHIN = "renewal_within", _("Renewal within N days")
    QBR_OVERDUE = "qbr_overdue", _("QBR overdue")
    TOUCH_OVERDUE = "touch_overdue", _("No touch beyond the cadence by N days")
    NPS_DETRACTOR = "nps_detractor", _("NPS detractor answer")
    ACCOUNT_ASSIGNED = "account_assigned", _("New account assigned")
    SLA_BREACHED = "sla_breached", _("A client request breaches its SLA")


# Triggers that read the `days` parameter, and its value when none is set.
TRIGGERS_WITH_DAYS = {
    PlaybookTrigger.RENEWAL_WITHIN: 120,
    PlaybookTrigger.TOUCH_OVERDUE: 0,
    PlaybookTrigger.ACCOUNT_ASSIGNED: 7,
}
# The bands a "drops to" trigger can name (unknown is no band to drop to).
TRIGGER_BANDS = [(b.value, b.label) for b in HealthBand if b != HealthBand.UNKNOWN]
MAX_OFFSET_DAYS = 3650

# The shipped playbooks and their steps: stored in English, shown in the reader's language
# until an admin renames them (as accounts.models.DEFAULT_TIER_NAMES).
DEFAULT_PLAYBOOK_NAMES = {
    "at_risk_recovery": ("At-risk recovery", _("At-risk recovery")),
    "champion_departure": ("Champion departure", _("Champion departure")),
    "renewal_preparation": ("Renewal preparation", _("Renewal preparation")),
}
DEFAULT_PLAYBOOK_DESCRIPTIONS = {
    "At-risk recovery: the account's health fell to at risk.": _(
        "At-risk recovery: the account's health fell to at risk."
    ),
    "A champion or the primary contact left the client.": _(
        "A champion or the primary contact left the client."
    ),
    "The renewal is 120 days away or less.": _("The renewal is 120 days away or less."),
}
DEFAULT_STEP_TITLES = {
    "Call the sponsor to understand the drop": _("Call the sponsor to understand the drop"),
    "Agree a recovery plan with the leader": _("Agree a recovery plan with the leader"),
    "Review the account plan's risks": _("Review the account plan's risks"),
    "Identify and meet the new contact": _("Identify and meet the new contact"),
    "Update the stakeholder map": _("Update the stakeholder map"),
    "Leader call with the executive sponsor": _("Leader call with the executive sponsor"),
    "Prepare the renewal proposal": _("Prepare the renewal proposal"),
    "Review value delivered for the renewal": _("Review value delivered for the renewal"),
    "Leader approval of renewal terms": _("Leader approval of renewal terms"),
}


class Playbook(models.Model):
    """What to do when a signal shows on an account: a trigger (with its parameter), an
    optional tier filter (none: every tier) and ordered steps that become agreed items."""

    key = models.SlugField(
        _("key"), max_length=40, blank=True, help_text=_("Set on the shipped playbooks.")
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    trigger = models.CharField(_("trigger"), max_length=20, choices=PlaybookTrigger.choices)
    band = models.CharField(
        _("band"),
        max_length=10,
        blank=True,
        choices=TRIGGER_BANDS,
        help_text=_("For a health trigger: fires when the band drops to this one or below."),
    )
    days = models.PositiveSmallIntegerField(
        _("days (N)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_OFFSET_DAYS)],
        help_text=_(
            "Renewal within N days; N days beyond the touch cadence; assigned in the last N days."
        ),
    )
    tiers = models.ManyToManyField(
        Tier,
        verbose_name=_("tiers"),
        blank=True,
        related_name="+",
        help_text=_("None selected: accounts of every tier (and untiered ones)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(trigger__in=PlaybookTrigger.values), name="playbook_trigger_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(trigger=PlaybookTrigger.HEALTH_BAND)
                    & Q(band__in=[b for b, _l in TRIGGER_BANDS])
                )
                | (~Q(trigger=PlaybookTrigger.HEALTH_BAND) & Q(band="")),
                name="playbook_band_iff_health_trigger",
            ),
            models.CheckConstraint(
                condition=Q(days__isnull=True) | Q(days__lte=MAX_OFFSET_DAYS),
                name="playbook_days_in_range",
            ),
            models.UniqueConstraint(
                fields=["key"], condition=~Q(key=""), name="playbook_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        english, translated = DEFAULT_PLAYBOOK_NAMES.get(self.key, (None, None))
        return str(translated) if self.name == english else self.name

    @property
    def display_description(self) -> str:
        translated = DEFAULT_PLAYBOOK_DESCRIPTIONS.get(self.description)
        return str(translated) if translated is not None else self.description

    def clean(self) -> None:
        """A health trigger names its band; other triggers carry no band, and only the
        triggers that read N keep one (the database holds the band rule as a constraint)."""
        super().clean()
        if self.trigger == PlaybookTrigger.HEALTH_BAND:
            if not self.band:
                raise ValidationError({"band": _("Choose the band that starts this playbook.")})
        else:
            self.band = ""
        if self.trigger not in TRIGGERS_WITH_DAYS:
            self.days = None

    @property
    def days_or_default(self) -> int:
        if self.days is not None:
            return self.days
        return TRIGGERS_WITH_DAYS.get(self.trigger, 0)

    def trigger_text(self) -> str:
        """The trigger with its parameter, as a person reads it."""
        label = str(self.get_trigger_display())
        if self.trigger == PlaybookTrigger.HEALTH_BAND:
            return f"{label}: {self.get_band_display()}"
        if self.trigger in TRIGGERS_WITH_DAYS:
            return f"{label} (N = {self.days_or_default})"
        return label


class StepOwner(models.TextChoices):
    ACCOUNT_OWNER = "account_owner", _("Account owner")
    LEADER = "leader", _("Leader (the owner's manager, else a leader)")
    NAMED_USER = "named_user", _("A named user")


class PlaybookStep(models.Model):
    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("what"), max_length=300)
    owner_role = models.CharField(
        _("owner"), max_length=15, choices=StepOwner.choices, default=StepOwner.ACCOUNT_OWNER
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("named user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_offset_days = models.PositiveSmallIntegerField(
        _("due after (days)"), default=0, validators=[MaxValueValidator(MAX_OFFSET_DAYS)]
    )

    class Meta:
        verbose_name = _("playbook step")
        verbose_name_plural = _("playbook steps")
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_role__in=StepOwner.values), name="playbook_step_owner_valid"
            ),
            models.CheckConstraint(
                condition=(Q(owner_role=StepOwner.NAMED_USER) & Q(user__isnull=False))
                | (~Q(owner_role=StepOwner.NAMED_USER) & Q(user__isnull=True)),
                name="playbook_step_user_iff_named",
            ),
            models.CheckConstraint(
                condition=Q(due_offset_days__gte=0, due_offset_days__lte=MAX_OFFSET_DAYS),
                name="playbook_step_offset_range",
            ),
        ]

    def __str__(self) -> str:
        return self.display_title

    def clean(self) -> None:
        super().clean()
        if self.owner_role == StepOwner.NAMED_USER:
            if self.user_id is None and getattr(self, "user", None) is None:
                raise ValidationError({"user": _("Choose the user who owns this step.")})
        else:
            self.user = None

    @property
    def display_title(self) -> str:
        """A shipped step's English title in the reader's language until it is edited."""
        translated = DEFAULT_STEP_TITLES.get(self.title)
        return str(translated) if translated is not None else self.title


class PlaybookFiring(models.Model):
    """One episode of a playbook on an account: opened when the trigger's condition starts to
    hold (its steps become agreed items), cleared when it stops. At most one open firing per
    (playbook, account), held by the database, so reruns and concurrent workers fire once."""

    playbook = models.ForeignKey(
        Playbook, on_delete=models.CASCADE, related_name="firings", db_index=False
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="playbook_firings")
    # What makes this episode distinct within the trigger (e.g. "owner:12" for a new
    # assignment: another owner is another episode).
    episode_key = models.CharField(max_length=100, blank=True)
    playbook_version = models.PositiveIntegerField(default=1)
    fired_at = models.DateTimeField(default=timezone.now)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("playbook firing")
        verbose_name_plural = _("playbook firings")
        ordering = ["-fired_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["playbook", "account"],
                condition=Q(cleared_at__isnull=True),
                name="playbook_firing_one_open",
            ),
        ]
        indexes = [
            models.Index(fields=["playbook", "-fired_at"], name="playbook_firing_recent_idx")
        ]

    def __str__(self) -> str:
        return f"{self.playbook_id} {self.account_id} {self.fired_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


class MeetingStatus(models.TextChoices):
    # "meeting" context: the Portuguese agrees with "reunião" (feminine).
    SCHEDULED = "scheduled", pgettext_lazy("meeting", "Scheduled")
    CANCELLED = "cancelled", pgettext_lazy("meeting", "Cancelled")
    LOGGED = "logged", pgettext_lazy("meeting", "Logged")


class PlannedMeetingQuerySet(models.QuerySet):
    def to_log(self, now: datetime) -> "PlannedMeetingQuerySet":
        """Meetings whose end has passed, still scheduled, prompt not dismissed: the rule of
        PlannedMeeting.is_to_log for lists (My work)."""
        return self.filter(
            status=MeetingStatus.SCHEDULED, ends_at__lte=now, prompt_dismissed_at__isnull=True
        )

    def upcoming(self, now: datetime) -> "PlannedMeetingQuerySet":
        """Scheduled meetings not over yet (the account page's list)."""
        return self.filter(status=MeetingStatus.SCHEDULED, ends_at__gt=now)


class PlannedMeeting(models.Model):
    """A meeting on the calendar of one of our people (from a calendar invite): scheduled,
    moved by updates, cancelled, or — once over — logged as an interaction. Its owner gets one
    prompt on My work after it ends, until logged or dismissed. `uid` is the invite's UID,
    unique per owner (each of us receives our own copy)."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="planned_meetings", db_index=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="planned_meetings",
        db_index=False,
    )
    uid = models.CharField(max_length=1000)
    sequence = models.PositiveIntegerField(default=0)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    location = models.CharField(_("location"), max_length=300, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    recurring = models.BooleanField(_("recurring"), default=False)
    organizer_email = models.CharField(_("organizer"), max_length=320, blank=True)
    attendees = models.ManyToManyField(
        Stakeholder, verbose_name=_("attendees"), blank=True, related_name="planned_meetings"
    )
    # The invite's other addresses (ours, or people not yet stakeholders), lower-cased.
    attendee_emails = models.JSONField(default=list, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=MeetingStatus.choices,
        default=MeetingStatus.SCHEDULED,
    )
    logged_interaction = models.ForeignKey(
        Interaction,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="planned_meetings",
    )
    prompt_dismissed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PlannedMeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("planned meeting")
        verbose_name_plural = _("planned meetings")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "uid"], name="planned_meeting_owner_uid"),
            models.CheckConstraint(
                condition=Q(ends_at__gte=F("starts_at")), name="planned_meeting_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(status__in=MeetingStatus.values), name="planned_meeting_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status", "ends_at"], name="planned_meeting_owner_idx"),
            models.Index(
                fields=["account", "status", "ends_at"], name="planned_meeting_account_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d %H:%M})"

    def is_to_log(self, now: datetime) -> bool:
        """Over, still scheduled, and its prompt not dismissed (PlannedMeetingQuerySet.to_log)."""
        return (
            self.status == MeetingStatus.SCHEDULED
            and self.ends_at <= now
            and self.prompt_dismissed_at is None
        )
