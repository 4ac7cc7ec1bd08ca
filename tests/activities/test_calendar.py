"""The per-user calendar feed (ICS): a secret URL, no login; parsed back with icalendar."""

from datetime import UTC, date, datetime, time

import pytest
from django.urls import reverse
from icalendar import Calendar

from activities.models import CalendarToken, QBRStatus
from activities.services import (
    calendar_token_regenerate,
    calendar_token_revoke,
    qbr_cancel,
    qbr_schedule,
)
from kam.models import Role
from tests.factories import AccountFactory, CommitmentFactory, StakeholderFactory, UserFactory

TODAY = date(2026, 3, 10)


@pytest.fixture
def calendar_scene(account, kam_user, team_member, outsider, now):
    """On kam_user's account: a planned QBR at 14:30, an all-day one, a cancelled one; kam's
    open commitment, a done one, a client's one, a teammate's one. On the outsider's account:
    a QBR and a commitment kam_user must never see."""
    qbr_schedule(
        account=account,
        actor=kam_user,
        scheduled_on=date(2026, 4, 2),
        scheduled_time=time(14, 30),
        agenda="Results and plan",
    )
    qbr_schedule(account=account, actor=kam_user, scheduled_on=date(2026, 6, 30))
    qbr_cancel(
        qbr=qbr_schedule(account=account, actor=kam_user, scheduled_on=date(2026, 5, 5)),
        actor=kam_user,
    )
    CommitmentFactory(account=account, title="Send the deck", due_date=date(2026, 3, 12))
    CommitmentFactory(
        account=account, title="Old done thing", due_date=date(2026, 3, 12), status="done",
        done_at=datetime(2026, 3, 9, tzinfo=UTC),
    )  # fmt: skip
    CommitmentFactory(
        account=account,
        title="Sign the NDA",
        owner_user=None,
        owner_stakeholder=StakeholderFactory(account=account, name="Carla Cliente"),
        due_date=date(2026, 3, 20),
    )
    CommitmentFactory(
        account=account, title="Teammate's task", owner_user=team_member, due_date=TODAY
    )
    foreign = AccountFactory(name="Zeta Secret", owner=outsider)
    qbr_schedule(account=foreign, actor=outsider, scheduled_on=date(2026, 4, 3))
    CommitmentFactory(account=foreign, title="Outsider task", due_date=TODAY)
    return account


