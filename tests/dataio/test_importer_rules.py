"""The importer applies the rules every other write path applies, through the same functions:
dates in range (kam.dates), renewal not before start (Account.clean), the owner a KAM
(Account.may_be_owned_by) and no parent loop of any length (accounts.models.parent_makes_loop)."""

import pytest

from accounts.models import Account
from activities.models import Commitment, Interaction
from plans.models import AccountPlan, Opportunity
from tests.factories import AccountFactory

OUT_OF_RANGE = ["9999-12-31", "1900-01-01"]


def _written():
    return (
        list(Account.objects.order_by("pk").values_list("name", "contract_start", "renewal_date")),
        Commitment.objects.count(),
        AccountPlan.objects.count(),
        Interaction.objects.count(),
        Opportunity.objects.count(),
    )


# --- the importer -----------------------------------------------------------------------------


IMPORT_CASES = {
    "contract start": ("accounts", "name,contract_start\nNova,{value}\n", "contract start"),
    "renewal": ("accounts", "name,renewal_date\nNova,{value}\n", "renewal date"),
    "deal close date": (
        "deals",
        "account,stage,close_date,amount\nAcme Industrial,won,{value},100\n",
        "close date",
    ),
    "interaction date": (
        "interactions",
        "account,date,summary\nAcme Industrial,{value},Call\n",
        "date",
    ),
}


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("case", IMPORT_CASES)
def test_the_importer_rejects_a_date_out_of_range_naming_the_column(
    run_import, account, now, case, value
):
    entity, content, column = IMPORT_CASES[case]
    before = _written()
    result = run_import(entity, content.format(value=value))
    assert result.counts["rejected"] == 1
    reason = result.rejects[0]["reason"]
    assert reason.startswith(f"{column}: ")
    assert "1990-01-01" in reason
    assert _written() == before


def test_the_importer_rejects_a_renewal_before_the_contract_start(run_import, db):
    result = run_import(
        "accounts", "name,contract_start,renewal_date\nNova,2026-01-01,2025-01-01\n"
    )
    assert result.counts["rejected"] == 1
    assert "renewal" in result.rejects[0]["reason"]
    assert not Account.objects.filter(name="Nova").exists()


# --- parent loops -----------------------------------------------------------------------------


def _parents() -> dict[str, str | None]:
    return {
        a.name: (a.parent.name if a.parent else None)
        for a in Account.objects.select_related("parent")
    }


def test_a_two_account_loop_in_one_file_is_refused_at_the_second_row(run_import, db):
    result = run_import("accounts", "name,parent\nAlpha,Beta\nBeta,Alpha\n")
    assert result.counts["rejected"] == 1
    assert result.rejects[0]["row"] == 3
    assert "own parent or ancestor" in result.rejects[0]["reason"]
    assert result.rejects[0]["reason"].startswith("parent account: ")
    # Alpha's parent was the refused row: Alpha comes in at the top, and the notes say so.
    assert _parents() == {"Alpha": None}
    assert result.notes == ["Row 2: parent not set: its row was not imported."]


def test_a_three_account_loop_across_file_and_database_is_refused(run_import, kam_user):
    gamma = AccountFactory(name="Gamma", owner=kam_user)
    AccountFactory(name="Alpha", owner=kam_user, parent=gamma)
    # Beta under Alpha is fine; Gamma under Beta then closes Gamma -> Beta -> Alpha -> Gamma.
    result = run_import("accounts", "name,parent\nBeta,Alpha\nGamma,Beta\n")
    assert [(r["row"], "ancestor" in r["reason"]) for r in result.rejects] == [(3, True)]
    assert _parents() == {"Alpha": "Gamma", "Beta": "Alpha", "Gamma": None}


def test_a_three_account_loop_named_by_external_id_and_by_name_is_refused(run_import, db):
    content = "external_id,name,parent\nA1,Alpha,Beta\nB1,Beta,C1\nC1,Gamma,A1\n"
    result = run_import("accounts", content)
    assert [r["row"] for r in result.rejects] == [4]
    # Gamma (C1) closed the loop and was refused, so Beta has no parent to point to.
    assert _parents() == {"Alpha": "Beta", "Beta": None}


def test_an_account_that_is_its_own_parent_is_refused(run_import, db):
    result = run_import("accounts", "name,parent\nAlpha,Alpha\n")
    assert result.counts["rejected"] == 1
    assert not Account.objects.exists()


def test_a_chain_without_a_loop_is_imported(run_import, db):
    result = run_import("accounts", "name,parent\nAlpha,Beta\nBeta,Gamma\nGamma,\n")
    assert result.counts["rejected"] == 0
    assert _parents() == {"Alpha": "Beta", "Beta": "Gamma", "Gamma": None}


# --- the owner --------------------------------------------------------------------------------


def test_the_owner_must_be_a_key_account_manager(run_import, leader, kam_user):
    result = run_import("accounts", f"name,owner\nNova,{leader.email}\nVega,{kam_user.email}\n")
    assert [r["row"] for r in result.rejects] == [2]
    assert result.rejects[0]["reason"].startswith("owner KAM: ")
    assert list(Account.objects.values_list("name", "owner")) == [("Vega", kam_user.pk)]
