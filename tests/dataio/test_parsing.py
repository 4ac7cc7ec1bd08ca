import io
import re
import tracemalloc
import zipfile
import zlib
from xml.etree.ElementTree import ParseError

import pytest
from openpyxl import Workbook

from dataio.parsing import (
    MAX_BYTES,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_LINE_CHARS,
    MAX_ROWS,
    MAX_XLSX_PARTS,
    MAX_XLSX_UNPACKED,
    OLE_SIGNATURE,
    ImportFileError,
    read_table,
    read_upload,
    sniff_delimiter,
)
from tests.dataio import crafted

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


# --- limits (docs/import.md, "Limits") -------------------------------------------------------


def _csv(rows: list[str]) -> bytes:
    return ("\n".join(rows) + "\n").encode()


def test_rows_up_to_the_limit_are_read_and_the_next_one_is_refused_naming_it():
    rows = ["name"] + [f"A{index}" for index in range(MAX_ROWS)]
    assert len(read_table(_csv(rows), "f.csv").rows) == MAX_ROWS
    with pytest.raises(ImportFileError, match=r"Row 50,002 is past the limit of 50,001 rows"):
        read_table(_csv([*rows, "one too many"]), "f.csv")


def test_blank_rows_count_towards_the_row_limit_so_reading_stops_there():
    # 20 MB of empty lines: refused at the first row past the limit, not read to the end.
    content = b"name\nAcme\n" + b"\n" * (MAX_BYTES - 20)
    with pytest.raises(ImportFileError, match="Row 50,002 is past the limit"):
        read_table(content, "f.csv")


def test_a_header_over_the_column_limit_is_refused_and_cells_past_the_header_are_ignored():
    header = ",".join(f"c{index}" for index in range(1, MAX_COLUMNS + 1))
    table = read_table(_csv([header, "x," * (MAX_COLUMNS + 500)]), "f.csv")
    assert len(table.headers) == MAX_COLUMNS and len(table.rows[0][1]) == MAX_COLUMNS
    with pytest.raises(ImportFileError, match=r"more than 100 columns \(column 101 has a name\)"):
        read_table(_csv([header + ",c101", "x"]), "f.csv")


def test_a_cell_over_the_length_limit_is_refused_naming_row_and_column():
    assert read_table(crafted.long_csv_cell(MAX_CELL_CHARS), "f.csv").rows[0][1][1]
    with pytest.raises(
        ImportFileError,
        match=r"Row 4, column 2 \(“notes”\): the cell has 32,768 characters; the limit is 32,767",
    ):
        read_table(crafted.long_csv_cell(MAX_CELL_CHARS + 1, row=4), "f.csv")


@pytest.mark.parametrize(
    "content", [crafted.long_csv_cell(200_000), b'name,notes\nAcme,"' + b"x\n" * 100_000]
)
def test_a_field_over_the_csv_modules_own_limit_is_a_cell_too_long_not_a_crash(content):
    # 128 KB in the first lines: the delimiter sniffing reads them too.
    with pytest.raises(
        ImportFileError, match=r"The row that starts on line 2 has a cell longer than 32,767"
    ):
        read_table(content, "f.csv")


def test_a_line_that_could_only_be_too_many_cells_is_refused_before_the_csv_module_splits_it():
    content = b"name,x\n" + b"," * (MAX_LINE_CHARS + 1) + b"\n"
    with pytest.raises(ImportFileError, match="Line 2 is longer than 3,277,000 characters"):
        read_table(content, "f.csv")


def test_sniffing_survives_a_huge_first_field():
    assert sniff_delimiter('a;b\n"' + "x" * 200_000 + '";1\n') == ";"


def test_the_size_limit_is_checked_before_reading_a_stream():
    class Endless(io.RawIOBase):
        read_bytes = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            self.read_bytes += len(buffer)
            buffer[:] = b"x" * len(buffer)
            return len(buffer)

    stream = Endless()
    with pytest.raises(ImportFileError, match=r"The file is 20.1 MB; the limit is 20 MB"):
        read_upload(stream)
    assert stream.read_bytes == MAX_BYTES + 1


