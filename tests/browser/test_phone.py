"""On a 390×844 phone (issue 16): "Log interaction" stays on screen, logging from My work takes
at most three taps (clicks here) before typing, the account page's quick log sits folded above
the fold, and date fields show their whole value."""

import re
from functools import partial

import pytest
from playwright.sync_api import expect

from activities.models import Interaction
from tests.browser.conftest import wait_until_quiet
from tests.browser.labels import t
from tests.browser.test_accessibility import AXE, PHONE, _axe_violations, _screenshot
from tests.factories import PASSWORD, AccountFactory, StakeholderFactory, UserFactory

BOTH_LANGUAGES = pytest.mark.parametrize("ui_language", ["en", "pt-br"])

# How much narrower each shown date field is than its value needs: its width with `width:
# auto` (a date field's natural width fits its value and picker button) minus its width.
CLIPPED_DATE_FIELDS = """() => [...document.querySelectorAll(
    'input[type=date], input[type=datetime-local]')].filter(field => field.offsetParent)
  .map(field => {
    const probe = field.cloneNode();
    probe.removeAttribute("id");
    probe.style.width = "auto";
    probe.style.position = "absolute";
    probe.style.visibility = "hidden";
    field.after(probe);
    const missing = probe.getBoundingClientRect().width - field.getBoundingClientRect().width;
    probe.remove();
    return [field.name, Math.round(missing)];
  }).filter(([, missing]) => missing > 1)"""


@pytest.fixture
def phone_scene(transactional_db, ui_language):
    kam = UserFactory(email="karina@example.com", full_name="Karina Almeida", language=ui_language)
    account = AccountFactory(name="Acme Brasil", owner=kam)
    AccountFactory(name="Bravo Logística", owner=kam)
    StakeholderFactory(account=account, name="Ana Lima", title="CFO")
    return account


@pytest.fixture
def phone(page):
    page.set_viewport_size(PHONE)
    return page


def _log_button(page, _):
    return page.get_by_role("link", name=_("Log interaction"), exact=True)


def _in_first_screen(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]


@BOTH_LANGUAGES
def test_from_my_work_an_interaction_is_logged_in_three_taps_before_typing(
    phone, login, phone_scene, ui_language
):
    _ = partial(t, ui_language)
    login("karina@example.com", PASSWORD)
    expect(phone.get_by_role("heading", name=_("My work"))).to_be_visible()
    button = _log_button(phone, _)
    expect(button).to_be_visible()  # not folded into the menu
    assert _in_first_screen(button)

    button.click()  # 1: the log button
    phone.wait_for_url(re.compile(r"/log/$"))
    phone.get_by_role("link", name="Acme Brasil").click()  # 2: the account
    phone.wait_for_url(re.compile(rf"/accounts/{phone_scene.pk}/log/$"))
    quick_log = phone.get_by_role("form", name=_("Log an interaction"))
    summary = quick_log.get_by_label(_("Summary"))
    summary.click()  # 3: the field to type in
    expect(summary).to_be_focused()
    phone.keyboard.type("Called Ana about the renewal")
    quick_log.get_by_role("button", name=_("Save interaction")).click()

    # Saved: the form comes back empty (how the save is confirmed is the log page's business).
    expect(phone.get_by_label(_("Summary"))).to_have_value("")
    assert Interaction.objects.get(account=phone_scene).summary == "Called Ana about the renewal"


@BOTH_LANGUAGES
def test_on_the_account_page_the_quick_log_is_folded_above_the_fold(
    phone, login, phone_scene, ui_language
):
    _ = partial(t, ui_language)
    login("karina@example.com", PASSWORD)
    phone.goto(f"/accounts/{phone_scene.pk}/")
    wait_until_quiet(phone)
    quick_log = phone.get_by_role("form", name=_("Log an interaction"))
    expect(quick_log).to_be_hidden()  # folded
    opener = phone.locator("#quick-log-panel > summary")
    expect(opener).to_have_text(_("Log interaction"))
    assert _in_first_screen(opener)

    button = _log_button(phone, _)
    expect(button).to_be_visible()
    button.click()  # opens the quick log in place, on this account
    expect(quick_log).to_be_visible()
    expect(quick_log.get_by_label(_("Type"))).to_be_focused()
    expect(button).to_be_hidden()  # it would cover the form's fields
    assert phone.url.endswith(f"/accounts/{phone_scene.pk}/")
    quick_log.get_by_label(_("Summary")).fill("Visit planned")
    quick_log.get_by_role("button", name=_("Save interaction")).click()
    confirmation = phone.get_by_role("alert").filter(has_text="Visit planned")
    expect(confirmation).to_contain_text(_("Logged: {kind} with {account}", kind=_("Meeting"),
                                           account=phone_scene.name))  # fmt: skip
    assert Interaction.objects.filter(account=phone_scene, summary="Visit planned").exists()


