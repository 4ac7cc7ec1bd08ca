"""Reads for My work, the commitments tab and the quick log (access via accounts.selectors)."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import (
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
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
from accounts.selectors import accounts_for_user
from activities.models import Commitment, CommitmentStatus

UPCOMING_DAYS = 14


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


def my_work(user, today: date, *, default_cadence_days: int = 30) -> MyWork:
    """Four queries whatever the data: my open commitments (ours, plus the client's on accounts
    I own), accounts owed a touch, and accounts with a key contact gone (+ their people)."""
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
    return MyWork(
        overdue=[c for c in open_commitments if c.due_date < today],
        upcoming=[c for c in open_commitments if c.due_date >= today],
        owed_touch=owed_touch,
        departures=departures,
    )
