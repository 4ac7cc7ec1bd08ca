from celery import shared_task


@shared_task(time_limit=30, soft_time_limit=25)
def ping(value: str = "pong") -> str:
    """Round trip used by /healthz-style checks and the worker test."""
    return value
