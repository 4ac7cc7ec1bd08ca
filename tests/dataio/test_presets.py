"""Exports of the CRMs teams leave (issue 16, point 6): recognised from their headers, mapped
with no manual work, values converted explicitly, hierarchy kept by external ids."""

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from accounts.models import Account, RevenueRecord, Stakeholder
from dataio.importers import IMPORTERS
from dataio.mapping import autodetect
from dataio.parsing import read_table
from dataio.presets import PRESETS, detect, explain
from kam.models import Role
from plans.models import Opportunity
from tests.factories import UserFactory

FIXTURES = Path(__file__).parent / "fixtures"

FILES = [
    ("salesforce_accounts.csv", "accounts", "salesforce_accounts"),
    ("salesforce_contacts.csv", "stakeholders", "salesforce_contacts"),
    ("salesforce_opportunities.csv", "deals", "salesforce_opportunities"),
    ("hubspot_companies.csv", "accounts", "hubspot_companies"),
    ("hubspot_contacts.csv", "stakeholders", "hubspot_contacts"),
    ("hubspot_deals.csv", "deals", "hubspot_deals"),
    ("pipedrive_organizations.csv", "accounts", "pipedrive_organizations"),
    ("pipedrive_persons.csv", "stakeholders", "pipedrive_persons"),
    ("pipedrive_deals.csv", "deals", "pipedrive_deals"),
    ("rdstation_organizations.csv", "accounts", "rdstation_organizations"),
    ("rdstation_contacts.csv", "stakeholders", "rdstation_contacts"),
    ("rdstation_deals.csv", "deals", "rdstation_deals"),
]


def _headers(name: str) -> list[str]:
    return read_table((FIXTURES / name).read_bytes(), name).headers


@pytest.mark.parametrize(("name", "entity", "key"), FILES)
def test_each_standard_export_is_recognised_and_every_column_is_accounted_for(name, entity, key):
    headers = _headers(name)
    assert detect(entity, headers).key == key
    mapping = autodetect(entity, headers)
    explanation = explain(entity, headers, mapping)
    left_out = dict(explanation.left_out)
    # Each column feeds a field or is left out on purpose, with the reason.
    assert [h for h in headers if h not in mapping and h not in left_out] == []
    assert all(left_out.values())
    required = {spec.name for spec in IMPORTERS[entity].fields if spec.required}
    assert required <= set(mapping.values())


def test_every_preset_is_reachable_and_belongs_to_an_importer():
    assert {key for _n, _e, key in FILES} == {p.key for p in PRESETS}
    for preset in PRESETS:
        fields = set(IMPORTERS[preset.entity].field_names())
        assert {c.field for c in preset.columns if c.field} <= fields, preset.key


def test_a_file_of_another_crm_entity_is_not_taken_for_this_one():
    # HubSpot deals uploaded as accounts: no accounts preset, the plain autodetect.
    headers = _headers("hubspot_deals.csv")
    assert detect("accounts", headers) is None
    assert autodetect("accounts", headers) == autodetect("accounts", headers, presets=False)


def test_a_plain_file_keeps_the_generic_mapping():
    headers = ["account", "sector", "revenue", "office_location", "subsidiary_of"]
    assert detect("accounts", headers) is None
    assert autodetect("accounts", headers)["revenue"] == "annual_revenue_musd"


@pytest.fixture
def owners(db):
    return {
        "ana": UserFactory(email="ana@example.com", full_name="Ana Souza", role=Role.KAM),
        "bruno": UserFactory(email="bruno@example.com", full_name="Bruno Lima", role=Role.KAM),
    }


def _import(run_import, name, entity, **kwargs):
    return run_import(entity, (FIXTURES / name).read_bytes(), filename=name, **kwargs)


@pytest.mark.django_db
def test_the_salesforce_accounts_report_keeps_hierarchy_owners_places_and_revenue_unit(
    run_import, owners
):
    result = _import(run_import, "salesforce_accounts.csv", "accounts")
    assert result.counts["created"] == 3 and result.rejects == [] and not result.blocked
    child = Account.objects.get(external_id="0015e00000AbCd1")
    # The parent comes later in the file, and is found by its Salesforce id.
    assert child.parent == Account.objects.get(name="Globex Holding")
    assert child.owner == owners["ana"]
    assert child.parent.owner == owners["bruno"]
    assert (child.hq_city, child.hq_country) == ("São Paulo", "Brazil")
    # 12,500,000 in currency units is 12.5 in the field's USD millions.
    assert child.annual_revenue_musd == Decimal("12.50")
    assert child.parent.annual_revenue_musd == Decimal("850.00")
    assert child.employees == 1200
    assert child.website == "https://www.globex.com.br"
    assert Account.objects.get(name="Initech").status == "prospect"
    # Idempotent: the same report again changes nothing.
    again = _import(run_import, "salesforce_accounts.csv", "accounts")
    assert again.counts["unchanged"] == 3


