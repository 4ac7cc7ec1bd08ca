"""Logging interactions and keeping commitments (STYLE.md: services)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.business_hours import BusinessCalendar
from accounts.models import Account, Stakeholder, Tier, TimelineKind, sla_hours
from accounts.selectors import calendar_for_account, calendars_of
from accounts.services import StaleEdit
from accounts.timeline import timeline_record, timeline_record_many
from activities.invites import CANCEL, Invite, invites_parse
from activities.models import (
    QBR,
    CalendarToken,
    ClientRequest,
    Commitment,
    CommitmentEvent,
    CommitmentSource,
    CommitmentStatus,
    Interaction,
    InteractionKind,
    MeetingStatus,
    Notification,
    PlannedMeeting,
    QBRStatus,
)
from activities.sla import request_deadlines
from kam.audit import Action, as_text, audit_record, changes_between, created, snapshot
from kam.bulk import rows_updated
from kam.dates import business_date
from kam.lookups import InArray, int_array
from kam.outbox import outbox_enqueue
from kam.validation import clean_row

FUTURE_TOLERANCE = timedelta(days=1)

# Sent inside the transaction after an agreed item was created, changed (fields or status) or
# deleted, with `item`, `actor`, `verb` ("created" | "updated" | "deleted") and `changes`
# ([{"field", "before", "after"}], values as text). The apps above that keep their own record
# of items connect here: the plans app files a plan action's changes on the plan's history,
# whichever screen, job or API call made them.
agreed_item_changed = Signal()


@dataclass(frozen=True)
class NextStep:
    """A next step agreed in an interaction: becomes a Commitment. Exactly one owner."""

    title: str
    due_date: date
    owner_user: object | None = None
    owner_stakeholder: Stakeholder | None = None


def _check_owner(
    account: Account,
    *,
    owner_user,
    owner_stakeholder,
    field: str,
    allow_leaders: bool = False,
    team_ids: set[int] | None = None,
) -> None:
    """One owner, on the team or among the account's stakeholders. `allow_leaders`: a leader
    or admin off the team may own it too (a playbook step addressed to the leader); what people
    type themselves stays with the team. `team_ids`: the account's team, already read."""
    if (owner_user is None) == (owner_stakeholder is None):
        raise ValidationError({field: _("Choose one owner: one of us or a client stakeholder.")})
    if (
        owner_user is not None
        and not (allow_leaders and owner_user.sees_all_accounts)
        and owner_user.pk not in (account.team_member_ids() if team_ids is None else team_ids)
    ):
        raise ValidationError(
            {field: _("%(name)s is not on this account's team.") % {"name": owner_user}}
        )
    if owner_stakeholder is not None and owner_stakeholder.account_id != account.pk:
        raise ValidationError(
            {
                field: _("%(name)s is not a stakeholder of this account.")
                % {"name": owner_stakeholder}
            }
        )


def _check_next_steps(
    account: Account, next_steps: Sequence[NextStep], *, not_before: date, too_early: str
) -> None:
    """Every next step is dated no earlier than `not_before`, has one owner on the team or among
    the account's stakeholders, and fits the Commitment's fields. Errors are keyed
    `next_steps-<index>-<field>` so forms put them on the right row."""
    for index, step in enumerate(next_steps):
        if step.due_date < not_before:
            raise ValidationError({f"next_steps-{index}-due_date": too_early})
        _check_owner(
            account,
            owner_user=step.owner_user,
            owner_stakeholder=step.owner_stakeholder,
            field=f"next_steps-{index}-owner",
        )
        # The commitment's own field rules (a blank or over-long title) before anything is
        # written: failing at INSERT time would be a DataError (a 500) instead of a field error.
        try:
            Commitment(title=step.title, due_date=step.due_date).clean_fields(
                exclude=["account", "owner_user", "owner_stakeholder", "created_by"]
            )
        except ValidationError as error:
            raise ValidationError(
                {f"next_steps-{index}-{name}": errors for name, errors in error.error_dict.items()}
            ) from error


def _commitments_from_steps(
    account: Account,
    next_steps: Sequence[NextStep],
    *,
    actor,
    occurred_at: datetime,
    source_interaction: Interaction | None = None,
    source_qbr: QBR | None = None,
) -> list[Commitment]:
    """Create the (already checked) next steps as commitments, each on the timeline."""
    commitments = []
    for step in next_steps:
        commitment = Commitment.objects.create(
            account=account,
            title=step.title,
            due_date=step.due_date,
            owner_user=step.owner_user,
            owner_stakeholder=step.owner_stakeholder,
            source=CommitmentSource.QBR if source_qbr else CommitmentSource.INTERACTION,
            source_interaction=source_interaction,
            source_qbr=source_qbr,
            created_by=actor,
        )
        _event(commitment, CommitmentEvent.Verb.CREATED, actor)
        timeline_record(
            account=account,
            kind=TimelineKind.COMMITMENT_CREATED,
            occurred_at=occurred_at,
            actor=actor,
            commitment=commitment,
        )
        commitments.append(commitment)
    return commitments


@dataclass(frozen=True)
class NewInteraction:
    """One interaction for interactions_log: the keywords of interaction_log."""

    account: Account
    actor: object  # who logs it (a user)
    kind: str
    occurred_at: datetime
    summary: str
    stakeholders: Sequence[Stakeholder] = ()
    notes: str = ""
    sentiment: int = 0
    category: str = "evolution"
    next_steps: Sequence[NextStep] = ()
    answers_request: ClientRequest | None = None
    resolves_request: bool = False


def interaction_log(*, account: Account, actor, **fields) -> Interaction:
    """Log one interaction with its next steps as commitments, all or nothing. With
    `answers_request` (an open request of this account) the interaction is its first response
    (request_respond, stamped once) and, with `resolves_request`, also resolves it. The
    keywords are NewInteraction's; the work is interactions_log's."""
    return interactions_log(items=[NewInteraction(account=account, actor=actor, **fields)])[0]


