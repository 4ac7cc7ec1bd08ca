"""A real Celery worker process against the real Redis broker."""

from kam.tasks import ping


def test_a_real_worker_runs_a_task_and_returns_its_result(celery_worker_process):
    result = ping.apply_async(args=["round trip"], queue=celery_worker_process)
    assert result.get(timeout=60) == "round trip"


def test_the_task_function_runs_in_process():
    assert ping("direct") == "direct"
