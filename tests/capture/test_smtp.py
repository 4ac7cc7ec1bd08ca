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


def failing_on_disk_full():
    """messages_receive, failing for any batch holding a message with "disk full" in it."""
    import capture.smtp

    real = capture.smtp.messages_receive

    def receive(*, deliveries):
        if any(b"disk full" in d.raw for d in deliveries):
            raise RuntimeError("disk full")
        return real(deliveries=deliveries)

    return receive


def test_a_storage_failure_answers_451_and_the_next_message_is_taken(
    smtp_server, address, monkeypatch
):
    import capture.smtp

    monkeypatch.setattr(capture.smtp, "messages_receive", failing_on_disk_full())
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(smtp_server, make_email(subject="disk full"), [address.address])
    assert refused.value.smtp_code == 451
    send(smtp_server, make_email(), [address.address])
    assert InboundMessage.objects.count() == 1


def test_messages_stored_together_are_one_transaction_and_one_task_but_fail_alone(
    transactional_db, address, monkeypatch
):
    import capture.smtp
    from kam.models import OutboxTask

    raws = [make_email(message_id=f"<g{n}@example.com>", subject=f"Pedido {n}") for n in range(3)]
    errors = capture.smtp._store_many(
        [(raw, "owner@example.com", [address.address]) for raw in raws]
    )
    assert errors == [None, None, None]
    ids = list(InboundMessage.objects.order_by("pk").values_list("pk", flat=True))
    assert len(ids) == 3
    assert list(OutboxTask.objects.values_list("task", "args")) == [
        ("capture.tasks.message_process", [ids])
    ]

    monkeypatch.setattr(capture.smtp, "messages_receive", failing_on_disk_full())
    raws = [make_email(message_id="<h1@example.com>"), make_email(subject="disk full",
            message_id="<h2@example.com>"), make_email(message_id="<h3@example.com>")]  # fmt: skip
    errors = capture.smtp._store_many(
        [(raw, "owner@example.com", [address.address]) for raw in raws]
    )
    assert [type(e).__name__ if e else None for e in errors] == [None, "RuntimeError", None]
    assert InboundMessage.objects.count() == 5


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