# --- workbooks that would unpack to too much ----------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (crafted.zip_bomb(MAX_XLSX_UNPACKED), r"unpacks to 50.1 MB; the limit is 50 MB"),
        (crafted.zip_bomb(2 * crafted.MEGABYTE), r"compressed more than 50 to 1"),
        (crafted.many_parts(MAX_XLSX_PARTS), r"more than 1,000 parts"),
    ],
    ids=["unpacked", "ratio", "parts"],
)
def test_a_zip_bomb_is_refused_from_its_directory_before_unpacking(content, message):
    tracemalloc.start()
    try:
        with pytest.raises(ImportFileError, match=message):
            read_table(content, "bomb.xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5 * crafted.MEGABYTE


def test_an_old_or_password_protected_workbook_gets_its_own_message():
    with pytest.raises(ImportFileError, match=r"old Excel workbook \(.xls\) or a password"):
        read_table(OLE_SIGNATURE + b"\x00" * 600, "book.xlsx")


# --- DTDs and external entities -------------------------------------------------------------


@pytest.mark.parametrize(
    ("declaration", "part"),
    [
        ("<!DOCTYPE worksheet>", crafted.SHEET),
        ('<!DOCTYPE worksheet [<!ENTITY a "b">]>', crafted.SHEET),
        ("<!DOCTYPE Types>", "[Content_Types].xml"),
        ("<!DOCTYPE sst>", "xl/workbook.xml"),
        # Past the first block the XML parser reads: the whole prolog is parsed, not sniffed.
        ("<!--" + "x" * 40_000 + "--><!DOCTYPE worksheet>", crafted.SHEET),
    ],
    ids=["plain", "internal-entity", "content-types", "workbook", "after-a-long-comment"],
)
def test_a_workbook_with_a_dtd_in_any_part_is_refused_naming_the_part(declaration, part):
    with pytest.raises(ImportFileError, match=f"part “{re.escape(part)}” has a document type"):
        read_table(crafted.with_doctype(declaration, part=part), "book.xlsx")


def test_a_dtd_in_a_utf16_part_is_refused_too():
    def utf16(name, data):
        if name != crafted.SHEET:
            return data
        xml = data.decode().replace("<worksheet", "<!DOCTYPE worksheet><worksheet", 1)
        return xml.encode("utf-16")

    with pytest.raises(ImportFileError, match="document type declaration"):
        read_table(crafted.workbook([["name"], ["Acme"]], parts=utf16), "book.xlsx")


def test_an_external_entity_is_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    declaration = f'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
    content = crafted.with_doctype(declaration, cell="&xxe;")
    with pytest.raises(ImportFileError, match="document type declaration") as refused:
        read_table(content, "book.xlsx")
    assert "TOP-SECRET" not in str(refused.value)
    # Behind that check, the XML parser openpyxl uses (defusedxml) refuses the entity too.
    from openpyxl import load_workbook

    with pytest.raises(ValueError) as failed:
        workbook = load_workbook(io.BytesIO(content), read_only=True)
        list(workbook.worksheets[0].iter_rows(values_only=True))
    assert "TOP-SECRET" not in str(failed.value)


# --- every way openpyxl and zipfile fail on a malformed workbook ---------------------------


def _sheet(transform):
    return crafted.workbook([["name"], ["Acme"]], sheet=transform)


def _part(name, transform):
    return crafted.workbook(
        [["name"], ["Acme"]], parts=lambda part, data: transform(data) if part == name else data
    )


def _without(name):
    source = zipfile.ZipFile(io.BytesIO(crafted.workbook([["name"], ["Acme"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info, source.read(info))
    return out.getvalue()


def _central_entry(content: bytes, name: str) -> int:
    position = content.find(b"PK\x01\x02")
    while content[position + 46 : position + 46 + len(name)] != name.encode():
        position = content.find(b"PK\x01\x02", position + 1)
    return position


def _corrupt_deflate():
    content = bytearray(crafted.workbook([["name"], ["Acme"]]))
    info = zipfile.ZipFile(io.BytesIO(bytes(content))).getinfo(crafted.SHEET)
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for position in range(start + 5, start + 40):
        content[position] ^= 0x55
    return bytes(content)


def _encrypted():
    content = bytearray(crafted.workbook([["name"], ["Acme"]]))
    content[_central_entry(bytes(content), crafted.SHEET) + 8] |= 1  # "encrypted" flag
    return bytes(content)


CELL = '<c r="A2" t="inlineStr"><is><t>Acme</t></is></c>'


@pytest.mark.parametrize(
    ("content", "cause"),
    [
        (_sheet(lambda xml: xml.replace("</row>", "", 1)), ParseError),
        (_sheet(lambda xml: xml.replace(CELL, '<c r="A2" t="s"><v>99</v></c>')), IndexError),
        (_sheet(lambda xml: xml.replace('<row r="2"', '<row r="x"')), ValueError),
        (_sheet(lambda xml: xml.replace('r="A2"', 'r="ZZZZ2"')), ValueError),
        (_sheet(lambda xml: xml.replace(CELL, '<c r="A2"><v>abc</v></c>')), ValueError),
        (_sheet(lambda xml: xml.replace(CELL, '<c r="A2" t="d"><v>x</v></c>')), ValueError),
        (_part("xl/styles.xml", lambda data: data.replace(b"<cellXfs", b"<cellXfs x")), ParseError),
        (_without(crafted.SHEET), IndexError),
        (_without("xl/workbook.xml"), KeyError),
        (crafted.workbook([["name"], ["Acme"]])[:2000], zipfile.BadZipFile),
        (_corrupt_deflate(), zlib.error),
        (_encrypted(), RuntimeError),
    ],
    ids=["xml", "shared-string", "row-number", "column", "number", "date", "styles",
         "no-sheet", "no-workbook", "truncated", "deflate", "encrypted"],
)  # fmt: skip
def test_a_malformed_workbook_is_an_import_file_error_whatever_fails_inside(content, cause):
    with pytest.raises(ImportFileError, match="not a readable XLSX workbook") as refused:
        read_table(content, "book.xlsx")
    assert isinstance(refused.value.__cause__, cause)
