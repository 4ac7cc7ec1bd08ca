"""Time the nightly health recompute in one process (= one worker), see bench/README.md.

    DJANGO_DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/kam_bench \
        .venv/bin/python bench/health_recompute.py

Runs tiers_recompute once (health reads the tier cadence), then times
health_recompute_all(day=today) twice: the first run writes today's scores (today's
rows from an earlier bench run are deleted first, unless --keep), the second shows that a
rerun updates the same rows in place. Every SQL statement is counted and timed per chunk
through connection.execute_wrapper; the slowest statements of one chunk are then run again
under EXPLAIN (ANALYZE, BUFFERS), writes inside a rolled-back transaction.

DJANGO_DEBUG=true is only needed for the settings to load without production secrets; the
script turns settings.DEBUG off again so that Django does not keep a log of every query (as
in production), which would otherwise add its own overhead to the figures."""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import io
import itertools
import os
import platform
import pstats
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from machine import speed_line  # noqa: E402  (bench/machine.py, beside this script)

from accounts.models import Account, HealthScore  # noqa: E402
from accounts.services import scoring_defaults_ensure  # noqa: E402
from activities.models import Notification  # noqa: E402
from insights import services as health_services  # noqa: E402
from kam.dates import business_date  # noqa: E402
from kam.lookups import int_array  # noqa: E402

settings.DEBUG = False  # no query log, as in production (see the module docstring)

TABLES = [
    "kam_user",
    "accounts_account",
    "accounts_stakeholder",
    "accounts_revenuerecord",
    "accounts_satisfactionentry",
    "accounts_qualitativerating",
    "activities_interaction",
    "activities_interaction_stakeholders",
    "activities_commitment",
    "activities_qbr",
    "accounts_healthscore",
    "activities_notification",
]


def log(message: str = "") -> None:
    print(message, flush=True)


