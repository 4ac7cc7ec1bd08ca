"""A real Celery worker process against the real Redis broker."""

import pytest
from django.db import connection

from activities.tasks import check_sla
from kam.tasks import ping

LATE = "2026-03-10T11:00:00-03:00"


def test_a_real_worker_runs_a_task_and_returns_its_result(celery_worker_process):
    result = ping.apply_async(args=["round trip"], queue=celery_worker_process)
    assert result.get(timeout=60) == "round trip"


def test_the_task_function_runs_in_process():
    assert ping("direct") == "direct"


def _worker_backends(queue: str) -> list[tuple]:
    """The worker's open connections to PostgreSQL (celery_worker_process names them)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, backend_start FROM pg_stat_activity WHERE application_name = %s",
            [queue],
        )
        return cursor.fetchall()


def _run_on_the_database(queue: str) -> None:
    assert check_sla.apply_async(args=[LATE], queue=queue).get(timeout=60)


def test_a_worker_keeps_its_database_connection_from_one_task_to_the_next(
    celery_worker_process,
):
    """Celery's own fixup would close it after every task (settings.CELERY_DB_REUSE_MAX);
    kam.celery closes it only as Django does after a request."""
    _run_on_the_database(celery_worker_process)
    after_one = _worker_backends(celery_worker_process)
    assert len(after_one) == 1  # the task's connection is still open, idle
    _run_on_the_database(celery_worker_process)
    assert _worker_backends(celery_worker_process) == after_one  # the same backend again


@pytest.mark.parametrize("celery_worker_process", [{"DATABASE_CONN_MAX_AGE": "0"}], indirect=True)
def test_a_worker_closes_its_connection_after_a_task_as_a_request_would_when_told_to(
    celery_worker_process,
):
    """DATABASE_CONN_MAX_AGE=0 (behind PgBouncer): closed after each task, as after a request."""
    _run_on_the_database(celery_worker_process)
    assert _worker_backends(celery_worker_process) == []


def test_a_worker_replaces_a_connection_that_died_between_tasks(celery_worker_process):
    _run_on_the_database(celery_worker_process)
    [(pid, _started)] = _worker_backends(celery_worker_process)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    _run_on_the_database(celery_worker_process)  # the health check finds it gone: a new one
    [(new_pid, _started)] = _worker_backends(celery_worker_process)
    assert new_pid != pid
