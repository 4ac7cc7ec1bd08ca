"""Issue 16, point 5: Brazilian files import with no manual mapping beyond confirming, every
error of a row is reported, and a pt-BR export imports back unchanged."""

import csv
import io
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Account, AccountStatus, RevenueRecord
from dataio.importers import IMPORTERS
from dataio.mapping import autodetect
from dataio.parsing import read_table
from dataio.services import import_file
from dataio.values import (
    BRAZILIAN,
    ENGLISH,
    RowReject,
    detect_number_locale,
    number_locale_of,
    to_decimal,
    to_int,
)
from plans.models import Opportunity, OpportunityStage
from tests.dataio.brazilian import ACCOUNTS, DEALS, cp1252
from tests.dataio.test_parsing_properties import PROPERTIES

# --- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "brazilian", "english"),
    [
        ("1.500", Decimal(1500), Decimal("1.5")),  # ambiguous: the file's locale decides
        ("1,500", Decimal("1.5"), Decimal(1500)),
        ("R$ 1.234,56", Decimal("1234.56"), Decimal("1234.56")),  # one way only
        ("1,234.56", Decimal("1234.56"), Decimal("1234.56")),
        ("1,5", Decimal("1.5"), Decimal("1.5")),
        ("0,500", Decimal("0.5"), Decimal("0.5")),  # a leading 0 never groups
        ("1234,567", Decimal("1234.567"), Decimal("1234.567")),  # 4 digits before: decimals
        ("1.500.000", Decimal(1500000), Decimal(1500000)),
        ("1,500,000", Decimal(1500000), Decimal(1500000)),
        ("-1.234.567,89", Decimal("-1234567.89"), Decimal("-1234567.89")),
        ("R$1.500,00", Decimal(1500), Decimal(1500)),
        ("12\u00a0500,00", None, None),  # blanks inside a number: refused, not guessed
        ("12abc34", None, None),  # was read as 1234
        ("1e5", None, None),
        ("1.2.3", None, None),
        ("1,23,456", None, None),
        ("1.234,5.6", None, None),
        ("12.", None, None),
    ],
)
def test_numbers_are_read_by_locale_where_ambiguous_and_junk_is_refused(raw, brazilian, english):
    for locale, expected in ((BRAZILIAN, brazilian), (ENGLISH, english)):
        if expected is None:
            with pytest.raises(RowReject, match=f"employees: “{raw}” is not a number"):
                to_decimal(raw, "employees", locale)
        else:
            assert to_decimal(raw, "employees", locale) == expected


def test_whole_numbers_take_thousands_separators_and_refuse_fractions():
    assert to_int("1.500", "employees", BRAZILIAN) == 1500
    assert to_int("1,500", "employees", ENGLISH) == 1500
    with pytest.raises(RowReject, match="“1,5” is not a whole number"):
        to_int("1,5", "employees", BRAZILIAN)


@pytest.mark.parametrize(
    ("raw", "locale"),
    [("1.234,56", BRAZILIAN), ("12,5", BRAZILIAN), ("1.500.000", BRAZILIAN),
     ("1,234.56", ENGLISH), ("12.5", ENGLISH), ("1,500,000", ENGLISH),
     ("1.500", None), ("1,500", None), ("1500", None), ("01/02/2024", None), ("abc", None)],
)  # fmt: skip
def test_a_cell_shows_its_locale_only_when_it_can_be_read_one_way(raw, locale):
    assert number_locale_of(raw) == locale


def test_the_file_locale_comes_from_delimiter_then_numbers_then_headers_then_language():
    assert detect_number_locale(["1,234.56"], delimiter=";", default=ENGLISH) == (
        BRAZILIAN,
        "delimiter",
    )
    assert detect_number_locale(["1.500", "12,5", "3,25"], delimiter=",", default=ENGLISH) == (
        BRAZILIAN,
        "numbers",
    )
    assert detect_number_locale(["1.500", "2.5"], delimiter=",", default=BRAZILIAN) == (
        ENGLISH,
        "numbers",
    )
    assert detect_number_locale(["1.500"], headers=["Funcionários"], default=ENGLISH) == (
        BRAZILIAN,
        "headers",
    )
    assert detect_number_locale(["1.500"], headers=["employees"], default=BRAZILIAN) == (
        BRAZILIAN,
        "language",
    )


def _write(number: Decimal, locale: str, *, currency: str = "") -> str:
    """`number` as a spreadsheet in `locale` writes it: grouped by threes, its decimal mark."""
    thousands, decimal = (".", ",") if locale == BRAZILIAN else (",", ".")
    sign = "-" if number < 0 else ""
    units, _dot, fraction = f"{abs(number):f}".partition(".")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return f"{currency}{sign}{thousands.join(groups)}" + (
        f"{decimal}{fraction}" if fraction else ""
    )


