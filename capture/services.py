"""The capture pipeline: store the raw message, then (in a Celery task) parse, authenticate,
match and log it through the same services as a typed interaction (docs/capture.md)."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Account, Stakeholder
from accounts.selectors import Access, account_permits, accounts_for_user
from accounts.services import stakeholder_create
from activities.invites import InviteRefused, invites_parse
from activities.models import (
    ClientRequest,
    InteractionKind,
    MeetingStatus,
    PlannedMeeting,
    RequestChannel,
)
from activities.services import interaction_log, meeting_invites_apply_text, request_create
from capture.models import (
    AccountEmailDomain,
    CaptureRule,
    Direction,
    InboundMessage,
    LoggingAddress,
    MessageAttachment,
    MessageStatus,
    SenderAlias,
)
from capture.parsing import MessageRefused, ParsedMessage, parse_message, thread_key
from kam.outbox import outbox_enqueue
from kam.retention import RetentionCutoff

logger = logging.getLogger(__name__)

SUMMARY_MAX = 300  # Interaction.summary and ClientRequest.subject
# Shared mail providers: a domain of theirs says nothing about the client.
PUBLIC_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com",
    "yahoo.com.br", "icloud.com", "me.com", "uol.com.br", "bol.com.br", "terra.com.br",
    "ig.com.br", "proton.me", "protonmail.com", "aol.com", "msn.com",
})  # fmt: skip


# --- Logging addresses -------------------------------------------------------------------------


@transaction.atomic
def logging_address_regenerate(*, user) -> LoggingAddress:
    """Revoke the live address (mail to it is dropped from now on) and issue a new one."""
    logging_address_revoke(user=user)
    return LoggingAddress.objects.create(user=user)


@transaction.atomic
def logging_address_revoke(*, user) -> int:
    return LoggingAddress.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def _token_pattern() -> re.Pattern:
    domain = re.escape(settings.CAPTURE_INBOUND_DOMAIN)
    return re.compile(rf"^log\+([a-z0-9]+)@{domain}$", re.IGNORECASE)


def logging_token(address: str) -> str:
    """The token of a logging address (log+<token>@<CAPTURE_INBOUND_DOMAIN>), or ""."""
    found = _token_pattern().match((address or "").strip().strip("<>"))
    return found.group(1).lower() if found else ""


# --- Receiving ---------------------------------------------------------------------------------


@transaction.atomic
def message_receive(
    *,
    raw: bytes,
    via: str,
    envelope_from: str = "",
    envelope_to: Sequence[str] = (),
    user=None,
    account: Account | None = None,
) -> InboundMessage:
    """Store the raw bytes first (the same bytes for the same user once), then queue
    capture.tasks.message_process through the outbox. Never parses here: a broken message
    must not cost the sender an answer, and a Redis outage loses nothing."""
    digest = hashlib.sha256(raw).hexdigest()
    token = next((t for t in map(logging_token, envelope_to) if t), "")
    if user is None and token:
        owner = LoggingAddress.objects.filter(token=token).values_list("user_id", flat=True)
        user_id = owner.first()
    else:
        user_id = user.pk if user is not None else None
    if user_id is not None:
        existing = InboundMessage.objects.filter(user_id=user_id, sha256=digest).first()
        if existing is not None:
            return existing
    # Every way in (SMTP, webhooks, upload) meets the cap here, before anything parses: an
    # oversized message is recorded (size, reason) in its owner's log without its bytes.
    too_big = len(raw) > settings.CAPTURE_MAX_MESSAGE_BYTES
    try:
        with transaction.atomic():
            message = InboundMessage.objects.create(
                raw=b"" if too_big else raw,
                sha256=digest,
                size=len(raw),
                via=via,
                envelope_from=envelope_from[:320],
                envelope_to=list(envelope_to),
                token=token,
                user_id=user_id,
                account=account,
            )
    except IntegrityError:  # the same bytes, delivered twice at the same moment
        return InboundMessage.objects.get(user_id=user_id, sha256=digest)
    if too_big:
        with translation.override(_language(message.user if user_id else None)):
            return _finish(message, MessageStatus.REFUSED, _too_big_reason(len(raw)))
    outbox_enqueue("capture.tasks.message_process", [message.pk])
    return message


def _too_big_reason(size: int) -> str:
    return _("The message is %(size)s, over the %(limit)s limit; it was not read.") % {
        "size": filesizeformat(size),
        "limit": filesizeformat(settings.CAPTURE_MAX_MESSAGE_BYTES),
    }


def _language(user) -> str:
    """Reasons and warnings are stored for the user to read: in their language, or the site's
    while the owner is not known yet."""
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def _time_zone(user):
    try:
        return ZoneInfo(getattr(user, "time_zone", "") or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


# --- Processing --------------------------------------------------------------------------------


def _save(message: InboundMessage) -> None:
    """Save what processing fills in, never the raw bytes again (they are the bulk of a row:
    writing them back on every save doubled the work of an email)."""
    message.save(update_fields=_PROCESSED_FIELDS)


_PROCESSED_FIELDS = [
    field.name
    for field in InboundMessage._meta.concrete_fields
    if field.name not in {"id", "raw", "sha256", "size", "via", "envelope_from", "envelope_to",
                          "token", "received_at"}
]  # fmt: skip


def _finish(message: InboundMessage, status: str, reason: str = "") -> InboundMessage:
    message.status = status
    message.reason = reason
    message.processed_at = timezone.now()
    _save(message)
    return message


def _addresses_json(addresses) -> list[dict]:
    return [{"name": a.name, "email": a.email} for a in addresses]


def _own_addresses(user) -> set[str]:
    aliases = SenderAlias.objects.filter(user=user, verified_at__isnull=False)
    return {user.email.lower(), *aliases.values_list("email", flat=True)}


def _resolve_user(message: InboundMessage, parsed: ParsedMessage):
    """(user, reason): the owner of the live logging address the message came through."""
    tokens = [message.token] if message.token else []
    tokens += [logging_token(a.email) for a in (*parsed.to, *parsed.cc)]
    tokens = [t for t in tokens if t]
    if not tokens:
        return None, _("The message was not sent to a logging address.")
    row = (
        LoggingAddress.objects.select_related("user")
        .filter(token__in=tokens)
        .order_by("revoked_at")
        .first()
    )
    if row is None:
        return None, _("Unknown logging address.")
    if not row.is_live:
        return row.user, _("This logging address was revoked; create a new one on your profile.")
    if not row.user.is_active:
        return row.user, _("The owner of this logging address cannot sign in.")
    return row.user, ""


def _domain(email: str) -> str:
    return email.rpartition("@")[2].lower()


def _match_accounts(user, emails: set[str]):
    """(account ids, stakeholders found): first by the stakeholders' emails on the accounts the
    user may edit; when none, by the accounts' email domains."""
    editable = accounts_for_user(user, action=Access.EDIT)
    stakeholders = list(
        Stakeholder.objects.annotate(email_lower=Lower("email"))
        .filter(account__in=editable, left_on__isnull=True, email_lower__in=emails)
        .order_by("pk")
    )
    accounts = {s.account_id for s in stakeholders}
    if accounts:
        return accounts, stakeholders
    domains = {_domain(e) for e in emails} - PUBLIC_DOMAINS
    accounts = set(
        AccountEmailDomain.objects.filter(domain__in=domains, account__in=editable).values_list(
            "account_id", flat=True
        )
    )
    return accounts, []