def scalar(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def statement_label(sql: str) -> str:
    verb = sql.lstrip().split(None, 1)[0].upper()
    pattern = {"INSERT": r'INTO "?(\w+)', "UPDATE": r'UPDATE "?(\w+)'}.get(
        verb, r'(?:FROM|JOIN) (?!unnest\b|LATERAL\b)"?(\w+)'
    )  # a LATERAL read names its table after FROM unnest(…): that table
    match = re.search(pattern, sql)
    return f"{verb} {match.group(1) if match else '?'}"


class ChunkRecorder:
    """Counts and times every statement, per chunk of health_recompute, on whichever thread
    (and so database connection) scores the chunk. The text and parameters are kept for one
    chunk only (`keep`, for EXPLAIN): keeping every chunk's would grow the heap and make
    Python's garbage collector, hence the figures, slower."""

    def __init__(self, keep: int):
        self.keep = keep
        self.chunks: list[dict] = []
        self.local = threading.local()
        self.lock = threading.Lock()
        self.backend_seconds: dict[int, float] = {}  # backend pid → CPU seconds used so far
        self.backend_start: dict[int, float] = {}
        self.numbers = itertools.count()
        self.kept: dict | None = None

    @property
    def current(self) -> dict | None:
        return getattr(self.local, "current", None)

    def wrap_recompute(self, original):
        @functools.wraps(original)
        def recompute(*, account_ids, **kwargs):
            number = next(self.numbers)  # in start order; thread-safe in CPython
            self.local.current = {
                "accounts": len(account_ids),
                "ids": account_ids,
                "statements": [],
                "texts": [],
                "keep": number == self.keep,
            }
            self._wrap_commit_once()
            pid = scalar("SELECT pg_backend_pid()")  # not counted: the wrapper is not on yet
            self.backend_start.setdefault(pid, cpu_seconds(pid))
            started = time.perf_counter()
            try:
                with connection.execute_wrapper(self):
                    return original(account_ids=account_ids, **kwargs)
            finally:
                current = self.local.current
                current["seconds"] = time.perf_counter() - started
                self.backend_seconds[pid] = cpu_seconds(pid)
                with self.lock:
                    if current.pop("keep"):
                        current["number"] = number + 1
                        self.kept = current
                    else:
                        del current["texts"], current["ids"]
                    self.chunks.append(current)
                self.local.current = None

        return recompute

    def _wrap_commit_once(self) -> None:
        """Times each chunk's COMMIT (the WAL flush), which no statement wrapper sees."""
        if getattr(connection, "_bench_commit", False):
            return
        original = connection._commit

        def commit():
            started = time.perf_counter()
            try:
                return original()
            finally:
                if self.current is not None:
                    self.current["commit"] = time.perf_counter() - started

        connection._commit = commit
        connection._bench_commit = True

    @property
    def backend_cpu(self) -> float:
        return sum(
            self.backend_seconds[pid] - self.backend_start[pid] for pid in self.backend_seconds
        )

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            current = self.current
            if current is not None:
                took = time.perf_counter() - started
                current["statements"].append((statement_label(sql), took))
                if current["keep"]:
                    current["texts"].append((sql, params))


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by a process of this machine (a PostgreSQL backend, a worker):
    user + system time from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_run(
    day, label: str, chunk_size: int | None, threads: int
) -> tuple[int, float, ChunkRecorder]:
    chunks = health_services.account_id_chunks(
        chunk_size=chunk_size or health_services.HEALTH_CHUNK_SIZE
    )
    recorder = ChunkRecorder(keep=len(chunks) // 2)
    del chunks
    original = health_services.health_recompute
    original_chunks = health_services.account_id_chunks
    health_services.health_recompute = recorder.wrap_recompute(original)
    if chunk_size:
        health_services.account_id_chunks = functools.partial(
            original_chunks, chunk_size=chunk_size
        )
    try:
        cpu_started = time.process_time()
        started = time.perf_counter()
        count = health_services.health_recompute_all(day=day, threads=threads)
        elapsed = time.perf_counter() - started
        recorder.python_cpu = time.process_time() - cpu_started
    finally:
        if getattr(connection, "_bench_commit", False):
            del connection._commit, connection._bench_commit  # back to the class's method
        health_services.health_recompute = original
        health_services.account_id_chunks = original_chunks
    report(label, count, elapsed, recorder, threads)
    return count, elapsed, recorder


# The target: 100,000 accounts scored in 10 s by one worker process (its threads included).
TARGET_ACCOUNTS, TARGET_SECONDS = 100_000, 10.0


def target_line(count: int, elapsed: float, processes: int = 1) -> str:
    """The run against the target: a verdict for one process on the 100,000-account demo
    (98,000 live accounts), otherwise the time this rate gives for 100,000 accounts alone (a
    smaller demo's fixed costs weigh more; two processes are the near-linear check)."""
    projected = elapsed * TARGET_ACCOUNTS / count
    line = (f"target                 {TARGET_ACCOUNTS:,} accounts in {TARGET_SECONDS:.0f} s, "
            "one process: ")  # fmt: skip
    if processes == 1 and count >= 0.9 * TARGET_ACCOUNTS:
        return line + ("ok" if elapsed <= TARGET_SECONDS else "SLOW")
    return line + f"{projected:.1f} s for {TARGET_ACCOUNTS:,} at this rate"


def report(label: str, count: int, elapsed: float, recorder: ChunkRecorder, threads: int) -> None:
    chunks = recorder.chunks
    per_chunk = [len(c["statements"]) for c in chunks]
    seconds = [c["seconds"] for c in chunks]
    log(f"\n== {label}")
    log(f"accounts scored        {count}")
    log(f"chunks                 {len(chunks)} (largest {max(c['accounts'] for c in chunks)})")
    log(f"threads                {threads} (one process, one connection each)")
    log(f"total                  {elapsed:.2f} s")
    log(f"load average after     {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min)")
    log(f"accounts/second        {count / elapsed:,.0f}")
    log(target_line(count, elapsed))
    log(
        f"SQL statements/chunk   min {min(per_chunk)}, max {max(per_chunk)}"
        f" (distinct counts: {sorted(set(per_chunk))})"
    )
    log(
        f"seconds/chunk          min {min(seconds):.3f}, median {statistics.median(seconds):.3f},"
        f" max {max(seconds):.3f}"
    )
    by_position: dict[tuple[int, str], float] = defaultdict(float)
    database = 0.0
    for chunk in chunks:
        for position, (name, took) in enumerate(chunk["statements"], 1):
            by_position[(position, name)] += took
            database += took
    commit = sum(chunk.get("commit", 0) for chunk in chunks)
    busy = sum(seconds)  # summed over the threads
    log(
        f"time in SQL            {database:.2f} s ({100 * database / busy:.0f} % of the chunks'"
        f" {busy:.2f} s summed over threads) + COMMITs {commit:.2f} s,"
        f" Python {busy - database - commit:.2f} s"
    )
    python, backend = recorder.python_cpu, recorder.backend_cpu
    log(
        f"CPU used               Python process {python:.2f} s + its PostgreSQL backends"
        f" {backend:.2f} s = {python + backend:.2f} s"
    )
    log("SQL time by statement (position in the chunk, summed over all chunks):")
    for (position, name), took in sorted(by_position.items()):
        log(f"  {position:>2}. {name:<38} {took:7.2f} s")


def months_as_before(day, ids: list[int] | None = None) -> None:
    """The month rows of `day`'s month as they were before `day` was scored (of the accounts
    `ids`, or all): each account's latest score of the month before `day`, none on the 1st."""
    month = day.replace(day=1)
    only = "AND account_id = ANY(%(ids)s::bigint[])" if ids is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM accounts_healthmonth WHERE month = %(month)s {only}",  # noqa: S608
            {"month": month, "ids": None if ids is None else int_array(ids)},
        )
        cursor.execute(
            f"""
            INSERT INTO accounts_healthmonth (account_id, month, score, band)
            SELECT DISTINCT ON (account_id) account_id, %(month)s, score, band
            FROM accounts_healthscore
            WHERE day >= %(month)s AND day < %(day)s {only}
            ORDER BY account_id, day DESC
            """,  # noqa: S608 - a fixed condition, values as parameters
            {"month": month, "day": day, "ids": ids},
        )


def explain(recorder: ChunkRecorder, top: int, day, before: dict | None) -> None:
    """Replay the statements of run 1's middle chunk, in order, under EXPLAIN (ANALYZE,
    BUFFERS) in a transaction that is rolled back, after putting the chunk back as it was
    before run 1 (no score for the day, the accounts' previous health fields), so that writes
    are explained as they happened in run 1 and not as no-op reruns. Prints the slowest."""
    chunk = recorder.kept
    ids = chunk["ids"]
    plans = []
    with transaction.atomic():
        if before is not None:
            HealthScore.objects.filter(account_id__in=ids, day=day).delete()
            Notification.objects.filter(account_id__in=ids, day=day).delete()
            for pk, (score, band) in before.items():
                Account.objects.filter(pk=pk).update(health_score=score, health_band=band)
            months_as_before(day, ids)
        with connection.cursor() as cursor:
            for position, ((name, took), (sql, params)) in enumerate(
                zip(chunk["statements"], chunk["texts"], strict=True), 1
            ):
                if not sql.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "WITH")):
                    cursor.execute(sql, params)  # a savepoint, its release, a lock: replayed as is
                    continue
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, WAL) " + sql, params)
                plans.append((position, name, took, [row[0] for row in cursor.fetchall()]))
        transaction.set_rollback(True)  # EXPLAIN ANALYZE of a write really writes
    state = "as before run 1" if before is not None else "as left by the last run (--keep)"
    log(
        f"\n== EXPLAIN (ANALYZE, BUFFERS) of run 1's chunk {chunk['number']} "
        f"({chunk['accounts']} accounts) replayed {state}; the {top} slowest statements"
    )
    for position, name, took, lines in sorted(plans, key=lambda plan: -plan[2])[:top]:
        log(f"\n-- {position}. {name}  ({took * 1000:.0f} ms in the timed run)")
        for line in lines[:28]:
            log(f"   {line[:160]}")
        if len(lines) > 28:
            log(f"   ... ({len(lines) - 28} more lines)")


