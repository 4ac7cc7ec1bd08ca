"""The Content-Security-Policy in a real browser: the pages with charts, the relationship map,
progress bars and htmx swaps work under it, and Chromium reports no violation."""

from datetime import date, timedelta

from django.utils import timezone
from playwright.sync_api import expect

from insights import services as insights_services
from kam.models import Role
from plans import services as plan_services
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
    RevenueRecordFactory(account=account, booked_on=timezone.localdate() - timedelta(days=20))
    plan = plan_services.plan_create(
        account=account,
        actor=admin,
        status="active",
        title="Acme plan",
        period_start=date(timezone.localdate().year, 1, 1),
        period_end=date(timezone.localdate().year, 12, 31),
    )
    plan_services.objective_create(
        plan=plan, actor=admin, description="Cut downtime", metric="h",
        baseline=40, target=20, current_value=30, status="on_track",
    )  # fmt: skip
    insights_services.tiers_recompute()
    for days_ago in (2, 1, 0):
        insights_services.health_recompute_all(day=timezone.localdate() - timedelta(days=days_ago))

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

    login("ada@example.com", PASSWORD)
    for path in [
        "/",
        f"/accounts/{account.pk}/",
        f"/accounts/{account.pk}/stakeholders/",
        f"/accounts/{account.pk}/plans/{plan.pk}/",
        "/portfolio/",
        "/configuration/",
        "/configuration/audit/",
        "/api/docs/",
    ]:
        page.goto(path)
        page.wait_for_load_state("networkidle")

    # The objective's progress bar got its width from data-progress (no inline style).
    page.goto(f"/accounts/{account.pk}/plans/{plan.pk}/")
    bar = page.locator("[data-progress]").first
    expect(bar).to_be_visible()
    assert bar.evaluate("element => element.style.width") == "50%"

    # The health chart and the relationship map drew (their scripts ran).
    page.goto(f"/accounts/{account.pk}/")
    assert page.locator("#health-chart").evaluate("canvas => canvas.width") > 0
    page.goto(f"/accounts/{account.pk}/stakeholders/")
    expect(page.locator("[data-relationship-map] canvas").first).to_be_attached()

    assert violations == []
    assert errors == []

    # The check itself: an inline script is refused, and the refusal is seen.
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = 1'; document.body.append(s); }"
    )
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.injected") is None
    assert any("script" in text for text in violations)
