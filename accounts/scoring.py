"""Tiering and health scoring: pure functions over plain dataclasses (STYLE.md).

No ORM, no settings, no clock: callers pass inputs gathered in bulk and the config version in
force. Reasons are codes with parameters, rendered in the reader's language at display time
(accounts/health_text.py), so a stored score reads right in English and Portuguese."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter

from accounts.revenue import growth_pct, share_pct

# ---------------------------------------------------------------------------------------------
# Configuration


HEALTH_COMPONENTS = (
    "engagement",
    "coverage",
    "sentiment",
    "satisfaction",
    "revenue_trend",
    "commitments",
    "qbr",
    "risks",
    "renewal",
    "sla",
)
# "sla" took 5 from "sentiment" (15 → 10): the defaults still sum to 100.
DEFAULT_HEALTH_WEIGHTS = {
    "engagement": 20,
    "coverage": 15,
    "sentiment": 10,
    "satisfaction": 10,
    "revenue_trend": 15,
    "commitments": 10,
    "qbr": 5,
    "risks": 5,
    "renewal": 5,
    "sla": 5,
}
TIER_CRITERIA = (
    "revenue",
    "revenue_share",
    "growth",
    "margin",
    "pareto",
    "growth_potential",
    "market_influence",
    "strategic_alignment",
    "referral_value",
)
DEFAULT_TIER_WEIGHTS = {
    "revenue": 20,
    "revenue_share": 10,
    "growth": 10,
    "margin": 5,
    "pareto": 25,
    "growth_potential": 10,
    "market_influence": 8,
    "strategic_alignment": 8,
    "referral_value": 4,
}


@dataclass(frozen=True)
class HealthConfig:
    weights: Mapping[str, float]
    healthy_min: int = 70
    watch_min: int = 40
    default_touch_cadence_days: int = 30


@dataclass(frozen=True)
class TierConfig:
    weights: Mapping[str, float]
    pareto_a_pct: float = 80.0
    pareto_b_pct: float = 95.0
    # Minimum tier score for each tier key, highest first; the last tier takes the rest.
    thresholds: tuple[tuple[str, float], ...] = (("strategic", 75), ("key", 55), ("growth", 35))
    fallback_tier: str = "maintain"


# ---------------------------------------------------------------------------------------------
# Health


@dataclass(slots=True)
class HealthInputs:
    """Everything the health score looks at for one account on one day; None = no data."""

    days_since_touch: int | None
    touch_cadence_days: int | None
    active_stakeholders: int
    has_decision_maker: bool
    has_champion: bool
    engaged_stakeholders_90d: int
    open_departures: int
    sentiment_avg_90d: float | None
    interactions_90d: int
    satisfaction_pct: float | None  # latest NPS/CSAT as 0–100, None when none in a year
    revenue_last_12m: Decimal
    revenue_prev_12m: Decimal
    commitments_kept_90d: int
    commitments_overdue: int
    qbr_tracked: bool = False
    qbr_days_overdue: int | None = None
    # What the QBR clock counts from (accounts.models.QbrDue.basis): before the first QBR is
    # held, the contract start or the account's creation, and the reason says so.
    qbr_basis: str = "last_qbr"
    risks_tracked: bool = False  # the account has an active plan to read risks from
    open_high_risks: int = 0
    days_to_renewal: int | None = None
    # Client requests received in the last 90 days and their SLA clocks (insights.sla's rule:
    # met, missed = late or open past due; the pending ones are not counted).
    sla_requests_90d: int = 0
    sla_responses_met: int = 0
    sla_responses_missed: int = 0
    sla_resolutions_met: int = 0
    sla_resolutions_missed: int = 0


@dataclass(slots=True)
class Reason:
    code: str
    params: Mapping[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"code": self.code, "params": dict(self.params)}


@dataclass(slots=True)
class ComponentScore:
    key: str
    score: int | None  # None: no data, left out and the weights renormalised
    weight: float
    reason: Reason

    def as_dict(self) -> dict:
        # Built in one literal (not through Reason.as_dict): ten per account every night.
        reason = self.reason
        return {
            "key": self.key,
            "score": self.score,
            "weight": self.weight,
            "reason": {"code": reason.code, "params": dict(reason.params)},
        }


@dataclass(slots=True)
class HealthResult:
    score: int | None
    band: str  # healthy / watch / at_risk / unknown
    components: tuple[ComponentScore, ...]

    @property
    def reasons(self) -> list[Reason]:
        """Weakest scored components first, then what was left out."""
        scored = sorted((c for c in self.components if c.score is not None), key=lambda c: c.score)
        missing = [c for c in self.components if c.score is None and c.weight > 0]
        return [c.reason for c in scored] + [c.reason for c in missing]


def _clamp(value: float, low: float = 0, high: float = 100) -> float:
    return max(low, min(high, value))


def _round(value: float) -> int:
    """Half away from zero, as people round (Python's round() goes to the even neighbour).
    Plain float arithmetic: this runs ten times per account every night."""
    if value >= 0:
        return int(value + 0.5)
    return -int(0.5 - value)


def band_for(score: int | None, config: HealthConfig) -> str:
    if score is None:
        return "unknown"
    if score >= config.healthy_min:
        return "healthy"
    if score >= config.watch_min:
        return "watch"
    return "at_risk"


def _engagement(i: HealthInputs, config: HealthConfig) -> tuple[int | None, Reason]:
    cadence = i.touch_cadence_days or config.default_touch_cadence_days
    if i.days_since_touch is None:
        return 0, Reason("engagement_never", {"cadence": cadence})
    if i.days_since_touch <= cadence:
        return 100, Reason(
            "engagement_on_cadence", {"days": i.days_since_touch, "cadence": cadence}
        )
    # Full marks on cadence, nothing left at three cadences without a touch.
    late = (i.days_since_touch - cadence) / (2 * cadence)
    return _round(_clamp(100 * (1 - late))), Reason(
        "engagement_late", {"days": i.days_since_touch, "cadence": cadence}
    )


def _coverage(i: HealthInputs) -> tuple[int | None, Reason]:
    if i.active_stakeholders == 0:
        return 0, Reason("coverage_none")
    score = (
        35 * i.has_decision_maker
        + 35 * i.has_champion
        + (30 if i.engaged_stakeholders_90d >= 2 else 0)
    )
    if i.open_departures:
        return min(score, 40), Reason("coverage_departure", {"count": i.open_departures})
    missing = [
        name
        for name, present in (
            ("decision_maker", i.has_decision_maker),
            ("champion", i.has_champion),
        )
        if not present
    ]
    if missing:
        return score, Reason("coverage_missing", {"roles": missing})
    if i.engaged_stakeholders_90d < 2:
        return score, Reason("coverage_single_thread", {"engaged": i.engaged_stakeholders_90d})
    return score, Reason("coverage_ok", {"engaged": i.engaged_stakeholders_90d})


def _sentiment(i: HealthInputs) -> tuple[int | None, Reason]:
    if i.sentiment_avg_90d is None or i.interactions_90d == 0:
        return None, Reason("sentiment_no_data")
    score = _round(_clamp((i.sentiment_avg_90d + 2) * 25))
    return score, Reason(
        "sentiment", {"average": round(i.sentiment_avg_90d, 1), "count": i.interactions_90d}
    )


def _satisfaction(i: HealthInputs) -> tuple[int | None, Reason]:
    if i.satisfaction_pct is None:
        return None, Reason("satisfaction_no_data")
    return _round(_clamp(i.satisfaction_pct)), Reason(
        "satisfaction", {"score": round(i.satisfaction_pct)}
    )


def _revenue_trend(i: HealthInputs) -> tuple[int | None, Reason]:
    if not i.revenue_prev_12m:
        if i.revenue_last_12m:
            return None, Reason("revenue_new")
        return None, Reason("revenue_no_data")
    change_pct = float(growth_pct(i.revenue_last_12m, i.revenue_prev_12m))
    # Flat revenue scores 50; +50 % or better scores 100; −50 % or worse scores 0.
    return _round(_clamp(50 + change_pct)), Reason(
        "revenue_trend", {"change_pct": round(change_pct, 1)}
    )


def _commitments(i: HealthInputs) -> tuple[int | None, Reason]:
    total = i.commitments_kept_90d + i.commitments_overdue
    if total == 0:
        return None, Reason("commitments_no_data")
    score = _round(100 * i.commitments_kept_90d / total)
    return score, Reason(
        "commitments", {"kept": i.commitments_kept_90d, "overdue": i.commitments_overdue}
    )


def _qbr(i: HealthInputs) -> tuple[int | None, Reason]:
    if not i.qbr_tracked:
        return None, Reason("qbr_not_tracked")
    never_held = i.qbr_basis != "last_qbr"
    if i.qbr_days_overdue is None or i.qbr_days_overdue <= 0:
        days = -(i.qbr_days_overdue or 0)
        if never_held:
            return 100, Reason("qbr_first_due", {"days": days, "basis": i.qbr_basis})
        return 100, Reason("qbr_on_cadence", {"days": days})
    score = _round(_clamp(100 - i.qbr_days_overdue * 2))
    if never_held:
        return score, Reason(
            "qbr_first_overdue", {"days": i.qbr_days_overdue, "basis": i.qbr_basis}
        )
    return score, Reason("qbr_overdue", {"days": i.qbr_days_overdue})


def _risks(i: HealthInputs) -> tuple[int | None, Reason]:
    if not i.risks_tracked:
        return None, Reason("risks_no_plan")
    if i.open_high_risks == 0:
        return 100, Reason("risks_none")
    return _round(_clamp(100 - 40 * i.open_high_risks)), Reason(
        "risks_open", {"count": i.open_high_risks}
    )


def _renewal(i: HealthInputs) -> tuple[int | None, Reason]:
    days = i.days_to_renewal
    if days is None:
        return None, Reason("renewal_no_date")
    if days < 0:
        return 20, Reason("renewal_passed", {"days": -days})
    if days <= 30:
        return 40, Reason("renewal_close", {"days": days})
    if days <= 90:
        return 70, Reason("renewal_close", {"days": days})
    return 100, Reason("renewal_far", {"days": days})


def _sla(i: HealthInputs) -> tuple[int | None, Reason]:
    """Share of the counted SLA clocks (first responses and resolutions) met in 90 days; the
    targets come from the account's tier."""
    if i.sla_requests_90d == 0:
        return None, Reason("sla_no_data")
    met = i.sla_responses_met + i.sla_resolutions_met
    counted = met + i.sla_responses_missed + i.sla_resolutions_missed
    if counted == 0:
        return None, Reason("sla_pending", {"count": i.sla_requests_90d})
    pct = 100 * met / counted
    return _round(pct), Reason(
        "sla",
        {
            "late": i.sla_responses_missed,
            "responses": i.sla_responses_met + i.sla_responses_missed,
            "late_resolved": i.sla_resolutions_missed,
            "resolutions": i.sla_resolutions_met + i.sla_resolutions_missed,
            "pct": _round(pct),
        },
    )


def compute_health(inputs: HealthInputs, config: HealthConfig) -> HealthResult:
    raw = {
        "engagement": _engagement(inputs, config),
        "coverage": _coverage(inputs),
        "sentiment": _sentiment(inputs),
        "satisfaction": _satisfaction(inputs),
        "revenue_trend": _revenue_trend(inputs),
        "commitments": _commitments(inputs),
        "qbr": _qbr(inputs),
        "risks": _risks(inputs),
        "renewal": _renewal(inputs),
        "sla": _sla(inputs),
    }
    weights = config.weights
    components = []
    total_weight = weighted = 0.0
    for key, (score, reason) in raw.items():
        weight = float(weights.get(key, 0))
        components.append(ComponentScore(key, score, weight, reason))
        if score is not None and weight > 0:
            total_weight += weight
            weighted += score * weight
    if total_weight <= 0:
        return HealthResult(None, "unknown", tuple(components))
    score = _round(weighted / total_weight)
    return HealthResult(score, band_for(score, config), tuple(components))


def health_movers(
    current: HealthResult, previous_components: Mapping[str, int | None] | None
) -> list[dict]:
    """Components whose score changed since the previous snapshot, biggest move first."""
    if not previous_components:
        return []
    moves = []
    for component in current.components:
        before = previous_components.get(component.key)
        if component.score is None or before is None or component.score == before:
            continue
        moves.append((abs(component.score - before), component.key, before, component.score))
    if not moves:
        return []
    moves.sort(key=itemgetter(0), reverse=True)  # stable: ties keep the component order
    return [{"key": key, "from": before, "to": after} for _, key, before, after in moves]


# ---------------------------------------------------------------------------------------------
# Tiering


def pareto_classes(
    revenues: Mapping[int, Decimal], a_pct: float = 80.0, b_pct: float = 95.0
) -> dict[int, str]:
    """ABC classes on revenue: A while the cumulative share *before* an account is under the A
    cut-off (so the account that crosses 80 % is still A), then B up to the B cut-off, then C.
    Ties are broken by id so the result never depends on input order. No revenue → C."""
    total = sum((r for r in revenues.values() if r > 0), Decimal(0))
    ranked = sorted(revenues.items(), key=lambda item: (-item[1], item[0]))
    classes: dict[int, str] = {}
    cumulative = Decimal(0)
    for account_id, revenue in ranked:
        if revenue <= 0 or total == 0:
            classes[account_id] = "C"
            continue
        share_before = cumulative / total * 100
        if share_before < Decimal(str(a_pct)):
            classes[account_id] = "A"
        elif share_before < Decimal(str(b_pct)):
            classes[account_id] = "B"
        else:
            classes[account_id] = "C"
        cumulative += revenue
    return classes


@dataclass(frozen=True)
class TierInputs:
    account_id: int
    revenue_last_12m: Decimal
    revenue_prev_12m: Decimal
    margin_pct: float | None
    ratings: Mapping[str, int]  # criterion → 1..5 (absent = not rated)


@dataclass(frozen=True)
class TierResult:
    account_id: int
    pareto_class: str
    score: int | None
    tier: str
    criteria: Mapping[str, int | None]


def _percentile_ranks(values: Mapping[int, Decimal]) -> dict[int, float]:
    """0–100 rank of each value among all (ties share the lower rank); one account → 100."""
    ordered = sorted(values.values())
    count = len(ordered)
    ranks = {}
    for key, value in values.items():
        below = bisect_left(ordered, value)
        ranks[key] = 100.0 if count == 1 else 100.0 * below / (count - 1)
    return ranks


def recommend_tiers(portfolio: list[TierInputs], config: TierConfig) -> dict[int, TierResult]:
    """Tier score 0–100 per account from weighted criteria (missing criteria are left out and
    the weights renormalised), then the tier whose threshold the score reaches."""
    revenues = {p.account_id: p.revenue_last_12m for p in portfolio}
    classes = pareto_classes(revenues, config.pareto_a_pct, config.pareto_b_pct)
    revenue_rank = _percentile_ranks(revenues) if revenues else {}
    total = sum(revenues.values(), Decimal(0))
    results = {}
    for item in portfolio:
        criteria: dict[str, float | None] = {
            "revenue": revenue_rank.get(item.account_id) if item.revenue_last_12m > 0 else 0.0,
            # Share scaled so that 10 % of the portfolio or more is full marks.
            "revenue_share": _clamp(float(share_pct(item.revenue_last_12m, total)) * 10)
            if total
            else None,
            "growth": (
                _clamp(50 + float(growth_pct(item.revenue_last_12m, item.revenue_prev_12m)))
                if item.revenue_prev_12m
                else None
            ),
            "margin": _clamp(item.margin_pct * 2) if item.margin_pct is not None else None,
            "pareto": {"A": 100.0, "B": 60.0, "C": 20.0}[classes[item.account_id]],
        }
        for criterion in (
            "growth_potential",
            "market_influence",
            "strategic_alignment",
            "referral_value",
        ):
            rating = item.ratings.get(criterion)
            criteria[criterion] = (rating - 1) * 25.0 if rating else None
        counted = [
            (value, float(config.weights.get(name, 0)))
            for name, value in criteria.items()
            if value is not None and config.weights.get(name, 0) > 0
        ]
        weight = sum(w for _v, w in counted)
        score = _round(sum(v * w for v, w in counted) / weight) if weight else None
        tier = config.fallback_tier
        if score is not None:
            for tier_key, minimum in config.thresholds:
                if score >= minimum:
                    tier = tier_key
                    break
        results[item.account_id] = TierResult(
            account_id=item.account_id,
            pareto_class=classes[item.account_id],
            score=score,
            tier=tier,
            criteria={k: (None if v is None else _round(v)) for k, v in criteria.items()},
        )
    return results
