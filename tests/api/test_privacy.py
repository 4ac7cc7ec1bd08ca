"""The API cannot fill an erased contact in again (insights.privacy)."""

from accounts.models import Stakeholder
from insights.privacy import stakeholder_erase
from tests.factories import StakeholderFactory


def test_patching_an_erased_stakeholder_is_refused_and_writes_nothing(api_as, account, kam_user):
    person = StakeholderFactory(account=account, name="Maria Silva", email="m@acme.example")
    stakeholder_erase(user=kam_user, stakeholder=person, reason="Asked")
    response = api_as(kam_user).patch(
        f"/api/v1/stakeholders/{person.pk}/", {"name": "Maria Silva", "email": "m@acme.example"}
    )
    assert response.status_code == 400
    assert "erased" in str(response.json())
    person = Stakeholder.objects.get(pk=person.pk)
    assert (person.name, person.email) == (f"Erased contact #{person.pk}", "")
