"""Follow-through in a real Chromium (issue "Follow-through", 'Done when'): a plan action due
yesterday is overdue in My work and in the QBR prep pack's gaps; rescheduling it in place asks
for a reason, which its history then shows; in English and Portuguese."""

import re
from datetime import timedelta
from functools import partial

import pytest
from django.utils import formats, timezone, translation
from playwright.sync_api import expect

from activities.models import CommitmentEvent
from activities.services import qbr_schedule
from plans import services as plan_services
from tests.browser.conftest import screenshot
from tests.browser.labels import t
from tests.factories import PASSWORD, AccountFactory, UserFactory
from tests.plans.factories import AccountPlanFactory

ACTION = "Send the savings study"


@pytest.mark.parametrize("ui_language", ["en", "pt-br"])
def test_a_late_plan_action_is_chased_and_rescheduled_with_a_reason(
    page, login, transactional_db, ui_language
):
    _ = partial(t, ui_language)
    owner = UserFactory(
        email="karina@example.com", full_name="Karina Almeida", language=ui_language
    )
    account = AccountFactory(name="Acme Brasil", owner=owner)
    plan = AccountPlanFactory(account=account, status="active")
    today = timezone.localdate()
    action = plan_services.action_create(
        plan=plan, actor=owner, title=ACTION, owner_user=owner, due_date=today - timedelta(days=1)
    )
    qbr = qbr_schedule(account=account, actor=owner, scheduled_on=today + timedelta(days=3))
    login("karina@example.com", PASSWORD)

    # My work: overdue.
    overdue = page.get_by_role("region", name=re.compile("^" + _("Overdue")))
    expect(overdue).to_contain_text(ACTION)

    # The prep pack's gaps count it.
    page.goto(f"/qbrs/{qbr.pk}/prep/")
    gaps = page.get_by_role("region", name=re.compile(_("Gaps: overdue commitments")))
    expect(gaps).to_contain_text(ACTION)
    screenshot(page, f"followthrough-prep-{ui_language}")

    # Reschedule it in place from My work: without a reason it is refused, with one it moves.
    page.goto("/")
    page.wait_for_url(lambda url: url.endswith("/"))
    row = page.locator(f"#commitment-{action.pk}")
    row.get_by_role("link", name=_("Reschedule “{title}”", title=ACTION)).click()
    panel = page.locator(f"#follow-up-{action.pk}")
    new_due = today + timedelta(days=10)
    panel.get_by_label(_("New due date")).fill(new_due.isoformat())
    panel.get_by_role("button", name=_("Save")).click()
    expect(panel.get_by_text(_("This field is required."))).to_be_visible()
    panel.get_by_label(_("Why it moves")).fill("Waiting for their usage data")
    panel.get_by_role("button", name=_("Save")).click()
    with translation.override(ui_language):
        shown = formats.date_format(new_due, "SHORT_DATE_FORMAT")
    expect(row).to_contain_text(_("due {date}", date=shown))

    row.get_by_role("link", name=_("History “{title}”", title=ACTION)).click()
    expect(panel).to_contain_text("Waiting for their usage data")
    expect(panel).to_contain_text(_("Rescheduled"))
    screenshot(page, f"followthrough-history-{ui_language}")

    event = action.events.get(verb=CommitmentEvent.Verb.RESCHEDULED)
    assert (event.reason, event.actor) == ("Waiting for their usage data", owner)
    action.refresh_from_db()
    assert action.due_date == new_due
