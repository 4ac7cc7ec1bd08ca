"""Celery entry points for capture: ids in, services do the work."""

from django.db import OperationalError

from capture import services
from kam.celery import idempotent_task
from kam.outbox import outbox_hold


@idempotent_task(time_limit=300)
def message_process(message_ids: list[int] | int) -> str:
    """Parse, match and log received messages, each in its own transaction (one bad message
    never stops the others). Safe to run twice: a processed message is left as it is
    (capture.services.message_process).

    Every way in queues this task with the id of the message it stored; the outbox sends
    those pending together as one task with all their ids (kam.outbox MERGEABLE: the SMTP
    receiver's group commit queues one task per batch). What the messages queue in turn is
    sent once at the end: the rescore of every account they touched is one health chunk.
    Returns the outcomes seen (one status for one message), for the worker's log."""
    ids = [message_ids] if isinstance(message_ids, int) else list(message_ids)
    with outbox_hold():
        statuses = [_process_one(pk) for pk in ids]
    return ", ".join(sorted(set(statuses)))


def _process_one(message_id: int) -> str:
    try:
        message = services.message_process(message_id=message_id)
    except OperationalError:
        raise  # the database hiccuped: retried with backoff
    except Exception as error:  # a bug on one message must not stop the queue
        services.message_fail(message_id=message_id, error=f"{error.__class__.__name__}: {error}")
        return "failed"
    return message.status if message is not None else "duplicate"
