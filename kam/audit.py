"""The audit trail: services call `audit_record` inside their transaction, so a change and its
audit row are written together or not at all. Values are stored as text ("before → after"
as a person reads them); the page at /configuration/audit/ lists them for admins."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.models import AuditEvent

Action = AuditEvent.Action


def as_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set)):
        return ", ".join(sorted(as_text(item) or "" for item in value))
    if isinstance(value, Mapping):
        return ", ".join(f"{key}={as_text(item)}" for key, item in value.items())
    return str(value)


def snapshot(row: models.Model, names: Iterable[str]) -> dict:
    """The named fields of `row` (a foreign key as its row, shown by name: one query each when
    not loaded yet, for the few a single edit touches)."""
    return {name: getattr(row, name) for name in names}


def changes_between(before: Mapping, after: Mapping) -> dict[str, list]:
    """{field: [before, after]} for the fields whose text differs."""
    changed = {}
    for name in after:
        old, new = as_text(before.get(name)), as_text(after[name])
        if old != new:
            changed[name] = [old, new]
    return changed


def created(values: Mapping) -> dict[str, list]:
    return {name: [None, text] for name, value in values.items() if (text := as_text(value))}


def audit_record(
    *,
    actor,
    action: str,
    object_type: str,
    object_id: int | None,
    label: str = "",
    account_id: int | None = None,
    changes: Mapping[str, list] | None = None,
) -> AuditEvent:
    event = audit_event(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        label=label,
        account_id=account_id,
        changes=changes,
    )
    event.save(force_insert=True)
    return event


def audit_event(
    *,
    actor,
    action: str,
    object_type: str,
    object_id: int | None,
    label: str = "",
    account_id: int | None = None,
    changes: Mapping[str, list] | None = None,
) -> AuditEvent:
    """The unsaved row audit_record writes (for audit_record_many)."""
    return AuditEvent(
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=str(label)[:300],
        account_id=account_id,
        changes=dict(changes or {}),
    )


def audit_record_many(events: list[AuditEvent]) -> None:
    """For the nightly jobs that change many rows at once (initial tiers, playbook runs)."""
    AuditEvent.objects.bulk_create(events, batch_size=1000)


# --- reading it back (the admin page) ----------------------------------------------------------

OBJECT_TYPES = {
    "account": _("Account"),
    "stakeholder": _("Stakeholder"),
    "plan": _("Plan"),
    "objective": _("Objective"),
    "hypothesis": _("Value hypothesis"),
    "risk": _("Risk"),
    "opportunity": _("Opportunity"),
    "action": _("Action"),
    "scoring_config": _("Scoring configuration"),
    "exchange_rate": _("Exchange rate"),
    "product": _("Product"),
    "api_token": _("API token"),
    "client_request": _("Client request"),
    "interaction": _("Interaction"),
    "working_calendar": _("Working calendar"),
    "company_holiday": _("Company holiday"),
    "playbook": _("Playbook"),
    "playbook_firing": _("Playbook started"),
    "retention_policy": _("Retention policy"),
}


def audit_events(
    *,
    object_type: str = "",
    action: str = "",
    actor=None,
    account: int | None = None,
    since: date | None = None,
    until: date | None = None,
):
    """Newest first; the index on (at) serves the unfiltered page, (account_id, at) and
    (object_type, at) the common filters."""
    events = AuditEvent.objects.order_by("-at", "-pk")
    if object_type:
        events = events.filter(object_type=object_type)
    if action:
        events = events.filter(action=action)
    if actor is not None:
        events = events.filter(actor=actor)
    if account:
        events = events.filter(account_id=account)
    # The log shows each moment in the viewer's time zone, so its From and To are the viewer's
    # days too (`__date` in the current zone): the one place days are not the business zone's.
    if since:
        events = events.filter(at__date__gte=since)
    if until:
        events = events.filter(at__date__lte=until)
    return events
