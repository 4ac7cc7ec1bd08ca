"""Reading an uploaded table: CSV in any common encoding and delimiter, or the first sheet of
an XLSX workbook. Everything that can be wrong with the file as a whole is an ImportFileError
raised here, before any row is imported (and so before anything is written).

The limits below are checked while the file is read, so a file over one of them costs no more
than reading up to the point where it goes over (docs/import.md, "Limits"): the bytes before
anything is read, the zip directory of a workbook before it is unpacked, rows, columns and cell
lengths row by row. Rows are streamed, never collected before they are checked."""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import PurePath
from typing import BinaryIO
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException, DTDForbidden
from defusedxml.ElementTree import iterparse as safe_iterparse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

MEGABYTE = 1024 * 1024
# The limits of docs/import.md.
MAX_BYTES = 20 * MEGABYTE
MAX_ROWS = 50_000  # below the header: nothing is read past row MAX_ROWS + 1
MAX_COLUMNS = 100
MAX_CELL_CHARS = 32_767  # a spreadsheet's own limit for one cell
# One line of CSV text holds at most MAX_COLUMNS full cells (the csv module makes a list of a
# line's fields before anything can look at them).
MAX_LINE_CHARS = MAX_COLUMNS * (MAX_CELL_CHARS + 3)
# An XLSX workbook is a zip of XML parts. openpyxl parses its XML at about 1-2 MB a second
# (every element, wanted or not), so the unpacked size bounds the time a workbook can take:
# 50 MB holds 50,000 rows of about 30 columns. Real workbooks pack 10-20 to 1 (zip bombs
# thousands) and have a few dozen parts.
MAX_XLSX_UNPACKED = 50 * MEGABYTE
MAX_XLSX_RATIO = 50
MAX_XLSX_PARTS = 1_000

CSV_EXTENSIONS = {".csv", ".txt", ".tsv"}
XLSX_EXTENSIONS = {".xlsx", ".xlsm"}
ZIP_SIGNATURE = b"PK\x03\x04"
ZIP_DIRECTORY_ENTRY = b"PK\x01\x02"
# Legacy .xls workbooks and password-protected .xlsx ones are OLE compound files.
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Tried in this order: UTF-8 first (it fails loudly on anything else), then Windows' Western
# code page, then ISO-8859-1 (which decodes any byte, so text checks below guard it).
ENCODINGS = ("utf-8", "cp1252", "latin-1")
DELIMITERS = (",", ";", "\t", "|")
SAMPLE_LINES = 50
SAMPLE_CHARS = 64 * 1024
# C0 control characters never found in a real text table; their presence means the bytes are
# not in any encoding we read (a binary file, UTF-16 without a BOM, ...).
_CONTROL = {chr(code) for code in range(32)} - {"\t", "\n", "\r", "\f"}
# One line with its ending, as io.StringIO(newline="") splits them (\r\n, \r or \n).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
# What openpyxl, zipfile and the XML parser raise on a malformed workbook: a truncated or
# corrupt zip (BadZipFile, zlib.error, EOFError), a missing part (KeyError), an encrypted part
# (RuntimeError), XML that does not parse (ParseError is a SyntaxError; defusedxml's refusals
# are ValueErrors, as are bad numbers, dates and coordinates), a shared string or style index
# out of range (IndexError), and the TypeError/AttributeError of a part with unexpected content.
XLSX_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    LookupError,
    RuntimeError,
    SyntaxError,
    ValueError,
    TypeError,
    AttributeError,
    ArithmeticError,
)
CSV_FIELD_LIMIT = "field larger than field limit"


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


def check_size(size: int) -> None:
    """Refuse a file over MAX_BYTES: call it with the size before reading the file."""
    if size > MAX_BYTES:
        raise ImportFileError(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": _megabytes(size), "limit": _megabytes(MAX_BYTES)}
        )


