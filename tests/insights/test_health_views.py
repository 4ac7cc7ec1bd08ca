"""Configuration, tier review, satisfaction and recompute through the test client."""

import pytest
from django.urls import reverse

from accounts.models import Account, HealthScore, SatisfactionEntry, ScoringConfig, Tier
from accounts.services import REQUEST_DEADLINES_TASK, scoring_defaults_ensure
from insights import services as insights_services
from kam.dates import business_date
from kam.models import OutboxTask
from tests.factories import AccountFactory, RevenueRecordFactory


def _config_post(**changes) -> dict:
    config = scoring_defaults_ensure()
    data = {
        "based_on_version": config.version,
        "healthy_min": config.healthy_min,
        "watch_min": config.watch_min,
        "default_touch_cadence_days": config.default_touch_cadence_days,
        "pareto_a_pct": config.pareto_a_pct,
        "pareto_b_pct": config.pareto_b_pct,
    }
    data |= {f"health_{k}": v for k, v in config.health_weights.items()}
    data |= {f"tier_{k}": v for k, v in config.tier_weights.items()}
    for tier in Tier.objects.all():
        for name in (
            "name",
            "min_score",
            "touch_cadence_days",
            "qbr_cadence_days",
            "response_sla_hours",
            "max_accounts_per_kam",
            "resolution_urgent_hours",
            "resolution_high_hours",
            "resolution_normal_hours",
            "resolution_low_hours",
            "escalation_grace_days",
        ):
            data[f"tier_{tier.key}_{name}"] = getattr(tier, name)
        if tier.exec_sponsor_required:
            data[f"tier_{tier.key}_exec_sponsor_required"] = "on"
    data.update(changes)
    return data


def test_admin_saves_a_new_configuration_version(client_for, admin_user):
    before = scoring_defaults_ensure().version
    response = client_for(admin_user).post(
        reverse("configuration"), _config_post(health_engagement=40, tier_key_touch_cadence_days=21)
    )
    assert response.status_code == 302
    latest = scoring_defaults_ensure()
    assert latest.version == before + 1
    assert latest.health_weights["engagement"] == 40
    assert Tier.objects.get(key="key").touch_cadence_days == 21
    assert next(t for t in latest.tiers if t["key"] == "key")["touch_cadence_days"] == 21


def test_admin_edits_a_resolution_target_and_open_requests_follow(client_for, admin_user):
    scoring_defaults_ensure()
    response = client_for(admin_user).post(
        reverse("configuration"), _config_post(tier_strategic_resolution_urgent_hours=5)
    )
    assert response.status_code == 302
    assert Tier.objects.get(key="strategic").resolution_urgent_hours == 5
    # The running clocks are recomputed in the background (accounts.services).
    assert OutboxTask.objects.filter(task=REQUEST_DEADLINES_TASK, args=[None]).exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"health_engagement": -5}, "Ensure this value is greater than or equal to 0."),
        ({"pareto_a_pct": 97}, "Class B must end above class A"),
        ({"pareto_b_pct": 120}, "Ensure this value is less than or equal to 100."),
        ({"watch_min": 75}, "The watch band must start below the healthy band"),
        ({"tier_key_min_score": 90}, "Each tier needs a lower minimum score"),
    ],
)
def test_bad_configuration_shows_the_field_error_and_saves_nothing(
    client_for, admin_user, changes, message
):
    post = _config_post(**changes)
    before = ScoringConfig.objects.count()
    response = client_for(admin_user).post(reverse("configuration"), post)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert ScoringConfig.objects.count() == before


def test_all_zero_health_weights_are_refused(client_for, admin_user):
    zeros = {f"health_{k}": 0 for k in scoring_defaults_ensure().health_weights}
    response = client_for(admin_user).post(reverse("configuration"), _config_post(**zeros))
    assert response.status_code == 422
    assert "At least one weight must be above zero." in response.content.decode()


def test_a_stale_configuration_form_is_refused_with_a_message(client_for, admin_user):
    post = _config_post()
    client = client_for(admin_user)
    assert client.post(reverse("configuration"), post).status_code == 302
    response = client.post(reverse("configuration"), post)
    assert response.status_code == 422
    assert "Another admin saved the configuration" in response.content.decode()


def test_recompute_now_scores_the_account(client_for, kam_user, account):
    response = client_for(kam_user).post(reverse("health_recompute", args=[account.pk]))
    assert response.status_code == 302
    assert HealthScore.objects.filter(account=account, day=business_date()).count() == 1
    page = client_for(kam_user).get(reverse("account_detail", args=[account.pk]))
    assert "Engagement recency" in page.content.decode()


def test_satisfaction_answer_is_saved_and_a_bad_one_is_refused(client_for, kam_user, account):
    client = client_for(kam_user)
    today = business_date().isoformat()
    url = reverse("satisfaction_create", args=[account.pk])
    client.post(url, {"kind": "csat", "score": 9, "recorded_on": today})
    assert SatisfactionEntry.objects.count() == 0
    page = client.get(reverse("account_detail", args=[account.pk]))
    assert "A CSAT score is from 1 to 5." in page.content.decode()
    client.post(url, {"kind": "nps", "score": 9, "recorded_on": today})
    assert SatisfactionEntry.objects.get().score == 9


def test_leader_overrides_without_a_reason_and_is_refused(client_for, leader):
    account = AccountFactory()
    RevenueRecordFactory(account=account, amount=10_000)
    insights_services.tiers_recompute()
    top = Tier.objects.get(rank=1)
    Account.objects.filter(pk=account.pk).update(tier=top, recommendation_reviewed=False)
    client = client_for(leader)
    url = reverse("tier_review_decide", args=[account.pk])
    response = client.post(url, {"decision": "override", "tier": top.pk, "reason": ""}, follow=True)
    assert "Say why you override the recommendation." in response.content.decode()
    assert account.tier_changes.filter(source="override").count() == 0
    client.post(url, {"decision": "override", "tier": top.pk, "reason": "Signed a 3-year deal"})
    change = account.tier_changes.get(source="override")
    assert (change.to_tier, change.reason, change.changed_by) == (
        top,
        "Signed a 3-year deal",
        leader,
    )


@pytest.mark.parametrize("persona", ["kam_user", "outsider"])
def test_kams_cannot_open_tier_review_or_configuration(client_for, persona, request):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("tier_review")).status_code == 403
    assert client.get(reverse("configuration")).status_code == 403
