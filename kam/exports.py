"""Tables out as CSV or XLSX: the one way every list, dashboard table and reject file is exported.

A view builds the rows through the same selector that renders the page (so filters and access
are the page's) and hands them here with the column headings.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import get_language

from kam.downloads import name_download

FORMATS = ("csv", "xlsx")
# A spreadsheet treats a cell that starts with one of these as a formula (CSV injection); it may
# also drop a leading tab or carriage return first.
FORMULA_CHARS = ("=", "+", "-", "@")
FORMULA_PREFIXES = (*FORMULA_CHARS, "\t", "\r")
# Where a spreadsheet may start a new cell inside one CSV field, besides the writer's own
# delimiter: `,` `;` and tab (spreadsheets pick the separator from the locale or a guess: Excel
# in pt-BR splits on `;`), and line breaks (for a reader that splits rows naively).
CELL_BREAKS = (",", ";", "\t", "\r", "\n")
# What a spreadsheet may skip before reading the first character of a cell: blanks, quotes, and
# the apostrophe this module adds (so that adding it can be undone; see `cell_safe`).
_SKIPPED = re.compile(r"[\s\"']*")


def _starts_formula(segment: str) -> bool:
    return segment[_SKIPPED.match(segment).end() :].startswith(FORMULA_CHARS)


@cache
def _breaks(delimiter: str) -> re.Pattern:
    if len(delimiter) != 1 or delimiter in "\"'" or delimiter.isalnum():
        raise ValueError(f"not a CSV delimiter: {delimiter!r}")
    return re.compile("([" + re.escape("".join(sorted({delimiter, *CELL_BREAKS}))) + "])")


def cell_safe(value: object, *, delimiter: str | None = None) -> object:
    """Neutralise text that a spreadsheet would run as a formula; numbers and dates pass as is.

    XLSX (`delimiter=None`): a cell is one cell, so only its start counts: text starting with
    `= + - @`, tab or carriage return gets a leading `'`.

    CSV (`delimiter` = the writer's): a spreadsheet may split the field again on another
    separator (`x;=2+3` read by a pt-BR Excel is `x` and the formula `=2+3`). So every piece
    between the `CELL_BREAKS` and the delimiter whose first character, after blanks and quotes,
    is `= + - @` gets a `'` in front: `x;=2+3` → `x;'=2+3`, `a, -b` → `a,' -b`. A piece that
    already starts (after blanks and quotes) with `'` before such a character gets one more, so
    the change can be undone: drop one leading `'` from every piece that, without it, would get
    one (tests/kam/test_exports.py `restore`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float, Decimal, date)):
        return value
    text = str(value)
    if delimiter is None:
        return "'" + text if text.startswith(FORMULA_PREFIXES) else text
    parts = _breaks(delimiter).split(text)
    # split() with a group alternates pieces (even indexes) and the breaks between them.
    return "".join(
        "'" + part if index % 2 == 0 and _starts_formula(part) else part
        for index, part in enumerate(parts)
    )


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    return value


def csv_style() -> tuple[str, str]:
    """(delimiter, decimal separator) of CSV files in the active language: what Excel set to
    it opens as columns and numbers. Excel in pt-BR splits on `;` and reads `1234,56`; in
    English on `,` and reads `1234.56`."""
    return (";", ",") if get_language() == "pt-br" else (",", ".")


def csv_text(value: object, *, decimal: str) -> object:
    """Dates, times and numbers as a spreadsheet in the active language reads them: pt-BR
    `31/12/2024`, `31/12/2024 14:05`, `1234,56`; English `2024-12-31`, `2024-12-31 14:05`,
    `1234.56`. To the minute, in the user's time zone (`_plain` made it local); no thousands
    separator (a spreadsheet would read it, another program might not). Text as it is."""
    brazilian = decimal == ","
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y %H:%M}" if brazilian else f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}" if brazilian else value.isoformat()
    if isinstance(value, (float, Decimal)) and not isinstance(value, bool):
        return format(Decimal(str(value)), "f").replace(".", decimal)
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    filename: str | Sequence[str],
    delimiter: str | None = None,
) -> StreamingHttpResponse:
    """Streamed UTF-8 CSV (with a BOM so Excel reads accents right), fields separated by
    `delimiter` (default: the active language's, `csv_style`) and neutralised for it
    (`cell_safe`); dates and numbers written the language's way (`csv_text`)."""
    default_delimiter, decimal = csv_style()
    delimiter = delimiter or default_delimiter
    writer = csv.writer(_Echo(), delimiter=delimiter)

    def lines():
        yield "\ufeff" + writer.writerow([cell_safe(h, delimiter=delimiter) for h in headers])
        for row in rows:
            yield writer.writerow(
                [
                    csv_text(cell_safe(_plain(value), delimiter=delimiter), decimal=decimal)
                    for value in row
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    return name_download(response, filename, "csv")


def xlsx_response(
    headers: Sequence[str], rows: Iterable[Sequence[object]], *, filename: str | Sequence[str]
) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([cell_safe(h) for h in headers])
    for row in rows:
        sheet.append([cell_safe(_plain(value)) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    return name_download(response, filename, "xlsx")


def table_response(
    fmt: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    filename: str | Sequence[str],
    delimiter: str | None = None,
):
    """`fmt` is "csv" or "xlsx" (anything else is the caller's 404/400 to raise); `filename` is
    the name without its extension, or the parts of it (kam.downloads makes it safe);
    `delimiter` is the CSV's (default: the active language's)."""
    if fmt == "xlsx":
        return xlsx_response(headers, rows, filename=filename)
    return csv_response(headers, rows, filename=filename, delimiter=delimiter)
