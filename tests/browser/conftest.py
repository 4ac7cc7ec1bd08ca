"""Browser tests: Playwright for Python driving Debian's Chromium against live_server.

They run wherever /usr/bin/chromium exists (`make test` locally, always in CI, where .ci/run
installs it and a missing browser is a failure, not a skip).

No test reads the page and then asserts on what it read when that state is reached
asynchronously (an htmx swap, a chart, a fetch, a navigation, a console message): it waits for
it with an auto-waiting `expect(...)`, `page.wait_for_url` (which also waits for the new page's
`load`, so its deferred scripts — htmx, Bootstrap, kam.js — are running before the test uses
them; a click returns once the navigation it started is committed, not loaded) or
`page.wait_for_function`. No fixed sleeps."""

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests.browser.labels import t

CHROMIUM = os.environ.get("KAM_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Playwright's sync API runs an event loop in this thread; Django's ORM is used from the same
# thread by fixtures, which is safe here because nothing else runs concurrently in it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# One timeout for actions (the context's default, below) and assertions (5 s unless told):
# a loaded CI machine answers an htmx request in more than 5 s now and then.
TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; CI must install it (apt chromium)")
        pytest.skip(f"Chromium not found at {CHROMIUM}; `apt-get install chromium` to run")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


# The browser asks for the user's language too, so the login page is already in it.
BROWSER_LOCALES = {"en": "en-US", "pt-br": "pt-BR"}


@pytest.fixture
def ui_language():
    """The language the test's user reads the app in; journeys parametrize it (en, pt-br)."""
    return "en"


def new_page(browser, base_url: str, language: str = "en"):
    """A page in a context of its own (its own cookies: one person); close its context."""
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": 1440, "height": 900},
        locale=BROWSER_LOCALES[language],
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


@pytest.fixture
def page(browser, live_server, ui_language):
    page = new_page(browser, live_server.url, ui_language)
    yield page
    page.context.close()


def log_in(page, email: str, password: str, language: str = "en"):
    """Log in through the form and wait for the page it leads to to be loaded (its scripts
    running: the next step may be an htmx form or a select that submits itself)."""
    page.goto("/login/")
    page.get_by_label(t(language, "Email")).fill(email)
    page.get_by_label(t(language, "Password")).fill(password)
    page.get_by_role("button", name=t(language, "Log in"), exact=True).click()
    page.wait_for_url(lambda url: "/login/" not in url)
    return page


@pytest.fixture
def login(page, ui_language):
    def do_login(email: str, password: str):
        return log_in(page, email, password, ui_language)

    return do_login


def choose_person(page, label: str, name: str, *, exact: bool = False) -> None:
    """Choose `name` in the people picker labelled `label` (kam/people.py; `exact`: that label
    alone, not one containing it): type the first word of the name into its search and click
    the person it finds."""
    picker = page.get_by_role("combobox", name=label, exact=exact)
    # Its text box is moved out of sight while a person is shown; focus opens it, as a click
    # on the control does.
    picker.focus()
    picker.fill(name.split()[0])
    page.get_by_role("option", name=name, exact=True).click()


def wait_for(page, condition: str, what: str, arg=None) -> None:
    """Wait until the JavaScript `condition` (a function of `arg`) holds in the page; fail
    naming `what` if it does not within the timeout."""
    try:
        page.wait_for_function(condition, arg=arg)
    except PlaywrightTimeoutError:
        raise AssertionError(f"{what}: still not true after {TIMEOUT_MS} ms") from None


def expect_chart_drawn(page, canvas_id: str) -> None:
    """Chart.js has drawn a chart on the canvas now in the page. Scripts draw the charts (on
    DOMContentLoaded, and again on htmx:afterSettle after a swap replaced the canvases)."""
    wait_for(
        page,
        "id => !!(window.Chart && window.Chart.getChart(document.getElementById(id)))",
        f"a chart drawn on #{canvas_id}",
        arg=canvas_id,
    )


# Loaded, nothing loading (the relationship map is aria-busy until drawn) and no htmx request,
# swap or settle under way.
QUIET = """() => document.readyState === "complete" && !document.querySelector(
    '[aria-busy="true"], .htmx-request, .htmx-swapping, .htmx-settling')"""


def wait_until_quiet(page) -> None:
    """Before reading the page as a whole (axe, layout): everything asynchronous has landed."""
    wait_for(page, QUIET, f"{page.url} settled")


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
