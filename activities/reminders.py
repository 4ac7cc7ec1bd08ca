"""The nightly reminder job (STYLE.md: jobs are idempotent).

Three kinds, each sent once per (kind, object, due date, recipient) however often the job runs
and on however many workers at once:

- `qbr_due`: an account's next QBR falls within QBR_REMINDER_LEAD_DAYS and none is scheduled →
  its owner KAM;
- `qbr_overdue`: the due date has passed and none is held or scheduled → every leader;
- `commitments_digest`: one list a day per person of their commitments due tomorrow or overdue;
- `item_escalated`: agreed items still open past their due date plus the account tier's grace
  (`Tier.escalation_grace_days`) → the account's leader (the owner's manager, else every
  leader), once per item and due date (a reschedule starts a new clock);
- `client_item_chase`: an item the client owns has come due → the account owner, to chase it,
  once per item and due date.

The two item kinds are keyed per item but sent as one notice per (recipient, account): the
items claimed in that run.

And, every 15 minutes (`sla_check`, `manage.py check_sla`), the SLA clocks of client requests:

- `sla_warning`: 75 % of a first-response or resolution target is gone → the request's owner;
- `sla_breach`: the target is missed → the owner and the leader (their manager, else every
  leader).

How "once" holds: every candidate is INSERTed into Reminder with ON CONFLICT DO NOTHING, then
claimed with `UPDATE … SET sent_at = now WHERE <key> AND sent_at IS NULL`. Only the run whose
UPDATE changed one row sends (a concurrent run's UPDATE waits on the row lock, then finds
sent_at set and changes nothing). Claim, in-app notification and email share one transaction:
if the email fails the claim is rolled back and the next run tries again."""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from accounts.models import Account, Tier
from accounts.services import PLAYBOOKS_TASK
from activities.models import (
    ClientRequest,
    Commitment,
    CommitmentEvent,
    Notification,
    NotificationPreference,
    Reminder,
    ReminderKind,
    first_response_warning_q,
    resolution_warning_q,
)
from activities.selectors import (
    QBR_REMINDER_LEAD_DAYS,  # noqa: F401 (re-exported: the job's knobs live with the job)
    qbr_due_rows,
    qbr_lead_days,
)
from activities.services import notifications_send
from kam.dates import business_date
from kam.mail import email_message
from kam.models import Role, User
from kam.outbox import outbox_enqueue

logger = logging.getLogger(__name__)


@dataclass
class Candidate:
    kind: str
    ref: str
    due_on: date
    recipient: User
    account: Account | None = None
    params: dict = field(default_factory=dict)
    commitments: list[Commitment] = field(default_factory=list)
    # For the item kinds: one (ref, due_on) per item, each claimed on its own.
    items: list[tuple[str, date]] = field(default_factory=list)
    client_request: ClientRequest | None = None

    @property
    def key(self) -> tuple:
        return (self.kind, self.ref, self.due_on, self.recipient.pk)

    def reminder_keys(self) -> list[tuple[str, date]]:
        return self.items or [(self.ref, self.due_on)]


def qbr_candidates(today: date) -> list[Candidate]:
    """QBR reminders and escalations due today (two queries: accounts with their last held
    QBR and whether one is scheduled, and the leaders)."""
    accounts = Account.objects.all()
    leaders = None
    candidates = []
    lead = qbr_lead_days()
    for account, due_on in qbr_due_rows(accounts, today):
        ref = f"account:{account.pk}"
        # qbr_due_rows has only accounts with no QBR planned ahead, so a past due date is
        # Account.qbr_overdue.
        if due_on < today:
            if leaders is None:
                leaders = list(User.objects.filter(role=Role.LEADER, is_active=True))
            params = {
                "due_on": due_on.isoformat(),
                "days_overdue": (today - due_on).days,
                "owner": str(account.owner),
                # Before the first QBR: "No QBR held yet", counted from the contract start.
                **account.qbr_due().as_params(),
            }
            candidates += [
                Candidate(ReminderKind.QBR_OVERDUE, ref, due_on, leader, account, params)
                for leader in leaders
            ]
        elif (due_on - today).days <= lead and account.owner.is_active:
            params = {
                "due_on": due_on.isoformat(),
                "days_left": (due_on - today).days,
                **account.qbr_due().as_params(),
            }
            candidates.append(
                Candidate(ReminderKind.QBR_DUE, ref, due_on, account.owner, account, params)
            )
    return candidates


