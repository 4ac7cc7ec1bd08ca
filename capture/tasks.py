"""Celery entry points for capture: ids in, services do the work."""

from django.db import OperationalError

from capture import services
from kam.celery import idempotent_task


@idempotent_task(time_limit=300)
def message_process(message_id: int) -> str:
    """Parse, match and log one received message. Safe to run twice: a processed message is
    left as it is (capture.services.message_process)."""
    try:
        message = services.message_process(message_id=message_id)
    except OperationalError:
        raise  # the database hiccuped: retried with backoff
    except Exception as error:  # a bug on one message must not stop the queue
        services.message_fail(message_id=message_id, error=f"{error.__class__.__name__}: {error}")
        return "failed"
    return message.status if message is not None else "duplicate"
