"""Capture: email that lands on the timeline by itself (issue 17, docs/capture.md)."""

import base64
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from activities.models import ClientRequest, Interaction


def new_logging_token() -> str:
    # Base32 in lower case: safe in an email's local part whatever a mail server does to case.
    return base64.b32encode(secrets.token_bytes(15)).decode().lower()  # 24 characters, 120 bits


class LoggingAddress(models.Model):
    """The secret in a user's personal logging address (log+<token>@<CAPTURE_INBOUND_DOMAIN>).
    One live address per user; revoking keeps the row so mail to an old address is dropped
    with a reason in its owner's capture log."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="logging_addresses"
    )
    token = models.CharField(max_length=64, unique=True, default=new_logging_token)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("logging address")
        verbose_name_plural = _("logging addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(revoked_at__isnull=True),
                name="capture_logging_address_one_live_per_user",
            ),
            models.CheckConstraint(
                condition=Q(token=Lower("token")), name="capture_logging_token_lower"
            ),
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def address(self) -> str:
        return f"log+{self.token}@{settings.CAPTURE_INBOUND_DOMAIN}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None


class SenderAlias(models.Model):
    """Another address a user sends from. Mail from it is taken only once an admin has
    verified it in the Django admin (there is no verification-by-email flow)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sender_aliases",
        db_index=False,
    )
    email = models.EmailField(_("email"))
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("sender alias")
        verbose_name_plural = _("sender aliases")
        constraints = [
            models.UniqueConstraint(fields=["user", "email"], name="capture_alias_unique"),
            models.CheckConstraint(
                condition=Q(email=Lower("email")), name="capture_alias_email_lower"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class AccountEmailDomain(models.Model):
    """A mail domain of the client (acme.com.br): mail from or to it that names no known
    stakeholder goes to this account. A domain belongs to one account at most."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="email_domains")
    domain = models.CharField(_("domain"), max_length=253, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("account email domain")
        verbose_name_plural = _("account email domains")
        ordering = ["domain"]
        constraints = [
            models.CheckConstraint(
                condition=Q(domain=Lower("domain")) & ~Q(domain=""),
                name="capture_domain_lower",
            ),
        ]

    def __str__(self) -> str:
        return self.domain


class CaptureRule(models.Model):
    """Open a client request for every inbound client email on the account (sender_email
    empty), or only for mail from one sender."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="capture_rules", db_index=False
    )
    sender_email = models.EmailField(_("sender email"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("request rule")
        verbose_name_plural = _("request rules")
        constraints = [
            models.UniqueConstraint(fields=["account", "sender_email"], name="capture_rule_unique"),
            models.CheckConstraint(
                condition=Q(sender_email=Lower("sender_email")), name="capture_rule_email_lower"
            ),
        ]

    def __str__(self) -> str:
        return self.sender_email or str(self.account_id)


class MessageStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    LOGGED = "logged", _("Logged")
    TRIAGE = "triage", _("Needs an account")
    DROPPED = "dropped", _("Dropped")
    REFUSED = "refused", _("Refused")
    FAILED = "failed", _("Failed")


class MessageVia(models.TextChoices):
    SMTP = "smtp", _("SMTP")
    WEBHOOK = "webhook", _("Webhook")
    UPLOAD = "upload", _("Upload")


class Direction(models.TextChoices):
    IN = "in", _("Inbound")
    OUT = "out", _("Outbound")


class InboundMessage(models.Model):
    """One message as received (the raw bytes, stored before anything else) and what became
    of it: the row of the user's capture log."""

    raw = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(default=0)
    via = models.CharField(max_length=10, choices=MessageVia.choices)
    envelope_from = models.CharField(max_length=320, blank=True)
    envelope_to = models.JSONField(default=list, blank=True)
    # The token of the logging address it came through ("" when the envelope named none).
    token = models.CharField(max_length=64, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="inbound_messages",
        db_index=False,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.RECEIVED
    )
    reason = models.TextField(_("reason"), blank=True)
    warnings = models.JSONField(default=list, blank=True)
    message_id = models.CharField(max_length=998, blank=True)
    in_reply_to = models.CharField(max_length=998, blank=True)
    thread_key = models.CharField(max_length=998, blank=True)
    subject = models.TextField(_("subject"), blank=True)
    from_name = models.CharField(max_length=300, blank=True)
    from_email = models.CharField(_("from"), max_length=320, blank=True)
    to = models.JSONField(default=list, blank=True)
    cc = models.JSONField(default=list, blank=True)
    forwarded = models.BooleanField(default=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    text = models.TextField(blank=True)
    summary_text = models.TextField(blank=True)
    # The text/calendar parts of a message waiting in triage (applied once an account is
    # chosen, then cleared): what "Log here" turns into planned meetings.
    calendars = models.JSONField(default=list, blank=True)
    direction = models.CharField(max_length=3, choices=Direction.choices, blank=True)
    account = models.ForeignKey(
        Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    interaction = models.ForeignKey(
        Interaction, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The request this inbound message opened (by a rule or the one-click button).
    client_request = models.ForeignKey(
        ClientRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        indexes = [
            models.Index(fields=["user", "-received_at"], name="capture_inbound_user_recent"),
            models.Index(fields=["user", "thread_key"], name="capture_inbound_user_thread"),
            # The messages waiting to be processed (capture.services.messages_waiting).
            models.Index(
                fields=["id"],
                condition=Q(status="received"),
                name="capture_inbound_waiting",
            ),
        ]
        constraints = [
            # The same bytes delivered twice for one user (a retry) are one row…
            models.UniqueConstraint(
                fields=["user", "sha256"],
                condition=Q(user__isnull=False),
                name="capture_inbound_one_raw_per_user",
            ),
            # …and so is the same message arriving twice (BCC, then a forward of that BCC).
            models.UniqueConstraint(
                fields=["user", "message_id"],
                condition=Q(user__isnull=False) & ~Q(message_id=""),
                name="capture_inbound_one_message_id_per_user",
            ),
            models.CheckConstraint(
                condition=Q(status__in=MessageStatus.values), name="capture_inbound_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(via__in=MessageVia.values), name="capture_inbound_via_valid"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=[*Direction.values, ""]),
                name="capture_inbound_direction_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status=MessageStatus.LOGGED) | Q(account__isnull=False),
                name="capture_inbound_logged_has_account",
            ),
        ]

    def __str__(self) -> str:
        return self.subject or self.sha256[:12]

    @property
    def is_triage(self) -> bool:
        return self.status == MessageStatus.TRIAGE


class MessageAttachment(models.Model):
    message = models.ForeignKey(
        InboundMessage, on_delete=models.CASCADE, related_name="attachments"
    )
    filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    content = models.BinaryField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename or self.content_type