def digest_candidates(today: date) -> list[Candidate]:
    """One digest per person with commitments due tomorrow or overdue: theirs, plus the
    client's on accounts they own (as My work counts them). One query."""
    rows = (
        Commitment.objects.open()
        .filter(due_date__lte=today + timedelta(days=1))
        .select_related("account", "account__owner", "owner_user", "owner_stakeholder")
        .order_by("due_date", "pk")
    )
    by_user: dict[int, Candidate] = {}
    for commitment in rows.iterator(chunk_size=1000):
        person = commitment.owner_user or commitment.account.owner
        if not person.is_active:
            continue
        candidate = by_user.get(person.pk)
        if candidate is None:
            candidate = by_user[person.pk] = Candidate(
                ReminderKind.COMMITMENTS_DIGEST, f"user:{person.pk}", today, person
            )
        candidate.commitments.append(commitment)
    for candidate in by_user.values():
        overdue = sum(1 for c in candidate.commitments if c.is_overdue(today))
        candidate.params = {"overdue": overdue, "due_soon": len(candidate.commitments) - overdue}
    return list(by_user.values())


def _leaders_for(owner, leaders: list[User]) -> list[User]:
    """Who hears of a breach besides the owner: the owner's manager when they have an active
    one, else every active leader: the one rule for "the account's leader" (SLA breaches,
    escalations of agreed items)."""
    manager = owner.manager
    if manager is not None and manager.is_active and manager.pk != owner.pk:
        return [manager]
    return [leader for leader in leaders if leader.pk != owner.pk]


def _leaders_of(accounts: list[Account]) -> dict[int, list[User]]:
    """The leader(s) each account's escalations go to, by the same rule as an SLA breach
    (`_leaders_for`): one query for the leaders, none per account."""
    if not accounts:
        return {}
    leaders = list(User.objects.filter(role=Role.LEADER, is_active=True))
    return {account.pk: _leaders_for(account.owner, leaders) for account in accounts}


def _bundle(kind: str, rows, recipients_of, today: date) -> list[Candidate]:
    """One candidate per (recipient, account), each item keyed on its own."""
    bundles: dict[tuple[int, int], Candidate] = {}
    for item in rows:
        for person in recipients_of(item):
            if not person.is_active:
                continue
            key = (person.pk, item.account_id)
            candidate = bundles.get(key)
            if candidate is None:
                candidate = bundles[key] = Candidate(
                    kind, f"account:{item.account_id}", today, person, item.account
                )
            candidate.commitments.append(item)
            candidate.items.append((f"commitment:{item.pk}", item.due_date))
    return list(bundles.values())


def escalation_candidates(today: date) -> list[Candidate]:
    """Open items past their due date plus their tier's grace, to the account's leader (two
    queries: the items with their accounts and owners, and the leaders if needed)."""
    rows = list(
        Commitment.objects.past_grace(today, Tier.objects.all())
        .select_related("account", "account__owner__manager", "owner_user", "owner_stakeholder")
        .order_by("account_id", "due_date", "pk")
    )
    leaders = _leaders_of(list({item.account_id: item.account for item in rows}.values()))
    return _bundle(ReminderKind.ITEM_ESCALATED, rows, lambda i: leaders[i.account_id], today)


def chase_candidates(today: date) -> list[Candidate]:
    """Items the client owns that have come due, to the account owner (one query)."""
    rows = (
        Commitment.objects.to_chase(today)
        .select_related("account", "account__owner", "owner_stakeholder")
        .order_by("account_id", "due_date", "pk")
    )
    return _bundle(ReminderKind.CLIENT_ITEM_CHASE, rows, lambda i: [i.account.owner], today)


