"""Account plans in a real Chromium (issue: account plans, 'Done when'): a plan built through
the UI, and two people saving the same plan at once without losing either's work."""

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from kam.dates import business_date
from plans import services
from plans.models import AccountPlan
from tests.browser.conftest import log_in, new_page, screenshot
from tests.factories import PASSWORD, AccountFactory, UserFactory


def _section(page, title: str):
    """A plan section (a card with a heading such as “Retention risks 0”)."""
    return page.get_by_role("region", name=re.compile(rf"^{re.escape(title)}\b"))


def _add(page, section_title: str, add_label: str, fields: dict[str, str]):
    """Open the section's add form, fill it by label and submit it (htmx swaps the plan in)."""
    section = _section(page, section_title)
    section.get_by_role("button", name=add_label).first.click()
    form = section.locator("form").filter(has=page.get_by_role("button", name=add_label))
    expect(form).to_be_visible()
    # The form has finished opening (Bootstrap's collapse adds "show" when its animation ends).
    opening = form.locator("xpath=ancestor::div[contains(@class, 'collapse')][1]")
    expect(opening).to_have_class(re.compile(r"\bshow\b"))
    for label, value in fields.items():
        # Required fields' labels end in “*”: match the whole label, not a part of another.
        field = form.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)
    # The save's answer, named when it fails: an error answer htmx does not swap (or none
    # within the timeout) otherwise shows only as a row that never appears.
    with page.expect_response(
        lambda response: response.request.method == "POST" and response.url.endswith("/new/")
    ) as answer:
        form.get_by_role("button", name=add_label).click()
    assert answer.value.status == 200, (section_title, answer.value.status, answer.value.text())
    return _section(page, section_title)


def _history(page):
    """The plan history's entries, newest first (each starts with its version, e.g. “v3”)."""
    return page.get_by_role("listitem").filter(has_text=re.compile(r"^\s*v\d+\s"))


