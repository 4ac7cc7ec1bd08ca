"""Table tests of the pure tiering and health functions (no database)."""

from dataclasses import replace
from decimal import Decimal

import pytest

from accounts.scoring import (
    DEFAULT_HEALTH_WEIGHTS,
    DEFAULT_TIER_WEIGHTS,
    HealthConfig,
    HealthInputs,
    TierConfig,
    TierInputs,
    compute_health,
    health_movers,
    pareto_classes,
    recommend_tiers,
)

CONFIG = HealthConfig(weights=DEFAULT_HEALTH_WEIGHTS)
HEALTHY = HealthInputs(
    days_since_touch=5,
    touch_cadence_days=14,
    active_stakeholders=6,
    has_decision_maker=True,
    has_champion=True,
    engaged_stakeholders_90d=3,
    open_departures=0,
    sentiment_avg_90d=1.5,
    interactions_90d=8,
    satisfaction_pct=90,
    revenue_last_12m=Decimal("120000"),
    revenue_prev_12m=Decimal("100000"),
    commitments_kept_90d=5,
    commitments_overdue=0,
    days_to_renewal=200,
)
NOTHING = HealthInputs(
    days_since_touch=None,
    touch_cadence_days=None,
    active_stakeholders=0,
    has_decision_maker=False,
    has_champion=False,
    engaged_stakeholders_90d=0,
    open_departures=0,
    sentiment_avg_90d=None,
    interactions_90d=0,
    satisfaction_pct=None,
    revenue_last_12m=Decimal(0),
    revenue_prev_12m=Decimal(0),
    commitments_kept_90d=0,
    commitments_overdue=0,
)


def _component(result, key):
    return next(c for c in result.components if c.key == key)


@pytest.mark.parametrize(
    ("days", "cadence", "expected", "code"),
    [
        (None, 14, 0, "engagement_never"),
        (0, 14, 100, "engagement_on_cadence"),
        (14, 14, 100, "engagement_on_cadence"),
        (28, 14, 50, "engagement_late"),
        (41, 14, 4, "engagement_late"),
        (42, 14, 0, "engagement_late"),
        (400, 14, 0, "engagement_late"),
        (20, None, 100, "engagement_on_cadence"),  # no tier → the config's default cadence (30)
    ],
)
def test_engagement_scores_recency_against_the_tier_cadence(days, cadence, expected, code):
    inputs = replace(HEALTHY, days_since_touch=days, touch_cadence_days=cadence)
    component = _component(compute_health(inputs, CONFIG), "engagement")
    assert component.score == expected
    assert component.reason.code == code


def test_the_reason_carries_the_figures_for_the_plain_language_text():
    inputs = replace(HEALTHY, days_since_touch=41, touch_cadence_days=14)
    reason = _component(compute_health(inputs, CONFIG), "engagement").reason
    assert reason.params == {"days": 41, "cadence": 14}


def test_every_input_missing_gives_no_score_and_says_why():
    config = HealthConfig(weights={**DEFAULT_HEALTH_WEIGHTS, "engagement": 0, "coverage": 0})
    result = compute_health(NOTHING, config)
    assert result.score is None
    assert result.band == "unknown"
    assert {c.reason.code for c in result.components if c.score is None} >= {
        "sentiment_no_data",
        "satisfaction_no_data",
        "revenue_no_data",
        "commitments_no_data",
        "qbr_not_tracked",
        "risks_no_plan",
        "renewal_no_date",
    }


def test_missing_components_are_left_out_and_weights_renormalised_not_zeroed():
    only_engagement = HealthConfig(weights={"engagement": 20, "sentiment": 80})
    inputs = replace(HEALTHY, sentiment_avg_90d=None, interactions_90d=0)
    result = compute_health(inputs, only_engagement)
    # Sentiment has no data: engagement alone decides, instead of 80 % of the score being zero.
    assert result.score == 100
    assert _component(result, "sentiment").score is None


def test_weights_of_zero_ignore_a_component():
    config = HealthConfig(weights={**DEFAULT_HEALTH_WEIGHTS, "engagement": 0})
    never_touched = replace(HEALTHY, days_since_touch=None)
    assert compute_health(never_touched, config).score == compute_health(HEALTHY, config).score


