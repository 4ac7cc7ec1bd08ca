"""Celery entry points for capture: ids in, services do the work."""

from django.conf import settings
from django.db import OperationalError

from capture import services
from kam.celery import idempotent_task
from kam.outbox import outbox_hold

ROUNDS = 4  # a run ends within seconds: a worker's other tasks are not kept waiting


@idempotent_task(time_limit=300)
def message_process(message_id: int) -> str:
    """Parse, match and log one received message. Safe to run twice: a processed message is
    left as it is (capture.services.message_process).

    Then, while mail keeps arriving, take up to CAPTURE_PROCESS_BATCH other waiting messages
    in the same run (each in its own transaction, rows another worker holds skipped; their own
    queued tasks find them done), and send what they all queued at the end: the rescore of
    every account they touched goes as one task instead of one per email (kam.outbox)."""
    with outbox_hold():
        status = _process_one(message_id, skip_locked=False)
        last = message_id
        for _round in range(ROUNDS if settings.CAPTURE_PROCESS_BATCH else 0):
            waiting = services.messages_pending(limit=settings.CAPTURE_PROCESS_BATCH, after=last)
            if not waiting:
                break
            for pk in waiting:
                _process_one(pk, skip_locked=True)
            last = waiting[-1]
    return status


def _process_one(message_id: int, *, skip_locked: bool) -> str:
    try:
        message = services.message_process(message_id=message_id, skip_locked=skip_locked)
    except OperationalError:
        raise  # the database hiccuped: retried with backoff
    except Exception as error:  # a bug on one message must not stop the queue
        services.message_fail(message_id=message_id, error=f"{error.__class__.__name__}: {error}")
        return "failed"
    return message.status if message is not None else "duplicate"
