"""Turning one cell into a value a model field takes. Each converter returns the value or raises
RowReject with a reason the person who uploaded the file can act on."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.dates import date_in_range

# Cells that mean "no value" in exports from other tools.
NULLS = {"", "null", "none", "n/a", "na", "-", "#n/a", "nan"}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y")
DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
                    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")  # fmt: skip
TRUE = {"1", "yes", "y", "true", "t", "x", "sim", "s", "verdadeiro"}
FALSE = {"0", "no", "n", "false", "f", "não", "nao", "falso"}


class RowReject(Exception):
    """This row cannot be imported; str(error) says why."""


def normalise(value: object) -> str:
    """Name as a key: accents, case, spaces and punctuation dropped, so `GTXPro`, `GTX Pro` and
    `gtx-pro` are one product and `São Paulo Ltda.` matches `Sao Paulo LTDA`."""
    text = unicodedata.normalize("NFKD", str(value or ""))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[\W_]+", "", text.casefold())


def text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def is_null(value: object) -> bool:
    return value is None or text(value).casefold() in NULLS


def in_range(day: date | datetime, label: str) -> None:
    """The models' date range (kam.dates), with the column named in the reason."""
    try:
        date_in_range(day)
    except ValidationError as error:
        raise RowReject(f"{label}: {' '.join(error.messages)}") from error


def to_date(value: object, label: str) -> date | None:
    day = _parse_date(value, label)
    if day is not None:
        in_range(day, label)
    return day


def _parse_date(value: object, label: str) -> date | None:
    if is_null(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    for fmt in (*DATE_FORMATS, *DATETIME_FORMATS):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise RowReject(
        _("%(field)s: “%(value)s” is not a date (use YYYY-MM-DD or DD/MM/YYYY).")
        % {"field": label, "value": raw}
    )


def to_datetime(value: object, label: str) -> datetime | None:
    """A date alone means noon local time, so the day never shifts across time zones."""
    if is_null(value):
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(12))
    else:
        raw = text(value)
        moment = None
        for fmt in DATETIME_FORMATS:
            try:
                moment = datetime.strptime(raw, fmt)
                break
            except ValueError:
                continue
        if moment is None:
            moment = datetime.combine(to_date(raw, label), time(12))
    in_range(moment, label)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def to_decimal(value: object, label: str) -> Decimal | None:
    """Numbers as spreadsheets write them: `1234.5`, `1,234.50`, `1.234,50`, `R$ 1.234,50`."""
    if is_null(value):
        return None
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return Decimal(str(value))
    raw = re.sub(r"[^\d,.\-]", "", text(value))
    if "," in raw and "." in raw:
        # The separator that comes last is the decimal one.
        if raw.rfind(",") > raw.rfind("."):
            raw = raw.replace(".", "").replace(",", ".")
        else:
            raw = raw.replace(",", "")
    elif "," in raw:
        raw = raw.replace(",", ".") if re.fullmatch(r"-?\d*,\d{1,2}", raw) else raw.replace(",", "")
    try:
        number = Decimal(raw)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise RowReject(
            _("%(field)s: “%(value)s” is not a number.") % {"field": label, "value": text(value)}
        )
    return number


def to_int(value: object, label: str) -> int | None:
    number = to_decimal(value, label)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise RowReject(
            _("%(field)s: “%(value)s” is not a whole number.")
            % {"field": label, "value": text(value)}
        )
    return int(number)


def to_bool(value: object, label: str) -> bool | None:
    if is_null(value):
        return None
    raw = text(value).casefold()
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    raise RowReject(
        _("%(field)s: “%(value)s” is not yes or no.") % {"field": label, "value": text(value)}
    )


def to_choice(value: object, label: str, choices, aliases: dict[str, str] | None = None):
    """A choice by its stored value, its label (in English) or an alias, ignoring case."""
    if is_null(value):
        return None
    key = normalise(value)
    lookup = {normalise(v): v for v, _label in choices}
    lookup.update({normalise(str(lbl)): v for v, lbl in choices})
    lookup.update({normalise(k): v for k, v in (aliases or {}).items()})
    if key in lookup:
        return lookup[key]
    raise RowReject(
        _("%(field)s: “%(value)s” is not one of %(choices)s.")
        % {"field": label, "value": text(value), "choices": ", ".join(str(v) for v, _l in choices)}
    )
