"""The accounts list's power tools in a real Chromium, in English and Portuguese (issue 16,
point 9): sort by revenue from its header, choose the columns, save a view and reopen it, hand
two accounts over as a leader, and export the ticked rows as a CSV."""

import csv
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import Account, ExchangeRate
from tests.browser.conftest import choose_person, screenshot
from tests.browser.labels import t
from tests.factories import PASSWORD, AccountFactory, UserFactory

LANGUAGES = pytest.mark.parametrize("ui_language", ["en", "pt-br"])


@pytest.fixture
def portfolio(transactional_db, ui_language):
    leader = UserFactory(
        email="leader@example.com", full_name="Luciana Leader", role="leader", language=ui_language
    )
    karina = UserFactory(email="karina@example.com", full_name="Karina KAM", role="kam")
    rafael = UserFactory(email="rafael@example.com", full_name="Rafael Novo", role="kam")
    ExchangeRate.objects.create(currency="USD", rate=Decimal("5"), valid_from=date(2020, 1, 1))
    for name, currency, revenue in [
        ("Alpha", "BRL", "300000"),
        ("Bravo", "USD", "100000"),  # 500,000 in BRL: the largest
        ("Charlie", "BRL", "1000"),
    ]:
        AccountFactory(
            name=name, owner=karina, currency=currency, revenue_last_12m=Decimal(revenue)
        )
    return leader, karina, rafael


def names(page):
    return page.locator("#account-results tbody tr td.account-name a")


@LANGUAGES
def test_sort_by_revenue_choose_columns_and_save_a_view(page, login, portfolio, ui_language):
    login("leader@example.com", PASSWORD)
    page.goto("/accounts/")
    expect(names(page)).to_have_text(["Alpha", "Bravo", "Charlie"])

    header = page.get_by_role(
        "columnheader", name=t(ui_language, "Revenue, last 12 months ({currency})", currency="BRL")
    )
    header.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"sort=-revenue"))
    expect(names(page)).to_have_text(["Bravo", "Alpha", "Charlie"])
    expect(header).to_have_attribute("aria-sort", "descending")
    header.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"sort=revenue(&|$)"))
    expect(names(page)).to_have_text(["Charlie", "Alpha", "Bravo"])
    header.get_by_role("link").click()
    expect(names(page)).to_have_text(["Bravo", "Alpha", "Charlie"])

    # Columns: Industry off; the URL keeps it, with the sort.
    industry = page.get_by_role("columnheader", name=t(ui_language, "Industry"))
    expect(industry).to_be_visible()
    page.get_by_text(t(ui_language, "Columns"), exact=True).click()
    page.get_by_role("checkbox", name=t(ui_language, "Industry"), exact=True).uncheck()
    expect(industry).to_have_count(0)
    expect(page).to_have_url(re.compile(r"cols=.*sort=-revenue|sort=-revenue.*cols="))
    expect(names(page)).to_have_text(["Bravo", "Alpha", "Charlie"])

    # Save the view, leave, and reopen it from the menu.
    page.get_by_text(t(ui_language, "Save view"), exact=True).click()
    page.get_by_label(t(ui_language, "View name")).fill("Largest first")
    page.get_by_label(t(ui_language, "Share with my team")).check()
    page.get_by_role("button", name=t(ui_language, "Save this view")).click()
    expect(page.get_by_role("alert")).to_contain_text(
        t(ui_language, "View “{name}” saved.", name="Largest first")
    )
    page.goto("/accounts/")
    expect(names(page)).to_have_text(["Alpha", "Bravo", "Charlie"])
    page.get_by_role("button", name=t(ui_language, "Saved views")).click()
    page.get_by_role("link", name="Largest first").click()
    expect(page).to_have_url(re.compile(r"view=\d+"))
    expect(names(page)).to_have_text(["Bravo", "Alpha", "Charlie"])
    expect(page.get_by_role("columnheader", name=t(ui_language, "Industry"))).to_have_count(0)
    screenshot(page, f"accounts-list-view-{ui_language}")
    # The back button goes back through the list's states.
    page.go_back()
    expect(names(page)).to_have_text(["Alpha", "Bravo", "Charlie"])


@LANGUAGES
def test_leader_hands_two_accounts_over_and_exports_them(page, login, portfolio, ui_language):
    _leader, _karina, rafael = portfolio
    login("leader@example.com", PASSWORD)
    page.goto("/accounts/?q=a")
    for name in ("Alpha", "Bravo"):
        page.get_by_role("checkbox", name=t(ui_language, "Select {name}", name=name)).check()
    choose_person(page, t(ui_language, "New owner"), "Rafael Novo")
    page.get_by_role("button", name=t(ui_language, "Reassign owner")).click()
    expect(page.get_by_role("alert")).to_contain_text(
        t(ui_language, "{count} accounts handed over to {owner}.", count=2, owner="Rafael Novo")
    )
    expect(page).to_have_url(re.compile(r"/accounts/\?q=a$"))
    owners = dict(Account.objects.values_list("name", "owner__email"))
    assert owners == {
        "Alpha": rafael.email,
        "Bravo": rafael.email,
        "Charlie": "karina@example.com",
    }

    for name in ("Alpha", "Charlie"):
        page.get_by_role("checkbox", name=t(ui_language, "Select {name}", name=name)).check()
    with page.expect_download() as download_info:
        page.get_by_role("button", name=t(ui_language, "Export selection (CSV)")).click()
    download = download_info.value
    assert download.suggested_filename == "accounts-selection.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    # Written for the user's spreadsheet: `;` in Portuguese, `,` in English.
    delimiter = ";" if ui_language == "pt-br" else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    assert [row[1] for row in rows[1:]] == ["Alpha", "Charlie"]

    # "Select all on this page" ticks every row.
    page.get_by_role("checkbox", name=t(ui_language, "Select all on this page")).check()
    for name in ("Alpha", "Bravo", "Charlie"):
        expect(
            page.get_by_role("checkbox", name=t(ui_language, "Select {name}", name=name))
        ).to_be_checked()
