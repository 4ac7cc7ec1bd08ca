"""Configuration → Playbooks: admins list, create, edit (with steps), disable and see recent
firings; bad input is refused naming the field; everyone else gets 403."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account, Tier
from accounts.services import scoring_defaults_ensure
from activities.models import Playbook, PlaybookFiring, StepOwner
from insights.playbooks import StepSpec, playbook_defaults_ensure, playbook_save, playbooks_evaluate
from kam.dates import business_date
from kam.models import AuditEvent
from tests.factories import AccountFactory, UserFactory


def _post(steps=(), **fields):
    data = {
        "name": "Renewal push",
        "description": "",
        "trigger": "renewal_within",
        "band": "",
        "days": "90",
        "is_active": "on",
        "steps-TOTAL_FORMS": str(max(len(steps), 1)),
        "steps-INITIAL_FORMS": "0",
        **fields,
    }
    for index, (title, role, user, days) in enumerate(steps):
        data[f"steps-{index}-title"] = title
        data[f"steps-{index}-owner_role"] = role
        data[f"steps-{index}-user"] = str(user.pk) if user else ""
        data[f"steps-{index}-due_offset_days"] = str(days)
    if not steps:
        data.update({"steps-0-title": "", "steps-0-owner_role": "account_owner",
                     "steps-0-due_offset_days": "0"})  # fmt: skip
    return data


@pytest.mark.parametrize("persona", ["kam_user", "leader"])
def test_only_admins_open_the_playbook_pages(persona, request, client_for):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("playbook_list")).status_code == 403
    assert client.post(reverse("playbook_create"), _post()).status_code == 403
    assert not Playbook.objects.filter(name="Renewal push").exists()


def test_the_list_shows_the_shipped_playbooks_translated(client_for, admin_user):
    playbook_defaults_ensure()
    client = client_for(admin_user)
    response = client.get(reverse("configuration"))
    assert reverse("playbook_list") in response.content.decode()
    assert "At-risk recovery" in client.get(reverse("playbook_list")).content.decode()
    admin_user.language = "pt-br"
    admin_user.save()
    body = client.get(reverse("playbook_list")).content.decode()
    assert "Recuperação de conta em risco" in body
    assert "Faixa de saúde cai para" in body


def test_an_admin_creates_a_playbook_with_steps(client_for, admin_user, kam_user):
    scoring_defaults_ensure()
    strategic = Tier.objects.get(key="strategic")
    client = client_for(admin_user)
    response = client.post(
        reverse("playbook_create"),
        _post(
            steps=[
                ("Prepare the proposal", StepOwner.ACCOUNT_OWNER, None, 14),
                ("Approve the terms", StepOwner.NAMED_USER, kam_user, 30),
            ],
            tiers=[str(strategic.pk)],
        ),
    )
    playbook = Playbook.objects.get(name="Renewal push")
    assert response.status_code == 302
    assert response["Location"] == reverse("playbook_edit", args=[playbook.pk])
    assert (playbook.trigger, playbook.days, playbook.is_active) == ("renewal_within", 90, True)
    assert list(playbook.tiers.all()) == [strategic]
    steps = list(
        playbook.steps.values_list("order", "title", "owner_role", "user", "due_offset_days")
    )
    assert steps == [
        (1, "Prepare the proposal", "account_owner", None, 14),
        (2, "Approve the terms", "named_user", kam_user.pk, 30),
    ]
    assert AuditEvent.objects.filter(object_type="playbook", object_id=playbook.pk).exists()


@pytest.mark.parametrize(
    ("fields", "steps", "field", "message"),
    [
        ({"trigger": "health_band", "band": ""}, [], "band", "Choose the band"),
        ({"days": "-3"}, [], "days", "greater than or equal to 0"),
        ({"name": ""}, [], "name", "This field is required"),
        ({}, [("Call", StepOwner.NAMED_USER, None, 2)], "steps-0-user", "Choose the user"),
        ({}, [("Call", StepOwner.ACCOUNT_OWNER, None, -1)], "steps-0-due_offset_days", "0"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    fields, steps, field, message, client_for, admin_user
):
    client = client_for(admin_user)
    response = client.post(reverse("playbook_create"), _post(steps=steps, **fields))
    assert response.status_code == 422
    if field.startswith("steps-"):
        _steps, index, name = field.split("-", 2)
        errors = response.context["steps"].forms[int(index)].errors[name]
    else:
        errors = response.context["form"].errors[field]
    assert any(message in error for error in errors), errors
    assert not Playbook.objects.filter(name=fields.get("name", "Renewal push") or "x").exists()


def test_more_steps_than_the_cap_are_refused(client_for, admin_user):
    client = client_for(admin_user)
    data = _post(steps=[(f"Step {n}", StepOwner.ACCOUNT_OWNER, None, n) for n in range(25)])
    response = client.post(reverse("playbook_create"), data)
    assert response.status_code == 422
    assert not Playbook.objects.filter(name="Renewal push").exists()


def test_an_admin_edits_disables_and_sees_the_recent_firings(client_for, admin_user, now):
    Playbook.objects.update(is_active=False)
    playbook = playbook_save(
        actor=admin_user,
        name="Rescue",
        trigger="health_band",
        band="at_risk",
        steps=[StepSpec("Call the sponsor", StepOwner.ACCOUNT_OWNER, 2)],
    )
    account = AccountFactory(name="Falling Corp")
    Account.objects.filter(pk=account.pk).update(health_band="at_risk")
    playbooks_evaluate(today=business_date())
    client = client_for(admin_user)

    page = client.get(reverse("playbook_edit", args=[playbook.pk]))
    body = page.content.decode()
    assert "Falling Corp" in body and 'id="playbook-firings"' in body
    assert page.context["form"].initial["name"] == "Rescue"

    data = _post(
        steps=[("Call the sponsor today", StepOwner.LEADER, None, 1)],
        name="Rescue now",
        trigger="health_band",
        band="watch",
        days="",
    )
    data["steps-INITIAL_FORMS"] = "1"
    assert client.post(reverse("playbook_edit", args=[playbook.pk]), data).status_code == 302
    playbook.refresh_from_db()
    assert (playbook.name, playbook.band, playbook.version) == ("Rescue now", "watch", 2)
    assert list(playbook.steps.values_list("title", "owner_role")) == [
        ("Call the sponsor today", "leader")
    ]

    assert client.post(reverse("playbook_toggle", args=[playbook.pk])).status_code == 302
    playbook.refresh_from_db()
    assert playbook.is_active is False
    assert PlaybookFiring.objects.filter(playbook=playbook).count() == 1
    listing = client.get(reverse("playbook_list")).content.decode()
    assert "Rescue now" in listing and "Enable" in listing


def _edit_page_queries(client, playbook):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("playbook_edit", args=[playbook.pk]))
    assert response.status_code == 200
    return response, len(queries)


def test_the_editor_names_its_steps_users_in_one_query(client_for, admin_user):
    """Each named-user step draws its user's name: one query for all the steps, not one a step
    (kam.people.name_chosen_once)."""
    client = client_for(admin_user)
    users = [UserFactory(full_name=f"Named {number}") for number in range(4)]
    playbook = Playbook.objects.create(name="Renewal push", trigger="renewal_within", days=90)

    def steps(count):
        return [
            StepSpec(title=f"Step {n}", owner_role=StepOwner.NAMED_USER, due_offset_days=n,
                     user=users[n])
            for n in range(count)
        ]  # fmt: skip

    playbook_save(actor=admin_user, playbook=playbook, steps=steps(1), tiers=[])
    _response, one = _edit_page_queries(client, playbook)
    playbook_save(actor=admin_user, playbook=playbook, steps=steps(4), tiers=[])
    response, four = _edit_page_queries(client, playbook)
    assert four == one
    html = response.content.decode()
    assert all(f">{user.full_name}</option>" in html for user in users)


def test_a_step_named_for_someone_no_longer_active_shows_them_and_saves_unchanged(
    client_for, admin_user
):
    client = client_for(admin_user)
    gone = UserFactory(full_name="Zeca Inativo")
    playbook = Playbook.objects.create(name="Renewal push", trigger="renewal_within", days=90)
    step = StepSpec(title="Call the client", owner_role=StepOwner.NAMED_USER, user=gone)
    playbook_save(actor=admin_user, playbook=playbook, steps=[step])
    gone.is_active = False
    gone.save(update_fields=["is_active"])

    drawn = client.get(reverse("playbook_edit", args=[playbook.pk])).content.decode()
    assert f'<option value="{gone.pk}" selected>Zeca Inativo</option>' in drawn
    posted = _post(steps=[("Call the client", StepOwner.NAMED_USER, gone, 0)])
    posted["steps-INITIAL_FORMS"] = "1"  # as the editor draws it: one step saved
    saved = client.post(reverse("playbook_edit", args=[playbook.pk]), posted)
    assert saved.status_code == 302
    assert playbook.steps.get().user == gone
