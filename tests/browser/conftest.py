"""Browser tests: Playwright for Python driving Debian's Chromium against live_server.

They run wherever /usr/bin/chromium exists (`make test` locally, always in CI, where .ci/run
installs it and a missing browser is a failure, not a skip)."""

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.labels import t

CHROMIUM = os.environ.get("KAM_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Playwright's sync API runs an event loop in this thread; Django's ORM is used from the same
# thread by fixtures, which is safe here because nothing else runs concurrently in it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


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


@pytest.fixture
def page(browser, live_server, ui_language):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1440, "height": 900},
        locale=BROWSER_LOCALES[ui_language],
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def login(page, ui_language):
    def do_login(email: str, password: str):
        page.goto("/login/")
        page.get_by_label(t(ui_language, "Email")).fill(email)
        page.get_by_label(t(ui_language, "Password")).fill(password)
        page.get_by_role("button", name=t(ui_language, "Log in"), exact=True).click()
        expect(page).not_to_have_url(re.compile(r"/login/"))
        return page

    return do_login


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
