"""Tiering and health services against the real database (and one real Celery worker)."""

import functools
import gc
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from accounts import services
from accounts.models import Account, HealthScore, ScoringConfig, Tier, TierChange
from accounts.services import scoring_defaults_ensure
from activities.models import Notification
from activities.services import NextStep, interaction_log
from insights import services as insights_services
from insights.health_inputs import health_inputs, tier_inputs
from kam.dates import business_date, business_day_end
from tests.database import row_versions
from tests.factories import (
    AccountFactory,
    InteractionFactory,
    RevenueRecordFactory,
    StakeholderFactory,
)


@pytest.fixture
def portfolio(kam_user):
    """Three accounts with very different revenue, one well looked after."""
    today = business_date()
    big = AccountFactory(name="Big", owner=kam_user, renewal_date=today + timedelta(days=200))
    mid = AccountFactory(name="Mid", owner=kam_user)
    small = AccountFactory(name="Small", owner=kam_user)
    for account, amount in ((big, 800_000), (mid, 150_000), (small, 50_000)):
        RevenueRecordFactory(account=account, booked_on=today - timedelta(days=30), amount=amount)
        RevenueRecordFactory(account=account, booked_on=today - timedelta(days=400), amount=amount)
    champion = StakeholderFactory(account=big, buying_role="champion")
    boss = StakeholderFactory(account=big, buying_role="decision_maker")
    interaction_log(
        account=big,
        actor=kam_user,
        kind="meeting",
        occurred_at=timezone.now() - timedelta(days=2),
        summary="Review",
        stakeholders=[champion, boss],
        sentiment=2,
        next_steps=[NextStep("Proposal", today + timedelta(days=3), owner_user=kam_user)],
    )
    return big, mid, small


def test_tiers_recompute_gives_pareto_classes_and_a_first_tier(portfolio):
    big, _mid, small = portfolio
    summary = insights_services.tiers_recompute()
    assert summary["initial"] == 3
    big.refresh_from_db()
    small.refresh_from_db()
    assert big.pareto_class == "A"
    assert small.pareto_class == "C"
    assert big.tier == big.recommended_tier
    change = TierChange.objects.get(account=big)
    assert change.source == "initial" and change.changed_by is None


def test_tiers_recompute_rewrites_only_the_accounts_whose_recommendation_changed(portfolio):
    """Run again with nothing changed, the nightly job writes no account (the rows keep their
    version, `xmin`, and their `recommended_at`); an account whose stored recommendation no
    longer matches its figures is rewritten, and only that one."""
    _big, _mid, small = portfolio

    def versions():
        return row_versions("accounts_account", "recommended_at")

    assert insights_services.tiers_recompute()["rewritten"] == 3
    first = versions()
    assert all(recommended_at is not None for _xmin, recommended_at in first.values())
    assert insights_services.tiers_recompute()["rewritten"] == 0
    assert versions() == first
    Account.objects.filter(pk=small.pk).update(tier_score=F("tier_score") + 1)
    drifted = versions()
    assert insights_services.tiers_recompute()["rewritten"] == 1
    after = versions()
    assert {pk for pk in after if after[pk] != drifted[pk]} == {small.pk}
    assert after[small.pk][1] > first[small.pk][1]


def test_a_mismatch_waits_for_review_and_accepting_records_who_when_why(portfolio, leader):
    big, *_ = portfolio
    insights_services.tiers_recompute()
    big.refresh_from_db()
    lowest = Tier.objects.order_by("-rank").first()
    Account.objects.filter(pk=big.pk).update(tier=lowest, recommendation_reviewed=False)
    from accounts.selectors import tier_review_rows

    assert list(tier_review_rows(leader)) == [Account.objects.get(pk=big.pk)]
    change = services.tier_recommendation_review(account=big, actor=leader, accept=True)
    big.refresh_from_db()
    assert big.tier == big.recommended_tier
    assert (change.from_tier, change.to_tier, change.changed_by) == (lowest, big.tier, leader)
    assert list(tier_review_rows(leader)) == []


def test_an_override_needs_a_reason(portfolio, leader):
    big, *_ = portfolio
    insights_services.tiers_recompute()
    with pytest.raises(ValidationError) as error:
        services.tier_recommendation_review(account=big, actor=leader, accept=False, reason=" ")
    assert "reason" in error.value.error_dict
    change = services.tier_recommendation_review(
        account=big, actor=leader, accept=False, reason="Board asked us to keep it"
    )
    assert change.source == "override" and change.reason == "Board asked us to keep it"


