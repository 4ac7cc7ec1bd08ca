"""Issue 16, points 2 and 7 in a real Chromium, in English at 1440×900 and Portuguese at
390×844: a log from the global "Log interaction" page is confirmed (what, where, Undo) and can
be undone; the summary counts its characters; long notes on the timeline fold and unfold."""

import re
from datetime import timedelta
from functools import partial

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.services import stakeholder_create
from activities.models import Interaction
from activities.services import interaction_log
from plans.services import business_unit_create
from tests.browser.conftest import BROWSER_LOCALES, log_in
from tests.browser.labels import t
from tests.browser.test_accessibility import (
    AXE,
    LANGUAGE_AND_SCREEN,
    PHONE,
    _axe_violations,
    _screenshot,
    _sideways_scroll,
)
from tests.factories import PASSWORD, AccountFactory, UserFactory
from tests.plans.factories import AccountPlanFactory, ProductFactory


def _karina(language):
    owner = UserFactory(email="karina@example.com", full_name="Karina Almeida", language=language)
    account = AccountFactory(name="Acme Brasil", owner=owner)
    stakeholder_create(
        account=account, actor=owner, name="Ana Lima", title="CFO", buying_role="decision_maker"
    )
    return owner, account


def _open_global_log(page, _, viewport):
    if viewport == PHONE:  # the menu is folded behind its button
        page.get_by_role("button", name=_("Toggle navigation")).click()
    # The menu's link (on a phone the floating button is a second one).
    page.get_by_role("navigation").get_by_role("link", name=_("Log interaction")).click()
    page.wait_for_url(re.compile(r"/log/$"))


@LANGUAGE_AND_SCREEN
def test_a_log_from_the_global_page_is_confirmed_linked_and_undone(
    page, login, transactional_db, ui_language, viewport
):
    _ = partial(t, ui_language)
    _owner, account = _karina(ui_language)
    page.set_viewport_size(viewport)
    page.context.add_init_script(script=AXE)
    login("karina@example.com", PASSWORD)

    _open_global_log(page, _, viewport)
    page.get_by_label(_("Which account?")).fill("Acme")
    page.get_by_role("link", name="Acme Brasil").click()
    page.wait_for_url(re.compile(rf"/accounts/{account.pk}/log/$"))  # loaded: htmx form

    quick_log = page.get_by_role("form", name=_("Log an interaction"))
    summary = quick_log.get_by_label(_("Summary"))
    # The counter follows the typing, and past 300 says where the rest will go.
    summary.fill("x" * 320)
    over = _("{count}/{max} characters: what is over will move to the notes", count=320, max=300)
    expect(quick_log.get_by_text(over)).to_be_visible()
    summary.fill("Renewal kick-off with Ana")
    expect(quick_log.get_by_text(_("{count}/{max} characters", count=25, max=300))).to_be_visible()
    quick_log.get_by_label(_("Type")).select_option("meeting")
    quick_log.get_by_label("Ana Lima · CFO").check()
    quick_log.get_by_role("button", name=_("Save interaction")).click()

    logged = _("Logged: {kind} with {account}", kind=_("Meeting"), account="Acme Brasil")
    confirmation = page.get_by_role("alert").filter(has_text=logged)
    expect(confirmation).to_contain_text("Renewal kick-off with Ana")
    expect(quick_log.get_by_label(_("Summary"))).to_have_value("")  # ready for the next one
    interaction = Interaction.objects.get()
    link = confirmation.get_by_role("link", name=_("See it on the timeline"))
    expect(link).to_have_attribute("href", re.compile(rf"#interaction-{interaction.pk}$"))
    assert _axe_violations(page) == []
    assert _sideways_scroll(page) == 0
    _screenshot(page, "log-confirmed", ui_language)

    confirmation.get_by_role("button", name=_("Undo")).click()
    page.wait_for_url(re.compile(rf"/accounts/{account.pk}/log/$"))
    undone = _("Undone: “{summary}”", summary="Renewal kick-off with Ana")
    expect(page.get_by_role("alert").filter(has_text=undone)).to_be_visible()
    assert not Interaction.objects.exists()
    _screenshot(page, "log-undone", ui_language)

    # Logged again, the link leads to the entry on the account's timeline.
    quick_log.get_by_label(_("Summary")).fill("Renewal kick-off, for real")
    quick_log.get_by_role("button", name=_("Save interaction")).click()
    confirmation = page.get_by_role("alert").filter(has_text=logged)
    confirmation.get_by_role("link", name=_("See it on the timeline")).click()
    interaction = Interaction.objects.get()
    page.wait_for_url(re.compile(rf"/accounts/{account.pk}/timeline/.*#interaction-"))
    expect(page.locator(f"#interaction-{interaction.pk}")).to_contain_text(
        "Renewal kick-off, for real"
    )


