"""Reads for My work, the commitments tab and the quick log (access via accounts.selectors)."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.utils import timezone

from accounts.coverage import open_departures
from accounts.models import KEY_BUYING_ROLES, Account, AccountQuerySet, QbrDue, Stakeholder
from accounts.selectors import (
    Access,
    accounts_linked_to,
    calendar_for_account,
    calendars_of,
    get_row_for_user,
    on_accounts_for_user,
)
from activities.models import (
    QBR,
    ClientRequest,
    Commitment,
    Interaction,
    Notification,
    PlannedMeeting,
    QBRStatus,
    RequestStatus,
    commitment_overdue_q,
    commitment_to_chase_q,
)
from activities.sla import business_hours_left
from kam.models import User

UPCOMING_DAYS = 14
# "This week" for agreed items: due after today and within this many days (My work's group,
# the account page's follow-through).
WEEK_DAYS = 7
# How long before a QBR falls due its owner is reminded (the tiers carry no lead time of
# their own); QBR_REMINDER_LEAD_DAYS in settings overrides it.
QBR_REMINDER_LEAD_DAYS = 14


def qbr_lead_days() -> int:
    return getattr(settings, "QBR_REMINDER_LEAD_DAYS", QBR_REMINDER_LEAD_DAYS)


def commitments_for_user(user) -> QuerySet[Commitment]:
    return on_accounts_for_user(Commitment.objects.all(), user)


def my_commitments(user, among: QuerySet[Commitment]) -> QuerySet[Commitment]:
    """The agreed items of `among` that are `user`'s to follow (My work, the calendar feed):
    ours that they own, plus the client's on accounts they own, on accounts they see. Read as
    two index lookups (by owner; by the accounts they own), not as one OR over every item
    they see: for a leader, who sees every account, that OR read every open item and every
    account (90 ms at 100,000 accounts, bench/README.md)."""
    ours = among.filter(owner_user=user).values("pk")
    clients = among.filter(owner_stakeholder__isnull=False, account__owner=user).values("pk")
    return commitments_for_user(user).filter(pk__in=ours.union(clients))


def get_commitment_for_user(user, pk: int, *, action: Access = Access.VIEW) -> Commitment:
    """404 unless `user` sees the commitment's account; 403 if they may not do `action`."""
    return get_row_for_user(
        commitments_for_user(user).select_related("account", "owner_user", "owner_stakeholder"),
        user,
        pk,
        action=action,
    )


def get_interaction_for_user(user, pk: int, *, action: Access = Access.VIEW) -> Interaction:
    """404 unless `user` sees the interaction's account; 403 if they may not do `action`."""
    return get_row_for_user(
        on_accounts_for_user(Interaction.objects.all(), user).select_related("account"),
        user,
        pk,
        action=action,
    )


def account_team(account: Account, members: list | None = None) -> list:
    """Owner first, then the team by name: who may own a commitment on our side. `members`:
    the account's team already read (`account.team.all()`, in the users' order), so a page
    that shows the team does not read it twice."""
    if members is None:
        members = account.team.all()
    return [account.owner, *(member for member in members if member.pk != account.owner_id)]


# My work's groups of agreed items, most urgent first, and how many items a group draws
# before its "Show all N items" link (?show=<group> draws that group whole): a hundred items
# drawn with their buttons made the page take 180 ms.
URGENCY_GROUPS = ("overdue", "today", "week", "later")
MY_WORK_ROWS = 20


def urgency_group(due_date: date, overdue: bool, today: date) -> str:
    """An open agreed item's group on My work: overdue (commitment_overdue_q), due today, due
    within WEEK_DAYS, or later."""
    if overdue:
        return "overdue"
    days = (due_date - today).days
    return "today" if days <= 0 else "week" if days <= WEEK_DAYS else "later"


