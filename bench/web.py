"""Page speed at 20,000 and 100,000 accounts, measured server side under gunicorn (see
bench/README.md).

    DJANGO_DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/kam_large_bench \
        .venv/bin/python bench/web.py

Expects the large demo (`manage.py seed_demo --scale large`). Starts gunicorn on the
configured database (bench/bench_wsgi.py: the app with DEBUG off and an X-Bench timing
header), logs in as leader@example.com and kam@example.com, and for each scenario sends
--warmup requests, then --requests measured ones, one at a time. Prints, per scenario, the
server-side time (p50/p95/max), the time in SQL, the SQL statements per request and the CPU
time of the worker, next to the target; then runs the SQL behind the dashboard directly in
PostgreSQL (statements captured from one in-process request) and prints app time / SQL time.
The load averages are printed with every scenario: the machine is shared.

Requests rotate over different accounts (the leader's pages over a deterministic sample of
all accounts, the KAM's over their own), so the figures are not one account's cached pages.
The quick log POSTs write interactions (as a KAM on their own accounts, as the account page's
htmx form does); --no-writes skips them.

--larger kam_xl_bench measures the 100,000-account demo beside it: a second gunicorn on that
database, each scenario's measured requests sent to the two in turn, and each p95 and
statement count compared with this database's. Measured request by request side by side, the
two figures see the same speed of the machine, which drifts by a third and more within the
hour (bench/README.md, "How much a run varies"); two runs one after the other, `--save` then
`--against`, compare two different hours."""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from machine import speed_line  # noqa: E402  (bench/machine.py, beside this script)

from accounts.models import Account, Tier  # noqa: E402
from insights.portfolio import portfolio_cache_reset  # noqa: E402
from insights.portfolio_slices import portfolio_slices_refresh  # noqa: E402
from kam.dates import business_date  # noqa: E402
from kam.models import User  # noqa: E402

settings.DEBUG = False
PASSWORD = "demo"  # noqa: S105 - the demo users' public password


def log(message: str = "") -> None:
    print(message, flush=True)


def loadavg() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank percentile (as bench/load.py's): of 20 requests, p95 is the 19th, the
    second-slowest. It was round(19.0 + 0.5), which Python rounds to the even 20: the slowest
    request, which earlier tables printed as their p95."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


class Server:
    def __init__(self, port: int, workers: int, env: dict | None = None):
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "DJANGO_DEBUG": "true", "PYTHONUNBUFFERED": "1", **(env or {})}
        self.log_path = Path(tempfile.gettempdir()) / f"kam-bench-web-{port}.log"
        self.log_file = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                # gunicorn under the Python running this script (bench/README.md, "The
                # interpreter": the venv of an optimised build serves the pages it measures)
                sys.executable,
                "-m",
                "gunicorn",
                "bench.bench_wsgi:application",
                "--chdir",
                str(BASE_DIR),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--timeout",
                "120",
            ],
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for _ in range(300):
            try:
                requests.get(f"{self.url}/healthz", timeout=30)
                return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        sys.exit(f"gunicorn did not start; see {self.log_path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log_file.close()


def login(base: str, email: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        f"{base}/login/",
        data={"csrfmiddlewaretoken": token, "username": email, "password": PASSWORD},
        allow_redirects=False,
    )
    if response.status_code != 302:
        sys.exit(f"could not log in as {email} (HTTP {response.status_code})")
    return session


def bench_header(response) -> tuple[float, float, int, float]:
    ms, sql_ms, queries, cpu_ms = response.headers["X-Bench"].split(";")
    return float(ms), float(sql_ms), int(queries), float(cpu_ms)


class Scenario:
    def __init__(
        self, name, session, target_ms, urls, *, method="GET", data=None, htmx=False, target=None
    ):
        self.name = name
        self.session = session
        self.target_ms = target_ms
        self.urls = urls  # a list, used round robin
        self.method = method
        self.data = data  # callable(url) -> form data for POSTs
        self.htmx = htmx
        self.target = target  # HX-Target of an htmx request

    def send(self, base: str, n: int):
        url = self.urls[n % len(self.urls)]
        headers = {"HX-Request": "true"} if self.htmx else {}
        if self.target:
            headers["HX-Target"] = self.target
        if self.method == "POST":
            headers["X-CSRFToken"] = self.session.cookies["csrftoken"]
            headers["Referer"] = base + url
            response = self.session.post(
                base + url, data=self.data(n), headers=headers, allow_redirects=False
            )
        else:
            response = self.session.get(base + url, headers=headers, allow_redirects=False)
        if response.status_code != 200:
            raise RuntimeError(f"{self.name}: {url} answered HTTP {response.status_code}")
        return response


CONTROL = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")


def captured_statements(scenario: Scenario, user, n: int, client: Client) -> list[str]:
    """The statements of the scenario's n-th request, sent in process as `user` with the same
    headers and form (inside the caller's transaction)."""
    headers = {"HX-Request": "true"} if scenario.htmx else {}
    if scenario.target:
        headers["HX-Target"] = scenario.target
    url = scenario.urls[n % len(scenario.urls)]
    with CaptureQueriesContext(connection) as captured:
        if scenario.method == "POST":
            response = client.post(url, scenario.data(n), headers=headers)
        else:
            response = client.get(url, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"{scenario.name}: {url} answered {response.status_code}")
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(CONTROL)]