def _wanted(candidates: list[Candidate]) -> list[Candidate]:
    """Drop what the recipient switched off (no row: everything on). One query."""
    preferences = {
        p.user_id: p
        for p in NotificationPreference.objects.filter(
            user__in={c.recipient.pk for c in candidates}
        )
    }
    for candidate in candidates:
        preference = preferences.get(candidate.recipient.pk)
        candidate.recipient.wants_email = preference is None or preference.email
    return [
        c
        for c in candidates
        if c.recipient.pk not in preferences or preferences[c.recipient.pk].wants(c.kind)
    ]


def _email(candidate: Candidate):
    """Subject and body in the recipient's language, as plain text (kam.mail)."""
    context = {
        "recipient": candidate.recipient,
        "account": candidate.account,
        "due_on": candidate.due_on,
        "params": candidate.params,
        "commitments": candidate.commitments,
        "client_request": candidate.client_request,
        "site_url": settings.SITE_URL.rstrip("/"),
    }
    with translation.override(candidate.recipient.language):
        return email_message(
            subject_template=f"activities/email/{candidate.kind}_subject.txt",
            body_template=f"activities/email/{candidate.kind}_body.txt",
            context=context,
            to=[candidate.recipient.email],
        )


ITEM_EVENTS = {
    ReminderKind.ITEM_ESCALATED: CommitmentEvent.Verb.ESCALATED,
    ReminderKind.CLIENT_ITEM_CHASE: CommitmentEvent.Verb.CHASED,
}
# The SLA notices of client requests (sla_check) are about one request each: their in-app
# notification carries the reminder's ref, so two requests of one account on one day are two
# notices.
SLA_KINDS = (ReminderKind.SLA_WARNING, ReminderKind.SLA_BREACH)
DAILY_KINDS = (
    ReminderKind.QBR_DUE,
    ReminderKind.QBR_OVERDUE,
    ReminderKind.COMMITMENTS_DIGEST,
    ReminderKind.ITEM_ESCALATED,
    ReminderKind.CLIENT_ITEM_CHASE,
)


def _claim_and_send(candidate: Candidate, today: date) -> bool:
    kind, recipient_id = candidate.kind, candidate.recipient.pk
    with transaction.atomic():
        now = timezone.now()
        claimed = {
            ref
            for ref, due_on in candidate.reminder_keys()
            if Reminder.objects.filter(
                kind=kind, ref=ref, due_on=due_on, recipient_id=recipient_id, sent_at__isnull=True
            ).update(sent_at=now)
            == 1
        }
        if not claimed:
            return False
        if candidate.items:
            # Only what this run claimed (another run may have sent some of them already).
            candidate.commitments = [
                item for item in candidate.commitments if f"commitment:{item.pk}" in claimed
            ]
            candidate.params = {
                "count": len(candidate.commitments),
                "titles": [item.title for item in candidate.commitments[:5]],
                "days_overdue": max((today - item.due_date).days for item in candidate.commitments),
            }
            CommitmentEvent.objects.bulk_create(
                CommitmentEvent(
                    commitment=item,
                    verb=ITEM_EVENTS[kind],
                    at=now,
                    reason=str(candidate.recipient),
                )
                for item in candidate.commitments
            )
        notifications_send(
            notices=[
                Notification(
                    user=candidate.recipient,
                    account=candidate.account,
                    kind=kind,
                    params=candidate.params,
                    day=today,
                    ref=candidate.ref if candidate.kind in SLA_KINDS else "",
                )
            ]
        )
        if candidate.recipient.wants_email and candidate.recipient.email:
            _email(candidate).send()
    return True


def reminders_send(*, today: date) -> dict[str, int]:
    """Send today's reminders; returns how many of each kind this run sent."""
    candidates = _wanted(
        qbr_candidates(today)
        + digest_candidates(today)
        + escalation_candidates(today)
        + chase_candidates(today)
    )
    return _send(candidates, today, kinds=DAILY_KINDS)


