"""Working calendars and business-hour arithmetic for response SLAs: pure functions over a plain
dataclass (STYLE.md). No ORM, no settings, no clock: the caller passes the calendar and the
moments.

A working day is a weekday of the calendar that is not a holiday. Holidays are Brazil's national
holidays, the state's (`subdivision`, a UF such as "SP") and the company's (`extra_holidays`).
They come from the maintained `holidays` package: its "public" category, plus Carnaval (Monday
and Tuesday) and Corpus Christi, which the package files under "optional" (they are "pontos
facultativos" by law) although Brazilian businesses close on them. The other optional days
(Ash Wednesday, closed only until noon; Public Servant's Day, only for civil servants; the
afternoons of Christmas Eve and New Year's Eve) stay working days.

Wall-clock arithmetic is done day by day in the calendar's own zone with `zoneinfo`, building
an aware opening and closing moment for each local day and comparing in UTC, so the offsets
São Paulo had in its daylight-saving years (until 2019) are right, and whole days are skipped
at once (a 1,000-hour target walks about 160 days, not 60,000 minutes)."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_package

COUNTRY = "BR"
# The 27 federative units, in the package's spelling (it also knows "São Paulo Capital", a city).
SUBDIVISIONS = (
    "AC", "AL", "AM", "AP", "BA", "CE", "DF", "ES", "GO", "MA", "MG", "MS", "MT", "PA",
    "PB", "PE", "PI", "PR", "RJ", "RN", "RO", "RR", "RS", "SC", "SE", "SP", "TO",
)  # fmt: skip
# The package's English names of the "optional" holidays on which businesses close.
CLOSED_OPTIONAL_HOLIDAYS = frozenset({"Carnival", "Corpus Christi"})
# Languages the package translates Brazil's holiday names into; others read English.
HOLIDAY_LANGUAGES = {"pt-br": "pt_BR", "pt": "pt_BR", "en": "en_US"}

WEEKDAYS = frozenset(range(7))
# A calendar whose working days never come (every weekday a holiday for ten years) is refused
# rather than walked until the end of time.
_MAX_IDLE_DAYS = 3660
_MICROSECONDS_PER_HOUR = 3_600_000_000
# More than a century of round-the-clock hours is no SLA; refusing it keeps the walk short.
MAX_HOURS = 24 * 366 * 100


@dataclass(frozen=True)
class BusinessCalendar:
    time_zone: str  # IANA name, e.g. "America/Sao_Paulo"
    opens: time = time(9)  # local opening time each working day
    closes: time = time(18)  # local closing time
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # 0 = Monday
    subdivision: str | None = None  # UF (e.g. "SP") for state holidays; national always
    extra_holidays: frozenset[date] = field(default_factory=frozenset)  # company holidays

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
            raise ValueError(f"unknown time zone {self.time_zone!r}") from error
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opening and closing times are local wall-clock times")
        if not self.opens < self.closes:
            raise ValueError("closing time must be after opening time")
        if not self.weekdays or not set(self.weekdays) <= WEEKDAYS:
            raise ValueError("weekdays must be a non-empty set of 0 (Monday) … 6 (Sunday)")
        if self.subdivision is not None and self.subdivision not in SUBDIVISIONS:
            raise ValueError(f"unknown Brazilian state {self.subdivision!r}")
        # Accept any iterable of dates, keep a frozenset (hashable, fast membership).
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        object.__setattr__(self, "extra_holidays", frozenset(self.extra_holidays))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)  # ZoneInfo caches its instances

    def is_holiday(self, day: date) -> bool:
        return day in self.extra_holidays or day in holiday_dates(self.subdivision, day.year)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and not self.is_holiday(day)

    def working_window(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's opening and closing moments in UTC, or None on a day off."""
        if not self.is_working_day(day):
            return None
        zone = self.zone
        opening = datetime.combine(day, self.opens, zone).astimezone(UTC)
        closing = datetime.combine(day, self.closes, zone).astimezone(UTC)
        return opening, closing


# ---------------------------------------------------------------------------------------------
# Holidays from the package


def _package_holidays(subdivision: str | None, year: int, language: str) -> dict[date, list[str]]:
    """National (+ state) public holidays and the closed optional ones, names in `language`."""
    public = holidays_package.country_holidays(
        COUNTRY, subdiv=subdivision, years=year, language=language
    )
    optional = holidays_package.country_holidays(
        COUNTRY,
        subdiv=subdivision,
        years=year,
        categories=(holidays_package.OPTIONAL,),
        language="en_US",
    )  # English names, to pick the closed ones whatever the display language
    optional_shown = holidays_package.country_holidays(
        COUNTRY,
        subdiv=subdivision,
        years=year,
        categories=(holidays_package.OPTIONAL,),
        language=language,
    )
    found: dict[date, list[str]] = {}
    for day in public:
        found.setdefault(day, []).extend(public.get_list(day))
    for day in optional:
        english = optional.get_list(day)
        shown = optional_shown.get_list(day)
        for index, name in enumerate(english):
            if name in CLOSED_OPTIONAL_HOLIDAYS:
                label = shown[index] if index < len(shown) else name
                if label not in found.setdefault(day, []):
                    found[day].append(label)
    return found


