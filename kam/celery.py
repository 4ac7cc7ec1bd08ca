"""The Celery app. Tasks are entry points only: they take ids and dates and call services."""

import os

from celery import Celery, shared_task
from django.db import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")

app = Celery("kam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def idempotent_task(*, time_limit: int):
    """A job that is safe to run twice (its service claims or upserts what it writes): retried
    on a database hiccup with backoff, acknowledged only when done (a worker lost mid-run hands
    it to another), stopped softly a minute before `time_limit` seconds."""
    return shared_task(
        autoretry_for=(OperationalError,),
        retry_backoff=True,
        max_retries=3,
        time_limit=time_limit,
        soft_time_limit=time_limit - 60,
        acks_late=True,
    )
