"""Calendar invitations (iCalendar, RFC 5545/5546) read into plain Invite rows.

Pure (STYLE.md): no ORM, no settings, no clock. The `icalendar` package parses the text and
maps the Windows zone names Outlook writes ("E. South America Standard Time") to IANA zones;
times with no zone ("floating") or with a zone nobody knows are read in `default_tz`, which the
caller passes (the site's or the user's zone). activities.services.meeting_invite_apply turns an
Invite into a planned meeting; mail capture and the account page's upload both call it."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo

from django.utils.translation import gettext as _
from icalendar import Calendar

# What an invite can carry before it is junk rather than an invitation.
MAX_TEXT_CHARS = 1_000_000
MAX_EVENTS = 50
MAX_UID_CHARS = 1000
MAX_ATTENDEES = 200
TITLE_MAX = 300
LOCATION_MAX = 300

REQUEST = "REQUEST"
CANCEL = "CANCEL"
# PUBLISH (a plain calendar export) and no METHOD at all (a saved .ics) read as an invitation.
TAKEN_AS_REQUEST = {"", "REQUEST", "PUBLISH"}


class InviteRefused(Exception):
    """The text is not an invitation that can be taken; .reason is a user-facing sentence."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Invite:
    uid: str
    sequence: int
    method: str  # REQUEST | CANCEL
    summary: str
    description: str
    location: str
    starts_at: datetime | None  # aware; None only for a CANCEL that names no time
    ends_at: datetime | None  # aware, never before starts_at
    organizer_email: str  # lower-cased; "" when none
    attendee_emails: tuple[str, ...]  # lower-cased, without duplicates, in the file's order
    recurring: bool = False  # a series: starts_at/ends_at are its first occurrence


def invites_parse(text: str, *, default_tz: tzinfo = UTC) -> list[Invite]:
    """Every event of `text` as an Invite (one per UID: the series itself rather than its
    changed occurrences). Raises InviteRefused when nothing in it can be taken."""
    if not text or not text.strip():
        raise InviteRefused(_("The calendar file is empty."))
    if len(text) > MAX_TEXT_CHARS:
        raise InviteRefused(_("The calendar file is too large to be an invitation."))
    try:
        calendar = Calendar.from_ical(text)
    except (ValueError, IndexError, KeyError, TypeError) as error:
        raise InviteRefused(_("This is not a calendar invitation (.ics).")) from error
    if not isinstance(calendar, Calendar):
        raise InviteRefused(_("This is not a calendar invitation (.ics)."))
    method = str(calendar.get("METHOD", "")).strip().upper()
    if method not in TAKEN_AS_REQUEST and method != CANCEL:
        raise InviteRefused(
            _("This calendar file is a %(method)s, not an invitation or a cancellation.")
            % {"method": method}
        )
    events = calendar.walk("VEVENT")
    if not events:
        raise InviteRefused(_("The calendar file has no event in it."))
    if len(events) > MAX_EVENTS:
        raise InviteRefused(_("The calendar file has too many events to be an invitation."))

    chosen: dict[str, object] = {}
    for event in events:
        uid = str(event.get("UID", "")).strip()
        if not uid or len(uid) > MAX_UID_CHARS:
            continue
        # A series and its changed occurrences share the UID: the series (no RECURRENCE-ID)
        # wins; with only changed occurrences, the earliest one.
        if uid not in chosen or "RECURRENCE-ID" not in event:
            if uid in chosen and "RECURRENCE-ID" not in chosen[uid]:
                continue
            chosen[uid] = event
    if not chosen:
        raise InviteRefused(_("The calendar event has no identifier (UID)."))
    return [_invite(event, uid, method, default_tz) for uid, event in chosen.items()]


def _invite(event, uid: str, method: str, default_tz: tzinfo) -> Invite:
    cancelled = method == CANCEL or str(event.get("STATUS", "")).upper() == "CANCELLED"
    starts_at, ends_at = _when(event, default_tz, required=not cancelled)
    try:
        sequence = max(int(str(event.get("SEQUENCE", 0)).strip() or 0), 0)
    except ValueError as error:
        raise InviteRefused(_("The calendar event's SEQUENCE is not a number.")) from error
    organizer = _email(event.get("ORGANIZER"))
    attendees = event.get("ATTENDEE", [])
    if not isinstance(attendees, list):
        attendees = [attendees]
    if len(attendees) > MAX_ATTENDEES:
        raise InviteRefused(_("The calendar event has too many attendees."))
    emails = [_email(attendee) for attendee in attendees]
    return Invite(
        uid=uid,
        sequence=sequence,
        method=CANCEL if cancelled else REQUEST,
        summary=_text(event.get("SUMMARY"))[:TITLE_MAX],
        description=_text(event.get("DESCRIPTION")),
        location=_text(event.get("LOCATION"))[:LOCATION_MAX],
        starts_at=starts_at,
        ends_at=ends_at,
        organizer_email=organizer,
        attendee_emails=tuple(dict.fromkeys(e for e in emails if e)),
        recurring="RRULE" in event or "RDATE" in event or "RECURRENCE-ID" in event,
    )


def _when(event, default_tz: tzinfo, *, required: bool):
    """(start, end), aware. All-day dates start at midnight in `default_tz`; DTEND is
    exclusive and, when missing, DURATION or (per RFC 5545) one day for a date, zero time for
    a date-time."""
    if "DTSTART" not in event:
        if required:
            raise InviteRefused(_("The calendar event has no start time (DTSTART)."))
        return None, None
    try:
        start = event.start
        end = event.end
    except (ValueError, TypeError, OverflowError) as error:  # icalendar's are ValueErrors
        raise InviteRefused(_("The calendar event's start or end time cannot be read.")) from error
    starts_at, ends_at = _aware(start, default_tz), _aware(end, default_tz)
    if ends_at < starts_at:
        raise InviteRefused(_("The calendar event ends before it starts."))
    return starts_at, ends_at


def _aware(moment: date | datetime, default_tz: tzinfo) -> datetime:
    if not isinstance(moment, datetime):
        return datetime.combine(moment, time(0, 0), tzinfo=default_tz)
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        return moment.replace(tzinfo=default_tz)
    return moment


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):  # a repeated property: the first one
        value = value[0] if value else ""
    return str(value).replace("\r\n", "\n").strip()


def _email(address) -> str:
    """A CAL-ADDRESS ("mailto:Ana@Example.com") as a lower-cased email; "" when it is not
    a mail address (a URN or junk)."""
    if address is None:
        return ""
    value = str(address).strip()
    if value.lower().startswith("mailto:"):
        value = value[len("mailto:") :]
    value = value.strip().lower()
    local, _at, domain = value.partition("@")
    if not local or not domain or " " in value or "." not in domain:
        return ""
    return value
