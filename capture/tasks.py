"""Celery entry points for capture: ids in, services do the work."""

from django.conf import settings
from django.db import OperationalError

from capture import services
from kam.celery import idempotent_task
from kam.outbox import outbox_hold


@idempotent_task(time_limit=300)
def message_process(message_ids: list[int] | int) -> str:
    """Parse, match and log received messages. Safe to run twice: a processed message is left
    as it is (capture.services.messages_process).

    Every way in queues this task with the id of the message it stored; the outbox sends
    those pending together as one task with all their ids (kam.outbox MERGEABLE: the SMTP
    receiver's group commit queues one task per batch). While mail keeps arriving, a run also
    takes other waiting messages, up to CAPTURE_PROCESS_BATCH in all (their own tasks then
    find them done). They are processed together, in one transaction; if that fails, each
    again alone, so one bad message is the only one marked failed. What they queue in turn is
    sent once at the end: the rescore of every account they touched is one health chunk.
    Returns the outcomes seen, for the worker's log."""
    ids = [message_ids] if isinstance(message_ids, int) else list(message_ids)
    ids += services.messages_waiting(limit=settings.CAPTURE_PROCESS_BATCH - len(ids), exclude=ids)
    with outbox_hold():
        try:
            results = services.messages_process(message_ids=ids)
            statuses = [_status(results, pk) for pk in ids]
        except OperationalError:
            raise  # the database hiccuped: retried with backoff
        except Exception:  # a bug on one message: find which, each alone
            statuses = [_process_one(pk) for pk in ids]
    return ", ".join(sorted(set(statuses)))


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
