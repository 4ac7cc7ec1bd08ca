"""Capture triage in the browser, in both languages (issue 17, "Done when"): a client's email
that matches no account, sent with smtplib to the running SMTP receiver, waits in the capture
log; the KAM picks the account, ticks "Add the sender as a stakeholder" and saves; the email is
on that account's timeline and the sender is one of its stakeholders."""

import re
from functools import partial

import pytest
from playwright.sync_api import expect

from accounts.models import Stakeholder
from capture.models import InboundMessage, MessageStatus
from capture.services import logging_address_regenerate
from capture.tasks import message_process
from tests.browser.conftest import screenshot
from tests.browser.labels import t
from tests.capture.conftest import forward_of, make_email
from tests.capture.test_smtp import send, smtp_server  # noqa: F401 (a fixture)
from tests.factories import PASSWORD, AccountFactory, UserFactory


@pytest.mark.parametrize("ui_language", ["en", "pt-br"])
def test_an_unmatched_email_is_triaged_into_an_account_with_its_sender_as_stakeholder(
    page,
    login,
    smtp_server,  # noqa: F811
    ui_language,
    default_working_calendar,
):
    _ = partial(t, ui_language)
    kam = UserFactory(email="owner@example.com", full_name="Olivia Owner", language=ui_language)
    AccountFactory(name="Acme Industrial", owner=kam)
    nova = AccountFactory(name="Nova Logística", owner=kam)
    address = logging_address_regenerate(user=kam)
    original = make_email(
        sender="Paula Prado <paula@novalog.com.br>", to=["owner@example.com"],
        subject="Pedido de cotação", message_id="<cotacao@novalog.com.br>",
        body="Bom dia, poderiam enviar a cotação?",
    )  # fmt: skip
    send(smtp_server, forward_of(original, to=address.address), [address.address])
    message = InboundMessage.objects.get()
    assert message_process(message.pk) == MessageStatus.TRIAGE

    login("owner@example.com", PASSWORD)
    page.goto("/capture/")
    expect(page.get_by_role("heading", name=_("Capture log"))).to_be_visible()
    row = page.locator("tr[data-triage]").filter(has_text="Pedido de cotação")
    expect(row.get_by_text(_("Needs an account"))).to_be_visible()
    expect(row.get_by_text("paula@novalog.com.br")).to_be_visible()
    row.get_by_label(_("Account")).select_option(label="Nova Logística")
    row.get_by_label(_("Add the sender as a stakeholder")).check()
    screenshot(page, f"capture-triage-{ui_language}")
    row.get_by_role("button", name=_("Log here")).click()
    page.wait_for_url("**/capture/")
    expect(page.locator("#messages .alert-success")).to_contain_text(
        _("Logged on {account}.", account="Nova Logística")
    )
    expect(page.locator("tr[data-triage]")).to_have_count(0)

    page.goto(f"/accounts/{nova.pk}/timeline/")
    expect(page.get_by_text("Pedido de cotação").first).to_be_visible()
    page.goto(f"/accounts/{nova.pk}/stakeholders/")
    expect(page.get_by_role("row", name=re.compile("Paula Prado"))).to_be_visible()

    paula = Stakeholder.objects.get(account=nova)
    assert (paula.name, paula.email) == ("Paula Prado", "paula@novalog.com.br")
    interaction = nova.interactions.get()
    assert (interaction.kind, list(interaction.stakeholders.all())) == ("email", [paula])
