from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime

import pytest

from capture.services import logging_address_regenerate
from tests.factories import StakeholderFactory


@pytest.fixture
def address(kam_user):
    """The owner KAM's live logging address."""
    return logging_address_regenerate(user=kam_user)


@pytest.fixture
def carla(account):
    """A stakeholder of `account` (Acme, owned by kam_user) with a client email."""
    return StakeholderFactory(account=account, name="Carla Chefe", email="Carla@Acme.com.br")


def make_email(
    *,
    sender="owner@example.com",
    to=("carla@acme.com.br",),
    cc=(),
    bcc_to=None,
    subject="Proposal for 2026",
    body="Hello Carla,\n\nHere is the proposal.\n\n-- \nOlivia",
    message_id="<m1@example.com>",
    in_reply_to=None,
    date=None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    if date is not None:
        message["Date"] = format_datetime(date)
    message.set_content(body)
    return bytes(message)


def forward_of(original: bytes, *, sender="owner@example.com", to="log@x") -> bytes:
    """A forward with the original attached (message/rfc822), as Outlook and Thunderbird do."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "Fwd: proposal"
    message["Message-ID"] = "<fwd1@example.com>"
    message.set_content("FYI")
    message.add_attachment(BytesParser(policy=policy.default).parsebytes(original))
    return bytes(message)
