"""Business-hour arithmetic (accounts/business_hours.py): pure, no database.

Expected values are worked out by hand in each row's comment. Unless a row says otherwise the
calendar is São Paulo: America/Sao_Paulo, Monday to Friday 09:00–18:00, SP state holidays; since
2019 São Paulo is at -03:00 all year."""

import time as clock
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.business_hours import (
    BusinessCalendar,
    add_business_hours,
    add_business_hours_each,
    business_hours_between,
    holiday_language,
    next_opening,
    package_holidays_between,
)

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
MANAUS = ZoneInfo("America/Manaus")
SP = BusinessCalendar(time_zone="America/Sao_Paulo", subdivision="SP")
RJ = BusinessCalendar(time_zone="America/Sao_Paulo", subdivision="RJ")
NATIONAL = BusinessCalendar(time_zone="America/Sao_Paulo")
SP_WITH_COMPANY_DAY = BusinessCalendar(
    time_zone="America/Sao_Paulo", subdivision="SP", extra_holidays=frozenset({date(2024, 3, 5)})
)
SP_EVERY_DAY = BusinessCalendar(
    time_zone="America/Sao_Paulo", subdivision="SP", weekdays=frozenset(range(7))
)
AM = BusinessCalendar(time_zone="America/Manaus", subdivision="AM")


def sp(*parts) -> datetime:
    return datetime(*parts, tzinfo=SAO_PAULO)


