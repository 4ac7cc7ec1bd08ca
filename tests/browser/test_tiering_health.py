"""Tiering and health in a real Chromium (issue: tiering and health, 'Done when'; issue 9:
each journey in English and Brazilian Portuguese, every step found by role and label)."""

import re
from datetime import timedelta
from functools import partial

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from accounts.models import Account, HealthScore, Tier
from accounts.services import scoring_defaults_ensure
from activities.services import interaction_log
from insights import services as insights_services
from kam.dates import business_date
from tests.browser.conftest import screenshot
from tests.browser.labels import t
from tests.factories import (
    PASSWORD,
    AccountFactory,
    RevenueRecordFactory,
    StakeholderFactory,
    UserFactory,
)

LANGUAGES = pytest.mark.parametrize("ui_language", ["en", "pt-br"])


@LANGUAGES
def test_admin_changes_a_weight_recomputes_and_the_explanation_changes(
    page, login, transactional_db, ui_language
):
    _ = partial(t, ui_language)
    UserFactory(email="ada@example.com", role="admin", language=ui_language)
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

    def open_the_account():
        page.get_by_role("link", name=_("Accounts"), exact=True).click()
        page.get_by_role("link", name="Acme Brasil").click()

    open_the_account()
    page.get_by_role("button", name=_("Recompute now")).click()
    expect(page.get_by_role("alert")).to_contain_text(
        _("Health recomputed with the current configuration.")
    )
    health = page.get_by_role("region", name=_("Account health"))
    expect(health).to_contain_text(_("with configuration version {version}", version=1))
    why = health.get_by_role("table", name=_("Health components, weakest first"))
    engagement = why.get_by_role("row", name=re.compile(_("Engagement recency")))
    expect(engagement.get_by_role("cell").nth(1)).not_to_have_text("0")  # weight shown
    page.wait_for_load_state()  # the whole table parsed, not just its first rows
    explanation_before = why.inner_text()
    score_before = HealthScore.objects.get(account=account).score

    page.get_by_role("link", name=_("Configuration"), exact=True).click()
    page.get_by_label(_("Engagement recency")).fill("0")
    page.get_by_role("button", name=_("Save as a new version")).click()
    expect(
        page.get_by_role("alert").filter(
            has_text=_("Configuration saved as version {version}", version=2)
        )
    ).to_be_visible()

    open_the_account()
    page.get_by_role("button", name=_("Recompute now")).click()
    expect(health).to_contain_text(_("with configuration version {version}", version=2))
    expect(engagement.get_by_role("cell").nth(1)).to_have_text("0")
    expect(why).not_to_have_text(explanation_before, use_inner_text=True)
    assert HealthScore.objects.get(account=account).score != score_before
    screenshot(page, f"health-after-config-change-{ui_language}")


@LANGUAGES
def test_leader_goes_from_the_at_risk_count_to_the_account_and_accepts_its_tier(
    page, login, transactional_db, ui_language
):
    """Dashboard → the at-risk count → the filtered list → the account → Tier review →
    accept the recommendation with a reason; the account's tier history says who and why."""
    _ = partial(t, ui_language)
    leader = UserFactory(
        email="leo@example.com", full_name="Leo Leader", role="leader", language=ui_language
    )
    account = AccountFactory(name="Big Client")
    RevenueRecordFactory(account=account, booked_on=business_date(), amount=500_000)
    AccountFactory(name="Calm Client")  # healthy: not in the at-risk list
    insights_services.tiers_recompute()
    lowest = Tier.objects.order_by("-rank").first()
    Account.objects.filter(pk=account.pk).update(
        tier=lowest, recommendation_reviewed=False, health_band="at_risk", health_score=25
    )
    Account.objects.exclude(pk=account.pk).update(health_band="healthy", health_score=80)
    account.refresh_from_db()
    assert account.recommended_tier != lowest and scoring_defaults_ensure()
    with translation.override(ui_language):
        recommended, current = str(account.recommended_tier), str(lowest)
    reason = "Revenue doubled this year" if ui_language == "en" else "A receita dobrou este ano"

    login("leo@example.com", PASSWORD)
    page.get_by_role("link", name=_("Portfolio"), exact=True).click()
    page.get_by_role("link", name=_("{count} account with health at risk", count=1)).click()
    page.wait_for_url(re.compile(r"/accounts/\?.*band=at_risk"))  # the whole list in
    expect(page.get_by_text(_("{count} account", count=1), exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Big Client")).to_be_visible()
    expect(page.get_by_role("link", name="Calm Client")).to_have_count(0)
    page.get_by_role("link", name="Big Client").click()

    tier_card = page.get_by_role("region", name=_("Tier and service policy"))
    expect(tier_card).to_contain_text(_("awaiting review"))
    page.get_by_role("link", name=_("Tier review"), exact=True).click()
    row = page.get_by_role("row", name=re.compile("Big Client"))
    row.get_by_label(_("Reason for {name}", name="Big Client")).fill(reason)
    row.get_by_role(
        "button", name=_("Accept {tier} for {name}", tier=recommended, name="Big Client")
    ).click()
    expect(
        page.get_by_role("alert").filter(
            has_text=_("{account} is now {tier}.", account="Big Client", tier=recommended)
        )
    ).to_be_visible()
    expect(page.get_by_text(_("No mismatches"))).to_be_visible()

    page.get_by_role("link", name=_("Accounts"), exact=True).click()
    page.get_by_role("link", name="Big Client").click()
    expect(tier_card).to_contain_text(f"{current} → {recommended}")
    expect(tier_card).to_contain_text(_("Recommendation accepted"))
    expect(tier_card).to_contain_text(leader.full_name)
    expect(tier_card).to_contain_text(f"“{reason}”")
    screenshot(page, f"tier-accepted-{ui_language}")
