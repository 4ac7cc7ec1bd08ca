"""Tiering and health in a real Chromium (issue: tiering and health, 'Done when')."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from accounts import services
from accounts.models import Account, Tier
from accounts.scoring_inputs import current_config
from activities.services import interaction_log
from tests.browser.conftest import screenshot
from tests.factories import (
    PASSWORD,
    AccountFactory,
    RevenueRecordFactory,
    StakeholderFactory,
    UserFactory,
)


def test_admin_changes_a_weight_recomputes_and_the_explanation_changes(
    page, login, transactional_db
):
    UserFactory(email="ada@example.com", role="admin")
    account = AccountFactory(name="Acme Brasil")
    person = StakeholderFactory(account=account)
    # Last touched 40 days ago: engagement counts for something, and its weight will matter.
    interaction_log(
        account=account,
        actor=account.owner,
        kind="call",
        occurred_at=timezone.now() - timedelta(days=40),
        summary="Check-in",
        stakeholders=[person],
    )
    login("ada@example.com", PASSWORD)
    page.goto(f"/accounts/{account.pk}/")
    page.get_by_role("button", name="Recompute now").click()
    health = page.get_by_role("region", name="Account health")
    expect(health).to_contain_text("configuration version 1")
    first_score = health.locator(".health-score").inner_text()

    page.get_by_role("link", name="Configuration").click()
    page.get_by_label("Engagement recency").fill("0")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_role("alert").filter(has_text="version 2")).to_be_visible()

    page.goto(f"/accounts/{account.pk}/")
    page.get_by_role("button", name="Recompute now").click()
    expect(health).to_contain_text("configuration version 2")
    engagement = health.get_by_role("row", name=re.compile("Engagement recency"))
    expect(engagement.get_by_role("cell").nth(1)).to_have_text("0")  # weight shown
    assert health.locator(".health-score").inner_text() != first_score
    screenshot(page, "health-after-config-change")


def test_leader_accepts_a_tier_recommendation_and_the_history_says_who(
    page, login, transactional_db
):
    leader = UserFactory(email="leo@example.com", full_name="Leo Leader", role="leader")
    account = AccountFactory(name="Big Client")
    RevenueRecordFactory(account=account, booked_on=timezone.localdate(), amount=500_000)
    services.tiers_recompute()
    lowest = Tier.objects.order_by("-rank").first()
    Account.objects.filter(pk=account.pk).update(tier=lowest, recommendation_reviewed=False)
    account.refresh_from_db()
    recommended = account.recommended_tier
    assert recommended != lowest and current_config()

    login("leo@example.com", PASSWORD)
    page.get_by_role("link", name="Tier review").click()
    row = page.get_by_role("row", name=re.compile("Big Client"))
    row.get_by_role("button", name=f"Accept {recommended} for Big Client").click()
    expect(
        page.get_by_role("alert").filter(has_text=f"Big Client is now {recommended}")
    ).to_be_visible()
    expect(page.get_by_text("No mismatches")).to_be_visible()

    page.goto(f"/accounts/{account.pk}/")
    tier_card = page.get_by_role("region", name="Tier and service policy")
    expect(tier_card).to_contain_text(f"{lowest} → {recommended}")
    expect(tier_card).to_contain_text("Recommendation accepted")
    expect(tier_card).to_contain_text(leader.full_name)