def machine_cpu_seconds() -> float:
    """CPU time the whole machine has spent busy so far (every process: the workers and their
    PostgreSQL backends), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def process_cpu_seconds() -> dict[int, tuple[str, float]]:
    """Every process's command line and CPU time used so far (/proc), by process id."""
    result = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            result[int(entry.name)] = (command, cpu_seconds(int(entry.name)))
        except OSError:  # gone meanwhile
            continue
    return result


def cpu_by_part(before: dict, after: dict, *, queue: str, database: str) -> dict[str, float]:
    """CPU used between two process_cpu_seconds() readings, summed per part of the run (the
    processes alive at the second reading; the worker's keep their connections open)."""
    own = os.getpid()
    parts: dict[str, float] = defaultdict(float)
    for pid, (command, seconds) in after.items():
        used = seconds - before.get(pid, (command, 0.0))[1]
        if pid == own:
            part = "this process (dispatch and results)"
        elif queue in command:
            part = "Celery worker processes"
        elif (
            command.startswith("postgres: ")
            and "autovacuum" not in command
            and (f" {database} " in command)
        ):
            part = "PostgreSQL backends of this database"
        elif command.startswith("postgres: "):
            part = "PostgreSQL, other (autovacuum, WAL, other databases)"
        elif "redis-server" in command:
            part = "Redis"
        else:
            part = "anything else on the machine"
        parts[part] += used
    return parts