def logged_in(user) -> Client:
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)
    return client


def sql_direct(scenario: Scenario, user, samples: int) -> float:
    """The scenario's SQL run directly: the statements of `samples` of its requests, captured
    in process (the same user, headers and form), each run again on its own through the
    database connection (median of 3 for reads, once for writes), summed per request; the
    median over the requests, in ms. Everything is rolled back: POSTs leave nothing."""
    client = logged_in(user)
    totals = []
    for n in range(samples):
        with transaction.atomic():
            statements = captured_statements(scenario, user, n, client)
            total = 0.0
            with connection.cursor() as cursor:
                for sql in statements:
                    read = sql.lstrip().upper().startswith(("SELECT", "WITH", "(", "EXPLAIN"))
                    times = []
                    for _ in range(3 if read else 1):
                        began = time.perf_counter()
                        cursor.execute(sql)
                        if cursor.description:
                            cursor.fetchall()
                        times.append((time.perf_counter() - began) * 1000)
                    total += statistics.median(times)
            transaction.set_rollback(True)
        totals.append(total)
    return statistics.median(totals)


def _plan_nodes(plan: dict):
    """Every node of an EXPLAIN (FORMAT JSON) plan."""
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


def plan_indexes(scenario: Scenario, user) -> tuple[set[str], set[str]]:
    """The indexes the plans of the scenario's first request use, and the tables some plan
    reads whole (a sequential scan), from EXPLAIN (FORMAT JSON) of each of its reads; the
    request is rolled back."""
    client = logged_in(user)
    indexes, scanned = set(), set()
    with transaction.atomic():
        statements = captured_statements(scenario, user, 0, client)
        with connection.cursor() as cursor:
            for sql in statements:
                text = sql.lstrip()
                if text.upper().startswith("DECLARE"):  # .iterator(): explain its query
                    text = text[text.upper().index(" FOR ") + 5 :]
                if not text.upper().startswith(("SELECT", "WITH", "(")):
                    continue
                cursor.execute(f"EXPLAIN (FORMAT JSON) {text}")
                for node in _plan_nodes(cursor.fetchone()[0][0]["Plan"]):
                    if "Index Name" in node:
                        indexes.add(node["Index Name"])
                    if node.get("Node Type") == "Seq Scan":
                        scanned.add(node["Relation Name"])
        transaction.set_rollback(True)
    return indexes, scanned


def run_scenarios(runs: list[tuple[str, Scenario]], warmup: int, count: int) -> list[dict]:
    """Each (server, scenario) of `runs` warmed up, then their measured requests sent in turn,
    one of each at a time (--larger: the same page on both databases, so that both see the
    machine at the same moments)."""
    for base, scenario in runs:
        if scenario.method == "GET":
            # Each page the measured requests ask for, once, unmeasured: the rows it reads in
            # memory, as a database server's cache holds what is read every day. The machines
            # this runs on drop the operating system's cache pages nobody read for a minute
            # (the kernel's DAMON reclaim), and PostgreSQL's own 128 MB hold little of it:
            # without this pass, a page that rotates over accounts read each account's rows
            # from disk (the account page: 27–34 ms of SQL a request against 9–10 run
            # directly, bench/README.md).
            for n in range(warmup, warmup + min(count, len(scenario.urls))):
                scenario.send(base, n)
        for n in range(warmup):
            scenario.send(base, n)
    measured = [[] for _ in runs]
    for n in range(count):
        for rows, (base, scenario) in zip(measured, runs, strict=True):
            rows.append(bench_header(scenario.send(base, warmup + n)))
    results = []
    for rows, (_base, scenario) in zip(measured, runs, strict=True):
        ms = [row[0] for row in rows]
        results.append(
            {
                "name": scenario.name,
                "p50": percentile(ms, 50),
                "p95": percentile(ms, 95),
                "max": max(ms),
                "sql_p50": statistics.median(row[1] for row in rows),
                "queries": (min(row[2] for row in rows), max(row[2] for row in rows)),
                "cpu_p50": statistics.median(row[3] for row in rows),
                "target": scenario.target_ms,
                "load": loadavg(),
            }
        )
    return results