@transaction.atomic
def interactions_log(*, items: Sequence[NewInteraction]) -> list[Interaction]:
    """Log interactions, all or nothing: each checked as interaction_log's, then
    written in a few statements whatever their number (a batch of captured emails), with
    their timeline entries, next steps, request stamps, the derived last-touch figures and one
    health rescore of the accounts they touched."""
    now = timezone.now()
    rows = []
    for item in items:
        _check_interaction(item, now=now)
        row = Interaction(
            account=item.account,
            kind=item.kind,
            occurred_at=item.occurred_at,
            summary=item.summary,
            notes=item.notes,
            sentiment=item.sentiment,
            category=item.category,
            logged_by=item.actor,
        )
        clean_row(row)
        rows.append(row)
    if not rows:
        return []
    Interaction.objects.bulk_create(rows)
    links = Interaction.stakeholders.through
    links.objects.bulk_create(
        links(interaction_id=row.pk, stakeholder_id=person_id)
        for item, row in zip(items, rows, strict=True)
        for person_id in sorted({person.pk for person in item.stakeholders})
    )
    timeline_record_many([
        {"account": item.account, "kind": TimelineKind.INTERACTION,
         "occurred_at": item.occurred_at, "actor": item.actor, "interaction": row}
        for item, row in zip(items, rows, strict=True)
    ])  # fmt: skip
    for item, row in zip(items, rows, strict=True):
        _commitments_from_steps(
            item.account, item.next_steps, actor=item.actor, occurred_at=item.occurred_at,
            source_interaction=row,
        )  # fmt: skip
        request = item.answers_request
        if request is not None:
            _stamp_response(request, at=item.occurred_at, actor=item.actor, interaction=row)
            if item.resolves_request:
                _resolve(request, at=item.occurred_at, actor=item.actor, interaction=row)
    # Derived "last touch" figures, moved forward in SQL so concurrent logs never undo
    # each other (a back-dated interaction leaves a later touch in place).
    touches: dict[int, datetime] = {}
    people: dict[int, datetime] = {}
    for item in items:
        touches[item.account.pk] = max(
            item.occurred_at, touches.get(item.account.pk, item.occurred_at)
        )
        for person in item.stakeholders:
            people[person.pk] = max(item.occurred_at, people.get(person.pk, item.occurred_at))
    _move_forward(Account, "last_touch_at", touches)
    _move_forward(Stakeholder, "last_interaction_at", people)
    # The accounts' health reflects the new touch within seconds, not at night; through the
    # outbox, so a Redis outage delays the rescore but never fails the log (kam/outbox.py).
    touched = sorted({item.account.pk for item in items})
    outbox_enqueue("insights.tasks.health_chunk", touched, business_date().isoformat())
    return rows


def _check_interaction(item: NewInteraction, *, now: datetime) -> None:
    if item.occurred_at > now + FUTURE_TOLERANCE:
        raise ValidationError(
            {"occurred_at": _("An interaction cannot be more than a day in the future.")}
        )
    strangers = [s.name for s in item.stakeholders if s.account_id != item.account.pk]
    if strangers:
        raise ValidationError(
            {"stakeholders": _("Not stakeholders of this account: %(names)s.")
             % {"names": ", ".join(strangers)}}
        )  # fmt: skip
    _check_next_steps(
        item.account,
        item.next_steps,
        not_before=business_date(item.occurred_at),
        too_early=_("The due date cannot be before the interaction."),
    )
    request = item.answers_request
    if request is not None and request.account_id != item.account.pk:
        raise ValidationError({"answers_request": _("Choose a request of this account.")})


def _move_forward(model, field: str, moments: dict[int, datetime]) -> None:
    """Set `field` of the rows keyed in `moments` to the later of its value and theirs, in one
    UPDATE (the values sent as two arrays, not a CASE per row). Several rows are locked first
    in key order, so two batches never wait for each other in a circle."""
    if not moments:
        return
    keys = sorted(moments)
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.get_field(field).column)
    # Names from the model, values as parameters:
    lock = f"SELECT 1 FROM {table} WHERE id = ANY(%s::bigint[]) ORDER BY id FOR UPDATE"  # noqa: S608  # nosec B608
    update = (
        f"UPDATE {table} AS t SET {column} = GREATEST(COALESCE(t.{column}, v.at), v.at) "  # noqa: S608  # nosec B608
        "FROM unnest(%s::bigint[], %s::timestamptz[]) AS v (id, at) WHERE t.id = v.id"
    )
    ids = int_array(keys)
    with connection.cursor() as cursor:
        if len(keys) > 1:
            cursor.execute(lock, [ids])
        cursor.execute(update, [ids, [moments[pk] for pk in keys]])


# How long after logging an interaction its author may take it back (the Undo offered in the
# confirmation): long enough to notice a duplicate or the wrong account, short enough that
# nobody has acted on it yet. Later, or by anyone else, it stays on the record.
UNDO_WINDOW = timedelta(minutes=10)