def read_upload(stream: BinaryIO) -> bytes:
    """The bytes of an uploaded or local file, never reading more than MAX_BYTES + 1 of them
    (a pipe or a file still growing has no size to check first). In chunks: read(MAX_BYTES)
    on a file sets aside MAX_BYTES first, whatever the file's size."""
    chunks, size = [], 0
    while size <= MAX_BYTES and (chunk := stream.read(min(MEGABYTE, MAX_BYTES + 1 - size))):
        chunks.append(chunk)
        size += len(chunk)
    check_size(size)
    return b"".join(chunks)


def read_table(content: bytes, filename: str, *, sample_rows: int | None = None) -> Table:
    """The table in `content`. With `sample_rows`, reading stops after that many data rows
    (what the mapping page shows); the file was checked whole when it was uploaded."""
    check_size(len(content))
    if not content or content.isspace():
        raise ImportFileError(_("The file is empty."))
    extension = PurePath(filename or "").suffix.lower()
    is_zip = content.startswith(ZIP_SIGNATURE)
    if extension in XLSX_EXTENSIONS or (is_zip and extension not in CSV_EXTENSIONS):
        table = _read_xlsx(content, sample_rows)
    elif extension in CSV_EXTENSIONS:
        if is_zip:
            raise ImportFileError(_("This file is a compressed archive, not a CSV file."))
        table = _read_csv(content, sample_rows)
    else:
        raise ImportFileError(
            _("Upload a CSV or XLSX file (this one is “%(name)s”).") % {"name": filename}
        )
    if not any(table.headers):
        raise ImportFileError(_("The file has no header row."))
    if not table.rows:
        raise ImportFileError(_("The file has a header row but no data rows."))
    return table


# --- CSV --------------------------------------------------------------------------------------


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


