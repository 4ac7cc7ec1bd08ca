"""Numbers that agree, in a real Chromium in both languages (issue 16, point 3): an account
that never held a QBR says "No QBR held yet"; the health card's change is the difference of the
two scores it names; the tier history reads as the tier was applied; the notifications of a
run read as one group with counts."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import HealthScore, Tier, TierChange
from accounts.services import scoring_defaults_ensure, tier_recommendation_review
from activities.models import Notification
from kam.dates import business_date
from kam.models import Role
from tests.browser.conftest import screenshot
from tests.browser.labels import t
from tests.factories import PASSWORD, AccountFactory, UserFactory


def _numbers_account(owner, leader):
    """Acme Brasil: a contract of 400 days and no QBR held; health 57 yesterday and 80 today;
    first tier Growth, overridden to Strategic, and today's review keeps Strategic against
    the recommendation Growth; three drop notices about it and twelve about other accounts."""
    today, now = business_date(), timezone.now()
    config = scoring_defaults_ensure()
    tiers = {tier.key: tier for tier in Tier.objects.all()}
    account = AccountFactory(
        name="Acme Brasil",
        owner=owner,
        contract_start=today - timedelta(days=400),
        tier=tiers["strategic"],
        recommended_tier=tiers["growth"],
    )
    for day, score, previous in ((today - timedelta(days=1), 57, None), (today, 80, 57)):
        HealthScore.objects.create(
            account=account,
            day=day,
            score=score,
            previous_score=previous,
            band="healthy" if score >= 70 else "watch",
            components=[],
            config=config,
        )
    TierChange.objects.create(
        account=account,
        to_tier=tiers["growth"],
        recommended_tier=tiers["growth"],
        source=TierChange.Source.INITIAL,
        changed_at=now - timedelta(days=400),
    )
    TierChange.objects.create(
        account=account,
        from_tier=tiers["growth"],
        to_tier=tiers["strategic"],
        source=TierChange.Source.OVERRIDE,
        reason="Executive attention during their ERP migration",
        changed_by=leader,
        changed_at=now - timedelta(days=200),
    )
    tier_recommendation_review(
        account=account, actor=leader, accept=False, reason="Still in the ERP migration"
    )
    drops = [(account, days_ago) for days_ago in (3, 2, 1)]
    drops += [(AccountFactory(name=f"Cliente {n:02}", owner=owner), 0) for n in range(1, 13)]
    for n, (about, days_ago) in enumerate(drops):
        Notification.objects.create(
            user=owner,
            account=about,
            kind=Notification.Kind.HEALTH_BAND_DROP,
            params={"from": "healthy", "to": "watch", "score": 60 + n},
            day=today - timedelta(days=days_ago),
            created_at=now - timedelta(days=days_ago),
            read_at=now if days_ago else None,  # one open notice per account and kind
        )
    return account


@pytest.mark.parametrize("ui_language", ["en", "pt-br"])
def test_the_account_page_and_the_notifications_tell_one_story(
    page, login, ui_language, transactional_db
):
    owner = UserFactory(email="karina@example.com", language=ui_language)
    leader = UserFactory(email="leo@example.com", role=Role.LEADER)
    _numbers_account(owner, leader)
    login("karina@example.com", PASSWORD)

    page.get_by_role("link", name=t(ui_language, "Accounts"), exact=True).click()
    page.get_by_role("link", name="Acme Brasil", exact=True).click()
    expect(page.locator("#next-qbr")).to_contain_text(t(ui_language, "No QBR held yet"))

    # The change is the difference of the two figures the card shows.
    score = page.locator(".health-score")
    expect(score).to_have_text("80")
    change = page.locator(".health-change")
    expect(change).to_have_text("+23")
    previous = t(ui_language, "since the previous score of {previous}", previous=57)
    expect(change.locator("xpath=..")).to_contain_text(previous)
    shown = re.search(r"(\d+)$", previous).group(1)
    assert int(change.inner_text()) == int(score.inner_text()) - int(shown)

    # The history: newest first, the kept tier worded as kept, the chain unbroken.
    history = page.locator("#tier-heading ~ ul li")
    expect(history).to_have_count(3)
    growth, strategic = t(ui_language, "Growth"), t(ui_language, "Strategic")
    expect(history.nth(0)).to_contain_text(
        t(
            ui_language,
            "Recommendation {recommended} overridden: stays {tier}",
            recommended=growth,
            tier=strategic,
        )
    )
    expect(history.nth(1)).to_contain_text(f"{growth} → {strategic}")
    expect(history.nth(2)).to_contain_text(f"— → {growth}")
    expect(page.get_by_text(f"{strategic} → {strategic}")).to_have_count(0)
    screenshot(page, f"numbers-account-{ui_language}")

    page.get_by_role("link", name=t(ui_language, "Notifications")).click()
    groups = page.locator(".notice-group")
    expect(groups).to_have_count(1)
    expect(groups.first.get_by_role("heading")).to_contain_text(
        t(ui_language, "Health dropped a band")
    )
    expect(groups.first.locator(".notice-count")).to_have_text(
        t(ui_language, "{count} notices", count=15)
    )
    expect(groups.first.locator("li.notice")).to_have_count(13)
    acme = groups.first.locator("li.notice", has_text="Acme Brasil")
    expect(acme.locator(".notice-repeats")).to_contain_text("×3")
    screenshot(page, f"numbers-notifications-{ui_language}")