def test_kam_builds_a_plan_and_the_history_lists_every_change(page, login, transactional_db):
    owner = UserFactory(email="karina@example.com", full_name="Karina Almeida")
    account = AccountFactory(name="Acme Brasil", owner=owner)
    login("karina@example.com", PASSWORD)

    page.get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name="Acme Brasil").click()
    page.get_by_role("link", name="Account plan").click()
    expect(page.get_by_role("heading", name="No active plan")).to_be_visible()
    page.get_by_role("link", name="Create plan").click()
    page.get_by_label("Title").fill("Acme growth plan 2026")
    page.get_by_label("Period start").fill("2026-01-01")
    page.get_by_label("Period end").fill("2026-12-31")
    page.get_by_role("button", name="Create plan").click()
    # Loaded before the “Add …” buttons (Bootstrap) and forms (htmx) are used.
    page.wait_for_url(re.compile(rf"/accounts/{account.pk}/plans/\d+/$"))
    expect(page.get_by_role("alert").filter(has_text="Plan created as a draft")).to_be_visible()
    expect(page.get_by_role("heading", name="Acme growth plan 2026")).to_be_visible()
    plan_url = page.url

    objectives = _add(
        page,
        "Client objectives",
        "Add objective",
        {
            "What the client wants": "Cut unplanned downtime on line 2",
            "Metric": "Downtime",
            "Baseline": "40",
            "Target": "20",
            "Unit": "h/month",
        },
    )
    row = objectives.get_by_role("row", name=re.compile("Cut unplanned downtime on line 2"))
    expect(row).to_contain_text("Downtime")
    expect(row).to_contain_text("h/month")
    expect(row.get_by_role("cell").nth(2)).to_have_text("40")
    expect(row.get_by_role("cell").nth(4)).to_have_text("20")

    risks = _add(
        page,
        "Retention risks",
        "Add risk",
        {
            "Risk": "Competitor pilot at the Campinas plant",
            "Severity": "4",
            "Likelihood": "3",
            "Mitigation": "Show the downtime figures at the QBR",
        },
    )
    row = risks.get_by_role("row", name=re.compile("Competitor pilot at the Campinas plant"))
    expect(row).to_contain_text("High")
    expect(row).to_contain_text("4/5")
    expect(row).to_contain_text("Show the downtime figures at the QBR")
    expect(row).to_contain_text("Karina Almeida")

    opportunities = _add(
        page,
        "Expansion opportunities",
        "Add opportunity",
        {"Kind": "Cross-sell", "Title": "Predictive maintenance for line 3", "Amount": "120000"},
    )
    row = opportunities.get_by_role("row", name=re.compile("Predictive maintenance for line 3"))
    expect(row).to_contain_text("Cross-sell")
    expect(row).to_contain_text("Identified")
    expect(row).to_contain_text("50%")

    due = business_date() + timedelta(days=30)
    actions = _add(
        page,
        "Actions",
        "Add action",
        {
            "Action": "Book the line 2 downtime review",
            "Due date": due.isoformat(),
            "For objective": "Cut unplanned downtime on line 2",
        },
    )
    row = actions.get_by_role("row", name=re.compile("Book the line 2 downtime review"))
    expect(row).to_contain_text("Cut unplanned downtime on line 2")
    expect(row).to_contain_text("Karina Almeida")
    expect(row).to_contain_text("Open")
    expect(row).not_to_contain_text("overdue")
    assert page.url == plan_url  # every row was added in place
    for title in ("Client objectives", "Retention risks", "Expansion opportunities", "Actions"):
        expect(_section(page, title).get_by_role("heading")).to_contain_text("1")
    screenshot(page, "plan-built-in-the-browser")

    page.reload()  # and they are really saved, not just swapped into the page
    for text in (
        "Cut unplanned downtime on line 2",
        "Competitor pilot at the Campinas plant",
        "Predictive maintenance for line 3",
        "Book the line 2 downtime review",
    ):
        expect(page.get_by_role("row", name=re.compile(re.escape(text))).first).to_be_visible()

    page.get_by_role("link", name="History", exact=True).click()
    expect(page.get_by_role("heading", name="Plan history")).to_be_visible()
    expect(page.get_by_text("The plan is at version 5.")).to_be_visible()
    changes = _history(page)
    expect(changes).to_have_count(5)
    for position, (version, entity, label) in enumerate(
        [
            ("v5", "Action", "Book the line 2 downtime review"),
            ("v4", "Opportunity", "Predictive maintenance for line 3"),
            ("v3", "Risk", "Competitor pilot at the Campinas plant"),
            ("v2", "Objective", "Cut unplanned downtime on line 2"),
            ("v1", "Plan", "Acme growth plan 2026"),
        ]
    ):
        change = changes.nth(position)
        expect(change).to_contain_text(version)
        expect(change).to_contain_text(f"Added {entity} “{label}”")
        expect(change).to_contain_text("Karina Almeida")
    expect(changes.nth(3)).to_contain_text("Baseline")
    expect(changes.nth(2)).to_contain_text("Show the downtime figures at the QBR")
    screenshot(page, "plan-history")

    plan = AccountPlan.objects.get(account=account)
    assert plan.version == 5 and plan.status == "draft"
    assert plan.objectives.get().target == 20
    action = plan.actions.get()
    assert (action.objective, action.due_date, action.owner) == (plan.objectives.get(), due, owner)
    assert (plan.risks.count(), plan.opportunities.count()) == (1, 1)


