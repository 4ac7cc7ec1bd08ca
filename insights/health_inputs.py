"""Set-based gathering of tiering and health inputs: a fixed number of queries per chunk of
accounts, whatever its size (no per-account loops)."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Max, Q

from accounts.models import (
    QBR_TRACKED_STATUSES,
    Account,
    BuyingRole,
    QbrDue,
    QualitativeRating,
    RevenueRecord,
    SatisfactionEntry,
    ScoringConfig,
    Stakeholder,
    Tier,
    qbr_due,
)
from accounts.revenue import margin_pct
from accounts.scoring import HealthConfig, HealthInputs, TierConfig, TierInputs
from activities.models import (
    QBR,
    ClientRequest,
    Commitment,
    CommitmentStatus,
    QBRStatus,
    commitment_overdue_q,
)
from insights.sla import sla_compliance_by_account
from kam.dates import as_of, business_date_of, business_day_end, business_tz
from kam.lookups import InArray, int_array
from plans.selectors import open_high_risk_counts

ZERO = Decimal(0)
WINDOW_DAYS = 90


def health_config(config: ScoringConfig) -> HealthConfig:
    return HealthConfig(
        weights=config.health_weights,
        healthy_min=config.healthy_min,
        watch_min=config.watch_min,
        default_touch_cadence_days=config.default_touch_cadence_days,
    )


def tier_config(config: ScoringConfig) -> TierConfig:
    tiers = sorted(config.tiers, key=lambda t: t["rank"])
    return TierConfig(
        weights=config.tier_weights,
        pareto_a_pct=float(config.pareto_a_pct),
        pareto_b_pct=float(config.pareto_b_pct),
        thresholds=tuple((t["key"], t["min_score"]) for t in tiers[:-1]),
        fallback_tier=tiers[-1]["key"],
    )


# One function per query below, each keyed by account id, over a chunk of account ids; every
# reading is as of the end of `day`. health_inputs puts them together: nine queries a chunk.
# Each row comes as a tuple of the columns its values_list (or SELECT) names, in order: the nightly
# run reads about seven rows per account, and a dict per row cost a third of the inputs'
# Python (bench/README.md, "Nightly health at 100,000 accounts").


def account_rows(account_ids: list[int]) -> dict[int, tuple]:
    """(status, renewal date, contract start, the business date it was created on, the tier's
    touch and QBR cadences, owner, stored health band): the last two for the scoring's notices
    and playbook check, so the chunk's accounts are read once."""
    return {
        row[0]: row[1:]
        for row in Account.objects.filter(InArray(F("pk"), account_ids)).values_list(
            "pk",
            "status",
            "renewal_date",
            "contract_start",
            business_date_of("created_at"),
            "tier__touch_cadence_days",
            "tier__qbr_cadence_days",
            "owner_id",
            "health_band",
        )
    }