@dataclass
class MyWork:
    """A KAM's agreed items by urgency (overdue, due today, due within a week, later in the
    next UPCOMING_DAYS), the accounts owed a touch, key contacts gone, QBRs due. Of the agreed
    items, `items` holds those drawn (each group's first MY_WORK_ROWS, or all of the group
    asked for whole) and `counts` how many each group has."""

    items: dict[str, list[Commitment]]
    counts: dict[str, int]
    owed_touch: list[Account]
    departures: list[tuple[Account, list]]
    # The client's items to chase (commitment_to_chase_q), as the account page counts them.
    to_chase: int = 0
    qbrs_due: list[tuple[Account, date]] = field(default_factory=list)
    requests_awaiting: list[ClientRequest] = field(default_factory=list)
    meetings_to_log: list[PlannedMeeting] = field(default_factory=list)
    # (pk, name) of my accounts by name: the quick add's select (accounts.selectors
    # .account_choices's pairs).
    account_choices: list[tuple[int, str]] = field(default_factory=list)

    @property
    def overdue(self) -> list[Commitment]:
        return self.items["overdue"]

    @property
    def due_today(self) -> list[Commitment]:
        return self.items["today"]

    @property
    def this_week(self) -> list[Commitment]:
        """Due after today and within WEEK_DAYS."""
        return self.items["week"]

    @property
    def later(self) -> list[Commitment]:
        return self.items["later"]

    @property
    def upcoming(self) -> list[Commitment]:
        """Not overdue, due within UPCOMING_DAYS (today included)."""
        return self.due_today + self.this_week + self.later


def my_agreed_items(
    user, today: date, *, show: str = "", rows: int = MY_WORK_ROWS
) -> tuple[dict[str, list[Commitment]], dict[str, int], int]:
    """My work's agreed items: the open items due within UPCOMING_DAYS that are `user`'s to
    follow (my_commitments), by group (urgency_group) and due date. Each group's count and the
    items to chase come from one read of every item's date and flags; only the items drawn
    (each group's first `rows`, all of group `show`) are then read as rows, by key. Reading the
    200-odd items of the demo KAM as rows with their account and owner took 11 ms, the two
    reads 6.6 (bench/README.md, "My work")."""
    soon = Commitment.objects.open().filter(due_date__lte=today + timedelta(days=UPCOMING_DAYS))
    keys: dict[str, list[int]] = {group: [] for group in URGENCY_GROUPS}
    to_chase = 0
    for pk, due_date, overdue, chase in (
        my_commitments(user, soon)
        .annotate(
            overdue=_flag(commitment_overdue_q(today)), chase=_flag(commitment_to_chase_q(today))
        )
        .values_list("pk", "due_date", "overdue", "chase")
        .order_by("due_date", "pk")
    ):
        keys[urgency_group(due_date, overdue, today)].append(pk)
        to_chase += chase
    counts = {group: len(pks) for group, pks in keys.items()}
    drawn = {group: pks if group == show else pks[:rows] for group, pks in keys.items()}
    items: dict[str, list[Commitment]] = {group: [] for group in URGENCY_GROUPS}
    wanted = [pk for pks in drawn.values() for pk in pks]
    if wanted:
        # The keys came from the read above, which applied the access rule.
        read = Commitment.objects.filter(pk__in=wanted).as_rows().in_bulk()
        for group, pks in drawn.items():
            items[group] = [read[pk] for pk in pks if pk in read]
    return items, counts, to_chase


def my_accounts(user) -> QuerySet[Account]:
    """The live accounts `user` owns or is on the team of (My work's scope), a leader's too.
    "owner = user OR a team row" read every account (41 ms a statement at 100,000 accounts,
    four statements on My work)."""
    return accounts_linked_to(user).live()


# What My work reads of my accounts: the name for every list, the last touch and the tier's
# cadences for the touch due date (Account.next_touch_due), the QBR clock's dates
# (Account.qbr_due) and the tier's name.
MY_ACCOUNT_FIELDS = (
    "name", "status", "last_touch_at", "last_qbr_held_at", "contract_start", "created_at",
    "tier__key", "tier__name", "tier__touch_cadence_days", "tier__qbr_cadence_days",
)  # fmt: skip