def _lines(text: str) -> Iterator[str]:
    """The lines of `text` with their endings, one at a time (io.StringIO would first copy the
    whole text at four bytes a character); none longer than MAX_LINE_CHARS, since the csv
    module turns a line into a list of all its fields before anything can look at it."""
    for number, match in enumerate(_LINE.finditer(text), start=1):
        line = match.group()
        if len(line) > MAX_LINE_CHARS:
            raise ImportFileError(
                _("Line %(line)s is longer than %(limit)s characters "
                  "(%(columns)s columns of %(chars)s characters).")
                % {"line": _number(number), "limit": _number(MAX_LINE_CHARS),
                   "columns": _number(MAX_COLUMNS), "chars": _number(MAX_CELL_CHARS)}
            )  # fmt: skip
        yield line


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same number (> 1) of columns most
    often; ties go to the order of DELIMITERS."""
    sample = "".join(islice(_lines(text), SAMPLE_LINES))[:SAMPLE_CHARS]
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            rows = [row for row in csv.reader(_lines(sample), delimiter=delimiter) if row]
        except csv.Error:
            continue  # the full read reports what is wrong
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        score = (sum(1 for row in rows if len(row) == width), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(content: bytes, sample_rows: int | None) -> Table:
    text, encoding = decode(content)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(_lines(text), delimiter=delimiter)
    first_line = 1  # of the row being read (a quoted cell can span lines)

    def records() -> Iterator[list[str]]:
        nonlocal first_line
        for record in reader:
            yield record
            first_line = reader.line_num + 1

    try:
        return _table(records(), sample_rows, kind="csv", encoding=encoding, delimiter=delimiter)
    except csv.Error as error:
        if CSV_FIELD_LIMIT in str(error):
            # The csv module's own limit (128 KB) is above ours: the cell is too long either way.
            raise ImportFileError(
                _("The row that starts on line %(line)s has a cell longer than %(limit)s "
                  "characters (an unclosed quote can do this: everything up to the next quote "
                  "is one cell).")
                % {"line": _number(first_line), "limit": _number(MAX_CELL_CHARS)}
            ) from error  # fmt: skip
        raise ImportFileError(
            _("The CSV file is malformed: %(error)s") % {"error": error}
        ) from error


# --- XLSX -------------------------------------------------------------------------------------


def _read_xlsx(content: bytes, sample_rows: int | None) -> Table:
    from openpyxl import load_workbook

    if content.startswith(OLE_SIGNATURE):
        raise ImportFileError(
            _("This is an old Excel workbook (.xls) or a password-protected one: save it as "
              "XLSX without a password and upload it again.")
        )  # fmt: skip
    _check_workbook(content)
    try:
        workbook = load_workbook(
            io.BytesIO(content), read_only=True, data_only=True, keep_links=False
        )
        try:
            sheet = workbook.worksheets[0]
            # Ignore the size the sheet declares (`<dimension ref="A1:XFD1048576"/>`): openpyxl
            # would pad every row to it. Read no further right than one column past the limit
            # (to tell that a header goes past it); cells right of the header are ignored.
            sheet.reset_dimensions()
            rows = sheet.iter_rows(min_row=1, min_col=1, max_col=MAX_COLUMNS + 1, values_only=True)
            return _table(rows, sample_rows, convert=_xlsx_value, kind="xlsx")
        finally:
            workbook.close()
    except XLSX_ERRORS as error:
        raise ImportFileError(_("This is not a readable XLSX workbook.")) from error


def _check_workbook(content: bytes) -> None:
    """Refuse, from the zip directory alone, a workbook that would unpack to too much, then any
    XML part with a document type declaration (DTD): no workbook needs one, and it is where
    entity expansion and external entities (XXE) come from."""
    # zipfile reads every entry of the directory into memory before anything else; each one
    # starts with this signature, so counting them bounds that work.
    if content.count(ZIP_DIRECTORY_ENTRY) > MAX_XLSX_PARTS:
        raise ImportFileError(
            _("The workbook has more than %(limit)s parts; a spreadsheet has a few dozen.")
            % {"limit": _number(MAX_XLSX_PARTS)}
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except XLSX_ERRORS as error:
        raise ImportFileError(_("This is not a readable XLSX workbook.")) from error
    with archive:
        parts = [info for info in archive.infolist() if not info.is_dir()]
        # zipfile never unpacks more than an entry declares (it stops there and checks the
        # CRC), so the declared sizes bound what reading the workbook can unpack.
        unpacked = sum(info.file_size for info in parts)
        packed = sum(info.compress_size for info in parts)
        if unpacked > MAX_XLSX_UNPACKED:
            raise ImportFileError(
                _("The workbook unpacks to %(size)s MB; the limit is %(limit)s MB. Save it as "
                  "CSV, or split it.")
                % {"size": _megabytes(unpacked), "limit": _megabytes(MAX_XLSX_UNPACKED)}
            )  # fmt: skip
        if unpacked > MEGABYTE and unpacked > MAX_XLSX_RATIO * max(packed, 1):
            raise ImportFileError(
                _("The workbook is compressed more than %(limit)s to 1 (it unpacks to %(size)s "
                  "MB); real workbooks are not, so it is refused as a possible zip bomb.")
                % {"limit": _number(MAX_XLSX_RATIO), "size": _megabytes(unpacked)}
            )  # fmt: skip
        for info in parts:
            _refuse_doctype(archive, info)


def _refuse_doctype(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Parse `info` up to its root element only: a DTD can only come before it. Parts that are
    not XML (images, VBA) fail at once and are left to openpyxl, which does not read them."""
    try:
        with archive.open(info) as part:
            for _event in safe_iterparse(part, events=("start",), forbid_dtd=True):
                return
    except DTDForbidden as error:
        raise ImportFileError(
            _("The workbook's part “%(part)s” has a document type declaration (DTD), which "
              "spreadsheets never write; it is refused for safety. Save the file again from "
              "your spreadsheet program.")
            % {"part": info.filename}
        ) from error  # fmt: skip
    except (ParseError, DefusedXmlException):
        return
    except XLSX_ERRORS as error:
        raise ImportFileError(_("This is not a readable XLSX workbook.")) from error