numbers = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12).map(Decimal),
    st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False),
    st.decimals(min_value=-(10**6), max_value=10**6, places=3, allow_nan=False),
)


@PROPERTIES
@given(number=numbers, locale=st.sampled_from([BRAZILIAN, ENGLISH]),
       currency=st.sampled_from(["", "R$ ", "R$"]))  # fmt: skip
def test_any_number_written_the_way_of_a_locale_reads_back_in_that_locale(number, locale, currency):
    assert to_decimal(_write(number, locale, currency=currency), "amount", locale) == number


# --- the "Done when" file ---------------------------------------------------------------------


@pytest.fixture
def brazilian_accounts(admin_user, kam_user):
    _table, _mapping, result = import_file(
        entity="accounts", content=cp1252(ACCOUNTS), filename="clientes.csv",
        actor=admin_user, dry_run=False,
    )  # fmt: skip
    assert result.counts["created"] == 2, result.rejects
    return result


def test_portuguese_headers_map_with_no_manual_work():
    accounts = read_table(cp1252(ACCOUNTS), "clientes.csv")
    assert autodetect("accounts", accounts.headers) == {
        "Código": "external_id",
        "Nome da empresa": "name",
        "Funcionários": "employees",
        "Início do contrato": "contract_start",
        "Data de renovação": "renewal_date",
        "Situação": "status",
        "Responsável": "owner",
    }
    deals = read_table(cp1252(DEALS), "negocios.csv")
    assert (deals.encoding, deals.delimiter) == ("cp1252", ";")
    assert autodetect("deals", deals.headers) == {
        "Código": "external_id",
        "Empresa": "account",
        "Título": "title",
        "Etapa": "stage",
        "Responsável": "owner",
        "Valor": "amount",
        "Data de fechamento": "close_date",
        "Probabilidade": "probability",
    }


# "cargo" (job title) is the catalogue's translation of a deal's "title" (issue 16, point 4).
MISTRANSLATED = {("deals", "title")}


def test_every_field_maps_from_its_portuguese_name_whatever_the_language_of_who_imports():
    """A header that is a field's Portuguese label maps to it in an English session too (the
    command runs in English): the catalogue's label or an alias (compared `normalise`d)."""
    missing = []
    for entity, importer in IMPORTERS.items():
        for spec in importer.fields:
            with translation.override("pt-br"):
                header = str(spec.label)
            with translation.override("en"):
                if autodetect(entity, [header]) != {header: spec.name}:
                    missing.append((entity, spec.name, header))
    assert [m for m in missing if m[:2] not in MISTRANSLATED] == []


def test_the_brazilian_file_imports_with_its_numbers_dates_and_stages(
    brazilian_accounts, admin_user, kam_user
):
    padaria = Account.objects.get(external_id="BR-1")
    assert padaria.name == "Padaria São João Ltda."
    assert padaria.employees == 1500
    assert padaria.contract_start == date(2023, 2, 1)
    assert padaria.renewal_date == date(2026, 1, 31)
    assert padaria.status == AccountStatus.ACTIVE
    assert Account.objects.get(external_id="BR-2").status == AccountStatus.AT_RISK
    assert brazilian_accounts.notes[0].startswith("Numbers read the Brazilian way")

    _table, _mapping, result = import_file(
        entity="deals", content=cp1252(DEALS), filename="negocios.csv",
        actor=admin_user, dry_run=False,
    )  # fmt: skip
    assert result.counts == {"created": 4, "updated": 0, "unchanged": 0, "rejected": 0}
    opportunities = {o.external_id: o for o in Opportunity.objects.all()}
    assert opportunities["D-1"].stage == OpportunityStage.NEGOTIATION
    assert opportunities["D-1"].amount == Decimal("1234.56")
    assert opportunities["D-1"].expected_close == date(2026, 3, 5)
    assert opportunities["D-1"].probability == 60
    assert opportunities["D-3"].stage == OpportunityStage.PROPOSAL
    assert opportunities["D-3"].amount == Decimal("1500.00")
    assert opportunities["D-4"].stage == OpportunityStage.LOST
    won = RevenueRecord.objects.get(external_id="D-2")
    assert (won.amount, won.booked_on) == (Decimal("12500.00"), date(2025, 2, 5))
    # The preview's parsed values: the stage by its label, the amount and date as read.
    with translation.override("pt-br"):
        _table, _mapping, again = import_file(
            entity="deals", content=cp1252(DEALS), filename="negocios.csv",
            actor=admin_user, dry_run=True,
        )  # fmt: skip
    assert again.counts["unchanged"] == 4
    first = again.outcomes[0]["parsed"]
    assert first["stage"] == ["Negociação", "Em negociação"]
    assert first["amount"] == ["1.234,56", "R$ 1.234,56"]
    assert first["close_date"] == ["05/03/2026", "05/03/2026"]
    _table, _mapping, english = import_file(
        entity="deals", content=cp1252(DEALS), filename="negocios.csv",
        actor=admin_user, dry_run=True,
    )  # fmt: skip
    assert english.outcomes[0]["parsed"]["close_date"] == ["March 5, 2026", "05/03/2026"]
    assert english.outcomes[2]["parsed"]["amount"] == ["1,500", "1.500"]


