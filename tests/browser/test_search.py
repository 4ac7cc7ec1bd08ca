"""The global search palette (Ctrl/⌘-K) and the keyboard shortcuts, in both languages."""

import re
from functools import partial

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.labels import t
from tests.factories import PASSWORD, AccountFactory, InteractionFactory, UserFactory

# Accents and stems: kam/migrations/0005 needs unaccent for these (tests/conftest.py).
pytestmark = pytest.mark.needs_contrib("unaccent")


@pytest.mark.parametrize("ui_language", ["en", "pt-br"])
def test_ctrl_k_finds_an_account_without_its_accents_and_enter_opens_it(
    page, login, transactional_db, ui_language
):
    _ = partial(t, ui_language)
    kam = UserFactory(email="karina@example.com", language=ui_language)
    account = AccountFactory(name="Transportadora São João", owner=kam)
    InteractionFactory(account=account, summary="Negociação em São João del-Rei")
    AccountFactory(name="Transportadora São João do Sul")  # someone else's: never offered
    login("karina@example.com", PASSWORD)
    expect(page.get_by_role("heading", name=_("My work"))).to_be_visible()

    page.keyboard.press("Control+k")
    box = page.get_by_role(
        "combobox", name=_("Find accounts, stakeholders, plans, interactions and requests")
    )
    expect(box).to_be_focused()
    box.press_sequentially("transportadora sao jo")
    results = page.get_by_role("listbox", name=_("Search results"))
    expect(results.get_by_role("option")).to_have_count(1)
    best = results.get_by_role("option", name=re.compile("Transportadora São João"))
    expect(best).to_have_attribute("aria-selected", "true")
    expect(best.locator("mark").first).to_have_text("Transportadora")
    expect(box).to_have_attribute("aria-expanded", "true")
    screenshot(page, f"search-palette-{ui_language}")

    box.press("Enter")
    page.wait_for_url(f"**/accounts/{account.pk}/")
    expect(page.get_by_role("heading", name="Transportadora São João", level=1)).to_be_visible()


@pytest.mark.parametrize("ui_language", ["en", "pt-br"])
def test_arrow_keys_move_through_groups_and_the_page_works_without_the_palette(
    page, login, transactional_db, ui_language
):
    _ = partial(t, ui_language)
    kam = UserFactory(email="karina@example.com", language=ui_language)
    account = AccountFactory(name="Magalhães Logística", owner=kam)
    InteractionFactory(account=account, summary="Visita à Magalhães")
    login("karina@example.com", PASSWORD)
    page.keyboard.press("/")
    box = page.get_by_role(
        "combobox", name=_("Find accounts, stakeholders, plans, interactions and requests")
    )
    expect(box).to_be_focused()
    box.press_sequentially("magalhaes")
    results = page.get_by_role("listbox", name=_("Search results"))
    expect(results.get_by_role("option")).to_have_count(2)
    box.press("ArrowDown")
    visit = results.get_by_role("option", name=re.compile("Visita à Magalhães"))
    expect(visit).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", visit.get_attribute("id"))
    box.press("Escape")
    expect(box).to_be_hidden()

    # The full results page, as without JavaScript: the top bar's form.
    page.goto("/search/?q=magalhaes")
    expect(page.get_by_role("heading", name=_("Accounts"), level=2)).to_be_visible()
    expect(page.get_by_role("link", name="Magalhães Logística")).to_be_visible()
    screenshot(page, f"search-page-{ui_language}")


@pytest.mark.parametrize("ui_language", ["en", "pt-br"])
def test_question_mark_lists_the_shortcuts_and_g_m_goes_to_my_work(
    page, login, transactional_db, ui_language, live_server
):
    _ = partial(t, ui_language)
    UserFactory(email="karina@example.com", language=ui_language)
    login("karina@example.com", PASSWORD)
    page.goto("/accounts/")
    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name=_("Keyboard shortcuts"))
    expect(help_dialog).to_be_visible()
    expect(help_dialog.get_by_role("link", name=_("Go to My work"))).to_be_visible()
    screenshot(page, f"shortcuts-help-{ui_language}")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    page.keyboard.press("g")
    page.keyboard.press("m")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name=_("My work"))).to_be_visible()


def test_shortcuts_stay_off_while_typing_in_a_field(page, login, transactional_db):
    UserFactory(email="karina@example.com")
    login("karina@example.com", PASSWORD)
    page.goto("/search/")
    field = page.locator("#search-page-q")
    field.press_sequentially("gm?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()
    field.press("Enter")
    page.wait_for_url("**/search/?q=gm%3F")
    expect(page.locator("#search-page-q")).to_have_value("gm?")