def _thread_request(message: InboundMessage) -> ClientRequest | None:
    """The open request an earlier message of this thread opened (for the user's reply)."""
    keys = {k for k in (message.thread_key, message.in_reply_to) if k}
    if not keys:
        return None
    opener = (
        InboundMessage.objects.filter(user=message.user, client_request__isnull=False)
        .filter(Q(thread_key__in=keys) | Q(message_id__in=keys))
        .only("client_request_id")
        .order_by("-received_at")
        .first()
    )
    if opener is None:
        return None
    return (
        ClientRequest.objects.filter(pk=opener.client_request_id).select_related("account").first()
    )


def _rule_applies(account: Account, sender_email: str) -> bool:
    return CaptureRule.objects.filter(account=account, sender_email__in=["", sender_email]).exists()


def _occurred_at(message: InboundMessage):
    moment = message.sent_at or message.received_at
    # A sender's clock far ahead must not block the log (interaction_log refuses the future).
    return min(moment, timezone.now()) if moment > timezone.now() + timedelta(hours=1) else moment


def _log(message: InboundMessage, account: Account, stakeholders, *, answers=None):
    user = message.user
    people = [s for s in stakeholders if s.account_id == account.pk]
    summary = (message.subject or _("(no subject)"))[:SUMMARY_MAX]
    occurred_at = _occurred_at(message)
    if answers is not None and occurred_at < answers.received_at:
        answers = None
    interaction = interaction_log(
        account=account,
        actor=user,
        kind=InteractionKind.EMAIL,
        occurred_at=occurred_at,
        summary=summary,
        notes=message.summary_text,
        stakeholders=people,
        sentiment=0,
        answers_request=answers,
    )
    message.account = account
    message.interaction = interaction
    if message.direction == Direction.IN and _rule_applies(account, message.from_email):
        requester = next((s for s in people if s.email.lower() == message.from_email), None)
        message.client_request = request_create(
            account=account,
            actor=user,
            subject=summary,
            received_at=occurred_at,
            channel=RequestChannel.EMAIL,
            requester=requester,
            details=message.summary_text,
        )
    return _finish(message, MessageStatus.LOGGED)