def _xlsx_value(value: object) -> object:
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()
    if isinstance(value, str):
        return value.strip()
    return value


# --- both -------------------------------------------------------------------------------------


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _blank_line(line: Sequence[object]) -> bool:
    return all(map(_blank, line))


def _table(
    lines: Iterable[Sequence[object]],
    sample_rows: int | None = None,
    *,
    convert: Callable[[object], object] | None = None,
    **info,
) -> Table:
    """The first non-blank line is the header; blank lines are skipped but keep their numbers.
    `lines` is consumed one line at a time and only what the table keeps is kept: cells up to
    the header's width, non-blank rows, up to row MAX_ROWS + 1."""
    headers: list[str] | None = None
    width = 0
    rows: list[tuple[int, list[object]]] = []
    repeated = None  # openpyxl yields one and the same tuple for each row a sheet leaves out
    for number, line in enumerate(lines, start=1):
        if number > MAX_ROWS + 1:
            raise _too_many_rows(number)
        if line is repeated:
            continue
        if headers is None:
            if _blank_line(line):
                repeated = line
                continue
            headers = _headers([convert(c) for c in line] if convert else list(line), number)
            width = len(headers)
            continue
        cells = list(line[:width])
        if convert:
            cells = [convert(cell) for cell in cells]
        if _blank_line(cells):
            repeated = line
            continue
        cells += [None] * (width - len(cells))
        for column, cell in enumerate(cells):
            if isinstance(cell, str):
                cells[column] = cell = cell.strip()
                if len(cell) > MAX_CELL_CHARS:
                    raise _cell_too_long(number, column, headers[column], len(cell))
        rows.append((number, cells))
        if sample_rows is not None and len(rows) >= sample_rows:
            break
    if headers is None:
        raise ImportFileError(_("The file is empty."))
    return Table(headers=headers, rows=rows, **info)


def _headers(line: list[object], number: int) -> list[str]:
    headers = [str(cell).strip() if cell is not None else "" for cell in line]
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) > MAX_COLUMNS:
        raise ImportFileError(
            _("The header row has more than %(limit)s columns (column %(column)s has a name); "
              "remove the columns you do not import.")
            % {"limit": _number(MAX_COLUMNS), "column": _number(len(headers))}
        )  # fmt: skip
    for column, header in enumerate(headers):
        if len(header) > MAX_CELL_CHARS:
            raise _cell_too_long(number, column, "", len(header))
    return headers


def _too_many_rows(number: int) -> ImportFileError:
    return ImportFileError(
        _("Row %(row)s is past the limit of %(limit)s rows (the header and %(rows)s rows below "
          "it; empty rows that are still formatted count too). Split the file, or delete the "
          "rows below the data.")
        % {"row": _number(number), "limit": _number(MAX_ROWS + 1), "rows": _number(MAX_ROWS)}
    )  # fmt: skip


def _cell_too_long(number: int, column: int, header: str, length: int) -> ImportFileError:
    return ImportFileError(
        _("Row %(row)s, column %(column)s%(header)s: the cell has %(length)s characters; the "
          "limit is %(limit)s.")
        % {"row": _number(number), "column": _number(column + 1),
           "header": f" (“{header[:60]}”)" if header else "",
           "length": _number(length), "limit": _number(MAX_CELL_CHARS)}
    )  # fmt: skip


def _number(value: int) -> str:
    return number_format(value, force_grouping=True)


def _megabytes(size: int) -> str:
    """Rounded up to a tenth, so a file one byte over the limit does not read as the limit."""
    tenths = math.ceil(size * 10 / MEGABYTE)
    return number_format(tenths // 10 if tenths % 10 == 0 else tenths / 10)
