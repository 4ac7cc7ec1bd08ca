"""Marking notifications read is activities.services.notifications_mark_read."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.models import Notification
from activities.services import notifications_mark_read
from kam.dates import business_date


def _notify(user):
    return Notification.objects.create(
        user=user, kind=Notification.Kind.QBR_DUE, day=business_date()
    )


def test_marking_read_touches_only_my_unread_notifications(client_for, kam_user, outsider):
    mine, theirs = _notify(kam_user), _notify(outsider)
    assert notifications_mark_read(user=kam_user) == 1
    assert notifications_mark_read(user=kam_user) == 0
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None
    assert theirs.read_at is None


def test_the_page_button_uses_the_service(client_for, kam_user):
    note = _notify(kam_user)
    response = client_for(kam_user).post(reverse("notifications_mark_read"))
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.read_at is not None


def test_the_bell_counts_my_unread_notices_on_a_page_and_a_fragment_runs_no_count(
    client_for, kam_user, outsider, account
):
    """activities.context_processors.notifications: counted when the bell is drawn (every
    full page), not for an htmx fragment, which has no navigation."""
    _notify(kam_user), _notify(kam_user), _notify(outsider)
    client = client_for(kam_user)
    page = client.get(reverse("my_work")).content.decode()
    assert '<span class="badge text-bg-danger">2<span class="visually-hidden">' in page
    with CaptureQueriesContext(connection) as queries:
        fragment = client.get(
            reverse("account_timeline", args=[account.pk]),
            headers={"HX-Request": "true", "HX-Target": "timeline"},
        )
    assert fragment.status_code == 200
    assert "<nav" not in fragment.content.decode()
    assert not [q for q in queries if "activities_notification" in q["sql"]]
