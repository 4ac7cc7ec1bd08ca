"""Follow-through in a real Chromium (issue "Follow-through", 'Done when'): a plan action due
yesterday is overdue in My work and in the QBR prep pack's gaps; rescheduling it in place asks
for a reason, which its history then shows; in English and Portuguese."""

import re
from datetime import date, timedelta
from functools import partial

import pytest
from django.conf import settings
from django.utils import formats, timezone, translation
from playwright.sync_api import expect

from accounts.business_hours import holiday_dates
from accounts.health_text import reason_text
from accounts.models import HealthScore, Tier
from accounts.services import scoring_defaults_ensure, stakeholder_create
from activities.models import (
    ClientRequest,
    CommitmentEvent,
    Notification,
    PlaybookFiring,
    ReminderKind,
)
from activities.reminders import sla_check
from activities.services import qbr_schedule
from insights.playbooks import playbook_defaults_ensure
from insights.services import health_recompute
from insights.tasks import playbooks_evaluate_accounts
from kam.dates import business_date
from kam.models import OutboxTask, Role
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
    today = business_date()
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


def _working_friday_before(day: date) -> date:
    """The last Friday on or before `day` that is, with the Monday after it, no holiday in São
    Paulo (the default calendar's state)."""
    day -= timedelta(days=(day.weekday() - 4) % 7)
    while any(d in holiday_dates("SP", d.year) for d in (day, day + timedelta(days=3))):
        day -= timedelta(days=7)
    return day


@pytest.mark.parametrize("ui_language", ["en", "pt-br"])
def test_a_strategic_request_breaches_across_a_weekend_and_owner_then_leader_hear_once(
    page, login, transactional_db, ui_language, default_working_calendar
):
    """Logged on a Friday at 14:00 on a strategic account with a 12-hour target: Friday 14–18
    (4 h) and Monday 09–17 (8 h) are the 12 business hours, so it is due Monday at 17:00, not
    Saturday 02:00. check_sla, run a quarter of an hour later, tells the owner and their leader
    once. The Friday is a working one of the last weeks, so the request stays inside the 90-day
    windows the health and the dashboard read whenever the test runs."""
    _ = partial(t, ui_language)
    scoring_defaults_ensure()
    Tier.objects.filter(key="strategic").update(response_sla_hours=12)
    leader = UserFactory(
        email="luciana@example.com", full_name="Luciana Ferreira", role=Role.LEADER,
        language=ui_language,
    )  # fmt: skip
    owner = UserFactory(
        email="karina@example.com", full_name="Karina Almeida", language=ui_language,
        manager=leader,
    )  # fmt: skip
    account = AccountFactory(
        name="Acme Brasil", owner=owner, tier=Tier.objects.get(key="strategic")
    )
    friday = _working_friday_before(business_date() - timedelta(days=7))
    login("karina@example.com", PASSWORD)
    page.goto(f"/accounts/{account.pk}/requests/")
    form = page.locator("form", has=page.get_by_role("button", name=_("Record request")))
    form.get_by_label(_("Subject")).fill("Copy of the November invoice")
    form.get_by_label(_("Received at")).fill(f"{friday.isoformat()}T14:00")
    form.get_by_role("button", name=_("Record request")).click()

    request = ClientRequest.objects.get(subject="Copy of the November invoice")
    due = timezone.localtime(request.first_response_due_at)
    assert (due.date(), due.hour, due.minute) == (friday + timedelta(days=3), 17, 0)
    with translation.override(ui_language):
        shown = formats.date_format(due, "SHORT_DATETIME_FORMAT")
    row = page.locator(f"#request-{request.pk}")
    expect(row).to_contain_text(_("due {date}", date=shown))
    screenshot(page, f"followthrough-request-{ui_language}")

    # The 15-minute job, twice, a quarter of an hour after the due moment (the resolution clock
    # still runs): the owner and the leader hear of the breach once each.
    checked_at = request.first_response_due_at + timedelta(minutes=15)
    assert request.resolution_due_at > checked_at
    first = sla_check(now=checked_at)
    assert sla_check(now=checked_at)[ReminderKind.SLA_BREACH] == 0
    assert first[ReminderKind.SLA_BREACH] == 2
    notices = Notification.objects.filter(kind=Notification.Kind.SLA_BREACH)
    assert sorted(notices.values_list("user__email", flat=True)) == [
        "karina@example.com",
        "luciana@example.com",
    ]
    page.goto("/notifications/")
    expect(page.get_by_role("main")).to_contain_text("Copy of the November invoice")

    # The health explanation shows the SLA component with its reason.
    health_recompute(account_ids=[account.pk], day=business_date())
    page.goto(f"/accounts/{account.pk}/")
    components = page.get_by_role("table", name=_("Health components, weakest first"))
    expect(components).to_contain_text(_("Response times (SLA)"))
    components_stored = HealthScore.objects.filter(account=account).latest("day").components
    stored = next(c for c in components_stored if c["key"] == "sla")
    with translation.override(ui_language):
        reason = reason_text(stored["reason"])
    assert "90" in reason  # the SLA reason, not a "left out" one
    expect(components).to_contain_text(reason)
    screenshot(page, f"followthrough-health-sla-{ui_language}")

    # The leader's dashboard shows SLA compliance by tier and by KAM.
    page.context.clear_cookies()
    login("luciana@example.com", PASSWORD)
    page.goto("/portfolio/")
    expect(page.get_by_role("heading", name=_("SLA compliance by tier"))).to_be_visible()
    by_kam = page.locator(
        "section", has=page.get_by_role("heading", name=_("SLA compliance by KAM"))
    )
    expect(by_kam).to_contain_text("Karina Almeida")
    screenshot(page, f"followthrough-dashboard-sla-{ui_language}")


@pytest.mark.parametrize("ui_language", ["en", "pt-br"])
def test_the_champion_departure_playbook_puts_its_steps_in_my_work(
    page, login, transactional_db, ui_language
):
    _ = partial(t, ui_language)
    playbook_defaults_ensure()
    owner = UserFactory(
        email="karina@example.com", full_name="Karina Almeida", language=ui_language
    )
    account = AccountFactory(name="Acme Brasil", owner=owner)
    champion = stakeholder_create(
        account=account, actor=owner, name="Bruno Reis", title="IT manager", buying_role="champion"
    )
    login("karina@example.com", PASSWORD)
    page.goto(f"/accounts/{account.pk}/stakeholders/{champion.pk}/edit/")
    page.get_by_label(_("Left the company on")).fill(business_date().isoformat())
    page.get_by_role("button", name=_("Save"), exact=True).click()
    page.wait_for_url(lambda url: "/edit/" not in url)

    # The departure queued the account's playbooks through the outbox; the worker runs them.
    queued = OutboxTask.objects.filter(task="insights.tasks.playbooks_evaluate_accounts")
    assert [account.pk] in [task.args[0] for task in queued]
    playbooks_evaluate_accounts([account.pk])

    page.goto("/")
    # Items are written in the installation's language when the playbook fires.
    with translation.override(settings.LANGUAGE_CODE):
        step = str(translation.gettext("Identify and meet the new contact"))
    expect(page.get_by_role("main")).to_contain_text(step)
    screenshot(page, f"followthrough-playbook-{ui_language}")
    firing = PlaybookFiring.objects.get(account=account, playbook__key="champion_departure")
    assert firing.items.count() == firing.playbook.steps.count()
    assert playbooks_evaluate_accounts([account.pk])["fired"] == 0
