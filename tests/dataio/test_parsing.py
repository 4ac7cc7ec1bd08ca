import io

import pytest
from openpyxl import Workbook

from dataio.parsing import MAX_BYTES, ImportFileError, read_table, sniff_delimiter

ROWS = "name;city\nSão Paulo Ltda;Curitiba\nCafé & Cia;Maceió\n"


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252"), ("utf-16", "utf-16")],
)
def test_csv_encodings_are_detected_and_accents_survive(encoding, expected):
    table = read_table(ROWS.encode(encoding), "clients.csv")
    assert table.encoding == expected
    assert table.headers == ["name", "city"]
    assert [cells for _row, cells in table.rows] == [
        ["São Paulo Ltda", "Curitiba"],
        ["Café & Cia", "Maceió"],
    ]


def test_latin1_bytes_cp1252_cannot_read_fall_back_to_latin1():
    # 0x81 is undefined in Windows-1252 but a (control) character in ISO-8859-1; 0xE7 is ç.
    content = "name,note\nA\xe7o,x\n".encode("latin-1") + b"B,\x81y\n"
    table = read_table(content, "f.csv")
    assert table.encoding == "latin-1"
    assert table.rows[0][1] == ["Aço", "x"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(delimiter):
    text = delimiter.join(["name", "amount", "date"]) + "\n"
    text += (
        delimiter.join(["Acme, Inc.", "1,5", "2024-01-01"]) + "\n"
        if delimiter != ","
        else ('"Acme, Inc.",15,2024-01-01\n')
    )
    text += delimiter.join(["Beta", "2", "2024-02-01"]) + "\n"
    table = read_table(text.encode(), "f.csv")
    assert table.delimiter == delimiter
    assert table.headers == ["name", "amount", "date"]
    assert table.rows[0][1][0] == "Acme, Inc."


def test_sniff_prefers_the_delimiter_that_gives_a_consistent_width():
    assert sniff_delimiter("a;b;c\n1,5;2;3\n4;5,5;6\n") == ";"


def test_xlsx_first_sheet_with_dates_and_numbers():
    from datetime import date, datetime

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["account", "close_date", "close_value"])
    sheet.append(["Acme", datetime(2024, 3, 5), 1200.5])
    sheet.append([None, None, None])
    sheet.append(["Beta", date(2024, 4, 1), 7])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(buffer.getvalue(), "deals.xlsx")
    assert table.kind == "xlsx"
    assert table.headers == ["account", "close_date", "close_value"]
    # Blank rows are skipped but keep their numbers: the spreadsheet's row 5 is Beta.
    assert [row for row, _cells in table.rows] == [2, 4]
    assert table.rows[0][1] == ["Acme", date(2024, 3, 5), 1200.5]


def test_blank_lines_keep_the_row_numbers_a_spreadsheet_shows():
    table = read_table(b"name\n\nA\n\n\nB\n", "f.csv")
    assert table.rows == [(3, ["A"]), (6, ["B"])]


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"", "f.csv", "empty"),
        (b"   \n\n", "f.csv", "empty"),
        (b"name,city\n", "f.csv", "no data rows"),
        (b"%PDF-1.4 binary", "report.pdf", "CSV or XLSX"),
        (b"name\nAcme\n", "notes.docx", "CSV or XLSX"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.csv", "encoding"),
        (b"PK\x03\x04garbage", "book.xlsx", "XLSX"),
        (b"PK\x03\x04garbage", "book.csv", "archive"),
    ],
)
def test_bad_files_are_refused_with_a_clear_error(content, filename, message):
    with pytest.raises(ImportFileError, match=message):
        read_table(content, filename)


def test_a_file_over_20_mb_is_refused_before_parsing():
    content = b"name\n" + b"x" * MAX_BYTES
    with pytest.raises(ImportFileError, match="limit is 20 MB"):
        read_table(content, "big.csv")
