from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Milestone, Stakeholder


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
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(_("type"), max_length=10, choices=InteractionKind.choices)
    occurred_at = models.DateTimeField(_("date"))
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
        ]
        indexes = [models.Index(fields=["account", "-occurred_at"])]

    def __str__(self) -> str:
        return self.summary


class CommitmentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Commitment(models.Model):
    """What was agreed, owned either by one of our users or by a client stakeholder."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="commitments")
    title = models.CharField(_("what"), max_length=300)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner (our side)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="commitments",
    )
    owner_stakeholder = models.ForeignKey(
        Stakeholder,
        verbose_name=_("owner (client side)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="commitments",
    )
    due_date = models.DateField(_("due date"))
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
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

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
        ]
        indexes = [
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["owner_user", "status", "due_date"]),
            models.Index(fields=["account", "status", "due_date"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def owner(self):
        return self.owner_user or self.owner_stakeholder

    @property
    def is_ours(self) -> bool:
        return self.owner_user_id is not None

    def is_overdue(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.status == CommitmentStatus.OPEN and self.due_date < today


class TimelineKind(models.TextChoices):
    INTERACTION = "interaction", _("Interaction")
    COMMITMENT_CREATED = "commitment_created", _("Commitment made")
    COMMITMENT_DONE = "commitment_done", _("Commitment completed")
    STAKEHOLDER_JOINED = "stakeholder_joined", _("Stakeholder joined")
    STAKEHOLDER_LEFT = "stakeholder_left", _("Stakeholder left")
    MILESTONE = "milestone", _("Milestone")


# What the timeline filter offers; each option covers one or more kinds.
TIMELINE_FILTERS = {
    "interactions": (TimelineKind.INTERACTION,),
    "commitments": (TimelineKind.COMMITMENT_CREATED, TimelineKind.COMMITMENT_DONE),
    "stakeholders": (TimelineKind.STAKEHOLDER_JOINED, TimelineKind.STAKEHOLDER_LEFT),
    "milestones": (TimelineKind.MILESTONE,),
}


class TimelineEntry(models.Model):
    """One line of an account's timeline, written by the service that made the change.

    A single indexed table (instead of a UNION over every source) keeps the timeline one query
    per page whatever the history size; the text is rendered from `kind` and the linked row so
    it follows the reader's language."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=30, choices=TimelineKind.choices)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    commitment = models.ForeignKey(
        Commitment, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    stakeholder = models.ForeignKey(
        Stakeholder, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=TimelineKind.values), name="timeline_kind_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-occurred_at", "-id"]),
            models.Index(fields=["account", "kind", "-occurred_at", "-id"]),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.occurred_at:%Y-%m-%d}"


class Notification(models.Model):
    """An in-app notice for one user. One per (user, account, kind, day): reruns of a nightly
    job never notify twice."""

    class Kind(models.TextChoices):
        HEALTH_BAND_DROP = "health_band_drop", _("Health dropped a band")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    params = models.JSONField(default=dict)
    day = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "account", "kind", "day"], name="notification_once_per_day"
            ),
        ]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.day}"