def test_two_people_save_the_same_plan_and_nothing_is_lost(browser, live_server, transactional_db):
    owner = UserFactory(email="karina@example.com", full_name="Karina Almeida")
    member = UserFactory(email="rafael@example.com", full_name="Rafael Souza")
    account = AccountFactory(name="Acme Brasil", owner=owner)
    account.team.add(member)
    plan = services.plan_create(
        account=account,
        actor=owner,
        status="active",
        title="Acme 2026",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        swot_strengths="Trusted on line 2",
    )

    karina, rafael = (new_page(browser, live_server.url) for _ in range(2))
    try:
        for window, email in ((karina, "karina@example.com"), (rafael, "rafael@example.com")):
            log_in(window, email, PASSWORD)
            window.goto(f"/accounts/{account.pk}/")
            window.get_by_role("link", name="Account plan").click()
            window.get_by_role("link", name="Edit plan").click()
            expect(window.get_by_role("heading", name="Edit Acme 2026")).to_be_visible()

        # Karina saves first: the governance rhythm.
        karina.get_by_label("Governance rhythm").fill("Monthly steering with the COO")
        karina.get_by_role("button", name="Save").click()
        expect(karina.get_by_role("alert").filter(has_text="Plan saved.")).to_be_visible()
        expect(karina.get_by_role("region", name="Governance rhythm")).to_contain_text(
            "Monthly steering with the COO"
        )

        # Rafael, on the form he opened before her save, changes the threats and saves.
        rafael.get_by_label("Threats").fill("Competitor pilot at the Campinas plant")
        rafael.get_by_role("button", name="Save").click()
        expect(
            rafael.get_by_role("alert").filter(
                has_text="Someone else changed this plan while you were editing."
            )
        ).to_be_visible()
        theirs = rafael.locator("#conflict")  # the card beside the form, no landmark of its own
        expect(theirs).to_contain_text("Saved meanwhile by someone else (version 2)")
        expect(theirs).to_contain_text("Monthly steering with the COO")
        # Nothing lost: his text is still in the form, hers is merged into it.
        expect(rafael.get_by_label("Threats")).to_have_value(
            "Competitor pilot at the Campinas plant"
        )
        expect(rafael.get_by_label("Governance rhythm")).to_have_value(
            "Monthly steering with the COO"
        )
        expect(rafael.get_by_label("Strengths")).to_have_value("Trusted on line 2")
        plan.refresh_from_db()
        assert (plan.version, plan.swot_threats) == (2, "")  # his refused save wrote nothing
        screenshot(rafael, "plan-edit-conflict")

        rafael.get_by_role("button", name="Save").click()
        expect(rafael.get_by_role("alert").filter(has_text="Plan saved.")).to_be_visible()
        swot = rafael.get_by_role("region", name="SWOT")
        expect(swot).to_contain_text("Competitor pilot at the Campinas plant")
        expect(swot).to_contain_text("Trusted on line 2")
        expect(rafael.get_by_role("region", name="Governance rhythm")).to_contain_text(
            "Monthly steering with the COO"
        )

        plan.refresh_from_db()
        assert plan.version == 3
        assert plan.governance_rhythm == "Monthly steering with the COO"
        assert plan.swot_threats == "Competitor pilot at the Campinas plant"
        assert plan.swot_strengths == "Trusted on line 2"

        # Karina reloads the plan and sees both; the history says who changed what.
        karina.reload()
        expect(karina.get_by_role("region", name="SWOT")).to_contain_text(
            "Competitor pilot at the Campinas plant"
        )
        karina.get_by_role("link", name="History", exact=True).click()
        changes = _history(karina)
        expect(changes.nth(0)).to_contain_text("Changed Plan")
        expect(changes.nth(0)).to_contain_text("Rafael Souza")
        expect(changes.nth(0).get_by_role("row", name=re.compile("Threats"))).to_contain_text(
            "Competitor pilot at the Campinas plant"
        )
        expect(changes.nth(0)).not_to_contain_text("Governance rhythm")  # his save kept hers
        expect(changes.nth(1)).to_contain_text("Karina Almeida")
        expect(
            changes.nth(1).get_by_role("row", name=re.compile("Governance rhythm"))
        ).to_contain_text("Monthly steering with the COO")
    finally:
        for window in (karina, rafael):
            window.context.close()