def _store_parsed(message: InboundMessage, parsed: ParsedMessage) -> None:
    source = parsed.forwarded or parsed
    message.message_id = parsed.message_id[:998]
    message.in_reply_to = parsed.in_reply_to[:998]
    # A forward belongs to the conversation it forwards (the client's thread), when it says so.
    forwarded_thread = thread_key(parsed.forwarded) if parsed.forwarded else ""
    message.thread_key = (forwarded_thread or thread_key(parsed))[:998]
    message.subject = source.subject or parsed.subject
    message.from_name = (source.sender.name if source.sender else "")[:300]
    message.from_email = source.sender.email[:320] if source.sender else ""
    message.to = _addresses_json(source.to)
    message.cc = _addresses_json(source.cc)
    message.forwarded = parsed.forwarded is not None
    message.sent_at = source.sent_at or parsed.sent_at
    message.text = parsed.text
    # A forward's summary is the original's (a pure forward adds nothing of its own); an
    # original whose summary came out empty falls back to the forwarder's words.
    if parsed.forwarded is not None:
        message.summary_text = parsed.forwarded.summary_text or parsed.summary_text
    else:
        message.summary_text = parsed.summary_text
    message.warnings = list(parsed.warnings)


def _store_attachments(message: InboundMessage, parsed: ParsedMessage) -> None:
    MessageAttachment.objects.bulk_create(
        MessageAttachment(
            message=message,
            filename=a.filename[:255],
            content_type=a.content_type[:255],
            size=a.size,
            content=a.content,
            note=a.note[:300],
        )
        for a in (*parsed.attachments, *(parsed.forwarded.attachments if parsed.forwarded else ()))
    )


@transaction.atomic
def message_process(*, message_id: int) -> InboundMessage | None:
    """Parse, authenticate, match and log one received message, all or nothing. Idempotent:
    a message already processed (or gone: a duplicate merged away) is left as it is; one
    another transaction is processing is waited for. Reasons, warnings and times are in the
    owner's language and zone (the site's while the owner is not known from the envelope)."""
    message = (
        InboundMessage.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk=message_id)
        .first()
    )
    if message is None or message.status != MessageStatus.RECEIVED:
        return message
    owner = message.user if message.user_id is not None else None
    with translation.override(_language(owner)), timezone.override(_time_zone(owner)):
        return _process(message)