def test_the_command_imports_the_brazilian_file_and_maps_values_with_value(
    tmp_path, brazilian_accounts, admin_user
):
    path = tmp_path / "negocios.csv"
    path.write_bytes(cp1252(DEALS))
    out = StringIO()
    call_command(
        "import_data", "deals", str(path), "--value", "stage:Perdida=qualified", stdout=out
    )
    output = out.getvalue()
    assert "csv, cp1252, delimiter ';'" in output
    assert "Data de fechamento -> close_date" in output
    assert "Em negociação -> negotiation" in output and "Perdida -> qualified" in output
    assert "created 4, updated 0, unchanged 0, rejected 0" in output
    assert Opportunity.objects.get(external_id="D-4").stage == OpportunityStage.QUALIFIED


def test_a_value_left_unmapped_rejects_its_row_naming_field_and_value(
    tmp_path, brazilian_accounts, admin_user
):
    path = tmp_path / "negocios.csv"
    path.write_bytes(cp1252(DEALS.replace("Proposta enviada", "Aguardando cliente")))
    out = StringIO()
    call_command("import_data", "deals", str(path), "--value", "stage:Perdida=", stdout=out)
    output = out.getvalue()
    assert "Aguardando cliente -> (unmapped)" in output
    assert "row 4: stage: “Aguardando cliente” is not one of" in output
    assert "row 5: stage: “Perdida” is not mapped to any stage." in output
    assert "created 2, updated 0, unchanged 0, rejected 2" in output


def test_every_error_of_a_row_is_reported_not_only_the_first(run_import, kam_user):
    result = run_import(
        "accounts",
        "name;employees;renewal date;contract start;status;owner\n"
        "Acme;12abc34;31/02/2026;01/13/2024;Sleeping;ghost@example.com\n",
    )
    (reject,) = result.rejects
    assert reject["errors"] == [
        "employees: “12abc34” is not a number.",
        "status: “Sleeping” is not one of prospect, active, at_risk, churned.",
        "owner KAM: no active user “ghost@example.com”.",
        "contract start: “01/13/2024” is not a date (use YYYY-MM-DD or DD/MM/YYYY).",
        "renewal date: “31/02/2026” is not a date (use YYYY-MM-DD or DD/MM/YYYY).",
    ]
    assert reject["reason"] == "; ".join(reject["errors"])


def test_the_rejects_file_lists_every_error_of_a_row(client_for, admin_user):
    client = client_for(admin_user)
    upload = io.BytesIO(b"name,employees,founded\n,many,soon\n")
    upload.name = "a.csv"
    response = client.post(
        reverse("import_start"), {"entity": "accounts", "file": upload, "currency": ""}
    )
    job_id = int(response["Location"].split("/")[-3])
    client.post(reverse("import_mapping", args=[job_id]), {"col_0": "name", "col_1": "employees",
                                                           "col_2": "founded_year"})  # fmt: skip
    rows = list(csv.reader(io.StringIO(
        b"".join(client.get(reverse("import_rejects", args=[job_id, "csv"])).streaming_content)
        .decode("utf-8-sig")
    )))  # fmt: skip
    assert rows[1][1] == (
        "name is required.; employees: “many” is not a number.; "
        "year established: “soon” is not a number."
    )


# --- exports ----------------------------------------------------------------------------------


