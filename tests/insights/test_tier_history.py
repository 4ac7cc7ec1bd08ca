"""The tier history reads as the tier was applied (issue 16, point 3: "— → Growth · First
recommendation applied" while the tier is Strategic, and "Strategic → Strategic · Override")."""

import importlib
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Tier, TierChange
from accounts.services import scoring_defaults_ensure, tier_recommendation_review

MIGRATION = importlib.import_module("accounts.migrations.0023_tier_history_repair")


@pytest.fixture
def tiers(db):
    scoring_defaults_ensure()
    return {tier.key: tier for tier in Tier.objects.all()}


@pytest.fixture
def awaiting_review(account, tiers):
    """Strategic, while the recommendation now says Growth."""
    account.tier, account.recommended_tier = tiers["strategic"], tiers["growth"]
    account.save()
    return account


def _history(client, account) -> str:
    page = client.get(reverse("account_detail", args=[account.pk])).content.decode()
    return page[page.index("Tier history") :]


def test_an_override_that_keeps_the_tier_reads_as_kept_not_as_a_move(
    client_for, leader, awaiting_review, tiers
):
    change = tier_recommendation_review(
        account=awaiting_review, actor=leader, accept=False, reason="Executive attention"
    )
    assert change.recommended_tier == tiers["growth"]
    assert not change.tier_changed
    history = _history(client_for(leader), awaiting_review)
    assert "Recommendation Growth overridden: stays Strategic" in history
    assert "Strategic → Strategic" not in history


def test_an_accepted_recommendation_reads_as_the_move_it_made(
    client_for, leader, awaiting_review, tiers
):
    change = tier_recommendation_review(account=awaiting_review, actor=leader, accept=True)
    assert change.tier_changed and change.recommended_tier == tiers["growth"]
    assert "Strategic → Growth · Recommendation accepted" in _history(
        client_for(leader), awaiting_review
    )


def test_an_older_kept_override_with_no_recommendation_on_record_still_reads_as_kept(
    client_for, leader, account, tiers
):
    account.tier = tiers["strategic"]
    account.save()
    TierChange.objects.create(
        account=account,
        from_tier=tiers["strategic"],
        to_tier=tiers["strategic"],
        source=TierChange.Source.OVERRIDE,
        reason="Kept",
    )
    history = _history(client_for(leader), account)
    assert "Override: stays Strategic" in history
    assert "Strategic → Strategic" not in history


def test_the_repair_puts_the_first_tier_before_an_override_dated_earlier(
    client_for, leader, account, tiers
):
    """What the demo wrote: the first recommendation applied now, a leader's override dated
    200 days back."""
    now = timezone.now()
    initial = TierChange.objects.create(
        account=account,
        to_tier=tiers["growth"],
        source=TierChange.Source.INITIAL,
        changed_at=now,
    )
    override = TierChange.objects.create(
        account=account,
        from_tier=tiers["growth"],
        to_tier=tiers["strategic"],
        source=TierChange.Source.OVERRIDE,
        reason="Executive attention",
        changed_at=now - timedelta(days=200),
    )
    account.tier = tiers["strategic"]
    account.save()
    with connection.cursor() as cursor:
        cursor.execute(MIGRATION.FILL)
        cursor.execute(MIGRATION.FIRST_TIER_FIRST)
    initial.refresh_from_db()
    assert initial.changed_at < override.changed_at
    assert initial.recommended_tier == tiers["growth"]
    history = _history(client_for(leader), account)
    # Newest first: the override to Strategic, then the first tier.
    assert history.index("Growth → Strategic · Override") < history.index(
        "— → Growth · First recommendation applied"
    )
