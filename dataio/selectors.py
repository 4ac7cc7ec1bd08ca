"""Reads for the import wizard."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from dataio.models import ImportJob


def _jobs_for_user(user) -> QuerySet[ImportJob]:
    """Admins see every import; a leader sees their own (the file may hold anything)."""
    jobs = ImportJob.objects.select_related("created_by")
    if user.is_admin:
        return jobs
    if user.is_leader:
        return jobs.filter(created_by=user)
    return jobs.none()


def import_jobs_for_user(user) -> QuerySet[ImportJob]:
    """For lists: without the file and the row-by-row outcome."""
    return _jobs_for_user(user).defer("content", "outcomes")


def get_import_job_for_user(user, pk: int) -> ImportJob:
    return get_object_or_404(_jobs_for_user(user), pk=pk)
