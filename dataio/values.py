"""Turning one cell into a value a model field takes. Each converter returns the value or raises
RowReject with a reason the person who uploaded the file can act on."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kam.dates import business_moment, date_in_range

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
        # A time without a zone is the business zone's, whether the file is imported in the
        # request (small files) or on a worker.
        moment = business_moment(moment)
    return moment


# How a file writes its numbers: Brazilian `1.234,56` or English `1,234.56`.
BRAZILIAN, ENGLISH = "pt-br", "en"
SEPARATORS = {BRAZILIAN: (".", ","), ENGLISH: (",", ".")}  # (thousands, decimal)
# Currency marks and blanks around a number (NBSP and narrow NBSP are what Excel pads with).
_MONEY = re.compile(r"^\s*(?:R\$|US\$|\$|€|£|BRL|USD|EUR)?\s*|\s*(?:R\$|BRL|USD|EUR|%)?\s*$", re.I)
_NUMBER = re.compile(r"[+-]?[\d.,]*\d")


def _body(raw: str) -> str | None:
    """`raw` without currency marks and blanks, if what is left is a sign, digits, `.` and `,`."""
    body = _MONEY.sub("", raw.replace("\u00a0", " ").replace("\u202f", " "))
    return body if _NUMBER.fullmatch(body) else None


def _grouped(digits: str, separator: str) -> str | None:
    """`1.234.567` → `1234567` when every group after the first has three digits."""
    groups = digits.split(separator)
    if not groups[0] or len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:]):
        return None
    return "".join(groups)


def _split_number(digits: str, locale: str) -> tuple[str, str, str | None] | None:
    """(units, fraction, the locale the separators show or None) of unsigned `digits`.

    The rule: with both separators, the last one is the decimal one and the other groups by
    threes (`1.234.567,89`, `1,234.56`). One separator used twice or more groups by threes
    (`1.500.000`). One separator used once is the decimal one (`1,5`, `1234.567`, `0,500`),
    except when one to three digits (not starting with 0) come before it and exactly three
    after: `1.500` and `1,500` are ambiguous, read in `locale` (thousands in the locale whose
    thousands separator it is)."""
    decimal_of = {",": BRAZILIAN, ".": ENGLISH}
    if "." in digits and "," in digits:
        last = max(digits.rfind("."), digits.rfind(","))
        decimal = digits[last]
        units = _grouped(digits[:last], "." if decimal == "," else ",")
        fraction = digits[last + 1 :]
        if units is None or not fraction.isdigit():
            return None
        return units, fraction, decimal_of[decimal]
    separator = "." if "." in digits else "," if "," in digits else ""
    if not separator:
        return digits, "", None
    if digits.count(separator) > 1:
        units = _grouped(digits, separator)
        # Grouping `.` is Brazilian, grouping `,` English.
        return (units, "", ENGLISH if separator == "," else BRAZILIAN) if units else None
    units, fraction = digits.split(separator)
    if not fraction.isdigit():
        return None
    if 1 <= len(units) <= 3 and not units.startswith("0") and len(fraction) == 3:
        if SEPARATORS[locale][0] == separator:
            return units + fraction, "", None
        return units, fraction, None
    return units, fraction, decimal_of[separator]


def number_locale_of(raw: object) -> str | None:
    """BRAZILIAN or ENGLISH when a cell's number can only be read one way (`1.234,56`, `12,5`,
    `1,234.56`, `12.5`), None when it has no separator or could be either (`1.500`)."""
    body = _body(text(raw))
    split = _split_number(body.lstrip("+-"), ENGLISH) if body else None
    return split[2] if split else None


def detect_number_locale(
    cells: Iterable[object], *, delimiter: str = "", headers: Iterable[str] = (), default: str
) -> tuple[str, str]:
    """(locale, why) for the ambiguous numbers of a file (`1.500`): a `;`-delimited CSV is
    Brazilian (Excel in pt-BR writes `;` because `,` is its decimal separator); else the
    numbers the file writes unambiguously, by majority; else Portuguese headers (accents or
    `ç`); else `default` (the language of the person importing)."""
    if delimiter == ";":
        return BRAZILIAN, "delimiter"
    votes = Counter(number_locale_of(cell) for cell in cells if isinstance(cell, str))
    votes.pop(None, None)
    if votes and votes[BRAZILIAN] != votes[ENGLISH]:
        return max(votes, key=votes.get), "numbers"
    if any(re.search(r"[ãõçáéíóúâêô]", header.casefold()) for header in headers):
        return BRAZILIAN, "headers"
    return (BRAZILIAN if default == BRAZILIAN else ENGLISH), "language"


def to_decimal(value: object, label: str, locale: str = "") -> Decimal | None:
    """Numbers as spreadsheets write them: `1234.5`, `1,234.50`, `1.234,50`, `R$ 1.234,50`,
    `1.500`. What only one locale can mean is read that way; `1.500` and `1,500` follow
    `locale` (BRAZILIAN, ENGLISH; default: the active language). Anything else is refused."""
    if is_null(value):
        return None
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        number = Decimal(str(value))
        if number.is_finite():
            return number
    raw = text(value)
    body = _body(raw)
    locale = locale or (BRAZILIAN if get_language() == BRAZILIAN else ENGLISH)
    split = _split_number(body.lstrip("+-"), locale) if body else None
    number = None
    if split and (split[0] or split[1]):
        sign = "-" if body.startswith("-") else ""
        units, fraction, _shown = split
        number = Decimal(f"{sign}{units or 0}" + (f".{fraction}" if fraction else ""))
    if number is None:
        raise RowReject(
            _("%(field)s: “%(value)s” is not a number.") % {"field": label, "value": raw}
        )
    return number


def to_int(value: object, label: str, locale: str = "") -> int | None:
    number = to_decimal(value, label, locale)
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


@lru_cache(maxsize=256)
def _choice_lookup(choices: tuple, aliases: tuple) -> tuple[dict, dict]:
    """({exact value text: value}, {normalised name: value}): each choice by its value and its
    label in every language of the site, then the aliases (English and Portuguese synonyms)."""
    exact = {str(value): value for value, _label in choices}
    lookup = {normalise(value): value for value, _label in choices}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            lookup.update({normalise(str(label)): value for value, label in choices})
    lookup.update({normalise(name): value for name, value in aliases})
    return exact, lookup


def choice_default(value: object, choices, aliases: dict[str, str] | None = None):
    """The choice a cell names (by value, label in English or Portuguese, or alias; case and
    accents ignored), or None."""
    exact, lookup = _choice_lookup(tuple(choices), tuple(sorted((aliases or {}).items())))
    raw = text(value)
    if raw in exact:
        return exact[raw]
    return lookup.get(normalise(raw))


def to_choice(value: object, label: str, choices, aliases: dict[str, str] | None = None):
    """A choice by its stored value, its label (in any language of the site) or an alias,
    ignoring case and accents."""
    if is_null(value):
        return None
    found = choice_default(value, choices, aliases)
    if found is not None:
        return found
    raise RowReject(
        _("%(field)s: “%(value)s” is not one of %(choices)s.")
        % {"field": label, "value": text(value), "choices": ", ".join(str(v) for v, _l in choices)}
    )
