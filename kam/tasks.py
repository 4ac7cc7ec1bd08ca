from datetime import date

from celery import shared_task

from kam.dates import business_date
from kam.outbox import outbox_drain as drain
from kam.outbox import outbox_prune
from kam.retention import retention_apply


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


@shared_task(time_limit=1800, soft_time_limit=1780, ignore_result=True)
def apply_retention(today: str | None = None) -> dict[str, int]:
    """Nightly from beat: let go of the data past its retention (kam.retention); the same
    service as `manage.py apply_retention`. `today` is an ISO date, the business day when
    omitted."""
    day = date.fromisoformat(today) if today else business_date()
    return retention_apply(today=day)