ADD_CASES = [
    # Mon 10:00 + 3 h, same day → Mon 13:00.
    pytest.param(SP, sp(2024, 3, 4, 10), 3, sp(2024, 3, 4, 13), id="within-one-day"),
    # Mon 16:00 + 4 h: 2 h Monday (16–18), 2 h Tuesday from 09:00 → Tue 11:00.
    pytest.param(SP, sp(2024, 3, 4, 16), 4, sp(2024, 3, 5, 11), id="across-the-night"),
    # Mon 10:00 + 8 h ends exactly at closing → Mon 18:00 (not Tuesday's opening).
    pytest.param(SP, sp(2024, 3, 4, 10), 8, sp(2024, 3, 4, 18), id="ends-at-closing"),
    # Fri 16:00 + 12 h: Fri 2 h, Sat/Sun off, Mon 9 h (11 h), Tue 1 h → Tue 10:00.
    pytest.param(SP, sp(2024, 3, 8, 16), 12, sp(2024, 3, 12, 10), id="across-a-weekend"),
    # Received Saturday 11:00 + 2 h: counts from Monday's opening 09:00 → Mon 11:00.
    pytest.param(SP, sp(2024, 3, 9, 11), 2, sp(2024, 3, 11, 11), id="received-on-saturday"),
    # Received Mon 07:30, before opening: 09:00 + 1 h → Mon 10:00.
    pytest.param(SP, sp(2024, 3, 4, 7, 30), 1, sp(2024, 3, 4, 10), id="received-before-opening"),
    # Received Mon 19:00, after closing: Tue 09:00 + 1 h → Tue 10:00.
    pytest.param(SP, sp(2024, 3, 4, 19), 1, sp(2024, 3, 5, 10), id="received-after-closing"),
    # Received Mon 18:00 sharp (closed): Tue 09:00 + 1 h → Tue 10:00.
    pytest.param(SP, sp(2024, 3, 4, 18), 1, sp(2024, 3, 5, 10), id="received-at-closing"),
    # Thu 28/03/2024 17:00 + 3 h: Thu 1 h; Fri 29/03 Good Friday (national); weekend;
    # Mon 01/04 2 h → Mon 11:00.
    pytest.param(SP, sp(2024, 3, 28, 17), 3, sp(2024, 4, 1, 11), id="national-holiday"),
    # Fri 09/02/2024 17:00 + 2 h: Fri 1 h; weekend; Mon 12 and Tue 13/02 Carnaval (closed);
    # Ash Wednesday 14/02 is a working day: 1 h → Wed 10:00.
    pytest.param(SP, sp(2024, 2, 9, 17), 2, sp(2024, 2, 14, 10), id="carnaval"),
    # Wed 29/05/2024 17:00 + 2 h: Wed 1 h; Thu 30/05 Corpus Christi; Fri 1 h → Fri 10:00.
    pytest.param(SP, sp(2024, 5, 29, 17), 2, sp(2024, 5, 31, 10), id="corpus-christi"),
    # Mon 08/07/2024 17:00 + 2 h: Mon 1 h; Tue 09/07 SP's Revolução Constitucionalista;
    # Wed 1 h → Wed 10:00.
    pytest.param(SP, sp(2024, 7, 8, 17), 2, sp(2024, 7, 10, 10), id="state-holiday-sp-9-july"),
    # Same request on a national-only calendar: 9 July is a working day → Tue 10:00.
    pytest.param(
        NATIONAL, sp(2024, 7, 8, 17), 2, sp(2024, 7, 9, 10), id="9-july-not-a-holiday-outside-sp"
    ),
    # Mon 22/04/2024 17:00 + 2 h in RJ: Mon 1 h; Tue 23/04 São Jorge (RJ); Wed 1 h → Wed 10:00.
    pytest.param(RJ, sp(2024, 4, 22, 17), 2, sp(2024, 4, 24, 10), id="state-holiday-rj-23-april"),
    # The same in SP: 23 April is a working day → Tue 10:00.
    pytest.param(
        SP, sp(2024, 4, 22, 17), 2, sp(2024, 4, 23, 10), id="23-april-not-a-holiday-in-sp"
    ),
    # Mon 04/03/2024 17:00 + 2 h with a company holiday on Tue 05/03: Mon 1 h, Wed 1 h → Wed 10:00.
    pytest.param(
        SP_WITH_COMPANY_DAY, sp(2024, 3, 4, 17), 2, sp(2024, 3, 6, 10), id="company-holiday"
    ),
    # Tue 31/12/2024 17:00 + 3 h: 31/12 is a working day (1 h); Wed 01/01/2025 national holiday;
    # Thu 02/01 2 h → 2025-01-02 11:00.
    pytest.param(SP, sp(2024, 12, 31, 17), 3, sp(2025, 1, 2, 11), id="across-the-year-boundary"),
    # Zero hours inside working hours: the start itself.
    pytest.param(SP, sp(2024, 3, 4, 10, 15), 0, sp(2024, 3, 4, 10, 15), id="zero-hours-inside"),
    # Zero hours from Saturday: the next opening, Monday 09:00.
    pytest.param(SP, sp(2024, 3, 9, 11), 0, sp(2024, 3, 11, 9), id="zero-hours-on-saturday"),
    # Decimal 1.5 h from Mon 10:00 → 11:30; float 0.25 h → 10:15.
    pytest.param(SP, sp(2024, 3, 4, 10), Decimal("1.5"), sp(2024, 3, 4, 11, 30), id="decimal"),
    pytest.param(SP, sp(2024, 3, 4, 10), 0.25, sp(2024, 3, 4, 10, 15), id="float"),
    # A start given in UTC: 12:00Z is 09:00 in São Paulo; + 1 h → 10:00 -03:00.
    pytest.param(
        SP, datetime(2024, 3, 4, 12, tzinfo=UTC), 1, sp(2024, 3, 4, 10), id="start-given-in-utc"
    ),
    # Daylight saving, 2018: São Paulo moved from -03:00 to -02:00 at 00:00 on Sun 04/11/2018.
    # Thu 01/11 17:00 -03 (20:00Z) + 2 h: Thu 1 h; Fri 02/11 Finados; weekend (DST starts);
    # Mon 05/11 09:00 -02 + 1 h → 10:00 -02 = 12:00Z (a fixed -03 offset would say 13:00Z).
    pytest.param(
        SP, sp(2018, 11, 1, 17), 2, datetime(2018, 11, 5, 12, tzinfo=UTC), id="dst-start-2018"
    ),
    # DST ended at 00:00 on Sun 17/02/2019 (-02 → -03). Fri 15/02 17:00 -02 (19:00Z) + 2 h:
    # Fri 1 h; Mon 18/02 09:00 -03 + 1 h → 10:00 -03 = 13:00Z.
    pytest.param(
        SP, sp(2019, 2, 15, 17), 2, datetime(2019, 2, 18, 13, tzinfo=UTC), id="dst-end-2019"
    ),
    # Manaus calendar (-04:00, AM holidays), start given in São Paulo time: Mon 09:30 -03 is
    # 08:30 in Manaus, before opening; 09:00 + 2 h → 11:00 Manaus = 15:00Z.
    pytest.param(
        AM, sp(2024, 3, 4, 9, 30), 2, datetime(2024, 3, 4, 11, tzinfo=MANAUS), id="manaus-zone"
    ),
    # Manaus: Wed 04/09/2024 17:00 + 2 h: Wed 1 h; Thu 05/09 Elevação do Amazonas (AM); Fri 1 h
    # → Fri 06/09 10:00 -04.
    pytest.param(
        AM,
        datetime(2024, 9, 4, 17, tzinfo=MANAUS),
        2,
        datetime(2024, 9, 6, 10, tzinfo=MANAUS),
        id="manaus-state-holiday",
    ),
]


