"""The people pickers in a real Chromium, in English and Portuguese: the account form's team
is chosen by typing part of each name, a search that finds no one says so, and one that finds
more people than it sends says to type more, one that gets no answer says it failed rather
than that no one matched, and a search left without choosing anyone does not reload the list
(kam/people.py, static/js/kam.js)."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Account
from kam.models import Role
from kam.people import SEARCH_LIMIT
from tests.browser.conftest import choose_person, screenshot
from tests.browser.labels import t
from tests.factories import PASSWORD, AccountFactory, UserFactory


@pytest.mark.parametrize("ui_language", ["en", "pt-br"])
def test_a_kam_picks_the_account_team_by_name(page, login, transactional_db, ui_language):
    owner = UserFactory(
        email="kam@example.com", full_name="Karina KAM", role=Role.KAM, language=ui_language
    )
    account = AccountFactory(name="Acme Brasil", owner=owner)
    joana = UserFactory(full_name="Joana Araújo", role=Role.KAM)
    pedro = UserFactory(full_name="Pedro Lima", role=Role.LEADER)
    for number in range(SEARCH_LIMIT + 1):
        UserFactory(full_name=f"Zeca {number:02d}", role=Role.KAM)

    login("kam@example.com", PASSWORD)
    page.goto(f"/accounts/{account.pk}/edit/")
    team = t(ui_language, "Account team")
    choose_person(page, team, "Joana Araújo")
    choose_person(page, team, "Pedro Lima")

    # Nobody by that name: the list says so.
    picker = page.get_by_role("combobox", name=team)
    picker.fill("Xavier")
    expect(page.locator(".ts-dropdown .no-results")).to_have_text(t(ui_language, "No one found"))
    # More people than one answer holds: the end of the list says to type more.
    picker.fill("Zeca")
    expect(page.get_by_role("option", name="Zeca 00")).to_be_visible()
    expect(page.locator(".ts-dropdown-content[data-more]")).to_have_attribute(
        "data-more-text", t(ui_language, "More people match: type more of the name.")
    )
    screenshot(page, f"people-picker-more-{ui_language}")
    picker.fill("")
    page.keyboard.press("Escape")

    page.get_by_role("button", name=t(ui_language, "Save"), exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(t(ui_language, "Account saved."))
    assert set(Account.objects.get(pk=account.pk).team.all()) == {joana, pedro}


@pytest.mark.parametrize("ui_language", ["en", "pt-br"])
def test_a_search_without_an_answer_says_it_failed(page, login, transactional_db, ui_language):
    owner = UserFactory(
        email="kam@example.com", full_name="Karina KAM", role=Role.KAM, language=ui_language
    )
    account = AccountFactory(name="Acme Brasil", owner=owner)
    UserFactory(full_name="Joana Araújo", role=Role.KAM)
    UserFactory(full_name="Jorge Souza", role=Role.KAM)

    login("kam@example.com", PASSWORD)
    page.goto(f"/accounts/{account.pk}/edit/")
    team = t(ui_language, "Account team")
    picker = page.get_by_role("combobox", name=team)
    picker.focus()
    picker.fill("Jo")
    expect(page.get_by_role("option", name="Joana Araújo")).to_be_visible()

    # The session ends (signed out in another tab): the search is answered by the sign-in page.
    page.context.clear_cookies()
    picker.fill("Jorge")
    expect(page.locator(".ts-dropdown .no-results")).to_have_text(
        t(ui_language, "The search failed: reload the page and try again.")
    )
    # The people of the search before are not shown as if they matched this one.
    expect(page.get_by_role("option", name="Joana Araújo")).to_have_count(0)


@pytest.mark.parametrize("ui_language", ["en", "pt-br"])
def test_leaving_a_search_without_choosing_leaves_the_list_as_it_was(
    page, login, transactional_db, ui_language
):
    UserFactory(email="leader@example.com", role=Role.LEADER, language=ui_language)
    karina = UserFactory(full_name="Karina KAM", role=Role.KAM)
    AccountFactory(name="Acme Brasil", owner=karina, status="active")
    login("leader@example.com", PASSWORD)
    page.goto("/accounts/")
    lists = []
    page.on("request", lambda r: lists.append(r.url) if "/accounts/?" in r.url else None)

    picker = page.get_by_role("combobox", name=t(ui_language, "Owner"), exact=True)
    picker.focus()
    with page.expect_response(lambda r: "/people/" in r.url and "Xavier" in r.url):
        picker.fill("Xavier")
    page.get_by_role("heading", level=1).click()  # the search is left, no one chosen
    # The next change of the form is the first request of the list: leaving the search sent
    # none (it reloaded the list as it was, back on its first page).
    with page.expect_response(lambda r: "/accounts/?" in r.url and "status=active" in r.url):
        page.locator("#id_status").select_option("active")
    assert len(lists) == 1 and "status=active" in lists[0]


@pytest.mark.parametrize("ui_language", ["en", "pt-br"])
def test_back_within_the_list_shows_the_filters_its_accounts_were_chosen_by(
    page, login, transactional_db, ui_language
):
    """Owner, then status, then back: the list is the owner's, and so are the filters shown;
    the next change keeps the owner (htmx's copy of the page kept the fields as first drawn)."""
    UserFactory(email="leader@example.com", role=Role.LEADER, language=ui_language)
    karina = UserFactory(full_name="Karina KAM", role=Role.KAM)
    rafael = UserFactory(full_name="Rafael Novo", role=Role.KAM)
    AccountFactory(name="Acme Brasil", owner=karina, status="active")
    AccountFactory(name="Beta Ltda", owner=karina, status="at_risk")
    AccountFactory(name="Gama SA", owner=rafael, status="active")
    login("leader@example.com", PASSWORD)
    page.goto("/accounts/")
    names = page.locator("#account-results tbody td.account-name a")
    owner = t(ui_language, "Owner")

    choose_person(page, owner, "Karina KAM", exact=True)
    expect(names).to_have_text(["Acme Brasil", "Beta Ltda"])
    page.locator("#id_status").select_option("at_risk")
    expect(names).to_have_text(["Beta Ltda"])

    page.go_back()
    expect(page).to_have_url(re.compile(rf"owner={karina.pk}"))
    expect(names).to_have_text(["Acme Brasil", "Beta Ltda"])
    expect(page.locator("#account-filters .ts-control .item")).to_have_text("Karina KAM")
    expect(page.locator("#id_status")).to_have_value("")
    page.go_forward()
    expect(names).to_have_text(["Beta Ltda"])
    expect(page.locator("#id_status")).to_have_value("at_risk")
    expect(page.locator("#account-filters .ts-control .item")).to_have_text("Karina KAM")

    # Back again, and the next filter keeps the owner the list shows.
    page.go_back()
    expect(names).to_have_text(["Acme Brasil", "Beta Ltda"])
    page.locator("#id_status").select_option("active")
    expect(names).to_have_text(["Acme Brasil"])
    expect(page).to_have_url(re.compile(rf"status=active.*owner={karina.pk}"))

    # Switching the language comes back to the list as it is now, not as first opened.
    page.locator("#language-select").select_option("pt-br" if ui_language == "en" else "en")
    expect(page.locator("html")).not_to_have_attribute("lang", ui_language)
    expect(page).to_have_url(re.compile(rf"status=active.*owner={karina.pk}"))
    expect(names).to_have_text(["Acme Brasil"])


@pytest.mark.parametrize("ui_language", ["en", "pt-br"])
def test_a_name_typed_then_enter_chooses_the_first_person_found(
    page, login, transactional_db, ui_language
):
    """The person chosen before and the option of nobody are not listed above the matches,
    where Enter would take them: Enter takes the first person the search found."""
    UserFactory(email="leader@example.com", role=Role.LEADER, language=ui_language)
    karina = UserFactory(full_name="Karina KAM", role=Role.KAM)
    rafael = UserFactory(full_name="Rafael Novo", role=Role.KAM)
    account = AccountFactory(name="Acme Brasil", owner=karina)
    AccountFactory(name="Gama SA", owner=rafael)
    login("leader@example.com", PASSWORD)

    page.goto("/accounts/")
    picker = page.get_by_role("combobox", name=t(ui_language, "Owner"), exact=True)
    picker.focus()
    # With nothing typed, the option of nobody comes first.
    expect(page.locator("#id_owner-ts-dropdown .option").first).to_have_attribute("data-value", "")
    with page.expect_response(lambda r: "/people/" in r.url and "Rafael" in r.url):
        picker.fill("Rafael")
    expect(page.locator("#id_owner-ts-dropdown .option")).to_have_count(1)
    picker.press("Enter")
    expect(page).to_have_url(re.compile(rf"owner={rafael.pk}"))
    expect(page.locator("#account-results tbody td.account-name a")).to_have_text(["Gama SA"])

    # The account form's owner: Karina now. Enter pressed as "Rafael" is typed, before its
    # search can answer (the same turn of the page's script), takes no one: the people the
    # first search found (Karina, the one chosen, first) have left the list, which says it is
    # searching.
    page.goto(f"/accounts/{account.pk}/edit/")
    owner = page.locator("#id_owner-ts-control")
    owner.focus()
    expect(page.get_by_role("option", name="Rafael Novo")).to_be_visible()
    listed, value = page.evaluate(
        """() => {
            const input = document.querySelector("#id_owner-ts-control");
            input.value = "Rafael";
            input.dispatchEvent(new Event("input", { bubbles: true }));
            const listed = document.querySelectorAll("#id_owner-ts-dropdown .option").length;
            input.dispatchEvent(
                new KeyboardEvent("keydown", { key: "Enter", keyCode: 13, bubbles: true })
            );
            return [listed, document.querySelector("#id_owner").value];
        }"""
    )
    assert (listed, value) == (0, str(karina.pk))
    expect(page.locator("#id_owner-ts-dropdown .searching")).to_have_text(
        t(ui_language, "Searching…")
    )
    # Once it answers, Enter takes the first person found.
    expect(page.locator("#id_owner-ts-dropdown .option")).to_have_text(["Rafael Novo"])
    owner.press("Enter")
    expect(page.locator("#id_owner + .ts-wrapper .item")).to_have_text("Rafael Novo")


@pytest.mark.parametrize("ui_language", ["en"])
def test_a_name_typed_again_is_searched_again(page, login, transactional_db, ui_language):
    """A text searched before, typed again after another, lists the people it finds (not an
    empty list waiting for an answer that was never asked, nor the other text's people): each
    answer's list forgets the texts searched before it (Tom Select's clearOptions), so the
    text is asked again."""
    UserFactory(email="leader@example.com", role=Role.LEADER, language=ui_language)
    AccountFactory(owner=UserFactory(full_name="Karina KAM", role=Role.KAM))
    AccountFactory(owner=UserFactory(full_name="Rafael Novo", role=Role.KAM))
    login("leader@example.com", PASSWORD)
    page.goto("/accounts/")
    picker = page.get_by_role("combobox", name=t(ui_language, "Owner"), exact=True)
    picker.focus()
    for name in ("Rafael", "Karina", "Rafael"):
        with page.expect_response(lambda r, name=name: "/people/" in r.url and name in r.url):
            picker.fill(name)
        expect(page.locator("#id_owner-ts-dropdown .option")).to_have_text(
            ["Rafael Novo" if name == "Rafael" else "Karina KAM"]
        )


@pytest.mark.parametrize("ui_language", ["en"])
def test_a_picker_keeps_its_height_when_it_gets_the_focus(
    page, login, transactional_db, ui_language
):
    """In a narrow column (the audit trail's "who"), a picker with a person chosen keeps one
    line when its search box opens, so the button below does not move under the pointer."""
    UserFactory(email="admin@example.com", role=Role.ADMIN, language=ui_language)
    UserFactory(full_name="Luciana Lideranca-Comercial de Oliveira", role=Role.LEADER)
    login("admin@example.com", PASSWORD)
    page.goto("/configuration/audit/")
    choose_person(page, "Who", "Luciana Lideranca-Comercial de Oliveira", exact=True)
    wrapper = page.locator(".ts-wrapper").first
    page.keyboard.press("Escape")
    page.get_by_role("heading", level=1).click()
    blurred = wrapper.bounding_box()["height"]
    page.get_by_role("combobox", name="Who", exact=True).focus()
    expect(page.locator(".ts-wrapper.focus").first).to_be_visible()
    assert wrapper.bounding_box()["height"] == blurred
