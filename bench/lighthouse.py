"""Lighthouse (mobile) on the login page, My work and an account page, as `make run` serves
them (gunicorn, DEBUG off, static files collected, compressed and served by WhiteNoise).

    .venv/bin/python bench/lighthouse.py --serve          # start the app as `make run` does
    .venv/bin/python bench/lighthouse.py --url http://127.0.0.1:8000   # a `make run` already up

Target (issue 16): performance >= 95 and accessibility 100 on each page, mobile preset
(Moto G Power screen, simulated slow 4G and 4x CPU slowdown). Each page is measured --runs
times and the median score is compared with the target; the exit status is 1 when a page
misses it, 2 when Lighthouse cannot run.

Lighthouse comes from npm, pinned in bench/package.json, installed into bench/node_modules on
the first run (needs Node and npm); Chromium from CHROME_PATH (default /usr/bin/chromium).
The pages behind the login get the session cookie of kam@example.com (the demo's KAM)
through --extra-headers; the account page is the first account on that KAM's list.

--serve migrates and seeds the database named by DATABASE_URL (the embedded PostgreSQL and
Redis under .data/ when DATABASE_URL / REDIS_URL are unset, as for `make run`), collects the
static files when they changed (a minute or more the first time) and starts gunicorn on a
free port; it is stopped at the end."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import requests

BENCH_DIR = Path(__file__).resolve().parent
BASE_DIR = BENCH_DIR.parent
sys.path.insert(0, str(BASE_DIR))

from kam import devservices  # noqa: E402

LIGHTHOUSE = BENCH_DIR / "node_modules" / ".bin" / "lighthouse"
CHROME_FLAGS = "--headless --no-sandbox --disable-gpu --disable-background-networking"
PASSWORD = "demo"  # noqa: S105 - the demo users' public password
METRICS = [
    ("first-contentful-paint", "FCP"),
    ("largest-contentful-paint", "LCP"),
    ("total-blocking-time", "TBT"),
    ("cumulative-layout-shift", "CLS"),
]


def log(message: str = "") -> None:
    print(message, flush=True)


def ensure_lighthouse() -> None:
    if LIGHTHOUSE.exists():
        return
    log("Installing Lighthouse from npm into bench/node_modules (bench/package.json)…")
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=BENCH_DIR, check=True)


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped with exit code {process.returncode}")
        try:
            requests.get(f"{url}/login/", timeout=10)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.25)
    raise RuntimeError(f"gunicorn did not answer on {url} within {timeout:.0f} s")


@contextmanager
def served_like_make_run():
    """The app as `make run` serves it (kam.devservices.run), web process only."""
    with ExitStack() as stack:
        env = devservices.quick_start_env(stack.enter_context(devservices.services()))
        devservices._manage(env, "migrate", "--noinput", "--verbosity", "0")
        devservices._manage(env, "seed_demo")
        devservices.collect_static(env)
        port = devservices._free_port(8765)
        url = f"http://127.0.0.1:{port}"
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "kam.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--threads", "4", "--no-control-socket"],
            cwd=BASE_DIR, env=env,
        )  # fmt: skip
        try:
            _wait_until_up(url, web)
            yield url
        finally:
            web.send_signal(signal.SIGTERM)
            web.wait(timeout=15)


def log_in(url: str, email: str) -> requests.Session:
    session = requests.Session()
    form = session.get(f"{url}/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    response = session.post(
        f"{url}/login/",
        data={"csrfmiddlewaretoken": token.group(1), "username": email, "password": PASSWORD},
        headers={"Referer": f"{url}/login/"},
        timeout=30,
    )
    if "sessionid" not in session.cookies:
        raise RuntimeError(f"could not log in as {email} (status {response.status_code})")
    return session


def first_account_path(session: requests.Session, url: str) -> str:
    listing = session.get(f"{url}/accounts/", timeout=30).text
    match = re.search(r'href="(/accounts/\d+/)"', listing)
    if not match:
        raise RuntimeError("the KAM's account list shows no account: seed the demo data")
    return match.group(1)


def lighthouse(page_url: str, headers: dict, report: Path) -> dict:
    subprocess.run(
        [str(LIGHTHOUSE), page_url, "--quiet", "--form-factor=mobile",
         "--only-categories=performance,accessibility", "--output=json",
         f"--output-path={report}", f"--chrome-flags={CHROME_FLAGS}",
         f"--extra-headers={json.dumps(headers)}"],
        check=True,
        env={**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")},
    )  # fmt: skip
    data = json.loads(report.read_text())
    categories, audits = data["categories"], data["audits"]
    return {
        "benchmark": round(data["environment"]["benchmarkIndex"]),
        "performance": round(categories["performance"]["score"] * 100),
        "accessibility": round(categories["accessibility"]["score"] * 100),
        **{name: audits[audit_id]["displayValue"] for audit_id, name in METRICS},
        "failed": [
            audit["id"]
            for audit in audits.values()
            if audit.get("score") is not None
            and audit["score"] < 1
            and audit.get("scoreDisplayMode") == "binary"
        ],
    }


def measure(url: str, args) -> bool:
    session = log_in(url, args.email)
    cookie = {"Cookie": f"sessionid={session.cookies['sessionid']}"}
    pages = [
        ("login", "/login/", {}),
        ("my work", "/", cookie),
        ("account", first_account_path(session, url), cookie),
    ]
    reports = Path(args.keep or tempfile.mkdtemp(prefix="lighthouse-"))
    reports.mkdir(parents=True, exist_ok=True)
    log(f"Lighthouse mobile, median of {args.runs} runs; target performance >= "
        f"{args.performance}, accessibility >= {args.accessibility}")  # fmt: skip
    log(
        "Load average before: {:.1f} {:.1f} {:.1f} (TBT and the score follow the host's CPU: "
        "Lighthouse multiplies the time of each task it observes by 4)".format(*os.getloadavg())
    )
    log(f"{'page':<10} {'perf':>4} {'a11y':>4}  {'runs (perf)':<14} metrics of the median run")
    ok = True
    for name, path, headers in pages:
        runs = [
            lighthouse(f"{url}{path}", headers, reports / f"{name.replace(' ', '-')}-{n}.json")
            for n in range(args.runs)
        ]
        runs.sort(key=lambda run: run["performance"])
        median = runs[len(runs) // 2]
        performance = statistics.median(run["performance"] for run in runs)
        accessibility = min(run["accessibility"] for run in runs)
        metrics = "  ".join(f"{label} {median[label]}" for _, label in METRICS)
        scores = ",".join(str(run["performance"]) for run in runs)
        metrics += f"  host benchmarkIndex {median['benchmark']}"
        met = performance >= args.performance and accessibility >= args.accessibility
        ok = ok and met
        log(f"{name:<10} {performance:>4.0f} {accessibility:>4}  {scores:<14} {metrics}"
            f"{'' if met else '  BELOW TARGET'}")  # fmt: skip
        failed = sorted({audit for run in runs for audit in run["failed"]})
        if failed:
            log(f"{'':<10} failed audits: {', '.join(failed)}")
    log("Load average after: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    log(f"Reports: {reports}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", default=devservices.DEMO_URL, help="a running `make run`")
    where.add_argument("--serve", action="store_true", help="start the app as `make run` does")
    parser.add_argument("--email", default="kam@example.com")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--performance", type=int, default=95)
    parser.add_argument("--accessibility", type=int, default=100)
    parser.add_argument("--keep", help="directory for the JSON reports (default: a temp dir)")
    args = parser.parse_args()
    try:
        ensure_lighthouse()
    except (OSError, subprocess.CalledProcessError) as error:
        log(f"Lighthouse cannot be installed: {error}")
        return 2
    if args.serve:
        with served_like_make_run() as url:
            return 0 if measure(url, args) else 1
    return 0 if measure(args.url.rstrip("/"), args) else 1


if __name__ == "__main__":
    sys.exit(main())