@functools.lru_cache(maxsize=512)
def holiday_dates(subdivision: str | None, year: int) -> frozenset[date]:
    """The days the package closes in `year` for the state (national ones always)."""
    return frozenset(_package_holidays(subdivision, year, "en_US"))


@functools.lru_cache(maxsize=512)
def _holiday_names(
    subdivision: str | None, year: int, language: str
) -> tuple[tuple[date, str], ...]:
    found = _package_holidays(subdivision, year, language)
    return tuple((day, "; ".join(found[day])) for day in sorted(found))


def holiday_language(language_code: str | None) -> str:
    """The package's language for a Django language code ("pt-br" → "pt_BR")."""
    code = (language_code or "en").lower()
    return HOLIDAY_LANGUAGES.get(code) or HOLIDAY_LANGUAGES.get(code.split("-")[0], "en_US")


def package_holidays_between(
    calendar: BusinessCalendar, first: date, last: date, *, language_code: str | None = None
) -> list[tuple[date, str]]:
    """The package's holidays for the calendar's state from `first` to `last` (inclusive), with
    names in the reader's language. Company holidays are not included (they have their own
    names, kept by the caller)."""
    language = holiday_language(language_code)
    return [
        (day, name)
        for year in range(first.year, last.year + 1)
        for day, name in _holiday_names(calendar.subdivision, year, language)
        if first <= day <= last
    ]


# ---------------------------------------------------------------------------------------------
# Arithmetic


def _as_duration(hours: int | float | Decimal) -> timedelta:
    if isinstance(hours, bool) or not isinstance(hours, int | float | Decimal):
        raise TypeError("hours must be an int, float or Decimal")
    try:
        exact = Decimal(str(hours)) if isinstance(hours, float) else Decimal(hours)
        if not exact.is_finite() or exact < 0:
            raise ValueError("hours must be a finite number >= 0")
        if exact > MAX_HOURS:
            raise ValueError(f"hours must be at most {MAX_HOURS}")
        microseconds = int((exact * _MICROSECONDS_PER_HOUR).to_integral_value())
    except InvalidOperation as error:
        raise ValueError("hours must be a finite number >= 0") from error
    return timedelta(microseconds=microseconds)


def _aware_utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")
    return moment.astimezone(UTC)


def _windows_from(calendar: BusinessCalendar, day: date) -> Iterator[tuple[datetime, datetime]]:
    """Working windows (UTC) of `day` and the days after it, skipping days off."""
    idle = 0
    while True:
        window = calendar.working_window(day)
        if window is None:
            idle += 1
            if idle > _MAX_IDLE_DAYS:
                raise ValueError("the calendar has no working day in ten years")
        else:
            idle = 0
            yield window
        day += timedelta(days=1)


def add_business_hours(
    calendar: BusinessCalendar, start: datetime, hours: int | float | Decimal
) -> datetime:
    """The moment `hours` working hours after `start`, in the calendar's zone.

    A start outside working hours counts from the next opening (so zero hours from a Saturday is
    Monday's opening); a target that ends exactly at closing time is that closing time."""
    return add_business_hours_each(calendar, start, [hours])[0]


def add_business_hours_each(
    calendar: BusinessCalendar, start: datetime, hours: Sequence[int | float | Decimal]
) -> list[datetime]:
    """add_business_hours for each of `hours` from the same `start`, in one walk over the
    working windows (a client request's four clocks: bench/README.md, "The 100,000-account
    data")."""
    durations = [_as_duration(each) for each in hours]
    shortest_first = sorted(range(len(durations)), key=durations.__getitem__)
    found: list = [None] * len(durations)
    cursor = _aware_utc(start, "start")
    if not durations:
        return found
    zone = calendar.zone
    spent = timedelta(0)  # working time in the windows walked so far
    position = 0
    for opening, closing in _windows_from(calendar, cursor.astimezone(zone).date()):
        begin = max(cursor, opening)
        if begin >= closing:
            continue
        available = closing - begin
        while durations[shortest_first[position]] - spent <= available:
            index = shortest_first[position]
            found[index] = (begin + (durations[index] - spent)).astimezone(zone)
            position += 1
            if position == len(durations):
                return found
        spent += available
    raise AssertionError("unreachable")  # pragma: no cover


def business_hours_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> float:
    """Working hours elapsed from `start` to `end` (0.0 when end <= start)."""
    start_utc = _aware_utc(start, "start")
    end_utc = _aware_utc(end, "end")
    if end_utc <= start_utc:
        return 0.0
    zone = calendar.zone
    day = start_utc.astimezone(zone).date()
    last_day = end_utc.astimezone(zone).date()
    elapsed = timedelta(0)
    while day <= last_day:
        window = calendar.working_window(day)
        if window is not None:
            begin = max(start_utc, window[0])
            finish = min(end_utc, window[1])
            if finish > begin:
                elapsed += finish - begin
        day += timedelta(days=1)
    return elapsed / timedelta(hours=1)


def next_opening(calendar: BusinessCalendar, moment: datetime) -> datetime:
    """`moment` itself when inside working hours, else the next opening (local zone)."""
    return add_business_hours(calendar, moment, 0)


__all__ = [
    "SUBDIVISIONS",
    "BusinessCalendar",
    "add_business_hours",
    "add_business_hours_each",
    "business_hours_between",
    "holiday_dates",
    "holiday_language",
    "next_opening",
    "package_holidays_between",
]
