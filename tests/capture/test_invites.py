"""Calendar invites through mail (issue 17, §6): a forwarded invitation sent with smtplib to the
running receiver becomes a planned meeting on the matched account, a CANCEL cancels it, an
UPDATE (a higher SEQUENCE) moves it, and after its end My work offers to log it. An invite is
not a touch: no email interaction is logged for it."""

from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
import time_machine
from django.urls import reverse

from activities.models import MeetingStatus, PlannedMeeting
from activities.selectors import meetings_to_log
from capture import services
from capture.models import InboundMessage, MessageStatus
from capture.tasks import message_process
from tests.capture.test_smtp import send, smtp_server  # noqa: F401 (a fixture)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def calendar(*, method="REQUEST", sequence=0, start="20260312T170000Z", end="20260312T180000Z"):
    return "\r\n".join([
        "BEGIN:VCALENDAR", "PRODID:-//Test//EN", "VERSION:2.0", f"METHOD:{method}",
        "BEGIN:VEVENT", "UID:kickoff-1@acme.com.br", f"SEQUENCE:{sequence}",
        f"DTSTART:{start}", f"DTEND:{end}", "DTSTAMP:20260301T120000Z",
        "SUMMARY:Renewal kickoff",
        "ORGANIZER;CN=Carla Chefe:mailto:carla@acme.com.br",
        "ATTENDEE;CN=Carla Chefe:mailto:Carla@Acme.com.br",
        "ATTENDEE;CN=Olivia:mailto:owner@example.com",
        "ATTENDEE;CN=Bruno:mailto:bruno@acme.com.br",
        "END:VEVENT", "END:VCALENDAR", "",
    ])  # fmt: skip


def invitation(number: int, **calendar_fields) -> bytes:
    """Carla's invitation (text/plain + text/calendar, as Outlook and Google send it)."""
    message = EmailMessage()
    message["From"] = "Carla Chefe <carla@acme.com.br>"
    message["To"] = "owner@example.com"
    message["Subject"] = "Invitation: Renewal kickoff"
    message["Message-ID"] = f"<invite-{number}@acme.com.br>"
    message.set_content("You are invited to Renewal kickoff.")
    method = calendar_fields.get("method", "REQUEST")
    message.add_alternative(
        calendar(**calendar_fields), subtype="calendar", params={"method": method}
    )
    return bytes(message)


def forwarded(original: bytes, number: int, *, to: str) -> bytes:
    message = EmailMessage()
    message["From"] = "owner@example.com"
    message["To"] = to
    message["Subject"] = "Fwd: Invitation: Renewal kickoff"
    message["Message-ID"] = f"<fwd-invite-{number}@example.com>"
    message.set_content("")
    message.add_attachment(BytesParser(policy=policy.default).parsebytes(original))
    return message.as_bytes(policy=policy.SMTP)  # CRLF line ends, as on the wire


def mail_and_process(server, address, raw: bytes) -> InboundMessage:
    send(server, raw, [address.address])
    message = InboundMessage.objects.order_by("-pk").first()
    message_process(message.pk)
    message.refresh_from_db()
    return message


@pytest.fixture
def bruno(account):
    from tests.factories import StakeholderFactory

    return StakeholderFactory(account=account, name="Bruno Compras", email="bruno@acme.com.br")


