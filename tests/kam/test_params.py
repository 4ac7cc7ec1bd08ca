"""The readers of hand-read parameters (kam.params): whatever text arrives, they answer a value
within the bounds PostgreSQL and kam.dates allow, or refuse it (None / InvalidParameter, a 400);
they never raise anything else."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from django.core.exceptions import BadRequest
from django.http import QueryDict
from django.test import RequestFactory
from django.utils.dateformat import format as date_format
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.dates import EARLIEST_MOMENT, LATEST_MOMENT
from kam.params import (
    BIGINT_MAX,
    InvalidParameter,
    cursor_param,
    int_param,
    moment_param,
    next_param,
    parse_int,
    parse_moment,
)

PROPERTIES = settings(max_examples=150, derandomize=True, database=None, deadline=None)

# Text as it arrives in a query string: any character, digits of other scripts, and the
# shapes of numbers, dates and moments.
NON_ASCII_DIGITS = st.sampled_from("²³¹٣۳߃३০੩૩୩௩౩೩൩๓໓༣၃႓០᠓᥉᧓᪃᪓᭓᮳᱃᱓꘣꣓꤃꧓꧳꩓꯳０１９")
hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from("0123456789+-.:TZ eE"), max_size=40),
    st.builds(lambda a, d, b: f"{a}{d}{b}", st.text("0123456789-", max_size=8),
              NON_ASCII_DIGITS, st.text("0123456789-", max_size=8)),
    st.integers().map(str),
    st.dates().map(date.isoformat),
    st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
)  # fmt: skip
offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@PROPERTIES
@given(text=hostile_text)
def test_parse_int_answers_a_bounded_int_or_none(text):
    value = parse_int(text)
    assert value is None or 1 <= value <= BIGINT_MAX


@PROPERTIES
@given(number=st.integers(1, BIGINT_MAX))
def test_parse_int_reads_every_whole_number_in_range(number):
    assert parse_int(str(number)) == number
    assert parse_int(f" {number} ") == number


@PROPERTIES
@given(number=st.one_of(st.integers(max_value=0), st.integers(min_value=BIGINT_MAX + 1)))
def test_parse_int_refuses_numbers_out_of_range(number):
    assert parse_int(str(number)) is None


@PROPERTIES
@given(head=st.text("0123456789", max_size=5), digit=NON_ASCII_DIGITS)
def test_parse_int_refuses_digits_of_other_scripts(head, digit):
    """str.isdigit() takes "²", which int() refuses; int("٣") is 3: neither is a number here."""
    assert parse_int(head + digit) is None


@PROPERTIES
@given(text=hostile_text)
def test_parse_moment_answers_a_utc_moment_in_range_or_none(text):
    moment = parse_moment(text)
    assert moment is None or (moment.tzinfo == UTC and EARLIEST_MOMENT <= moment < LATEST_MOMENT)


@PROPERTIES
@given(moment=st.datetimes(timezones=st.just(UTC)), offset=offsets)
def test_parse_moment_reads_any_offset_as_the_same_moment_in_utc(moment, offset):
    """+16:00 is past what PostgreSQL takes (±15:59); the moment it names is not."""
    try:
        text = moment.astimezone(offset).isoformat()
    except OverflowError:  # the calendar ends before the offset does
        return
    expected = moment if EARLIEST_MOMENT <= moment < LATEST_MOMENT else None
    assert parse_moment(text) == expected


@PROPERTIES
@given(moment=st.datetimes(EARLIEST_MOMENT.replace(tzinfo=None),
                           LATEST_MOMENT.replace(tzinfo=None) - timedelta(days=1),
                           timezones=st.just(UTC)))  # fmt: skip
def test_the_timeline_cursor_as_the_template_writes_it_reads_back(moment):
    written = date_format(moment, "c")  # {{ cursor.0|date:'c' }}
    query = QueryDict(mutable=True)
    query.update({"before_at": written, "before_id": "42"})
    assert cursor_param(query) == (moment, 42)


@pytest.mark.parametrize(
    "query",
    [
        "before_at=2026-01-01T00:00:00%2B24:00&before_id=1",  # no such offset
        "before_at=9999-12-31T23:59:59-05:00&before_id=1",  # past the calendar in UTC
        "before_at=0001-01-01T00:00:00%2B01:00&before_id=1",  # before it
        "before_at=2026-02-30T00:00:00&before_id=1",
        "before_at=2026-01-01T00:00:00Z&before_id=%C2%B2",
        "before_at=2026-01-01T00:00:00Z&before_id=99999999999999999999",
        "before_at=2026-01-01T00:00:00Z",
        "before_id=1",
    ],
)
def test_a_malformed_cursor_is_a_bad_request(query):
    with pytest.raises(InvalidParameter) as refused:
        cursor_param(QueryDict(query))
    assert isinstance(refused.value, BadRequest)
    assert refused.value.message


def test_an_offset_postgresql_refuses_is_read_as_the_moment_it_names():
    """PostgreSQL takes offsets up to ±15:59; the cursor is compared in UTC, like the API's
    date filters (api.filters.UtcIsoDateTimeField)."""
    query = QueryDict("before_at=2026-01-01T00:00:00%2B16:00&before_id=1")
    assert cursor_param(query) == (datetime(2025, 12, 31, 8, 0, tzinfo=UTC), 1)


def test_no_cursor_is_the_first_page():
    assert cursor_param(QueryDict("kind=notes")) is None


@pytest.mark.parametrize("raw", ["²", "٣", "1e9", "-5", "0", "99999999999999999999", "1.5", "x"])
def test_int_param_refuses_what_is_not_a_whole_number_in_range(raw):
    with pytest.raises(InvalidParameter) as refused:
        int_param({"plan": raw}, "plan")
    assert "“plan”" in refused.value.message


def test_int_param_reads_a_number_and_defaults_when_empty():
    assert int_param(QueryDict("plan=12"), "plan") == 12
    assert int_param(QueryDict("plan="), "plan", default=3) == 3
    assert int_param(QueryDict(""), "plan") is None


def test_moment_param_reads_a_valid_value():
    assert moment_param(QueryDict("at=2026-03-10T12:00:00-03:00"), "at") == datetime(
        2026, 3, 10, 15, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("posted", "expected"),
    [
        ("/accounts/?page=2", "/accounts/?page=2"),
        ("tier_review", "/fallback/"),  # a view name would be reversed by redirect()
        ("²", "/fallback/"),
        ("https://evil.example/", "/fallback/"),
        ("//evil.example/", "/fallback/"),
        ("", "/fallback/"),
    ],
)
def test_next_param_is_a_local_path_or_the_default(posted, expected):
    request = RequestFactory().post("/", {"next": posted})
    assert next_param(request, default="/fallback/") == expected
