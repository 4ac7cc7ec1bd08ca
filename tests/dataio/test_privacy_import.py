"""An import of an old file does not fill an erased contact in again (insights.privacy)."""

from accounts.models import Stakeholder
from insights.privacy import stakeholder_erase
from tests.factories import StakeholderFactory


def test_a_row_matching_an_erased_contact_by_external_id_is_skipped_with_a_reason(
    run_import, account, kam_user
):
    person = StakeholderFactory(
        account=account, name="Maria Silva", email="maria@acme.example", external_id="crm-7"
    )
    stakeholder_erase(user=kam_user, stakeholder=person, reason="Asked by phone")
    rows = (
        "account,external_id,name,email\n"
        "Acme Industrial,crm-7,Maria Silva,maria@acme.example\n"
        "Acme Industrial,crm-8,João Souza,joao@acme.example\n"
    )
    result = run_import("stakeholders", rows)
    assert result.counts == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    assert "erased on request" in result.rejects[0]["reason"]
    person.refresh_from_db()
    assert (person.name, person.email) == (f"Erased contact #{person.pk}", "")
    assert not Stakeholder.objects.filter(name="Maria Silva").exists()