def interaction_undo_refusal(interaction: Interaction, actor, *, now: datetime | None = None):
    """Why `actor` may not undo `interaction` now (a message), or None when they may."""
    if interaction.logged_by_id is None or interaction.logged_by_id != actor.pk:
        return _("Only the person who logged an interaction can undo it.")
    if (now or timezone.now()) - interaction.created_at > UNDO_WINDOW:
        return _(
            "Too late to undo: an interaction can be undone within %(minutes)s minutes of "
            "logging it."
        ) % {"minutes": int(UNDO_WINDOW.total_seconds() // 60)}
    return None


@transaction.atomic
def interaction_undo(*, interaction: Interaction, actor) -> None:
    """Take back a log its author just made (UNDO_WINDOW), with everything interaction_log did:
    the next steps it created (deleted through commitment_delete), the request it answered or
    resolved (back to unanswered / open, the resolution off the timeline), its timeline entry,
    the account's last touch and the stakeholders' last interaction (recomputed from the
    interactions that remain), and a health rescore. Audited as a deletion."""
    locked = (
        Interaction.objects.select_for_update(of=("self",))
        .select_related("account")
        .filter(pk=interaction.pk)
        .first()
    )
    if locked is None:
        raise ValidationError(_("This interaction was already removed."))
    refusal = interaction_undo_refusal(locked, actor)
    if refusal:
        raise ValidationError(refusal)
    account = locked.account
    stakeholder_ids = list(locked.stakeholders.values_list("pk", flat=True))
    steps = list(locked.commitments.filter(source=CommitmentSource.INTERACTION).order_by("pk"))
    for step in steps:
        commitment_delete(commitment=step, actor=actor)
    requests = ClientRequest.objects.filter(
        Q(first_response_interaction=locked) | Q(resolved_in_interaction=locked)
    ).order_by("pk")
    for request in requests:
        _request_unstamp(request, locked, actor=actor)
    audit_record(
        actor=actor,
        action=Action.DELETED,
        object_type="interaction",
        object_id=locked.pk,
        label=f"{account.name}: {locked.summary}",
        account_id=account.pk,
        changes={
            "kind": [locked.kind, None],
            "occurred_at": [locked.occurred_at.isoformat(), None],
            "summary": [locked.summary, None],
            **({"next_steps": [as_text([s.title for s in steps]), None]} if steps else {}),
        },
    )
    # A meeting logged by it is back among the meetings to log (its prompt returns).
    PlannedMeeting.objects.filter(logged_interaction=locked).update(
        status=MeetingStatus.SCHEDULED, logged_interaction=None
    )
    locked.delete()  # its timeline entry and stakeholder links go with it

    # The derived "last touch" figures, from the interactions that remain (in SQL, like
    # interaction_log's, so a log saved meanwhile is counted).
    def latest(**where):
        return Subquery(
            Interaction.objects.filter(**where).order_by("-occurred_at").values("occurred_at")[:1]
        )

    Account.objects.filter(pk=account.pk).update(last_touch_at=latest(account=OuterRef("pk")))
    Stakeholder.objects.filter(pk__in=stakeholder_ids).update(
        last_interaction_at=latest(stakeholders=OuterRef("pk"))
    )
    outbox_enqueue("insights.tasks.health_chunk", [account.pk], business_date().isoformat())


def _request_unstamp(request: ClientRequest, interaction: Interaction, *, actor) -> None:
    """Undo what `interaction` did to a request: the first response it carried and the
    resolution it made. A request someone resolved since keeps its resolution, answered by it."""
    locked = _locked_request(request)
    changes = {}
    if locked.resolved_in_interaction_id == interaction.pk:
        changes["resolved_at"] = [as_text(locked.resolved_at), None]
        locked.resolved_at = None
        locked.resolved_in_interaction = None
        locked.account.timeline.filter(
            kind=TimelineKind.REQUEST_RESOLVED, client_request=locked
        ).delete()
    if locked.first_response_interaction_id == interaction.pk:
        before = locked.first_response_at
        locked.first_response_at = locked.resolved_at  # None unless resolved since
        locked.first_response_interaction = None
        changes["first_response_at"] = [as_text(before), as_text(locked.first_response_at)]
    if not changes:
        return
    locked.version += 1
    locked.save(update_fields=["first_response_at", "first_response_interaction", "resolved_at",
                               "resolved_in_interaction", "version", "updated_at"])  # fmt: skip
    _audit_request(locked, actor, Action.STATUS, changes)


# ---------------------------------------------------------------------------------------------
# Agreed items (commitments, plan actions, QBR next steps, playbook steps: one model)

# The rows an agreed item may point at besides its account: where it came from, and for a plan
# action the plan and the one objective, opportunity or risk it moves.
LINK_FIELDS = frozenset(
    {
        "source_interaction",
        "source_qbr",
        "plan",
        "objective",
        "opportunity",
        "risk",
        "playbook_firing",
    }
)
# What an edit may change (status moves through complete / cancel / reopen).
EDITABLE_FIELDS = (
    "title",
    "due_date",
    "owner_user",
    "owner_stakeholder",
    "objective",
    "opportunity",
    "risk",
)


def _event(commitment: Commitment, verb: str, actor, *, reason: str = "", changes=()) -> None:
    CommitmentEvent.objects.create(
        commitment=commitment, verb=verb, actor=actor, reason=reason[:500], changes=list(changes)
    )


def _announce(item: Commitment, actor, verb: str, changes: list[dict]) -> None:
    agreed_item_changed.send(sender=Commitment, item=item, actor=actor, verb=verb, changes=changes)


def _as_created(item: Commitment) -> list[dict]:
    """A new item's fields as the changes its announcement carries."""
    return [
        {"field": name, "before": None, "after": as_text(getattr(item, name))}
        for name in ("title", "owner_user", "owner_stakeholder", "due_date", "objective",
                     "opportunity", "risk")
        if getattr(item, name) not in (None, "")
    ]  # fmt: skip


def _status_change(item: Commitment, actor, before: str) -> None:
    _announce(item, actor, "updated", [{"field": "status", "before": before,
                                        "after": item.status}])  # fmt: skip


def _check_links(account: Account, links: dict) -> None:
    """A plan action's links stay inside one plan of the item's account."""
    unknown = set(links) - LINK_FIELDS
    if unknown:
        raise TypeError(f"commitment links: unknown {sorted(unknown)}")
    plan = links.get("plan")
    if plan is not None and plan.account_id != account.pk:
        raise ValidationError({"plan": _("Choose a plan of this account.")})
    for name in ("objective", "opportunity", "risk"):
        row = links.get(name)
        if row is not None and (plan is None or row.plan_id != plan.pk):
            raise ValidationError({name: _("Choose one from this plan.")})


def _check_reason(reason: str, *, field: str = "reason", message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: message})
    return reason


@transaction.atomic
def commitment_create(
    *,
    account: Account,
    actor,
    title: str,
    due_date: date,
    owner_user=None,
    owner_stakeholder: Stakeholder | None = None,
    source: str = CommitmentSource.MANUAL,
    status: str = CommitmentStatus.OPEN,
    **links,
) -> Commitment:
    """Create an agreed item (any source); on its history and the account's timeline."""
    _check_owner(
        account,
        owner_user=owner_user,
        owner_stakeholder=owner_stakeholder,
        field="owner",
        allow_leaders=source == CommitmentSource.PLAYBOOK,
    )
    _check_links(account, links)
    commitment = Commitment(
        account=account,
        title=title,
        due_date=due_date,
        owner_user=owner_user,
        owner_stakeholder=owner_stakeholder,
        source=source,
        created_by=actor,
        **links,
    )
    clean_row(commitment)
    commitment.save()
    _event(commitment, CommitmentEvent.Verb.CREATED, actor)
    timeline_record(
        account=account,
        kind=TimelineKind.COMMITMENT_CREATED,
        occurred_at=timezone.now(),
        actor=actor,
        commitment=commitment,
    )
    _announce(commitment, actor, "created", _as_created(commitment))
    if status == CommitmentStatus.DONE:
        commitment = commitment_complete(commitment=commitment, actor=actor)
    elif status == CommitmentStatus.CANCELLED:
        commitment = commitment_cancel(
            commitment=commitment, actor=actor, reason=_("Recorded as cancelled")
        )
    return commitment


@transaction.atomic
def commitments_create_many(
    *, rows: Sequence[dict], actor, source: str = CommitmentSource.MANUAL
) -> list[Commitment]:
    """commitment_create for many open items at once (a nightly playbook run that starts
    thousands of episodes): each row holds commitment_create's keywords (account, title,
    due_date, owner_user or owner_stakeholder, links). The same owner, link and field checks,
    history events, timeline entries and announcements, in a number of queries that does not
    grow with the rows (one for the accounts' teams, then batched INSERTs). All or nothing: an
    invalid row raises before anything is written."""
    if not rows:
        return []
    teams = _team_member_ids_many([row["account"] for row in rows])
    items = []
    for row in rows:
        values = dict(row)
        account = values.pop("account")
        title, due_date = values.pop("title"), values.pop("due_date")
        owner_user = values.pop("owner_user", None)
        owner_stakeholder = values.pop("owner_stakeholder", None)
        _check_owner(
            account,
            owner_user=owner_user,
            owner_stakeholder=owner_stakeholder,
            field="owner",
            allow_leaders=source == CommitmentSource.PLAYBOOK,
            team_ids=teams[account.pk],
        )
        _check_links(account, values)
        item = Commitment(
            account=account,
            title=title,
            due_date=due_date,
            owner_user=owner_user,
            owner_stakeholder=owner_stakeholder,
            source=source,
            created_by=actor,
            **values,
        )
        clean_row(item)
        items.append(item)
    Commitment.objects.bulk_create(items, batch_size=BULK_BATCH)
    CommitmentEvent.objects.bulk_create(
        [
            CommitmentEvent(
                commitment=item, verb=CommitmentEvent.Verb.CREATED, actor=actor, changes=[]
            )
            for item in items
        ],
        batch_size=BULK_BATCH,
    )
    now = timezone.now()
    timeline_record_many(
        [
            {
                "account": item.account,
                "kind": TimelineKind.COMMITMENT_CREATED,
                "occurred_at": now,
                "actor": actor,
                "commitment": item,
            }
            for item in items
        ]
    )
    for item in items:
        _announce(item, actor, "created", _as_created(item))
    return items


BULK_BATCH = 1000


def _team_member_ids_many(accounts: Sequence[Account]) -> dict[int, set[int]]:
    """Account.team_member_ids() of many accounts in one query."""
    teams = {account.pk: {account.owner_id} for account in accounts}
    members = Account.team.through.objects.filter(account_id__in=list(teams))
    for account_id, user_id in members.values_list("account_id", "user_id"):
        teams[account_id].add(user_id)
    return teams


def _locked(commitment: Commitment, expected_version: int | None) -> Commitment:
    locked = (
        Commitment.objects.select_for_update(of=("self",))
        .select_related("account")
        .get(pk=commitment.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise StaleEdit(locked)
    return locked


@transaction.atomic
def commitment_update(
    *,
    commitment: Commitment,
    actor,
    expected_version: int | None = None,
    reason: str = "",
    **fields,
) -> Commitment:
    """Edit, reschedule (a new due date needs a reason, kept on the history) or reassign (to one
    of us or to a client stakeholder) an agreed item; `status` moves it through complete,
    cancel or reopen. With `expected_version`, only if nobody saved it since (StaleEdit)."""
    status = fields.pop("status", None)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"commitment_update: not editable {sorted(unknown)}")
    locked = _locked(commitment, expected_version)
    if status == CommitmentStatus.OPEN and not locked.is_open:
        locked = commitment_reopen(commitment=locked, actor=actor, reason=reason)
    if "owner_user" in fields and fields["owner_user"] is not None:
        fields.setdefault("owner_stakeholder", None)
    if "owner_stakeholder" in fields and fields["owner_stakeholder"] is not None:
        fields.setdefault("owner_user", None)
    before = {name: getattr(locked, name) for name in fields}
    changes = [
        {"field": name, "before": as_text(before[name]), "after": as_text(value)}
        for name, value in fields.items()
        if as_text(before[name]) != as_text(value)
    ]
    changed = {change["field"] for change in changes}
    if changes:
        if not locked.is_open:
            raise ValidationError(_("Reopen the item before changing it."))
        for name, value in fields.items():
            setattr(locked, name, value)
        if changed & {"owner_user", "owner_stakeholder"}:
            _check_owner(
                locked.account,
                owner_user=locked.owner_user,
                owner_stakeholder=locked.owner_stakeholder,
                field="owner",
            )
        _check_links(
            locked.account,
            {
                name: getattr(locked, name)
                for name in ("plan", "objective", "opportunity", "risk")
                if getattr(locked, f"{name}_id") is not None
            },
        )
        if "due_date" in changed:
            reason = _check_reason(reason, message=_("Say why the due date moves."))
        clean_row(locked)
        locked.version += 1
        locked.save()
        if "due_date" in changed:
            verb = CommitmentEvent.Verb.RESCHEDULED
        elif changed & {"owner_user", "owner_stakeholder"}:
            verb = CommitmentEvent.Verb.REASSIGNED
        else:
            verb = CommitmentEvent.Verb.EDITED
        _event(locked, verb, actor, reason=reason, changes=changes)
        _announce(locked, actor, "updated", changes)
    if status is not None and status != locked.status:
        transition = {
            CommitmentStatus.DONE: commitment_complete,
            CommitmentStatus.OPEN: commitment_reopen,
        }.get(status)
        if transition is not None:
            locked = transition(commitment=locked, actor=actor)
        elif status == CommitmentStatus.CANCELLED:
            locked = commitment_cancel(
                commitment=locked, actor=actor, reason=reason or _("Recorded as cancelled")
            )
        else:
            raise ValidationError({"status": _("Choose a valid status.")})
    return locked


@transaction.atomic
def commitment_complete(*, commitment: Commitment, actor) -> Commitment:
    """Mark done (once: a second click changes nothing) and put it on the timeline."""
    now = timezone.now()
    changed = Commitment.objects.filter(pk=commitment.pk, status=CommitmentStatus.OPEN).update(
        status=CommitmentStatus.DONE, done_at=now, version=F("version") + 1
    )
    commitment.refresh_from_db()
    if changed:
        _event(commitment, CommitmentEvent.Verb.COMPLETED, actor)
        _status_change(commitment, actor, CommitmentStatus.OPEN)
        timeline_record(
            account=commitment.account,
            kind=TimelineKind.COMMITMENT_DONE,
            occurred_at=now,
            actor=actor,
            commitment=commitment,
        )
    return commitment


@transaction.atomic
def commitment_reopen(*, commitment: Commitment, actor, reason: str = "") -> Commitment:
    """Undo a completion or a cancellation: back to open, and off the timeline."""
    before = Commitment.objects.values_list("status", flat=True).get(pk=commitment.pk)
    changed = Commitment.objects.filter(
        Q(status=CommitmentStatus.DONE) | Q(status=CommitmentStatus.CANCELLED), pk=commitment.pk
    ).update(status=CommitmentStatus.OPEN, done_at=None, version=F("version") + 1)
    if changed:
        commitment.account.timeline.filter(
            kind=TimelineKind.COMMITMENT_DONE, commitment=commitment
        ).delete()
        _event(commitment, CommitmentEvent.Verb.REOPENED, actor, reason=reason)
    commitment.refresh_from_db()
    if changed:
        _status_change(commitment, actor, before)
    return commitment


@transaction.atomic
def commitment_cancel(
    *, commitment: Commitment, actor, reason: str = "", expected_version: int | None = None
) -> Commitment:
    """Cancel an open item; the reason is required and kept on its history. Cancelling it
    again changes nothing; one done meanwhile is refused (reopen it first), and with
    `expected_version`, so is one anybody saved since (StaleEdit)."""
    reason = _check_reason(reason, message=_("Say why it is cancelled."))
    if _locked(commitment, expected_version).status == CommitmentStatus.DONE:
        raise ValidationError(_("This item is done: reopen it before cancelling it."))
    changed = Commitment.objects.filter(pk=commitment.pk, status=CommitmentStatus.OPEN).update(
        status=CommitmentStatus.CANCELLED, version=F("version") + 1
    )
    commitment.refresh_from_db()
    if changed:
        _event(commitment, CommitmentEvent.Verb.CANCELLED, actor, reason=reason)
        _status_change(commitment, actor, CommitmentStatus.OPEN)
    return commitment


@transaction.atomic
def commitment_delete(*, commitment: Commitment, actor) -> None:
    """Remove an item entered by mistake (a plan's "remove action"); its history goes with it.
    Anything agreed with the client is cancelled with a reason instead."""
    locked = _locked(commitment, None)
    changes = [
        {"field": name, "before": as_text(getattr(locked, name)), "after": None}
        for name in ("title", "owner_user", "owner_stakeholder", "due_date", "status")
        if getattr(locked, name) not in (None, "")
    ]
    pk = locked.pk
    locked.delete()
    locked.pk = pk
    _announce(locked, actor, "deleted", changes)


# ---------------------------------------------------------------------------------------------
# QBRs


def _check_qbr_people(account: Account, *, attendees: Sequence, stakeholders: Sequence) -> None:
    """Client attendees are this account's stakeholders; ours are people who see the account
    (its team, or a leader or admin, who see every account)."""
    strangers = [s.name for s in stakeholders if s.account_id != account.pk]
    if strangers:
        raise ValidationError(
            {"stakeholders": _("Not stakeholders of this account: %(names)s.")
             % {"names": ", ".join(strangers)}}
        )  # fmt: skip
    team = account.team_member_ids()
    outside = [str(u) for u in attendees if u.pk not in team and not u.sees_all_accounts]
    if outside:
        raise ValidationError(
            {"attendees": _("Not on this account's team: %(names)s.")
             % {"names": ", ".join(outside)}}
        )  # fmt: skip


@transaction.atomic
def qbr_schedule(
    *,
    account: Account,
    actor,
    scheduled_on: date,
    scheduled_time: time | None = None,
    agenda: str = "",
    attendees: Sequence = (),
    stakeholders: Sequence[Stakeholder] = (),
) -> QBR:
    _check_qbr_people(account, attendees=attendees, stakeholders=stakeholders)
    qbr = QBR(
        account=account,
        scheduled_on=scheduled_on,
        scheduled_time=scheduled_time,
        agenda=agenda,
        created_by=actor,
    )
    clean_row(qbr)
    qbr.save()
    qbr.attendees.set(attendees)
    qbr.stakeholders.set(stakeholders)
    return qbr


@transaction.atomic
def qbr_hold(
    *,
    qbr: QBR,
    actor,
    held_at: datetime,
    outcome: str = "",
    rating: int | None = None,
    attendees: Sequence = (),
    stakeholders: Sequence[Stakeholder] = (),
    next_steps: Sequence[NextStep] = (),
) -> QBR:
    """Record a planned QBR as held: outcome, rating, who came, and next steps that become
    commitments (sourced to the QBR), all on the timeline; all or nothing."""
    # Locked so two people recording the same review at once cannot both write next steps.
    locked = QBR.objects.select_for_update().get(pk=qbr.pk)
    if locked.status == QBRStatus.HELD:
        raise ValidationError(_("This QBR was already recorded as held."))
    if locked.status == QBRStatus.CANCELLED:
        raise ValidationError(_("This QBR was cancelled; schedule a new one."))
    account = qbr.account
    if held_at > timezone.now():
        raise ValidationError({"held_at": _("A QBR cannot be held in the future.")})
    _check_qbr_people(account, attendees=attendees, stakeholders=stakeholders)
    _check_next_steps(
        account,
        next_steps,
        not_before=business_date(held_at),
        too_early=_("The due date cannot be before the QBR."),
    )
    locked.status = QBRStatus.HELD
    locked.held_at = held_at
    locked.outcome = outcome
    locked.rating = rating
    clean_row(locked)
    locked.save(update_fields=["status", "held_at", "outcome", "rating"])
    Account.objects.filter(pk=locked.account_id).filter(
        Q(last_qbr_held_at__isnull=True) | Q(last_qbr_held_at__lt=held_at)
    ).update(last_qbr_held_at=held_at)
    locked.attendees.set(attendees)
    locked.stakeholders.set(stakeholders)
    timeline_record(
        account=account, kind=TimelineKind.QBR_HELD, occurred_at=held_at, actor=actor, qbr=locked
    )
    _commitments_from_steps(
        account, next_steps, actor=actor, occurred_at=held_at, source_qbr=locked
    )
    return locked


@transaction.atomic
def qbr_cancel(*, qbr: QBR, actor) -> QBR:
    """Cancel a planned QBR (a held one stays held; a second click changes nothing)."""
    QBR.objects.filter(pk=qbr.pk, status=QBRStatus.PLANNED).update(status=QBRStatus.CANCELLED)
    qbr.refresh_from_db()
    return qbr


# ---------------------------------------------------------------------------------------------
# Calendar feed


@transaction.atomic
def calendar_token_regenerate(*, user) -> CalendarToken:
    """Revoke the live token (its URL stops working) and issue a new one."""
    calendar_token_revoke(user=user)
    return CalendarToken.objects.create(user=user)


@transaction.atomic
def calendar_token_revoke(*, user) -> int:
    return CalendarToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


@transaction.atomic
def notifications_send(*, notices: list[Notification]) -> int:
    """Deliver in-app notices, at most one open (unread, unresolved) per subject: (person,
    account, kind, ref). A new event about a subject with an open notice refreshes it (its
    words, day and time) instead of adding another beside it; one already sent that day and
    read or resolved is not sent again (notification_once_per_day). The open rows are locked,
    and a concurrent run's insert that loses the race is dropped by the partial unique
    constraint notification_one_open_per_subject. Returns how many notices were offered
    or refreshed."""
    if not notices:
        return 0
    now = timezone.now()
    accounts = {n.account_id for n in notices}
    about = Q(account_id__in=accounts - {None})
    if None in accounts:  # the digest is about no account
        about |= Q(account__isnull=True)
    known = Notification.objects.select_for_update().filter(
        about,
        Q(read_at=None, resolved_at=None) | Q(day__in={n.day for n in notices}),
        user_id__in={n.user_id for n in notices},
        kind__in={n.kind for n in notices},
    )
    open_rows, sent_on = {}, set()
    for row in known:
        subject = (row.user_id, row.account_id, row.kind, row.ref)
        if row.read_at is None and row.resolved_at is None:
            open_rows[subject] = row
        sent_on.add((*subject, row.day))
    refreshed, added = [], []
    for notice in notices:
        subject = (notice.user_id, notice.account_id, notice.kind, notice.ref)
        row = open_rows.get(subject)
        if row is not None:
            if row.day != notice.day and (*subject, notice.day) in sent_on:
                continue  # that day's notice was read already: not again
            row.params, row.day, row.created_at = notice.params, notice.day, now
            refreshed.append(row)
        elif (*subject, notice.day) not in sent_on:
            notice.created_at = now
            added.append(notice)
    rows_updated(Notification, refreshed, ["params", "day", "created_at"])
    created = Notification.objects.bulk_create(added, ignore_conflicts=True)
    return len(refreshed) + len(created)


def notifications_mark_read(*, user) -> int:
    """Mark every unread notification of `user` read; returns how many."""
    return Notification.objects.filter(user=user, read_at=None).update(read_at=timezone.now())


# ---------------------------------------------------------------------------------------------
# Client requests and their SLA clocks

# The fields a person edits on a request (forms, the API and request_update use this list).
REQUEST_FIELDS = (
    "requester",
    "channel",
    "subject",
    "details",
    "priority",
    "received_at",
    "owner",
)
# What the due moments depend on: changing one recomputes them.
DEADLINE_INPUTS = {"received_at", "priority"}


def _check_request(request: ClientRequest, account: Account) -> None:
    """The owner may own our side of the account's commitments (its owner or team); the
    requester is one of its stakeholders; the request did not arrive in the future."""
    if request.owner_id is not None and request.owner_id not in account.team_member_ids():
        raise ValidationError(
            {"owner": _("%(name)s is not on this account's team.") % {"name": request.owner}}
        )
    if request.requester is not None and request.requester.account_id != account.pk:
        raise ValidationError(
            {"requester": _("%(name)s is not a stakeholder of this account.")
             % {"name": request.requester}}
        )  # fmt: skip
    if request.received_at is not None and request.received_at > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError(
            {"received_at": _("A request cannot arrive more than a day in the future.")}
        )


def _apply_deadlines(
    request: ClientRequest,
    calendar: BusinessCalendar,
    tier,
    *,
    response: bool = True,
    resolution: bool = True,
) -> None:
    """Set the due and warning moments of the clocks asked for from the tier's targets."""
    response_hours, resolution_hours = sla_hours(tier, request.priority)
    deadlines = request_deadlines(
        calendar,
        request.received_at,
        response_hours=response_hours,
        resolution_hours=resolution_hours,
    )
    if response:
        request.first_response_due_at = deadlines.first_response_due_at
        request.first_response_warning_at = deadlines.first_response_warning_at
    if resolution:
        request.resolution_due_at = deadlines.resolution_due_at
        request.resolution_warning_at = deadlines.resolution_warning_at


def _audit_request(request: ClientRequest, actor, action: str, changes: dict) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="client_request",
        object_id=request.pk,
        label=request.subject,
        account_id=request.account_id,
        changes=changes,
    )


def _check_moment(request: ClientRequest, at: datetime, field: str) -> None:
    if at < request.received_at:
        raise ValidationError({field: _("This cannot be before the request was received.")})
    if at > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError({field: _("This cannot be more than a day in the future.")})


@transaction.atomic
def request_create(
    *,
    account: Account,
    actor,
    subject: str,
    received_at: datetime,
    channel: str = "email",
    priority: str = "normal",
    requester: Stakeholder | None = None,
    details: str = "",
    owner=None,
) -> ClientRequest:
    """Record a client request; its SLA clocks start at `received_at` (the account's working
    calendar and tier targets). The owner defaults to the account's owner."""
    request = ClientRequest(
        account=account,
        requester=requester,
        channel=channel,
        subject=subject,
        details=details,
        priority=priority,
        received_at=received_at,
        owner=owner if owner is not None else account.owner,
        created_by=actor,
    )
    clean_row(request)
    _check_request(request, account)
    _apply_deadlines(request, calendar_for_account(account), account.tier)
    request.save()
    _audit_request(request, actor, Action.CREATED, created(snapshot(request, REQUEST_FIELDS)))
    timeline_record(
        account=account,
        kind=TimelineKind.REQUEST_RECEIVED,
        occurred_at=received_at,
        actor=actor,
        client_request=request,
    )
    return request


def _locked_request(request: ClientRequest) -> ClientRequest:
    # Only the request's row: the account and tier are read, not locked (FOR UPDATE refuses
    # the nullable side of the join to the optional tier).
    return (
        ClientRequest.objects.select_for_update(of=("self",))
        .select_related("account", "account__tier", "owner", "requester")
        .get(pk=request.pk)
    )


def _refresh(request: ClientRequest, locked: ClientRequest) -> ClientRequest:
    """Copy the saved row onto the caller's instance (views and the API keep using it)."""
    for field in ClientRequest._meta.concrete_fields:
        setattr(request, field.attname, getattr(locked, field.attname))
    return locked


@transaction.atomic
def request_update(
    *, client_request: ClientRequest, actor, expected_version: int, **fields
) -> ClientRequest:
    """Save the request's own fields only if nobody saved it since `expected_version` was read;
    else raise StaleEdit carrying the request as it is now. Changing when it arrived or its
    priority recomputes both clocks' due moments."""
    unknown = set(fields) - set(REQUEST_FIELDS)
    if unknown:
        raise TypeError(f"not request fields: {sorted(unknown)}")
    locked = _locked_request(client_request)
    if locked.version != expected_version:
        raise StaleEdit(locked)
    account = locked.account
    before = snapshot(locked, fields)
    for name, value in fields.items():
        setattr(locked, name, value)
    clean_row(locked)
    _check_request(locked, account)
    for moment in ("first_response_at", "resolved_at"):
        if getattr(locked, moment) is not None and getattr(locked, moment) < locked.received_at:
            raise ValidationError(
                {"received_at": _("The request was answered or resolved before this moment.")}
            )
    changes = changes_between(before, snapshot(locked, fields))
    if not changes:
        return _refresh(client_request, locked)
    if DEADLINE_INPUTS & set(changes):
        _apply_deadlines(locked, calendar_for_account(account), account.tier)
    if "received_at" in changes:
        account.timeline.filter(kind=TimelineKind.REQUEST_RECEIVED, client_request=locked).update(
            occurred_at=locked.received_at
        )
    locked.version += 1
    locked.save()
    _audit_request(locked, actor, Action.UPDATED, changes)
    return _refresh(client_request, locked)


def _stamp_response(
    request: ClientRequest, *, at: datetime, actor, interaction: Interaction | None
) -> ClientRequest:
    locked = _locked_request(request)
    if locked.first_response_at is not None:
        return _refresh(request, locked)
    if locked.resolved_at is not None:
        return _refresh(request, locked)
    _check_moment(locked, at, "first_response_at")
    locked.first_response_at = at
    locked.first_response_interaction = interaction
    locked.version += 1
    locked.save(update_fields=["first_response_at", "first_response_interaction", "version",
                               "updated_at"])  # fmt: skip
    _audit_request(locked, actor, Action.STATUS, {"first_response_at": [None, at.isoformat()]})
    return _refresh(request, locked)


def _resolve(
    request: ClientRequest, *, at: datetime, actor, interaction: Interaction | None = None
) -> ClientRequest:
    locked = _locked_request(request)
    if locked.resolved_at is not None:
        return _refresh(request, locked)
    _check_moment(locked, at, "resolved_at")
    changes = {"resolved_at": [None, at.isoformat()]}
    if locked.first_response_at is None:
        # The answer that solves it is also the first answer.
        locked.first_response_at = at
        changes["first_response_at"] = [None, at.isoformat()]
    elif at < locked.first_response_at:
        raise ValidationError(
            {"resolved_at": _("A request cannot be resolved before its first response.")}
        )
    locked.resolved_at = at
    locked.resolved_in_interaction = interaction
    locked.version += 1
    locked.save(update_fields=["first_response_at", "resolved_at", "resolved_in_interaction",
                               "version", "updated_at"])  # fmt: skip
    _audit_request(locked, actor, Action.STATUS, changes)
    timeline_record(
        account=locked.account,
        kind=TimelineKind.REQUEST_RESOLVED,
        occurred_at=at,
        actor=actor,
        client_request=locked,
    )
    return _refresh(request, locked)


@transaction.atomic
def request_respond(
    *, client_request: ClientRequest, at: datetime, actor, interaction: Interaction | None = None
) -> ClientRequest:
    """Stamp the first response at `at` (once: a request already answered, or resolved, stays
    as it is), optionally linked to the interaction that carried it."""
    if interaction is not None and interaction.account_id != client_request.account_id:
        raise ValidationError({"interaction": _("Choose an interaction of this account.")})
    return _stamp_response(client_request, at=at, actor=actor, interaction=interaction)


@transaction.atomic
def request_resolve(*, client_request: ClientRequest, at: datetime, actor) -> ClientRequest:
    """Resolve at `at` (once); an unanswered request is answered by its resolution."""
    return _resolve(client_request, at=at, actor=actor)


@transaction.atomic
def request_reopen(*, client_request: ClientRequest, actor) -> ClientRequest:
    """Back to open (the first response stays): the resolution clock runs again against its
    due moment, and the resolution leaves the timeline."""
    locked = _locked_request(client_request)
    if locked.resolved_at is None:
        return _refresh(client_request, locked)
    changes = {"resolved_at": [locked.resolved_at.isoformat(), None]}
    locked.resolved_at = None
    locked.resolved_in_interaction = None
    locked.version += 1
    locked.save(update_fields=["resolved_at", "resolved_in_interaction", "version", "updated_at"])
    locked.account.timeline.filter(
        kind=TimelineKind.REQUEST_RESOLVED, client_request=locked
    ).delete()
    _audit_request(locked, actor, Action.STATUS, changes)
    return _refresh(client_request, locked)


REFRESH_CHUNK = 500


@transaction.atomic
def requests_deadlines_refresh(
    *, account_ids: Sequence[int] | None = None, stopped: bool = False
) -> int:
    """Recompute the due moments of the clocks still running (an unanswered request's first
    response, an open request's resolution) after the tier policy, an account's tier or its
    calendar changed; a clock that stopped keeps the target it was measured against. Returns
    how many requests changed. Idempotent.

    `stopped=True` recomputes every clock, the stopped ones too, from today's targets: only for
    rows that never had theirs (the large demo's bulk load)."""
    fields = [
        "first_response_due_at",
        "first_response_warning_at",
        "resolution_due_at",
        "resolution_warning_at",
    ]
    rows = ClientRequest.objects.all() if stopped else ClientRequest.objects.open()
    # The columns the clocks read; a batch's accounts are read once for their calendars and
    # tiers (not each request's whole account row).
    rows = rows.only("account_id", "priority", "received_at", "first_response_at", *fields)
    rows = rows.order_by("pk")
    if account_ids is not None:
        rows = rows.filter(InArray(F("account_id"), account_ids))
    changed = []
    batch: list[ClientRequest] = []

    def flush() -> None:
        accounts = list(
            Account.objects.filter(pk__in={r.account_id for r in batch}).only("owner_id", "tier_id")
        )
        calendars = calendars_of(accounts)
        tier_of = {account.pk: account.tier_id for account in accounts}
        tiers = Tier.objects.in_bulk(set(tier_of.values()) - {None})
        for request in batch:
            before = [getattr(request, name) for name in fields]
            _apply_deadlines(
                request,
                calendars[request.account_id],
                tiers.get(tier_of[request.account_id]),
                response=stopped or request.first_response_at is None,
            )
            if [getattr(request, name) for name in fields] != before:
                changed.append(request)
        batch.clear()

    for request in rows.iterator(chunk_size=REFRESH_CHUNK):
        batch.append(request)
        if len(batch) >= REFRESH_CHUNK:
            flush()
    if batch:
        flush()
    # One UPDATE from the rows' documents (kam.bulk): bulk_update's CASE WHEN per row and
    # field took three quarters of the refresh (bench/README.md, "The 100,000-account data").
    rows_updated(ClientRequest, changed, fields)
    return len(changed)


# ---------------------------------------------------------------------------------------------
# Planned meetings (calendar invites, issue 17)


def _meeting_people(account: Account, invite: Invite, *, user) -> tuple[list[Stakeholder], list]:
    """The invite's addresses (organizer first) matched, case-blind, to the account's active
    stakeholders; the rest stay as addresses, without the user's own."""
    emails = list(dict.fromkeys(e for e in (invite.organizer_email, *invite.attendee_emails) if e))
    matched = []
    if emails:
        any_email = Q()
        for email in emails:
            any_email |= Q(email__iexact=email)
        matched = list(
            Stakeholder.objects.filter(any_email, account=account, left_on__isnull=True).order_by(
                "name", "pk"
            )
        )
    known = {s.email.lower() for s in matched}
    own = (getattr(user, "email", "") or "").lower()
    return matched, [e for e in emails if e not in known and e != own]


@transaction.atomic
def meeting_invite_apply(*, user, account: Account, invite: Invite) -> PlannedMeeting:
    """One invite for `user` on `account`. A REQUEST creates the planned meeting or, with the
    same UID and a sequence at least the stored one, moves and renames it (an UPDATE is such a
    REQUEST). A CANCEL with such a sequence cancels it. An older sequence changes nothing (mail
    arrives out of order), nor does anything on a meeting already logged. A cancelled meeting
    comes back only with a newer sequence. The caller checked that `user` may edit `account`."""
    meeting = PlannedMeeting.objects.select_for_update().filter(owner=user, uid=invite.uid).first()
    if meeting is not None and (
        invite.sequence < meeting.sequence or meeting.status == MeetingStatus.LOGGED
    ):
        return meeting
    if invite.method == CANCEL:
        if meeting is None:
            if invite.starts_at is None:
                raise ValidationError(_("There is no planned meeting for this cancellation."))
            # Kept as cancelled, so that the invitation arriving after it is not taken.
            meeting = PlannedMeeting(owner=user, uid=invite.uid, account=account)
            _meeting_fields(meeting, invite)
        meeting.sequence = invite.sequence
        meeting.status = MeetingStatus.CANCELLED
        clean_row(meeting)
        meeting.save()
        return meeting
    if (
        meeting is not None
        and meeting.status == MeetingStatus.CANCELLED
        and invite.sequence == meeting.sequence
    ):
        return meeting
    if meeting is None:
        meeting = PlannedMeeting(owner=user, uid=invite.uid)
    moved = meeting.pk is not None and (
        meeting.starts_at != invite.starts_at or meeting.ends_at != invite.ends_at
    )
    meeting.account = account
    _meeting_fields(meeting, invite)
    meeting.sequence = invite.sequence
    meeting.status = MeetingStatus.SCHEDULED
    if moved:
        meeting.prompt_dismissed_at = None  # a new time is a new prompt after it
    stakeholders, others = _meeting_people(account, invite, user=user)
    meeting.attendee_emails = others
    clean_row(meeting)
    meeting.save()
    meeting.attendees.set(stakeholders)
    return meeting


@transaction.atomic
def meeting_invites_apply_text(*, user, account: Account, text: str) -> list[PlannedMeeting]:
    """Every event of a text/calendar part or .ics file, applied for `user` on `account`
    (meeting_invite_apply), all or none; times without a zone are read in the current time
    zone. Raises activities.invites.InviteRefused (junk) or ValidationError."""
    invites = invites_parse(text, default_tz=timezone.get_current_timezone())
    return [meeting_invite_apply(user=user, account=account, invite=i) for i in invites]


def _meeting_fields(meeting: PlannedMeeting, invite: Invite) -> None:
    meeting.title = invite.summary or _("Meeting")
    meeting.description = invite.description
    meeting.location = invite.location
    meeting.starts_at = invite.starts_at
    meeting.ends_at = invite.ends_at
    meeting.recurring = invite.recurring
    meeting.organizer_email = invite.organizer_email


def _locked_meeting(meeting: PlannedMeeting) -> PlannedMeeting:
    locked = PlannedMeeting.objects.select_for_update().filter(pk=meeting.pk).first()
    if locked is None:
        raise ValidationError(_("This planned meeting was removed."))
    if locked.status != MeetingStatus.SCHEDULED:
        raise ValidationError(
            _("This meeting is already %(status)s.") % {"status": locked.get_status_display()}
        )
    return locked


@transaction.atomic
def meeting_log(
    *,
    user,
    meeting: PlannedMeeting,
    occurred_at: datetime,
    summary: str,
    stakeholders: Sequence[Stakeholder] = (),
    notes: str = "",
    sentiment: int = 0,
    category: str = "evolution",
    next_steps: Sequence[NextStep] = (),
    kind: str = InteractionKind.MEETING,
    answers_request: ClientRequest | None = None,
    resolves_request: bool = False,
) -> Interaction:
    """A planned meeting of `user`'s, over, logged as an interaction with its outcome and next
    steps (interaction_log, the quick log's service); the meeting is then logged and its prompt
    gone. Only its owner logs it, once."""
    locked = _locked_meeting(meeting)
    if locked.owner_id != user.pk:
        raise ValidationError(_("Only the person the invitation was for can log this meeting."))
    interaction = interaction_log(
        account=locked.account,
        actor=user,
        kind=kind,
        occurred_at=occurred_at,
        summary=summary,
        stakeholders=stakeholders,
        notes=notes,
        sentiment=sentiment,
        category=category,
        next_steps=next_steps,
        answers_request=answers_request,
        resolves_request=resolves_request,
    )
    locked.status = MeetingStatus.LOGGED
    locked.logged_interaction = interaction
    locked.save(update_fields=["status", "logged_interaction", "updated_at"])
    meeting.status, meeting.logged_interaction = locked.status, interaction
    return interaction


@transaction.atomic
def meeting_dismiss(*, user, meeting: PlannedMeeting) -> PlannedMeeting:
    """No log for this meeting: its prompt leaves My work (the meeting stays scheduled)."""
    locked = _locked_meeting(meeting)
    if locked.owner_id != user.pk:
        raise ValidationError(_("Only the person the invitation was for can dismiss this."))
    locked.prompt_dismissed_at = timezone.now()
    locked.save(update_fields=["prompt_dismissed_at", "updated_at"])
    return locked