@pytest.mark.django_db
def test_the_hubspot_company_export_keeps_ids_owners_countries_and_names_industries(
    run_import, owners
):
    result = _import(run_import, "hubspot_companies.csv", "accounts")
    assert result.rejects == [] and result.counts["created"] == 3
    acme = Account.objects.get(external_id="7001")
    assert acme.parent == Account.objects.get(external_id="7000")
    assert acme.owner == owners["ana"]
    assert acme.parent.owner == owners["bruno"]  # by email
    assert acme.hq_country == "Brazil" and acme.hq_city == "Campinas"
    assert acme.industry == "Transportation/Trucking/Railroad"
    assert acme.website == "https://acmelog.com.br"
    assert acme.annual_revenue_musd == Decimal("120.00")
    assert Account.objects.get(external_id="7002").status == "prospect"


@pytest.mark.django_db
def test_hubspot_industry_names_are_written_in_the_importers_language(run_import, owners):
    with translation.override("pt-br"):
        _import(run_import, "hubspot_companies.csv", "accounts")
    assert Account.objects.get(external_id="7000").industry == "Software"
    assert Account.objects.get(external_id="7002").industry == "Varejo"


@pytest.mark.django_db
@pytest.mark.parametrize("crm", ["salesforce", "hubspot", "pipedrive", "rdstation"])
def test_accounts_contacts_and_deals_of_each_crm_import_without_a_reject(crm, run_import, owners):
    files = [(name, entity) for name, entity, _key in FILES if name.startswith(crm)]
    for name, entity in files:
        result = _import(run_import, name, entity)
        assert result.rejects == [], (name, result.rejects)
        assert not result.blocked
    assert Stakeholder.objects.count() == 2
    # Won deals become revenue, the others opportunities at the stage the CRM says.
    assert RevenueRecord.objects.count() == 1
    stages = set(Opportunity.objects.values_list("stage", flat=True))
    assert stages and stages <= {"identified", "qualified", "proposal", "negotiation", "lost"}


@pytest.mark.django_db
def test_deal_stages_are_converted_from_each_crm(run_import, owners):
    for name, entity in (
        ("hubspot_companies.csv", "accounts"),
        ("hubspot_deals.csv", "deals"),
        ("pipedrive_organizations.csv", "accounts"),
        ("pipedrive_deals.csv", "deals"),
        ("rdstation_organizations.csv", "accounts"),
        ("rdstation_deals.csv", "deals"),
    ):
        _import(run_import, name, entity)
    stage = dict(Opportunity.objects.values_list("external_id", "stage"))
    assert stage["8101"] == "negotiation"  # contractsent
    assert stage["8103"] == "lost"  # closedlost
    assert stage["501"] == "proposal"  # Proposal Made, open
    assert stage["503"] == "lost"  # status lost wins over the stage
    titles = dict(Opportunity.objects.values_list("title", "stage"))
    assert titles["Épsilon - Ampliação"] == "proposal"
    assert titles["Zeta - Piloto"] == "lost"
    won = dict(RevenueRecord.objects.values_list("external_id", "booked_on"))
    assert str(won["8102"]) == "2025-12-10" and str(won["502"]) == "2025-09-12"
    rd_won = RevenueRecord.objects.get(external_id="")
    assert rd_won.amount == Decimal("30000.00") and str(rd_won.booked_on) == "2025-10-20"


@pytest.mark.django_db
def test_contact_names_are_joined_from_first_and_last_name(run_import, owners):
    _import(run_import, "salesforce_accounts.csv", "accounts")
    _import(run_import, "salesforce_contacts.csv", "stakeholders")
    carla = Stakeholder.objects.get(external_id="0035e00000XyZ01")
    assert carla.name == "Carla Mendes" and carla.title == "CFO"


@pytest.mark.django_db
def test_an_unknown_owner_is_a_clear_row_message(run_import, owners):
    content = (FIXTURES / "salesforce_accounts.csv").read_text().replace("Bruno Lima", "Zé Ninguém")
    result = run_import("accounts", content, filename="report.csv")
    assert [r["reason"] for r in result.rejects] == ["owner KAM: no active user “Zé Ninguém”."]