@LANGUAGE_AND_SCREEN
def test_long_notes_fold_on_the_timeline_and_unfold_on_demand(
    page, login, transactional_db, ui_language, viewport
):
    _ = partial(t, ui_language)
    owner, account = _karina(ui_language)
    notes = "\n".join(f"Point {number}: agreed with the client." for number in range(1, 13))
    long = interaction_log(
        account=account,
        actor=owner,
        kind="meeting",
        occurred_at=timezone.now() - timedelta(hours=1),
        summary="Steering committee",
        notes=notes,
    )
    interaction_log(
        account=account,
        actor=owner,
        kind="call",
        occurred_at=timezone.now() - timedelta(hours=2),
        summary="Quick check-in",
        notes="Short and sweet.",
    )
    page.set_viewport_size(viewport)
    page.context.add_init_script(script=AXE)
    login("karina@example.com", PASSWORD)
    page.goto(f"/accounts/{account.pk}/timeline/")

    entry = page.locator(f"#interaction-{long.pk}")
    folded = entry.locator(f"#notes-{long.pk}")
    toggle = entry.get_by_role("button", name=_("Show more"))
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(folded).to_have_class(re.compile(r"\bnotes-collapsed\b"))
    assert folded.evaluate("e => e.scrollHeight > e.clientHeight + 1")  # lines really hidden
    # The short note has nothing to fold.
    expect(page.get_by_role("button", name=_("Show more"))).to_have_count(1)
    _screenshot(page, "timeline-notes-folded", ui_language)

    toggle.click()
    toggle = entry.get_by_role("button", name=_("Show less"))
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(folded).not_to_have_class(re.compile(r"\bnotes-collapsed\b"))
    assert folded.evaluate("e => e.scrollHeight <= e.clientHeight + 1")
    expect(folded).to_contain_text("Point 12: agreed with the client.")
    assert _axe_violations(page) == []
    _screenshot(page, "timeline-notes-unfolded", ui_language)

    toggle.click()
    expect(entry.get_by_role("button", name=_("Show more"))).to_have_attribute(
        "aria-expanded", "false"
    )


@pytest.mark.parametrize("ui_language", ["pt-br"])
def test_without_javascript_the_confirmation_and_undo_still_work(
    browser, live_server, transactional_db, ui_language
):
    """The same journey with scripts off: the save and the Undo are plain form posts, the
    confirmation arrives on the page they lead to (django.contrib.messages)."""
    _ = partial(t, ui_language)
    _owner, account = _karina(ui_language)
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, locale=BROWSER_LOCALES[ui_language]
    )
    try:
        page = context.new_page()
        log_in(page, "karina@example.com", PASSWORD, ui_language)
        page.goto(f"/accounts/{account.pk}/log/")
        quick_log = page.get_by_role("form", name=_("Log an interaction"))
        quick_log.get_by_label(_("Summary")).fill("Visit without scripts")
        quick_log.get_by_role("button", name=_("Save interaction")).click()
        page.wait_for_url(re.compile(rf"/accounts/{account.pk}/timeline/$"))
        logged = _("Logged: {kind} with {account}", kind=_("Meeting"), account="Acme Brasil")
        confirmation = page.get_by_role("alert").filter(has_text=logged)
        expect(confirmation).to_contain_text("Visit without scripts")
        confirmation.get_by_role("button", name=_("Undo")).click()
        page.wait_for_url(re.compile(rf"/accounts/{account.pk}/timeline/$"))
        undone = _("Undone: “{summary}”", summary="Visit without scripts")
        expect(page.get_by_role("alert").filter(has_text=undone)).to_be_visible()
        assert not Interaction.objects.exists()
    finally:
        context.close()


