"""Health notices: one open notice per account and kind, stale ones updated or resolved, a
recovery notice, and the list grouped (issue 16, point 3: 13 notices stamped the same minute,
×3 for one account, "dropped to watch (69)" while it now scores 81, no recovery notice)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import HealthScore, ScoringConfig
from accounts.services import scoring_defaults_ensure
from activities.models import Notification
from activities.selectors import notification_groups
from activities.services import notifications_mark_read, notifications_send
from insights import services as insights_services
from kam.dates import business_date
from tests.factories import AccountFactory

Kind = Notification.Kind
# Band thresholds that put any score from 1 to 99 in one band (the inputs stay as they are).
THRESHOLDS = {"healthy": (1, 0), "watch": (100, 1), "at_risk": (100, 99)}


def _config(band: str) -> ScoringConfig:
    latest = scoring_defaults_ensure()
    healthy_min, watch_min = THRESHOLDS[band]
    return ScoringConfig.objects.create(
        version=ScoringConfig.objects.order_by("-version").first().version + 1,
        health_weights=latest.health_weights,
        tier_weights=latest.tier_weights,
        tiers=latest.tiers,
        healthy_min=healthy_min,
        watch_min=watch_min,
    )


def _score(account, band: str, day=None) -> HealthScore:
    """Score `account` for `day` (today by default) so that it lands in `band`."""
    day = day or business_date()
    insights_services.health_recompute(account_ids=[account.pk], day=day, config=_config(band))
    score = HealthScore.objects.get(account=account, day=day)
    assert score.band == band
    return score


def _stored(account, day, band: str, score: int) -> None:
    HealthScore.objects.update_or_create(
        account=account,
        day=day,
        defaults={
            "score": score,
            "band": band,
            "components": [],
            "config": scoring_defaults_ensure(),
        },
    )


@pytest.fixture
def yesterday():
    return business_date() - timedelta(days=1)


def test_two_runs_of_the_job_leave_one_drop_notice(account, kam_user, yesterday):
    _stored(account, yesterday, "healthy", 90)
    _score(account, "watch")
    _score(account, "watch")
    (notice,) = Notification.objects.filter(user=kam_user)
    assert (notice.kind, notice.params["from"], notice.params["to"]) == (
        Kind.HEALTH_BAND_DROP,
        "healthy",
        "watch",
    )


def test_a_further_drop_refreshes_the_open_notice_instead_of_adding_one(
    account, kam_user, yesterday
):
    _stored(account, yesterday - timedelta(days=1), "healthy", 90)
    _score(account, "watch", day=yesterday)  # a past day: history, no notice
    assert not Notification.objects.exists()
    Notification.objects.create(
        user=kam_user,
        account=account,
        kind=Kind.HEALTH_BAND_DROP,
        params={"from": "healthy", "to": "watch", "score": 69},
        day=yesterday,
    )
    today = _score(account, "at_risk")
    (notice,) = Notification.objects.filter(user=kam_user)
    assert (notice.params["to"], notice.params["score"], notice.day) == (
        "at_risk",
        today.score,
        today.day,
    )


def test_a_recovered_account_resolves_the_stale_drop_notice_and_says_so(
    client_for, account, kam_user, yesterday
):
    _stored(account, yesterday, "watch", 69)
    drop = Notification.objects.create(
        user=kam_user,
        account=account,
        kind=Kind.HEALTH_BAND_DROP,
        params={"from": "healthy", "to": "watch", "score": 69},
        day=yesterday,
    )
    today = _score(account, "healthy")
    _score(account, "healthy")  # a rerun: no second recovery notice
    drop.refresh_from_db()
    assert drop.resolved_at is not None
    assert (drop.params["now_score"], drop.params["now_band"]) == (today.score, "healthy")
    (recovered,) = Notification.objects.filter(kind=Kind.HEALTH_RECOVERED)
    assert (recovered.user, recovered.account, recovered.params["score"]) == (
        kam_user,
        account,
        today.score,
    )
    page = client_for(kam_user).get(reverse("notification_list")).content.decode()
    assert f"is <strong>healthy</strong> again (health {today.score})" in page
    assert f"Since recovered: healthy (health {today.score})." in page
    assert "notice-resolved" in page
    # The bell counts what still needs reading: the recovery, not the resolved drop.
    assert client_for(kam_user).get(reverse("my_work")).context["unread_notifications"] == 1


def test_a_better_band_short_of_healthy_updates_the_notice_without_a_recovery(
    account, kam_user, yesterday
):
    _stored(account, yesterday, "at_risk", 30)
    drop = Notification.objects.create(
        user=kam_user,
        account=account,
        kind=Kind.HEALTH_BAND_DROP,
        params={"from": "watch", "to": "at_risk", "score": 30},
        day=yesterday,
    )
    today = _score(account, "watch")
    drop.refresh_from_db()
    assert drop.resolved_at is None
    assert drop.params["now_band"] == "watch" and drop.params["now_score"] == today.score
    assert not Notification.objects.filter(kind=Kind.HEALTH_RECOVERED).exists()


def test_an_account_healthy_all_along_gets_no_recovery_notice(account, yesterday):
    _stored(account, yesterday, "healthy", 90)
    _score(account, "healthy")
    assert not Notification.objects.exists()


def _notice(user, account, day, **params):
    return Notification(
        user=user, account=account, kind=Kind.HEALTH_BAND_DROP, params=params, day=day
    )


def test_the_same_subject_is_notified_once_while_unread_and_again_once_read(
    account, kam_user, yesterday
):
    today = business_date()
    notifications_send(notices=[_notice(kam_user, account, yesterday, to="watch", score=69)])
    notifications_send(notices=[_notice(kam_user, account, today, to="at_risk", score=35)])
    (notice,) = Notification.objects.all()
    assert (notice.day, notice.params["score"]) == (today, 35)
    notifications_mark_read(user=kam_user)
    # Read: the same day's event is not sent again, a later day's is.
    notifications_send(notices=[_notice(kam_user, account, today, to="at_risk", score=34)])
    assert Notification.objects.count() == 1
    notifications_send(
        notices=[_notice(kam_user, account, today + timedelta(days=1), to="at_risk", score=33)]
    )
    assert Notification.objects.count() == 2


def test_the_list_groups_a_runs_notices_by_kind_then_account(client_for, kam_user, account):
    today = business_date()
    others = [AccountFactory(name=f"Client {n:02}", owner=kam_user) for n in range(12)]
    for n, other in enumerate(others):
        Notification.objects.create(
            user=kam_user,
            account=other,
            kind=Kind.HEALTH_BAND_DROP,
            params={"from": "healthy", "to": "watch", "score": 60 + n},
            day=today,
        )
    for days_ago in (3, 2, 1):  # three read notices about one account, on three days
        Notification.objects.create(
            user=kam_user,
            account=account,
            kind=Kind.HEALTH_BAND_DROP,
            params={"from": "healthy", "to": "watch", "score": 60 + days_ago},
            day=today - timedelta(days=days_ago),
            created_at=timezone.now() - timedelta(days=days_ago),
            read_at=timezone.now(),
        )
    (group,) = notification_groups(kam_user)
    assert (group.kind, group.count, group.unread, len(group.entries)) == (
        Kind.HEALTH_BAND_DROP,
        15,
        12,
        13,
    )
    (repeated,) = [entry for entry in group.entries if entry.count > 1]
    assert (repeated.latest.account, repeated.count, repeated.latest.params["score"]) == (
        account,
        3,
        61,
    )
    page = client_for(kam_user).get(reverse("notification_list")).content.decode()
    assert page.count('class="card mb-3 notice-group"') == 1
    assert "15 notices" in page and "12 unread" in page and "×3" in page
