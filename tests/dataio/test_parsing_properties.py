"""Properties of the file readers (dataio/parsing.py) and the cell converters (dataio/values.py):
any table written in a supported way reads back to the same cells; any other input is a table,
an ImportFileError or a RowReject, never another exception. Derandomised with a bounded number
of examples, so the module takes seconds and fails the same way on every run."""

import contextlib
import csv
import io
import zipfile
from datetime import date, datetime, time
from decimal import Decimal

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from dataio.parsing import DELIMITERS, ImportFileError, read_table
from dataio.values import RowReject, to_date, to_datetime, to_decimal, to_int
from tests.dataio import crafted

PROPERTIES = settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# An example that writes and reads a workbook costs ~20 ms: shrinking a failure could take
# minutes of CI, so those tests report the failing example as found.
WORKBOOK_PROPERTIES = settings(
    PROPERTIES, phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target]
)

# --- CSV: any table, any supported delimiter and encoding ------------------------------------

ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1252")
# Windows-1252 text that is never also valid UTF-8 (which is tried first): ASCII and letters
# whose byte (0xC0-0xFF) starts a UTF-8 sequence that the next byte cannot continue.
CP1252_LETTERS = "áàâãéêíóôõúüçÁÀÂÃÉÊÍÓÔÕÚÜÇ"
PRINTABLE_ASCII = "".join(chr(code) for code in range(32, 127))


@st.composite
def csv_tables(draw):
    """(delimiter, encoding, headers, rows): cells may hold the delimiter, quotes and line
    breaks (the writer quotes them) but not the other delimiters, which would make the table
    ambiguous to anyone sniffing it."""
    delimiter = draw(st.sampled_from(DELIMITERS))
    encoding = draw(st.sampled_from(ENCODINGS))
    others = "".join(d for d in DELIMITERS if d != delimiter)
    specials = st.sampled_from(["\n", '"', delimiter])
    if encoding == "cp1252":
        letters = st.sampled_from([c for c in PRINTABLE_ASCII + CP1252_LETTERS if c not in others])
    else:
        letters = st.characters(
            categories=("L", "M", "N", "P", "S", "Zs"), exclude_characters=others
        )
    cell = st.text(st.one_of(letters, specials), max_size=10).map(str.strip)
    width = draw(st.integers(min_value=2, max_value=5))
    headers = draw(st.lists(cell.filter(bool), min_size=width, max_size=width))
    rows = draw(
        st.lists(st.lists(cell, min_size=width, max_size=width).filter(any), min_size=1, max_size=6)
    )
    return delimiter, encoding, headers, rows


@PROPERTIES
@given(csv_tables())
def test_any_csv_table_reads_back_to_the_same_cells(table):
    delimiter, encoding, headers, rows = table
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows([headers, *rows])
    read = read_table(buffer.getvalue().encode(encoding), "table.csv")
    assert read.delimiter == delimiter
    assert read.headers == headers
    assert [cells for _number, cells in read.rows] == rows
    assert [number for number, _cells in read.rows] == list(range(2, len(rows) + 2))


# Bytes that look like CSV, so that most examples get past the encoding check.
CSV_PIECES = [b'"', b",", b";", b"\t", b"|", b"\n", b"\r", b"a", b"7", b" ", b"\xc3\xa9", b"\xe9",
              b"\x81", b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b'""', b"PK\x03\x04"]  # fmt: skip
csvish_bytes = st.lists(st.sampled_from(CSV_PIECES), max_size=300).map(b"".join)


@PROPERTIES
@given(
    content=st.one_of(st.binary(max_size=2_000), csvish_bytes),
    filename=st.sampled_from(["f.csv", "f.txt", "f.tsv", "f.xlsx", "f"]),
)
def test_arbitrary_bytes_are_a_table_or_an_import_file_error(content, filename):
    with contextlib.suppress(ImportFileError):
        read_table(content, filename)


# --- XLSX: random small tables through openpyxl, and broken workbooks ------------------------

# Text as a spreadsheet holds it: no control characters, no leading "=" (a formula), trimmed.
xlsx_text = (
    st.text(st.characters(categories=("L", "M", "N", "P", "S", "Zs")), min_size=1, max_size=12)
    .map(str.strip)
    .filter(lambda value: value and not value.startswith("="))
)
xlsx_values = st.one_of(
    st.none(),
    xlsx_text,
    st.integers(min_value=-(10**12), max_value=10**12),
    # openpyxl writes numbers with 16 significant digits ("%.16g"), Excel keeps 15.
    st.floats(min_value=-1e300, max_value=1e300).map(lambda number: float(f"{number:.15g}")),
    st.booleans(),
    st.dates(min_value=date(1900, 3, 1), max_value=date(2200, 12, 31)),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2200, 12, 31)).map(
        lambda moment: moment.replace(microsecond=0)
    ),
)


@st.composite
def xlsx_tables(draw):
    width = draw(st.integers(min_value=1, max_value=5))
    headers = draw(st.lists(xlsx_text, min_size=width, max_size=width))
    rows = draw(
        st.lists(
            st.lists(xlsx_values, min_size=width, max_size=width).filter(
                lambda row: any(value is not None for value in row)
            ),
            min_size=1,
            max_size=8,
        )
    )
    return headers, rows