@BOTH_LANGUAGES
def test_date_fields_show_their_whole_value(phone, login, phone_scene, ui_language):
    _ = partial(t, ui_language)
    login("karina@example.com", PASSWORD)
    phone.goto(f"/accounts/{phone_scene.pk}/log/")
    wait_until_quiet(phone)
    expect(phone.locator("input[type=datetime-local]")).to_be_visible()
    assert phone.evaluate(CLIPPED_DATE_FIELDS) == []
    phone.goto(f"/accounts/{phone_scene.pk}/")
    phone.locator("#quick-log-panel > summary").click()
    wait_until_quiet(phone)
    assert phone.evaluate(CLIPPED_DATE_FIELDS) == []
    phone.goto("/")
    phone.locator("details > summary").first.click()  # "Add an agreed item"
    wait_until_quiet(phone)
    assert phone.evaluate(CLIPPED_DATE_FIELDS) == []


@pytest.mark.parametrize("ui_language", ["pt-br"])
def test_the_phone_pages_with_the_log_button_and_the_open_quick_log_pass_axe(
    phone, login, phone_scene, ui_language
):
    phone.context.add_init_script(script=AXE)
    login("karina@example.com", PASSWORD)
    problems = {}
    for name, path in [("my-work", "/"), ("log-pick-account", "/log/")]:
        phone.goto(path)
        problems[name] = _axe_violations(phone)
    phone.goto(f"/accounts/{phone_scene.pk}/")
    phone.locator("#quick-log-panel > summary").click()
    problems["account-quick-log-open"] = _axe_violations(phone)
    _screenshot(phone, "account-quick-log-open", ui_language)
    assert {name: found for name, found in problems.items() if found} == {}


LONG_URL = (
    "https://acme.sharepoint.com/sites/KeyAccounts/Shared%20Documents/2026/Proposta-comercial-"
    "revisada-com-condicoes-especiais-de-pagamento-e-SLA-estendido-versao-final-aprovada.pdf"
)
PAGE_WIDER_THAN_SCREEN = "() => document.documentElement.scrollWidth - window.innerWidth"


@BOTH_LANGUAGES
def test_a_long_link_and_the_requests_toolbar_keep_the_page_within_the_screen(
    phone, login, phone_scene, ui_language
):
    """A pasted link has nowhere to break: it wraps anyway rather than widening the page past
    the phone's screen; the requests tab's toolbar wraps too."""
    from datetime import timedelta

    from django.utils import timezone

    from activities.services import interaction_log, request_create

    kam = phone_scene.owner
    interaction_log(
        account=phone_scene, actor=kam, kind="meeting", occurred_at=timezone.now(),
        summary=f"Sent the proposal: {LONG_URL}",
    )  # fmt: skip
    request_create(
        account=phone_scene, actor=kam, subject=f"Copy of {LONG_URL}",
        received_at=timezone.now() - timedelta(hours=1),
    )  # fmt: skip
    login("karina@example.com", PASSWORD)
    for path in ("", "timeline/", "requests/"):
        phone.goto(f"/accounts/{phone_scene.pk}/{path}")
        expect(phone.get_by_text("Sent the proposal" if path != "requests/" else "Copy of",
                                 exact=False).first).to_be_visible()  # fmt: skip
        assert phone.evaluate(PAGE_WIDER_THAN_SCREEN) <= 0, f"/{path} is wider than the screen"
