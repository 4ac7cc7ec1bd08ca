"""The built-in SMTP receiver (aiosmtpd): takes mail for log+<token>@CAPTURE_INBOUND_DOMAIN and
hands the raw bytes to capture.services.messages_receive; everything else happens in the worker.

Answers: 550 for a recipient that is not a logging address, 452 past MAX_RECIPIENTS, 552 for a
message over CAPTURE_MAX_MESSAGE_BYTES, 451 when storing fails (the sender retries later), 250
once the raw message is committed (messages arriving together share one transaction). One
bad message never stops the server.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading

from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import close_old_connections

from capture.parsing import MAX_RECIPIENTS
from capture.services import Delivery, logging_token, messages_receive

logger = logging.getLogger(__name__)

STORE_BATCH = 100  # messages stored in one transaction, at most


def _store_many(items: list[tuple[bytes, str, list[str]]]) -> list[Exception | None]:
    """Store messages in one transaction (capture.services.messages_receive: a few
    statements and one queued task for them all). If that fails, each is stored alone, so a
    message that cannot be stored is the only one lost, and its sender gets a 4xx."""
    deliveries = [
        Delivery(raw=raw, via="smtp", envelope_from=sender, envelope_to=to)
        for raw, sender, to in items
    ]
    close_old_connections()  # a connection gone stale since the last batch is replaced
    try:
        messages_receive(deliveries=deliveries)
        return [None] * len(items)
    except Exception:  # find which: each alone
        logger.warning("Capture SMTP: a batch of %d failed; storing each alone", len(items))
    errors: list[Exception | None] = []
    for delivery in deliveries:
        try:
            messages_receive(deliveries=[delivery])
            errors.append(None)
        except Exception as error:  # this message only
            errors.append(error)
    return errors


class _GroupCommit:
    """One thread stores what every SMTP session hands it: the messages that arrive while a
    batch is being written go together in the next transaction (a group commit), instead of
    a transaction, a broker send and a thread hop per message. Each session still gets its
    250 only once its message is committed."""

    def __init__(self):
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    async def store(self, raw: bytes, envelope_from: str, envelope_to: list[str]) -> None:
        loop = asyncio.get_running_loop()
        stored = loop.create_future()
        self._start()
        self._queue.put((raw, envelope_from, envelope_to, loop, stored))
        await stored  # raises what storing it raised

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="capture-store", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        try:
            while True:
                batch = [self._queue.get()]
                while len(batch) < STORE_BATCH and batch[-1] is not None:
                    try:
                        batch.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                items = [item for item in batch if item is not None]
                try:
                    errors = _store_many([(raw, sender, to) for raw, sender, to, _l, _f in items])
                except Exception as error:  # the thread must live on: every session waits on it
                    logger.exception("Capture SMTP: storing a batch failed")
                    errors = [error] * len(items)
                for (*_message, loop, stored), error in zip(items, errors, strict=True):
                    loop.call_soon_threadsafe(_settle, stored, error)
                if len(items) < len(batch):
                    return  # closed
        finally:
            close_old_connections()


def _settle(stored: asyncio.Future, error: Exception | None) -> None:
    if stored.done():  # the session went away meanwhile
        return
    if error is None:
        stored.set_result(None)
    else:
        stored.set_exception(error)


class CaptureHandler:
    """aiosmtpd handler hooks (handle_RCPT, handle_DATA): see aiosmtpd's handler docs."""

    def __init__(self, *, max_bytes: int | None = None):
        self.max_bytes = max_bytes or settings.CAPTURE_MAX_MESSAGE_BYTES
        self.store = _GroupCommit()

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
            await self.store.store(raw, envelope.mail_from or "", list(envelope.rcpt_tos))
        except Exception:  # keep serving: the sender retries a 4xx later
            logger.exception("Capture SMTP: storing a message failed")
            return "451 4.3.0 Try again later"
        return "250 Message accepted"

    async def handle_exception(self, error):
        logger.exception("Capture SMTP: session error", exc_info=error)
        return "451 4.3.0 Try again later"


class _Receiver(Controller):
    def stop(self, *args, **kwargs):
        try:
            super().stop(*args, **kwargs)
        finally:
            self.handler.store.close()


def receiver(*, host: str, port: int) -> Controller:
    """A started-on-demand server (controller.start() / .stop()); the size limit is also
    announced in EHLO (SIZE) so well-behaved senders do not even try."""
    max_bytes = settings.CAPTURE_MAX_MESSAGE_BYTES
    return _Receiver(
        CaptureHandler(max_bytes=max_bytes),
        hostname=host,
        port=port,
        data_size_limit=max_bytes,
        server_hostname=settings.CAPTURE_INBOUND_DOMAIN,
    )