FLOOR_RATIO = 1.5  # a page's p50 over (its SQL run directly + the empty view's p50)
GROWTH_RATIO = 1.5  # a page's p95 on this database over its p95 on the smaller one (--against)


def print_result(result: dict, tag: str = "") -> None:
    queries = _counts(*result["queries"])
    verdict = "ok" if result["p95"] <= result["target"] else "SLOW"
    floor = ""
    if "direct" in result:
        ratio = result["p50"] / (result["direct"] + result["empty"])
        result["ratio"] = ratio
        floor = (f"{result['direct']:7.1f} {result['empty']:6.1f} {ratio:5.2f} "
                 f"{'ok' if ratio <= FLOOR_RATIO else 'HIGH':<4}")  # fmt: skip
    name = f"{result['name']} {tag}" if tag else result["name"]
    log(
        f"{name:<44} {result['p50']:7.1f} {result['p95']:7.1f} {result['max']:7.1f} "
        f"{result['sql_p50']:7.1f} {queries:>7} {result['cpu_p50']:7.1f} "
        f"{result['target']:>6} {verdict:<4} {floor} {result['load']}"
    )


def print_growth(results: list[dict], path: Path) -> None:
    """Each scenario's p95 here against its p95 in the run saved to `path` (`--save`, on the
    20,000-account demo), and its statement counts against that run's (compare_growth)."""
    saved = json.loads(path.read_text())
    compare_growth(results, saved["results"], f"{path} ({saved['accounts']} accounts, "
                   f"{saved['speed']})", str(path))  # fmt: skip


def compare_growth(results: list[dict], smaller: list[dict], heading: str, label: str) -> None:
    """Each scenario's p95 in `results` against its p95 in `smaller` (the same scenarios on the
    20,000-account demo), and its statement counts against those: the target that a page at
    100,000 accounts keeps its p95 within GROWTH_RATIO of its 20,000-account figure and runs
    as many statements. A scenario's counts are a range over its requests (the account page
    runs 22 or 23 by account); ranges that overlap are the same counts of a different sample."""
    before = {row["name"]: row for row in smaller}
    log(f"\nagainst {heading}:")
    log(f"{'scenario':<44} {'p95':>7} {'there':>7} {'ratio':>5} {'':<4} "
        f"{'queries':>7} {'there':>7}")  # fmt: skip
    kept, off = [], []
    for result in results:
        there = before.get(result["name"])
        if there is None:
            log(f"{result['name']:<44} not in {label}")
            off.append(result["name"])
            continue
        ratio = result["p95"] / there["p95"]
        (low, high), (there_low, there_high) = result["queries"], there["queries"]
        same = max(low, there_low) <= min(high, there_high)
        (kept if ratio <= GROWTH_RATIO and same else off).append(result["name"])
        log(f"{result['name']:<44} {result['p95']:7.1f} {there['p95']:7.1f} {ratio:5.2f} "
            f"{'ok' if ratio <= GROWTH_RATIO else 'GREW':<4} "
            f"{_counts(low, high):>7} {_counts(there_low, there_high):>7} "
            f"{'' if same else 'queries differ'}")  # fmt: skip
    measured = {result["name"] for result in results}
    missing = [name for name in before if name not in measured]
    if missing:
        log(f"in {label}, not measured here: {', '.join(missing)}")
    log(f"{len(kept)} of {len(results) + len(missing)} scenarios keep their p95 within "
        f"{GROWTH_RATIO}x of {label}'s and run as many statements"
        + (f"; not: {', '.join(off + missing)}" if off or missing else ""))  # fmt: skip


