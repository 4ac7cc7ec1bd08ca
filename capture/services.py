"""The capture pipeline: store the raw message, then (in a Celery task) parse, authenticate,
match and log it through the same services as a typed interaction (docs/capture.md)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
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
from accounts.selectors import Access, account_permits, on_accounts_for_user
from accounts.services import stakeholder_create
from activities.invites import InviteRefused, invites_parse
from activities.models import (
    ClientRequest,
    InteractionKind,
    MeetingStatus,
    PlannedMeeting,
    RequestChannel,
)
from activities.services import (
    NewInteraction,
    interactions_log,
    meeting_invites_apply_text,
    request_create,
)
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
from kam.bulk import rows_updated
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


@dataclass(frozen=True)
class Delivery:
    """A message as it came in, for messages_receive: the keywords of message_receive."""

    raw: bytes
    via: str
    envelope_from: str = ""
    envelope_to: Sequence[str] = ()
    user: object = None  # who uploaded it (signed in on the site)
    account: Account | None = None  # the account page it was uploaded on


def message_receive(**delivery) -> InboundMessage:
    """Store one message as it came in (see messages_receive)."""
    return messages_receive(deliveries=[Delivery(**delivery)])[0]


@transaction.atomic
def messages_receive(*, deliveries: Sequence[Delivery]) -> list[InboundMessage]:
    """Store the raw bytes first (the same bytes for the same user once), then queue
    capture.tasks.message_process through the outbox, one task for them all. Never parses
    here: a broken message must not cost the sender an answer, and a Redis outage loses
    nothing. Returns each delivery's row (the earlier one for bytes already stored). A
    batch that cannot be stored at once (the same bytes arriving this moment another way)
    is stored one by one."""
    tokens = [next((t for t in map(logging_token, d.envelope_to) if t), "") for d in deliveries]
    unknown = {t for d, t in zip(deliveries, tokens, strict=True) if d.user is None and t}
    owners = dict(
        LoggingAddress.objects.filter(token__in=unknown).values_list("token", "user_id")
    )  # fmt: skip
    digests = [hashlib.sha256(d.raw).hexdigest() for d in deliveries]
    user_ids = [
        d.user.pk if d.user is not None else owners.get(t)
        for d, t in zip(deliveries, tokens, strict=True)
    ]
    stored = {
        (m.user_id, m.sha256): m
        for m in InboundMessage.objects.defer("raw").filter(
            user_id__in={u for u in user_ids if u is not None}, sha256__in=digests
        )
    }
    rows, new = [], []
    for delivery, token, digest, user_id in zip(deliveries, tokens, digests, user_ids, strict=True):
        if user_id is not None and (user_id, digest) in stored:
            rows.append(stored[user_id, digest])
            continue
        # Every way in (SMTP, webhooks, upload) meets the cap here, before anything parses:
        # an oversized message is recorded (size, reason) in its owner's log without its bytes.
        too_big = len(delivery.raw) > settings.CAPTURE_MAX_MESSAGE_BYTES
        message = InboundMessage(
            raw=b"" if too_big else delivery.raw,
            sha256=digest,
            size=len(delivery.raw),
            via=delivery.via,
            envelope_from=delivery.envelope_from[:320],
            envelope_to=list(delivery.envelope_to),
            token=token,
            user_id=user_id,
            account=delivery.account,
        )
        if too_big:
            with translation.override(_language(delivery.user)):
                _finish(message, MessageStatus.REFUSED, _too_big_reason(len(delivery.raw)))
        if user_id is not None:
            stored[user_id, digest] = message  # the same bytes twice in this batch: once
        rows.append(message)
        new.append(message)
    try:
        with transaction.atomic():
            InboundMessage.objects.bulk_create(new)
    except IntegrityError:  # the same bytes, delivered at this moment another way
        if len(deliveries) > 1:
            return [messages_receive(deliveries=[d])[0] for d in deliveries]
        return [InboundMessage.objects.defer("raw").get(user_id=user_ids[0], sha256=digests[0])]
    waiting = [m.pk for m in new if m.status == MessageStatus.RECEIVED]
    if waiting:
        outbox_enqueue("capture.tasks.message_process", waiting)
    return rows


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

# What processing fills in: the raw bytes and the envelope are never written again (the bytes
# are the bulk of a row: writing them back doubled the work of an email).
_PROCESSED_FIELDS = [
    field.name
    for field in InboundMessage._meta.concrete_fields
    if field.name not in {"id", "raw", "sha256", "size", "via", "envelope_from", "envelope_to",
                          "token", "received_at"}
]  # fmt: skip


def _finish(message: InboundMessage, status: str, reason: str = "") -> InboundMessage:
    """Set the outcome; the run's _Batch.write saves it with the rest."""
    message.status = status
    message.reason = reason
    message.processed_at = timezone.now()
    return message


