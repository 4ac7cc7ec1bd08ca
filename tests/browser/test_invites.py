"""A calendar invite becomes a planned meeting, and once over it is offered for logging (issue
17, point 6): an .ics uploaded on the account page (the way mail capture's invites are
applied), then My work's "Log it" opens the quick log filled from the meeting; saved with a
next step, the prompt is gone. The meeting is made in the past rather than the clock moved:
the live server runs on the real clock."""

from datetime import UTC, timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activities.models import Commitment, Interaction, MeetingStatus, PlannedMeeting
from tests.browser.conftest import screenshot
from tests.browser.labels import t
from tests.factories import PASSWORD, AccountFactory, StakeholderFactory, UserFactory


def _ics() -> str:
    """Two events: one ahead (the account's planned meetings list), one over an hour ago."""
    now = timezone.now().astimezone(UTC).replace(second=0, microsecond=0)

    def stamp(moment):
        return moment.strftime("%Y%m%dT%H%M%SZ")

    lines = ["BEGIN:VCALENDAR", "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
             "VERSION:2.0", "METHOD:REQUEST"]  # fmt: skip
    for uid, title, starts in [
        ("ahead@google.com", "Roadmap review", now + timedelta(days=2)),
        ("over@google.com", "Renewal kickoff", now - timedelta(hours=2)),
    ]:
        lines += [
            "BEGIN:VEVENT", f"UID:{uid}", "SEQUENCE:0", f"DTSTART:{stamp(starts)}",
            f"DTEND:{stamp(starts + timedelta(hours=1))}", f"SUMMARY:{title}",
            "ORGANIZER;CN=Karina:mailto:karina@example.com",
            "ATTENDEE;CN=Ana Lima;PARTSTAT=ACCEPTED:mailto:Ana.Lima@Acme.com.br",
            "END:VEVENT",
        ]  # fmt: skip
    return "\r\n".join([*lines, "END:VCALENDAR", ""])


@pytest.mark.parametrize("ui_language", ["en", "pt-br"])
def test_an_uploaded_invite_is_planned_then_logged_from_my_work(
    page, login, transactional_db, ui_language, tmp_path
):
    def _(text, **values):
        return t(ui_language, text, **values)

    owner = UserFactory(
        email="karina@example.com", full_name="Karina Almeida", language=ui_language
    )
    account = AccountFactory(name="Acme Brasil", owner=owner)
    ana = StakeholderFactory(
        account=account, name="Ana Lima", title="CFO", email="ana.lima@acme.com.br"
    )
    invite = tmp_path / "invite.ics"
    invite.write_text(_ics(), encoding="utf-8")
    login("karina@example.com", PASSWORD)

    page.goto(f"/accounts/{account.pk}/")
    page.get_by_label(_("Add a calendar invite (.ics)")).set_input_files(str(invite))
    page.get_by_role("button", name=_("Add invite")).click()
    planned = page.get_by_role("region", name=_("Planned meetings"))
    expect(planned).to_contain_text("Roadmap review")
    expect(planned).not_to_contain_text("Renewal kickoff")  # over: not ahead any more

    page.goto("/")
    to_log = page.get_by_role("region", name=_("Meetings to log"))
    expect(to_log).to_contain_text("Renewal kickoff")
    expect(to_log).not_to_contain_text("Roadmap review")
    screenshot(page, f"meetings-to-log-{ui_language}")
    to_log.get_by_role("link", name=f"{_('Log it')} “Renewal kickoff”").click()

    quick_log = page.get_by_role("form", name=_("Log an interaction"))
    expect(quick_log.get_by_label(_("Summary"))).to_have_value("Renewal kickoff")
    expect(quick_log.get_by_label("Ana Lima · CFO")).to_be_checked()
    quick_log.get_by_label(_("Next step")).fill("Send the contract draft")
    quick_log.get_by_role("button", name=_("Save interaction")).click()

    page.wait_for_url(lambda url: urlsplit(url).path == "/")  # back on My work
    expect(page.get_by_role("heading", name=_("My work"), exact=True)).to_be_visible()
    expect(page.get_by_role("region", name=_("Meetings to log"))).to_have_count(0)
    meeting = PlannedMeeting.objects.get(title="Renewal kickoff")
    assert meeting.status == MeetingStatus.LOGGED
    interaction = Interaction.objects.get(account=account)
    assert (interaction.kind, list(interaction.stakeholders.all())) == ("meeting", [ana])
    assert Commitment.objects.get(source_interaction=interaction).title == "Send the contract draft"