@pytest.mark.parametrize(("calendar", "start", "hours", "expected"), ADD_CASES)
def test_add_business_hours(calendar, start, hours, expected):
    result = add_business_hours(calendar, start, hours)
    assert result == expected
    # The answer is in the calendar's zone, with the offset in force on that day.
    assert result.tzinfo == calendar.zone
    assert result.utcoffset() == expected.astimezone(calendar.zone).utcoffset()


def test_the_2018_dst_answer_carries_the_summer_offset():
    result = add_business_hours(SP, sp(2018, 11, 1, 17), 2)
    assert result.utcoffset() == timedelta(hours=-2)
    assert (result.hour, result.minute) == (10, 0)


BETWEEN_CASES = [
    # Mon 10:00 → Mon 12:30 = 2.5 h.
    pytest.param(SP, sp(2024, 3, 4, 10), sp(2024, 3, 4, 12, 30), 2.5, id="same-day"),
    # End before start → 0.
    pytest.param(SP, sp(2024, 3, 4, 12), sp(2024, 3, 4, 10), 0.0, id="end-before-start"),
    # Fri 17:00 → Mon 10:00: Fri 1 h + Mon 1 h = 2 h.
    pytest.param(SP, sp(2024, 3, 8, 17), sp(2024, 3, 11, 10), 2.0, id="across-a-weekend"),
    # Sat 10:00 → Sun 17:00: nothing worked.
    pytest.param(SP, sp(2024, 3, 9, 10), sp(2024, 3, 10, 17), 0.0, id="weekend-only"),
    # Mon 06:00 → Mon 20:00: the whole day, 9 h.
    pytest.param(SP, sp(2024, 3, 4, 6), sp(2024, 3, 4, 20), 9.0, id="outside-hours-both-ends"),
    # Fri 09/02/2024 09:00 → Thu 15/02 09:00: Fri 9 h; Mon/Tue Carnaval; Wed 9 h = 18 h.
    pytest.param(SP, sp(2024, 2, 9, 9), sp(2024, 2, 15, 9), 18.0, id="carnaval-week"),
    # Wed 29/05/2024 09:00 → Fri 31/05 18:00: Wed 9 h, Thu Corpus Christi, Fri 9 h = 18 h.
    pytest.param(SP, sp(2024, 5, 29, 9), sp(2024, 5, 31, 18), 18.0, id="corpus-christi"),
    # Mon 08/07/2024 09:00 → Wed 10/07 18:00: SP 18 h (9 July off); national-only 27 h.
    pytest.param(SP, sp(2024, 7, 8, 9), sp(2024, 7, 10, 18), 18.0, id="sp-9-july"),
    pytest.param(NATIONAL, sp(2024, 7, 8, 9), sp(2024, 7, 10, 18), 27.0, id="national-9-july"),
    # Tue 31/12/2024 09:00 → Thu 02/01/2025 18:00: 9 h + New Year's Day 0 + 9 h = 18 h.
    pytest.param(SP, sp(2024, 12, 31, 9), sp(2025, 1, 2, 18), 18.0, id="across-the-year-boundary"),
    # Every-day calendar over the 2018 DST start (Sun 04/11 00:00 → 01:00): Sat 03/11 17:00 -03
    # → Sun 04/11 10:00 -02: Sat 1 h + Sun 09:00–10:00 -02 1 h = 2 h (a fixed -03 offset would
    # put Sunday's opening at 12:00Z, after the end at 12:00Z, and say 1 h).
    pytest.param(
        SP_EVERY_DAY,
        sp(2018, 11, 3, 17),
        datetime(2018, 11, 4, 12, tzinfo=UTC),
        2.0,
        id="dst-start-2018-sunday-worked",
    ),
    # Manaus 08:00 -04 → 12:00 -03 (11:00 Manaus): 09:00–11:00 = 2 h.
    pytest.param(
        AM, datetime(2024, 3, 4, 8, tzinfo=MANAUS), sp(2024, 3, 4, 12), 2.0, id="manaus-zone"
    ),
]


