"""Days are the business time zone's whoever asks (kam.dates.business_date; `make lint` bans
`timezone.localdate`). Late in the evening in São Paulo a KAM who reads in Tokyo is already on
the next day: what they do is dated, scored and counted on São Paulo's day, as the nightly jobs
and every other page do."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import HealthScore
from accounts.services import milestone_create
from activities.models import QBR
from dataio.values import to_datetime
from insights.tasks import health_chunk
from kam.dates import business_date, business_day_start
from kam.models import OutboxTask
from tests.activities.test_views import quick_log_data

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
# 23:30 on 10 March in São Paulo is 11:30 on 11 March in Tokyo.
EVENING = datetime(2026, 3, 10, 23, 30, tzinfo=SAO_PAULO)
DAY = EVENING.date()


@pytest.fixture
def kam_in_tokyo(kam_user):
    kam_user.time_zone = "Asia/Tokyo"
    kam_user.save()
    return kam_user


def test_business_day_start_is_midnight_in_the_business_zone_whatever_zone_is_active():
    with timezone.override(ZoneInfo("Asia/Tokyo")):
        assert business_day_start(DAY) == datetime(2026, 3, 10, tzinfo=SAO_PAULO)
        assert business_date(business_day_start(DAY)) == DAY
        assert business_date(business_day_start(DAY) - timedelta(microseconds=1)) == DAY - (
            timedelta(days=1)
        )


def test_a_quick_log_from_tokyo_rescores_the_business_day(client_for, kam_in_tokyo, account):
    """The rescore the log queues names São Paulo's day; the Tokyo date was a day the worker
    (in the business zone) refused as in the future, so the health never moved."""
    with time_machine.travel(EVENING, tick=False):
        client = client_for(kam_in_tokyo)
        response = client.post(reverse("interaction_create", args=[account.pk]), quick_log_data())
        assert response.status_code == 302
        queued = OutboxTask.objects.get(task="insights.tasks.health_chunk")
        assert queued.args == [[account.pk], DAY.isoformat()]
        health_chunk(*queued.args)
    assert HealthScore.objects.get(account=account).day == DAY
    account.refresh_from_db()
    assert account.health_score is not None


def test_recompute_now_from_tokyo_scores_the_business_day(client_for, kam_in_tokyo, account):
    with time_machine.travel(EVENING, tick=False):
        response = client_for(kam_in_tokyo).post(reverse("health_recompute", args=[account.pk]))
    assert response.status_code == 302
    assert list(HealthScore.objects.filter(account=account).values_list("day", flat=True)) == [DAY]
    account.refresh_from_db()
    assert account.health_score is not None  # today's score, copied to the account row


def test_times_without_a_zone_are_the_business_zones_whoever_reads_them(account):
    """A QBR's scheduled day and time (the calendar feed, the hold form) and an imported time
    without a zone (a small file imports in the request, a large one on a worker)."""
    qbr = QBR(account=account, scheduled_on=DAY, scheduled_time=time(7))
    with timezone.override(ZoneInfo("Asia/Tokyo")):
        assert qbr.starts_at() == datetime(2026, 3, 10, 7, tzinfo=SAO_PAULO)
        assert to_datetime("2026-03-10 07:00", "when") == datetime(2026, 3, 10, 7, tzinfo=SAO_PAULO)


def test_a_milestone_is_drawn_on_its_day_for_a_viewer_west_of_the_business_zone(
    client_for, kam_user, account
):
    """Placed at the day's start in São Paulo, it would read "the day before, 21:00" in
    Mexico City with a moment's date and time."""
    kam_user.time_zone = "America/Mexico_City"
    kam_user.save()
    milestone_create(account=account, actor=kam_user, happened_on=DAY, title="First contract")
    page = client_for(kam_user).get(reverse("account_timeline", args=[account.pk]))
    html = page.content.decode()
    entry = html[html.index('data-kind="milestone"') :]
    entry = entry[: entry.index("</li>")]
    assert f'datetime="{DAY.isoformat()}"' in entry
    assert "21:00" not in entry and "9:00" not in entry
