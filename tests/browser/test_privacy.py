"""A KAM erases a contact's personal data on request, in both languages (docs/privacy.md)."""

import re
from datetime import timedelta
from functools import partial

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.services import stakeholder_create
from activities.models import Interaction
from activities.services import interaction_log
from tests.browser.conftest import screenshot
from tests.browser.labels import t
from tests.factories import PASSWORD, AccountFactory, UserFactory


@pytest.mark.parametrize("ui_language", ["en", "pt-br"])
def test_a_kam_exports_then_erases_a_contact_and_the_interaction_stays(
    page, login, transactional_db, ui_language, default_working_calendar, settings
):
    _ = partial(t, ui_language)
    # The erased label is stored in the installation's language: a Brazilian one here.
    settings.LANGUAGE_CODE = ui_language
    kam = UserFactory(email="karina@example.com", language=ui_language)
    account = AccountFactory(name="Acme Brasil", owner=kam)
    person = stakeholder_create(
        account=account, actor=kam, name="Ana Lima", email="ana@acme.example", phone="11 5555"
    )
    interaction_log(
        account=account,
        actor=kam,
        kind="meeting",
        occurred_at=timezone.now() - timedelta(days=1),
        summary="Roadmap review with Ana Lima",
        stakeholders=[person],
    )
    login("karina@example.com", PASSWORD)
    page.goto(f"/accounts/{account.pk}/stakeholders/{person.pk}/edit/")

    page.get_by_role("link", name=_("Export personal data")).click()
    expect(
        page.get_by_role("heading", name=_("Personal data of {name}", name="Ana Lima"))
    ).to_be_visible()
    expect(page.get_by_text("Roadmap review with Ana Lima")).to_be_visible()
    page.go_back()

    page.get_by_role("link", name=_("Erase personal data")).click()
    page.get_by_label(_("Reason")).fill("Pedido por e-mail em 2 de dezembro")
    page.get_by_label(_("Type the contact's name to confirm")).fill("Ana")
    page.get_by_role("button", name=_("Erase personal data")).click()
    expect(page.get_by_text(_("This is not the contact's name."))).to_be_visible()

    page.get_by_label(_("Type the contact's name to confirm")).fill("ana lima")
    page.get_by_role("button", name=_("Erase personal data")).click()
    page.wait_for_url(f"**/accounts/{account.pk}/stakeholders/")
    label = _("Erased contact #{id}", id=person.pk)
    expect(page.locator("#messages .alert-success")).to_contain_text(label)
    row = page.get_by_role("row", name=re.compile(re.escape(label)))
    expect(row.get_by_text(re.compile(_("Erased on {date}", date="")))).to_be_visible()
    expect(page.get_by_text("ana@acme.example")).to_have_count(0)
    screenshot(page, f"stakeholder-erased-{ui_language}")
    assert Interaction.objects.get().summary == f"Roadmap review with {label}"
