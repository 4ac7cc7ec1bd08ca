import pytest

from dataio.mapping import autodetect
from dataio.parsing import ImportFileError
from dataio.services import check_mapping


def test_maven_pipeline_headers_map_to_deal_fields():
    headers = [
        "opportunity_id",
        "sales_agent",
        "product",
        "account",
        "deal_stage",
        "engage_date",
        "close_date",
        "close_value",
    ]
    assert autodetect("deals", headers) == {
        "opportunity_id": "external_id",
        "sales_agent": "owner",
        "product": "product",
        "account": "account",
        "deal_stage": "stage",
        "engage_date": "engage_date",
        "close_date": "close_date",
        "close_value": "amount",
    }


def test_maven_accounts_headers_map_revenue_to_company_size_not_our_revenue():
    headers = [
        "account",
        "sector",
        "year_established",
        "revenue",
        "employees",
        "office_location",
        "subsidiary_of",
    ]
    assert autodetect("accounts", headers) == {
        "account": "name",
        "sector": "industry",
        "year_established": "founded_year",
        "revenue": "annual_revenue_musd",
        "employees": "employees",
        "office_location": "hq_country",
        "subsidiary_of": "parent",
    }


def test_headers_match_ignoring_case_accents_and_punctuation():
    assert autodetect("stakeholders", ["Conta", "Nome", "E-mail", "Cargo", "Unknown"]) == {
        "Conta": "account",
        "Nome": "name",
        "E-mail": "email",
        "Cargo": "title",
    }


def test_exact_field_name_beats_an_alias_and_each_field_takes_one_column():
    # "revenue" is an alias of amount; "amount" names the field itself and wins.
    assert autodetect("deals", ["revenue", "amount", "account"]) == {
        "amount": "amount",
        "account": "account",
    }


def test_check_mapping_requires_the_required_fields():
    with pytest.raises(ImportFileError, match="stage"):
        check_mapping("deals", {"account": "account"}, ["account"])


def test_check_mapping_refuses_two_columns_for_one_field():
    with pytest.raises(ImportFileError, match="both map"):
        check_mapping("accounts", {"a": "name", "b": "name"}, ["a", "b"])


def test_check_mapping_refuses_an_unknown_field():
    with pytest.raises(ImportFileError, match="not a field"):
        check_mapping("accounts", {"a": "name", "b": "colour"}, ["a", "b"])
