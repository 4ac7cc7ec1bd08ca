from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, UserFactory


def test_kam_logs_in_switches_to_portuguese_and_logs_out(page, login, transactional_db):
    UserFactory(email="karina@example.com", full_name="Karina Almeida")
    login("karina@example.com", PASSWORD)
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    expect(page.get_by_role("link", name="Configuration")).to_have_count(0)

    page.get_by_label("Language").select_option("pt-br")
    expect(page.get_by_role("heading", name="Meu trabalho")).to_be_visible()
    expect(page.get_by_role("link", name="Contas", exact=True)).to_be_visible()
    screenshot(page, "shell-pt-br")

    page.get_by_role("button", name="Sair").click()
    expect(page.get_by_role("heading", name="Entrar no KAM")).to_be_visible()


def test_wrong_password_shows_the_generic_message(page, transactional_db):
    UserFactory(email="karina@example.com")
    page.goto("/login/")
    page.get_by_label("Email").fill("karina@example.com")
    page.get_by_label("Password").fill("not it")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Email or password is not correct.")).to_be_visible()