def _addresses_json(addresses) -> list[dict]:
    return [{"name": a.name, "email": a.email} for a in addresses]


def _domain(email: str) -> str:
    return email.rpartition("@")[2].lower()


class _Batch:
    """One processing run (one message or a task's batch), in one transaction: what its
    messages read is read once for all of them (logging addresses, each owner's addresses,
    the stakeholders their participants match, accounts, request rules and threads, earlier
    deliveries), and what they write goes together when the run ends (`write`): the email
    logs through one interactions_log, the messages' rows, their attachments."""

    def __init__(self):
        self.addresses: dict[str, LoggingAddress] = {}
        self.accounts: dict[int, Account] = {}
        self.requests: dict[tuple[int, str], ClientRequest] = {}  # (user, thread key) → opened
        # (user, "id" | "sha256", the Message-ID or digest) → the delivery kept
        self.kept: dict[tuple[int, str, str], InboundMessage] = {}
        self._own: dict[int, set[str]] = {}
        self._people: dict[int, dict[str, list[Stakeholder]]] = {}  # user → email → people
        self._rules: dict[int, set[str]] = {}  # account → senders that open requests ("": all)
        self.logs: list[tuple[InboundMessage, NewInteraction]] = []
        self.messages: list[InboundMessage] = []
        self.attachments: list[MessageAttachment] = []

    # Reading, for all the run's messages at once.

    def load_addresses(self, tokens: set[str]) -> None:
        rows = LoggingAddress.objects.select_related("user").filter(
            token__in=tokens - set(self.addresses)
        )
        self.addresses.update({row.token: row for row in rows})

    def load_earlier(self, messages: list[InboundMessage]) -> None:
        """The deliveries already stored of the same messages (their Message-ID or bytes)."""
        owners = {m.user_id for m in messages if m.user_id is not None}
        if not owners:
            return
        ids = {m.message_id for m in messages if m.message_id}
        digests = {m.sha256 for m in messages}
        earlier = (
            InboundMessage.objects.defer("raw")
            .filter(user_id__in=owners)
            .filter(Q(message_id__in=ids) | Q(sha256__in=digests))
            .exclude(pk__in=[m.pk for m in messages])
            .order_by("-pk")
        )
        for row in earlier:  # the oldest last: it is the one kept
            for key in _delivery_keys(row):
                self.kept[key] = row

    def load_people(self, user, emails: set[str]) -> None:
        """The stakeholders with these emails on the accounts `user` may edit."""
        known = self._people.setdefault(user.pk, {})
        wanted = emails - set(known)
        if not wanted:
            return
        for email in wanted:
            known[email] = []
        people = Stakeholder.objects.annotate(email_lower=Lower("email"))
        rows = (
            on_accounts_for_user(people, user, Access.EDIT)
            .filter(left_on__isnull=True, email_lower__in=wanted)
            .select_related("account")
            .order_by("pk")
        )
        for person in rows:
            known[person.email_lower].append(person)
            self.accounts.setdefault(person.account_id, person.account)

    def load_threads(self, messages: list[InboundMessage]) -> None:
        """The open requests earlier messages of these threads opened."""
        keys = {k for m in messages for k in (m.thread_key, m.in_reply_to) if k}
        if not keys:
            return
        openers = (
            InboundMessage.objects.filter(
                user_id__in={m.user_id for m in messages}, client_request__isnull=False
            )
            .filter(Q(thread_key__in=keys) | Q(message_id__in=keys))
            .order_by("received_at", "pk")
            .values_list("user_id", "thread_key", "message_id", "client_request_id")
        )
        found = {}
        for user_id, thread, message_id, request_id in openers:  # the latest wins
            for key in {thread, message_id} & keys:
                found[user_id, key] = request_id
        requests = ClientRequest.objects.select_related("account").in_bulk(set(found.values()))
        for key, request_id in found.items():
            if request_id in requests and key not in self.requests:
                self.requests[key] = requests[request_id]

    def own_addresses(self, user) -> set[str]:
        if user.pk not in self._own:
            aliases = SenderAlias.objects.filter(user=user, verified_at__isnull=False)
            self._own[user.pk] = {user.email.lower(), *aliases.values_list("email", flat=True)}
        return self._own[user.pk]

    def match(self, user, emails: set[str]) -> tuple[set[int], list[Stakeholder]]:
        """(account ids, stakeholders found): first by the stakeholders' emails on the accounts
        the user may edit; when none, by the accounts' email domains."""
        self.load_people(user, emails)
        known = self._people[user.pk]
        stakeholders = sorted((p for e in emails for p in known[e]), key=lambda p: p.pk)
        accounts = {s.account_id for s in stakeholders}
        if accounts:
            return accounts, stakeholders
        domains = {_domain(e) for e in emails} - PUBLIC_DOMAINS
        known = AccountEmailDomain.objects.filter(domain__in=domains)
        accounts = set(
            on_accounts_for_user(known, user, Access.EDIT).values_list("account_id", flat=True)
        )
        return accounts, []

    def account(self, pk: int) -> Account:
        if pk not in self.accounts:
            self.accounts[pk] = Account.objects.get(pk=pk)
        return self.accounts[pk]

    def thread_request(self, message: InboundMessage) -> ClientRequest | None:
        """The open request an earlier message of this thread opened (for the user's reply)."""
        for key in (message.thread_key, message.in_reply_to):
            if key and (message.user_id, key) in self.requests:
                return self.requests[message.user_id, key]
        return None

    def rule_applies(self, account: Account, sender_email: str) -> bool:
        if account.pk not in self._rules:
            rules = CaptureRule.objects.filter(account=account)
            self._rules[account.pk] = set(rules.values_list("sender_email", flat=True))
        return bool(self._rules[account.pk] & {"", sender_email})

    # Writing, when the run ends.

    def write(self) -> None:
        rows = interactions_log(items=[item for _message, item in self.logs])
        for (message, _item), row in zip(self.logs, rows, strict=True):
            message.interaction = row
        if len(self.messages) == 1:
            self.messages[0].save(update_fields=_PROCESSED_FIELDS)
        elif self.messages:
            rows_updated(InboundMessage, self.messages, _PROCESSED_FIELDS)
        MessageAttachment.objects.bulk_create(self.attachments)
        self.logs, self.messages, self.attachments = [], [], []


