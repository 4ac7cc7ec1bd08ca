"""/api/docs/ in a real Chromium: Swagger UI renders the operations from our own static files,
with no request leaving the site and nothing refused by the Content-Security-Policy."""

from urllib.parse import urlsplit

from playwright.sync_api import expect

from api.services import api_token_create
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, AccountFactory, UserFactory


def _watch(page, live_server):
    """Record requests to any other host (and refuse them, as offline) and console errors,
    CSP violations included."""
    outside, errors = [], []
    own = urlsplit(live_server.url).netloc

    def route(route):
        if urlsplit(route.request.url).netloc in (own, ""):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return outside, errors


def test_api_docs_render_offline_with_every_resource(page, live_server, transactional_db):
    outside, errors = _watch(page, live_server)
    response = page.goto("/api/docs/")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_role("heading", name="KAM API")).to_be_visible()
    for path in ["/api/v1/accounts/", "/api/v1/interactions/", "/api/v1/health-scores/{id}/",
                 "/api/v1/portfolio/summary/"]:  # fmt: skip
        expect(page.locator(f'.opblock-summary-path[data-path="{path}"]').first).to_be_visible()
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()
    screenshot(page, "api-docs")
    assert outside == []
    assert errors == []


def test_a_signed_in_user_tries_an_operation_from_the_docs(
    page, login, live_server, transactional_db
):
    """The session works from the docs page (cookies, CSRF header on writes)."""
    user = UserFactory(email="karina@example.com", full_name="Karina Almeida")
    AccountFactory(name="Acme Brasil", owner=user)
    outside, errors = _watch(page, live_server)
    login("karina@example.com", PASSWORD)
    page.goto("/api/docs/")
    operation = page.locator("#operations-accounts-accounts_list")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    body = operation.locator(".live-responses-table .response-col_description pre").first
    expect(body).to_contain_text("Acme Brasil")
    assert outside == []
    assert errors == []


def test_a_token_authorizes_the_docs(page, live_server, transactional_db):
    user = UserFactory(email="bi@example.com")
    AccountFactory(name="Token Corp", owner=user)
    _token, secret = api_token_create(user=user, name="docs")
    outside, errors = _watch(page, live_server)
    page.goto("/api/docs/")
    page.get_by_role("button", name="Authorize").click()
    scheme = page.locator(".auth-container").filter(has_text="tokenAuth")
    scheme.locator("input").fill(secret)
    scheme.get_by_role("button", name="Apply credentials").click()
    scheme.get_by_role("button", name="Close").click()
    operation = page.locator("#operations-accounts-accounts_list")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    body = operation.locator(".live-responses-table .response-col_description pre").first
    expect(body).to_contain_text("Token Corp")
    assert outside == []
    assert errors == []