def test_health_recompute_twice_leaves_one_score_per_account_per_day(portfolio):
    insights_services.tiers_recompute()
    today = business_date()
    assert insights_services.health_recompute_all(day=today) == 3
    first = {s.account_id: s.pk for s in HealthScore.objects.all()}
    call_command("recompute_health")
    assert HealthScore.objects.filter(day=today).count() == 3
    assert {s.account_id: s.pk for s in HealthScore.objects.all()} == first  # updated in place


def test_a_chunk_scores_without_the_garbage_collector_and_leaves_no_cycles(portfolio):
    """The chunk pauses the collector (kam.runtime.gc_paused), which is safe only while what it
    builds needs none: nothing is left for the collector once it is done."""
    accounts = [AccountFactory(owner=portfolio[0].owner) for _ in range(40)]
    ids = [account.pk for account in [*portfolio, *accounts]]
    today = business_date()
    # Yesterday first: today's run then reads previous scores, sends notices and copies the
    # scores to the accounts, every path of the nightly chunk.
    insights_services.health_recompute(account_ids=ids, day=today - timedelta(days=1))
    collections = []

    def count(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    gc.collect()
    gc.callbacks.append(count)
    try:
        insights_services.health_recompute(account_ids=ids, day=today)
        assert gc.isenabled()
        # Once the pause ends, the collector may catch up once; scoring with it on started
        # one every few accounts (three times here).
        assert len(collections) <= 1
        assert gc.collect() == 0
    finally:
        gc.callbacks.remove(count)


@pytest.mark.django_db(transaction=True)
def test_threads_share_the_chunks_and_score_as_one_thread_does(portfolio, monkeypatch):
    """Committed data (no test transaction), so each thread's own connection sees it."""
    monkeypatch.setattr(
        insights_services,
        "account_id_chunks",
        functools.partial(insights_services.account_id_chunks, chunk_size=1),
    )
    insights_services.tiers_recompute()
    today = business_date()
    assert insights_services.health_recompute_all(day=today, threads=2) == 3
    threaded = set(HealthScore.objects.filter(day=today).values_list("pk", "account_id", "score"))
    assert len(threaded) == 3
    assert insights_services.health_recompute_all(day=today, threads=1) == 3
    assert set(HealthScore.objects.values_list("pk", "account_id", "score")) == threaded


def test_the_score_stores_its_explanation_and_config_version(portfolio):
    big, *_ = portfolio
    insights_services.tiers_recompute()
    insights_services.health_recompute_all(day=business_date(), account_id=big.pk)
    score = HealthScore.objects.get(account=big)
    assert score.config == scoring_defaults_ensure()
    codes = {c["key"]: c["reason"]["code"] for c in score.components}
    assert codes["engagement"] == "engagement_on_cadence"
    assert codes["qbr"] == "qbr_first_due"  # a new account: the first QBR is not due yet
    big.refresh_from_db()
    assert (big.health_score, big.health_band) == (score.score, score.band)


def test_a_future_date_is_refused(portfolio):
    with pytest.raises(ValidationError):
        insights_services.health_recompute_all(day=business_date() + timedelta(days=1))
    future = (business_date() + timedelta(days=1)).isoformat()
    with pytest.raises(CommandError, match="future"):
        call_command("recompute_health", "--date", future)


def test_dropping_a_band_notifies_the_owner_once(portfolio, kam_user):
    big, *_ = portfolio
    insights_services.tiers_recompute()
    today = business_date()
    HealthScore.objects.create(
        account=big,
        day=today - timedelta(days=1),
        score=95,
        band="healthy",
        components=[],
        config=scoring_defaults_ensure(),
    )
    # Make today's picture bad: the champion leaves and nothing was kept.
    big.stakeholders.filter(buying_role="champion").update(left_on=today - timedelta(days=1))
    big.commitments.update(due_date=today - timedelta(days=5))
    config = _config_with(engagement=0, coverage=50, commitments=50, sentiment=0, revenue_trend=0)
    insights_services.health_recompute(account_ids=[big.pk], day=today, config=config)
    insights_services.health_recompute(account_ids=[big.pk], day=today, config=config)
    notice = Notification.objects.get(user=kam_user)
    assert notice.params["from"] == "healthy"
    assert notice.params["to"] in {"watch", "at_risk"}


def _config_with(**weights) -> ScoringConfig:
    latest = scoring_defaults_ensure()
    return ScoringConfig.objects.create(
        version=latest.version + 1,
        health_weights={**latest.health_weights, **weights},
        tier_weights=latest.tier_weights,
        tiers=latest.tiers,
    )


def _config_kwargs(**changes):
    config = scoring_defaults_ensure()
    tiers = [
        {k: v for k, v in t.items() if k != "name"} | {"name": t["name"]} for t in config.tiers
    ]
    kwargs = {
        "based_on_version": config.version,
        "tiers": tiers,
        "health_weights": dict(config.health_weights),
        "tier_weights": dict(config.tier_weights),
        "healthy_min": 70,
        "watch_min": 40,
        "default_touch_cadence_days": 30,
        "pareto_a_pct": Decimal("80"),
        "pareto_b_pct": Decimal("95"),
    }
    kwargs.update(changes)
    return kwargs


def test_saving_the_configuration_makes_a_new_version(db, admin_user):
    before = scoring_defaults_ensure().version
    weights = {**scoring_defaults_ensure().health_weights, "engagement": 60}
    saved = services.scoring_config_save(actor=admin_user, **_config_kwargs(health_weights=weights))
    assert saved.version == before + 1
    assert saved.created_by == admin_user
    assert scoring_defaults_ensure().health_weights["engagement"] == 60


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"health_weights": {"engagement": -1}}, "health_engagement"),
        ({"tier_weights": dict.fromkeys(["revenue", "pareto"], 0)}, "tier_revenue"),
        ({"pareto_a_pct": Decimal("96")}, "pareto_b_pct"),
        ({"pareto_b_pct": Decimal("101")}, "pareto_b_pct"),
        ({"watch_min": 80}, "watch_min"),
    ],
)
def test_bad_configuration_is_refused_naming_the_field(db, admin_user, changes, field):
    kwargs = _config_kwargs(**changes)
    before = ScoringConfig.objects.count()
    with pytest.raises(ValidationError) as error:
        services.scoring_config_save(actor=admin_user, **kwargs)
    assert field in error.value.error_dict
    assert ScoringConfig.objects.count() == before