def test_a_forwarded_invite_plans_a_meeting_a_cancel_cancels_it_and_an_update_moves_it(
    smtp_server,  # noqa: F811
    address,
    account,
    carla,
    bruno,
    kam_user,
):
    with time_machine.travel(NOW, tick=False):
        planned = mail_and_process(
            smtp_server, address, forwarded(invitation(1), 1, to=address.address)
        )
    assert planned.status == MessageStatus.LOGGED, planned.reason
    assert planned.account == account
    assert planned.interaction is None  # an invite is not a touch
    assert not account.interactions.exists()
    assert "Renewal kickoff" in planned.reason and "planned on Acme" in planned.reason
    meeting = PlannedMeeting.objects.get()
    assert (meeting.account, meeting.owner, meeting.status) == (
        account, kam_user, MeetingStatus.SCHEDULED,
    )  # fmt: skip
    assert meeting.starts_at == datetime(2026, 3, 12, 17, tzinfo=UTC)
    assert set(meeting.attendees.all()) == {carla, bruno}

    with time_machine.travel(NOW, tick=False):
        moved = mail_and_process(
            smtp_server,
            address,
            forwarded(
                invitation(2, sequence=1, start="20260313T140000Z", end="20260313T150000Z"),
                2,
                to=address.address,
            ),
        )
    meeting.refresh_from_db()
    assert "updated" in moved.reason
    assert meeting.starts_at == datetime(2026, 3, 13, 14, tzinfo=UTC)
    assert meeting.status == MeetingStatus.SCHEDULED

    with time_machine.travel(NOW, tick=False):
        stale = mail_and_process(
            smtp_server, address, forwarded(invitation(3, sequence=0), 3, to=address.address)
        )
    meeting.refresh_from_db()
    assert "already up to date" in stale.reason
    assert meeting.starts_at == datetime(2026, 3, 13, 14, tzinfo=UTC)  # mail out of order

    with time_machine.travel(NOW, tick=False):
        cancelled = mail_and_process(
            smtp_server,
            address,
            forwarded(invitation(4, method="CANCEL", sequence=2), 4, to=address.address),
        )
    meeting.refresh_from_db()
    assert "cancelled" in cancelled.reason
    assert meeting.status == MeetingStatus.CANCELLED
    assert PlannedMeeting.objects.count() == 1
    assert not account.interactions.exists()


def test_after_the_meeting_ends_my_work_offers_to_log_it(
    smtp_server,  # noqa: F811
    address,
    account,
    carla,
    client_for,
    kam_user,
):
    with time_machine.travel(NOW, tick=False):
        mail_and_process(smtp_server, address, forwarded(invitation(1), 1, to=address.address))
        assert meetings_to_log(kam_user, NOW) == []
    after = datetime(2026, 3, 12, 18, 5, tzinfo=UTC)
    with time_machine.travel(after, tick=False):
        page = client_for(kam_user).get(reverse("my_work"))
    assert [m.title for m in page.context["work"].meetings_to_log] == ["Renewal kickoff"]


def test_an_invite_matching_no_account_waits_in_triage_and_log_here_plans_it(
    address, account, kam_user
):
    raw = forwarded(invitation(1), 1, to=address.address).replace(b"acme.com.br", b"nowhere.org")
    message = services.message_receive(raw=raw, via="smtp", envelope_to=[address.address])
    with time_machine.travel(NOW, tick=False):
        message = services.message_process(message_id=message.pk)
        assert message.status == MessageStatus.TRIAGE
        assert message.calendars and not PlannedMeeting.objects.exists()
        message = services.message_assign(message=message, account=account, actor=kam_user)
    assert message.status == MessageStatus.LOGGED
    assert message.calendars == []
    assert message.interaction is None
    assert PlannedMeeting.objects.get().account == account


def test_an_unreadable_invite_leaves_the_email_logged_as_an_email_with_a_warning(
    address, account, carla
):
    raw = invitation(1).replace(b"DTSTART:20260312T170000Z\n", b"")
    assert b"DTSTART" not in raw
    raw = forwarded(raw, 1, to=address.address)
    message = services.message_receive(raw=raw, via="smtp", envelope_to=[address.address])
    with time_machine.travel(NOW, tick=False):
        message = services.message_process(message_id=message.pk)
    assert message.status == MessageStatus.LOGGED
    assert message.interaction is not None
    assert any("Calendar invite not taken" in warning for warning in message.warnings)
    assert not PlannedMeeting.objects.exists()


def test_the_invite_outcome_is_written_in_the_owners_language(address, account, carla, kam_user):
    kam_user.language = "pt-br"
    kam_user.save()
    raw = forwarded(invitation(1), 1, to=address.address)
    message = services.message_receive(raw=raw, via="smtp", envelope_to=[address.address])
    with time_machine.travel(NOW, tick=False):
        message = services.message_process(message_id=message.pk)
    assert message.reason.startswith("Convite de calendário: reunião “Renewal kickoff” planejada")
