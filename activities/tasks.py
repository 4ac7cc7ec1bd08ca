"""Celery entry points for activities: dates in, services do the work."""

from datetime import date, datetime

from django.utils import timezone

from activities.reminders import reminders_send, sla_check
from activities.services import requests_deadlines_refresh
from kam.celery import idempotent_task
from kam.dates import business_date


@idempotent_task(time_limit=900)
def send_reminders(day: str | None = None) -> dict[str, int]:
    """QBR reminders, escalations and commitment digests. Safe to retry or run twice: each
    reminder is claimed before it is sent (activities.reminders)."""
    today = date.fromisoformat(day) if day else business_date()
    return reminders_send(today=today)


@idempotent_task(time_limit=900)
def refresh_request_deadlines(account_ids: list[int] | None = None) -> int:
    """Recompute the running SLA clocks of open client requests after a tier policy, tier or
    calendar change (queued through the outbox by accounts.services). Idempotent."""
    return requests_deadlines_refresh(account_ids=account_ids)


@idempotent_task(time_limit=600)
def check_sla(at: str | None = None) -> dict[str, int]:
    """SLA warnings and breach notices of client requests (every 15 minutes from beat). Safe to
    retry or run twice: each notice is claimed before it is sent (activities.reminders)."""
    now = datetime.fromisoformat(at) if at else timezone.now()
    return sla_check(now=now)