def _process(message: InboundMessage) -> InboundMessage | None:
    # Rows stored before the limit was lowered (or by a path that skipped message_receive)
    # are refused here too: never parse a 40 MB message.
    if message.size > settings.CAPTURE_MAX_MESSAGE_BYTES:
        return _finish(message, MessageStatus.REFUSED, _too_big_reason(message.size))
    try:
        parsed = parse_message(
            bytes(message.raw), max_attachment_bytes=settings.CAPTURE_MAX_ATTACHMENT_BYTES
        )
    except MessageRefused as refused:
        return _finish(message, MessageStatus.REFUSED, refused.reason)

    if message.via == "upload" and message.user_id is not None:
        user, reason = message.user, ""  # signed in on the site: the upload is the proof
    else:
        user, reason = _resolve_user(message, parsed)
    message.user = user
    _store_parsed(message, parsed)
    try:
        with transaction.atomic():
            _save(message)
    except IntegrityError:
        # The same message is already stored for this user (the same Message-ID: BCC, then
        # a forward of that BCC; or the same bytes, its owner known only now): the first
        # delivery keeps it.
        message.delete()
        same = Q(sha256=message.sha256)
        if message.message_id:
            same |= Q(message_id=message.message_id)
        return InboundMessage.objects.defer("raw").filter(same, user=user).first()
    _store_attachments(message, parsed)
    if user is None or reason:
        return _finish(message, MessageStatus.DROPPED, reason)

    own = _own_addresses(user)
    outer = parsed.sender.email if parsed.sender else ""
    if message.via != "upload" and outer not in own:
        return _finish(
            message,
            MessageStatus.DROPPED,
            _("Sent from %(email)s, which is not your address or a verified alias.")
            % {"email": outer or _("an unknown sender")},
        )
    message.direction = Direction.OUT if message.from_email in own else Direction.IN
    calendars = list(parsed.calendars or (parsed.forwarded.calendars if parsed.forwarded else ()))

    if message.account_id is not None:  # an upload on an account page
        if not account_permits(user, message.account, Access.EDIT):
            return _finish(message, MessageStatus.DROPPED, _("You may not log on this account."))
        emails = _participants(message, own)
        _accounts, stakeholders = _match_accounts(user, emails)
        return _log_or_plan(message, message.account, stakeholders, calendars)

    if message.direction == Direction.OUT and not calendars:
        request = _thread_request(message)
        if request is not None and account_permits(user, request.account, Access.EDIT):
            emails = _participants(message, own)
            _accounts, stakeholders = _match_accounts(user, emails)
            return _log(message, request.account, stakeholders, answers=request)

    emails = _participants(message, own)
    accounts, stakeholders = _match_accounts(user, emails)
    if len(accounts) == 1:
        account = Account.objects.get(pk=accounts.pop())
        return _log_or_plan(message, account, stakeholders, calendars)
    message.calendars = calendars  # applied by "Log here" once the user chooses the account
    if accounts:
        return _finish(
            message,
            MessageStatus.TRIAGE,
            _("The people in this email are on several of your accounts; choose one."),
        )
    return _finish(
        message,
        MessageStatus.TRIAGE,
        _("No stakeholder or account domain matches this email; choose an account."),
    )


def _log_or_plan(message: InboundMessage, account: Account, stakeholders, calendars):
    """A message carrying a calendar invite plans, moves or cancels meetings and is not also
    logged as an email: an invitation is not a touch until the meeting happens, and My work
    prompts to log the meeting then. An invite that cannot be read leaves the email to be
    logged as an email, with the reason among its warnings."""
    if calendars:
        try:
            return _plan(message, account, calendars)
        except (InviteRefused, ValidationError) as refused:
            why = refused.reason if isinstance(refused, InviteRefused) else refused.messages[0]
            message.warnings = [*message.warnings, _("Calendar invite not taken: %(why)s")
                                % {"why": why}]  # fmt: skip
    return _log(message, account, stakeholders)


