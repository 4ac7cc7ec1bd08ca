"""The SMTP receiver, spoken to with smtplib over a real socket: it stores what it accepts and
answers each bad input with its code while it keeps serving."""

import smtplib
import socket
import time

import pytest

from capture.models import InboundMessage, MessageStatus
from capture.smtp import receiver
from capture.tasks import message_process
from tests.capture.conftest import make_email


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(transactional_db, settings):
    settings.CAPTURE_MAX_MESSAGE_BYTES = 200_000
    controller = receiver(host="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


def send(server, raw: bytes, to: list[str], sender="owner@example.com"):
    with smtplib.SMTP(server.hostname, server.port, timeout=10) as client:
        return client.sendmail(sender, to, raw)


def test_mail_sent_with_smtplib_lands_on_the_account_timeline(smtp_server, address, account, carla):
    send(smtp_server, make_email(), [address.address])
    message = InboundMessage.objects.get()
    assert message.via == "smtp"
    assert message.envelope_from == "owner@example.com"
    assert message_process(message.pk) == MessageStatus.LOGGED
    interaction = account.interactions.get()
    assert interaction.kind == "email"
    assert list(interaction.stakeholders.all()) == [carla]


def test_a_recipient_that_is_not_a_logging_address_is_refused_with_550(smtp_server, address):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(smtp_server, make_email(), ["someone@kam.localhost"])
    assert refused.value.recipients["someone@kam.localhost"][0] == 550
    assert not InboundMessage.objects.exists()


def test_a_message_over_the_limit_is_refused_with_552_and_the_server_keeps_serving(
    smtp_server, address, account, carla
):
    with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
        send(smtp_server, make_email(body="x" * 300_000), [address.address])
    assert refused.value.smtp_code == 552
    send(smtp_server, make_email(), [address.address])
    assert InboundMessage.objects.count() == 1


def test_more_than_100_recipients_get_452(smtp_server, address):
    recipients = [address.address] * 101
    with smtplib.SMTP(smtp_server.hostname, smtp_server.port, timeout=10) as client:
        client.ehlo()
        client.mail("owner@example.com")
        codes = [client.rcpt(to)[0] for to in recipients]
    assert codes[:100] == [250] * 100
    assert codes[100] == 452


def test_a_storage_failure_answers_451_and_the_next_message_is_taken(
    smtp_server, address, monkeypatch
):
    import capture.smtp

    real = capture.smtp.message_receive
    calls = []

    def failing_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(capture.smtp, "message_receive", failing_once)
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(smtp_server, make_email(), [address.address])
    assert refused.value.smtp_code == 451
    send(smtp_server, make_email(), [address.address])
    assert InboundMessage.objects.count() == 1


def test_smtp_then_the_outbox_then_a_real_worker_put_the_email_on_the_timeline(
    smtp_server, celery_worker_process, settings, address, account, carla
):
    # The receiver runs in this process: the outbox sends to the test worker's own queue.
    settings.CELERY_TASK_DEFAULT_QUEUE = celery_worker_process
    send(smtp_server, make_email(), [address.address])
    deadline = time.monotonic() + 60
    message = InboundMessage.objects.get()
    while message.status == MessageStatus.RECEIVED and time.monotonic() < deadline:
        time.sleep(0.2)
        message.refresh_from_db()
    assert message.status == MessageStatus.LOGGED, message.reason
    assert account.interactions.get().stakeholders.get() == carla
