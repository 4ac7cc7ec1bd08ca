"""The health card's change is the difference of the two scores the history shows (issue 16,
point 3: "+24" between 57 and 80)."""

import importlib
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import HealthScore
from accounts.services import scoring_defaults_ensure
from insights import services as insights_services
from kam.dates import business_date

REPAIR = importlib.import_module("accounts.migrations.0021_health_previous_score_repair").REPAIR


def _score(account, day, score, previous=None):
    return HealthScore.objects.create(
        account=account,
        day=day,
        score=score,
        band="healthy" if score >= 70 else "watch",
        components=[],
        previous_score=previous,
        config=scoring_defaults_ensure(),
    )


@pytest.mark.parametrize(
    ("scored", "later"),
    [(-1, 0), (0, 1)],
    ids=["a backfill of yesterday", "today in a time zone behind the business one"],
)
def test_scoring_a_day_moves_the_next_scored_days_previous_score(account, now, scored, later):
    """A day scored again (a backfill with today's data) changes the score the next scored day
    counts its change from. The recompute button scores the user's today: west of the business
    time zone that can be the day before one the nightly run has already scored."""
    today = business_date()
    day = today + timedelta(days=scored)
    # Stored as the nightly runs wrote them: 56, then 80 counted from 56.
    _score(account, day, 56)
    next_day = _score(account, today + timedelta(days=later), 80, previous=56)
    insights_services.health_recompute(account_ids=[account.pk], day=day)
    rescored = HealthScore.objects.get(account=account, day=day).score
    assert rescored != 56  # else this test would prove nothing
    next_day.refresh_from_db()
    assert next_day.previous_score == rescored
    assert next_day.change == 80 - rescored


def test_the_repair_migration_puts_each_previous_score_in_step_with_the_history(account, now):
    today = business_date()
    _score(account, today - timedelta(days=9), 40)
    _score(account, today - timedelta(days=2), 57, previous=38)  # stale: the row before is 40
    latest = _score(account, today, 80, previous=56)  # the "+24" from 57
    bulk = _score(account, today - timedelta(days=1), 70)  # no previous stated: left alone
    with connection.cursor() as cursor:
        cursor.execute(REPAIR)
    latest.refresh_from_db()
    bulk.refresh_from_db()
    assert (latest.previous_score, latest.change) == (70, 10)
    assert HealthScore.objects.get(account=account, day=today - timedelta(days=2)).change == 17
    assert bulk.previous_score is None


def test_the_card_and_the_api_show_the_change_between_the_two_figures_shown(
    client_for, kam_user, account, now
):
    today = business_date()
    _score(account, today - timedelta(days=1), 57)
    _score(account, today, 80, previous=57)
    client = client_for(kam_user)
    page = client.get(reverse("account_detail", args=[account.pk])).content.decode()
    assert '<span class="health-change">+23</span> since the previous score of 57' in page
    api = client.get(f"/api/v1/health-scores/?account={account.pk}").json()
    latest = next(row for row in api["results"] if row["day"] == today.isoformat())
    assert (latest["score"], latest["previous_score"], latest["change"]) == (80, 57, 23)