def worker_run(day, workers: int, chunk_size: int | None) -> int:
    """The nightly fan-out as production runs it (insights.tasks.nightly_scoring): one Celery
    worker with `workers` processes (prefork) takes a health_chunk task per chunk from the
    broker. Timed from the dispatch to the last chunk's result. The worker runs with DEBUG off
    on a queue of its own, so nothing else takes the tasks."""
    from celery import group

    from insights.tasks import health_chunk
    from kam.celery import app

    queue = f"kam-bench-health-{os.getpid()}"
    name = f"{queue}@{socket.gethostname()}"
    env = {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-only-not-a-secret"),
    }
    command = [
        sys.executable, "-m", "celery", "-A", "kam", "worker", "--pool", "prefork",
        "--concurrency", str(workers), "--queues", queue, "--hostname", name,
        "--without-heartbeat", "--without-mingle", "--without-gossip", "--loglevel", "WARNING",
    ]  # fmt: skip
    worker = subprocess.Popen(command, cwd=BASE_DIR, env=env)
    try:
        deadline = time.monotonic() + 120
        while not app.control.ping(destination=[name], timeout=1):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the Celery worker did not start")
        chunks = health_services.account_id_chunks(
            chunk_size=chunk_size or health_services.HEALTH_CHUNK_SIZE
        )
        cpu_started = machine_cpu_seconds()
        processes_before = process_cpu_seconds()
        started = time.perf_counter()
        result = group(
            health_chunk.s(chunk, day.isoformat()).set(queue=queue) for chunk in chunks
        ).apply_async()
        count = sum(result.get(timeout=1800))
        elapsed = time.perf_counter() - started
        cpu = machine_cpu_seconds() - cpu_started
        parts = cpu_by_part(
            processes_before,
            process_cpu_seconds(),
            queue=queue,
            database=connection.settings_dict["NAME"],
        )
    finally:
        worker.terminate()
        worker.wait(60)
    log(f"\n== health_chunk tasks through a Celery worker, {workers} process(es)")
    log(f"accounts scored        {count}")
    log(f"chunks                 {len(chunks)} (largest {max(len(c) for c in chunks)})")
    log(f"total                  {elapsed:.2f} s (dispatch to the last result)")
    log(f"accounts/second        {count / elapsed:,.0f}")
    log(target_line(count, elapsed, workers))
    log(f"machine CPU busy       {cpu:.2f} s of {os.cpu_count() * elapsed:.2f} s available")
    for part, seconds in sorted(parts.items(), key=lambda item: -item[1]):
        log(f"  {part:<54} {seconds:6.2f} s")
    # Processes that ended meanwhile (a connection closed, a short autovacuum), interrupts and
    # time the hypervisor took.
    unattributed = cpu - sum(parts.values())
    log(f"  {'not attributed (ended meanwhile, interrupts, steal)':<54} {unattributed:6.2f} s")
    log(f"load average after     {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min)")
    return count


