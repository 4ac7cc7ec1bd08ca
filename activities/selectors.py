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

from accounts.coverage import open_departures
from accounts.models import KEY_BUYING_ROLES, Account, Stakeholder
from accounts.selectors import (
    accounts_for_user,
)
from activities.models import (
    DEFAULT_QBR_CADENCE_DAYS,
    QBR,
    Commitment,
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
        .open()
        .filter(mine, due_date__lte=today + timedelta(days=UPCOMING_DAYS))
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
        overdue=[c for c in open_commitments if c.is_overdue(today)],
        upcoming=[c for c in open_commitments if not c.is_overdue(today)],
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
    mine = Q(owner_user=user) | Q(owner_stakeholder__isnull=False, account__owner=user)
    commitments = list(
        commitments_for_user(user)
        .open()
        .filter(mine, due_date__gte=since)
        .select_related("account", "owner_user", "owner_stakeholder")
        .order_by("due_date", "pk")
    )
    return qbrs, commitments


def qbr_overdue_q(today: date, *, among: QuerySet[Account] | None = None) -> Q:
    """Active or at-risk, no QBR planned from `today` on, and the next QBR was due before
    `today`: a cadence after the last one held, or before any, after the contract start (or the
    account's creation), as activities.selectors.qbr_due_on. A set (hashed once per query),
    not a subquery per account; `among` limits the set to those accounts (a KAM's seventy
    instead of the whole portfolio)."""
    from django.db.models.expressions import RawSQL
    from django.utils import timezone

    tz = str(timezone.get_current_timezone())
    # The last QBR held is read from the account row (kept by activities.services.qbr_hold):
    # the maximum over every QBR, twice per list page, cost the "QBR overdue" list ~70 ms at
    # 20,000 accounts (bench/README.md).
    sql = """
        SELECT a.id FROM accounts_account a
        LEFT JOIN accounts_tier t ON t.id = a.tier_id
        WHERE a.status IN ('active', 'at_risk')
          AND NOT EXISTS (
            SELECT 1 FROM activities_qbr p
            WHERE p.account_id = a.id AND p.status = 'planned' AND p.scheduled_on >= %s
          )
          AND COALESCE((a.last_qbr_held_at AT TIME ZONE %s)::date, a.contract_start,
                       (a.created_at AT TIME ZONE %s)::date)
              + COALESCE(t.qbr_cadence_days, %s) < %s
    """
    params = (today, tz, tz, DEFAULT_QBR_CADENCE_DAYS, today)
    if among is not None:
        among_sql, among_params = among.values("pk").order_by().query.sql_with_params()
        sql += f" AND a.id IN ({among_sql})"
        params = (*params, *among_params)
    return Q(pk__in=RawSQL(sql, params))  # noqa: S611 - constant SQL, values as parameters  # nosec B611


def commitments_overdue_q(today: date) -> Q:
    """Accounts with at least one overdue commitment (ours or the client's), as a filter on
    accounts: Commitment.objects.overdue decides which commitments are."""
    return Q(pk__in=Commitment.objects.overdue(today).values("account_id"))