def test_a_stale_configuration_form_is_refused(db, admin_user):
    kwargs = _config_kwargs()
    services.scoring_config_save(actor=admin_user, **kwargs)
    with pytest.raises(services.StaleConfig):
        services.scoring_config_save(actor=admin_user, **kwargs)


def test_a_health_chunk_runs_through_a_real_worker(celery_worker_process, portfolio):
    from insights.tasks import health_chunk

    insights_services.tiers_recompute()
    ids = [account.pk for account in portfolio]
    day = business_date().isoformat()
    result = health_chunk.apply_async(args=[ids, day], queue=celery_worker_process)
    assert result.get(timeout=60) == 3
    assert HealthScore.objects.filter(account_id__in=ids).count() == 3


def test_open_high_severity_risks_on_the_active_plan_lower_the_risk_component(portfolio):
    from tests.plans.factories import AccountPlanFactory, RiskFactory

    big, mid, _small = portfolio
    plan = AccountPlanFactory(account=big)
    RiskFactory(plan=plan, severity=5)
    RiskFactory(plan=plan, severity=2)
    AccountPlanFactory(account=mid)
    insights_services.health_recompute_all(day=business_date())
    risks = {
        score.account_id: next(c for c in score.components if c["key"] == "risks")
        for score in HealthScore.objects.all()
    }
    assert (risks[big.pk]["score"], risks[big.pk]["reason"]["code"]) == (60, "risks_open")
    assert (risks[mid.pk]["score"], risks[mid.pk]["reason"]["code"]) == (100, "risks_none")
    assert risks[_small.pk]["score"] is None  # no plan: left out, not zero
    assert risks[_small.pk]["reason"]["code"] == "risks_no_plan"


def test_an_overdue_qbr_lowers_the_qbr_component_and_holding_one_restores_it(portfolio, kam_user):
    from activities.services import qbr_hold, qbr_schedule

    big, *_ = portfolio
    insights_services.tiers_recompute()
    today = business_date()
    Account.objects.filter(pk=big.pk).update(contract_start=today - timedelta(days=400))
    insights_services.health_recompute_all(day=today, account_id=big.pk)
    qbr = next(c for c in HealthScore.objects.get(account=big).components if c["key"] == "qbr")
    assert qbr["reason"]["code"] == "qbr_first_overdue"  # none held yet: from the contract start
    planned = qbr_schedule(account=big, actor=kam_user, scheduled_on=today)
    qbr_hold(qbr=planned, actor=kam_user, held_at=timezone.now() - timedelta(minutes=5), rating=4)
    insights_services.health_recompute_all(day=today, account_id=big.pk)
    qbr = next(c for c in HealthScore.objects.get(account=big).components if c["key"] == "qbr")
    assert (qbr["score"], qbr["reason"]["code"]) == (100, "qbr_on_cadence")


