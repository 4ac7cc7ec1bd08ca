"""The built-in SMTP receiver (aiosmtpd): takes mail for log+<token>@CAPTURE_INBOUND_DOMAIN and
hands the raw bytes to capture.services.message_receive; everything else happens in the worker.

Answers: 550 for a recipient that is not a logging address, 452 past MAX_RECIPIENTS, 552 for a
message over CAPTURE_MAX_MESSAGE_BYTES, 451 when storing fails (the sender retries later), 250
once the raw message is stored. One bad message never stops the server.
"""

from __future__ import annotations

import asyncio
import logging

from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import close_old_connections

from capture.parsing import MAX_RECIPIENTS
from capture.services import logging_token, message_receive

logger = logging.getLogger(__name__)


def _store(raw: bytes, envelope_from: str, envelope_to: list[str]) -> None:
    close_old_connections()  # a worker thread of the server: drop a connection gone stale
    try:
        message_receive(raw=raw, via="smtp", envelope_from=envelope_from, envelope_to=envelope_to)
    finally:
        close_old_connections()


class CaptureHandler:
    """aiosmtpd handler hooks (handle_RCPT, handle_DATA): see aiosmtpd's handler docs."""

    def __init__(self, *, max_bytes: int | None = None):
        self.max_bytes = max_bytes or settings.CAPTURE_MAX_MESSAGE_BYTES

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        if not logging_token(address):
            return "550 5.1.1 Not a logging address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        if len(raw) > self.max_bytes:
            return "552 5.3.4 Message too big"
        try:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(
                None, _store, raw, envelope.mail_from or "", list(envelope.rcpt_tos)
            )
        except Exception:  # keep serving: the sender retries a 4xx later
            logger.exception("Capture SMTP: storing a message failed")
            return "451 4.3.0 Try again later"
        return "250 Message accepted"

    async def handle_exception(self, error):
        logger.exception("Capture SMTP: session error", exc_info=error)
        return "451 4.3.0 Try again later"


def receiver(*, host: str, port: int) -> Controller:
    """A started-on-demand server (controller.start() / .stop()); the size limit is also
    announced in EHLO (SIZE) so well-behaved senders do not even try."""
    max_bytes = settings.CAPTURE_MAX_MESSAGE_BYTES
    return Controller(
        CaptureHandler(max_bytes=max_bytes),
        hostname=host,
        port=port,
        data_size_limit=max_bytes,
        server_hostname=settings.CAPTURE_INBOUND_DOMAIN,
    )
