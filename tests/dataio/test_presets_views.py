"""The wizard with the export of a known CRM and a value that looks wrong (issue 16, point 6)."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Account
from dataio.models import ImportJob, ImportStatus
from kam.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REPORT = (Path(__file__).parent / "fixtures" / "salesforce_accounts.csv").read_bytes()
IMPLAUSIBLE = REPORT + (
    b'"0015e00000AbCd3","Umbrella","","Customer - Direct","Pharma","25,000,000,000,000",'
    b'"900","Recife","Brazil","","","Ana Souza"\n'
)


@pytest.fixture
def owners(db):
    UserFactory(email="ana@example.com", full_name="Ana Souza", role=Role.KAM)
    UserFactory(email="bruno@example.com", full_name="Bruno Lima", role=Role.KAM)


def _upload_and_preview(client, content, entity="accounts"):
    response = client.post(
        reverse("import_start"),
        {"entity": entity, "file": SimpleUploadedFile("report.csv", content), "currency": ""},
    )
    job = ImportJob.objects.latest("pk")
    assert response["Location"] == reverse("import_mapping", args=[job.pk])
    page = client.get(reverse("import_mapping", args=[job.pk]))
    # Every mapped column as the page pre-selects it: the form is posted untouched.
    data = {
        f"col_{i}": job.mapping.get(header, "") for i, header in enumerate(job.headers) if header
    }
    response = client.post(reverse("import_mapping", args=[job.pk]), data)
    assert response.status_code == 302, response.content
    if response["Location"] == reverse("import_values", args=[job.pk]):
        # The values step (a Type column): its pre-filled choices confirmed as they are.
        values = client.get(response["Location"]).context["form"]
        data = {name: field.initial for name, field in values.fields.items()}
        response = client.post(reverse("import_values", args=[job.pk]), data)
        assert response.status_code == 302, response.content
    assert response["Location"] == reverse("import_preview", args=[job.pk])
    return job, page


def test_the_mapping_page_says_which_export_it_recognised(client_for, leader, owners):
    job, page = _upload_and_preview(client_for(leader), REPORT)
    html = page.content.decode()
    assert "Recognised: Salesforce accounts report" in html
    assert "Annual Revenue converted from units to millions." in html
    assert "Phone</span> (KAM has no field for it)" in html
    assert job.mapping["Parent Account ID"] == "parent"
    assert job.mapping["Billing Country"] == "hq_country"


def test_another_crm_entity_is_pointed_out(client_for, leader):
    hubspot_deals = (Path(__file__).parent / "fixtures" / "hubspot_deals.csv").read_bytes()
    client = client_for(leader)
    client.post(
        reverse("import_start"),
        {"entity": "accounts", "file": SimpleUploadedFile("d.csv", hubspot_deals)},
    )
    page = client.get(reverse("import_mapping", args=[ImportJob.objects.latest("pk").pk]))
    assert "This file looks like a HubSpot deals export" in page.content.decode()


def test_questioned_values_block_the_import_until_acknowledged(client_for, leader, owners):
    client = client_for(leader)
    job, _page = _upload_and_preview(client, IMPLAUSIBLE)
    preview = client.get(reverse("import_preview", args=[job.pk])).content.decode()
    assert "1 row has values that look wrong" in preview
    assert "is more than any company&#x27;s revenue" in preview
    assert 'name="accept_warnings"' in preview

    refused = client.post(reverse("import_preview", args=[job.pk]), {})
    assert refused.status_code == 200
    assert "Correct the file, or import anyway" in refused.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED and not Account.objects.exists()

    done = client.post(reverse("import_preview", args=[job.pk]), {"accept_warnings": "on"})
    assert done["Location"] == reverse("import_job", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.counts["created"] == 4
    child = Account.objects.get(name="Globex Brasil Ltda")
    assert child.parent.name == "Globex Holding" and str(child.annual_revenue_musd) == "12.50"


def test_a_clean_report_needs_no_acknowledgement(client_for, leader, owners):
    client = client_for(leader)
    job, _page = _upload_and_preview(client, REPORT)
    assert "look wrong" not in client.get(reverse("import_preview", args=[job.pk])).content.decode()
    client.post(reverse("import_preview", args=[job.pk]), {})
    assert Account.objects.count() == 3
