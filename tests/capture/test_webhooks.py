"""Hosted inbound mail: payloads posted as Mailgun and Postmark post them, signed as they sign
them, land in the same pipeline as SMTP; a badly signed one is refused and stores nothing."""

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.urls import reverse

from capture.models import InboundMessage, MessageStatus
from capture.tasks import message_process
from kam.models import OutboxTask
from tests.capture.conftest import make_email

SIGNING_KEY = "key-mailgun-signing-0123456789"
SECRET = "postmark:s3cret-webhook"

# A UTF-8 body sent 8-bit, as a mail client writes it: the bytes stored must be those sent.
ACCENTED = make_email(subject="Proposta para São Paulo", body="Olá Carla,\n\nSegue a proposta.\n")


@pytest.fixture(autouse=True)
def anymail(settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY, "WEBHOOK_SECRET": [SECRET]}


def mailgun_post(client, raw: bytes, recipient: str, *, key: str = SIGNING_KEY, auth=SECRET):
    """What a Mailgun route `forward()` to the inbound_mime URL posts (multipart form)."""
    timestamp, token = str(int(time.time())), "a" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    data = {
        "body-mime": raw.decode("utf-8"),
        "recipient": recipient,
        "sender": "owner@example.com",
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
    }
    return client.post(reverse("capture_mailgun_inbound"), data, headers=_basic(auth))


def postmark_post(client, raw: bytes, recipient: str, *, auth=SECRET):
    """Postmark's inbound webhook JSON with "Include raw email content" on."""
    payload = {
        "RecordType": "Inbound",
        "OriginalRecipient": recipient,
        "FromFull": {"Email": "owner@example.com", "Name": "Olivia"},
        "ToFull": [{"Email": recipient, "Name": ""}],
        "Subject": "Proposal for 2026",
        "Headers": [{"Name": "Return-Path", "Value": "<owner@example.com>"}],
        "TextBody": "Hello",
        "RawEmail": raw.decode("utf-8"),
    }
    return client.post(
        reverse("capture_postmark_inbound"),
        json.dumps(payload),
        content_type="application/json",
        headers=_basic(auth),
    )


def _basic(auth: str | None) -> dict:
    if auth is None:
        return {}
    return {"authorization": "Basic " + base64.b64encode(auth.encode()).decode()}


@pytest.mark.parametrize("post", [mailgun_post, postmark_post], ids=["mailgun", "postmark"])
def test_a_signed_post_is_stored_raw_and_the_task_logs_it_on_the_account(
    post, client, address, account, carla
):
    response = post(client, ACCENTED, address.address)
    assert response.status_code == 200
    message = InboundMessage.objects.get()
    assert (message.via, message.user, message.status) == ("webhook", address.user, "received")
    assert bytes(message.raw) == ACCENTED  # the provider's raw MIME, byte for byte
    assert message.envelope_to == [address.address]
    assert OutboxTask.objects.filter(task="capture.tasks.message_process").exists()

    assert message_process(message.pk) == MessageStatus.LOGGED
    interaction = account.interactions.get()
    assert interaction.summary == "Proposta para São Paulo"
    assert list(interaction.stakeholders.all()) == [carla]


def test_a_post_delivered_twice_is_stored_once(client, address, account, carla):
    mailgun_post(client, ACCENTED, address.address)
    postmark_post(client, ACCENTED, address.address)
    assert InboundMessage.objects.count() == 1


def test_a_wrong_mailgun_signature_is_refused_and_nothing_stored(client, address):
    response = mailgun_post(client, ACCENTED, address.address, key="not-the-key")
    assert response.status_code == 400
    assert not InboundMessage.objects.exists()
    assert not OutboxTask.objects.exists()


def test_mailgun_without_the_basic_auth_is_refused_when_a_secret_is_set(client, address):
    assert mailgun_post(client, ACCENTED, address.address, auth=None).status_code == 400
    assert not InboundMessage.objects.exists()


@pytest.mark.parametrize("auth", [None, "postmark:wrong"])
def test_postmark_without_the_right_basic_auth_is_refused(client, address, auth):
    response = postmark_post(client, ACCENTED, address.address, auth=auth)
    assert response.status_code == 400
    assert not InboundMessage.objects.exists()


def test_an_endpoint_without_its_check_configured_is_off(client, settings, address):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": "", "WEBHOOK_SECRET": []}
    assert mailgun_post(client, ACCENTED, address.address, key="").status_code == 404
    assert postmark_post(client, ACCENTED, address.address, auth=None).status_code == 404
    assert not InboundMessage.objects.exists()


def test_a_recipient_that_is_not_a_logging_address_stores_nothing(client, address):
    assert postmark_post(client, ACCENTED, "sales@kam.localhost").status_code == 200
    assert not InboundMessage.objects.exists()


def test_a_message_over_the_size_limit_stores_nothing(client, settings, address):
    settings.CAPTURE_MAX_MESSAGE_BYTES = 1000
    big = make_email(body="x" * 2000)
    assert postmark_post(client, big, address.address).status_code == 200
    assert not InboundMessage.objects.exists()


def test_a_mail_from_someone_else_through_the_webhook_is_dropped(client, address, account):
    postmark_post(client, make_email(sender="intruder@evil.example"), address.address)
    message = InboundMessage.objects.get()
    assert message_process(message.pk) == MessageStatus.DROPPED
    assert not account.interactions.exists()
