"""The portfolio dashboard in a real Chromium (issue 6, 'Done when'): a leader sees every block,
filters in place, and the at-risk count opens the list of exactly those accounts."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import choose_person, expect_chart_drawn, screenshot
from tests.factories import PASSWORD, UserFactory
from tests.insights.portfolio_data import build_portfolio

BLOCKS = [
    "Revenue concentration (Pareto)",
    "Accounts and health by tier",
    "Portfolio health, last 12 months",
    "Revenue retention, trailing 12 months",
    "Accounts with health at risk",
    "Renewals in the next 90 days",
    "Top expansion opportunities",
    "Load per KAM against the tier policy",
]


def account_names(page):
    """The names in the accounts list (sorted by name)."""
    return page.locator("#account-results tbody tr td.account-name a")


def test_leader_reads_the_dashboard_and_opens_the_at_risk_accounts(
    page, login, transactional_db, now, kam_user, outsider, team_member
):
    leader = UserFactory(email="leader@example.com", full_name="Luciana Leader", role="leader")
    build_portfolio(kam_user=kam_user, outsider=outsider, team_member=team_member, leader=leader)
    login("leader@example.com", PASSWORD)
    page.goto("/portfolio/")
    for heading in BLOCKS:
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.locator("#kpi-revenue")).to_have_text("1,500")
    expect(page.locator("#kpi-nrr")).to_have_text("57.7 %")
    expect(page.locator("#portfolio-rates")).to_contain_text("1 USD = 5 BRL")
    for chart in ("pareto-chart", "tiers-chart", "trend-chart"):
        expect_chart_drawn(page, chart)
    screenshot(page, "portfolio-dashboard")

    at_risk = page.locator("#kpi-at-risk")
    expect(at_risk).to_have_text("2 accounts with health at risk")
    at_risk.click()
    expect(page).to_have_url(re.compile(r"/accounts/\?.*band=at_risk"))
    expect(page.locator("#account-results")).to_contain_text("2 accounts")
    expect(account_names(page)).to_have_text(["Bravo", "Echo"])

    # Filters change the figures in place and stay in the URL; the link follows them.
    page.go_back()
    page.get_by_label("Region").select_option("Norte")
    expect(page).to_have_url(re.compile(r"/portfolio/\?.*region=Norte"))
    expect(page.locator("#kpi-at-risk")).to_have_text("1 account with health at risk")
    # The swap put new canvases in; the charts are drawn on them on htmx:afterSettle.
    for chart in ("pareto-chart", "tiers-chart"):
        expect_chart_drawn(page, chart)
    page.locator("#kpi-at-risk").click()
    expect(page).to_have_url(re.compile(r"region=Norte"))
    expect(page.locator("#account-results")).to_contain_text("1 account")
    expect(account_names(page)).to_have_text(["Bravo"])
    screenshot(page, "portfolio-at-risk-list")

    # The KAM filter is a people picker: it finds a KAM by part of the name, and the figures
    # follow (Bravo, the Norte account at risk, is Olivia's).
    page.go_back()
    choose_person(page, "KAM", "Olivia Owner")
    expect(page).to_have_url(re.compile(rf"/portfolio/\?.*owner={kam_user.pk}"))
    expect(page.locator("#kpi-at-risk")).to_have_text("1 account with health at risk")
    screenshot(page, "portfolio-kam-picker")
    # The option of no one is still offered after a search (the list closed on the choice,
    # the picker keeps the focus: a click opens it again)...
    page.locator("#filter-owner + .ts-wrapper .ts-control .item").click()
    expect(page.get_by_role("option", name="Every KAM")).to_be_visible()
    page.keyboard.press("Escape")
    # ...and the back button within the page (the page at that address, asked of the server:
    # hx-history="false") shows no KAM chosen, with a picker that works.
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"owner=\d"))
    expect(page.locator("#filter-owner + .ts-wrapper .item")).to_have_text("Every KAM")
    choose_person(page, "KAM", "Oscar Outsider")
    expect(page).to_have_url(re.compile(rf"owner={outsider.pk}"))
