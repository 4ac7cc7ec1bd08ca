"""The one range of dates a person or an import may set (docs/deploy.md): 1990-01-01 to
2100-12-31. Every business date and moment is held to it by a model field validator (so
full_clean, ModelForms, DRF ModelSerializers and the importer refuse with the field's name) and
by a CheckConstraint in the database.

Why a range at all: a stored 9999-12-31 plus a cadence overflows `date` arithmetic, and a
1900 date is a typo, never a contract. With LATEST at 2100-12-31, adding any cadence the
configuration allows (at most 730 days) still gives a valid date."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import CheckConstraint, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

EARLIEST = date(1990, 1, 1)
LATEST = date(2100, 12, 31)

# The database holds moments in UTC and knows no time zone: its bounds for datetime columns
# are a day wider on each side, so a moment that is in range in any local time zone fits.
EARLIEST_MOMENT = datetime.combine(EARLIEST - timedelta(days=1), datetime.min.time(), UTC)
LATEST_MOMENT = datetime.combine(LATEST + timedelta(days=2), datetime.min.time(), UTC)

# For <input type="date"> and <input type="datetime-local">: the browser offers the same range.
DATE_INPUT_ATTRS = {"min": EARLIEST.isoformat(), "max": LATEST.isoformat()}
DATETIME_INPUT_ATTRS = {
    "min": f"{EARLIEST.isoformat()}T00:00",
    "max": f"{LATEST.isoformat()}T23:59",
}

OUT_OF_RANGE = _("Enter a date between %(earliest)s and %(latest)s.")


def business_tz() -> ZoneInfo:
    """The business time zone (settings.TIME_ZONE). Days are counted in it whatever time zone
    the viewer picked (pages, forms, the API, jobs), so every page, job and person gives the
    same answer at the same moment; the viewer's zone shows moments (docs/architecture.md)."""
    return ZoneInfo(settings.TIME_ZONE)


def business_date(moment: datetime | None = None) -> date:
    """The date of `moment` (now by default) in the business time zone: the one "today" and
    the one "the day this happened on". `timezone.localdate` (the viewer's date while a
    request runs) is banned by the linter everywhere else."""
    return timezone.localdate(moment, business_tz())  # noqa: TID251 the one call


def business_date_of(moment) -> TruncDate:
    """business_date in SQL: the date of `moment` (a column name or an expression) in the
    business time zone, worked out by PostgreSQL for many rows at once. Raw SQL writes the
    same as `(moment AT TIME ZONE %s)::date` with `str(business_tz())` as its parameter, as
    TruncDate does (insights.health_inputs.touch_inputs)."""
    return TruncDate(moment, tzinfo=business_tz())


def business_moment(naive: datetime) -> datetime:
    """A date and time without a zone (a QBR's scheduled time, an imported time) read in the
    business time zone."""
    return timezone.make_aware(naive, business_tz())


def business_day_start(day: date) -> datetime:
    """The moment `day` begins in the business time zone."""
    return business_moment(datetime.combine(day, datetime.min.time()))


def business_day_end(day: date) -> datetime:
    """The moment `day` ends in the business time zone: the next day's start."""
    return business_day_start(day + timedelta(days=1))


def as_of(day: date) -> datetime:
    """The moment a reading "as of `day`" is taken: the last moment of `day` (a microsecond
    before the next day starts, so still `day` in the business time zone: the SLA windows
    start from its date), or now while `day` has not ended (a clock due later today is not
    missed yet)."""
    return min(business_day_end(day) - timedelta(microseconds=1), timezone.now())


def in_range(day: date) -> bool:
    return EARLIEST <= day <= LATEST


def date_in_range(value: date | None) -> None:
    """Validator for a DateField (or a date form field)."""
    if value is None:
        return
    out_of_range = ValidationError(
        OUT_OF_RANGE,
        code="date_out_of_range",
        params={"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
    )
    if isinstance(value, datetime):
        try:
            value = business_date(value) if timezone.is_aware(value) else value.date()
        except OverflowError as error:
            # 9999-12-31T23:59-05:00 is past the calendar's last day in UTC or local time.
            raise out_of_range from error
    if not in_range(value):
        raise out_of_range


def datetime_in_range(value: datetime | None) -> None:
    """Validator for a DateTimeField: its local day must be in range."""
    date_in_range(value)


def date_range_check(field: str, *, name: str, nullable: bool = False) -> CheckConstraint:
    """The database's copy of `date_in_range` for one DateField column."""
    condition = Q(**{f"{field}__range": (EARLIEST, LATEST)})
    if nullable:
        condition = Q(**{f"{field}__isnull": True}) | condition
    return CheckConstraint(condition=condition, name=name)


def datetime_range_check(field: str, *, name: str, nullable: bool = False) -> CheckConstraint:
    """The database's copy of `datetime_in_range` for one DateTimeField column (in UTC, a day
    wider each side: see EARLIEST_MOMENT)."""
    condition = Q(**{f"{field}__gte": EARLIEST_MOMENT, f"{field}__lt": LATEST_MOMENT})
    if nullable:
        condition = Q(**{f"{field}__isnull": True}) | condition
    return CheckConstraint(condition=condition, name=name)
