"""The Requests tab, its inline buttons, My work's block and the quick log's "this answers
request #…", through the test client."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from activities import services
from activities.models import ClientRequest

SP = ZoneInfo("America/Sao_Paulo")


@pytest.fixture
def clock():
    # Tuesday 10 March 2026, 11:00 in São Paulo.
    with time_machine.travel(datetime(2026, 3, 10, 11, 0, tzinfo=SP), tick=False):
        yield


def _request(account, **extra):
    values = {"subject": "Invoice copy", "received_at": datetime(2026, 3, 9, 9, tzinfo=SP)}
    return services.request_create(account=account, actor=account.owner, **(values | extra))


def test_the_tab_records_a_request_owned_by_the_account_owner_by_default(
    client_for, account, clock
):
    client = client_for(account.owner)
    url = reverse("account_requests", args=[account.pk])
    response = client.post(
        url,
        {
            "subject": "Price list 2027",
            "channel": "whatsapp",
            "priority": "high",
            "received_at": "2026-03-10T09:30",
            "owner": str(account.owner_id),
        },
    )
    assert response.status_code == 302
    created = ClientRequest.objects.get()
    assert (created.channel, created.priority, created.owner) == ("whatsapp", "high", account.owner)
    page = client.get(url)
    assert b"Price list 2027" in page.content
    # No tier: 24 business hours from Tuesday 9:30 → Thursday 15:30; 1.5 h gone by 11:00.
    assert b"22.5 business hours left" in page.content


def test_the_tab_refuses_an_owner_outside_the_team(client_for, account, outsider, clock):
    response = client_for(account.owner).post(
        reverse("account_requests", args=[account.pk]),
        {
            "subject": "x",
            "channel": "email",
            "priority": "low",
            "received_at": "2026-03-10T09:30",
            "owner": str(outsider.pk),
        },
    )
    assert response.status_code == 422
    assert not ClientRequest.objects.exists()


def test_resolve_and_reopen_inline(client_for, account, clock):
    request = _request(account)
    client = client_for(account.owner)
    response = client.post(reverse("request_resolve", args=[request.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"Reopen" in response.content
    request.refresh_from_db()
    assert request.resolved_at == datetime(2026, 3, 10, 11, 0, tzinfo=SP)
    response = client.post(reverse("request_reopen", args=[request.pk]), HTTP_HX_REQUEST="true")
    request.refresh_from_db()
    assert request.resolved_at is None and b"Resolved" in response.content


def test_answering_before_the_request_arrived_shows_the_error_in_the_row(
    client_for, account, clock
):
    request = _request(account)
    response = client_for(account.owner).post(
        reverse("request_respond", args=[request.pk]),
        {"at": "2026-03-09T08:00"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert b"before the request was received" in response.content
    request.refresh_from_db()
    assert request.first_response_at is None


def test_my_work_lists_my_requests_awaiting_an_answer(client_for, account, team_member, clock):
    mine = _request(account, subject="Mine")
    _request(account, subject="Tereza's", owner=team_member)
    answered = _request(account, subject="Answered")
    services.request_respond(
        client_request=answered, at=datetime(2026, 3, 9, 10, tzinfo=SP), actor=account.owner
    )
    response = client_for(account.owner).get(reverse("my_work"))
    assert [r.pk for r in response.context["work"].requests_awaiting] == [mine.pk]
    assert b"Requests awaiting an answer" in response.content


def test_the_quick_log_answers_and_resolves_a_request(client_for, account, clock):
    request = _request(account)
    response = client_for(account.owner).post(
        reverse("interaction_create", args=[account.pk]),
        {
            "log-kind": "call",
            "log-occurred_at": "2026-03-10T10:00",
            "log-summary": "Sent the copy",
            "log-sentiment": "0",
            "log-category": "evolution",
            "log-answers_request": str(request.pk),
            "log-resolves_request": "on",
            "next_steps-TOTAL_FORMS": "0",
            "next_steps-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.first_response_at == datetime(2026, 3, 10, 10, 0, tzinfo=SP)
    assert request.resolved_at == request.first_response_at
    assert request.first_response_interaction.summary == "Sent the copy"


def test_the_fresh_quick_log_form_offers_the_requests_still_open(client_for, account, clock):
    """After an htmx log the form comes back empty: a log that answered no request offers the
    same open requests; one that resolved a request no longer offers it."""
    kept = _request(account, subject="Price list")
    solved = _request(account, subject="Copy of the contract")
    client = client_for(account.owner)
    body = {
        "log-kind": "call", "log-occurred_at": "2026-03-10T10:00", "log-summary": "Called",
        "log-sentiment": "0", "log-category": "evolution",
        "next_steps-TOTAL_FORMS": "0", "next_steps-INITIAL_FORMS": "0",
    }  # fmt: skip
    url = reverse("interaction_create", args=[account.pk])
    plain = client.post(url, body, HTTP_HX_REQUEST="true")
    assert plain.status_code == 200
    offered = plain.context["log_form"].fields["answers_request"].choices
    assert [value for value, _label in offered] == ["", str(kept.pk), str(solved.pk)]
    resolving = client.post(
        url,
        {**body, "log-answers_request": str(solved.pk), "log-resolves_request": "on"},
        HTTP_HX_REQUEST="true",
    )
    assert resolving.status_code == 200
    offered = resolving.context["log_form"].fields["answers_request"].choices
    assert [value for value, _label in offered] == ["", str(kept.pk)]
    assert f'<option value="{solved.pk}"' not in resolving.content.decode()
    assert f'<option value="{kept.pk}"' in resolving.content.decode()


def test_the_export_lists_the_visible_requests_with_their_clocks(
    client_for, account, outsider, clock
):
    request = _request(account, subject="Price list")
    services.request_resolve(
        client_request=request, at=datetime(2026, 3, 9, 10, tzinfo=SP), actor=account.owner
    )
    _request(account, subject="Still open")
    url = reverse("export_table", args=["requests", "csv"])
    client = client_for(account.owner)
    text = _body(client.get(url, {"account": account.pk, "status": "resolved"}))
    assert "Price list" in text and "Still open" not in text
    assert "Resolved" in text
    assert "Still open" in _body(client.get(url))
    assert "Price list" not in _body(client_for(outsider).get(url))


def _body(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_the_tab_speaks_portuguese(client_for, account, clock):
    _request(account)
    account.owner.language = "pt-br"
    account.owner.save()
    page = client_for(account.owner).get(reverse("account_requests", args=[account.pk]))
    text = page.content.decode()
    assert "Novo pedido" in text and "Aguardando resposta" in text
    assert "horas úteis" in text