def test_a_whitespace_cell_saved_in_place_says_so_at_the_top(page, login, transactional_db):
    """An htmx answer that is a table cell carries the confirmation out of band too."""
    _ = partial(t, "en")
    owner, account = _karina("en")
    business_unit_create(account=account, actor=owner, name="Logistics")
    ProductFactory(name="Managed services")
    login("karina@example.com", PASSWORD)
    page.goto(f"/accounts/{account.pk}/whitespace/?edit=1")  # the editing grid, not the heat map

    page.get_by_label("Managed services in Logistics", exact=True).select_option("opportunity")

    expect(page.get_by_role("alert").filter(has_text=_("Whitespace updated."))).to_be_visible()
    expect(page.get_by_label("Managed services in Logistics", exact=True)).to_have_value(
        "opportunity"
    )
    # The cell's class comes with htmx's settle step, a moment after the swap: wait for it.
    expect(page.locator("td.ws-opportunity")).to_have_count(1)


@pytest.mark.parametrize("ui_language", ["en", "pt-br"])
def test_a_save_the_server_refuses_or_never_gets_says_so_and_keeps_the_input(
    page, login, transactional_db, ui_language
):
    """An htmx save answered with an error htmx does not swap (not a 422 with the form's
    errors), or not answered at all, is said in the messages region in the reader's language;
    the form keeps what was typed. Here the network fails, then the account is handed to
    another KAM while the form is open (404)."""
    _ = partial(t, ui_language)
    _owner, account = _karina(ui_language)
    plan = AccountPlanFactory(account=account)
    login("karina@example.com", PASSWORD)
    page.goto(plan.get_absolute_url())
    risks = page.get_by_role("region", name=re.compile(rf"^{_('Retention risks')}\b"))
    risks.get_by_role("button", name=_("Add risk")).first.click()
    form = risks.locator("form").filter(has=page.get_by_role("button", name=_("Add risk")))
    # The form has finished opening (Bootstrap's collapse adds "show" when its animation ends).
    expect(page.locator("#add-risks")).to_have_class(re.compile(r"\bshow\b"))
    field = form.get_by_label(re.compile(rf"^\s*{_('Risk')}\s*\*?\s*$"))
    field.fill("Competitor pilot at the Campinas plant")
    alert = page.locator("#messages").get_by_role("alert")

    # The route answers before the server is asked: the network failed.
    page.route("**/plans/**", lambda route: route.abort())
    form.get_by_role("button", name=_("Add risk")).click()
    expect(alert).to_have_text(
        _("The server could not be reached. Nothing you entered was lost: try again in a moment.")
    )
    expect(alert.get_by_role("button", name=_("Close"))).to_be_visible()
    page.unroute("**/plans/**")

    account.owner = UserFactory(email="bruno@example.com")
    account.save()
    form.get_by_role("button", name=_("Add risk")).click()
    expect(alert.last).to_contain_text(
        _("The server could not complete this (error {status}).", status=404)
    )
    expect(field).to_have_value("Competitor pilot at the Campinas plant")
    assert not account.plans.get().risks.exists()


@pytest.mark.parametrize("ui_language", ["en", "pt-br"])
def test_a_save_too_large_to_send_says_what_to_shorten(page, login, transactional_db, ui_language):
    """A body over the server's limit (2.5 MB: a pasted document in a text field) is refused
    with a 413, said as what to do about it; the form keeps what was typed."""
    _ = partial(t, ui_language)
    _owner, account = _karina(ui_language)
    plan = AccountPlanFactory(account=account)
    login("karina@example.com", PASSWORD)
    page.goto(plan.get_absolute_url())
    risks = page.get_by_role("region", name=re.compile(rf"^{_('Retention risks')}\b"))
    risks.get_by_role("button", name=_("Add risk")).first.click()
    form = risks.locator("form").filter(has=page.get_by_role("button", name=_("Add risk")))
    expect(page.locator("#add-risks")).to_have_class(re.compile(r"\bshow\b"))
    form.get_by_label(re.compile(rf"^\s*{_('Risk')}\s*\*?\s*$")).fill("Competitor pilot")
    pasted = form.locator("textarea[name$='mitigation']")
    pasted.fill("x" * 2_700_000)
    form.get_by_role("button", name=_("Add risk")).click()
    expect(page.locator("#messages").get_by_role("alert")).to_have_text(
        _("This is too large to save: shorten the longest text (2.5 MB in all at most). "
          "Nothing you entered was lost.")
    )  # fmt: skip
    assert pasted.evaluate("field => field.value.length") == 2_700_000
    assert not account.plans.get().risks.exists()