@pytest.mark.parametrize(("calendar", "start", "end", "expected"), BETWEEN_CASES)
def test_business_hours_between(calendar, start, end, expected):
    assert business_hours_between(calendar, start, end) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        pytest.param(date(2024, 2, 12), False, id="carnaval-monday"),
        pytest.param(date(2024, 2, 13), False, id="carnaval-tuesday"),
        pytest.param(date(2024, 2, 14), True, id="ash-wednesday-works"),
        pytest.param(date(2024, 5, 30), False, id="corpus-christi"),
        pytest.param(date(2024, 10, 28), True, id="public-servants-day-works"),
        pytest.param(date(2024, 12, 24), True, id="christmas-eve-works"),
        pytest.param(date(2024, 12, 25), False, id="christmas"),
        pytest.param(date(2024, 7, 9), False, id="sp-constitutionalist-revolution"),
        pytest.param(date(2024, 3, 9), False, id="saturday"),
        pytest.param(date(2024, 3, 4), True, id="plain-monday"),
    ],
)
def test_working_days_of_sao_paulo(day, working):
    assert SP.is_working_day(day) is working


def test_a_long_target_walks_whole_days_quickly():
    start = sp(2024, 3, 4, 9)
    began = clock.perf_counter()
    deadline = add_business_hours(SP, start, 1000)
    elapsed = clock.perf_counter() - began
    assert business_hours_between(SP, start, deadline) == pytest.approx(1000)
    # 1,000 h is 111 working days and one hour: about five and a half months later.
    assert date(2024, 8, 1) < deadline.date() < date(2024, 9, 1)
    assert elapsed < 0.5


def test_next_opening_is_the_moment_itself_inside_hours_else_the_next_opening():
    assert next_opening(SP, sp(2024, 3, 4, 10)) == sp(2024, 3, 4, 10)
    assert next_opening(SP, sp(2024, 3, 8, 18, 30)) == sp(2024, 3, 11, 9)


def test_holiday_names_follow_the_readers_language():
    first, last = date(2024, 2, 1), date(2024, 2, 29)
    assert package_holidays_between(SP, first, last, language_code="pt-br") == [
        (date(2024, 2, 12), "Carnaval"),
        (date(2024, 2, 13), "Carnaval"),
    ]
    assert package_holidays_between(SP, first, last, language_code="en") == [
        (date(2024, 2, 12), "Carnival"),
        (date(2024, 2, 13), "Carnival"),
    ]
    assert holiday_language("pt-BR") == "pt_BR"
    assert holiday_language("de") == "en_US"


@pytest.mark.parametrize(
    "arguments",
    [
        pytest.param({"time_zone": "Mars/Olympus"}, id="unknown-zone"),
        pytest.param({"time_zone": "America/Sao_Paulo", "opens": time(18), "closes": time(9)},
                     id="closes-before-opens"),
        pytest.param({"time_zone": "America/Sao_Paulo", "weekdays": frozenset()}, id="no-days"),
        pytest.param({"time_zone": "America/Sao_Paulo", "weekdays": frozenset({7})}, id="day-7"),
        pytest.param({"time_zone": "America/Sao_Paulo", "subdivision": "XX"}, id="unknown-uf"),
    ],
)  # fmt: skip
def test_an_impossible_calendar_is_refused(arguments):
    with pytest.raises(ValueError):
        BusinessCalendar(**arguments)


