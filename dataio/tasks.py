"""Celery entry point for confirmed imports: the job id in, dataio.services does the work."""

from celery import shared_task

from dataio import services


@shared_task(time_limit=1800, soft_time_limit=1700, acks_late=True)
def import_job_task(job_id: int) -> dict:
    job = services.import_job_run(job_id=job_id)
    return job.counts
