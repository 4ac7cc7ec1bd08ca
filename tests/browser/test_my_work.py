"""My work is ordered by urgency (issue 16, point 12): at 1440×900 the overdue agreed items, the
accounts owed a touch and the requests awaiting an answer all start above the fold, however
long the overdue list; on a phone they come first, in that order. The language switch acts on
its own, with no button to press."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activities.services import request_create
from kam.dates import business_date
from tests.browser.conftest import screenshot
from tests.browser.labels import t
from tests.factories import PASSWORD, AccountFactory, CommitmentFactory, UserFactory

FOLD = 900


def _busy_kam(language: str):
    """Twelve overdue items (a list far longer than a screen), three accounts never touched
    (owed a touch), four requests awaiting an answer and a few items due later."""
    kam = UserFactory(email="karina@example.com", full_name="Karina Almeida", language=language)
    today = business_date()
    accounts = [AccountFactory(name=f"Conta {letter}", owner=kam) for letter in "ABC"]
    for index in range(12):
        CommitmentFactory(
            account=accounts[index % 3],
            title=f"Overdue item {index:02d}",
            due_date=today - timedelta(days=index + 1),
        )
    for index in range(4):
        CommitmentFactory(
            account=accounts[0], title=f"Later item {index}", due_date=today + timedelta(days=9)
        )
        request_create(
            account=accounts[index % 3],
            actor=kam,
            subject=f"Question {index}",
            received_at=timezone.now() - timedelta(days=index + 1),
        )
    return kam


def _top(page, heading) -> float:
    expect(heading).to_be_visible()
    return heading.bounding_box()["y"]


@pytest.mark.parametrize("ui_language", ["en", "pt-br"])
def test_my_work_shows_overdue_items_owed_touches_and_requests_above_the_fold(
    page, login, transactional_db, ui_language, default_working_calendar
):
    _busy_kam(ui_language)
    login("karina@example.com", PASSWORD)
    overdue = page.get_by_role("heading", name=t(ui_language, "Overdue"))
    owed = page.get_by_role("heading", name=t(ui_language, "Accounts owed a touch"))
    requests = page.get_by_role("heading", name=t(ui_language, "Requests awaiting an answer"))
    due_later = page.get_by_role("heading", name=t(ui_language, "Next two weeks"))
    expect(owed).to_contain_text("3")
    for heading in (overdue, owed, requests):
        assert _top(page, heading) < FOLD
    # The long overdue list pushes what is due later below the fold, not the other way round.
    assert _top(page, due_later) > FOLD
    screenshot(page, f"my-work-desktop-{ui_language}")

    # A phone: one column, overdue first, then owed a touch, then requests, then the rest.
    page.set_viewport_size({"width": 390, "height": 844})
    tops = [_top(page, heading) for heading in (overdue, owed, requests, due_later)]
    assert tops == sorted(tops)
    left_edges = {round(h.bounding_box()["x"]) for h in (overdue, owed, requests, due_later)}
    assert len(left_edges) == 1  # a single column
    # The counts at the top link to each urgent list.
    page.get_by_role("link", name=t(ui_language, "{count} accounts owed a touch", count=3)).click()
    expect(page).to_have_url(re.compile(r"#touch-heading$"))
    screenshot(page, f"my-work-phone-{ui_language}")


@pytest.mark.parametrize("ui_language", ["en", "pt-br"])
def test_choosing_a_language_switches_at_once_without_a_button(
    page, login, transactional_db, ui_language
):
    UserFactory(email="karina@example.com", language=ui_language)
    login("karina@example.com", PASSWORD)
    other = "en" if ui_language == "pt-br" else "pt-br"
    expect(page.get_by_role("heading", name=t(ui_language, "My work"))).to_be_visible()
    expect(page.get_by_role("button", name=t(ui_language, "Change"))).to_have_count(0)

    page.get_by_label(t(ui_language, "Language")).select_option(other)
    expect(page.get_by_role("heading", name=t(other, "My work"))).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", other)


def test_without_javascript_the_language_form_has_its_button(browser, live_server, db):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/login/")
    button = page.get_by_role("button", name="Change")
    expect(button).to_be_visible()
    page.get_by_label("Language").select_option("pt-br")
    button.click()
    expect(page.get_by_role("button", name="Entrar")).to_be_visible()
    context.close()