def test_all_weights_zero_gives_no_score():
    config = HealthConfig(weights=dict.fromkeys(DEFAULT_HEALTH_WEIGHTS, 0))
    assert compute_health(HEALTHY, config).score is None


@pytest.mark.parametrize(
    ("last", "previous", "expected", "code"),
    [
        ("100", "100", 50, "revenue_trend"),
        ("150", "100", 100, "revenue_trend"),
        ("50", "100", 0, "revenue_trend"),
        ("80", "100", 30, "revenue_trend"),  # negative growth
        ("0", "100", 0, "revenue_trend"),
        ("100", "0", None, "revenue_new"),
        ("0", "0", None, "revenue_no_data"),
    ],
)
def test_revenue_trend(last, previous, expected, code):
    inputs = replace(HEALTHY, revenue_last_12m=Decimal(last), revenue_prev_12m=Decimal(previous))
    component = _component(compute_health(inputs, CONFIG), "revenue_trend")
    assert (component.score, component.reason.code) == (expected, code)


@pytest.mark.parametrize(
    ("changes", "score", "code"),
    [
        ({}, 100, "coverage_ok"),
        ({"has_champion": False}, 65, "coverage_missing"),
        ({"engaged_stakeholders_90d": 1}, 70, "coverage_single_thread"),
        ({"open_departures": 1}, 40, "coverage_departure"),
        ({"active_stakeholders": 0}, 0, "coverage_none"),
    ],
)
def test_coverage_rewards_named_roles_and_threads_and_a_departure_caps_it(changes, score, code):
    component = _component(compute_health(replace(HEALTHY, **changes), CONFIG), "coverage")
    assert (component.score, component.reason.code) == (score, code)


@pytest.mark.parametrize(
    ("score", "band"),
    [(100, "healthy"), (70, "healthy"), (69, "watch"), (40, "watch"), (39, "at_risk")],
)
def test_bands_follow_the_configured_thresholds(score, band):
    from accounts.scoring import band_for

    assert band_for(score, CONFIG) == band


def test_healthy_inputs_score_healthy_and_neglect_scores_at_risk():
    assert compute_health(HEALTHY, CONFIG).band == "healthy"
    neglected = replace(
        HEALTHY,
        days_since_touch=90,
        open_departures=1,
        sentiment_avg_90d=-1.5,
        satisfaction_pct=20,
        revenue_last_12m=Decimal("40000"),
        commitments_kept_90d=0,
        commitments_overdue=4,
        days_to_renewal=20,
    )
    result = compute_health(neglected, CONFIG)
    assert result.band == "at_risk"
    assert result.reasons[0].code in {"engagement_late", "commitments", "revenue_trend"}


def test_movers_list_the_components_that_changed_biggest_first():
    result = compute_health(replace(HEALTHY, days_since_touch=28), CONFIG)
    before = {c.key: c.score for c in compute_health(HEALTHY, CONFIG).components}
    before["sentiment"] -= 10
    moves = health_movers(result, before)
    assert [m["key"] for m in moves] == ["engagement", "sentiment"]
    assert moves[0] == {"key": "engagement", "from": 100, "to": 50}
    assert health_movers(result, None) == []


@pytest.mark.parametrize(
    ("revenues", "expected"),
    [
        ({}, {}),
        ({1: Decimal(0), 2: Decimal(0)}, {1: "C", 2: "C"}),  # no revenue at all
        ({1: Decimal(500)}, {1: "A"}),  # one account
        # 50/30/10/5/5: the account that crosses 80 % is still A; B until 95 %.
        (
            {1: Decimal(50), 2: Decimal(30), 3: Decimal(10), 4: Decimal(5), 5: Decimal(5)},
            {1: "A", 2: "A", 3: "B", 4: "B", 5: "C"},
        ),
        # Ties at the cut-off: broken by id, never by input order.
        ({2: Decimal(40), 1: Decimal(40), 3: Decimal(20)}, {1: "A", 2: "A", 3: "B"}),
        ({1: Decimal(100), 2: Decimal(0)}, {1: "A", 2: "C"}),
    ],
)
def test_pareto_classes(revenues, expected):
    assert pareto_classes(revenues, 80, 95) == expected


