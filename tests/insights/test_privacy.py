"""A stakeholder's rights under the LGPD: the export of everything held about them and the
erasure on request (insights/privacy.py, insights/privacy_views.py)."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Stakeholder, TimelineEntry
from accounts.services import scoring_defaults_ensure
from activities import services as activity_services
from activities.models import QBR, ClientRequest, Commitment, Interaction
from insights.privacy import stakeholder_erase, stakeholder_personal_data
from kam.models import AuditEvent
from tests.factories import AccountFactory, CommitmentFactory, StakeholderFactory

NAME = "Carla Chefe"
EMAIL = "carla@acme.example"
PHONE = "+55 11 99999-0000"


@pytest.fixture
def person(account, kam_user, now, default_working_calendar):
    """Carla, created and edited through the services (so she has audit and timeline rows),
    with a manager, two interactions, a request she raised and an item she owns."""
    scoring_defaults_ensure()
    boss = account_services.stakeholder_create(
        account=account, actor=kam_user, name="Bruno Boss", title="CEO"
    )
    carla = account_services.stakeholder_create(
        account=account,
        actor=kam_user,
        name=NAME,
        title="CFO",
        department="Finance",
        email=EMAIL,
        phone=PHONE,
        notes="Prefers calls in the morning.",
        external_id="crm-42",
    )
    carla = account_services.stakeholder_update(
        stakeholder=carla, actor=kam_user, reports_to=boss, title="CFO and COO"
    )
    activity_services.interaction_log(
        account=account,
        actor=kam_user,
        kind="meeting",
        occurred_at=now - timedelta(days=3),
        summary=f"Budget review with {NAME}",
        notes=f"carla chefe asked for a discount; write to {EMAIL}. Mariana Chefeira agreed.",
        stakeholders=[carla, boss],
    )
    activity_services.interaction_log(
        account=account,
        actor=kam_user,
        kind="call",
        occurred_at=now - timedelta(days=1),
        summary="Follow-up call",
        stakeholders=[boss],
    )
    activity_services.request_create(
        account=account,
        actor=kam_user,
        subject="Invoice copy",
        details=f"{NAME} needs the March invoice",
        received_at=now - timedelta(hours=5),
        requester=carla,
    )
    CommitmentFactory(
        account=account, owner_user=None, owner_stakeholder=carla, title="Send the signed PO"
    )
    return Stakeholder.objects.select_related("account", "reports_to").get(pk=carla.pk)


# --- export -----------------------------------------------------------------------------------


def test_the_export_holds_the_profile_manager_interactions_requests_items_and_history(
    kam_user, person, django_assert_num_queries
):
    # interactions, requests, agreed items, QBRs, timeline, audit, same email elsewhere
    # (with the accounts the user may edit as a subquery), captured emails naming them
    with django_assert_num_queries(8):
        data = stakeholder_personal_data(user=kam_user, stakeholder=person)
    profile = data["stakeholder"]
    assert (profile["name"], profile["email"], profile["phone"]) == (NAME, EMAIL, PHONE)
    assert (profile["title"], profile["department"]) == ("CFO and COO", "Finance")
    assert profile["notes"] == "Prefers calls in the morning."
    assert data["accounts"] == [{"id": person.account_id, "name": "Acme Industrial"}]
    assert data["reports_to"]["name"] == "Bruno Boss"
    # Only the interaction she was at, with its notes.
    assert [row["summary"] for row in data["interactions"]] == [f"Budget review with {NAME}"]
    assert "discount" in data["interactions"][0]["notes"]
    assert [row["subject"] for row in data["client_requests"]] == ["Invoice copy"]
    assert [row["title"] for row in data["commitments"]] == ["Send the signed PO"]
    assert [row["kind"] for row in data["timeline"]] == ["stakeholder_joined"]
    assert [row["action"] for row in data["audit"]] == ["created", "updated"]
    assert data["audit"][1]["changes"]["title"] == ["CFO", "CFO and COO"]
    json.dumps(data, cls=DjangoJSONEncoder)  # JSON-ready


def test_the_export_lists_records_with_the_same_email_only_on_accounts_the_user_may_edit(
    kam_user, outsider, person
):
    own = AccountFactory(name="Second Own", owner=kam_user)
    StakeholderFactory(account=own, name="Carla C.", email=EMAIL.upper())
    StakeholderFactory(account=AccountFactory(owner=outsider), name="Carla", email=EMAIL)
    data = stakeholder_personal_data(user=kam_user, stakeholder=person)
    assert [row["name"] for row in data["accounts"]] == ["Acme Industrial", "Second Own"]
    assert len(data["records_with_the_same_email"]) == 1


def test_the_json_download_is_named_by_id_and_audited(client_for, team_member, person):
    url = reverse("stakeholder_personal_data_json", args=[person.account_id, person.pk])
    response = client_for(team_member).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="personal-data-contact-{person.pk}.json"'
    )
    exported = json.loads(response.content)
    assert exported["stakeholder"]["email"] == EMAIL
    assert exported["interactions"][0]["date"] == "2026-03-07T15:00:00Z"
    event = AuditEvent.objects.get(action="exported")
    assert (event.actor, event.object_id, event.changes) == (
        team_member,
        person.pk,
        {"format": [None, "json"]},
    )


def test_the_printable_page_shows_the_data_and_is_audited(client_for, leader, person):
    url = reverse("stakeholder_personal_data", args=[person.account_id, person.pk])
    page = client_for(leader).get(url).content.decode()
    assert EMAIL in page and "Budget review with Carla Chefe" in page and "Invoice copy" in page
    assert AuditEvent.objects.filter(action="exported", actor=leader).count() == 1


def test_the_panel_offers_export_and_erase_to_whoever_may_edit(client_for, team_member, person):
    url = reverse("stakeholder_panel", args=[person.account_id, person.pk])
    page = client_for(team_member).get(url).content.decode()
    assert reverse("stakeholder_personal_data", args=[person.account_id, person.pk]) in page
    assert reverse("stakeholder_erase", args=[person.account_id, person.pk]) in page


def test_an_outsider_can_neither_export_nor_erase(client_for, outsider, person):
    client = client_for(outsider)
    for name in ("stakeholder_personal_data", "stakeholder_personal_data_json"):
        assert client.get(reverse(name, args=[person.account_id, person.pk])).status_code == 404
    url = reverse("stakeholder_erase", args=[person.account_id, person.pk])
    response = client.post(url, {"reason": "x", "confirm_name": NAME})
    assert response.status_code == 404
    person.refresh_from_db()
    assert person.name == NAME and not AuditEvent.objects.filter(action="exported").exists()


# --- erasure ----------------------------------------------------------------------------------


def _texts_quoting(needle: str) -> list[str]:
    """Every stored text that still quotes `needle` (stakeholders, interactions, requests,
    agreed items, QBRs, audit rows)."""
    found = []
    for model, fields in (
        (Stakeholder, ("name", "email", "phone", "title", "department", "notes")),
        (Interaction, ("summary", "notes")),
        (ClientRequest, ("subject", "details")),
        (Commitment, ("title",)),
        (QBR, ("agenda", "outcome")),
    ):
        query = Q()
        for field in fields:
            query |= Q(**{f"{field}__icontains": needle})
        found += [f"{model.__name__} {pk}" for pk in model.objects.filter(query).values_list("pk")]
    audit = AuditEvent.objects.annotate(text=Cast("changes", TextField())).filter(
        Q(text__icontains=needle) | Q(object_label__icontains=needle)
    )
    found += [f"AuditEvent {pk}" for pk in audit.values_list("pk", flat=True)]
    return found


def test_erasure_keeps_the_row_and_its_interactions_but_no_trace_of_the_person(
    kam_user, person, now
):
    account = person.account
    counts_before = (
        account.stakeholders.count(),
        Interaction.objects.filter(stakeholders=person).count(),
        TimelineEntry.objects.filter(account=account).count(),
    )
    erased = stakeholder_erase(user=kam_user, stakeholder=person, reason="Asked by email, 9 March")

    erased.refresh_from_db()
    label = f"Erased contact #{person.pk}"
    assert erased.name == label
    assert (erased.email, erased.phone, erased.title, erased.department, erased.notes) == (
        ("",) * 5
    )
    assert (erased.erased_at, erased.erased_by) == (now, kam_user)
    # The seat on the org chart and the history stay.
    assert erased.reports_to.name == "Bruno Boss" and erased.external_id == "crm-42"
    assert (
        account.stakeholders.count(),
        Interaction.objects.filter(stakeholders=erased).count(),
        TimelineEntry.objects.filter(account=account).count(),
    ) == counts_before
    # Name (any case) and email are gone everywhere; a longer word that contains it stays.
    for needle in (NAME, EMAIL, PHONE, "CFO and COO", "Prefers calls"):
        assert _texts_quoting(needle) == [], needle
    meeting = Interaction.objects.get(kind="meeting")
    assert meeting.summary == f"Budget review with {label}"
    assert meeting.notes == (
        f"{label} asked for a discount; write to {label}. Mariana Chefeira agreed."
    )
    assert ClientRequest.objects.get().details == f"{label} needs the March invoice"


def test_erasure_is_audited_with_who_when_and_why_and_earlier_entries_lose_the_values(
    kam_user, person, now
):
    stakeholder_erase(user=kam_user, stakeholder=person, reason=f"{NAME} asked on 9 March")
    event = AuditEvent.objects.get(action="erased")
    assert (event.actor, event.at, event.object_id) == (kam_user, now, person.pk)
    assert event.changes["reason"] == [None, f"Erased contact #{person.pk} asked on 9 March"]
    assert event.changes["interactions edited"] == [None, "1"]
    created = AuditEvent.objects.get(
        object_type="stakeholder", object_id=person.pk, action="created"
    )
    assert created.changes["email"] == [None, "[erased]"]
    assert created.changes["external_id"] == [None, "crm-42"]
    assert created.object_label == f"Erased contact #{person.pk}"


def test_erasure_needs_a_reason_and_happens_once(kam_user, person):
    with pytest.raises(ValidationError):
        stakeholder_erase(user=kam_user, stakeholder=person, reason="  ")
    stakeholder_erase(user=kam_user, stakeholder=person, reason="Asked")
    with pytest.raises(ValidationError):
        stakeholder_erase(user=kam_user, stakeholder=person, reason="Again")
    assert AuditEvent.objects.filter(action="erased").count() == 1


def test_an_erased_person_cannot_be_edited_by_service_or_form(client_for, kam_user, person):
    stakeholder_erase(user=kam_user, stakeholder=person, reason="Asked")
    with pytest.raises(ValidationError):
        account_services.stakeholder_update(stakeholder=person, actor=kam_user, name=NAME)
    url = reverse("stakeholder_edit", args=[person.account_id, person.pk])
    client = client_for(kam_user)
    assert client.get(url).url == reverse("account_stakeholders", args=[person.account_id])
    client.post(url, {"name": NAME, "buying_role": "user", "influence": 3, "stance": "neutral"})
    person.refresh_from_db()
    assert person.name == f"Erased contact #{person.pk}"


def test_the_erase_page_asks_for_the_name_and_refuses_a_wrong_one(client_for, kam_user, person):
    url = reverse("stakeholder_erase", args=[person.account_id, person.pk])
    client = client_for(kam_user)
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "Asked", "confirm_name": "Carla"})
    assert response.status_code == 422
    person.refresh_from_db()
    assert person.name == NAME and not person.is_erased

    response = client.post(url, {"reason": "Asked", "confirm_name": " carla  chefe "}, follow=True)
    person.refresh_from_db()
    assert person.is_erased
    page = response.content.decode()
    assert "Personal data erased." in page
    assert "Erased on" in page and NAME not in page


def test_the_erased_label_is_stored_in_the_site_language(settings, kam_user, person):
    settings.LANGUAGE_CODE = "pt-br"
    erased = stakeholder_erase(user=kam_user, stakeholder=person, reason="Pedido por email")
    assert erased.name == f"Contato apagado #{person.pk}"
