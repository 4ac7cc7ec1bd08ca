from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.signals import password_changed


class Role(models.TextChoices):
    KAM = "kam", _("Key account manager")
    LEADER = "leader", _("Sales leader")
    ADMIN = "admin", _("Admin")


def default_language() -> str:
    return settings.LANGUAGE_CODE


def default_time_zone() -> str:
    return settings.TIME_ZONE


def user_choices(users, limit: int | None = None) -> list[tuple[int, str]]:
    """(pk, name) of `users` in the users' order (the first `limit` of them), the name as
    User.__str__ gives it: the options of a select of people, read as three columns instead
    of a model row per person."""
    rows = users.order_by(*User._meta.ordering).values_list("pk", "full_name", "email")
    return [(pk, full_name or email) for pk, full_name, email in rows[:limit]]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("The email must be set")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("role", Role.KAM)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra["role"] = Role.ADMIN
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with their email. `role` decides what they may do;
    Django admin access follows from the admin role and nothing else."""

    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.KAM)
    language = models.CharField(
        _("preferred language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=default_language,
    )
    # Validated against zoneinfo in forms; no `choices` so tzdata updates need no migration.
    time_zone = models.CharField(_("time zone"), max_length=64, default=default_time_zone)
    # Sales organisation, as imported from a sales-team file (dataio): who leads this person,
    # and their regional office.
    manager = models.ForeignKey(
        "self",
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    region = models.CharField(_("regional office"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("Django admin access"), default=False, editable=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["full_name", "email"]
        # The people pickers' search (kam.people) reads the people in this order and stops at
        # the first SEARCH_LIMIT of the scope: without it, every user of the scope was read and
        # sorted (the leader's owner filter at 100,000 accounts: 1,403 owners, 3.3 ms, against
        # 0.3 with it; bench/README.md).
        indexes = [models.Index(fields=["full_name", "email"], name="user_name_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="user_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(is_staff=False) | models.Q(role="admin"),
                name="user_only_admins_are_staff",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    # set_unusable_password() was called since the last save (see save()).
    _password_disabled = False

    def set_unusable_password(self):
        super().set_unusable_password()
        self._password_disabled = True

    def save(self, *args, **kwargs):
        self.email = self.email.lower()
        # Django admin access is a consequence of the role, never set by hand.
        self.is_staff = self.is_superuser = self.role == Role.ADMIN
        # Every way of setting a password ends in set_password() (the reset and change forms,
        # the admin, `changepassword`), which keeps the new one in _password until the save;
        # a hash upgrade at login clears it again (AbstractBaseUser.check_password), so it is
        # not a change. A new user has nothing to revoke yet.
        update_fields = kwargs.get("update_fields")
        password_changed_now = (
            (self._password is not None or self._password_disabled)
            and not self._state.adding
            and (update_fields is None or "password" in update_fields)
        )
        if not password_changed_now:
            super().save(*args, **kwargs)
            return
        with transaction.atomic():
            super().save(*args, **kwargs)
            self._password_disabled = False
            password_changed.send(sender=type(self), user=self)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_leader(self) -> bool:
        return self.role == Role.LEADER

    @property
    def sees_all_accounts(self) -> bool:
        return self.role in (Role.LEADER, Role.ADMIN)


class AuditEvent(models.Model):
    """Who changed what, when: one row per change to an account, stakeholder, plan, tier or the
    scoring configuration, written by the service in the same transaction as the change.
    Rows outlive what they describe (no foreign keys to it), so deleting an account or a plan
    row keeps its history."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        DELETED = "deleted", _("Deleted")
        STATUS = "status", _("Status changed")
        TIER = "tier", _("Tier changed")
        EXPORTED = "exported", _("Personal data exported")
        ERASED = "erased", _("Personal data erased")

    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The email at the time, kept if the user is deleted; empty for the nightly jobs.
    actor_email = models.CharField(max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    object_type = models.CharField(_("what"), max_length=40)
    object_id = models.BigIntegerField(null=True, blank=True)
    object_label = models.CharField(max_length=300, blank=True)
    account_id = models.BigIntegerField(_("account"), null=True, blank=True)
    # {field: [before, after]} as text, the way a person reads it.
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["-at", "-id"], name="audit_at"),
            models.Index(fields=["account_id", "-at"], name="audit_account_at"),
            models.Index(fields=["object_type", "-at"], name="audit_type_at"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.actor_email or '-'} {self.object_type} {self.action}"
        )


class RetentionKind(models.TextChoices):
    """What a retention policy can limit. Each kind is applied by a function registered with
    kam.retention.register_retention by the app that owns the data; a kind is listed here only
    when its data exists and its function is registered (docs/privacy.md: how the capture app
    adds the email kinds)."""

    DEPARTED_CONTACT_DETAILS = (
        "departed_contact_details",
        _("Email and phone of contacts who left their company"),
    )
    AUDIT_TRAIL = "audit_trail", _("Audit trail entries")
    RAW_EMAIL_MESSAGES = "raw_email_messages", _("Raw email messages")
    EMAIL_BODIES = "email_bodies", _("Full email bodies")
    EMAIL_ATTACHMENTS = "email_attachments", _("Email attachments")


class RetentionPolicy(models.Model):
    """How long one kind of data is kept, in months (empty: kept forever). One row per kind,
    edited by admins at /configuration/retention/ and applied nightly by
    kam.retention.retention_apply."""

    kind = models.CharField(_("kind"), max_length=40, choices=RetentionKind.choices, unique=True)
    months = models.PositiveSmallIntegerField(
        _("keep for (months)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(1200)],
        help_text=_("Empty keeps it forever."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The last nightly run that looked at this kind, and how many rows it changed then.
    last_applied_at = models.DateTimeField(_("last applied"), null=True, blank=True)
    last_applied_rows = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(
                condition=Q(months__isnull=True) | Q(months__gte=1, months__lte=1200),
                name="retention_months_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.months or '∞'}"


class OutboxTask(models.Model):
    """A Celery task to send once the transaction that asked for it commits (kam.outbox).
    Sent right after the commit when the broker answers; kept and retried by the drain (every
    minute from beat, or `manage.py drain_outbox`) when it does not, so a Redis outage delays
    background work but never fails a request or loses the work."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["id"], condition=models.Q(sent_at__isnull=True), name="outbox_pending"
            ),
            models.Index(fields=["sent_at"], name="outbox_sent_at"),
        ]

    def __str__(self) -> str:
        return f"{self.task} {'sent' if self.sent_at else 'pending'}"
