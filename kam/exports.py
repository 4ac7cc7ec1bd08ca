"""Tables out as CSV or XLSX: the one way every list, dashboard table and reject file is exported.

A view builds the rows through the same selector that renders the page (so filters and access
are the page's) and hands them here with the column headings.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

FORMATS = ("csv", "xlsx")
# A spreadsheet treats a cell that starts with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def cell_safe(value: object) -> object:
    """Neutralise text that a spreadsheet would run as a formula; numbers and dates pass as is."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float, Decimal, date)):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    headers: Sequence[str], rows: Iterable[Sequence[object]], *, filename: str
) -> StreamingHttpResponse:
    """Streamed UTF-8 CSV (with a BOM so Excel reads accents right)."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow([cell_safe(h) for h in headers])
        for row in rows:
            yield writer.writerow([cell_safe(_plain(value)) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(
    headers: Sequence[str], rows: Iterable[Sequence[object]], *, filename: str
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
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def table_response(
    fmt: str, headers: Sequence[str], rows: Iterable[Sequence[object]], *, filename: str
):
    """`fmt` is "csv" or "xlsx" (anything else is the caller's 404/400 to raise)."""
    if fmt == "xlsx":
        return xlsx_response(headers, rows, filename=filename)
    return csv_response(headers, rows, filename=filename)
