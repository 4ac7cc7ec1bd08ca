"""What the pipeline honours around the parser: the owner's language for the reasons it stores,
the site's language while the owner is unknown, a pure forward's summary, and the size cap
before anything parses, whichever way the message came in."""

import pytest
from django.utils import translation

import capture.services
from capture import services
from capture.models import InboundMessage, MessageStatus
from kam.models import OutboxTask
from tests.capture.conftest import forward_of, make_email


def process(message: InboundMessage) -> InboundMessage:
    return services.message_process(message_id=message.pk)


def test_reasons_are_stored_in_the_owners_language_whatever_the_active_one(address, kam_user):
    kam_user.language = "pt-br"
    kam_user.save()
    message = services.message_receive(
        raw=b"Subject: x\r\n\r\nbody", via="smtp", envelope_to=[address.address]
    )
    with translation.override("en"):
        message = process(message)
    assert message.status == MessageStatus.REFUSED
    assert "e-mail" in message.reason.lower()
    assert "This file is not an email" not in message.reason


def test_a_message_with_no_known_owner_is_read_in_the_site_language(settings, account):
    settings.LANGUAGE_CODE = "pt-br"
    message = services.message_receive(raw=b"Subject: x\r\n\r\nbody", via="smtp")
    with translation.override("en"):
        message = process(message)
    assert message.user is None
    assert "e-mail" in message.reason.lower()


def test_a_pure_forward_takes_the_originals_summary(address, account, carla):
    original = make_email(
        sender="carla@acme.com.br", to=["owner@example.com"], subject="Delivery delayed",
        body="The truck is late again.\n\n-- \nCarla", message_id="<late@acme.com.br>",
    )  # fmt: skip
    raw = forward_of(original, to=address.address).replace(b"FYI", b"")
    message = process(services.message_receive(raw=raw, via="smtp", envelope_to=[address.address]))
    assert message.status == MessageStatus.LOGGED, message.reason
    assert message.summary_text == "The truck is late again."
    assert message.interaction.notes == "The truck is late again."


def test_an_inline_forward_with_nothing_above_it_takes_the_originals_summary(
    address, account, carla
):
    body = (
        "---------- Forwarded message ---------\n"
        "From: Carla Chefe <carla@acme.com.br>\n"
        "Date: Tue, 10 Mar 2026 at 10:00\n"
        "Subject: Delivery delayed\n"
        "To: <owner@example.com>\n\n"
        "The truck is late again.\n"
    )
    raw = make_email(to=[address.address], subject="Fwd: Delivery delayed", body=body)
    message = process(services.message_receive(raw=raw, via="smtp", envelope_to=[address.address]))
    assert message.status == MessageStatus.LOGGED, message.reason
    assert message.forwarded
    assert message.summary_text == "The truck is late again."


@pytest.mark.parametrize("via", ["smtp", "webhook", "upload"])
def test_a_message_over_the_cap_is_refused_and_recorded_without_being_parsed(
    via, settings, address, kam_user, monkeypatch
):
    settings.CAPTURE_MAX_MESSAGE_BYTES = 10_000
    parsed = []
    monkeypatch.setattr(capture.services, "parse_message", lambda *a, **k: parsed.append(a))
    raw = make_email(to=[address.address], body="x" * 20_000)
    message = services.message_receive(
        raw=raw, via=via, envelope_to=[address.address],
        user=kam_user if via == "upload" else None,
    )  # fmt: skip
    assert message.status == MessageStatus.REFUSED
    assert message.user == kam_user  # in the owner's capture log
    assert message.size == len(raw)
    assert bytes(message.raw) == b""  # the bytes are not kept
    assert "limit" in message.reason
    assert not OutboxTask.objects.exists()  # nothing queued
    assert process(message).status == MessageStatus.REFUSED
    assert parsed == []


def test_a_stored_message_over_a_lowered_cap_is_refused_before_parsing(
    settings, address, monkeypatch
):
    message = services.message_receive(
        raw=make_email(to=[address.address], body="x" * 20_000), via="smtp",
        envelope_to=[address.address],
    )  # fmt: skip
    settings.CAPTURE_MAX_MESSAGE_BYTES = 10_000
    monkeypatch.setattr(capture.services, "parse_message", lambda *a, **k: pytest.fail("parsed"))
    message = process(message)
    assert message.status == MessageStatus.REFUSED
    assert "limit" in message.reason
