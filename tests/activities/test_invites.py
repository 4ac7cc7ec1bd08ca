"""Calendar invites: the pure parser (a table of hand-written Google, Outlook and Apple
samples), applying them as planned meetings, and My work's prompt to log them once over."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from activities.invites import Invite, InviteRefused, invites_parse
from activities.models import Commitment, Interaction, MeetingStatus, PlannedMeeting
from activities.services import (
    NextStep,
    interaction_undo,
    meeting_dismiss,
    meeting_invite_apply,
    meeting_invites_apply_text,
    meeting_log,
)
from tests.factories import StakeholderFactory

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def ics(*lines: str, method: str | None = "REQUEST", prodid="-//Test//EN") -> str:
    head = ["BEGIN:VCALENDAR", f"PRODID:{prodid}", "VERSION:2.0"]
    if method:
        head.append(f"METHOD:{method}")
    return "\r\n".join([*head, *lines, "END:VCALENDAR", ""])


GOOGLE = ics(
    "BEGIN:VEVENT",
    "DTSTART:20261210T170000Z",
    "DTEND:20261210T180000Z",
    "DTSTAMP:20261201T120000Z",
    "ORGANIZER;CN=Olivia Owner:mailto:owner@example.com",
    "UID:7kukuqrfedlm2f9t2vb7cooshc@google.com",
    "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE",
    " ;CN=Carla Chefe;X-NUM-GUESTS=0:mailto:Carla@Acme.com.br",
    "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=TRUE",
    " ;CN=owner@example.com;X-NUM-GUESTS=0:mailto:owner@example.com",
    "SEQUENCE:0",
    "STATUS:CONFIRMED",
    "SUMMARY:Renewal kickoff",
    "DESCRIPTION:Agenda: prices\\, volumes\\nand the SLA.",
    "LOCATION:Google Meet",
    "END:VEVENT",
    prodid="-//Google Inc//Google Calendar 70.9054//EN",
)

OUTLOOK = ics(
    "BEGIN:VTIMEZONE",
    "TZID:E. South America Standard Time",
    "BEGIN:STANDARD",
    "DTSTART:16010101T000000",
    "TZOFFSETFROM:-0300",
    "TZOFFSETTO:-0300",
    "END:STANDARD",
    "END:VTIMEZONE",
    "BEGIN:VEVENT",
    "ORGANIZER;CN=Carla Chefe:mailto:carla@acme.com.br",
    'ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN="Owner, Olivia":',
    " mailto:OWNER@example.com",
    "ATTENDEE;ROLE=OPT-PARTICIPANT;CN=Bruno:mailto:bruno@acme.com.br",
    "DESCRIPTION;LANGUAGE=pt-BR:Revisão do contrato\\n",
    "UID:040000008200E00074C5B7101A82E00800000000A0B1C2D3E4F5G6H7",
    "SUMMARY;LANGUAGE=pt-BR:Revisão do contrato",
    'DTSTART;TZID="E. South America Standard Time":20261210T140000',
    'DTEND;TZID="E. South America Standard Time":20261210T153000',
    "SEQUENCE:2",
    "LOCATION;LANGUAGE=pt-BR:Sala 3",
    "END:VEVENT",
    prodid="-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN",
)

APPLE = ics(
    "CALSCALE:GREGORIAN",
    "BEGIN:VEVENT",
    "CREATED:20261201T120000Z",
    "UID:3F2504E0-4F89-11D3-9A0C-0305E82C3301",
    "DTEND;TZID=America/Recife:20261211T100000",
    "TRANSP:OPAQUE",
    "SUMMARY:Site visit",
    "DTSTART;TZID=America/Recife:20261211T090000",
    "DTSTAMP:20261201T120000Z",
    "SEQUENCE:1",
    "END:VEVENT",
    method="PUBLISH",
    prodid="-//Apple Inc.//macOS 15.0//EN",
)


def event(*lines: str, method="REQUEST", uid="meeting-1@example.com", sequence=0) -> str:
    return ics("BEGIN:VEVENT", f"UID:{uid}", f"SEQUENCE:{sequence}", *lines, "END:VEVENT",
               method=method)  # fmt: skip


def at(year, month, day, hour=0, minute=0, tz=UTC) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz)


PARSED = [
    pytest.param(
        GOOGLE,
        {
            "uid": "7kukuqrfedlm2f9t2vb7cooshc@google.com",
            "method": "REQUEST",
            "sequence": 0,
            "summary": "Renewal kickoff",
            "description": "Agenda: prices, volumes\nand the SLA.",
            "location": "Google Meet",
            "starts_at": at(2026, 12, 10, 17),
            "ends_at": at(2026, 12, 10, 18),
            "organizer_email": "owner@example.com",
            "attendee_emails": ("carla@acme.com.br", "owner@example.com"),
            "recurring": False,
        },
        id="google",
    ),
    pytest.param(
        OUTLOOK,
        {
            "summary": "Revisão do contrato",
            "sequence": 2,
            "location": "Sala 3",
            # The Windows zone name is São Paulo's: 14:00 there is 17:00 UTC.
            "starts_at": at(2026, 12, 10, 17),
            "ends_at": at(2026, 12, 10, 18, 30),
            "organizer_email": "carla@acme.com.br",
            "attendee_emails": ("owner@example.com", "bruno@acme.com.br"),
        },
        id="outlook-windows-tzid",
    ),
    pytest.param(
        APPLE,
        {
            "method": "REQUEST",
            "sequence": 1,
            "starts_at": at(2026, 12, 11, 12),
            "ends_at": at(2026, 12, 11, 13),
            "attendee_emails": (),
        },
        id="apple-publish",
    ),
    pytest.param(
        event("DTSTART:20261210T170000Z", method="CANCEL", sequence=3),
        {"method": "CANCEL", "sequence": 3, "starts_at": at(2026, 12, 10, 17)},
        id="cancel",
    ),
    pytest.param(
        event("DTSTART:20261210T170000Z", "STATUS:CANCELLED"),
        {"method": "CANCEL"},
        id="status-cancelled-is-a-cancel",
    ),
    pytest.param(
        event(method="CANCEL"),
        {"method": "CANCEL", "starts_at": None, "ends_at": None},
        id="cancel-without-a-time",
    ),
    pytest.param(
        event("DTSTART;VALUE=DATE:20261210", "DTEND;VALUE=DATE:20261211", "SUMMARY:Offsite"),
        {"starts_at": at(2026, 12, 10, tz=SAO_PAULO), "ends_at": at(2026, 12, 11, tz=SAO_PAULO)},
        id="all-day",
    ),
    pytest.param(
        event("DTSTART;VALUE=DATE:20261210"),
        {"starts_at": at(2026, 12, 10, tz=SAO_PAULO), "ends_at": at(2026, 12, 11, tz=SAO_PAULO)},
        id="all-day-without-end-is-one-day",
    ),
    pytest.param(
        event("DTSTART:20261210T090000", "DURATION:PT45M"),
        {
            "starts_at": at(2026, 12, 10, 9, tz=SAO_PAULO),
            "ends_at": at(2026, 12, 10, 9, 45, tz=SAO_PAULO),
        },
        id="floating-with-duration",
    ),
    pytest.param(
        event(
            "DTSTART;TZID=Mars/Olympus:20261210T090000", "DTEND;TZID=Mars/Olympus:20261210T100000"
        ),
        {"starts_at": at(2026, 12, 10, 9, tz=SAO_PAULO)},
        id="unknown-zone-read-in-the-default",
    ),
    pytest.param(
        event("DTSTART:20261210T170000Z", "DTEND:20261210T180000Z", "RRULE:FREQ=WEEKLY;COUNT=4"),
        {"recurring": True, "starts_at": at(2026, 12, 10, 17)},
        id="recurring-first-occurrence",
    ),
    pytest.param(
        event("DTSTART:20261210T170000Z", "SUMMARY:" + "x" * 400),
        {"summary": "x" * 300, "ends_at": at(2026, 12, 10, 17)},
        id="long-summary-cut-no-end-is-zero-length",
    ),
    pytest.param(
        event("DTSTART:20261210T170000Z", "ATTENDEE:urn:uuid:123", "ATTENDEE:mailto:nobody"),
        {"attendee_emails": ()},
        id="addresses-that-are-not-mail-dropped",
    ),
    pytest.param(
        event("DTSTART:20261210T170000Z", method=None),
        {"method": "REQUEST"},
        id="no-method-is-a-request",
    ),
]


@pytest.mark.parametrize(("text", "expected"), PARSED)
def test_invites_parse_reads_the_samples(text, expected):
    [invite] = invites_parse(text, default_tz=SAO_PAULO)
    assert {name: getattr(invite, name) for name in expected} == expected
    if invite.starts_at is not None:
        assert invite.starts_at.tzinfo is not None and invite.ends_at >= invite.starts_at


def test_a_series_with_a_changed_occurrence_gives_the_series():
    text = ics(
        "BEGIN:VEVENT", "UID:s1", "RECURRENCE-ID:20261217T170000Z", "DTSTART:20261218T170000Z",
        "SUMMARY:Moved one", "END:VEVENT",
        "BEGIN:VEVENT", "UID:s1", "DTSTART:20261210T170000Z", "RRULE:FREQ=WEEKLY",
        "SUMMARY:Weekly sync", "END:VEVENT",
    )  # fmt: skip
    [invite] = invites_parse(text)
    assert (invite.summary, invite.recurring) == ("Weekly sync", True)


JUNK = [
    pytest.param("", id="empty"),
    pytest.param("hello, this is an email", id="plain-text"),
    pytest.param("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n", id="truncated"),
    pytest.param(ics(method="REQUEST"), id="no-event"),
    pytest.param(event("DTSTART:20261210T170000Z", method="REPLY"), id="a-reply"),
    pytest.param(ics("BEGIN:VEVENT", "DTSTART:20261210T170000Z", "END:VEVENT"), id="no-uid"),
    pytest.param(event("SUMMARY:When?"), id="request-without-start"),
    pytest.param(event("DTSTART:garbage"), id="unreadable-start"),
    pytest.param(
        event("DTSTART:20261210T170000Z", "DTEND:20261210T160000Z"), id="ends-before-start"
    ),
    pytest.param(event("DTSTART:20261210T170000Z", "SEQUENCE:abc"), id="bad-sequence"),
    pytest.param("x" * 1_000_001, id="too-large"),
]


@pytest.mark.parametrize("text", JUNK)
def test_invites_parse_refuses_junk_with_a_reason(text):
    with pytest.raises(InviteRefused) as refused:
        invites_parse(text)
    assert refused.value.reason


# --- applying invites ----------------------------------------------------------------------


def invite(**changes) -> Invite:
    fields = {
        "uid": "meeting-1@example.com",
        "sequence": 0,
        "method": "REQUEST",
        "summary": "Renewal kickoff",
        "description": "",
        "location": "",
        "starts_at": at(2026, 3, 12, 17),
        "ends_at": at(2026, 3, 12, 18),
        "organizer_email": "owner@example.com",
        "attendee_emails": ("carla@acme.com.br", "owner@example.com", "newbie@acme.com.br"),
    }
    return Invite(**{**fields, **changes})


@pytest.fixture
def carla(account):
    return StakeholderFactory(account=account, name="Carla Chefe", email="Carla@Acme.com.br")


def test_a_request_creates_a_meeting_with_its_stakeholders_and_the_other_addresses(
    account, kam_user, carla, now
):
    StakeholderFactory(account=account, name="Gone", email="newbie@acme.com.br", left_on=now.date())
    meeting = meeting_invite_apply(user=kam_user, account=account, invite=invite())
    assert meeting.status == MeetingStatus.SCHEDULED
    assert list(meeting.attendees.all()) == [carla]
    # Our own address is not kept; one who left the company is only an address.
    assert meeting.attendee_emails == ["newbie@acme.com.br"]


def test_an_update_with_a_higher_sequence_moves_it_and_a_lower_one_is_ignored(
    account, kam_user, now
):
    meeting_invite_apply(user=kam_user, account=account, invite=invite())
    moved = at(2026, 3, 13, 14)
    meeting_invite_apply(
        user=kam_user,
        account=account,
        invite=invite(sequence=2, starts_at=moved, ends_at=moved + timedelta(hours=1)),
    )
    meeting_invite_apply(user=kam_user, account=account, invite=invite(sequence=1))
    meeting = PlannedMeeting.objects.get()
    assert (meeting.starts_at, meeting.sequence) == (moved, 2)


def test_a_cancel_cancels_and_the_older_request_arriving_late_does_not_bring_it_back(
    account, kam_user, now
):
    meeting_invite_apply(user=kam_user, account=account, invite=invite())
    meeting_invite_apply(user=kam_user, account=account, invite=invite(method="CANCEL", sequence=1))
    meeting_invite_apply(user=kam_user, account=account, invite=invite(sequence=1))
    assert PlannedMeeting.objects.get().status == MeetingStatus.CANCELLED
    meeting_invite_apply(user=kam_user, account=account, invite=invite(sequence=2))
    assert PlannedMeeting.objects.get().status == MeetingStatus.SCHEDULED


def test_a_cancel_for_an_unknown_meeting_with_no_time_is_refused(account, kam_user, now):
    with pytest.raises(ValidationError):
        meeting_invite_apply(
            user=kam_user,
            account=account,
            invite=invite(method="CANCEL", starts_at=None, ends_at=None),
        )


def test_the_database_refuses_a_meeting_ending_before_it_starts(account, kam_user):
    with pytest.raises(IntegrityError), transaction.atomic():
        PlannedMeeting.objects.create(
            account=account, owner=kam_user, uid="x", title="Backwards",
            starts_at=at(2026, 3, 12, 18), ends_at=at(2026, 3, 12, 17),
        )  # fmt: skip


def test_is_to_log_agrees_with_the_queryset(account, kam_user, now):
    for index, (ends, status, dismissed) in enumerate([
        (now - timedelta(hours=1), MeetingStatus.SCHEDULED, None),
        (now + timedelta(hours=1), MeetingStatus.SCHEDULED, None),
        (now - timedelta(hours=1), MeetingStatus.CANCELLED, None),
        (now - timedelta(hours=1), MeetingStatus.SCHEDULED, now),
        (now, MeetingStatus.SCHEDULED, None),
    ]):  # fmt: skip
        PlannedMeeting.objects.create(
            account=account, owner=kam_user, uid=f"m{index}", title=f"M{index}",
            starts_at=ends - timedelta(hours=1), ends_at=ends, status=status,
            prompt_dismissed_at=dismissed,
        )  # fmt: skip
    by_rule = {m.uid for m in PlannedMeeting.objects.all() if m.is_to_log(now)}
    assert by_rule == set(PlannedMeeting.objects.to_log(now).values_list("uid", flat=True))
    assert by_rule == {"m0", "m4"}


# --- My work: after the end, one prompt until logged or dismissed ---------------------------


def _my_work_meetings(client):
    return [m.title for m in client.get(reverse("my_work")).context["work"].meetings_to_log]


def test_after_its_end_the_meeting_is_offered_on_my_work_and_logging_it_removes_the_prompt(
    client_for, account, kam_user, carla, now
):
    meeting = meeting_invite_apply(user=kam_user, account=account, invite=invite())
    client = client_for(kam_user)
    assert _my_work_meetings(client) == []  # 10 March: the meeting is on the 12th
    with time_machine.travel(at(2026, 3, 12, 18, 5), tick=False):
        page = client.get(reverse("my_work"))
        assert [m.title for m in page.context["work"].meetings_to_log] == ["Renewal kickoff"]
        assert "Meetings to log" in page.content.decode()
        form = client.get(reverse("interaction_create", args=[account.pk]), {"meeting": meeting.pk})
        initial = form.context["log_form"].initial
        assert (initial["kind"], initial["summary"], initial["stakeholders"]) == (
            "meeting", "Renewal kickoff", [str(carla.pk)],
        )  # fmt: skip
        assert initial["occurred_at"] == at(2026, 3, 12, 17)
        response = client.post(
            reverse("interaction_create", args=[account.pk]),
            {
                "meeting": meeting.pk,
                "log-kind": "meeting",
                "log-occurred_at": "2026-03-12T14:00",
                "log-stakeholders": [carla.pk],
                "log-summary": "Renewal kickoff: prices agreed",
                "log-sentiment": "1",
                "log-category": "evolution",
                "next_steps-TOTAL_FORMS": "1",
                "next_steps-INITIAL_FORMS": "0",
                "next_steps-0-title": "Send the contract draft",
                "next_steps-0-owner": f"u{kam_user.pk}",
                "next_steps-0-due_date": "2026-03-19",
            },
        )
        assert response.status_code == 302 and response.url == reverse("my_work")
        assert _my_work_meetings(client) == []
    meeting.refresh_from_db()
    interaction = Interaction.objects.get(account=account)
    assert meeting.status == MeetingStatus.LOGGED and meeting.logged_interaction == interaction
    assert (interaction.kind, list(interaction.stakeholders.all())) == ("meeting", [carla])
    assert Commitment.objects.get(source_interaction=interaction).title == "Send the contract draft"


def test_dismissing_removes_the_prompt_and_a_move_brings_it_back(
    client_for, account, kam_user, now
):
    over = invite(starts_at=now - timedelta(hours=1), ends_at=now - timedelta(minutes=1))
    meeting_invite_apply(user=kam_user, account=account, invite=over)
    meeting = PlannedMeeting.objects.get()
    client = client_for(kam_user)
    assert _my_work_meetings(client) == ["Renewal kickoff"]
    response = client.post(reverse("meeting_dismiss", args=[meeting.pk]))
    assert response.status_code == 302
    assert _my_work_meetings(client) == []
    later = now - timedelta(minutes=30)
    moved = invite(sequence=1, starts_at=later - timedelta(minutes=10), ends_at=later)
    meeting_invite_apply(user=kam_user, account=account, invite=moved)
    assert _my_work_meetings(client) == ["Renewal kickoff"]


def test_meeting_log_is_its_owners_once_and_undo_brings_the_prompt_back(
    account, kam_user, team_member, carla, now
):
    meeting = meeting_invite_apply(
        user=kam_user,
        account=account,
        invite=invite(starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1)),
    )
    fields = {"occurred_at": meeting.starts_at, "summary": "Went well", "stakeholders": [carla]}
    with pytest.raises(ValidationError):
        meeting_log(user=team_member, meeting=meeting, **fields)
    interaction = meeting_log(
        user=kam_user,
        meeting=meeting,
        next_steps=[NextStep("Send it", now.date() + timedelta(days=3), owner_user=kam_user)],
        **fields,
    )
    with pytest.raises(ValidationError):
        meeting_log(user=kam_user, meeting=meeting, **fields)
    with pytest.raises(ValidationError):
        meeting_dismiss(user=kam_user, meeting=meeting)
    interaction_undo(interaction=interaction, actor=kam_user)
    meeting.refresh_from_db()
    assert meeting.is_to_log(now) and meeting.logged_interaction is None


def test_a_meeting_of_another_user_cannot_be_logged_from_the_form(
    client_for, account, kam_user, team_member, now
):
    meeting = meeting_invite_apply(user=kam_user, account=account, invite=invite())
    url = reverse("interaction_create", args=[account.pk])
    assert client_for(team_member).get(url, {"meeting": meeting.pk}).status_code == 404


# --- the account page's upload ---------------------------------------------------------------


def test_uploading_an_ics_on_the_account_adds_the_meeting_and_the_page_lists_it(
    client_for, account, kam_user, carla, now
):
    client = client_for(kam_user)
    upload = SimpleUploadedFile("invite.ics", OUTLOOK.encode(), content_type="text/calendar")
    response = client.post(reverse("meeting_invite_upload", args=[account.pk]), {"file": upload})
    assert response.status_code == 302
    meeting = PlannedMeeting.objects.get(owner=kam_user)
    assert (meeting.title, list(meeting.attendees.all())) == ("Revisão do contrato", [carla])
    page = client.get(reverse("account_detail", args=[account.pk]))
    assert [m.title for m in page.context["upcoming_meetings"]] == ["Revisão do contrato"]


def test_uploading_junk_says_why_and_writes_nothing(client_for, account, kam_user, now):
    client = client_for(kam_user)
    upload = SimpleUploadedFile("notes.ics", b"not a calendar", content_type="text/calendar")
    response = client.post(
        reverse("meeting_invite_upload", args=[account.pk]), {"file": upload}, follow=True
    )
    assert "not a calendar invitation" in response.content.decode()
    assert not PlannedMeeting.objects.exists()


def test_a_file_of_several_events_is_applied_whole_or_not_at_all(account, kam_user, now):
    text = ics(
        "BEGIN:VEVENT", "UID:a", "DTSTART:20261210T170000Z", "SUMMARY:First", "END:VEVENT",
        "BEGIN:VEVENT", "UID:b", "SUMMARY:Cancelled, no time", "STATUS:CANCELLED", "END:VEVENT",
    )  # fmt: skip
    with pytest.raises(ValidationError):
        meeting_invites_apply_text(user=kam_user, account=account, text=text)
    assert not PlannedMeeting.objects.exists()
