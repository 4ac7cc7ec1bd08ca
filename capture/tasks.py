"""Celery entry points for capture: ids in, services do the work."""

import time

from django.conf import settings
from django.db import OperationalError

from capture import services
from kam.celery import idempotent_task
from kam.outbox import outbox_hold

# The health of the accounts mail was logged on is rescored by the outbox's next drain (within
# a minute), one task for everything captured meanwhile: a rescore per batch cost a burst of
# mail a fifth of its time (bench/README.md, capture).
RESCORED_BY_THE_DRAIN = frozenset({"insights.tasks.health_chunk"})


@idempotent_task(time_limit=300)
def message_process(message_ids: list[int] | int, *, sweep: bool = True) -> str:
    """Parse, match and log received messages. Safe to run twice: a processed message is left
    as it is (capture.services.messages_process).

    Every way in queues this task with the id of the message it stored; the outbox sends
    those pending together as one task with all their ids (kam.outbox MERGEABLE: the SMTP
    receiver's group commit queues one task per batch). While mail keeps arriving, a run also
    takes other waiting messages (_batch; their own tasks then find them done). They are
    processed together, in one transaction; if that fails, each again alone, so one bad
    message is the only one marked failed. What they queue in turn is
    sent once at the end; the rescores of the accounts they touched go with the next drain.
    Returns the outcomes seen, for the worker's log."""
    ids = [message_ids] if isinstance(message_ids, int) else list(message_ids)
    if sweep:  # off for a page that processes its upload at once: only that one
        ids = _batch(ids)
    with outbox_hold(leave=RESCORED_BY_THE_DRAIN):
        try:
            results = services.messages_process(message_ids=ids)
            statuses = [_status(results, pk) for pk in ids]
        except OperationalError:
            raise  # the database hiccuped: retried with backoff
        except Exception:  # a bug on one message: find which, each alone
            statuses = [_process_one(pk) for pk in ids]
    return ", ".join(sorted(set(statuses)))


def _batch(ids: list[int]) -> list[int]:
    """`ids` and other waiting messages, up to CAPTURE_PROCESS_BATCH in all. When others are
    waiting (mail is arriving in a burst) but not enough to fill the batch, wait
    CAPTURE_PROCESS_LINGER seconds once for more: a batch costs about twenty statements
    whatever its size, and a trickle of one-message batches would spend the CPU the receiver
    needs. A lone message is taken at once."""
    room = settings.CAPTURE_PROCESS_BATCH - len(ids)
    more = services.messages_waiting(limit=room, exclude=ids)
    if more and len(more) < room and settings.CAPTURE_PROCESS_LINGER > 0:
        time.sleep(settings.CAPTURE_PROCESS_LINGER)
        more = services.messages_waiting(limit=room, exclude=ids)
    return ids + more


def _status(results: dict, pk: int) -> str:
    if pk not in results:
        return "taken"  # another run holds it (or it is gone)
    return results[pk].status if results[pk] is not None else "duplicate"


def _process_one(message_id: int) -> str:
    try:
        return _status(services.messages_process(message_ids=[message_id]), message_id)
    except OperationalError:
        raise
    except Exception as error:  # a bug on one message must not stop the queue
        services.message_fail(message_id=message_id, error=f"{error.__class__.__name__}: {error}")
        return "failed"
