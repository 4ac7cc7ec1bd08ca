"""Values a view reads by hand from a query string or a form (request.GET / request.POST): whole
numbers, moments and the timeline's cursor. (Dates come through forms: kam.forms.date_field.)

One rule for all of them: an empty or missing value is the default; a value that is not what
the parameter takes is refused with InvalidParameter, a 400 whose message names the parameter
(`kam.views.bad_request` renders it as a page in the user's language, or as `{"detail": ...}`
under /api/). Nothing malformed reaches the database: numbers are ASCII digits within
PostgreSQL's bigint, moments within kam.dates' range (so date arithmetic cannot overflow
either) and compared in UTC (PostgreSQL refuses offsets beyond ±15:59).

The parse_* functions answer None for "not valid"; the *_param functions read a QueryDict.
A `next` URL a form posts back to is one more such value (next_param): a local path, or the
view's default."""

import re
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import BadRequest
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from kam.dates import EARLIEST, EARLIEST_MOMENT, LATEST, LATEST_MOMENT

# PostgreSQL's bigint (every id): a whole number outside it is an error in any query.
BIGINT_MAX = 2**63 - 1

# ASCII digits only: str.isdigit() and int() accept other scripts' digits ("²" passes isdigit()
# and fails int(); "٣" is 3 to int()), which no form or link of ours sends.
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,19}", re.ASCII)
# What datetime.fromisoformat takes, narrowed to ASCII and to one string length.
ISO_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.,+\-Z]{2,40}", re.ASCII)


class InvalidParameter(BadRequest):
    """A parameter a view cannot take: answered 400 with `message` (kam.views.bad_request)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def parse_int(text: str, *, minimum: int = 1, maximum: int = BIGINT_MAX) -> int | None:
    """A whole number written in ASCII digits within [minimum, maximum], or None."""
    text = text.strip()
    if not WHOLE_NUMBER.fullmatch(text):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


def parse_moment(text: str) -> datetime | None:
    """An ISO 8601 date and time (with an offset, or in the current time zone) within
    kam.dates' range, in UTC; or None."""
    text = text.strip()
    if not ISO_MOMENT.fullmatch(text):
        return None
    try:
        moment = datetime.fromisoformat(text)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):  # bad fields; an offset that leaves the calendar
        return None
    return moment if EARLIEST_MOMENT <= moment < LATEST_MOMENT else None


def _raw(query, name: str) -> str:
    value = query.get(name)
    return "" if value is None else str(value)


def int_param(
    query, name: str, *, default: int | None = None, minimum: int = 1, maximum: int = BIGINT_MAX
) -> int | None:
    """`query[name]` as a whole number (an id, a count): `default` when missing or empty,
    InvalidParameter when it is not a whole number within [minimum, maximum]."""
    raw = _raw(query, name)
    if not raw.strip():
        return default
    value = parse_int(raw, minimum=minimum, maximum=maximum)
    if value is None:
        raise InvalidParameter(
            _("“%(name)s” must be a whole number from %(minimum)s to %(maximum)s.")
            % {"name": name, "minimum": minimum, "maximum": maximum}
        )
    return value


def moment_param(query, name: str) -> datetime | None:
    """`query[name]` as a moment (ISO 8601): None when missing or empty, InvalidParameter when
    it is not a real moment within kam.dates' range."""
    raw = _raw(query, name)
    if not raw.strip():
        return None
    value = parse_moment(raw)
    if value is None:
        raise InvalidParameter(
            _("“%(name)s” must be a date and time (ISO 8601) between %(earliest)s and "
              "%(latest)s.")
            % {"name": name, "earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()}
        )  # fmt: skip
    return value


def cursor_param(query, *, at: str = "before_at", pk: str = "before_id"):
    """A (moment, id) cursor of a list sorted newest first, as the "older" link sends it: None
    when neither part is given, InvalidParameter when one is missing or malformed."""
    if not _raw(query, at).strip() and not _raw(query, pk).strip():
        return None
    moment, row = moment_param(query, at), int_param(query, pk)
    if moment is None or row is None:
        raise InvalidParameter(
            _("The list position is incomplete: use the “Older entries” link as given.")
        )
    return moment, row


def next_param(request, *, default: str, name: str = "next") -> str:
    """The page a posted form asks to go back to (its `next` field): a path on this site, else
    `default`. A path, not just a safe string: redirect() would read "tier_review" or "²" as
    a view name to reverse."""
    url = _raw(request.POST, name).strip()
    if url.startswith("/") and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default


def upload_limit() -> str:
    """The most a form's body may hold (settings.DATA_UPLOAD_MAX_MEMORY_SIZE), as the reader
    writes sizes: "2.5 MB", "2,5 MB". What a refusal of a larger one says (kam.views,
    partials/messages.html)."""
    return filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