def environment(chunk_size: int | None) -> None:
    meminfo = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()
    log("== Machine and settings")
    log(f"CPUs (nproc)           {os.cpu_count()}")
    log(f"memory                 {int(meminfo[1]) / 1024 / 1024:.1f} GiB")
    log(f"Python / Django        {platform.python_version()} / {django.get_version()}")
    log(f"PostgreSQL             {scalar('SHOW server_version')}")
    for name in ("shared_buffers", "work_mem", "effective_cache_size", "jit"):
        log(f"  {name:<20} {scalar(f'SHOW {name}')}")
    log(f"HEALTH_CHUNK_SIZE      {chunk_size or health_services.HEALTH_CHUNK_SIZE}")
    log(f"load average           {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    log(speed_line())
    log("\n== Data")
    for table in TABLES:
        log(f"{table:<40} {scalar(f'SELECT count(*) FROM {table}'):>10,}")  # noqa: S608
    log(
        f"database size                            {
            scalar('SELECT pg_size_pretty(pg_database_size(current_database()))')
        }"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep today's rows from a past run")
    parser.add_argument("--explain", type=int, default=4, help="statements to EXPLAIN (0: none)")
    parser.add_argument("--chunk-size", type=int, help="override HEALTH_CHUNK_SIZE")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="cProfile N more chunks at the end"
    )
    parser.add_argument("--no-rerun", action="store_true", help="skip the second run")
    parser.add_argument(
        "--threads",
        type=int,
        default=health_services.HEALTH_THREADS,
        help=f"threads sharing the chunks (default {health_services.HEALTH_THREADS})",
    )
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() before the runs (what a worker can do once after start-up)",
    )
    parser.add_argument(
        "--skip-tiers", action="store_true", help="skip tiers_recompute (tiers already set)"
    )
    parser.add_argument(
        "--after-a-night",
        action="store_true",
        help="score yesterday first with the same code (untimed; it rewrites yesterday's"
        " stored scores, as a backfill does), so the timed run is a night after a night",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        metavar="N",
        help="score through a Celery worker with N processes instead of in this process",
    )
    args = parser.parse_args()

    day = business_date()
    environment(args.chunk_size)
    if not args.keep:
        # Back to the night before: no score for today yet, and every account row and month
        # row showing yesterday's stored score, as the previous nightly run left them.
        HealthScore.objects.filter(day=day).delete()
        Notification.objects.filter(kind=Notification.Kind.HEALTH_BAND_DROP, day=day).delete()
        if args.after_a_night:
            # The demos' history before today is generated, not scored: against it nearly
            # every score and most bands change. Scored by these rules, yesterday differs from
            # today only by what the day moved (a touch one day older, a window one day on).
            started = time.perf_counter()
            health_services.health_recompute_all(day=day - timedelta(days=1), threads=args.threads)
            log(f"\n== yesterday scored first: {time.perf_counter() - started:.2f} s (untimed)")
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE accounts_account a SET health_score = h.score, health_band = h.band
                FROM accounts_healthscore h
                WHERE h.account_id = a.id AND h.day = %s
                  AND (a.health_score, a.health_band) IS DISTINCT FROM (h.score, h.band)
                """,
                [day - timedelta(days=1)],
            )
        months_as_before(day)
    with connection.cursor() as cursor:  # start from clean tables, like a nightly run
        cursor.execute(
            "VACUUM ANALYZE accounts_account, accounts_healthscore, activities_notification"
        )

    if not args.skip_tiers:
        started = time.perf_counter()
        tiers = health_services.tiers_recompute(day=day)
        log(f"\n== tiers_recompute: {time.perf_counter() - started:.2f} s, {tiers}")

    if args.gc_freeze:
        gc.collect()
        gc.freeze()  # start-up objects leave the collector's generations
    scored = Account.objects.exclude(status="churned").count()
    if args.workers:
        count = worker_run(day, args.workers, args.chunk_size)
        rows = HealthScore.objects.filter(day=day).count()
        log(f"HealthScore rows for {day}: {rows} (accounts to score: {scored})")
        assert rows == scored == count
        return
    chunks = health_services.account_id_chunks(
        chunk_size=args.chunk_size or health_services.HEALTH_CHUNK_SIZE
    )
    before = (
        None
        if args.keep
        else {
            pk: (score, band)
            for pk, score, band in Account.objects.filter(
                pk__in=chunks[len(chunks) // 2]
            ).values_list("pk", "health_score", "health_band")
        }
    )
    del chunks
    count, _elapsed, recorder = timed_run(
        day, f"health_recompute_all(day={day}), run 1", args.chunk_size, args.threads
    )
    notices = Notification.objects.filter(kind=Notification.Kind.HEALTH_BAND_DROP, day=day).count()
    log(f"band-drop notifications {notices}")
    changed = scalar(
        """
        SELECT format('%%s scores and %%s bands of %%s', count(*) FILTER (WHERE t.score
               IS DISTINCT FROM y.score), count(*) FILTER (WHERE t.band <> y.band), count(*))
        FROM accounts_healthscore t
        JOIN accounts_healthscore y ON y.account_id = t.account_id AND y.day = t.day - 1
        WHERE t.day = %s
        """,
        [day],
    )
    log(f"changed since yesterday {changed}")
    ids_before = set(HealthScore.objects.filter(day=day).values_list("pk", flat=True))

    if not args.no_rerun:
        timed_run(day, "run 2 (rerun, updates in place)", args.chunk_size, args.threads)
        ids_after = set(HealthScore.objects.filter(day=day).values_list("pk", flat=True))
        log(
            f"HealthScore rows for {day}: {len(ids_after)} (accounts to score: {scored});"
            f" same rows as run 1: {ids_after == ids_before}"
        )
        assert len(ids_after) == scored == count and ids_after == ids_before

    if args.explain:
        explain(recorder, args.explain, day, before)

    if args.profile:
        config = scoring_defaults_ensure()
        chunks = health_services.account_id_chunks()[: args.profile]
        profiler = cProfile.Profile()
        profiler.enable()
        for chunk in chunks:
            health_services.health_recompute(account_ids=chunk, day=day, config=config)
        profiler.disable()
        for sort in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(35)
            log(f"\n== cProfile of {len(chunks)} more chunks, by {sort}")
            log(out.getvalue())
    log(f"\n{speed_line()}")


if __name__ == "__main__":
    main()