def _flag(condition: Q) -> ExpressionWrapper:
    """A condition read as a true/false column of each row."""
    return ExpressionWrapper(condition, output_field=BooleanField())


def my_work(
    user,
    today: date,
    *,
    default_cadence_days: int = 30,
    now: datetime | None = None,
    show: str = "",
) -> MyWork:
    """A fixed number of queries whatever the data: my open commitments (ours, plus the
    client's on accounts I own: my_agreed_items, `show` the group drawn whole), accounts owed
    a touch, accounts with a key contact gone (+ their people), accounts whose QBR is due
    within the lead time or overdue with none scheduled, and the client requests I own still
    awaiting an answer (+ their calendars)."""
    items, counts, to_chase = my_agreed_items(user, today, show=show)
    # One read of my accounts answers the quick add's choices and, as a flag on each account
    # (each rule's AccountQuerySet condition), who is owed a touch, who lost a key contact and
    # whose QBR has nothing planned: three statements and a server-side cursor before, 15 ms
    # of My work at 20,000 accounts (bench/README.md, "My work").
    key_gone = Stakeholder.objects.filter(account=OuterRef("pk"), left_on__isnull=False).filter(
        Q(buying_role__in=KEY_BUYING_ROLES) | Q(is_primary=True)
    )
    mine = list(
        my_accounts(user)
        .select_related("tier")
        .only(*MY_ACCOUNT_FIELDS)
        .with_qbr_due()
        .annotate(
            is_owed_touch=_flag(AccountQuerySet.touch_overdue_q(today, default_cadence_days)),
            lost_key_contact=Exists(key_gone),
            qbr_unscheduled=_flag(AccountQuerySet.qbr_unscheduled_q(today)),
        )
        .order_by("name", "pk")
    )
    # Owed a touch: the same rule as the accounts list's touch filter and the dashboard count.
    owed_touch = [account for account in mine if account.is_owed_touch]
    for account in owed_touch:
        account.touch_due_on = account.next_touch_due(default_cadence_days)  # shown on the row
    # Never touched first, then the longest overdue.
    owed_touch.sort(key=lambda a: (a.touch_due_on or date.min, a.name))
    flagged = [account for account in mine if account.lost_key_contact]
    # Their people, with what accounts.coverage.open_departures reads of each, grouped here:
    # prefetching the same rows onto the accounts cost about 1 ms more (bench/README.md).
    people: dict[int, list[Stakeholder]] = {account.pk: [] for account in flagged}
    if people:
        for person in (
            Stakeholder.objects.filter(account_id__in=list(people))
            .only("account_id", "name", "buying_role", "is_primary", "left_on")
            .order_by("name", "pk")
        ):
            people[person.account_id].append(person)
    departures = []
    for account in flagged:  # by name
        gone = open_departures(people[account.pk])
        if gone:
            departures.append((account, gone))
    horizon = today + timedelta(days=qbr_lead_days())
    qbrs_due = [
        (account, account.next_qbr_due_on)
        for account in mine
        if account.qbr_unscheduled and account.next_qbr_due_on <= horizon
    ]
    return MyWork(
        items=items,
        counts=counts,
        to_chase=to_chase,
        owed_touch=owed_touch,
        departures=departures,
        account_choices=[(account.pk, account.name) for account in mine],
        qbrs_due=sorted(qbrs_due, key=lambda row: (row[1], row[0].name)),
        requests_awaiting=requests_awaiting(user, now or timezone.now()),
        meetings_to_log=meetings_to_log(user, now or timezone.now()),
    )


# ---------------------------------------------------------------------------------------------
# Planned meetings (calendar invites)


def meetings_for_user(user) -> QuerySet[PlannedMeeting]:
    """The user's own planned meetings on the accounts they see: each of us has our own copy
    of an invite, and only its owner logs or dismisses it."""
    return on_accounts_for_user(PlannedMeeting.objects.filter(owner=user), user)