def _counts(low: int, high: int) -> str:
    return f"{low}" if low == high else f"{low}-{high}"


def save_results(results: list[dict], path: Path, accounts: int, speed: str) -> None:
    """This run's figures for a later run's `--against` (on the 100,000-account demo)."""
    rows = [{key: r[key] for key in ("name", "p50", "p95", "queries")} for r in results]
    path.write_text(json.dumps({"accounts": accounts, "speed": speed, "results": rows}, indent=1))
    log(f"figures saved to {path}")


SEARCHES = {
    "pt words": ["negociacao", "negociação", "reuniao trimestral", "sao paulo", "entrega"],
    "company prefix": ["Account 0012", "Account 01", "account 0199"],
    "surname": ["Magalhães", "souza", "goncalves", "Ana Conceição"],
    "english": ["forecast", "invoice correction", "procurement"],
    "type-ahead": ["ne", "ac", "re"],
}


# Target p95 per page, ms (bench/README.md, "Targets"): what a user meets when no cache helps.
TARGET = {
    "dashboard": 40,  # any filter combination, cached or computed
    "dashboard computed": 100,  # the leader's unfiltered dashboard, computed (refresh=1)
    "list": 60,  # every sort, filter and drill-down, pages 1 and 500
    "account": 60,
    "timeline": 30,
    "my work": 50,
    "search": 50,
    "quick log": 40,
}


