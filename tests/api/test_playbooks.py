"""/api/v1/playbooks/: everyone signed in reads playbooks with their steps; admins alone create,
change and delete them (403 for anyone else, nothing written); bad input is a 400 naming the
field; a playbook's firings list only the accounts the caller sees."""

import pytest

from accounts.models import Account, Tier
from accounts.services import scoring_defaults_ensure
from activities.models import Playbook, PlaybookFiring
from insights.playbooks import StepSpec, playbook_save, playbooks_evaluate
from kam.dates import business_date
from tests.factories import AccountFactory

URL = "/api/v1/playbooks/"


def body(**fields):
    return {
        "name": "Renewal push",
        "trigger": "renewal_within",
        "days": 90,
        "steps": [
            {"title": "Prepare the proposal", "owner_role": "account_owner", "due_offset_days": 14},
            {"title": "Leader sign-off", "owner_role": "leader", "due_offset_days": 30},
        ],
        **fields,
    }


@pytest.fixture
def playbook(db):
    return playbook_save(
        actor=None,
        name="Rescue",
        trigger="health_band",
        band="at_risk",
        steps=[StepSpec("Call the sponsor", "account_owner", 2)],
    )


def test_anyone_signed_in_reads_playbooks_with_their_steps(api_as, kam_user, playbook):
    response = api_as(kam_user).get(f"{URL}{playbook.pk}/")
    assert response.status_code == 200
    data = response.json()
    assert (data["name"], data["trigger"], data["band"]) == ("Rescue", "health_band", "at_risk")
    assert [s["title"] for s in data["steps"]] == ["Call the sponsor"]
    names = [row["name"] for row in api_as(kam_user).get(URL).json()["results"]]
    assert "Rescue" in names


def test_shipped_playbooks_read_in_the_callers_language(api_as, kam_user):
    from insights.playbooks import playbook_defaults_ensure

    playbook_defaults_ensure()
    pk = Playbook.objects.get(key="renewal_preparation").pk
    data = api_as(kam_user).get(f"{URL}{pk}/", HTTP_ACCEPT_LANGUAGE="pt-br").json()
    assert data["name"] == "Renewal preparation"  # as stored
    assert data["display_name"] == "Preparação da renovação"
    assert data["steps"][0]["display_title"] == "Preparar a proposta de renovação"


@pytest.mark.parametrize("persona", ["kam_user", "leader"])
def test_only_admins_write(persona, request, api_as, playbook):
    client = api_as(request.getfixturevalue(persona))
    assert client.post(URL, body(), format="json").status_code == 403
    assert client.patch(f"{URL}{playbook.pk}/", {"name": "X"}, format="json").status_code == 403
    assert client.delete(f"{URL}{playbook.pk}/").status_code == 403
    playbook.refresh_from_db()
    assert playbook.name == "Rescue"
    assert not Playbook.objects.filter(name="Renewal push").exists()


def test_an_admin_creates_changes_and_deletes_a_playbook(api_as, admin_user, kam_user):
    scoring_defaults_ensure()
    strategic = Tier.objects.get(key="strategic")
    client = api_as(admin_user)
    created = client.post(URL, body(tiers=[strategic.pk]), format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert [t["key"] for t in data["tiers"]] == ["strategic"]
    assert [(s["order"], s["owner_role"]) for s in data["steps"]] == [
        (1, "account_owner"),
        (2, "leader"),
    ]
    url = f"{URL}{data['id']}/"
    changed = client.patch(
        url,
        {"is_active": False, "steps": [{"title": "Only this", "owner_role": "named_user",
                                        "user": kam_user.pk, "due_offset_days": 3}]},
        format="json",
    )  # fmt: skip
    assert changed.status_code == 200, changed.json()
    data = changed.json()
    assert (data["is_active"], data["days"], data["version"]) == (False, 90, 2)
    assert [(s["title"], s["user"]["id"]) for s in data["steps"]] == [("Only this", kam_user.pk)]
    assert [t["key"] for t in data["tiers"]] == ["strategic"]  # not sent: kept
    assert client.delete(url).status_code == 204
    assert not Playbook.objects.filter(pk=data["id"]).exists()


@pytest.mark.parametrize(
    ("fields", "error_key"),
    [
        ({"trigger": "health_band"}, "band"),
        ({"trigger": "bogus"}, "trigger"),
        ({"days": -1}, "days"),
        ({"days": 99999}, "days"),
        ({"steps": [{"title": "X", "owner_role": "named_user"}]}, "steps"),
        ({"steps": [{"title": "X", "due_offset_days": -2}]}, "steps"),
        ({"steps": [{"title": "", "owner_role": "leader"}]}, "steps"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(fields, error_key, api_as, admin_user):
    response = api_as(admin_user).post(URL, body(**fields), format="json")
    assert response.status_code == 400
    assert error_key in response.json(), response.json()
    assert not Playbook.objects.filter(name="Renewal push").exists()


def test_firings_list_only_the_accounts_the_caller_sees(
    api_as, kam_user, outsider, leader, playbook, now
):
    Playbook.objects.exclude(pk=playbook.pk).update(is_active=False)
    mine = AccountFactory(owner=kam_user)
    theirs = AccountFactory(owner=outsider)
    Account.objects.update(health_band="at_risk")
    playbooks_evaluate(today=business_date())
    assert PlaybookFiring.objects.count() == 2

    def accounts_seen(user):
        response = api_as(user).get(f"{URL}{playbook.pk}/firings/")
        assert response.status_code == 200
        return {row["account"] for row in response.json()["results"]}

    assert accounts_seen(kam_user) == {mine.pk}
    assert accounts_seen(outsider) == {theirs.pk}
    assert accounts_seen(leader) == {mine.pk, theirs.pk}
    row = api_as(kam_user).get(f"{URL}{playbook.pk}/firings/").json()["results"][0]
    assert len(row["items"]) == 1 and row["cleared_at"] is None
