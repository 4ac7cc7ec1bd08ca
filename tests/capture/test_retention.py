"""Retention of captured mail (docs/privacy.md): raw messages, full bodies and attachments each
let go after their own number of months, through kam.retention.retention_apply, while the
parsed row, its summary, the attachment's name and the interaction stay."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from capture import services
from capture.models import InboundMessage, MessageAttachment
from kam.models import RetentionKind
from kam.retention import retention_apply, retention_policy_save
from tests.capture.conftest import make_email


def _logged_with_attachment(address, *, message_id: str) -> InboundMessage:
    from email import policy
    from email.message import EmailMessage
    from email.parser import BytesParser

    message = BytesParser(policy=policy.default).parsebytes(
        make_email(message_id=message_id, body="Here it is.\n\n> old quoted line\n")
    )
    assert isinstance(message, EmailMessage)
    message.add_attachment(b"%PDF-1.4 proposal", maintype="application", subtype="pdf",
                           filename="proposal.pdf")  # fmt: skip
    received = services.message_receive(
        raw=bytes(message), via="smtp", envelope_to=[address.address]
    )
    return services.message_process(message_id=received.pk)


@pytest.fixture
def old_and_new(address, account, carla):
    with time_machine.travel(datetime(2025, 1, 15, 12, tzinfo=UTC), tick=False):
        old = _logged_with_attachment(address, message_id="<old@example.com>")
    with time_machine.travel(datetime(2026, 3, 1, 12, tzinfo=UTC), tick=False):
        new = _logged_with_attachment(address, message_id="<new@example.com>")
    for message in (old, new):
        assert message.interaction is not None, message.reason
        assert bytes(message.raw) and message.text and message.attachments.get().content
    return old, new


def _apply(admin_user, kind, months) -> dict:
    retention_policy_save(actor=admin_user, kind=kind, months=months)
    with time_machine.travel(datetime(2026, 3, 10, 3, 30, tzinfo=UTC), tick=False):
        first = retention_apply(today=date(2026, 3, 10))
        assert retention_apply(today=date(2026, 3, 10))[kind] == 0  # idempotent
    return first


def test_raw_messages_go_after_their_months_and_the_parsed_row_stays(admin_user, old_and_new):
    old, new = old_and_new
    assert _apply(admin_user, RetentionKind.RAW_EMAIL_MESSAGES, 12) == {"raw_email_messages": 1}
    old.refresh_from_db()
    new.refresh_from_db()
    assert bytes(old.raw) == b""
    assert old.subject == "Proposal for 2026" and old.text and old.interaction_id
    assert bytes(new.raw)


def test_full_bodies_keep_only_the_summary_after_their_months(admin_user, old_and_new):
    old, new = old_and_new
    assert _apply(admin_user, RetentionKind.EMAIL_BODIES, 12) == {"email_bodies": 1}
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.text == ""
    assert old.summary_text == "Here it is."
    assert old.interaction.notes == "Here it is."
    assert "old quoted line" in new.text


def test_attachments_lose_their_bytes_but_stay_listed_after_their_months(admin_user, old_and_new):
    old, new = old_and_new
    assert _apply(admin_user, RetentionKind.EMAIL_ATTACHMENTS, 12) == {"email_attachments": 1}
    kept = MessageAttachment.objects.get(message=old)
    assert kept.content is None
    assert (kept.filename, kept.content_type, kept.size) == ("proposal.pdf", "application/pdf", 17)
    assert bytes(MessageAttachment.objects.get(message=new).content) == b"%PDF-1.4 proposal"
