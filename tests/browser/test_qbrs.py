"""QBRs in a real Chromium (issue: QBRs, 'Done when'): schedule and hold a QBR from its prep
pack; its next steps appear in My work; the PDF opens."""

import re
from datetime import timedelta

from django.utils import translation
from playwright.sync_api import expect

from accounts.services import stakeholder_create
from activities.models import QBR, CommitmentStatus
from activities.services import qbr_schedule
from insights.services import health_recompute
from kam.dates import business_date
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, AccountFactory, CommitmentFactory, UserFactory

NEXT_STEP = "Send the renewal proposal to Ana"


def _account_ready_for_a_qbr(owner):
    """An account with two people, one overdue commitment and a health score for today."""
    account = AccountFactory(name="Acme Brasil", owner=owner)
    boss = stakeholder_create(
        account=account, actor=owner, name="Ana Lima", title="CFO", buying_role="decision_maker"
    )
    stakeholder_create(
        account=account,
        actor=owner,
        name="Bruno Reis",
        title="IT manager",
        buying_role="champion",
        reports_to=boss,
    )
    today = business_date()
    CommitmentFactory(
        account=account, title="Fix the invoice errors", due_date=today - timedelta(days=5)
    )
    CommitmentFactory(
        account=account, title="Share the onboarding plan", due_date=today + timedelta(days=30)
    )
    health_recompute(account_ids=[account.pk], day=today)
    return account


def test_kam_schedules_preps_and_holds_a_qbr_then_sees_its_next_step(page, login, transactional_db):
    owner = UserFactory(email="karina@example.com", full_name="Karina Almeida")
    account = _account_ready_for_a_qbr(owner)
    today = business_date()
    due = today + timedelta(days=7)
    login("karina@example.com", PASSWORD)

    # Schedule from the account's QBRs tab.
    page.get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name="Acme Brasil").click()
    page.get_by_role("link", name="QBRs", exact=True).click()
    expect(page.get_by_role("heading", name="Schedule a QBR")).to_be_visible()
    expect(page.get_by_text("No QBRs yet.")).to_be_visible()
    page.get_by_label("Date").fill(today.isoformat())
    page.get_by_label("Karina Almeida").check()
    page.get_by_label("Ana Lima · CFO").check()
    page.get_by_label("Agenda").fill("Renewal, roadmap, open invoices")
    page.get_by_role("button", name="Schedule QBR").click()
    expect(page.get_by_text("QBR scheduled.")).to_be_visible()
    qbr = QBR.objects.get(account=account)
    row = page.locator(f"#qbr-{qbr.pk}")
    expect(row).to_contain_text("Planned")
    expect(row).to_contain_text("Karina Almeida · Ana Lima")

    # The prep pack, from live data.
    row.get_by_role("link", name="Prep pack").click()
    expect(page).to_have_url(re.compile(rf"/qbrs/{qbr.pk}/prep/$"))
    pack = page.get_by_role("article")
    expect(pack.get_by_role("heading", level=2)).to_contain_text("QBR prep pack · Acme Brasil")
    expect(pack).to_contain_text("Ana Lima (CFO)")
    expect(pack).to_contain_text("Renewal, roadmap, open invoices")
    overdue = pack.get_by_role("region", name=re.compile("Gaps: overdue commitments"))
    expect(overdue.get_by_role("heading")).to_contain_text("(1)")
    expect(overdue).to_contain_text("Fix the invoice errors")
    expect(overdue).not_to_contain_text("Share the onboarding plan")
    health = pack.get_by_role("region", name="Health trend and reasons")
    expect(health.locator(".health-score")).to_have_text(re.compile(r"^\d+$"))
    expect(health.get_by_role("columnheader", name="Reason")).to_be_visible()
    expect(pack.get_by_role("region", name="Stakeholder coverage")).to_be_visible()
    expect(pack.get_by_role("region", name="Revenue")).to_contain_text("Last 12 months")
    screenshot(page, "qbr-prep-pack")

    # The PDF opens: a real PDF, served as a download.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"qbr-acme-brasil-{today:%Y-%m-%d}.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    response = page.request.get(f"/qbrs/{qbr.pk}/prep.pdf")
    assert response.ok
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")

    # From the prep pack to the QBR, and record it as held.
    page.get_by_role("link", name="Back to the QBR").click()
    expect(page).to_have_url(re.compile(rf"/qbrs/{qbr.pk}/$"))
    hold = page.locator("form#qbr-hold")
    expect(hold.get_by_role("heading", name="Record the outcome")).to_be_visible()
    expect(hold.get_by_label("Ana Lima · CFO")).to_be_checked()
    hold.get_by_label("Outcome notes").fill("Renewal agreed in principle; invoices to be fixed.")
    hold.get_by_label("Client rating (1–5)").select_option("4")
    hold.get_by_label("Next step", exact=True).fill(NEXT_STEP)
    hold.get_by_label("Owner").select_option(label="Karina Almeida")
    hold.get_by_label("Due", exact=True).fill(due.isoformat())
    hold.get_by_role("button", name="Record as held").click()

    expect(page.get_by_text("QBR recorded as held.")).to_be_visible()
    expect(page.locator("form#qbr-hold")).to_have_count(0)
    about = page.get_by_role("region", name="About this review")
    expect(about).to_contain_text("4/5")
    expect(about).to_contain_text("Renewal agreed in principle")
    steps = page.get_by_role("region", name="Next steps agreed")
    expect(steps).to_contain_text(NEXT_STEP)
    screenshot(page, "qbr-held")

    qbr.refresh_from_db()
    assert qbr.status == "held"
    assert qbr.rating == 4
    step = qbr.commitments.get()
    assert (step.title, step.owner_user, step.due_date) == (NEXT_STEP, owner, due)
    assert step.status == CommitmentStatus.OPEN

    # The next step is in My work, due soon.
    page.get_by_role("link", name="My work").click()
    upcoming = page.get_by_role("region", name=re.compile("This week"))
    expect(upcoming).to_contain_text(NEXT_STEP)
    overdue_work = page.get_by_role("region", name=re.compile("^Overdue"))
    expect(overdue_work).to_contain_text("Fix the invoice errors")
    expect(overdue_work).not_to_contain_text(NEXT_STEP)
    screenshot(page, "qbr-my-work")


PREP_HEADINGS = [
    "Delivered since the last QBR",
    "Gaps: overdue commitments",
    "Health trend and reasons",
    "Stakeholder coverage",
    "Revenue",
]


def test_prep_pack_speaks_the_users_language(page, login, transactional_db):
    """The prep pack's headings come out in the reader's language (the catalogue is complete:
    tests/kam/test_i18n.py)."""
    with translation.override("pt-br"):
        translated = {english: translation.gettext(english) for english in PREP_HEADINGS}
    assert all(english != portuguese for english, portuguese in translated.items())
    owner = UserFactory(email="karina@example.com", full_name="Karina Almeida", language="pt-br")
    account = _account_ready_for_a_qbr(owner)
    qbr = qbr_schedule(account=account, actor=owner, scheduled_on=business_date())
    login("karina@example.com", PASSWORD)
    page.goto(f"/qbrs/{qbr.pk}/prep/")

    pack = page.get_by_role("article")
    for english, portuguese in translated.items():
        expect(pack.get_by_role("heading", name=portuguese)).to_be_visible()
        expect(pack.get_by_role("heading", name=english)).to_have_count(0)
    expect(pack).to_contain_text("Fix the invoice errors")
    screenshot(page, "qbr-prep-pack-pt-br")