def _resolve_user(message: InboundMessage, parsed: ParsedMessage, batch: _Batch):
    """(user, reason): the owner of the live logging address the message came through."""
    tokens = [message.token] if message.token else []
    tokens += [logging_token(a.email) for a in (*parsed.to, *parsed.cc)]
    tokens = [t for t in tokens if t]
    if not tokens:
        return None, _("The message was not sent to a logging address.")
    rows = [batch.addresses[t] for t in tokens if t in batch.addresses]
    if not rows:
        return None, _("Unknown logging address.")
    # A revoked address before a live one, as the token lists them twice at most.
    row = min(rows, key=lambda r: (r.revoked_at is None, r.revoked_at or r.created_at))
    if not row.is_live:
        return row.user, _("This logging address was revoked; create a new one on your profile.")
    if not row.user.is_active:
        return row.user, _("The owner of this logging address cannot sign in.")
    return row.user, ""


def _tokens(message: InboundMessage, parsed: ParsedMessage) -> set[str]:
    found = {logging_token(a.email) for a in (*parsed.to, *parsed.cc)} | {message.token}
    return {t for t in found if t}


def _occurred_at(message: InboundMessage):
    moment = message.sent_at or message.received_at
    # A sender's clock far ahead must not block the log (interaction_log refuses the future).
    return min(moment, timezone.now()) if moment > timezone.now() + timedelta(hours=1) else moment


