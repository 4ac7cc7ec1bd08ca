from celery import shared_task

from kam.outbox import outbox_drain as drain
from kam.outbox import outbox_prune


@shared_task(time_limit=30, soft_time_limit=25)
def ping(value: str = "pong") -> str:
    """Round trip used by /healthz-style checks and the worker test."""
    return value


@shared_task(time_limit=300, soft_time_limit=280, ignore_result=True)
def outbox_drain() -> int:
    """Every minute from beat: send what could not be sent when the broker was down, and
    forget what was sent a week ago."""

    sent = drain()
    outbox_prune()
    return sent
