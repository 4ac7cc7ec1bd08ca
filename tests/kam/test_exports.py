"""kam.exports: what a spreadsheet would run as a formula leaves as text, in CSV and XLSX."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from kam.exports import cell_safe, csv_response, xlsx_response

DANGEROUS = [
    "=1+1",
    '=HYPERLINK("http://evil.example","x")',
    "+1",
    "-1+2",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
]


@pytest.mark.parametrize("text", DANGEROUS)
def test_text_that_starts_a_formula_is_quoted(text):
    assert cell_safe(text) == "'" + text


@pytest.mark.parametrize(
    "value", [42, -3, Decimal("-1.50"), 2.5, date(2026, 3, 10), "plain text", "a=b"]
)
def test_numbers_dates_and_plain_text_pass_unchanged(value):
    assert cell_safe(value) == value


def test_a_csv_export_neutralises_every_dangerous_cell():
    response = csv_response(["name", "note"], [[text, text] for text in DANGEROUS], filename="t")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    for row, text in zip(rows[1:], DANGEROUS, strict=True):
        assert row == ["'" + text, "'" + text]


def test_an_xlsx_export_stores_dangerous_cells_as_text_not_formulas():
    response = xlsx_response(["name", "amount"], [[t, -5] for t in DANGEROUS], filename="t")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    # (XML stores a carriage return as a line feed: only the leading quote matters here.)
    assert [row[0] for row in rows] == ["'" + text.replace("\r", "\n") for text in DANGEROUS]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert rows[0][1] == -5  # a negative number stays a number
