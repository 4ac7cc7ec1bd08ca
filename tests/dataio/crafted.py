"""Workbooks and text files built to cost a reader much more than their size, or to break it
(issue 14). Shared by the tests and by bench/upload.py."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

from openpyxl import Workbook
from openpyxl.styles import PatternFill

SHEET = "xl/worksheets/sheet1.xml"
MEGABYTE = 1024 * 1024


def workbook(
    rows: list[list[object]],
    *,
    sheet: Callable[[str], str] | None = None,
    parts: Callable[[str, bytes], bytes] | None = None,
    styled: bool = False,
) -> bytes:
    """An XLSX of `rows` written by openpyxl, then `sheet(xml)` applied to the first sheet's
    XML and `parts(name, data)` to every part."""
    book = Workbook()
    worksheet = book.active
    for row in rows:
        worksheet.append(row)
    if styled:
        fill = PatternFill("solid", fgColor="FFFF00")
        for line in worksheet.iter_rows():
            for cell in line:
                cell.fill = fill
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if sheet and info.filename == SHEET:
                data = sheet(data.decode()).encode()
            if parts:
                data = parts(info.filename, data)
            target.writestr(info, data)
    return out.getvalue()


def declared_dimension(ref: str = "A1:XFD3000", last_row: int = 3000) -> bytes:
    """The issue's 4.9 KB workbook: a header, one cell in row `last_row`, and a sheet that
    declares it spans `ref` (openpyxl's read-only mode padded every row to that width)."""

    def sheet(xml: str) -> str:
        xml = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', xml)
        cell = f'<row r="{last_row}"><c r="A{last_row}" t="inlineStr"><is><t>x</t></is></c></row>'
        return xml.replace("</sheetData>", cell + "</sheetData>")

    return workbook([["name"]], sheet=sheet)


def whole_sheet_formatted(rows: int = 10) -> bytes:
    """A sheet formatted as a whole, as spreadsheet programs save it: every column styled
    (`<col min="1" max="16384">`), the declared size the whole sheet, each row styled and with
    a formatted empty cell in the last column."""

    def sheet(xml: str) -> str:
        xml = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', xml)
        cols = '<cols><col min="1" max="16384" width="12" style="1" customWidth="1"/></cols>'
        xml = xml.replace("<sheetData>", cols + "<sheetData>")
        xml = re.sub(r'<row r="(\d+)"', r'<row r="\1" s="1" customFormat="1"', xml)
        return re.sub(
            r'(<row r="(\d+)"[^>]*>.*?)</row>', r'\1<c r="XFD\2" s="1"/></row>', xml, flags=re.S
        )

    data = [["name", "city", "employees"]]
    data += [[f"Account {index}", "Recife", index] for index in range(1, rows + 1)]
    return workbook(data, sheet=sheet, styled=True)


def zip_bomb(unpacked: int) -> bytes:
    """A valid workbook whose sheet ends in `unpacked` bytes of spaces (packs ~1000 to 1)."""
    base = zipfile.ZipFile(io.BytesIO(workbook([["name"], ["Acme"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in base.infolist():
            data = base.read(info)
            if info.filename != SHEET:
                target.writestr(info, data)
                continue
            with target.open(SHEET, "w") as part:
                part.write(data)
                chunk = b" " * MEGABYTE
                for _index in range(unpacked // MEGABYTE):
                    part.write(chunk)
    return out.getvalue()


def many_parts(count: int) -> bytes:
    """A valid workbook with `count` extra empty parts (each costs the zip directory a row)."""
    base = zipfile.ZipFile(io.BytesIO(workbook([["name"], ["Acme"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
        for info in base.infolist():
            target.writestr(info, base.read(info))
        for index in range(count):
            target.writestr(f"x/{index}", b"")
    return out.getvalue()


def with_doctype(declaration: str, *, part: str = SHEET, cell: str = "") -> bytes:
    """A workbook whose `part` starts with `declaration` (a DTD); `cell` replaces the text of
    the data cell (to reference an entity the DTD declares)."""

    def parts(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        xml = data.decode()
        if cell:
            xml = xml.replace("<t>Acme</t>", f"<t>{cell}</t>")
        if xml.startswith("<?xml"):
            end = xml.index("?>") + 2
            return (xml[:end] + declaration + xml[end:]).encode()
        return (declaration + xml).encode()

    return workbook([["name"], ["Acme"]], parts=parts)


def long_csv_cell(length: int, *, row: int = 2) -> bytes:
    """A CSV whose cell in `row` has `length` characters."""
    lines = ["name,notes"] + [f"Account {index},ok" for index in range(2, row)]
    lines.append("Acme," + "x" * length)
    return ("\n".join(lines) + "\n").encode()