def _log(message: InboundMessage, account: Account, stakeholders, batch: _Batch, *, answers=None):
    """Log the email on `account` when the run ends (batch.write), and open a request now
    when a rule says so (a reply later in the same run then finds it)."""
    user = message.user
    people = [s for s in stakeholders if s.account_id == account.pk]
    summary = (message.subject or _("(no subject)"))[:SUMMARY_MAX]
    occurred_at = _occurred_at(message)
    if answers is not None and occurred_at < answers.received_at:
        answers = None
    batch.logs.append((message, NewInteraction(
        account=account,
        actor=user,
        kind=InteractionKind.EMAIL,
        occurred_at=occurred_at,
        summary=summary,
        notes=message.summary_text,
        stakeholders=people,
        sentiment=0,
        answers_request=answers,
    )))  # fmt: skip
    message.account = account
    if message.direction == Direction.IN and batch.rule_applies(account, message.from_email):
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
        for key in (message.thread_key, message.message_id):
            if key:
                batch.requests[user.pk, key] = message.client_request
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


def _attachments(message: InboundMessage, parsed: ParsedMessage) -> list[MessageAttachment]:
    return [
        MessageAttachment(
            message=message,
            filename=a.filename[:255],
            content_type=a.content_type[:255],
            size=a.size,
            content=a.content,
            note=a.note[:300],
        )
        for a in (*parsed.attachments, *(parsed.forwarded.attachments if parsed.forwarded else ()))
    ]


@transaction.atomic
def messages_waiting(*, limit: int, exclude: Sequence[int] = ()) -> list[int]:
    """Ids of received messages waiting to be processed, oldest first; not those another
    run is processing now (their rows are locked)."""
    if limit <= 0:
        return []
    waiting = InboundMessage.objects.filter(status=MessageStatus.RECEIVED).exclude(pk__in=exclude)
    free = waiting.select_for_update(skip_locked=True).order_by("pk")
    return list(free.values_list("pk", flat=True)[:limit])


def message_process(*, message_id: int) -> InboundMessage | None:
    """Parse, authenticate, match and log one received message, all or nothing (see
    messages_process). Returns the message, the earlier delivery kept in its place, or None
    when it is gone."""
    return messages_process(message_ids=[message_id]).get(message_id)


@transaction.atomic
def messages_process(*, message_ids: Sequence[int]) -> dict[int, InboundMessage | None]:
    """Parse, authenticate, match and log received messages, all in one transaction (the
    task runs each alone when a batch fails), and return them by id. Idempotent: a message
    already processed is left as it is; one another run is processing is left to it (not in
    the result). A message delivered twice (the same Message-ID or bytes for its owner) is
    kept once: the later row is deleted and the earlier returned in its place. Reasons,
    warnings and times are in the owner's language and zone (the site's while the owner is
    not known from the envelope)."""
    locked = list(
        InboundMessage.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("user")
        .filter(pk__in=message_ids)
        .order_by("pk")
    )
    results: dict[int, InboundMessage | None] = {m.pk: m for m in locked}
    batch = _Batch()
    read: list[tuple[InboundMessage, ParsedMessage]] = []
    for message in (m for m in locked if m.status == MessageStatus.RECEIVED):
        with _owner_locale(message.user):
            parsed = _read(message, batch)
        if parsed is not None:
            read.append((message, parsed))
    batch.load_addresses({t for message, parsed in read for t in _tokens(message, parsed)})
    owned = []
    for message, parsed in read:
        with _owner_locale(message.user):
            if message.via == "upload" and message.user_id is not None:
                user, reason = message.user, ""  # signed in on the site: the upload is the proof
            else:
                user, reason = _resolve_user(message, parsed, batch)
            message.user = user
            _store_parsed(message, parsed)
            owned.append((message, parsed, reason))
    batch.load_earlier([message for message, _p, _r in owned])
    fresh = []
    for message, parsed, reason in owned:
        kept = _earlier(message, batch)
        if kept is not None:
            results[message.pk] = kept
            message.delete()  # stored once: the first delivery keeps the message
            continue
        batch.attachments += _attachments(message, parsed)
        if message.user_id is None or reason:
            with _owner_locale(message.user):
                batch.messages.append(_finish(message, MessageStatus.DROPPED, reason))
            continue
        fresh.append((message, parsed))
    batch.load_threads([m for m, _p in fresh])
    wanted: dict[int, tuple[object, set[str]]] = {}
    for message, _parsed in fresh:
        user, emails = wanted.setdefault(message.user_id, (message.user, set()))
        emails |= _participants(message, batch.own_addresses(user))
    for user, emails in wanted.values():
        batch.load_people(user, emails)
    for message, parsed in fresh:
        with _owner_locale(message.user):
            batch.messages.append(_process(message, parsed, batch))
    batch.write()
    return results


