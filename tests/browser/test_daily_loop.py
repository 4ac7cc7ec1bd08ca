"""The KAM's daily loop in a real Chromium (issue: daily loop, 'Done when')."""

import re
from functools import partial

import pytest
from playwright.sync_api import expect

from accounts.services import stakeholder_create
from tests.browser.conftest import screenshot
from tests.browser.labels import t
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


@pytest.mark.parametrize("ui_language", ["en", "pt-br"])
def test_kam_logs_a_meeting_sees_it_then_completes_the_next_step(
    page, login, transactional_db, ui_language
):
    """My work → the account → log a meeting with a next step → the commitment is in My work
    → done → the account's timeline says so; every step found by its label, in both languages."""
    _ = partial(t, ui_language)
    owner = UserFactory(
        email="karina@example.com", full_name="Karina Almeida", language=ui_language
    )
    account = _account_with_people(owner)
    login("karina@example.com", PASSWORD)

    expect(page.get_by_role("heading", name=_("My work"))).to_be_visible()
    owed = page.get_by_role("region", name=_("Accounts owed a touch"))
    owed.get_by_role("link", name="Acme Brasil").click()
    page.get_by_role("link", name=_("Timeline"), exact=True).click()
    page.wait_for_url(re.compile(rf"/accounts/{account.pk}/timeline/$"))  # htmx is running
    before_url = page.url
    page.evaluate("window.notReloaded = true")  # gone if the save reloads the page

    quick_log = page.get_by_role("form", name=_("Log an interaction"))
    quick_log.get_by_label(_("Type")).select_option("meeting")
    quick_log.get_by_label("Ana Lima · CFO").check()
    quick_log.get_by_label("Bruno Reis · IT manager").check()
    quick_log.get_by_label(_("Summary")).fill("Quarterly roadmap review")
    quick_log.get_by_label(_("Next step")).fill("Send the revised proposal")
    quick_log.get_by_role("button", name=_("Save interaction")).click()

    timeline = page.get_by_role("list", name=_("Timeline, newest first"))
    logged = _("Logged: {kind} with {account}", kind=_("Meeting"), account="Acme Brasil")
    confirmation = page.get_by_role("alert").filter(has_text=logged)
    expect(confirmation).to_contain_text("Quarterly roadmap review")
    # The form's time has no seconds: entries of the same minute may come in either order.
    expect(
        timeline.get_by_role("listitem").filter(has_text="Send the revised proposal")
    ).to_be_visible()
    expect(timeline).to_contain_text("Quarterly roadmap review")
    expect(timeline).to_contain_text(_("With {names}", names="Ana Lima, Bruno Reis"))
    assert page.url == before_url  # updated in place, no reload
    assert page.evaluate("window.notReloaded") is True
    expect(quick_log.get_by_label(_("Summary"))).to_have_value("")
    screenshot(page, f"daily-loop-timeline-{ui_language}")

    page.get_by_role("link", name=_("My work")).click()
    page.wait_for_url("/")  # loaded: “Done” is an htmx form
    upcoming = page.get_by_role("region", name=re.compile(_("This week")))
    expect(upcoming).to_contain_text("Send the revised proposal")
    upcoming.get_by_role(
        "button", name=_("Done “{title}”", title="Send the revised proposal")
    ).click()
    expect(upcoming.get_by_role("button", name=_("Undo"))).to_be_visible()

    upcoming.get_by_role("link", name="Acme Brasil").click()
    page.get_by_role("link", name=_("Timeline"), exact=True).click()
    first = page.get_by_role("list", name=_("Timeline, newest first")).get_by_role("listitem").first
    expect(first).to_contain_text(_("Completed"))
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
