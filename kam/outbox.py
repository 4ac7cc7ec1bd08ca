"""Background work that survives a broker outage (a transactional outbox).

A service that wants a Celery task run calls `outbox_enqueue` inside its transaction: the
task is stored as a row of that transaction, and sent to the broker right after the commit.
If the broker (Redis) does not answer, the request still succeeds and the row stays pending;
the drain (`outbox_drain`: every minute from Celery beat, or `manage.py drain_outbox`) sends
it once the broker is back. A task may therefore run more than once (sent, then the process
died before marking it): every task queued this way must be idempotent, as all KAM jobs are.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kam.models import OutboxTask

logger = logging.getLogger(__name__)

# A web request waits at most this long (seconds) for a broker that does not answer.
BROKER_TIMEOUT = 2
DRAIN_BATCH = 500


def outbox_enqueue(task: str, *args, **kwargs) -> OutboxTask:
    """Queue `task` (its dotted name) with JSON arguments, to be sent after the commit.

    Within one transaction the same task with the same arguments is queued once (an import of
    10,000 interactions on 60 accounts queues 60 rescores, not 10,000), and everything the
    transaction queued goes to the broker over one connection after the commit."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        row = OutboxTask.objects.create(task=task, args=list(args), kwargs=kwargs)
        _send_after_commit([row.pk])
        return row
    batch = _batch(connection)
    key = json.dumps([task, list(args), kwargs], sort_keys=True, default=str)
    if key in batch.rows:
        # Unless the row went with a savepoint rolled back since: then queue it again.
        queued = OutboxTask.objects.filter(pk=batch.rows[key]).first()
        if queued is not None:
            return queued
    row = OutboxTask.objects.create(task=task, args=list(args), kwargs=kwargs)
    batch.rows[key] = row.pk
    return row


class _AfterCommit:
    """What one transaction queued; sent when it commits (dropped with it on a rollback; if
    only the savepoint it was registered in rolls back, the rows queued after it wait for the
    next drain, a minute at most)."""

    def __init__(self):
        self.rows: dict[str, int] = {}

    def __call__(self) -> None:
        _send_after_commit(list(self.rows.values()))


def _batch(connection) -> _AfterCommit:
    for _savepoints, callback, _robust in connection.run_on_commit:
        if isinstance(callback, _AfterCommit):
            return callback
    batch = _AfterCommit()
    transaction.on_commit(batch)
    return batch


# Tasks whose first argument is a list of ids that may be merged: identical others arguments,
# pending together, go as one task with the union (a rescore of the accounts touched by a batch
# of captured emails is one health chunk, not one per email; the emails a receiver stored
# together are one capture task).
MERGEABLE = frozenset({"insights.tasks.health_chunk", "capture.tasks.message_process"})
_held = threading.local()


@contextlib.contextmanager
def outbox_hold(*, leave: frozenset[str] = frozenset()):
    """Within this block (on this thread), tasks queued by transactions that commit are not
    sent at each commit but together when the block ends: identical ones once, MERGEABLE ones
    merged. Each row is still written by its own transaction, so a process that dies inside
    the block loses nothing: the rows stay pending and the drain sends them.

    Tasks named in `leave` are not sent when the block ends either, but by the next drain
    (within a minute), merged with every other pending copy: for MERGEABLE work that a burst
    would otherwise queue again and again (the health rescores of captured mail)."""
    if getattr(_held, "pks", None) is not None:  # nested: the outer block sends
        yield
        return
    _held.pks = []
    try:
        yield
    finally:
        pks, _held.pks = _held.pks, None
        if pks and leave:
            sent_now = OutboxTask.objects.filter(pk__in=pks).exclude(task__in=leave)
            pks = list(sent_now.order_by("pk").values_list("pk", flat=True))
        while pks:
            _send_after_commit(pks[:DRAIN_BATCH])
            pks = pks[DRAIN_BATCH:]


def _send_after_commit(pks: list[int]) -> None:
    """Never raises: the change is already committed; a failed send waits for the drain."""
    held = getattr(_held, "pks", None)
    if held is not None:
        held.extend(pks)
        return
    try:
        _send(OutboxTask.objects.filter(pk__in=pks), limit=len(pks))
    except Exception:  # a bug here must not turn a saved change into an error page
        logger.exception("Outbox: sending %d task(s) failed; the drain will retry", len(pks))