@contextlib.contextmanager
def _owner_locale(owner):
    with translation.override(_language(owner)), timezone.override(_time_zone(owner)):
        yield


def _read(message: InboundMessage, batch: _Batch) -> ParsedMessage | None:
    """The parsed message, or None when it is refused (too big, not an email)."""
    # Rows stored before the limit was lowered (or by a path that skipped message_receive)
    # are refused here too: never parse a 40 MB message.
    if message.size > settings.CAPTURE_MAX_MESSAGE_BYTES:
        batch.messages.append(
            _finish(message, MessageStatus.REFUSED, _too_big_reason(message.size))
        )
        return None
    try:
        return parse_message(
            bytes(message.raw), max_attachment_bytes=settings.CAPTURE_MAX_ATTACHMENT_BYTES
        )
    except MessageRefused as refused:
        batch.messages.append(_finish(message, MessageStatus.REFUSED, refused.reason))
        return None


def _earlier(message: InboundMessage, batch: _Batch) -> InboundMessage | None:
    """An earlier delivery of the same message for the same owner (BCC, then a forward of that
    BCC; a retry; the same bytes, the owner known only now), in the database or earlier in
    this run; else None, and the message is the one kept from now on."""
    if message.user_id is None:
        return None
    keys = _delivery_keys(message)
    for key in keys:
        if key in batch.kept:
            return batch.kept[key]
    for key in keys:
        batch.kept[key] = message
    return None


def _delivery_keys(message: InboundMessage) -> list[tuple[int, str, str]]:
    """What makes two rows the same delivery for their owner: the Message-ID, the bytes."""
    keys = [(message.user_id, "sha256", message.sha256)]
    if message.message_id:
        keys.insert(0, (message.user_id, "id", message.message_id))
    return keys


def _process(message: InboundMessage, parsed: ParsedMessage, batch: _Batch) -> InboundMessage:
    user = message.user
    own = batch.own_addresses(user)
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
    emails = _participants(message, own)

    if message.account_id is not None:  # an upload on an account page
        if not account_permits(user, message.account, Access.EDIT):
            return _finish(message, MessageStatus.DROPPED, _("You may not log on this account."))
        _accounts, stakeholders = batch.match(user, emails)
        return _log_or_plan(message, message.account, stakeholders, calendars, batch)

    if message.direction == Direction.OUT and not calendars:
        request = batch.thread_request(message)
        if request is not None and account_permits(user, request.account, Access.EDIT):
            _accounts, stakeholders = batch.match(user, emails)
            return _log(message, request.account, stakeholders, batch, answers=request)

    accounts, stakeholders = batch.match(user, emails)
    if len(accounts) == 1:
        account = batch.account(accounts.pop())
        return _log_or_plan(message, account, stakeholders, calendars, batch)
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


def _log_or_plan(message: InboundMessage, account: Account, stakeholders, calendars, batch):
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
    return _log(message, account, stakeholders, batch)


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
    batch = _Batch()
    own = batch.own_addresses(actor)
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
    with _owner_locale(actor):
        batch.messages.append(
            _log_or_plan(message, account, stakeholders, list(message.calendars), batch)
        )
    batch.write()
    return message


@transaction.atomic
def message_discard(*, message: InboundMessage, actor) -> InboundMessage:
    message = InboundMessage.objects.select_for_update().get(pk=message.pk)
    if message.status != MessageStatus.TRIAGE:
        raise ValidationError(_("This email is not waiting for an account."))
    _finish(message, MessageStatus.DROPPED, _("Discarded by you."))
    message.save(update_fields=_PROCESSED_FIELDS)
    return message


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