def get_meeting_for_user(user, pk: int, *, action: Access = Access.EDIT) -> PlannedMeeting:
    """404 unless it is `user`'s meeting on an account they see; 403 if they may not `action`."""
    return get_row_for_user(
        meetings_for_user(user).select_related("account", "account__owner"),
        user,
        pk,
        action=action,
    )


def meetings_to_log(user, now: datetime) -> list[PlannedMeeting]:
    """My work's prompts, in one query: my meetings over and not yet logged or dismissed
    (PlannedMeetingQuerySet.to_log), oldest first, with their account."""
    return list(
        meetings_for_user(user).to_log(now).select_related("account").order_by("ends_at", "pk")
    )


def account_upcoming_meetings(account: Account, now: datetime, *, limit: int = 5) -> list:
    """The account page's short list: meetings not over yet, anyone's, soonest first."""
    return list(
        PlannedMeeting.objects.filter(account=account)
        .upcoming(now)
        .select_related("owner")
        .order_by("starts_at", "pk")[:limit]
    )


# ---------------------------------------------------------------------------------------------
# QBRs


def qbrs_for_user(user) -> QuerySet[QBR]:
    """QBRs are seen through their account (accounts_for_user decides)."""
    return on_accounts_for_user(QBR.objects.all(), user)


def get_qbr_for_user(user, pk: int, *, action: Access = Access.VIEW) -> QBR:
    """404 unless `user` sees the QBR's account; 403 if they may not do `action`."""
    return get_row_for_user(
        qbrs_for_user(user).select_related(
            "account", "account__owner", "account__parent", "account__tier", "created_by"
        ),
        user,
        pk,
        action=action,
    )


def qbr_due_rows(accounts: QuerySet[Account], today: date) -> Iterator[tuple[Account, date]]:
    """(account, next QBR due date) for the QBR-tracked accounts among `accounts` with no QBR
    planned from today on, in one query (AccountQuerySet.qbr_unscheduled)."""
    rows = accounts.qbr_unscheduled(today).select_related("owner", "tier").order_by("pk")
    for account in rows.iterator(chunk_size=500):
        yield account, account.next_qbr_due_on


@dataclass
class QbrSchedule:
    """Where an account stands on its QBR cadence."""

    cadence_days: int
    last_held: QBR | None
    next_planned: QBR | None
    due: QbrDue  # Account.qbr_due: the date and what the clock counts from
    today: date
    is_overdue: bool  # Account.qbr_overdue: never for prospects and churned accounts

    @property
    def due_on(self) -> date:
        return self.due.due_on

    @property
    def days_to_due(self) -> int:
        return (self.due_on - self.today).days

    @property
    def days_overdue(self) -> int:
        return (self.today - self.due_on).days


def qbr_schedule_status(account: Account, qbrs: list[QBR], today: date) -> QbrSchedule:
    """From the account's QBRs already loaded (no query): the last held, the next planned
    (today or later), the due date and whether it is overdue (the Account rules)."""
    held = [q for q in qbrs if q.status == QBRStatus.HELD]
    planned = [q for q in qbrs if q.status == QBRStatus.PLANNED and q.scheduled_on >= today]
    return QbrSchedule(
        cadence_days=account.qbr_cadence_days,
        last_held=max(held, key=lambda q: q.held_at, default=None),
        next_planned=min(planned, key=lambda q: (q.scheduled_on, q.pk), default=None),
        due=account.qbr_due(),
        today=today,
        is_overdue=account.qbr_overdue(today, qbrs),
    )


def qbr_next_planned(account: Account, today: date) -> QBR | None:
    """The account's next QBR planned from `today` on (one query): the account page shows it
    instead of the due date."""
    return (
        account.qbrs.filter(status=QBRStatus.PLANNED, scheduled_on__gte=today)
        .order_by("scheduled_on", "pk")
        .first()
    )