def outbox_drain(*, limit: int = DRAIN_BATCH) -> int:
    """Send pending tasks, oldest first; returns how many were sent. Rows another process is
    sending are skipped (SKIP LOCKED), so drains may overlap."""
    return _send(OutboxTask.objects.all(), limit=limit)


def _connection():
    return current_app.connection_for_write(
        settings.CELERY_BROKER_URL,
        connect_timeout=BROKER_TIMEOUT,
        transport_options={
            "socket_connect_timeout": BROKER_TIMEOUT,
            "socket_timeout": BROKER_TIMEOUT,
            "max_retries": 0,
        },
    )


# One open broker connection and producer per thread of a process, kept between sends: opening
# one cost ~17 ms, more than everything else a quick write does (bench/README.md, capture). A
# connection found dead (Redis restarted) is dropped and the send tried once on a new one; if
# that fails too, the rows stay pending for the drain, as before.
_local = threading.local()


def _producer(*, fresh: bool = False):
    # Keyed by the process too: a forked child must not write on its parent's socket.
    key = (os.getpid(), settings.CELERY_BROKER_URL)
    cached = getattr(_local, "producer", None)
    if cached is not None and not fresh and cached[0] == key:
        return cached[1], True
    if cached is not None and cached[0][0] != key[0]:
        _local.producer = None  # the parent's: leave its socket alone
    _drop_producer()
    connection = _connection()
    producer = current_app.amqp.Producer(connection, auto_declare=False)
    _local.producer = (key, producer)
    return producer, False


def _drop_producer() -> None:
    cached = getattr(_local, "producer", None)
    _local.producer = None
    if cached is not None:
        # A dead connection may fail to close; it is gone anyway.
        with contextlib.suppress(Exception):
            cached[1].connection.release()


@transaction.atomic
def _send(rows, *, limit: int = DRAIN_BATCH) -> int:
    pending = list(
        rows.filter(sent_at=None).select_for_update(skip_locked=True).order_by("pk")[:limit]
    )
    if not pending:
        return 0
    sent: list[int] = []
    try:
        producer, reused = _producer()
        try:
            _publish(producer, pending, sent)
        except Exception:
            if not reused:
                raise
            # The kept connection went stale (Redis restarted): once more on a new one.
            producer, _reused = _producer(fresh=True)
            _publish(producer, [row for row in pending if row.pk not in set(sent)], sent)
    except Exception as error:  # broker down or refusing: keep the rest for the next drain
        _drop_producer()
        failed = [row.pk for row in pending if row.pk not in set(sent)]
        logger.warning("Outbox: broker unavailable (%s); %d task(s) wait", error, len(failed))
        OutboxTask.objects.filter(pk__in=failed).update(
            attempts=F("attempts") + 1, last_error=f"{error.__class__.__name__}: {error}"[:300]
        )
    OutboxTask.objects.filter(pk__in=sent).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1
    )
    return len(sent)


def _publish(producer, rows, sent: list[int]) -> None:
    """Send `rows`; identical pending tasks go once, MERGEABLE ones as one task with the union
    of their first arguments. Every row a send covered is appended to `sent`."""
    groups: dict[str, tuple[str, list, dict, list[int]]] = {}
    for row in rows:
        args = list(row.args)
        if row.task in MERGEABLE and args and isinstance(args[0], list):
            key = json.dumps([row.task, args[1:], row.kwargs], sort_keys=True, default=str)
        else:
            key = json.dumps([row.task, args, row.kwargs], sort_keys=True, default=str)
        if key not in groups:
            groups[key] = (row.task, args, row.kwargs, [row.pk])
            continue
        group = groups[key]
        group[3].append(row.pk)
        if row.task in MERGEABLE and args and isinstance(args[0], list):
            group[1][0] = sorted({*group[1][0], *args[0]})
    for task, args, kwargs, pks in groups.values():
        current_app.send_task(
            task,
            args=args,
            kwargs=kwargs,
            producer=producer,
            queue=settings.CELERY_TASK_DEFAULT_QUEUE,
            retry=False,
            ignore_result=True,
        )
        sent.extend(pks)


def outbox_prune(*, days: int = 7) -> int:
    """Delete rows sent more than `days` ago (the drain calls it; pending rows are kept)."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = OutboxTask.objects.filter(sent_at__lt=cutoff).delete()
    return deleted