def _send(candidates: list[Candidate], today: date, *, kinds) -> dict[str, int]:
    """Insert the candidates' rows (ON CONFLICT DO NOTHING: rows another run, or an earlier
    one, made stay as they are), then claim and send each; how many of each kind were sent."""
    Reminder.objects.bulk_create(
        [
            Reminder(
                kind=c.kind,
                ref=ref,
                due_on=due_on,
                recipient=c.recipient,
                account=c.account,
                params=c.params,
            )
            for c in candidates
            for ref, due_on in c.reminder_keys()
        ],
        ignore_conflicts=True,
        batch_size=500,
    )
    sent = dict.fromkeys(kinds, 0)
    for candidate in candidates:
        try:
            if _claim_and_send(candidate, today):
                sent[candidate.kind] += 1
        except Exception:
            # One bad address must not stop everyone else's reminders; the claim was rolled
            # back, so the next run retries this one.
            logger.exception("Reminder %s could not be sent", candidate.key)
    return sent


# ---------------------------------------------------------------------------------------------
# SLA clocks of client requests (check_sla, every 15 minutes)


def sla_candidates(now: datetime) -> list[Candidate]:
    """Warnings (WARNING_SHARE of a target gone, not breached yet) to the owner, and breaches
    to the owner and the leader, for each clock still running: two queries (the open requests
    past a warning moment, and the leaders when a breach needs them)."""
    rows = (
        ClientRequest.objects.filter(first_response_warning_q(now) | resolution_warning_q(now))
        .select_related("account", "owner", "owner__manager")
        .order_by("pk")
    )
    leaders = None
    candidates = []
    for request in rows.iterator(chunk_size=1000):
        clocks = (
            ("response", request.first_response_due_at, request.is_first_response_warning_due,
             request.is_first_response_breached),
            ("resolution", request.resolution_due_at, request.is_resolution_warning_due,
             request.is_resolution_breached),
        )  # fmt: skip
        for clock, due_at, warning_due, breached in clocks:
            if not warning_due(now):
                continue
            ref = f"request:{request.pk}:{clock}"
            params = {
                "request": request.pk,
                "subject": request.subject,
                "clock": clock,
                "due_at": due_at.isoformat(),
                "owner": str(request.owner),
            }
            due_on = business_date(due_at)
            if breached(now):
                if leaders is None:
                    leaders = list(User.objects.filter(role=Role.LEADER, is_active=True))
                recipients = [request.owner, *_leaders_for(request.owner, leaders)]
                kind = ReminderKind.SLA_BREACH
            else:
                recipients, kind = [request.owner], ReminderKind.SLA_WARNING
            candidates += [
                Candidate(
                    kind,
                    ref,
                    due_on,
                    person,
                    request.account,
                    dict(params),
                    client_request=request,
                )
                for person in recipients
                if person.is_active
            ]
    return candidates


def _not_sent_yet(candidates: list[Candidate]) -> list[Candidate]:
    """Leave out what an earlier run already sent (one query), so a breach that stays open
    for days costs no claim every 15 minutes; the claim still decides (a concurrent run)."""
    if not candidates:
        return []
    sent = set(
        Reminder.objects.filter(
            kind__in=SLA_KINDS,
            ref__in={c.ref for c in candidates},
            sent_at__isnull=False,
        ).values_list("kind", "ref", "due_on", "recipient_id")
    )
    return [c for c in candidates if c.key not in sent]


def sla_check(*, now: datetime) -> dict[str, int]:
    """Send the SLA warnings and breach notices due at `now`, each once per (clock, due day,
    recipient) however often and on however many workers this runs; returns how many of each
    this run sent."""
    candidates = _wanted(_not_sent_yet(sla_candidates(now)))
    sent = _send(candidates, business_date(now), kinds=SLA_KINDS)
    breached = sorted(
        {c.account.pk for c in candidates if c.kind == ReminderKind.SLA_BREACH and c.account}
    )
    if breached:
        # The "SLA breached" playbooks act on it now, not at night (through the outbox).
        outbox_enqueue(PLAYBOOKS_TASK, breached)
    return sent
