"""The per-user ICS feed: planned QBRs and open commitments, built with icalendar."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from activities.models import QBR, Commitment

QBR_LENGTH = timedelta(hours=2)


def build_calendar(
    user, *, qbrs: list[QBR], commitments: list[Commitment], absolute_url: Callable[[str], str]
) -> bytes:
    """QBRs as events (timed when a time is set, all-day otherwise); commitments as all-day
    events on their due date (calendar apps show those, unlike VTODOs). Text in the user's
    language; UIDs stable so calendar apps update entries instead of duplicating them."""
    stamp = timezone.now()
    with translation.override(user.language):
        calendar = Calendar()
        calendar.add("prodid", "-//KAM//Key account management//EN")
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", _("KAM: QBRs and commitments"))
        for qbr in qbrs:
            event = Event()
            event.add("uid", f"qbr-{qbr.pk}@kam")
            event.add("dtstamp", stamp)
            starts_at = qbr.starts_at()
            if starts_at is None:
                event.add("dtstart", qbr.scheduled_on)
                event.add("dtend", qbr.scheduled_on + timedelta(days=1))
            else:
                event.add("dtstart", _utc(starts_at))
                event.add("dtend", _utc(starts_at + QBR_LENGTH))
            event.add("summary", _("QBR: %(account)s") % {"account": qbr.account.name})
            if qbr.agenda:
                event.add("description", qbr.agenda)
            event.add("url", absolute_url(qbr.get_absolute_url()))
            calendar.add_component(event)
        for commitment in commitments:
            event = Event()
            event.add("uid", f"commitment-{commitment.pk}@kam")
            event.add("dtstamp", stamp)
            event.add("dtstart", commitment.due_date)
            event.add("dtend", commitment.due_date + timedelta(days=1))
            event.add(
                "summary",
                _("Due: %(title)s (%(account)s)")
                % {"title": commitment.title, "account": commitment.account.name},
            )
            if not commitment.is_ours:
                event.add(
                    "description",
                    _("Client side: %(owner)s") % {"owner": commitment.owner_stakeholder.name},
                )
            event.add("url", absolute_url(commitment.account.get_absolute_url()))
            calendar.add_component(event)
    return calendar.to_ical()


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