@pytest.mark.parametrize(
    "hours",
    [-1, Decimal("NaN"), float("inf"), Decimal("1e100"), 24 * 366 * 100 + 1],
    ids=["negative", "nan", "infinite", "astronomic", "over-a-century"],
)
def test_impossible_hours_are_refused(hours):
    with pytest.raises(ValueError):
        add_business_hours(SP, sp(2024, 3, 4, 10), hours)


def test_naive_moments_are_refused():
    with pytest.raises(ValueError):
        add_business_hours(SP, datetime(2024, 3, 4, 10), 1)
    with pytest.raises(ValueError):
        business_hours_between(SP, sp(2024, 3, 4, 10), datetime(2024, 3, 4, 12))


@st.composite
def moments_inside_working_hours(draw, calendar: BusinessCalendar):
    day = draw(st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31)))
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    opening = datetime.combine(day, calendar.opens, calendar.zone)
    closing = datetime.combine(day, calendar.closes, calendar.zone)
    span = int((closing.astimezone(UTC) - opening.astimezone(UTC)).total_seconds())
    offset = draw(st.integers(min_value=0, max_value=span - 1))
    return (opening.astimezone(UTC) + timedelta(seconds=offset)).astimezone(calendar.zone)


@settings(max_examples=300, deadline=None)
@given(
    calendar=st.sampled_from([SP, RJ, AM, SP_EVERY_DAY]),
    data=st.data(),
    hours=st.one_of(
        st.integers(min_value=0, max_value=1000),
        st.decimals(min_value=0, max_value=1000, places=2),
        st.floats(min_value=0, max_value=1000, allow_nan=False, allow_infinity=False),
    ),
)
def test_hours_added_are_the_hours_between(calendar, data, hours):
    start = data.draw(moments_inside_working_hours(calendar))
    deadline = add_business_hours(calendar, start, hours)
    assert deadline >= start
    assert business_hours_between(calendar, start, deadline) == pytest.approx(
        float(hours), abs=1e-6
    )


@settings(max_examples=300, deadline=None)
@given(
    calendar=st.sampled_from([SP, RJ, AM, SP_EVERY_DAY]),
    start=st.datetimes(
        min_value=datetime(2015, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    hours=st.lists(
        st.one_of(
            st.integers(min_value=0, max_value=400),
            st.decimals(min_value=0, max_value=400, places=2),
            st.floats(min_value=0, max_value=400, allow_nan=False, allow_infinity=False),
        ),
        max_size=5,
    ),
)
def test_several_targets_in_one_walk_are_each_target_alone(calendar, start, hours):
    # A request's four clocks come from one walk over the windows (activities.sla); each must
    # be the moment a plain walk for that target alone finds, whatever their order, from any
    # start (outside working hours too).
    expected = [_walk_alone(calendar, start, each).isoformat() for each in hours]
    # As text: the same moment in another zone compares equal as a datetime.
    assert [m.isoformat() for m in add_business_hours_each(calendar, start, hours)] == expected
    assert [add_business_hours(calendar, start, each).isoformat() for each in hours] == expected


def _walk_alone(calendar: BusinessCalendar, start: datetime, hours) -> datetime:
    """The reference: day by day from the start's local day, each window's working time taken
    until `hours` are spent."""
    remaining = timedelta(microseconds=round(Decimal(str(hours)) * 3_600_000_000))
    day = start.astimezone(calendar.zone).date()
    while True:
        window = calendar.working_window(day)
        if window is not None and max(start, window[0]) < window[1]:
            begin = max(start, window[0])
            if remaining <= window[1] - begin:
                return (begin + remaining).astimezone(calendar.zone)
            remaining -= window[1] - begin
        day += timedelta(days=1)