IMPLAUSIBLE = (FIXTURES / "salesforce_accounts.csv").read_text() + (
    '"0015e00000AbCd3","Umbrella","","Customer - Direct","Pharma","25,000,000,000,000",'
    '"900","Recife","Brazil","","","Ana Souza"\n'
)


@pytest.mark.django_db
def test_an_implausible_revenue_blocks_the_import_until_accepted(run_import, owners):
    result = run_import("accounts", IMPLAUSIBLE, filename="report.csv")
    assert result.blocked and not Account.objects.exists()
    flagged = [o for o in result.outcomes if o.get("warnings")]
    assert [o["row"] for o in flagged] == [5]
    assert "more than any company's revenue" in flagged[0]["warnings"][0]
    # A dry run shows the warning and writes nothing either way.
    assert not run_import("accounts", IMPLAUSIBLE, filename="r.csv", dry_run=True).blocked
    accepted = run_import("accounts", IMPLAUSIBLE, filename="report.csv", accept_warnings=True)
    assert not accepted.blocked and Account.objects.count() == 4


@pytest.mark.django_db
def test_a_value_a_thousand_times_the_median_is_questioned(run_import, owners, admin_user):
    content = "name,owner,revenue\n" + "".join(
        f"Acc {n},ana@example.com,{value}\n" for n, value in enumerate([10, 12, 15, 20, 15000])
    )
    result = run_import("accounts", content, dry_run=True)
    flagged = {o["row"]: o["warnings"] for o in result.outcomes if o.get("warnings")}
    assert list(flagged) == [6]
    assert "1,000 times the median" in flagged[6][0]
    # 999 times is not.
    fine = content.replace("15000", "14985")
    assert not any(o.get("warnings") for o in run_import("accounts", fine, dry_run=True).outcomes)


@pytest.mark.django_db
def test_a_small_file_is_compared_with_the_database(run_import, owners):
    run_import("accounts", "name,owner,revenue\nA,ana@example.com,10\nB,ana@example.com,20\n"
               "C,ana@example.com,30\n")  # fmt: skip
    result = run_import("accounts", "name,owner,revenue\nD,ana@example.com,50000\n")
    assert result.blocked
    assert "2,500 times the median" in result.outcomes[0]["warnings"][0]


@pytest.mark.django_db
def test_a_generic_revenue_column_in_currency_units_is_questioned(run_import, owners):
    """The issue's silent 12.5 trillion: a plain file whose revenue is in units, not millions."""
    content = 'name,owner,annual revenue\nGlobex,ana@example.com,"12,500,000"\n'
    result = run_import("accounts", content)
    assert result.blocked and not Account.objects.exists()
    assert "currency units instead of millions" in result.outcomes[0]["warnings"][0]


def _command(*args) -> str:
    out = StringIO()
    call_command("import_data", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_command_says_what_it_recognised_and_converts(admin_user, owners):
    output = _command("accounts", str(FIXTURES / "salesforce_accounts.csv"))
    assert "Recognised: Salesforce accounts report" in output
    assert "Annual Revenue converted from units to millions." in output
    assert "Parent Account ID -> parent (parent account)" in output
    assert "Phone -> (ignored: KAM has no field for it)" in output
    assert "created 3, updated 0, unchanged 0, rejected 0" in output
    assert Account.objects.get(name="Globex Brasil Ltda").parent.name == "Globex Holding"


@pytest.mark.django_db
def test_the_command_refuses_implausible_values_unless_accepted(tmp_path, admin_user, owners):
    path = tmp_path / "report.csv"
    path.write_text(IMPLAUSIBLE)
    out = StringIO()
    with pytest.raises(CommandError, match="--accept-warnings"):
        call_command("import_data", "accounts", str(path), stdout=out)
    assert "row 5: client's annual revenue (USD millions): 25,000,000 million" in out.getvalue()
    assert not Account.objects.exists()
    output = _command("accounts", str(path), "--accept-warnings")
    assert "created 4" in output and Account.objects.count() == 4


@pytest.mark.django_db
def test_a_negative_revenue_is_questioned_and_negative_employees_rejected(run_import, owners):
    content = "name,owner,revenue,employees\nA,ana@example.com,-5,10\nB,ana@example.com,5,-3\n"
    result = run_import("accounts", content, dry_run=True)
    assert result.outcomes[0]["warnings"] == [
        "client's annual revenue (USD millions): -5 is below zero."
    ]
    assert result.outcomes[1]["action"] == "rejected"
    assert "employees" in result.outcomes[1]["reason"]