def test_tier_recommendation_follows_score_thresholds_and_ignores_missing_criteria():
    config = TierConfig(weights=DEFAULT_TIER_WEIGHTS)
    big = TierInputs(
        1,
        Decimal(900_000),
        Decimal(700_000),
        35.0,
        {"growth_potential": 5, "strategic_alignment": 5},
    )
    small = TierInputs(2, Decimal(10_000), Decimal(20_000), None, {})
    none = TierInputs(3, Decimal(0), Decimal(0), None, {})
    results = recommend_tiers([big, small, none], config)
    assert results[1].tier == "strategic"
    assert results[1].pareto_class == "A"
    assert results[2].criteria["margin"] is None  # left out, not zero
    assert results[3].tier == "maintain"
    assert results[3].pareto_class == "C"


def test_tier_weights_of_zero_leave_only_the_weighted_criteria():
    config = TierConfig(weights={"pareto": 1})
    results = recommend_tiers([TierInputs(1, Decimal(10), Decimal(0), None, {})], config)
    assert results[1].score == 100  # the only account is class A


@pytest.mark.parametrize(
    ("tracked", "overdue", "score", "code"),
    [
        (False, None, None, "qbr_not_tracked"),
        (True, -20, 100, "qbr_on_cadence"),
        (True, 0, 100, "qbr_on_cadence"),
        (True, 10, 80, "qbr_overdue"),
        (True, 80, 0, "qbr_overdue"),
    ],
)
def test_qbr_component_follows_the_cadence(tracked, overdue, score, code):
    inputs = replace(HEALTHY, qbr_tracked=tracked, qbr_days_overdue=overdue)
    component = _component(compute_health(inputs, CONFIG), "qbr")
    assert (component.score, component.reason.code) == (score, code)


@pytest.mark.parametrize(
    ("counts", "score", "code"),
    [
        # (requests, responses met, missed, resolutions met, missed)
        ((0, 0, 0, 0, 0), None, "sla_no_data"),
        ((3, 0, 0, 0, 0), None, "sla_pending"),  # all still inside their targets
        ((10, 7, 3, 0, 0), 70, "sla"),
        ((10, 7, 3, 6, 2), 72, "sla"),  # 13 of 18 clocks met
        ((4, 4, 0, 4, 0), 100, "sla"),
        ((2, 0, 2, 0, 1), 0, "sla"),
    ],
)
def test_sla_component_scores_the_share_of_clocks_met(counts, score, code):
    requests, fr_met, fr_missed, res_met, res_missed = counts
    inputs = replace(
        HEALTHY,
        sla_requests_90d=requests,
        sla_responses_met=fr_met,
        sla_responses_missed=fr_missed,
        sla_resolutions_met=res_met,
        sla_resolutions_missed=res_missed,
    )
    component = _component(compute_health(inputs, CONFIG), "sla")
    assert (component.score, component.reason.code) == (score, code)
    assert component.weight == 5


def test_sla_reason_carries_late_counts_and_the_share_on_time():
    inputs = replace(
        HEALTHY,
        sla_requests_90d=10,
        sla_responses_met=7,
        sla_responses_missed=3,
        sla_resolutions_met=0,
        sla_resolutions_missed=0,
    )
    reason = _component(compute_health(inputs, CONFIG), "sla").reason
    assert reason.params == {
        "late": 3,
        "responses": 10,
        "late_resolved": 0,
        "resolutions": 0,
        "pct": 70,
    }


def test_an_account_without_requests_is_scored_as_if_sla_were_not_configured():
    without_sla = HealthConfig(weights={**DEFAULT_HEALTH_WEIGHTS, "sla": 0})
    assert compute_health(HEALTHY, CONFIG).score == compute_health(HEALTHY, without_sla).score


def test_default_health_weights_still_sum_to_100():
    assert sum(DEFAULT_HEALTH_WEIGHTS.values()) == 100
    assert DEFAULT_HEALTH_WEIGHTS["sla"] == 5
