"""Reads for My work, the commitments tab and the quick log (access via accounts.selectors)."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.coverage import Coverage, open_departures, stakeholder_coverage
from accounts.models import KEY_BUYING_ROLES, Account, Stakeholder
from accounts.selectors import (
    RevenueSummary,
    account_health,
    account_page_stakeholders,
    account_revenue_summary,
    accounts_for_user,
)
from activities.models import (
    DEFAULT_QBR_CADENCE_DAYS,
    QBR,
    Commitment,
    CommitmentStatus,
    QBRStatus,
    qbr_next_due,
)
from kam.models import User

UPCOMING_DAYS = 14
# How long before a QBR falls due its owner is reminded (the tiers carry no lead time of
# their own); QBR_REMINDER_LEAD_DAYS in settings overrides it.
QBR_REMINDER_LEAD_DAYS = 14
# Accounts whose QBRs are tracked: prospects have none yet, churned ones no more.
QBR_ACCOUNT_STATUSES = ("active", "at_risk")


def qbr_lead_days() -> int:
    return getattr(settings, "QBR_REMINDER_LEAD_DAYS", QBR_REMINDER_LEAD_DAYS)


def commitments_for_user(user) -> QuerySet[Commitment]:
    return Commitment.objects.filter(account__in=accounts_for_user(user))


def get_commitment_for_user(user, pk: int) -> Commitment:
    return get_object_or_404(
        commitments_for_user(user).select_related("account", "owner_user", "owner_stakeholder"),
        pk=pk,
    )


def account_team(account: Account) -> list:
    """Owner first, then the team: who may own a commitment on our side."""
    members = [account.owner, *account.team.exclude(pk=account.owner_id).order_by("full_name")]
    return members


@dataclass
class MyWork:
    overdue: list[Commitment]
    upcoming: list[Commitment]
    owed_touch: list[Account]
    departures: list[tuple[Account, list]]
    qbrs_due: list[tuple[Account, date]] = field(default_factory=list)


def my_work(user, today: date, *, default_cadence_days: int = 30) -> MyWork:
    """Five queries whatever the data: my open commitments (ours, plus the client's on accounts
    I own), accounts owed a touch, accounts with a key contact gone (+ their people), and
    accounts whose QBR is due within the lead time or overdue with none scheduled."""
    mine = Q(owner_user=user) | Q(owner_stakeholder__isnull=False, account__owner=user)
    open_commitments = list(
        commitments_for_user(user)
        .filter(
            mine, status=CommitmentStatus.OPEN, due_date__lte=today + timedelta(days=UPCOMING_DAYS)
        )
        .select_related("account", "owner_user", "owner_stakeholder")
        .order_by("due_date", "pk")
    )
    my_accounts = Account.objects.filter(
        Q(owner=user) | Q(team=user), status__in=["active", "at_risk", "prospect"]
    ).distinct()
    # Owed a touch: the tier's cadence (or the configured default) has run out since the last one.
    cadence = Coalesce("tier__touch_cadence_days", Value(default_cadence_days))
    owed_touch = list(
        my_accounts.annotate(
            touch_due_at=ExpressionWrapper(
                F("last_touch_at") + cadence * Value(timedelta(days=1)),
                output_field=DateTimeField(),
            )
        )
        .filter(Q(touch_due_at__lt=timezone.now()) | Q(last_touch_at__isnull=True))
        .select_related("owner", "tier")
        .order_by(F("touch_due_at").asc(nulls_first=True), "name")
    )
    key_gone = Stakeholder.objects.filter(account=OuterRef("pk"), left_on__isnull=False).filter(
        Q(buying_role__in=KEY_BUYING_ROLES) | Q(is_primary=True)
    )
    flagged = my_accounts.filter(Exists(key_gone)).prefetch_related(
        Prefetch("stakeholders", queryset=Stakeholder.objects.order_by("name"))
    )
    departures = []
    for account in flagged.order_by("name"):
        gone = open_departures(list(account.stakeholders.all()))
        if gone:
            departures.append((account, gone))
    horizon = today + timedelta(days=qbr_lead_days())
    qbrs_due = [
        (account, due_on)
        for account, due_on in qbr_due_rows(
            Account.objects.filter(pk__in=my_accounts.values("pk")), today
        )
        if due_on <= horizon
    ]
    return MyWork(
        overdue=[c for c in open_commitments if c.due_date < today],
        upcoming=[c for c in open_commitments if c.due_date >= today],
        owed_touch=owed_touch,
        departures=departures,
        qbrs_due=sorted(qbrs_due, key=lambda row: (row[1], row[0].name)),
    )


# ---------------------------------------------------------------------------------------------
# QBRs


def qbrs_for_user(user) -> QuerySet[QBR]:
    """QBRs are seen through their account (accounts_for_user decides)."""
    return QBR.objects.filter(account__in=accounts_for_user(user))


def get_qbr_for_user(user, pk: int) -> QBR:
    return get_object_or_404(
        qbrs_for_user(user).select_related(
            "account", "account__owner", "account__parent", "account__tier", "created_by"
        ),
        pk=pk,
    )


def qbr_cadence_days(account: Account) -> int:
    return account.tier.qbr_cadence_days if account.tier_id else DEFAULT_QBR_CADENCE_DAYS


def qbr_due_on(
    *, last_held_on: date | None, contract_start: date | None, created_on: date, cadence_days: int
) -> date:
    """The next QBR is due a cadence after the last one held; before the first, a cadence after
    the contract started (or the account was created)."""
    baseline = last_held_on or contract_start or created_on
    return qbr_next_due(baseline, cadence_days)


def qbr_due_rows(accounts: QuerySet[Account], today: date) -> Iterator[tuple[Account, date]]:
    """(account, next QBR due date) for the tracked accounts among `accounts` that have no QBR
    scheduled from today on, in one query (the last held QBR is an aggregate)."""
    upcoming = QBR.objects.filter(
        account=OuterRef("pk"), status=QBRStatus.PLANNED, scheduled_on__gte=today
    )
    rows = (
        accounts.filter(status__in=QBR_ACCOUNT_STATUSES)
        .select_related("owner", "tier")
        .annotate(
            last_held_at=Max("qbrs__held_at", filter=Q(qbrs__status=QBRStatus.HELD)),
            scheduled=Exists(upcoming),
        )
        .filter(scheduled=False)
        .order_by("pk")
    )
    for account in rows.iterator(chunk_size=500):
        due_on = qbr_due_on(
            last_held_on=timezone.localdate(account.last_held_at) if account.last_held_at else None,
            contract_start=account.contract_start,
            created_on=timezone.localdate(account.created_at),
            cadence_days=qbr_cadence_days(account),
        )
        yield account, due_on


@dataclass
class QbrSchedule:
    """Where an account stands on its QBR cadence."""

    cadence_days: int
    last_held: QBR | None
    next_planned: QBR | None
    due_on: date
    today: date

    @property
    def is_overdue(self) -> bool:
        return self.next_planned is None and self.due_on < self.today

    @property
    def days_to_due(self) -> int:
        return (self.due_on - self.today).days

    @property
    def days_overdue(self) -> int:
        return (self.today - self.due_on).days


def qbr_schedule_status(account: Account, qbrs: list[QBR], today: date) -> QbrSchedule:
    """From the account's QBRs already loaded (no query): the last held, the next planned
    (today or later) and the due date."""
    held = [q for q in qbrs if q.status == QBRStatus.HELD]
    last_held = max(held, key=lambda q: q.held_at, default=None)
    planned = [q for q in qbrs if q.status == QBRStatus.PLANNED and q.scheduled_on >= today]
    cadence = qbr_cadence_days(account)
    return QbrSchedule(
        cadence_days=cadence,
        last_held=last_held,
        next_planned=min(planned, key=lambda q: (q.scheduled_on, q.pk), default=None),
        due_on=qbr_due_on(
            last_held_on=last_held.held_on if last_held else None,
            contract_start=account.contract_start,
            created_on=timezone.localdate(account.created_at),
            cadence_days=cadence,
        ),
        today=today,
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


@dataclass
class PrepPack:
    qbr: QBR
    today: date
    since: date | None  # the last QBR held before this one
    last_qbr: QBR | None
    done: list[Commitment]
    overdue: list[Commitment]
    from_last_qbr: list[Commitment]
    health: dict
    trend_points: str  # SVG polyline points for the printable sparkline
    coverage: Coverage
    stakeholders: list[Stakeholder]
    revenue: RevenueSummary
    schedule: QbrSchedule
    plan_section: dict | None = None  # plans.selectors.qbr_plan_summary


SPARK_WIDTH, SPARK_HEIGHT = 300, 60


def _spark_points(trend: list[dict]) -> str:
    if len(trend) < 2:
        return ""
    step = SPARK_WIDTH / (len(trend) - 1)
    return " ".join(
        f"{index * step:.1f},{SPARK_HEIGHT - point['score'] * SPARK_HEIGHT / 100:.1f}"
        for index, point in enumerate(trend)
    )


def qbr_prep_pack(qbr: QBR, today: date) -> PrepPack:
    """Live data for a QBR's prep pack, in a fixed number of queries: the account's QBRs,
    the commitments, health (four), stakeholders and revenue (two)."""
    account = qbr.account
    qbrs = account_qbrs_list(account)
    schedule = qbr_schedule_status(account, qbrs, today)
    # The review before this one: for a held QBR, the one held before it.
    cutoff = qbr.held_at or timezone.now()
    earlier = [
        q for q in qbrs if q.status == QBRStatus.HELD and q.pk != qbr.pk and q.held_at <= cutoff
    ]
    last_qbr = max(earlier, key=lambda q: q.held_at, default=None)
    since = last_qbr.held_on if last_qbr else None
    wanted = Q(status=CommitmentStatus.OPEN, due_date__lt=today) | Q(status=CommitmentStatus.DONE)
    if since is not None:
        wanted = Q(status=CommitmentStatus.OPEN, due_date__lt=today) | Q(
            status=CommitmentStatus.DONE, done_at__date__gte=since
        )
    if last_qbr is not None:
        wanted |= Q(source_qbr=last_qbr)
    commitments = list(
        account.commitments.filter(wanted)
        .select_related("owner_user", "owner_stakeholder")
        .order_by("due_date", "pk")
    )
    health = account_health(account, today)
    stakeholders = account_page_stakeholders(account)
    from plans.selectors import qbr_plan_summary  # plans builds on activities' neighbours

    return PrepPack(
        qbr=qbr,
        today=today,
        since=since,
        last_qbr=last_qbr,
        done=[
            c
            for c in commitments
            if c.status == CommitmentStatus.DONE
            and (since is None or timezone.localdate(c.done_at) >= since)
        ],
        overdue=[c for c in commitments if c.is_overdue(today)],
        from_last_qbr=[c for c in commitments if last_qbr and c.source_qbr_id == last_qbr.pk],
        health=health,
        trend_points=_spark_points(health["trend"]),
        coverage=stakeholder_coverage(stakeholders, timezone.now()),
        stakeholders=stakeholders,
        revenue=account_revenue_summary(account, today),
        schedule=schedule,
        plan_section=qbr_plan_summary(account, since or today - timedelta(days=90)),
    )


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
    mine = Q(owner_user=user) | Q(owner_stakeholder__isnull=False, account__owner=user)
    commitments = list(
        commitments_for_user(user)
        .filter(mine, status=CommitmentStatus.OPEN, due_date__gte=since)
        .select_related("account", "owner_user", "owner_stakeholder")
        .order_by("due_date", "pk")
    )
    return qbrs, commitments