def _plan(message: InboundMessage, account: Account, calendars: list[str]) -> InboundMessage:
    user = message.user
    uids = [i.uid for text in calendars for i in invites_parse(text)]
    before = {
        m.uid: (m.status, m.sequence, m.starts_at, m.ends_at)
        for m in PlannedMeeting.objects.filter(owner=user, uid__in=uids)
    }
    meetings = []
    with transaction.atomic():  # every part or none (each call is all-or-none already)
        for text in calendars:
            meetings += meeting_invites_apply_text(user=user, account=account, text=text)
    message.account = account
    message.calendars = []
    return _finish(message, MessageStatus.LOGGED, _invite_outcome(meetings[0], account, before))


def _invite_outcome(meeting: PlannedMeeting, account: Account, before: dict) -> str:
    """One sentence for the capture log: what the invite did to (the first of) its meetings."""
    when = formats.date_format(timezone.localtime(meeting.starts_at), "SHORT_DATETIME_FORMAT")
    names = {"title": meeting.title, "account": account.name, "when": when}
    earlier = before.get(meeting.uid)
    now = (meeting.status, meeting.sequence, meeting.starts_at, meeting.ends_at)
    if earlier == now:
        return _("Calendar invite: “%(title)s” on %(account)s was already up to date.") % names
    if meeting.status == MeetingStatus.CANCELLED:
        return _("Calendar invite: meeting “%(title)s” on %(account)s cancelled.") % names
    if earlier is None or earlier[0] == MeetingStatus.CANCELLED:
        return _("Calendar invite: meeting “%(title)s” planned on %(account)s (%(when)s).") % (
            names
        )
    return _("Calendar invite: meeting “%(title)s” on %(account)s updated (now %(when)s).") % (
        names
    )


def _participants(message: InboundMessage, own: set[str]) -> set[str]:
    emails = {message.from_email} | {a["email"] for a in (*message.to, *message.cc)}
    return {e for e in emails if e and e not in own and not logging_token(e)}


@transaction.atomic
def message_fail(*, message_id: int, error: str) -> None:
    """Mark a message whose processing crashed (the crash rolled everything else back)."""
    InboundMessage.objects.filter(pk=message_id, status=MessageStatus.RECEIVED).update(
        status=MessageStatus.FAILED,
        reason=_("The message could not be processed; an administrator was told."),
        processed_at=timezone.now(),
    )
    logger.error("Capture: message %s failed: %s", message_id, error)


# --- Acting on the log -------------------------------------------------------------------------


@transaction.atomic
def message_request_open(*, message: InboundMessage, actor) -> ClientRequest:
    """One click: open a client request from a logged inbound email."""
    message = InboundMessage.objects.select_for_update().get(pk=message.pk)
    if message.status != MessageStatus.LOGGED or message.direction != Direction.IN:
        raise ValidationError(_("Only a logged email from a client can open a request."))
    if message.client_request_id is not None:
        return message.client_request
    account = message.account
    requester = (
        Stakeholder.objects.annotate(email_lower=Lower("email"))
        .filter(account=account, email_lower=message.from_email, left_on__isnull=True)
        .first()
    )
    message.client_request = request_create(
        account=account,
        actor=actor,
        subject=(message.subject or _("(no subject)"))[:SUMMARY_MAX],
        received_at=_occurred_at(message),
        channel=RequestChannel.EMAIL,
        requester=requester,
        details=message.summary_text,
    )
    message.save(update_fields=["client_request"])
    return message.client_request


@transaction.atomic
def message_assign(
    *, message: InboundMessage, account: Account, actor, add_sender: bool = False
) -> InboundMessage:
    """Triage: log a message that matched no account (or several) on the one the user chose
    (the caller checked the user may edit it). With `add_sender`, a client sender who is not
    yet a stakeholder of that account becomes one first (so the next email matches)."""
    message = InboundMessage.objects.select_for_update().get(pk=message.pk)
    if message.status != MessageStatus.TRIAGE:
        raise ValidationError(_("This email is not waiting for an account."))
    own = _own_addresses(actor)
    emails = _participants(message, own)
    if add_sender and message.from_email and message.from_email not in own:
        known = Stakeholder.objects.annotate(email_lower=Lower("email")).filter(
            account=account, email_lower=message.from_email
        )
        if not known.exists():
            stakeholder_create(
                account=account,
                actor=actor,
                name=(message.from_name or message.from_email.partition("@")[0])[:200],
                email=message.from_email,
            )
    stakeholders = list(
        Stakeholder.objects.annotate(email_lower=Lower("email")).filter(
            account=account, left_on__isnull=True, email_lower__in=emails
        )
    )
    with translation.override(_language(actor)), timezone.override(_time_zone(actor)):
        return _log_or_plan(message, account, stakeholders, list(message.calendars))


