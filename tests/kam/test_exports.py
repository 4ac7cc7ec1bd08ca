"""kam.exports: what a spreadsheet would run as a formula leaves as text, in CSV and XLSX, also
when a spreadsheet splits a CSV field again on another separator."""

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
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


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("x;=2+3", "x;'=2+3"),
        ("a,b\t@SUM(A1)", "a,b\t'@SUM(A1)"),
        ("note, -5 units", "note,' -5 units"),
        ('x; "=1"', 'x;\' "=1"'),
        ("line\n+1", "line\n'+1"),
        ("'=1", "''=1"),  # so that the apostrophe can be taken off again
        ("a=b; c-d, e@f", "a=b; c-d, e@f"),
    ],
)
def test_a_csv_field_is_neutralised_piece_by_piece(text, written, delimiter):
    assert cell_safe(text, delimiter=delimiter) == written


@pytest.mark.parametrize(
    "value", [42, -3, Decimal("-1.50"), 2.5, date(2026, 3, 10), "plain text", "a=b"]
)
def test_numbers_dates_and_plain_text_pass_unchanged(value):
    assert cell_safe(value) == value


def test_a_csv_export_neutralises_every_dangerous_cell():
    response = csv_response(["name", "note"], [[text, text] for text in DANGEROUS], filename="t")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    # A tab or carriage return is a place to split: the formula after it gets the apostrophe.
    expected = [text.replace("\t=", "\t'=").replace("\r=", "\r'=") for text in DANGEROUS]
    expected = [text if text.startswith(("\t", "\r")) else "'" + text for text in expected]
    for row, text in zip(rows[1:], expected, strict=True):
        assert row == [text, text]


def test_the_writer_takes_the_delimiter_and_neutralises_for_it():
    response = csv_response(
        ["a;b", "c"], [["x;=2+3", "|=1"], ["y", 2]], filename="t", delimiter="|"
    )
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body, newline=""), delimiter="|"))
    assert rows == [["a;b", "c"], ["x;'=2+3", "|'=1"], ["y", "2"]]


# --- what a naive spreadsheet reads -----------------------------------------------------------

SEPARATORS = (",", ";", "\t")
FORMULA = re.compile(r"[\s\"]*[=+\-@]")


def naive_cells(body: str):
    """Every cell a spreadsheet could make of `body` with the wrong separator: as CSV, and as
    plain lines split on it."""
    for separator in SEPARATORS:
        try:
            for row in csv.reader(io.StringIO(body, newline=""), delimiter=separator):
                yield from row
        except csv.Error:  # a reader that gives up reads nothing
            pass
        for line in re.split(r"\r\n|\r|\n", body):
            yield from line.split(separator)


def restore(field: str, delimiter: str) -> str:
    """Undo cell_safe as its docstring says: a piece (between , ; tab, line breaks and the
    delimiter) that starts with an apostrophe loses it when, without it, it would have got one."""
    pieces = re.split("([,;\t\r\n" + re.escape(delimiter) + "])", field)
    return "".join(
        piece[1:]
        if index % 2 == 0 and piece.startswith("'") and re.match(r"[\s\"']*[=+\-@]", piece[1:])
        else piece
        for index, piece in enumerate(pieces)
    )


# Any text, with the characters that matter drawn often.
TEXT = st.text(
    st.one_of(st.sampled_from(",;\t\r\n \"'=+-@|"), st.characters(codec="utf-8")), max_size=60
)


@given(text=TEXT, delimiter=st.sampled_from(SEPARATORS))
def test_no_separator_lets_a_spreadsheet_read_a_formula_and_the_text_comes_back(text, delimiter):
    response = csv_response([text], [[text, "plain"]], filename="t", delimiter=delimiter)
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    dangerous = [cell for cell in naive_cells(body) if FORMULA.match(cell)]
    assert not dangerous, body
    rows = list(csv.reader(io.StringIO(body, newline=""), delimiter=delimiter))
    assert [restore(field, delimiter) for field in rows[1]] == [text, "plain"]
    assert [restore(field, delimiter) for field in rows[0]] == [text]


@given(TEXT)
def test_text_without_a_formula_anywhere_is_written_as_it_is(text):
    pieces = re.split(r"[,;\t\r\n]", text)
    if not any(re.match(r"[\s\"']*[=+\-@]", piece) for piece in pieces):
        assert cell_safe(text, delimiter=",") == text


def test_an_xlsx_export_stores_dangerous_cells_as_text_not_formulas():
    response = xlsx_response(["name", "amount"], [[t, -5] for t in DANGEROUS], filename="t")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    # (XML stores a carriage return as a line feed: only the leading quote matters here.)
    assert [row[0] for row in rows] == ["'" + text.replace("\r", "\n") for text in DANGEROUS]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert rows[0][1] == -5  # a negative number stays a number