def scenarios(args, leader, kam) -> list[Scenario]:
    """Every measured page, in the order bench/README.md reports them. Long on purpose: one
    flat list that reads like the README's table is easier to keep in step with it than helpers
    that build it in pieces."""
    kam_user = User.objects.get(email="kam@example.com")
    rng = random.Random(7)
    all_ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    sample = rng.sample(all_ids, min(100, len(all_ids)))
    own = list(
        Account.objects.filter(owner=kam_user)
        .exclude(status="churned")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    tiers = dict(Tier.objects.values_list("key", "pk"))
    some_kam = Account.objects.exclude(owner=kam_user).values_list("owner_id", flat=True).first()
    result = []

    def lists(name, session, query, pages=(1, 500)):
        for page in pages:
            params = {**query, "page": page} if page != 1 else query
            suffix = f"?{urlencode(params)}" if params else ""
            result.append(
                Scenario(f"list {name} p{page}", session, TARGET["list"], [f"/accounts/{suffix}"])
            )

    if "dashboard" in args.only:
        for name, query in [
            ("", {}),
            ("tier=strategic", {"tier": tiers.get("strategic")}),
            ("region=Southeast", {"region": "Southeast"}),
            ("industry=Retail", {"industry": "Retail"}),
            ("owner", {"owner": some_kam}),
            ("tier+industry+region", {"tier": tiers.get("key"), "industry": "Banking",
                                      "region": "South"}),
        ]:  # fmt: skip
            suffix = f"?{urlencode(query)}" if query else ""
            result.append(
                Scenario(
                    f"dashboard leader {name}".strip(),
                    leader,
                    TARGET["dashboard"],
                    [f"/portfolio/{suffix}"],
                )
            )
        result.append(Scenario("dashboard kam", kam, TARGET["dashboard"], ["/portfolio/"]))
        # The figures are cached for a few minutes (insights.portfolio): refresh=1 computes
        # them on every request, as the first view after a change or an expiry does.
        for name, query in [
            ("", {}),
            ("tier+industry+region", {"tier": tiers.get("key"), "industry": "Banking",
                                      "region": "South"}),
        ]:  # fmt: skip
            suffix = urlencode({**query, "refresh": 1})
            result.append(
                Scenario(
                    f"dashboard leader {name} refresh=1 (no cache)".replace("  ", " "),
                    leader,
                    TARGET["dashboard" if query else "dashboard computed"],
                    [f"/portfolio/?{suffix}"],
                )
            )
        result.append(Scenario("dashboard kam refresh=1 (no cache)", kam, TARGET["dashboard"],
                               ["/portfolio/?refresh=1"]))  # fmt: skip
    if "list" in args.only:
        lists("leader name", leader, {})
        for sort in ["-last_touch", "renewal", "-health", "tier"]:
            lists(f"leader sort={sort}", leader, {"sort": sort})
        lists("leader status=at_risk", leader, {"status": "at_risk"})
        lists("leader band=at_risk -health", leader, {"band": "at_risk", "sort": "-health"})
        lists("leader tier=growth", leader, {"tier": tiers.get("growth")})
        lists("leader industry=Retail renewal", leader, {"industry": "Retail", "sort": "renewal"})
        lists("leader owner", leader, {"owner": some_kam}, pages=(1,))
        # The dashboard's drill-downs (every figure links to the list filtered like this).
        lists("leader at risk (live)", leader, {"band": "at_risk", "status": "live"})
        lists("leader touch=overdue", leader, {"touch": "overdue"})
        lists("leader qbr=overdue", leader, {"qbr": "overdue"})
        lists("leader renewal=90", leader, {"renewal": 90, "sort": "renewal"})
        lists("leader commitments=overdue", leader, {"commitments": "overdue"})
        lists("leader pipeline=open", leader, {"pipeline": "open"})
        lists("leader pareto=A revenue", leader, {"pareto": "A", "revenue": "last_12m"})
        lists("leader q=Ltda (every account)", leader, {"q": "Ltda"})
        lists("leader q=Account 01234", leader, {"q": "Account 01234"}, pages=(1,))
        lists("kam name", kam, {}, pages=(1,))
        lists("kam -last_touch", kam, {"sort": "-last_touch"}, pages=(1,))
    if "account" in args.only:
        result.append(
            Scenario(
                "account page leader",
                leader,
                TARGET["account"],
                [f"/accounts/{pk}/" for pk in sample],
            )
        )
        result.append(
            Scenario("account page kam", kam, TARGET["account"], [f"/accounts/{pk}/" for pk in own])
        )
    if "timeline" in args.only:
        result.append(
            Scenario(
                "timeline leader",
                leader,
                TARGET["timeline"],
                [f"/accounts/{pk}/timeline/" for pk in sample],
            )
        )
        result.append(
            Scenario(
                "timeline kam", kam, TARGET["timeline"], [f"/accounts/{pk}/timeline/" for pk in own]
            )
        )
    if "mywork" in args.only:
        # The KAM's start page: their 70 accounts' commitments, requests, QBRs and notices.
        result.append(Scenario("my work kam", kam, TARGET["my work"], ["/"]))
    if "search" in args.only:
        # The Ctrl/⌘-K palette as it is typed (htmx, 5 per kind) and the results page (10 per
        # kind), as the leader (every account) and the KAM (their 70): accented and
        # unaccented Portuguese words of the demo's interactions and requests, a company
        # name prefix, stakeholders' surnames, English words, and two-letter type-ahead.
        for who, session in (("leader", leader), ("kam", kam)):
            for label, texts in SEARCHES.items():
                urls = [f"/search/?{urlencode({'q': text})}" for text in texts]
                result.append(
                    Scenario(
                        f"search palette {who} {label}",
                        session,
                        TARGET["search"],
                        urls,
                        htmx=True,
                        target="search-palette-listbox",
                    )
                )
            urls = [
                f"/search/?{urlencode({'q': text})}"
                for texts in SEARCHES.values()
                for text in texts
            ]
            result.append(
                Scenario(f"search page {who}, every query", session, TARGET["search"], urls)
            )
        # The people pickers' search as a name is typed (kam.people): the leader's owner filter
        # (whoever owns an account they see: 1,400 at 100,000 accounts) and the KAMs an account
        # may be handed over to; the first request is the list opened before typing.
        for scope in ("owners", "kams"):
            urls = [
                f"/people/{scope}/?{urlencode({'q': text})}"
                for text in ("", "a", "ana", "silva", "maria souza")
            ]
            result.append(Scenario(f"people search leader {scope}", leader, TARGET["search"], urls))
    if "quicklog" in args.only and not args.no_writes:
        urls = [f"/accounts/{pk}/log/" for pk in own]

        def form(n):
            return {
                "log-kind": "call",
                "log-occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                "log-summary": f"Bench call {n}",
                "log-notes": "",
                "log-sentiment": "1",
                "log-category": "evolution",
                "next_steps-TOTAL_FORMS": "1",
                "next_steps-INITIAL_FORMS": "0",
                "next_steps-MIN_NUM_FORMS": "0",
                "next_steps-MAX_NUM_FORMS": "1000",
                "next_steps-0-title": f"Send the proposal {n}" if n % 2 else "",
                "next_steps-0-due_date": (business_date() + timezone.timedelta(days=7)).isoformat(),
                "next_steps-0-owner": f"u{kam_user.pk}" if n % 2 else "",
            }

        result.append(
            Scenario("quick log POST kam (htmx)", kam, TARGET["quick log"], urls, method="POST",
                     data=form, htmx=True)
        )  # fmt: skip
    return result


def dashboard_sql(args) -> None:
    """Capture the dashboard's statements from one in-process request, then run each one
    directly (median of five) and compare with the page's own time."""
    leader = User.objects.get(email="leader@example.com")
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(leader)
    client.get("/portfolio/?refresh=1")  # warm up
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/portfolio/?refresh=1")  # computed, not read from the cache
    app_ms = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        log(f"dashboard answered HTTP {response.status_code}; SQL check skipped")
        return
    statements = [q["sql"] for q in captured.captured_queries]
    log(f"\nDashboard SQL run directly ({len(statements)} statements, median of 5 runs each):")
    total = 0.0
    with connection.cursor() as cursor:
        for sql in statements:
            times = []
            for _ in range(5):
                began = time.perf_counter()
                cursor.execute(sql)
                if cursor.description:
                    cursor.fetchall()
                times.append((time.perf_counter() - began) * 1000)
            took = statistics.median(times)
            total += took
            text = " ".join(sql.split())
            log(f"  {took:7.2f} ms  {text[:110]}")
    log(f"app time (in-process request, captured) {app_ms:.1f} ms; SQL time {total:.1f} ms; "
        f"app / SQL {app_ms / total if total else float('inf'):.2f}")  # fmt: skip


def explain(url: str, email: str, top: int) -> None:
    """Every statement of one in-process request with its time; EXPLAIN (ANALYZE, BUFFERS)
    of the slowest `top`."""
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(User.objects.get(email=email))
    client.get(url)  # warm up
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    log(f"{url} as {email}: HTTP {response.status_code}, {len(captured)} statements")
    queries = captured.captured_queries
    for number, query in enumerate(queries, 1):
        text = " ".join(query["sql"].split())[:150]
        log(f"  #{number:<2} {float(query['time']) * 1000:8.1f} ms  {text}")
    slowest = sorted(queries, key=lambda q: float(q["time"]), reverse=True)[:top]
    with connection.cursor() as cursor:
        for query in slowest:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            log(f"\nEXPLAIN (ANALYZE, BUFFERS) {' '.join(sql.split())[:2000]}")
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            for (line,) in cursor.fetchall():
                log(f"    {line}")


def list_indexes(args) -> None:
    """Per scenario, the indexes its plans use and the tables read whole (bench/README.md,
    "Indexes each page relies on"). No server: every request is sent in process."""
    users = {
        "leader": User.objects.get(email="leader@example.com"),
        "kam": User.objects.get(email="kam@example.com"),
    }
    for scenario in scenarios(args, "leader", "kam"):
        if args.match and args.match not in scenario.name:
            continue
        indexes, scanned = plan_indexes(scenario, users[scenario.session])
        whole = f"; whole tables: {', '.join(sorted(scanned))}" if scanned else ""
        log(f"{scenario.name}: {', '.join(sorted(indexes)) or '-'}{whole}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--port", type=int, default=8764)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--only",
        nargs="+",
        default=["dashboard", "list", "account", "timeline", "mywork", "quicklog", "search"],
        help="scenario groups: dashboard list account timeline mywork quicklog search",
    )
    parser.add_argument("--match", default="", help="only scenarios whose name contains this")
    parser.add_argument("--no-writes", action="store_true", help="skip the quick log POSTs")
    parser.add_argument("--no-sql", action="store_true", help="skip the dashboard SQL check")
    parser.add_argument(
        "--no-vacuum", action="store_true", help="skip the VACUUM (ANALYZE) before the run"
    )
    parser.add_argument(
        "--no-floor", action="store_true", help="skip the floor (SQL run directly, empty view)"
    )
    parser.add_argument(
        "--floor-samples", type=int, default=5, help="requests whose SQL is run directly"
    )
    parser.add_argument("--explain", metavar="URL", help="only EXPLAIN the statements of URL")
    parser.add_argument(
        "--indexes",
        action="store_true",
        help="only list the indexes (and whole-table reads) each scenario's plans use",
    )
    parser.add_argument(
        "--save", type=Path, metavar="FILE", help="write each scenario's p50, p95 and statements"
    )
    parser.add_argument(
        "--against",
        type=Path,
        metavar="FILE",
        help=f"compare each p95 and statement count with a run saved by --save "
        f"(within {GROWTH_RATIO}x, the same statements)",
    )
    parser.add_argument(
        "--larger",
        metavar="DATABASE",
        help="also measure every scenario on DATABASE (same server as DATABASE_URL: the "
        "100,000-account demo) with its own gunicorn, the requests sent to the two in turn, and "
        f"compare each p95 and statement count with this one's (within {GROWTH_RATIO}x)",
    )
    parser.add_argument("--as", dest="email", default="leader@example.com")
    parser.add_argument("--top", type=int, default=3, help="statements to EXPLAIN")
    args = parser.parse_args()
    if args.larger and "DATABASE_URL" not in os.environ:
        parser.error("--larger: set DATABASE_URL, whose server holds both databases")
    if args.larger and args.larger == settings.DATABASES["default"]["NAME"]:
        parser.error("--larger: name another database than DATABASE_URL's")
    if args.against and not args.against.is_file():
        parser.error(f"--against {args.against}: no such file (write it with --save)")
    if args.save and not args.save.resolve().parent.is_dir():
        parser.error(f"--save {args.save}: no such directory")
    if args.explain:
        explain(args.explain, args.email, args.top)
        return
    if args.indexes:
        list_indexes(args)
        return

    sides = [Side(None, None, args.port)]
    if args.larger:
        # A cache key prefix of its own: both servers use the one Redis (bench/bench_wsgi.py).
        sides.append(Side(args.larger, f"kam-bench-{uuid.uuid4().hex[:12]}", args.port + 1))
    for side in sides:
        with side.database():
            side.prepare(args)
    speed = speed_line()
    log(speed)
    cpu_started = os.times()
    try:
        for side in sides:
            side.start(args)
        if not args.no_floor:
            for name in ("leader", "kam"):
                runs = [
                    (side.server.url, Scenario(f"empty view {name}", side.sessions[name], 0,
                                               ["/bench/empty/"]))
                    for side in sides
                ]  # fmt: skip
                for side, found in zip(
                    sides, run_scenarios(runs, args.warmup, args.requests), strict=True
                ):
                    side.empty[id(side.sessions[name])] = found
                    log(f"{side.name}: empty view through the middleware, {name}: "
                        f"p50 {found['p50']:.2f} ms, p95 {found['p95']:.2f} ms")  # fmt: skip
        log(f"gunicorn {args.workers} workers per database; {args.warmup} warm-up + "
            f"{args.requests} measured requests per scenario; ms, server side"
            + ("; each scenario's requests sent to both databases in turn" if args.larger
               else ""))  # fmt: skip
        log(f"{'scenario':<44} {'p50':>7} {'p95':>7} {'max':>7} {'sql p50':>7} {'queries':>7} "
            f"{'cpu p50':>7} {'target':>6} {'':<4} "
            f"{'direct':>7} {'empty':>6} {'ratio':>5}")  # fmt: skip
        paired = [side.scenarios for side in sides]
        for group in zip(*paired, strict=True):
            if args.match and args.match not in group[0].name:
                continue
            runs = [
                (side.server.url, scenario) for side, scenario in zip(sides, group, strict=True)
            ]
            measured = run_scenarios(runs, args.warmup, args.requests)
            for side, scenario, result in zip(sides, group, measured, strict=True):
                if not args.no_floor:
                    with side.database():
                        result["direct"] = sql_direct(
                            scenario, side.users[id(scenario.session)], args.floor_samples
                        )
                    result["empty"] = side.empty[id(scenario.session)]["p50"]
                print_result(result, side.tag)
                side.results.append(result)
        for side in sides:
            side.summary(args)
        results = sides[0].results
        if args.save:
            save_results(results, args.save, sides[0].accounts, speed)
        if args.against:
            print_growth(results, args.against)
        if args.larger:
            compare_growth(
                sides[1].results,
                results,
                f"the same scenarios on {sides[0].name} ({sides[0].accounts} accounts), "
                f"measured side by side",
                sides[0].name,
            )
    finally:
        for side in sides:
            side.stop()
    if "dashboard" in args.only and not args.no_sql:
        dashboard_sql(args)
    used = os.times()
    own = used.user - cpu_started.user + used.system - cpu_started.system
    workers = (
        used.children_user - cpu_started.children_user
        + used.children_system - cpu_started.children_system
    )  # fmt: skip
    log(f"\nCPU: this process (client, SQL check) {own:.1f} s; gunicorn {workers:.1f} s; "
        f"{loadavg()}")  # fmt: skip
    log(speed_line())


