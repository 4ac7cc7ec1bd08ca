"""The KAM's daily loop in a real Chromium (issue: daily loop, 'Done when')."""

import re

from playwright.sync_api import expect

from accounts.services import stakeholder_create
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, AccountFactory, UserFactory


def _account_with_people(owner):
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
    return account


def test_kam_logs_a_meeting_sees_it_then_completes_the_next_step(page, login, transactional_db):
    owner = UserFactory(email="karina@example.com", full_name="Karina Almeida")
    account = _account_with_people(owner)
    login("karina@example.com", PASSWORD)

    page.get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name="Acme Brasil").click()
    page.get_by_role("link", name="Timeline").click()
    before_url = page.url

    page.get_by_label("Type").select_option("meeting")
    page.get_by_label("Ana Lima · CFO").check()
    page.get_by_label("Bruno Reis · IT manager").check()
    page.get_by_label("Summary").fill("Quarterly roadmap review")
    page.get_by_label("Next step").fill("Send the revised proposal")
    page.get_by_role("button", name="Save interaction").click()

    timeline = page.get_by_role("list", name="Timeline, newest first")
    expect(
        page.get_by_role("status").filter(has_text="Logged: Quarterly roadmap review")
    ).to_be_visible()
    expect(timeline.get_by_role("listitem").first).to_contain_text("Send the revised proposal")
    expect(timeline).to_contain_text("Quarterly roadmap review")
    expect(timeline).to_contain_text("With Ana Lima, Bruno Reis")
    assert page.url == before_url  # updated in place, no reload
    expect(page.get_by_label("Summary")).to_have_value("")
    screenshot(page, "daily-loop-timeline")

    page.get_by_role("link", name="My work").click()
    upcoming = page.get_by_role("region", name=re.compile("Due in the next 14 days"))
    expect(upcoming).to_contain_text("Send the revised proposal")
    upcoming.get_by_role("button", name="Done: Send the revised proposal").click()
    expect(upcoming.get_by_role("button", name="Undo")).to_be_visible()

    page.goto(f"/accounts/{account.pk}/timeline/")
    first = page.get_by_role("list", name="Timeline, newest first").get_by_role("listitem").first
    expect(first).to_contain_text("Completed")
    expect(first).to_contain_text("Send the revised proposal")
    assert account.commitments.get().status == "done"


def test_another_kam_gets_404_for_the_account(page, login, transactional_db):
    owner = UserFactory(email="karina@example.com")
    account = _account_with_people(owner)
    UserFactory(email="rafael@example.com")
    login("rafael@example.com", PASSWORD)
    response = page.goto(f"/accounts/{account.pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="We could not find that page")).to_be_visible()
    assert page.goto(f"/accounts/{account.pk}/stakeholders/map.json").status == 404