def test_tiers_look_at_the_last_year_or_at_the_last_day_with_revenue_if_it_is_older(kam_user):
    today = business_date()
    account = AccountFactory(owner=kam_user)
    assert insights_services.tiering_day(today) == today  # no revenue at all
    old = RevenueRecordFactory(account=account, booked_on=today - timedelta(days=800))
    assert insights_services.tiering_day(today) == old.booked_on
    assert insights_services.tiers_recompute()["as_of"] == old.booked_on.isoformat()
    RevenueRecordFactory(account=account, booked_on=today - timedelta(days=300))
    assert insights_services.tiering_day(today) == today


def test_the_touch_inputs_count_the_window_to_its_edges(kam_user):
    """The window is the 90 days up to the end of the day: an interaction at its first instant
    counts, one a microsecond before sets only the last touch, one at the end of the day is
    tomorrow's; an account touched only before the window has no sentiment and no count, one
    never touched has no last touch."""
    day = business_date() - timedelta(days=5)
    end = business_day_end(day)
    since = end - timedelta(days=90)
    windowed, earlier, never = (AccountFactory(owner=kam_user) for _ in range(3))
    for account, moment, sentiment in [
        (windowed, since, 2),
        (windowed, since + timedelta(days=10), -1),
        (windowed, since - timedelta(microseconds=1), -2),
        (windowed, end, 2),
        (earlier, since - timedelta(days=1), 1),
    ]:
        InteractionFactory(account=account, occurred_at=moment, sentiment=sentiment)
    inputs = health_inputs([windowed.pk, earlier.pk, never.pk], day)
    assert (inputs[windowed.pk].interactions_90d, inputs[windowed.pk].sentiment_avg_90d) == (2, 0.5)
    assert inputs[windowed.pk].days_since_touch == (day - business_date(since)).days - 10
    assert (inputs[earlier.pk].interactions_90d, inputs[earlier.pk].sentiment_avg_90d) == (0, None)
    assert inputs[earlier.pk].days_since_touch == 90  # the day before the window began
    assert inputs[never.pk].days_since_touch is None


def test_the_previous_score_is_the_latest_before_the_day(portfolio):
    """A chunk's movers and change count from the latest score before the day scored, not from
    the day's own row (a rerun) nor an older one."""
    account, *_ = portfolio
    today = business_date()
    for back, score in [(3, 30), (1, 60), (0, 90)]:
        HealthScore.objects.create(
            account=account,
            day=today - timedelta(days=back),
            score=score,
            band="watch",
            components=[{"key": "engagement", "score": score}],
            config=scoring_defaults_ensure(),
        )
    ((account_id, score, band, keys, scores),) = insights_services._latest_scores_before(
        [account.pk], today
    )
    assert (account_id, score, band, keys, scores) == (
        account.pk,
        60,
        "watch",
        '["engagement"]',
        "[60]",
    )


def test_health_inputs_take_nine_queries_and_tier_inputs_three(
    portfolio, django_assert_num_queries
):
    today = business_date()
    ids = [account.pk for account in portfolio]
    # 1 accounts, 2 touches, 3 stakeholder coverage, 4 satisfaction, 5 revenue windows,
    # 6 commitments, 7 open high risks, 8 last QBR held, 9 client requests' SLA compliance
    # (the one query the sla component added)
    with django_assert_num_queries(9):
        inputs = health_inputs(ids, today)
    assert set(inputs) == set(ids)
    assert inputs[portfolio[0].pk].revenue_last_12m == Decimal(800_000)
    assert inputs[portfolio[0].pk].commitments_overdue == 0
    # 1 revenue windows, 2 latest ratings, 3 live accounts
    with django_assert_num_queries(3):
        assert len(tier_inputs(today)) == 3


def test_scoring_a_chunk_takes_the_same_statements_for_one_account_or_many(
    portfolio, django_assert_num_queries
):
    """health_recompute's statements do not grow with the chunk: its savepoint and release,
    the inputs' nine (the accounts read once), the previous scores, the scores' upsert, the
    next scored day's previous score, the month's lock and rows, the open health notices, the
    notices' savepoint and release, the account rows, and the playbook check queued in the
    outbox (the bands moved: first scores)."""
    today, config = business_date(), scoring_defaults_ensure()
    first, *others = (account.pk for account in portfolio)
    for chunk in ([first], others):
        with django_assert_num_queries(21):
            insights_services.health_recompute(account_ids=chunk, day=today, config=config)