class Side:
    """One database the run measures (--larger: two, side by side on the same PostgreSQL
    server), with its own gunicorn, logins and results."""

    def __init__(self, name: str | None, cache_prefix: str | None, port: int):
        self.name = name or settings.DATABASES["default"]["NAME"]
        self.other = name is not None  # not the configured database
        self.cache_prefix = cache_prefix
        self.port = port
        self.server = None
        self.results, self.empty, self.users, self.scenarios = [], {}, {}, []
        self.sessions = {}
        self.accounts = 0
        self.tag = ""

    @contextmanager
    def database(self):
        """This process's connection, and its shared cache's keys, on this side's database
        for the block (the configured one needs nothing)."""
        if not self.other:
            yield
            return
        cache = caches["shared"]
        saved, saved_prefix = connection.settings_dict["NAME"], cache.key_prefix
        connection.close()
        connection.settings_dict["NAME"], cache.key_prefix = self.name, self.cache_prefix
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict["NAME"], cache.key_prefix = saved, saved_prefix

    def prepare(self, args) -> None:
        if not args.no_vacuum:
            # Tables as autovacuum keeps them in production (the accounts with their own
            # threshold, migration accounts/0046, bench/README.md "Vacuumed after a night"): a
            # run right after a bulk write (the nightly health, an import, a seed, another
            # benchmark) would otherwise read every updated row's heap page where an
            # index-only scan reads the index alone (a count of every account: 2 → 16 ms after
            # the health benchmark), and autovacuum may be off on a test machine's server.
            # The summary rows are brought up to date first, as the minute task keeps them:
            # the marks a seed or the health benchmark left are taken (and deleted) here, not
            # by the first measured dashboard, whose deleted marks every later one would walk
            # past.
            started = time.perf_counter()
            portfolio_slices_refresh()
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE)")
            elapsed = time.perf_counter() - started
            log(f"{self.name}: summary rows brought up to date, VACUUM (ANALYZE): "
                f"{elapsed:.1f} s")  # fmt: skip
        # A cache generation of this run's own: the dashboard's cache keys name no database,
        # so a run on another database with the same REDIS_URL (the other demo, minutes
        # before) would otherwise serve its figures here. The warm-up requests store this
        # database's.
        portfolio_cache_reset()
        self.accounts = Account.objects.count()
        if self.other:
            self.tag = f"@{self.accounts:,}"
        log(f"database {self.name}: {self.accounts} accounts; {loadavg()}; "
            f"{os.cpu_count()} CPUs")  # fmt: skip

    def start(self, args) -> None:
        env = {}
        if self.other:
            env = {
                "DATABASE_URL": settings_url(self.name),
                "BENCH_CACHE_PREFIX": self.cache_prefix,
            }
        self.server = Server(self.port, args.workers, env)
        for _ in range(args.workers * 2):  # let every worker load the app before timing
            requests.get(f"{self.server.url}/healthz", timeout=60)
        leader = login(self.server.url, "leader@example.com")
        kam = login(self.server.url, "kam@example.com")
        with self.database():
            self.users = {
                id(leader): User.objects.get(email="leader@example.com"),
                id(kam): User.objects.get(email="kam@example.com"),
            }
            self.scenarios = scenarios(args, leader, kam)
        self.sessions = {"leader": leader, "kam": kam}

    def summary(self, args) -> None:
        results = self.results
        slow = [r["name"] for r in results if r["p95"] > r["target"]]
        log(f"\n{self.name} ({self.accounts} accounts): {len(results) - len(slow)} of "
            f"{len(results)} scenarios within target"
            + (f"; slow: {', '.join(slow)}" if slow else ""))  # fmt: skip
        high = [r["name"] for r in results if r.get("ratio", 0) > FLOOR_RATIO]
        if not args.no_floor:
            log(f"{len(results) - len(high)} of {len(results)} scenarios within {FLOOR_RATIO}x "
                f"their floor (SQL run directly + empty view)"
                + (f"; above: {', '.join(high)}" if high else ""))  # fmt: skip

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


def settings_url(name: str) -> str:
    """DATABASE_URL with its database replaced by `name` (the same server and user)."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


if __name__ == "__main__":
    main()
