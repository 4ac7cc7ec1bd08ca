"""/api/v1/requests/: recorded through the service (clocks set), answered once, resolved,
updated with its version, filtered by status and breach, and invisible to outsiders."""

from datetime import timedelta

from django.utils import timezone

from activities.models import ClientRequest


def test_a_kam_records_a_request_and_gets_its_clocks(api_as, kam_user, book, now):
    response = api_as(kam_user).post(
        "/api/v1/requests/",
        {
            "account": book.account.pk,
            "subject": "Price list",
            "received_at": "2026-03-09T09:00:00-03:00",
            "priority": "urgent",
            "requester": book.champion.pk,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner"]["id"] == kam_user.pk  # the account's owner by default
    assert body["status"] == "awaiting" and body["version"] == 1
    assert body["first_response_due_at"] and body["resolution_due_at"]
    created = ClientRequest.objects.get(pk=body["id"])
    assert created.first_response_due_at > created.received_at


def test_respond_once_resolve_and_reopen(api_as, kam_user, book, now):
    client = api_as(kam_user)
    row = client.post(
        "/api/v1/requests/",
        {"account": book.account.pk, "subject": "x", "received_at": "2026-03-10T09:00:00-03:00"},
    ).json()
    url = f"/api/v1/requests/{row['id']}/"
    first = client.post(f"{url}respond/", {"at": "2026-03-10T10:00:00-03:00"}).json()
    again = client.post(f"{url}respond/", {"at": "2026-03-10T11:00:00-03:00"}).json()
    assert first["first_response_at"] == again["first_response_at"]
    assert first["first_response_met"] is True
    resolved = client.post(f"{url}resolve/", {}).json()
    assert resolved["status"] == "resolved"
    assert client.post(f"{url}reopen/").json()["status"] == "answered"
    early = client.post(f"{url}resolve/", {"at": "2026-03-10T08:00:00-03:00"})
    assert early.status_code == 400 and "resolved_at" in early.json()


def test_a_stale_version_is_a_409_and_writes_nothing(api_as, kam_user, book, now):
    client = api_as(kam_user)
    url = f"/api/v1/requests/{book.client_request.pk}/"
    version = book.client_request.version
    assert client.patch(url, {"subject": "First", "version": version}).status_code == 200
    stale = client.patch(url, {"subject": "Second", "version": version})
    assert stale.status_code == 409
    assert stale.json()["current_version"] == version + 1
    assert ClientRequest.objects.get(pk=book.client_request.pk).subject == "First"


def test_filters_status_and_breached(api_as, kam_user, book, now):
    client = api_as(kam_user)
    late = ClientRequest.objects.create(
        account=book.account,
        owner=kam_user,
        subject="Late",
        received_at=timezone.now() - timedelta(days=30),
        first_response_due_at=timezone.now() - timedelta(days=29),
        first_response_warning_at=timezone.now() - timedelta(days=29),
        resolution_due_at=timezone.now() - timedelta(days=20),
        resolution_warning_at=timezone.now() - timedelta(days=20),
    )
    breached = client.get("/api/v1/requests/", {"breached": "true"}).json()["results"]
    assert late.pk in {r["id"] for r in breached}
    assert all(r["first_response_breached"] or r["resolution_breached"] for r in breached)
    awaiting = client.get("/api/v1/requests/", {"status": "awaiting"}).json()["results"]
    assert [r["id"] for r in awaiting] == [late.pk]
    resolved = client.get("/api/v1/requests/", {"status": "resolved"}).json()["results"]
    assert [r["id"] for r in resolved] == [book.resolved_request.pk]


def test_an_outsider_neither_sees_nor_answers(api_as, outsider, book, now):
    client = api_as(outsider)
    assert client.get("/api/v1/requests/").json()["results"] == []
    url = f"/api/v1/requests/{book.client_request.pk}/"
    assert client.get(url).status_code == 404
    assert client.post(f"{url}resolve/", {}).status_code == 404
    assert ClientRequest.objects.get(pk=book.client_request.pk).resolved_at is None
