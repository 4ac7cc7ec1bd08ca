"""The health card's change is the difference of the two scores the history shows (issue 16,
point 3: "+24" between 57 and 80)."""

import importlib
from datetime import timedelta

from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import HealthScore
from accounts.services import scoring_defaults_ensure
from insights import services as insights_services

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


def test_rescoring_an_earlier_day_moves_the_next_days_previous_score(account, now):
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    # Stored as the nightly runs wrote them: 56 yesterday, 80 today counted from 56.
    _score(account, yesterday, 56)
    latest = _score(account, today, 80, previous=56)
    # Yesterday is scored again (a backfill with today's data): its score changes.
    insights_services.health_recompute(account_ids=[account.pk], day=yesterday)
    rescored = HealthScore.objects.get(account=account, day=yesterday).score
    assert rescored != 56  # else this test would prove nothing
    latest.refresh_from_db()
    assert latest.previous_score == rescored
    assert latest.change == 80 - rescored


def test_scoring_today_in_a_time_zone_behind_corrects_the_day_already_scored_after_it(account, now):
    """The recompute button scores the user's today; west of the business time zone that can
    be the day before one the nightly run has already scored, whose previous score follows."""
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)  # the business time zone's today, scored at night
    later = _score(account, tomorrow, 80, previous=56)
    insights_services.health_recompute(account_ids=[account.pk], day=today)
    scored = HealthScore.objects.get(account=account, day=today).score
    assert scored != 56  # else this test would prove nothing
    later.refresh_from_db()
    assert later.previous_score == scored


def test_the_repair_migration_puts_each_previous_score_in_step_with_the_history(account, now):
    today = timezone.localdate()
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
    today = timezone.localdate()
    _score(account, today - timedelta(days=1), 57)
    _score(account, today, 80, previous=57)
    client = client_for(kam_user)
    page = client.get(reverse("account_detail", args=[account.pk])).content.decode()
    assert '<span class="health-change">+23</span> since the previous score of 57' in page
    api = client.get(f"/api/v1/health-scores/?account={account.pk}").json()
    latest = next(row for row in api["results"] if row["day"] == today.isoformat())
    assert (latest["score"], latest["previous_score"], latest["change"]) == (80, 57, 23)
