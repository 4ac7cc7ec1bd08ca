"""Reading an uploaded table: CSV in any common encoding and delimiter, or the first sheet of
an XLSX workbook. Everything that can be wrong with the file as a whole is an ImportFileError
raised here, before any row is looked at (and so before anything is written)."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath

from django.utils.translation import gettext as _

MAX_BYTES = 20 * 1024 * 1024
CSV_EXTENSIONS = {".csv", ".txt", ".tsv"}
XLSX_EXTENSIONS = {".xlsx", ".xlsm"}
# Tried in this order: UTF-8 first (it fails loudly on anything else), then Windows' Western
# code page, then ISO-8859-1 (which decodes any byte, so text checks below guard it).
ENCODINGS = ("utf-8", "cp1252", "latin-1")
DELIMITERS = (",", ";", "\t", "|")
SAMPLE_LINES = 50
# C0 control characters never found in a real text table; their presence means the bytes are
# not in any encoding we read (a binary file, UTF-16 without a BOM, ...).
_CONTROL = {chr(code) for code in range(32)} - {"\t", "\n", "\r", "\f"}


class ImportFileError(Exception):
    """The file cannot be read as a table; the message is for the person who uploaded it."""


@dataclass
class Table:
    headers: list[str]
    # (row number as a spreadsheet shows it, header = 1; the cells in header order)
    rows: list[tuple[int, list[object]]]
    kind: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""
    notes: list[str] = field(default_factory=list)

    def records(self):
        """(row number, {header: value}) for each non-blank row."""
        for number, cells in self.rows:
            yield number, dict(zip(self.headers, cells, strict=False))


def read_table(content: bytes, filename: str) -> Table:
    if len(content) > MAX_BYTES:
        raise ImportFileError(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(len(content) / 1024 / 1024, 1), "limit": MAX_BYTES // 1024 // 1024}
        )
    if not content.strip():
        raise ImportFileError(_("The file is empty."))
    extension = PurePath(filename or "").suffix.lower()
    is_zip = content[:4] == b"PK\x03\x04"
    if extension in XLSX_EXTENSIONS or (is_zip and extension not in CSV_EXTENSIONS):
        table = _read_xlsx(content)
    elif extension in CSV_EXTENSIONS:
        if is_zip:
            raise ImportFileError(_("This file is a compressed archive, not a CSV file."))
        table = _read_csv(content)
    else:
        raise ImportFileError(
            _("Upload a CSV or XLSX file (this one is “%(name)s”).") % {"name": filename}
        )
    if not any(table.headers):
        raise ImportFileError(_("The file has no header row."))
    if not table.rows:
        raise ImportFileError(_("The file has a header row but no data rows."))
    return table


def decode(content: bytes) -> tuple[str, str]:
    """The text and the name of the encoding it was read with."""
    if content.startswith(b"\xef\xbb\xbf"):
        candidates: tuple[str, ...] = ("utf-8-sig",)
    elif content.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ("utf-16",)
    else:
        candidates = ENCODINGS
    for encoding in candidates:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _CONTROL.isdisjoint(text[:100_000]):
            return text, encoding
        break
    raise ImportFileError(
        _("The file's text encoding could not be recognised (tried UTF-8, Windows-1252 and "
          "ISO-8859-1). Save it as CSV UTF-8 and upload it again.")
    )  # fmt: skip


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same number (> 1) of columns most
    often; ties go to the order of DELIMITERS."""
    sample = "\n".join(text.splitlines()[:SAMPLE_LINES])
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        rows = [row for row in csv.reader(io.StringIO(sample), delimiter=delimiter) if row]
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        score = (sum(1 for row in rows if len(row) == width), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(content: bytes) -> Table:
    text, encoding = decode(content)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        lines = list(reader)
    except csv.Error as error:
        raise ImportFileError(
            _("The CSV file is malformed: %(error)s") % {"error": error}
        ) from error
    return _table(lines, kind="csv", encoding=encoding, delimiter=delimiter)


def _read_xlsx(content: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ImportFileError(_("This is not a readable XLSX workbook.")) from error
    try:
        sheet = workbook.worksheets[0]
        lines = [[_xlsx_value(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    return _table(lines, kind="xlsx")


def _xlsx_value(value: object) -> object:
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()
    if isinstance(value, str):
        return value.strip()
    return value


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _table(lines: list[list[object]], **info) -> Table:
    """The first non-blank line is the header; blank lines are skipped but keep their numbers."""
    numbered = [(index + 1, line) for index, line in enumerate(lines)]
    numbered = [(number, line) for number, line in numbered if not all(map(_blank, line))]
    if not numbered:
        raise ImportFileError(_("The file is empty."))
    header = numbered[0][1]
    headers = [str(cell).strip() if cell is not None else "" for cell in header]
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    rows = []
    for number, line in numbered[1:]:
        cells = list(line[:width]) + [None] * (width - len(line))
        if not all(map(_blank, cells)):
            rows.append((number, [c.strip() if isinstance(c, str) else c for c in cells]))
    return Table(headers=headers, rows=rows, **info)