def _as_read(value):
    """What a value written to a cell reads back as: a datetime at midnight is a date."""
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date()
    return value


@WORKBOOK_PROPERTIES
@given(xlsx_tables())
def test_any_small_table_round_trips_through_an_xlsx_workbook(table):
    headers, rows = table
    book = Workbook()
    for row in [headers, *rows]:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    read = read_table(buffer.getvalue(), "table.xlsx")
    assert read.headers == headers
    assert [cells for _number, cells in read.rows] == [[_as_read(v) for v in r] for r in rows]
    assert [number for number, _cells in read.rows] == list(range(2, len(rows) + 2))


BASE = crafted.workbook([["name", "when", "amount"], ["Acme", date(2024, 1, 2), 1.5]])
PARTS = {info.filename: zipfile.ZipFile(io.BytesIO(BASE)).read(info) for info in
         zipfile.ZipFile(io.BytesIO(BASE)).infolist()}  # fmt: skip
# Fragments that make openpyxl fail in its different ways (see test_parsing's malformed cases).
SNIPPETS = ['<c r="A2" t="s"><v>99</v></c>', '<c r="ZZZZ2"><v>1</v></c>', '<row r="x">',
            '<c r="A2" t="d"><v>x</v></c>', '<c r="A2" s="999"><v>1</v></c>', "<!DOCTYPE x>",
            '<c r="A2"><v>1e999</v></c>', '<dimension ref="A1:"/>', "&#0;", "<x>", "</x>", '"',
            '<row r="1048577"/>', '<c r="XFD2" t="b"><v>2</v></c>', "\x00"]  # fmt: skip


@st.composite
def broken_workbooks(draw):
    name = draw(st.sampled_from(sorted(PARTS)))
    data = bytearray(PARTS[name])
    for _edit in range(draw(st.integers(min_value=1, max_value=3))):
        position = draw(st.integers(min_value=0, max_value=len(data)))
        edit = draw(
            st.one_of(
                st.sampled_from(SNIPPETS).map(str.encode),
                st.binary(min_size=1, max_size=6),
                st.integers(min_value=1, max_value=40).map(lambda size: -size),
            )
        )
        if isinstance(edit, int):
            del data[position : position - edit]
        else:
            data[position:position] = edit
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for part, content in PARTS.items():
            target.writestr(part, bytes(data) if part == name else content)
    content = bytearray(out.getvalue())
    if draw(st.booleans()):  # and now and then a flipped bit in the zip itself
        content[draw(st.integers(min_value=0, max_value=len(content) - 1))] ^= 1
    return bytes(content)


@WORKBOOK_PROPERTIES
@given(broken_workbooks())
def test_a_broken_workbook_is_a_table_or_an_import_file_error(content):
    with contextlib.suppress(ImportFileError):
        read_table(content, "broken.xlsx")


# --- Brazilian (and other) numbers and dates --------------------------------------------------

cents = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2, allow_nan=False
)


def _grouped(number: Decimal, thousands: str, decimal: str) -> str:
    sign = "-" if number < 0 else ""
    units, _dot, fraction = f"{abs(number):.2f}".partition(".")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return f"{sign}{thousands.join(groups)}{decimal}{fraction}"


@PROPERTIES
@given(number=cents, currency=st.sampled_from(["", "R$ ", "R$", "$ "]))
def test_brazilian_and_english_numbers_read_back_to_the_same_decimal(number, currency):
    assert to_decimal(currency + _grouped(number, ".", ","), "amount") == number  # 1.234,56
    assert to_decimal(currency + _grouped(number, ",", "."), "amount") == number  # 1,234.56
    assert to_decimal(f"{number}", "amount") == number  # 1234.56
    assert to_decimal(number, "amount") == number


@PROPERTIES
@given(day=st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_dates_in_every_accepted_format_read_back_to_the_same_day(day):
    for written in (f"{day:%d/%m/%Y}", f"{day:%Y-%m-%d}", f"{day:%d.%m.%Y}", f"{day:%d-%m-%Y}"):
        assert to_date(written, "date") == day
    assert to_datetime(f"{day:%d/%m/%Y} 09:30", "when").date() == day


@PROPERTIES
@given(day=st.dates())
def test_a_date_outside_the_range_is_a_reject_never_an_error(day):
    try:
        assert to_date(f"{day:%d/%m/%Y}", "date") == day
    except RowReject:
        assert not date(1990, 1, 1) <= day <= date(2100, 12, 31)


cell_text = st.one_of(
    st.text(max_size=40),
    st.text(st.sampled_from("0123456789,.-R$ e/:T"), max_size=25),
)


@PROPERTIES
@given(cell_text)
def test_any_text_is_a_value_none_or_a_row_reject(raw):
    for convert, kinds in (
        (to_decimal, Decimal),
        (to_int, int),
        (to_date, date),
        (to_datetime, datetime),
    ):
        try:
            value = convert(raw, "field")
        except RowReject:
            continue
        assert value is None or isinstance(value, kinds)
