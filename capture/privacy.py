"""Captured mail under the LGPD (docs/privacy.md): the export lists the emails on the
person's account that name them, and the erasure scrubs them there. Registered with
insights.privacy (register_personal_data) from CaptureConfig.ready, since insights sits below
this app."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import Stakeholder
from capture.models import InboundMessage
from insights.privacy import verbatim_pattern

KEY = "captured_emails"
_TEXT_FIELDS = ("from_name", "subject", "text", "summary_text")


def _naming(stakeholder: Stakeholder) -> QuerySet[InboundMessage]:
    """The account's captured messages that carry the person's address (From, To, Cc) or
    quote their full name or email (a superset: the caller keeps the verbatim mentions)."""
    email = stakeholder.email.strip().lower()
    needles = [text for text in (stakeholder.name.strip(), email) if text]
    if not needles:
        return InboundMessage.objects.none()
    query = Q()
    if email:
        query |= Q(from_email=email)
        query |= Q(to__contains=[{"email": email}]) | Q(cc__contains=[{"email": email}])
    for needle in needles:
        for field in _TEXT_FIELDS:
            query |= Q(**{f"{field}__icontains": needle})
    return InboundMessage.objects.filter(account_id=stakeholder.account_id).filter(query)


def _names_them(message: InboundMessage, email: str, pattern: re.Pattern | None) -> bool:
    if email and (
        message.from_email == email
        or any(a.get("email") == email for a in (*message.to, *message.cc))
    ):
        return True
    return pattern is not None and any(
        pattern.search(getattr(message, field)) for field in _TEXT_FIELDS
    )


def captured_emails_export(*, stakeholder: Stakeholder) -> list[dict[str, Any]]:
    """One query: the messages naming the person, oldest first, as held (summary and text)."""
    email = stakeholder.email.strip().lower()
    pattern = verbatim_pattern(stakeholder)
    rows = _naming(stakeholder).defer("raw").order_by("received_at", "pk")
    return [
        {
            "id": message.pk,
            "received_at": message.received_at,
            "direction": message.direction,
            "from": {"name": message.from_name, "email": message.from_email},
            "to": message.to,
            "cc": message.cc,
            "subject": message.subject,
            "summary": message.summary_text,
            "text": message.text,
        }
        for message in rows
        if _names_them(message, email, pattern)
    ]


def _scrub_addresses(addresses: list[dict], email: str, pattern, label: str) -> list[dict]:
    return [
        {"name": label, "email": ""}
        if email and a.get("email") == email
        else {**a, "name": pattern.sub(label, a.get("name", ""))}
        for a in addresses
    ]


def captured_emails_erase(*, stakeholder: Stakeholder, pattern, needles, label: str) -> int:
    """In the erasure's transaction: the person's address leaves From/To/Cc (replaced by the
    label), their full name and email leave the subject, text and summary, and the raw message
    (which holds them in every header and part) is dropped."""
    email = stakeholder.email.strip().lower()
    changed = []
    for message in _naming(stakeholder):
        if not _names_them(message, email, pattern):
            continue
        if email and message.from_email == email:
            message.from_email, message.from_name = "", label
        for field in _TEXT_FIELDS:
            setattr(message, field, pattern.sub(label, getattr(message, field)))
        message.from_name = message.from_name[:300]
        message.to = _scrub_addresses(message.to, email, pattern, label)
        message.cc = _scrub_addresses(message.cc, email, pattern, label)
        message.calendars = [pattern.sub(label, text) for text in message.calendars]
        message.raw = b""
        changed.append(message)
    InboundMessage.objects.bulk_update(
        changed,
        ["from_email", *_TEXT_FIELDS, "to", "cc", "calendars", "raw"],
        batch_size=200,
    )
    return len(changed)