def _download(client, url) -> bytes:
    response = client.get(url)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_a_pt_br_export_is_what_excel_in_pt_br_opens_and_it_imports_back_unchanged(
    client_for, brazilian_accounts, admin_user
):
    import_file(entity="deals", content=cp1252(DEALS), filename="negocios.csv",
                actor=admin_user, dry_run=False)  # fmt: skip
    admin_user.language = "pt-br"
    admin_user.save(update_fields=["language"])
    client = client_for(admin_user)
    content = _download(client, reverse("export_table", args=["opportunities", "csv"]))
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    with translation.override("pt-br"):
        names = ("amount", "expected close", "stage", "title", "external id")
        header = {name: rows[0].index(translation.gettext(name)) for name in names}
    d1 = next(row for row in rows if row[header["external id"]] == "D-1")
    assert d1[header["amount"]] == "1234,56"
    assert d1[header["expected close"]] == "05/03/2026"
    assert d1[header["stage"]] == "Negociação"

    _table, mapping, again = import_file(
        entity="deals", content=content, filename="oportunidades.csv", actor=admin_user,
        dry_run=False,
        # The export's own `id` (the database's) is not the deal's id in the file.
        mapping_overrides={"id": "", rows[0][header["external id"]]: "external_id",
                           rows[0][header["title"]]: "title"},
    )  # fmt: skip
    assert again.counts == {"created": 0, "updated": 0, "unchanged": 3, "rejected": 0}, (
        again.outcomes,
        mapping,
    )


def test_the_accounts_export_in_pt_br_has_brazilian_numbers_dates_and_minutes(
    client_for, brazilian_accounts, admin_user
):
    Account.objects.filter(external_id="BR-1").update(annual_revenue_musd=Decimal("12.5"))
    admin_user.language = "pt-br"
    admin_user.save(update_fields=["language"])
    text = _download(client_for(admin_user), reverse("account_list") + "?export=csv").decode(
        "utf-8-sig"
    )
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    padaria = next(row for row in rows if "BR-1" in row)
    assert "31/01/2026" in padaria and "1500" in padaria and "12,50" in padaria
    assert not any("." in cell and cell.replace(".", "").isdigit() for cell in padaria)

    _table, _mapping, again = import_file(
        entity="accounts", content=text.encode("utf-8-sig"), filename="contas.csv",
        actor=admin_user, dry_run=True, mapping_overrides={"id": "", rows[0][2]: "external_id"},
    )  # fmt: skip
    assert again.counts["rejected"] == 0, again.rejects
    assert again.counts["updated"] == 0, again.outcomes


def test_an_english_export_keeps_commas_and_iso_dates_to_the_minute(client_for, kam_user):
    from activities.models import Interaction
    from tests.factories import AccountFactory

    account = AccountFactory(owner=kam_user)
    Interaction.objects.create(
        account=account, kind="call", summary="Kick-off", logged_by=kam_user,
        occurred_at=date(2025, 3, 4).isoformat() + "T15:07:09.123456-03:00",
    )  # fmt: skip
    text = _download(client_for(kam_user), reverse("export_table", args=["interactions", "csv"]))
    row = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))[1]
    assert row[2] == "2025-03-04 15:07"


# --- the wizard's values step -----------------------------------------------------------------


def test_the_wizard_asks_for_the_values_of_choice_columns_prefilled_and_stores_them(
    client_for, brazilian_accounts, admin_user
):
    from dataio.models import ImportJob, ImportStatus

    client = client_for(admin_user)
    upload = io.BytesIO(cp1252(DEALS))
    upload.name = "negocios.csv"
    response = client.post(
        reverse("import_start"), {"entity": "deals", "file": upload, "currency": ""}
    )
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("import_mapping", args=[job.pk])
    columns = {f"col_{i}": job.mapping.get(h, "") for i, h in enumerate(job.headers)}
    response = client.post(reverse("import_mapping", args=[job.pk]), columns)
    assert response["Location"] == reverse("import_values", args=[job.pk])

    page = client.get(reverse("import_values", args=[job.pk]))
    form = page.context["form"]
    assert {field.label: field.value() for _column, fields in form.groups for field in fields} == {
        "Em negociação": "negotiation",
        "Fechado ganho": "won",
        "Proposta enviada": "proposal",
        "Perdida": "lost",
    }
    data = {field.html_name: field.value() for _c, fields in form.groups for field in fields}
    lost = next(f.html_name for _c, fs in form.groups for f in fs if f.label == "Perdida")
    response = client.post(reverse("import_values", args=[job.pk]), {**data, lost: ""})
    assert response["Location"] == reverse("import_preview", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED
    assert job.value_mapping["stage"]["Perdida"] == ""
    assert job.value_mapping["stage"]["Em negociação"] == "negotiation"
    assert job.counts == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 1}
    preview = client.get(reverse("import_preview", args=[job.pk]))
    assert "Em negociação" in preview.content.decode() and "March 5, 2026" in (
        preview.content.decode()
    )
    # The confirmed import applies the stored value mapping.
    client.post(reverse("import_preview", args=[job.pk]))
    assert not Opportunity.objects.filter(external_id="D-4").exists()
    assert Opportunity.objects.get(external_id="D-1").stage == OpportunityStage.NEGOTIATION