def _feed(client, user):
    token = calendar_token_regenerate(user=user)
    response = client.get(reverse("calendar_feed", args=[token.token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def test_the_feed_lists_my_planned_qbrs_and_open_commitments(client, calendar_scene, kam_user):
    calendar = _feed(client, kam_user)  # anonymous client: the token is the credential
    summaries = sorted(str(e["summary"]) for e in calendar.walk("VEVENT"))
    assert summaries == [
        "Due: Send the deck (Acme Industrial)",
        "Due: Sign the NDA (Acme Industrial)",
        "QBR: Acme Industrial",
        "QBR: Acme Industrial",
    ]
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    qbrs = sorted(
        (e for e in calendar.walk("VEVENT") if str(e["summary"]).startswith("QBR")),
        key=lambda e: str(e["uid"]),
    )
    assert len(qbrs) == 2
    starts = sorted(
        e.decoded("dtstart") for e in qbrs if isinstance(e.decoded("dtstart"), datetime)
    )
    # 14:30 in São Paulo is 17:30 UTC.
    assert starts == [datetime(2026, 4, 2, 17, 30, tzinfo=UTC)]
    all_day = [e.decoded("dtstart") for e in qbrs if not isinstance(e.decoded("dtstart"), datetime)]
    assert all_day == [date(2026, 6, 30)]
    deck = events["Due: Send the deck (Acme Industrial)"]
    assert deck.decoded("dtstart") == date(2026, 3, 12)
    assert str(deck["url"]).endswith(reverse("account_detail", args=[calendar_scene.pk]))
    assert "Carla Cliente" in str(events["Due: Sign the NDA (Acme Industrial)"]["description"])
    assert all(str(e["uid"]).endswith("@kam") for e in calendar.walk("VEVENT"))


def test_the_feed_is_written_in_the_users_language(client, calendar_scene, kam_user, monkeypatch):
    from django.utils import translation

    from activities import calendar_feed

    monkeypatch.setattr(calendar_feed, "_", lambda text: f"[{translation.get_language()}] {text}")
    kam_user.language = "pt-br"
    kam_user.save()
    calendar = _feed(client, kam_user)
    summaries = [str(e["summary"]) for e in calendar.walk("VEVENT")]
    assert summaries and all(s.startswith("[pt-br] ") for s in summaries)


def test_a_leader_sees_the_qbrs_of_every_account(client, calendar_scene, leader):
    calendar = _feed(client, leader)
    summaries = sorted(str(e["summary"]) for e in calendar.walk("VEVENT"))
    assert summaries == ["QBR: Acme Industrial", "QBR: Acme Industrial", "QBR: Zeta Secret"]


def test_a_wrong_token_is_a_404(client, calendar_scene, kam_user):
    calendar_token_regenerate(user=kam_user)
    response = client.get(reverse("calendar_feed", args=["not-the-token" * 4]))
    assert response.status_code == 404


def test_a_revoked_or_replaced_token_is_a_404(client, calendar_scene, kam_user):
    first = calendar_token_regenerate(user=kam_user)
    second = calendar_token_regenerate(user=kam_user)
    assert client.get(reverse("calendar_feed", args=[first.token])).status_code == 404
    assert client.get(reverse("calendar_feed", args=[second.token])).status_code == 200
    calendar_token_revoke(user=kam_user)
    assert client.get(reverse("calendar_feed", args=[second.token])).status_code == 404


def test_a_deactivated_users_feed_is_a_404(client, calendar_scene, kam_user):
    token = calendar_token_regenerate(user=kam_user)
    kam_user.is_active = False
    kam_user.save()
    assert client.get(reverse("calendar_feed", args=[token.token])).status_code == 404


def test_tokens_are_long_random_and_one_live_per_user(kam_user):
    tokens = {calendar_token_regenerate(user=kam_user).token for _ in range(5)}
    assert len(tokens) == 5
    assert all(len(token) >= 32 for token in tokens)
    assert CalendarToken.objects.filter(user=kam_user, revoked_at__isnull=True).count() == 1


def test_the_calendar_page_creates_shows_regenerates_and_revokes_the_url(client_for, kam_user):
    client = client_for(kam_user)
    page = client.get(reverse("calendar_settings"))
    assert page.status_code == 200
    assert page.context["token"] is None
    assert not CalendarToken.objects.exists()  # a GET writes nothing

    assert client.post(reverse("calendar_token_regenerate")).status_code == 302
    token = CalendarToken.objects.get(user=kam_user, revoked_at__isnull=True)
    page = client.get(reverse("calendar_settings")).content.decode()
    assert f"http://testserver/calendar/{token.token}.ics" in page

    client.post(reverse("calendar_token_regenerate"))
    assert CalendarToken.objects.get(user=kam_user, revoked_at__isnull=True).token != token.token
    client.post(reverse("calendar_token_revoke"))
    assert not CalendarToken.objects.filter(user=kam_user, revoked_at__isnull=True).exists()


@pytest.mark.parametrize("name", ["calendar_settings", "calendar_token_regenerate"])
def test_the_calendar_page_needs_a_login(client, db, name):
    response = client.post(reverse(name)) if "token" in name else client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert not CalendarToken.objects.exists()


def test_another_users_page_never_shows_my_token(client_for, kam_user):
    mine = calendar_token_regenerate(user=kam_user)
    other = UserFactory(role=Role.KAM)
    page = client_for(other).get(reverse("calendar_settings")).content.decode()
    assert mine.token not in page


@pytest.mark.parametrize("status", [QBRStatus.CANCELLED, QBRStatus.HELD])
def test_cancelled_and_held_qbrs_are_not_in_the_feed(client, account, kam_user, now, status):
    qbr = qbr_schedule(account=account, actor=kam_user, scheduled_on=TODAY)
    qbr.status = status
    qbr.held_at = now if status == QBRStatus.HELD else None
    qbr.save()
    assert not _feed(client, kam_user).walk("VEVENT")
