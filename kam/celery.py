"""The Celery app. Tasks are entry points only: they take ids and dates and call services."""

import os

from celery import Celery
from celery.schedules import crontab
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")

app = Celery("kam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Nightly jobs, at the hour set by SCORING_NIGHTLY_AT (default 02:00, in TIME_ZONE).
app.conf.beat_schedule = {
    "nightly-scoring": {
        "task": "accounts.tasks.nightly_scoring",
        "schedule": crontab(
            hour=settings.SCORING_NIGHTLY_HOUR, minute=settings.SCORING_NIGHTLY_MINUTE
        ),
    },
}