@transaction.atomic
def message_discard(*, message: InboundMessage, actor) -> InboundMessage:
    message = InboundMessage.objects.select_for_update().get(pk=message.pk)
    if message.status != MessageStatus.TRIAGE:
        raise ValidationError(_("This email is not waiting for an account."))
    return _finish(message, MessageStatus.DROPPED, _("Discarded by you."))


# --- Retention (kam.retention, docs/privacy.md) --------------------------------------------------
# Each is idempotent and touches only messages received before the cutoff; the parsed row, the
# interaction it logged and the capture log entry stay.


def raw_emails_drop(*, cutoff: RetentionCutoff) -> int:
    """Kind "raw_email_messages": the bytes as received are dropped (headers, every part)."""
    return (
        InboundMessage.objects.filter(received_at__lt=cutoff.moment)
        .exclude(raw=b"")
        .update(raw=b"")
    )


def email_bodies_trim(*, cutoff: RetentionCutoff) -> int:
    """Kind "email_bodies": only the summary (the text without quoted history and signature,
    also the interaction's notes) is kept; the full text and pending invites are blanked."""
    return (
        InboundMessage.objects.filter(received_at__lt=cutoff.moment)
        .exclude(text="", calendars=[])
        .update(text="", calendars=[])
    )


def email_attachments_drop(*, cutoff: RetentionCutoff) -> int:
    """Kind "email_attachments": the stored bytes go; name, type and size stay listed."""
    return MessageAttachment.objects.filter(
        message__received_at__lt=cutoff.moment, content__isnull=False
    ).update(content=None, note=_("Removed after the retention period."))


# --- Account email domains ---------------------------------------------------------------------


def domain_suggestions(account: Account) -> list[str]:
    """Domains of the account's active stakeholders' emails not yet claimed by any account."""
    emails = account.stakeholders.filter(left_on__isnull=True).exclude(email="")
    domains = {_domain(e) for e in emails.values_list("email", flat=True)} - PUBLIC_DOMAINS
    taken = AccountEmailDomain.objects.filter(domain__in=domains).values_list("domain", flat=True)
    return sorted(domains - set(taken))


@transaction.atomic
def account_domain_add(*, account: Account, domain: str, actor) -> AccountEmailDomain:
    domain = domain.strip().lower().lstrip("@")
    if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", domain):
        raise ValidationError({"domain": _("Enter a domain such as acme.com.br.")})
    if domain in PUBLIC_DOMAINS:
        raise ValidationError(
            {"domain": _("%(domain)s is a public mail provider, not a client's domain.")
             % {"domain": domain}}
        )  # fmt: skip
    owner = AccountEmailDomain.objects.filter(domain=domain).select_related("account").first()
    if owner is not None:
        raise ValidationError(
            {"domain": _("%(domain)s already belongs to another account.") % {"domain": domain}}
        )
    return AccountEmailDomain.objects.create(account=account, domain=domain)


@transaction.atomic
def account_domain_remove(*, account: Account, domain_id: int, actor) -> int:
    deleted, _rows = AccountEmailDomain.objects.filter(account=account, pk=domain_id).delete()
    return deleted


@transaction.atomic
def capture_rule_set(*, account: Account, sender_email: str = "", on: bool, actor) -> None:
    sender_email = sender_email.strip().lower()
    if on:
        CaptureRule.objects.get_or_create(account=account, sender_email=sender_email)
    else:
        CaptureRule.objects.filter(account=account, sender_email=sender_email).delete()
