"""A real Celery worker process against the real Redis broker."""

from django.db import connection

from activities.tasks import check_sla
from kam.tasks import ping


def test_a_real_worker_runs_a_task_and_returns_its_result(celery_worker_process):
    result = ping.apply_async(args=["round trip"], queue=celery_worker_process)
    assert result.get(timeout=60) == "round trip"


def test_the_task_function_runs_in_process():
    assert ping("direct") == "direct"


def _backends_since(moment) -> list[tuple]:
    """The other connections to this database opened since `moment` (the worker's)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, backend_start FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_start >= %s",
            [moment],
        )
        return cursor.fetchall()


def test_a_worker_keeps_its_database_connection_from_one_task_to_the_next(
    celery_worker_process,
):
    """Celery's own fixup would close it after every task (settings.CELERY_DB_REUSE_MAX);
    kam.celery closes it only as Django does after a request."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        (started,) = cursor.fetchone()
    late = "2026-03-10T11:00:00-03:00"
    assert check_sla.apply_async(args=[late], queue=celery_worker_process).get(timeout=60)
    after_one = _backends_since(started)
    assert len(after_one) == 1  # the task's connection is still open, idle
    check_sla.apply_async(args=[late], queue=celery_worker_process).get(timeout=60)
    assert _backends_since(started) == after_one  # the same backend served the second task