def account_qbrs_list(account: Account) -> list[QBR]:
    """Every QBR of the account, newest first, with attendees and the count of commitments
    they produced: three queries."""
    return list(
        account.qbrs.select_related("created_by")
        .prefetch_related(
            Prefetch("attendees", queryset=User.objects.order_by("full_name")),
            Prefetch("stakeholders", queryset=Stakeholder.objects.order_by("name")),
        )
        .annotate(commitment_count=Count("commitments"))
        .order_by("-scheduled_on", "-pk")
    )


SPARK_WIDTH, SPARK_HEIGHT = 300, 60


# ---------------------------------------------------------------------------------------------
# Calendar feed


def calendar_items(user, today: date, *, past_days: int = 30) -> tuple[list[QBR], list[Commitment]]:
    """What a user's calendar shows (two queries): planned QBRs on the accounts they see, and
    their own open commitments (ours, plus the client's on accounts they own, as in My work).
    Items more than `past_days` old are left out to keep the feed small."""
    since = today - timedelta(days=past_days)
    qbrs = list(
        qbrs_for_user(user)
        .filter(status=QBRStatus.PLANNED, scheduled_on__gte=since)
        .select_related("account")
        .order_by("scheduled_on", "pk")
    )
    commitments = list(
        my_commitments(user, Commitment.objects.open().filter(due_date__gte=since))
        .select_related("account", "owner_user", "owner_stakeholder")
        .order_by("due_date", "pk")
    )
    return qbrs, commitments


def commitments_overdue_q(today: date) -> Q:
    """Accounts with at least one overdue commitment (ours or the client's), as a filter on
    accounts: Commitment.objects.overdue decides which commitments are."""
    return Q(pk__in=Commitment.objects.overdue(today).values("account_id"))


@dataclass
class FollowThrough:
    """An account's agreed items that need attention: overdue, due within a week, and how
    many of those are the client's to chase (Commitment.is_to_chase, as My work counts). Every
    source counts (commitments, plan actions, QBR next steps, playbook steps): they are one
    model."""

    overdue: list[Commitment]
    this_week: list[Commitment]
    today: date

    @property
    def to_chase(self) -> int:
        return sum(1 for c in self.overdue + self.this_week if c.is_to_chase(self.today))


def account_follow_through(account: Account, today: date) -> FollowThrough:
    """One query."""
    rows = list(
        account.commitments.open()
        .filter(due_date__lte=today + timedelta(days=WEEK_DAYS))
        .as_rows()
        .order_by("due_date", "pk")
    )
    return FollowThrough(
        overdue=[c for c in rows if c.is_overdue(today)],
        this_week=[c for c in rows if not c.is_overdue(today)],
        today=today,
    )


# ---------------------------------------------------------------------------------------------
# Client requests


def requests_for_user(user) -> QuerySet[ClientRequest]:
    """Requests are seen through their account (accounts_for_user decides)."""
    return on_accounts_for_user(ClientRequest.objects.all(), user)


def get_request_for_user(user, pk: int, *, action: Access = Access.VIEW) -> ClientRequest:
    """404 unless `user` sees the request's account; 403 if they may not do `action`."""
    return get_row_for_user(
        requests_for_user(user).select_related(
            "account", "account__tier", "owner", "requester", "first_response_interaction"
        ),
        user,
        pk,
        action=action,
    )


@dataclass(frozen=True)
class RequestClock:
    """Where the running clock of an open request stands, in business hours."""

    due_at: datetime
    hours_left: float  # negative: overdue by that many business hours
    responding: bool  # the first-response clock (else the resolution's)

    @property
    def overdue(self) -> bool:
        return self.hours_left < 0

    @property
    def hours_overdue(self) -> float:
        return -self.hours_left


def with_clocks(requests: list[ClientRequest], now: datetime, calendars: dict) -> list:
    """Attach `clock` (a RequestClock, None once resolved) to each request; no query."""
    for request in requests:
        if not request.is_open:
            request.clock = None
            continue
        due_at = request.current_due_at
        request.clock = RequestClock(
            due_at=due_at,
            hours_left=business_hours_left(calendars[request.account_id], due_at, now),
            responding=request.first_response_at is None,
        )
    return requests


