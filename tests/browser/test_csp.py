"""The Content-Security-Policy in a real browser: the pages with charts, the relationship map,
progress bars and htmx swaps work under it, and Chromium reports no violation."""

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from insights import services as insights_services
from kam.dates import business_date
from kam.models import Role
from plans import services as plan_services
from tests.browser.conftest import expect_chart_drawn, wait_until_quiet
from tests.factories import (
    PASSWORD,
    AccountFactory,
    RevenueRecordFactory,
    StakeholderFactory,
    UserFactory,
)


def test_the_main_pages_run_under_the_csp_without_a_violation(page, login, transactional_db):
    admin = UserFactory(email="ada@example.com", full_name="Ada Admin", role=Role.ADMIN)
    account = AccountFactory(name="Acme", owner=admin)
    boss = StakeholderFactory(account=account, name="Bea Boss", buying_role="decision_maker")
    StakeholderFactory(
        account=account, name="Carl Champion", buying_role="champion", reports_to=boss
    )
    RevenueRecordFactory(account=account, booked_on=business_date() - timedelta(days=20))
    plan = plan_services.plan_create(
        account=account,
        actor=admin,
        status="active",
        title="Acme plan",
        period_start=date(business_date().year, 1, 1),
        period_end=date(business_date().year, 12, 31),
    )
    plan_services.objective_create(
        plan=plan, actor=admin, description="Cut downtime", metric="h",
        baseline=40, target=20, current_value=30, status="on_track",
    )  # fmt: skip
    insights_services.tiers_recompute()
    for days_ago in (2, 1, 0):
        insights_services.health_recompute_all(day=business_date() - timedelta(days=days_ago))

    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def visit(path: str) -> None:
        """Open the page and wait until everything it does after loading is done (the
        relationship map fetched and drawn): a violation is reported on the console as it
        happens, so by then it is in `violations`."""
        page.goto(path)
        wait_until_quiet(page)

    login("ada@example.com", PASSWORD)
    for path in ["/", "/portfolio/", "/configuration/", "/configuration/audit/"]:
        visit(path)
        if path == "/portfolio/":
            # A filter swaps the figures and their charts in place (htmx settles the swapped
            # elements' attributes: not their style, which only a script sets here).
            page.locator("select[name=tier]").select_option(index=1)
            expect(page).to_have_url(re.compile(r"tier=\d"))
            wait_until_quiet(page)
    visit("/api/docs/")
    expect(page.locator(".opblock").first).to_be_visible()  # Swagger UI fetched the schema
    # The objective's progress bar got its width from data-progress (no inline style).
    visit(f"/accounts/{account.pk}/plans/{plan.pk}/")
    bar = page.locator("[data-progress]").first
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("style", re.compile(r"(^|;)\s*width: 50%;"))
    # The health chart and the relationship map drew (their scripts ran).
    visit(f"/accounts/{account.pk}/")
    expect_chart_drawn(page, "health-chart")
    visit(f"/accounts/{account.pk}/stakeholders/")
    relationship_map = page.locator("[data-relationship-map]")
    expect(relationship_map).to_have_attribute("data-relationship-map-state", "drawn")
    expect(relationship_map.locator("canvas").first).to_be_attached()

    assert violations == []
    assert errors == []

    # The check itself: an inline script is refused, and the refusal is seen.
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.injected = 1'; document.body.append(s); }"
        )
    assert page.evaluate("() => window.injected") is None
    assert any("script" in text for text in violations)
