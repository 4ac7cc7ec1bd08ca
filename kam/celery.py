"""The Celery app. Tasks are entry points only: they take ids and dates and call services."""

import os

from celery import Celery, shared_task
from celery.signals import task_postrun, task_prerun
from django.db import OperationalError, close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")

app = Celery("kam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _connections_as_around_a_request(task, **kwargs) -> None:
    """Before and after each task, what Django does before and after a request: close a
    connection past CONN_MAX_AGE or broken, keep the others (settings.CELERY_DB_REUSE_MAX says
    why Celery's own closing is turned down). Not for a task run eagerly in the caller's
    process: its connection is the caller's."""
    if not task.request.is_eager:
        close_old_connections()


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