# The columns a request's row draws (commitment_tags.request_row, its clock from with_clocks and
# its account's calendar from the owner): My work reads them, not four whole rows a request.
REQUEST_ROW_FIELDS = (
    "account_id", "subject", "priority", "channel", "received_at", "first_response_due_at",
    "first_response_at", "resolution_due_at", "resolved_at", "account__name",
    "account__owner_id", "owner__full_name", "owner__email", "requester__name",
)  # fmt: skip


def requests_awaiting(user, now: datetime) -> list[ClientRequest]:
    """The requests `user` owns that still await a first answer, soonest due first, with
    their clocks: one query (+ account, owner, requester), plus the calendars of their
    accounts."""
    rows = list(
        requests_for_user(user)
        .awaiting_response()
        .filter(owner=user)
        .select_related("account", "owner", "requester")
        .only(*REQUEST_ROW_FIELDS)
        .order_by("first_response_due_at", "pk")
    )
    return with_clocks(rows, now, calendars_of(r.account for r in rows))


RECENT_DAYS = 30
REQUEST_FILTERS = ("open", *RequestStatus.values, "all")


def account_requests(account: Account, *, now: datetime, status: str = "") -> list:
    """The account's requests with their clocks: by default the open ones and those resolved
    within RECENT_DAYS; `status` one of REQUEST_FILTERS. One query plus the calendar."""
    rows = account.client_requests.select_related("owner", "requester")
    if status == "open":
        rows = rows.open()
    elif status in RequestStatus.values:
        rows = rows.in_status(status)
    elif status != "all":
        rows = rows.filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=now - timedelta(
            days=RECENT_DAYS)))  # fmt: skip
    rows = list(rows.order_by("-received_at", "-pk"))
    return with_clocks(rows, now, {account.pk: calendar_for_account(account)})


def open_requests_for_quick_log(account: Account) -> list[ClientRequest]:
    """What "this answers request #…" offers: the account's open requests, oldest first."""
    return list(account.client_requests.open().order_by("received_at", "pk"))


# --- notifications ---------------------------------------------------------------------------

NOTIFICATION_LIST_SIZE = 100


@dataclass
class NoticeEntry:
    """One subject (account and kind) in the list: its newest notice and how many there are."""

    latest: Notification
    count: int = 1
    unread: int = 0


@dataclass
class NoticeGroup:
    """The notices of one kind, one entry per account, newest first."""

    kind: str
    label: str
    entries: list[NoticeEntry] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(entry.count for entry in self.entries)

    @property
    def unread(self) -> int:
        return sum(entry.unread for entry in self.entries)


def notification_groups(user) -> list[NoticeGroup]:
    """The user's latest notices grouped by kind, then by account (several notices of one kind
    about one account show as one entry with a count), so a night's run reads as a few groups
    rather than a wall of lines; groups and entries newest first. One query."""
    notices = Notification.objects.filter(user=user).select_related("account")[
        :NOTIFICATION_LIST_SIZE
    ]
    labels = dict(Notification.Kind.choices)
    groups: dict[str, NoticeGroup] = {}
    entries: dict[tuple, NoticeEntry] = {}
    for notice in notices:  # newest first (Notification.Meta.ordering)
        group = groups.get(notice.kind)
        if group is None:
            group = groups[notice.kind] = NoticeGroup(notice.kind, str(labels[notice.kind]))
        # Notices about no account (the daily digest) and about one request each (ref) stay
        # apart: each says something different.
        subject = (notice.kind, notice.account_id, notice.ref) if notice.account_id else notice.pk
        entry = entries.get(subject)
        if entry is None:
            entry = entries[subject] = NoticeEntry(notice)
            group.entries.append(entry)
        else:
            entry.count += 1
        # As the bell counts: a resolved notice no longer asks to be read.
        entry.unread += notice.read_at is None and notice.resolved_at is None
    return list(groups.values())
