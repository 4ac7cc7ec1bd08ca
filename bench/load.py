"""Load test: 50 simulated people for 2 minutes against gunicorn (see bench/README.md,
"Load test (issue 8)").

    DJANGO_DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/kam_large_bench \
        REDIS_URL=redis://127.0.0.1:6379/8 .venv/bin/python bench/load.py

Expects the large demo (`manage.py seed_demo --scale large`) in a disposable database (its
name must contain "bench") and locust installed (`.venv/bin/pip install -r
bench/requirements.txt`). In order:

1. Sign-ins: the large demo's generated KAMs and leaders have no usable password; this sets
   the demo password ("demo") for the first --kams of them by email (kam0000@bench.example …)
   and for the bench leaders, so that every simulated person is a different user: the three
   demo KAMs (kam@, kam2@, kam3@example.com) plus the generated ones, and leader@example.com
   plus the nine generated leaders. It then writes the personas file the locustfile reads
   (each KAM's accounts, the dashboard's filter values).
2. Starts a Celery worker on REDIS_URL (the quick log queues a health rescore of the account
   through the outbox, kam/outbox.py) and gunicorn (bench/web.py's Server: bench/bench_wsgi.py,
   DEBUG off, --workers sync workers).
3. Runs locust headless (bench/load/locustfile.py): --users people, --spawn-rate per second,
   for --time.
4. Waits for the queued rescoring to finish, stops the worker and gunicorn, then prints per
   request type the count, failures, p50/p95/p99/max (client side, ms), the server-side
   p95 (X-Bench header), throughput, and checks that every quick log that answered "saved"
   is in the database and every rescore it queued was sent and run.

Everything goes to --out (default /tmp/kam-load-<time>): locust's CSV files (load_stats.csv,
load_failures.csv …), its log, gunicorn's and the worker's logs."""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402

from accounts.models import Account, Tier  # noqa: E402
from accounts.selectors import accounts_for_user  # noqa: E402
from activities.models import Interaction  # noqa: E402

# The gunicorn of the page benchmark (bench/bench_wsgi.py, DEBUG off), started the same way.
from bench.web import Server, loadavg, log  # noqa: E402
from kam.models import OutboxTask, Role, User  # noqa: E402

PASSWORD = "demo"  # noqa: S105 - the demo users' public password
DEMO_KAMS = ["kam@example.com", "kam2@example.com", "kam3@example.com"]
DEMO_LEADER = "leader@example.com"
LOCUSTFILE = BASE_DIR / "bench" / "load" / "locustfile.py"
HEALTH_TASK = "insights.tasks.health_chunk"