def touch_inputs(account_ids: list[int], day: date) -> dict[int, tuple]:
    """(the business date of the last touch, mean sentiment over the window, interactions over
    the window). Per account, the last touch by one backward probe of the (account,
    occurred_at) index and the window's rows alone (LATERAL joins, which the ORM does not
    write): grouping the chunk's interactions read every earlier one of each account, about 50
    each at 100,000 accounts (9-10 → 5 ms of server time a chunk of 1,000 under EXPLAIN
    ANALYZE). Index only: the index includes sentiment, and rows are counted on the (never
    null) occurred_at. Accounts never touched by then are absent.

    Dates here and in account_rows and last_qbr_held are the business dates PostgreSQL gives
    (kam.dates.business_date_of, and its raw form here): converting each moment in Python
    (kam.dates.business_date, about three an account) took 2-3 ms of the inputs' 30 ms of
    Python a chunk of 1,000 (bench/README.md, "Nightly health at 100,000 accounts").
    tests/insights/test_health_input_dates.py holds them to business_date."""
    day_end = business_day_end(day)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.account_id, (touched.last AT TIME ZONE %(zone)s)::date,
                   window_rows.sentiment, window_rows.count
            FROM unnest(%(ids)s::bigint[]) AS a (account_id)
            CROSS JOIN LATERAL (
                SELECT max(i.occurred_at) AS last FROM activities_interaction AS i
                WHERE i.account_id = a.account_id AND i.occurred_at < %(end)s
            ) AS touched
            CROSS JOIN LATERAL (
                SELECT avg(i.sentiment) AS sentiment, count(i.occurred_at) AS count
                FROM activities_interaction AS i
                WHERE i.account_id = a.account_id
                  AND i.occurred_at >= %(since)s AND i.occurred_at < %(end)s
            ) AS window_rows
            WHERE touched.last IS NOT NULL
            """,
            {
                "ids": int_array(account_ids),
                "end": day_end,
                "since": day_end - timedelta(days=WINDOW_DAYS),
                "zone": str(business_tz()),
            },
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}


# The key roles whose departure counts while nobody active holds them.
KEY_ROLES = (
    ("decision_maker", Q(buying_role=BuyingRole.DECISION_MAKER)),
    ("champion", Q(buying_role=BuyingRole.CHAMPION)),
    ("primary", Q(is_primary=True)),
)


def coverage_inputs(account_ids: list[int], day: date) -> dict[int, tuple]:
    """Stakeholder coverage as of `day`: (people active, engaged in the window, each key role's
    active holders, each key role's people gone), the roles in KEY_ROLES order. health_inputs
    counts a role as departed while nobody active holds it."""
    since = business_day_end(day) - timedelta(days=WINDOW_DAYS)
    active = Q(left_on__isnull=True) | Q(left_on__gt=day)
    gone = Q(left_on__lte=day)
    held = {f"held_{name}": Count("account_id", filter=active & role) for name, role in KEY_ROLES}
    left = {f"gone_{name}": Count("account_id", filter=gone & role) for name, role in KEY_ROLES}
    roles = len(KEY_ROLES)
    return {
        row[0]: (row[1], row[2], row[3 : 3 + roles], row[3 + roles :])
        for row in Stakeholder.objects.filter(InArray(F("account_id"), account_ids))
        .values("account_id")
        .annotate(
            active=Count("account_id", filter=active),
            engaged=Count("account_id", filter=active & Q(last_interaction_at__gte=since)),
            **held,
            **left,
        )
        .values_list("account_id", "active", "engaged", *held, *left)
    }


def satisfaction_inputs(account_ids: list[int], day: date) -> dict[int, float]:
    """The latest satisfaction answer of the last year, as a percentage."""
    return {
        account_id: SatisfactionEntry.percent_of(kind, score)
        for account_id, kind, score in SatisfactionEntry.objects.filter(
            InArray(F("account_id"), account_ids),
            recorded_on__lte=day,
            recorded_on__gt=day - timedelta(days=365),
        )
        .order_by("account_id", "-recorded_on", "-pk")
        .distinct("account_id")
        .values_list("account_id", "kind", "score")
    }


def revenue_inputs(account_ids: list[int], day: date) -> dict[int, tuple]:
    """(last, previous) 12-month revenue (RevenueRecord.objects.window_totals)."""
    return {
        row[0]: row[1:]
        for row in RevenueRecord.objects.filter(InArray(F("account_id"), account_ids))
        .window_totals(day)
        .values_list("account_id", "last", "previous")
    }


def commitment_inputs(account_ids: list[int], day: date) -> dict[int, tuple]:
    """Our side's commitments: (kept: done, due in the window; overdue as of `day`,
    Commitment.objects.overdue's rule). Counted on the never-null due_date so the
    (account, status, due_date) index that includes the owner is enough."""
    return {
        row[0]: row[1:]
        for row in Commitment.objects.filter(
            InArray(F("account_id"), account_ids), owner_user__isnull=False
        )
        .values("account_id")
        .annotate(
            kept=Count(
                "due_date",
                filter=Q(
                    status=CommitmentStatus.DONE,
                    due_date__gt=day - timedelta(days=WINDOW_DAYS),
                    due_date__lte=day,
                ),
            ),
            overdue=Count("due_date", filter=commitment_overdue_q(day)),
        )
        .values_list("account_id", "kept", "overdue")
    }


def last_qbr_held(account_ids: list[int], day: date) -> dict[int, date]:
    """The business date the last QBR was held on, by the end of `day`."""
    return dict(
        QBR.objects.filter(
            InArray(F("account_id"), account_ids),
            status=QBRStatus.HELD,
            held_at__lt=business_day_end(day),
        )
        .values("account_id")
        .annotate(last=business_date_of(Max("held_at")))
        .values_list("account_id", "last")
    )


def sla_inputs(account_ids: list[int], day: date) -> dict[int, dict]:
    """SLA compliance of the requests received in the WINDOW_DAYS window of `day` (insights.sla's
    rule: from the start of the day WINDOW_DAYS before), as of its end, or as of now while `day`
    is today: a clock due later today is not missed yet. Scored on that day or later, the same
    requests."""
    rows = sla_compliance_by_account(
        ClientRequest.objects.filter(InArray(F("account_id"), account_ids)),
        as_of(day),
        [WINDOW_DAYS],
    )
    return {pk: windows[WINDOW_DAYS] for pk, windows in rows.items()}


NO_TOUCH = (None, None, 0)
NO_PEOPLE = (0, 0, (0,) * len(KEY_ROLES), (0,) * len(KEY_ROLES))
NO_REVENUE = (ZERO, ZERO)
NO_COMMITMENTS = (0, 0)


def health_inputs(
    account_ids: list[int], day: date, accounts: dict[int, tuple] | None = None
) -> dict[int, HealthInputs]:
    """Inputs as of the end of `day`, in nine queries for any number of accounts (one per
    function above, plus the open high-severity risks on the active plan, read as they are
    now: plans keep no per-day risk history; accounts without a plan are absent). `accounts`:
    the chunk's account_rows when the caller has read them already."""
    accounts = account_rows(account_ids) if accounts is None else accounts
    touches = touch_inputs(account_ids, day)
    people = coverage_inputs(account_ids, day)
    satisfaction = satisfaction_inputs(account_ids, day)
    revenue = revenue_inputs(account_ids, day)
    commitments = commitment_inputs(account_ids, day)
    high_risks = open_high_risk_counts(account_ids)
    last_qbr = last_qbr_held(account_ids, day)
    sla = sla_inputs(account_ids, day)
    inputs = {}
    for pk, (
        status,
        renewal,
        contract_start,
        created_on,
        touch_cadence,
        qbr_cadence,
        _owner,
        _band,
    ) in accounts.items():
        touched_on, sentiment, interactions = touches.get(pk, NO_TOUCH)
        active, engaged, held, gone = people.get(pk, NO_PEOPLE)
        revenue_last, revenue_previous = revenue.get(pk, NO_REVENUE)
        kept, overdue = commitments.get(pk, NO_COMMITMENTS)
        requests = sla.get(pk)
        qbr_tracked = status in QBR_TRACKED_STATUSES
        qbr_days_overdue, qbr_basis = None, QbrDue.LAST_QBR
        if qbr_tracked:
            # As of `day`, so from the QBRs held by then rather than Account.last_qbr_held_at.
            due = qbr_due(
                last_held_on=last_qbr.get(pk),
                contract_start=contract_start,
                created_on=created_on,
                cadence_days=qbr_cadence,
            )
            qbr_days_overdue, qbr_basis = due.days_overdue(day), due.basis
        account_inputs = inputs[pk] = HealthInputs(
            days_since_touch=(day - touched_on).days if touched_on else None,
            touch_cadence_days=touch_cadence,
            active_stakeholders=active,
            has_decision_maker=bool(held[0]),  # KEY_ROLES order
            has_champion=bool(held[1]),
            engaged_stakeholders_90d=engaged,
            # Key roles someone left and nobody active holds.
            open_departures=sum(1 for was, now in zip(gone, held, strict=True) if was and not now),
            sentiment_avg_90d=None if sentiment is None else float(sentiment),
            interactions_90d=interactions,
            satisfaction_pct=satisfaction.get(pk),
            revenue_last_12m=revenue_last,
            revenue_prev_12m=revenue_previous,
            commitments_kept_90d=kept,
            commitments_overdue=overdue,
            days_to_renewal=(renewal - day).days if renewal else None,
            qbr_tracked=qbr_tracked,
            qbr_days_overdue=qbr_days_overdue,
            qbr_basis=qbr_basis,
            risks_tracked=pk in high_risks,
            open_high_risks=high_risks.get(pk, 0),
        )
        if requests is not None:
            account_inputs.sla_requests_90d = requests.requests
            account_inputs.sla_responses_met = requests.first_response.met
            account_inputs.sla_responses_missed = requests.first_response.missed
            account_inputs.sla_resolutions_met = requests.resolution.met
            account_inputs.sla_resolutions_missed = requests.resolution.missed
    return inputs


def tier_inputs(day: date) -> list[TierInputs]:
    """Every account's tiering inputs (Pareto needs the whole portfolio): three queries."""
    revenue = {
        row["account_id"]: row for row in RevenueRecord.objects.window_totals(day, margin=True)
    }
    ratings: dict[int, dict[str, int]] = {}
    for account_id, criterion, score in (
        QualitativeRating.objects.order_by("account_id", "criterion", "-set_at", "-pk")
        .distinct("account_id", "criterion")
        .values_list("account_id", "criterion", "score")
    ):
        ratings.setdefault(account_id, {})[criterion] = score
    portfolio = []
    for account_id in Account.objects.live().values_list("pk", flat=True):
        money = revenue.get(account_id, {})
        margin = margin_pct(money.get("costed"), money.get("cost"))
        portfolio.append(
            TierInputs(
                account_id=account_id,
                revenue_last_12m=money.get("last", ZERO),
                revenue_prev_12m=money.get("previous", ZERO),
                margin_pct=None if margin is None else float(margin),
                ratings=ratings.get(account_id, {}),
            )
        )
    return portfolio


def tiers_by_key() -> dict[str, Tier]:
    return {tier.key: tier for tier in Tier.objects.all()}
