"""The QBR prep pack: built from live data of every app (activities, plans, health)."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from accounts.coverage import Coverage, stakeholder_coverage
from accounts.models import Stakeholder
from accounts.selectors import (
    RevenueSummary,
    account_health,
    account_page_stakeholders,
)
from activities.models import (
    QBR,
    ClientRequest,
    Commitment,
    CommitmentStatus,
    QBRStatus,
    commitment_overdue_q,
    request_window_start,
)
from activities.selectors import QbrSchedule, account_qbrs_list, qbr_schedule_status
from insights.selectors import account_revenue
from insights.sla import SlaCompliance, breached_requests, sla_compliance
from kam.dates import as_of, business_date, business_day_end, business_day_start
from plans.selectors import qbr_plan_summary

SLA_DAYS = 90

SPARK_WIDTH, SPARK_HEIGHT = 300, 60


@dataclass
class BreachedRequest:
    request: ClientRequest
    first_response_missed: bool
    resolution_missed: bool


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
    # Response times: compliance over SLA_DAYS and the requests received since the last QBR
    # (or in SLA_DAYS when none was held) that missed a target (insights.sla).
    sla: SlaCompliance | None = None
    breached_requests: list[BreachedRequest] = field(default_factory=list)
    breached_since: datetime | None = None

    @property
    def sla_windows(self) -> list[SlaCompliance]:
        return [self.sla] if self.sla else []


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
    the commitments, health (four), stakeholders, revenue (two) and response times (two)."""
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
    # The period runs from the review before to this one's date: a held QBR's pack stops on
    # the day it was held (what was done or due later came after it); one still to be held
    # runs to today.
    until = min(qbr.held_on or today, today)
    kept = Q(status=CommitmentStatus.DONE, done_at__lt=business_day_end(until))
    if since is not None:
        kept &= Q(done_at__gte=business_day_start(since))
    wanted = commitment_overdue_q(until) | kept
    if last_qbr is not None:
        wanted |= Q(source_qbr=last_qbr)
    commitments = list(
        account.commitments.filter(wanted)
        .select_related("owner_user", "owner_stakeholder")
        .order_by("due_date", "pk")
    )
    # Done in the period (the query also brings the last QBR's next steps, done whenever), in
    # the order they were delivered.
    done = sorted(
        (
            c
            for c in commitments
            if c.status == CommitmentStatus.DONE
            and (since or date.min) <= business_date(c.done_at) <= until
        ),
        key=lambda c: (c.done_at, c.pk),
    )
    health = account_health(account, today)
    stakeholders = account_page_stakeholders(account)
    # Response times as they stood at the end of the period (now, for a QBR still to hold).
    moment = as_of(until)
    requests = ClientRequest.objects.filter(account=account)
    breached_since = last_qbr.held_at if last_qbr else request_window_start(moment, SLA_DAYS)

    return PrepPack(
        qbr=qbr,
        today=today,
        since=since,
        last_qbr=last_qbr,
        done=done,
        overdue=[c for c in commitments if c.is_overdue(until)],
        from_last_qbr=[c for c in commitments if last_qbr and c.source_qbr_id == last_qbr.pk],
        health=health,
        trend_points=_spark_points(health["trend"]),
        coverage=stakeholder_coverage(stakeholders, timezone.now()),
        stakeholders=stakeholders,
        revenue=account_revenue(account, today),
        schedule=schedule,
        plan_section=qbr_plan_summary(account, since or today - timedelta(days=90)),
        sla=sla_compliance(requests, moment, days=SLA_DAYS),
        breached_requests=[
            BreachedRequest(
                request,
                request.is_first_response_breached(moment),
                request.is_resolution_breached(moment),
            )
            for request in breached_requests(requests, moment, since=breached_since)
        ],
        breached_since=breached_since,
    )
