"""A stakeholder's rights under the LGPD (Lei 13.709/2018, art. 18): access to everything KAM
holds about the person, and erasure on request. Both read or write interactions, requests,
agreed items and QBRs (activities) as well as the person (accounts), so they live in the layer
that reads every app. Both are audited (kam.audit). docs/privacy.md explains the choices."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Stakeholder, TimelineEntry, erased_contact_label
from accounts.selectors import Access, on_accounts_for_user
from activities.models import QBR, ClientRequest, Commitment, Interaction
from kam.audit import Action, audit_record
from kam.models import AuditEvent

# The person's own fields, blanked by the erasure (name is replaced by the neutral label).
# Kept: the buying role, influence, stance, reporting line, primary flag and departure date,
# which say where a now anonymous seat sits on the org chart and feed coverage and health;
# the external id, so an import of an old file recognises the row and skips it.
ERASED_FIELDS = ("name", "title", "department", "email", "phone", "notes")
ERASED_VALUE = "[erased]"


@dataclass(frozen=True)
class PersonalDataSource:
    """Data about a person held by an app above this layer (the capture app's mail), which
    registers it from its AppConfig.ready (as kam.retention's kinds are registered), so that
    the export and the erasure reach it without this module importing the app.

    export(*, stakeholder) -> list of JSON-ready rows (one query);
    erase(*, stakeholder, pattern, needles, label) -> rows changed, within the erasure's
    transaction, on the stakeholder's account only."""

    key: str
    export: Callable[..., list[dict[str, Any]]]
    erase: Callable[..., int]


_SOURCES: dict[str, PersonalDataSource] = {}


def register_personal_data(key: str, *, export: Callable, erase: Callable) -> None:
    _SOURCES[key] = PersonalDataSource(key=key, export=export, erase=erase)


def personal_data_sources() -> list[PersonalDataSource]:
    return list(_SOURCES.values())


def stakeholder_personal_data(*, user, stakeholder: Stakeholder) -> dict[str, Any]:
    """Everything KAM holds about one person (the right of access): JSON-ready with
    DjangoJSONEncoder (dates and moments stay objects, so the page formats them). The caller has
    checked the user may edit the stakeholder's account. Seven queries whatever the history:
    interactions, requests, agreed items, QBRs, timeline entries, audit entries, and the other
    records with the same email on accounts the user may edit; then one per registered source
    (PersonalDataSource: the captured emails that name the person)."""
    account = stakeholder.account
    interactions = (
        Interaction.objects.filter(stakeholders=stakeholder)
        .order_by("occurred_at", "pk")
        .values("pk", "occurred_at", "kind", "summary", "notes")
    )
    requests = (
        ClientRequest.objects.filter(requester=stakeholder)
        .order_by("received_at", "pk")
        .values("pk", "received_at", "channel", "subject", "details", "resolved_at")
    )
    commitments = (
        Commitment.objects.filter(owner_stakeholder=stakeholder)
        .order_by("due_date", "pk")
        .values("pk", "title", "due_date", "status")
    )
    qbrs = (
        QBR.objects.filter(stakeholders=stakeholder)
        .order_by("scheduled_on", "pk")
        .values("pk", "scheduled_on", "status")
    )
    timeline = (
        TimelineEntry.objects.filter(stakeholder=stakeholder)
        .order_by("occurred_at", "pk")
        .values("kind", "occurred_at")
    )
    audit = (
        AuditEvent.objects.filter(object_type="stakeholder", object_id=stakeholder.pk)
        .order_by("at", "pk")
        .values("at", "actor_email", "action", "changes")
    )
    same_email = []
    if stakeholder.email:
        same_email = list(
            on_accounts_for_user(
                Stakeholder.objects.filter(email__iexact=stakeholder.email), user, Access.EDIT
            )
            .exclude(pk=stakeholder.pk)
            .order_by("account__name", "pk")
            .values("pk", "account_id", "account__name")
        )
    manager = stakeholder.reports_to
    return {
        "generated_at": timezone.now(),
        "stakeholder": {
            "id": stakeholder.pk,
            "name": stakeholder.name,
            "title": stakeholder.title,
            "department": stakeholder.department,
            "email": stakeholder.email,
            "phone": stakeholder.phone,
            "buying_role": stakeholder.buying_role,
            "influence": stakeholder.influence,
            "stance": stakeholder.stance,
            "primary_contact": stakeholder.is_primary,
            "left_on": stakeholder.left_on,
            "notes": stakeholder.notes,
            "external_id": stakeholder.external_id,
            "last_interaction_at": stakeholder.last_interaction_at,
            "created_at": stakeholder.created_at,
            "erased_at": stakeholder.erased_at,
        },
        "accounts": [
            {"id": account.pk, "name": account.name},
            *({"id": row["account_id"], "name": row["account__name"]} for row in same_email),
        ],
        "records_with_the_same_email": [
            {"stakeholder_id": row["pk"], "account_id": row["account_id"]} for row in same_email
        ],
        "reports_to": (
            {"id": manager.pk, "name": manager.name, "title": manager.title} if manager else None
        ),
        "interactions": [
            {
                "id": row["pk"],
                "date": row["occurred_at"],
                "kind": row["kind"],
                "summary": row["summary"],
                "notes": row["notes"],
            }
            for row in interactions
        ],
        "client_requests": [
            {
                "id": row["pk"],
                "received_at": row["received_at"],
                "channel": row["channel"],
                "subject": row["subject"],
                "details": row["details"],
                "resolved_at": row["resolved_at"],
            }
            for row in requests
        ],
        "commitments": [
            {
                "id": row["pk"],
                "title": row["title"],
                "due_date": row["due_date"],
                "status": row["status"],
            }
            for row in commitments
        ],
        "qbrs": [
            {"id": row["pk"], "date": row["scheduled_on"], "status": row["status"]} for row in qbrs
        ],
        "timeline": [{"kind": row["kind"], "occurred_at": row["occurred_at"]} for row in timeline],
        "audit": [
            {
                "at": row["at"],
                "by": row["actor_email"],
                "action": row["action"],
                "changes": row["changes"],
            }
            for row in audit
        ],
        **{source.key: source.export(stakeholder=stakeholder) for source in _SOURCES.values()},
    }


def stakeholder_export_record(*, user, stakeholder: Stakeholder, fmt: str) -> None:
    """The audit row of an export: who downloaded the person's data, when, in which form."""
    audit_record(
        actor=user,
        action=Action.EXPORTED,
        object_type="stakeholder",
        object_id=stakeholder.pk,
        label=stakeholder.name,
        account_id=stakeholder.account_id,
        changes={"format": [None, fmt]},
    )


def _verbatim(stakeholder: Stakeholder) -> re.Pattern | None:
    """The person's full name and email as written anywhere, case-insensitively, as whole
    words: "Ana Souza" goes, "Mariana Souzana" stays."""
    needles = [text.strip() for text in (stakeholder.name, stakeholder.email) if text.strip()]
    if not needles:
        return None
    alternatives = "|".join(re.escape(needle) for needle in sorted(needles, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def verbatim_pattern(stakeholder: Stakeholder) -> re.Pattern | None:
    """The erasure's rule for a verbatim mention, for the registered sources' exports."""
    return _verbatim(stakeholder)


def _text_q(fields: tuple[str, ...], needles: list[str]) -> Q:
    query = Q()
    for field in fields:
        for needle in needles:
            query |= Q(**{f"{field}__icontains": needle})
    return query


def _scrub_rows(queryset, fields: tuple[str, ...], pattern, needles, label, limits) -> int:
    changed = []
    for row in queryset.filter(_text_q(fields, needles)):
        touched = False
        for field in fields:
            before = getattr(row, field)
            after = pattern.sub(label, before)
            if field in limits:
                after = after[: limits[field]]
            if after != before:
                setattr(row, field, after)
                touched = True
        if touched:
            changed.append(row)
    if changed:
        queryset.model.objects.bulk_update(changed, fields, batch_size=500)
    return len(changed)


def _scrub_audit(stakeholder: Stakeholder, pattern, needles, label) -> int:
    """The person's earlier audit entries keep who changed what and when, not the values; the
    account's other entries lose the name and email where they quote them."""
    changed = []
    own = Q(object_type="stakeholder", object_id=stakeholder.pk)
    quoting = Q(account_id=stakeholder.account_id) & (
        _text_q(("object_label",), needles) | _text_q(("changes_text",), needles)
    )
    events = AuditEvent.objects.annotate(changes_text=Cast("changes", TextField())).filter(
        own | quoting
    )
    for event in events:
        is_own = event.object_type == "stakeholder" and event.object_id == stakeholder.pk
        changes = {}
        for field, values in event.changes.items():
            if is_own and field in ERASED_FIELDS:
                changes[field] = [ERASED_VALUE if value else value for value in values]
            else:
                changes[field] = [
                    pattern.sub(label, value) if isinstance(value, str) else value
                    for value in values
                ]
        event.changes = changes
        event.object_label = label if is_own else pattern.sub(label, event.object_label)[:300]
        changed.append(event)
    AuditEvent.objects.bulk_update(changed, ["changes", "object_label"], batch_size=500)
    return len(changed)


@transaction.atomic
def stakeholder_erase(*, user, stakeholder: Stakeholder, reason: str) -> Stakeholder:
    """Erasure on request. The row stays (interactions, org charts and counts keep their shape)
    under a neutral label; its personal fields are blanked; the full name and email are
    replaced by the label wherever the account's interactions, requests, agreed items, QBR
    notes and audit entries quote them verbatim. Audited with who, when and why."""
    person = Stakeholder.objects.select_for_update().get(pk=stakeholder.pk)
    if person.is_erased:
        raise ValidationError(_("This contact's personal data was already erased."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the data is erased (who asked, and when).")})
    label = erased_contact_label(person.pk)
    pattern = _verbatim(person)
    needles = [text.strip() for text in (person.name, person.email) if text.strip()]
    scrubbed = {}
    if pattern is not None:
        account_id = person.account_id
        scrubbed = {
            "interactions": _scrub_rows(
                Interaction.objects.filter(account_id=account_id),
                ("summary", "notes"),
                pattern,
                needles,
                label,
                {"summary": 300},
            ),
            "client_requests": _scrub_rows(
                ClientRequest.objects.filter(account_id=account_id),
                ("subject", "details"),
                pattern,
                needles,
                label,
                {"subject": 300},
            ),
            "commitments": _scrub_rows(
                Commitment.objects.filter(account_id=account_id),
                ("title",),
                pattern,
                needles,
                label,
                {"title": 300},
            ),
            "qbrs": _scrub_rows(
                QBR.objects.filter(account_id=account_id),
                ("agenda", "outcome"),
                pattern,
                needles,
                label,
                {},
            ),
        }
        for source in _SOURCES.values():
            scrubbed[source.key] = source.erase(
                stakeholder=person, pattern=pattern, needles=needles, label=label
            )
        _scrub_audit(person, pattern, needles, label)
        reason = pattern.sub(label, reason)
    person.name = label
    for field in ERASED_FIELDS[1:]:
        setattr(person, field, "")
    person.erased_at = timezone.now()
    person.erased_by = user
    person.save(update_fields=[*ERASED_FIELDS, "erased_at", "erased_by"])
    audit_record(
        actor=user,
        action=Action.ERASED,
        object_type="stakeholder",
        object_id=person.pk,
        label=label,
        account_id=person.account_id,
        changes={
            "reason": [None, reason],
            "fields": [None, ", ".join(ERASED_FIELDS)],
            **{f"{kind} edited": [None, str(count)] for kind, count in scrubbed.items() if count},
        },
    )
    return person