def prepare_personas(out: Path, kams: int) -> Path:
    """Known passwords for the people the test signs in as; their accounts; filter values."""
    database = settings.DATABASES["default"]["NAME"]
    if "bench" not in database:
        sys.exit(f"refusing to set passwords in {database!r}: the name must contain 'bench'")
    generated_kams = list(
        User.objects.filter(role=Role.KAM, is_active=True, email__endswith="@bench.example")
        .order_by("email")
        .values_list("email", flat=True)[:kams]
    )
    generated_leaders = list(
        User.objects.filter(role=Role.LEADER, is_active=True, email__endswith="@bench.example")
        .order_by("email")
        .values_list("email", flat=True)
    )
    hashed = make_password(PASSWORD)  # one hash (1.5 M PBKDF2 rounds), shared by all of them
    changed = User.objects.filter(email__in=generated_kams + generated_leaders).update(
        password=hashed
    )
    log(f"demo password set for {changed} generated users ({len(generated_kams)} KAMs, "
        f"{len(generated_leaders)} leaders)")  # fmt: skip
    personas = {"password": PASSWORD, "time_zone": settings.TIME_ZONE, "kams": [], "leaders": []}
    for email in DEMO_KAMS + generated_kams:
        user = User.objects.get(email=email)
        accounts = list(
            accounts_for_user(user)
            .exclude(status="churned")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if accounts:
            personas["kams"].append({"email": email, "accounts": accounts})
    personas["leaders"] = [{"email": email} for email in [DEMO_LEADER, *generated_leaders]]
    accounts = Account.objects.all()
    personas["portfolio"] = {
        "owner": sorted({str(pk) for pk in accounts.values_list("owner_id", flat=True)}),
        "tier": [str(pk) for pk in Tier.objects.order_by("rank").values_list("pk", flat=True)],
        "industry": sorted(set(accounts.values_list("industry", flat=True)) - {""}),
        "region": sorted(set(accounts.values_list("region", flat=True)) - {""}),
    }
    path = out / "personas.json"
    path.write_text(json.dumps(personas))
    log(f"personas: {len(personas['kams'])} KAMs "
        f"({sum(len(k['accounts']) for k in personas['kams'])} accounts), "
        f"{len(personas['leaders'])} leaders -> {path}")  # fmt: skip
    return path


class Worker:
    """A Celery worker on the configured broker, as docs/deploy.md runs it."""

    def __init__(self, out: Path, concurrency: int):
        self.log_path = out / "celery.log"
        self.log_file = self.log_path.open("w")
        env = {**os.environ, "DJANGO_DEBUG": "true", "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [
                sys.executable,  # this script's Python, as bench/web.py serves with it
                "-m",
                "celery",
                "-A",
                "kam",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(concurrency),
                "--queues",
                settings.CELERY_TASK_DEFAULT_QUEUE,
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for _ in range(600):
            if " ready." in self.log_path.read_text():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        sys.exit(f"the Celery worker did not start; see {self.log_path}")

    def tasks(self, task: str) -> tuple[int, int]:
        """(succeeded, failed) runs of `task` in the worker's log."""
        lines = [line for line in self.log_path.read_text().splitlines() if f"{task}[" in line]
        return (
            sum(" succeeded in " in line for line in lines),
            sum(" raised " in line for line in lines),
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # warm shutdown: running tasks finish
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log_file.close()


def run_locust(args, out: Path, personas: Path, url: str) -> int:
    env = {
        **os.environ,
        "LOAD_PERSONAS": str(personas),
        "LOAD_RECORDS": str(out / "records.json"),
        "LOAD_THINK": args.think,
    }
    command = [
        str(BASE_DIR / ".venv/bin/locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        args.time,
        "--host",
        url,
        "--csv",
        str(out / "load"),
        "--only-summary",
        "--stop-timeout",
        "30",
        "--exit-code-on-error",
        "0",
    ]
    log(f"$ {' '.join(command[1:])}")
    with (out / "locust.log").open("w") as output:
        return subprocess.run(command, env=env, stdout=output, stderr=subprocess.STDOUT).returncode


def parse_seconds(value: str) -> float:
    """locust's --run-time: 90, 90s, 2m, 1h30m…"""
    units = {"h": 3600, "m": 60, "s": 1}
    total, number = 0.0, ""
    for char in value:
        if char.isdigit() or char == ".":
            number += char
        else:
            total, number = total + float(number) * units[char], ""
    return total + (float(number) if number else 0)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)] if ordered else float("nan")


def report(out: Path, run_seconds: float, *, settle: float = 0) -> dict[str, dict]:
    """The figures per request type as a Markdown table (bench/README.md takes it as is), from
    the locustfile's record of every request; req/s over the run time (ramp-up included).
    With `settle`, only the requests started that many seconds after the first one."""
    records = json.loads((out / "records.json").read_text())
    if settle:
        first = min(record[7] for record in records)
        records = [record for record in records if record[7] - first >= settle]
        run_seconds -= settle
        log(f"\nAfter the first {settle:.0f} s (the sign-ins):")
    groups: dict[str, list] = {}
    for record in records:
        method, name = record[0], record[1]
        groups.setdefault(name if method == "GET" else f"{method} {name}", []).append(record)
    log("\n| request | count | failures | p50 | p95 | p99 | max | server p95 | CPU p50 | req/s |")
    log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    figures = {}
    for name, rows in [*sorted(groups.items()), ("**all requests**", records)]:
        client = [row[2] for row in rows]
        server = [row[3] for row in rows if row[3] is not None]
        cpu = [row[6] for row in rows if row[6] is not None]
        figures[name] = {"count": len(rows), "failures": sum(row[4] is not None for row in rows)}
        cells = [
            name,
            len(rows),
            figures[name]["failures"],
            f"{percentile(client, 50):.0f}",
            f"{percentile(client, 95):.0f}",
            f"{percentile(client, 99):.0f}",
            f"{max(client):.0f}",
            f"{percentile(server, 95):.0f}",
            f"{percentile(cpu, 50):.0f}",
            f"{len(rows) / run_seconds:.2f}",
        ]
        log(f"| {' | '.join(str(cell) for cell in cells)} |")
    log(
        "ms; p50 to max: client side (locust); server p95: in the gunicorn worker, CPU p50: "
        "CPU of the worker and its PostgreSQL backend (X-Bench); "
        f"req/s over the {run_seconds:.0f} s run"
    )
    errors: dict[tuple, int] = {}
    for record in records:
        if record[4] is not None:
            errors[(record[0], record[1], record[4])] = (
                errors.get((record[0], record[1], record[4]), 0) + 1
            )
    for (method, name, error), count in sorted(errors.items()):
        log(f"FAILED {count}x {method} {name}: {error}")
    slowest = sorted(records, key=lambda record: record[2], reverse=True)[:5]
    began = min(record[7] for record in records)
    for start in range(0, math.ceil(run_seconds), 15):
        window = [r for r in records if start <= r[7] - began < start + 15]
        if window:
            log(f"  {start:>4}-{start + 15:<4} s: {len(window) / 15:5.1f} req/s, "
                f"p95 {percentile([r[2] for r in window], 95):6.0f} ms, "
                f"{sum(r[4] is not None for r in window)} failed")  # fmt: skip
    cpu_seconds = sum(record[6] or 0 for record in records) / 1000
    log(f"CPU used by the requests (gunicorn workers and their PostgreSQL backends): "
        f"{cpu_seconds:.0f} s, {cpu_seconds / run_seconds:.2f} cores on average")  # fmt: skip
    log("slowest: " + "; ".join(f"{r[0]} {r[5]} {r[2]:.0f} ms (server {r[3]})" for r in slowest))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--time", default="2m", help="locust --run-time (e.g. 20s, 2m)")
    parser.add_argument("--think", default="3,10", help="seconds between actions: min,max")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--celery-concurrency", type=int, default=1)
    parser.add_argument("--kams", type=int, default=37, help="generated KAMs given a password")
    parser.add_argument("--port", type=int, default=8771)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--settle", type=float, default=30, help="second table: from N s on")
    parser.add_argument("--report", type=Path, help="only print the figures of the run in DIR")
    args = parser.parse_args()
    if args.report:
        report(args.report, parse_seconds(args.time))
        report(args.report, parse_seconds(args.time), settle=args.settle)
        return
    out = args.out or Path(tempfile.gettempdir()) / f"kam-load-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    out.mkdir(parents=True, exist_ok=True)

    log(f"database {settings.DATABASES['default']['NAME']}: {Account.objects.count()} accounts; "
        f"broker {settings.CELERY_BROKER_URL}; {os.cpu_count()} CPUs; {loadavg()}")  # fmt: skip
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        sys.exit("the database lacks migrations: run manage.py migrate first")
    personas = prepare_personas(out, args.kams)
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    started_at = datetime.now(UTC)
    first_outbox = OutboxTask.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    worker = Worker(out, args.celery_concurrency)
    server = None
    try:
        server = Server(args.port, args.workers)
        for _ in range(args.workers * 2):  # every worker loads the app before the clock starts
            requests.get(f"{server.url}/login/", timeout=60)
        log(f"gunicorn: {args.workers} sync workers on {server.url}; Celery worker: "
            f"concurrency {args.celery_concurrency}, queue {queue}; {loadavg()}")  # fmt: skip
        code = run_locust(args, out, personas, server.url)
        log(f"locust exited with {code}; {loadavg()}")
        # The rescoring queued by the last quick logs: wait until the queue is empty.
        for _ in range(120):
            pending = OutboxTask.objects.filter(pk__gt=first_outbox, sent_at=None).count()
            if not pending and not broker.llen(queue):
                break
            time.sleep(0.5)
        time.sleep(2)  # the task the worker took last
    finally:
        if server is not None:
            server.stop()
        worker.stop()
    stats = report(out, parse_seconds(args.time))
    report(out, parse_seconds(args.time), settle=args.settle)

    logged = Interaction.objects.filter(
        created_at__gte=started_at, summary__startswith="Load test:"
    ).count()
    posts = stats.get("POST quick log POST (htmx)", {"count": 0, "failures": 0})
    saved = posts["count"] - posts["failures"]
    queued = OutboxTask.objects.filter(pk__gt=first_outbox, task=HEALTH_TASK)
    ran, failed = worker.tasks(HEALTH_TASK)
    log(f"\nquick logs answered saved: {saved}; 'Load test:' interactions in the database: "
        f"{logged}; rescores queued {queued.count()}, sent {queued.exclude(sent_at=None).count()}, "
        f"run by the worker {ran} (failed {failed}); "
        f"broker queue left: {broker.llen(queue)}")  # fmt: skip
    gunicorn_log = server.log_path.read_text() if server else ""
    (out / "gunicorn.log").write_text(gunicorn_log)
    log(
        f"gunicorn log: {gunicorn_log.count('Traceback')} tracebacks, "
        f"{gunicorn_log.count('WORKER TIMEOUT')} worker timeouts; {loadavg()}; files in {out}"
    )


if __name__ == "__main__":
    main()
