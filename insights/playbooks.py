"""Playbooks: when a signal shows on an account, its steps become agreed items, once per episode
(docs/playbooks.md).

`playbooks_evaluate` works out each active playbook's condition for every account at once (one
query per playbook, whatever the number of accounts), then:

- clears the open firings whose condition no longer holds (or holds for another episode, e.g.
  another owner): `UPDATE … SET cleared_at = now WHERE cleared_at IS NULL`;
- opens a firing where the condition holds and none is open: `INSERT … ON CONFLICT DO NOTHING
  RETURNING`, against the partial unique index "one open firing per (playbook, account)". Only
  the run whose INSERT returned the row creates its items, its timeline entry and its audit
  event; a concurrent run waits on the index entry and then inserts nothing.

It runs nightly (beat, after scoring), from `manage.py evaluate_playbooks`, and for one account
right after an event that can start an episode (the services queue
`insights.tasks.playbooks_evaluate_accounts` through the outbox)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone, translation

from accounts.models import (
    BAND_ORDER,
    NPS_DETRACTOR_MAX,
    Account,
    SatisfactionEntry,
    TimelineKind,
)
from accounts.selectors import current_config
from accounts.timeline import timeline_record_many
from activities.defaults import DEFAULT_PLAYBOOKS
from activities.models import (
    ClientRequest,
    CommitmentSource,
    Playbook,
    PlaybookFiring,
    PlaybookStep,
    PlaybookTrigger,
    StepOwner,
    first_response_breached_q,
    resolution_breached_q,
)
from activities.services import commitments_create_many
from kam.audit import (
    Action,
    audit_event,
    audit_record,
    audit_record_many,
    changes_between,
    created,
    snapshot,
)
from kam.dates import as_of, business_date
from kam.lookups import InArray, int_array
from kam.models import AuditEvent, Role, User

# ---------------------------------------------------------------------------------------------
# Conditions: for one playbook, the accounts where its trigger holds now, each with its
# episode key. One query each; every rule comes from its one definition (docs/architecture.md).


def _holding(playbook: Playbook, accounts: QuerySet, today: date, cadence: int) -> QuerySet:
    trigger, days = playbook.trigger, playbook.days_or_default
    if trigger == PlaybookTrigger.HEALTH_BAND:
        # "Drops to X": the band is X or a worse one ("unknown" is no band at all).
        worst = BAND_ORDER[playbook.band]
        bands = [band for band, rank in BAND_ORDER.items() if 0 < rank <= worst]
        return accounts.filter(health_band__in=bands)
    if trigger == PlaybookTrigger.KEY_CONTACT_LEFT:
        return accounts.with_open_departure()
    if trigger == PlaybookTrigger.RENEWAL_WITHIN:
        return accounts.renewal_within(today, days)
    if trigger == PlaybookTrigger.QBR_OVERDUE:
        return accounts.qbr_overdue(today)
    if trigger == PlaybookTrigger.TOUCH_OVERDUE:
        # N days of slack through the touch rule itself: last touch + cadence + N < today is
        # last touch + cadence < today - N.
        return accounts.touch_overdue(today - timedelta(days=days), cadence)
    if trigger == PlaybookTrigger.NPS_DETRACTOR:
        answers = SatisfactionEntry.objects.filter(
            kind=SatisfactionEntry.Kind.NPS, recorded_on__lte=today
        )
        latest = answers.filter(account=OuterRef("pk")).order_by("-recorded_on", "-pk")
        # The latest answer is read only for accounts that ever had a detractor answer.
        return (
            accounts.filter(
                pk__in=answers.filter(score__lte=NPS_DETRACTOR_MAX).values("account_id")
            )
            .annotate(latest_nps=Subquery(latest.values("score")[:1]))
            .filter(latest_nps__lte=NPS_DETRACTOR_MAX)
        )
    if trigger == PlaybookTrigger.ACCOUNT_ASSIGNED:
        return accounts.owner_assigned_within(today, days)
    if trigger == PlaybookTrigger.SLA_BREACHED:
        # Holds while a request of the account is still open with a clock past its target
        # (first response or resolution: the SLA rules of activities.models); clears once
        # every such request is resolved. Evaluated for another day: as that day ended.
        moment = as_of(today)
        breached = ClientRequest.objects.open().filter(
            first_response_breached_q(moment) | resolution_breached_q(moment)
        )
        return accounts.filter(pk__in=breached.values("account_id"))
    raise ValueError(f"unknown trigger {trigger!r}")


def _episode_key(playbook: Playbook, owner_id: int) -> str:
    """A new owner is a new "account assigned" episode; other triggers have one kind each."""
    return f"owner:{owner_id}" if playbook.trigger == PlaybookTrigger.ACCOUNT_ASSIGNED else ""


def playbook_conditions(
    playbook: Playbook, *, today: date, account_ids: Sequence[int] | None = None, cadence: int = 30
) -> dict[int, str]:
    """{account id: episode key} of the live accounts (of the playbook's tiers, if any) where
    the trigger holds on `today`."""
    accounts = Account.objects.live()
    if account_ids is not None:
        accounts = accounts.filter(InArray(F("pk"), account_ids))
    tier_ids = [tier.pk for tier in playbook.tiers.all()]
    if tier_ids:
        accounts = accounts.filter(tier_id__in=tier_ids)
    rows = _holding(playbook, accounts, today, cadence).values_list("pk", "owner_id")
    return {pk: _episode_key(playbook, owner_id) for pk, owner_id in rows}


# ---------------------------------------------------------------------------------------------
# Evaluation


@dataclass
class _Opened:
    pk: int
    playbook_id: int
    account_id: int


def _active_playbooks(playbook_ids: Iterable[int] | None = None) -> list[Playbook]:
    playbooks = Playbook.objects.filter(is_active=True).prefetch_related(
        "tiers", Prefetch("steps", queryset=PlaybookStep.objects.select_related("user"))
    )
    if playbook_ids is not None:
        playbooks = playbooks.filter(pk__in=list(playbook_ids))
    return list(playbooks.order_by("pk"))


def _open_firings(playbooks: list[Playbook], account_ids: Sequence[int] | None):
    firings = PlaybookFiring.objects.filter(
        cleared_at__isnull=True, playbook_id__in=[p.pk for p in playbooks]
    )
    if account_ids is not None:
        firings = firings.filter(InArray(F("account_id"), account_ids))
    return firings.values_list("pk", "playbook_id", "account_id", "episode_key")


def _insert_firings(rows: list[tuple[int, int, str, int]], now) -> list[_Opened]:
    """INSERT … ON CONFLICT DO NOTHING against playbook_firing_one_open: returns only the rows
    this statement inserted (a concurrent run's row makes ours a no-op)."""
    if not rows:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO activities_playbookfiring
                (playbook_id, account_id, episode_key, playbook_version, fired_at, cleared_at)
            SELECT v.playbook_id, v.account_id, v.episode_key, v.version, %s, NULL
            FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[], %s::integer[])
                AS v (playbook_id, account_id, episode_key, version)
            ON CONFLICT (playbook_id, account_id) WHERE cleared_at IS NULL DO NOTHING
            RETURNING id, playbook_id, account_id
            """,
            [
                now,
                int_array(row[0] for row in rows),
                int_array(row[1] for row in rows),
                [row[2] for row in rows],
                int_array(row[3] for row in rows),
            ],
        )
        return [_Opened(*row) for row in cursor.fetchall()]


class _Owners:
    """Who owns a step's item on one account: the account owner; the owner's manager when that
    is an active leader or admin, else the first active leader, else the account owner; a
    named user when active and allowed to own items on the account, else the account owner."""

    def __init__(self):
        self._first_leader: User | bool | None = False

    def first_leader(self) -> User | None:
        if self._first_leader is False:
            self._first_leader = (
                User.objects.filter(role=Role.LEADER, is_active=True).order_by("pk").first()
            )
        return self._first_leader

    def for_step(self, step: PlaybookStep, account: Account) -> User:
        owner = account.owner
        if step.owner_role == StepOwner.LEADER:
            manager = owner.manager
            if manager is not None and manager.is_active and manager.sees_all_accounts:
                return manager
            return self.first_leader() or owner
        if step.owner_role == StepOwner.NAMED_USER and step.user is not None:
            user = step.user
            if user.is_active and (user.sees_all_accounts or user.pk in account.team_member_ids()):
                return user
        return owner


def _texts(playbook: Playbook) -> tuple[list[tuple[PlaybookStep, str]], str]:
    """The steps with their titles, and the playbook's name, in the installation's language:
    items are written as a person would have typed them."""
    with translation.override(settings.LANGUAGE_CODE):
        steps = [(step, step.display_title) for step in playbook.steps.all()]
        return steps, playbook.display_name


def _fire(
    firing: PlaybookFiring,
    playbook: Playbook,
    texts: tuple[list[tuple[PlaybookStep, str]], str],
    today: date,
    owners: _Owners,
) -> tuple[list[dict], dict, AuditEvent]:
    """What a firing this run opened writes: its items (commitments_create_many's rows), its
    timeline entry and its audit event; the caller writes those of all firings at once."""
    account = firing.account
    steps, name = texts
    items = [
        {
            "account": account,
            "title": title,
            "due_date": today + timedelta(days=step.due_offset_days),
            "owner_user": owners.for_step(step, account),
            "playbook_firing": firing,
        }
        for step, title in steps
    ]
    entry = {
        "account": account,
        "kind": TimelineKind.PLAYBOOK_FIRED,
        "occurred_at": firing.fired_at,
        "playbook_firing": firing,
    }
    event = audit_event(
        actor=None,
        action=Action.CREATED,
        object_type="playbook_firing",
        object_id=firing.pk,
        label=f"{name}: {account.name}",
        account_id=account.pk,
        changes={
            "playbook": [None, name],
            "trigger": [None, playbook.trigger_text()],
            "items": [None, str(len(steps))],
        },
    )
    return items, entry, event


@transaction.atomic
def playbooks_evaluate(
    *,
    today: date | None = None,
    account_ids: Sequence[int] | None = None,
    playbook_ids: Iterable[int] | None = None,
) -> dict[str, int]:
    """Evaluate every active playbook (or those of `playbook_ids`) for every account (or those
    of `account_ids`) on `today`. Returns how many firings this run opened and cleared and how
    many items it created. Safe to rerun and to run on several workers at once.

    Queries: the playbooks (3: rows, tiers, steps), the touch cadence default, one per
    playbook, the open firings, at most one UPDATE and one INSERT; then, whatever the number
    of firings opened: the firings with their accounts, the accounts' teams, and one INSERT per
    1,000 rows of their items, the items' history events and timeline entries, the firings'
    timeline entries and audit events (commitments_create_many)."""
    today = today or business_date()
    playbooks = _active_playbooks(playbook_ids)
    counts = {"playbooks": len(playbooks), "fired": 0, "cleared": 0, "items": 0}
    if not playbooks or (account_ids is not None and not account_ids):
        return counts
    cadence = current_config().default_touch_cadence_days
    holding = {
        playbook.pk: playbook_conditions(
            playbook, today=today, account_ids=account_ids, cadence=cadence
        )
        for playbook in playbooks
    }
    open_now: set[tuple[int, int]] = set()
    to_clear = []
    for pk, playbook_id, account_id, key in _open_firings(playbooks, account_ids):
        if holding[playbook_id].get(account_id) == key:
            open_now.add((playbook_id, account_id))
        else:
            to_clear.append(pk)
    now = timezone.now()
    if to_clear:
        counts["cleared"] = PlaybookFiring.objects.filter(
            pk__in=to_clear, cleared_at__isnull=True
        ).update(cleared_at=now)
    by_pk = {playbook.pk: playbook for playbook in playbooks}
    # Sorted: concurrent runs take the index entries in the same order, so one waits for the
    # other instead of the two deadlocking.
    new_rows = sorted(
        (playbook_id, account_id, key, by_pk[playbook_id].version)
        for playbook_id, accounts in holding.items()
        for account_id, key in accounts.items()
        if (playbook_id, account_id) not in open_now
    )
    opened = _insert_firings(new_rows, now)
    if not opened:
        return counts
    firings = PlaybookFiring.objects.filter(pk__in=[row.pk for row in opened]).select_related(
        "account", "account__owner", "account__owner__manager"
    )
    owners = _Owners()
    texts = {playbook.pk: _texts(playbook) for playbook in playbooks}
    items, entries, events = [], [], []
    for firing in firings.order_by("pk"):
        playbook_id = firing.playbook_id
        rows, entry, event = _fire(firing, by_pk[playbook_id], texts[playbook_id], today, owners)
        items += rows
        entries.append(entry)
        events.append(event)
    # In batches whatever the number of firings (a first run starts thousands of episodes).
    commitments_create_many(rows=items, actor=None, source=CommitmentSource.PLAYBOOK)
    timeline_record_many(entries)
    audit_record_many(events)
    counts["fired"], counts["items"] = len(entries), len(items)
    return counts


# ---------------------------------------------------------------------------------------------
# Editing playbooks (the configuration pages and the API)

PLAYBOOK_FIELDS = ("name", "description", "trigger", "band", "days", "is_active")


@dataclass
class StepSpec:
    title: str
    owner_role: str = StepOwner.ACCOUNT_OWNER
    due_offset_days: int = 0
    user: User | None = None


def _steps_text(playbook: Playbook) -> str:
    return "; ".join(
        f"{step.title} ({step.owner_role}{f' {step.user}' if step.user_id else ''}, "
        f"+{step.due_offset_days})"
        for step in playbook.steps.order_by("order", "pk")
    )


@transaction.atomic
def playbook_save(
    *,
    actor,
    playbook: Playbook | None = None,
    steps: Sequence[StepSpec] | None = None,
    tiers=None,
    **fields,
) -> Playbook:
    """Create or edit a playbook with its steps (given: replace the steps in that order) and
    tier filter (given: replace it); every change bumps the version and is audited. Field
    errors name the field; step errors are keyed `steps-<index>-<field>`."""
    creating = playbook is None
    playbook = Playbook() if creating else Playbook.objects.select_for_update().get(pk=playbook.pk)
    before = {} if creating else {**snapshot(playbook, PLAYBOOK_FIELDS)}
    if not creating:
        before["tiers"] = sorted(str(t) for t in playbook.tiers.all())
        before["steps"] = _steps_text(playbook)
    for name, value in fields.items():
        if name not in PLAYBOOK_FIELDS:
            raise TypeError(f"unexpected field {name!r}")
        setattr(playbook, name, value)
    playbook.full_clean(exclude=["tiers"], validate_constraints=False)
    rows = []
    for index, spec in enumerate(steps or ()):
        step = PlaybookStep(
            order=index + 1,
            title=spec.title,
            owner_role=spec.owner_role,
            due_offset_days=spec.due_offset_days,
            user=spec.user,
        )
        try:
            step.full_clean(exclude=["playbook"], validate_constraints=False)
        except ValidationError as error:
            raise ValidationError(
                {f"steps-{index}-{name}": errors for name, errors in error.error_dict.items()}
            ) from error
        rows.append(step)
    if not creating:
        playbook.version += 1
    playbook.save()
    if tiers is not None:
        playbook.tiers.set(tiers)
    if steps is not None:
        playbook.steps.all().delete()
        for step in rows:
            step.playbook = playbook
        PlaybookStep.objects.bulk_create(rows)
    after = {**snapshot(playbook, PLAYBOOK_FIELDS)}
    after["tiers"] = sorted(str(t) for t in playbook.tiers.all())
    after["steps"] = _steps_text(playbook)
    changes = created(after) if creating else changes_between(before, after)
    if changes:
        audit_record(
            actor=actor,
            action=Action.CREATED if creating else Action.UPDATED,
            object_type="playbook",
            object_id=playbook.pk,
            label=playbook.name,
            changes=changes,
        )
    return playbook


@transaction.atomic
def playbook_set_active(*, actor, playbook: Playbook, is_active: bool) -> Playbook:
    """Enable or disable; a disabled playbook starts nothing (its open firings stay as they
    are until it runs again)."""
    changed = (
        Playbook.objects.filter(pk=playbook.pk)
        .exclude(is_active=is_active)
        .update(is_active=is_active, updated_at=timezone.now())
    )
    playbook.refresh_from_db()
    if changed:
        audit_record(
            actor=actor,
            action=Action.STATUS,
            object_type="playbook",
            object_id=playbook.pk,
            label=playbook.name,
            changes={"is_active": [str(not is_active), str(is_active)]},
        )
    return playbook


@transaction.atomic
def playbook_delete(*, actor, playbook: Playbook) -> None:
    """Delete a playbook; the items it created stay (their link to it is cleared)."""
    audit_record(
        actor=actor,
        action=Action.DELETED,
        object_type="playbook",
        object_id=playbook.pk,
        label=playbook.name,
        changes={"name": [playbook.name, None]},
    )
    playbook.delete()


@transaction.atomic
def playbook_defaults_ensure() -> list[Playbook]:
    """The shipped playbooks (activities.defaults), created if missing (by key); ones that
    exist are left as the admins made them. Migration 0008 ships them; this puts them back on
    a database emptied since (the demo seed, tests)."""
    made = []
    for spec in DEFAULT_PLAYBOOKS:
        if Playbook.objects.filter(key=spec["key"]).exists():
            continue
        fields = {name: value for name, value in spec.items() if name != "steps"}
        playbook = Playbook.objects.create(**fields)
        PlaybookStep.objects.bulk_create(
            PlaybookStep(
                playbook=playbook, order=order, title=title, owner_role=role, due_offset_days=days
            )
            for order, (title, role, days) in enumerate(spec["steps"], start=1)
        )
        made.append(playbook)
    return made
