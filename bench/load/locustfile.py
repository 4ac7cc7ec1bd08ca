"""A Monday morning on KAM: 40 KAMs browsing and logging, 10 leaders on the dashboard.

Run it through bench/load.py (see bench/README.md, "Load test (issue 8)"): that script gives
the simulated people known passwords, writes the personas file this locustfile reads
(LOAD_PERSONAS), starts gunicorn and a Celery worker, runs locust headless and prints the
figures. By hand, against a server already running:

    LOAD_PERSONAS=/tmp/kam-load/personas.json .venv/bin/locust -f bench/load/locustfile.py \
        --headless -u 50 -r 10 -t 2m --host http://127.0.0.1:8771 --csv /tmp/kam-load/load

Every simulated user signs in as a different person (KAMs and leaders in the proportion of
the user classes' weights: 4 to 1), then, between pauses of 3–10 s (LOAD_THINK, "think time"):

* a KAM opens My work, the accounts list (then narrows it with the filter form, as htmx does,
  sorts it, pages through it and opens an account from it), their accounts' pages and
  timelines (with "Load more"), and logs interactions with the quick log on the account page
  (an htmx POST with the page's CSRF token, sometimes with a stakeholder and a next step);
* a leader opens the portfolio dashboard, changes its filters (htmx), drills down into the
  accounts list filtered as the dashboard links do, and opens accounts from it.

A request fails when the answer is not the expected status (200; 302 for the sign-in), when
a page is the sign-in form instead (session lost), when a saved quick log does not come back
as saved, or after 30 s. Static files are not fetched (a browser has them cached).

The app under bench/bench_wsgi.py adds an X-Bench header with the time spent in the gunicorn
worker; when LOAD_RECORDS is set, every request (name, client time, that server time, error,
URL) is written there as JSON at the end, so queueing (client time) and work (server time)
can be told apart."""

from __future__ import annotations

import html
import itertools
import json
import os
import random
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from locust import HttpUser, between, events, task
from locust.exception import StopUser

PERSONAS = json.loads(Path(os.environ["LOAD_PERSONAS"]).read_text())
PASSWORD = PERSONAS["password"]
TIME_ZONE = ZoneInfo(PERSONAS["time_zone"])
TIMEOUT = 30  # seconds; a slower answer counts as a failure
# Seconds between two actions of one person (LOAD_THINK="min,max"); people read a page for
# longer than this, so 50 simulated users are busier than 50 real ones.
THINK = tuple(float(s) for s in os.environ.get("LOAD_THINK", "3,10").split(","))

_kams = itertools.cycle(PERSONAS["kams"])
_leaders = itertools.cycle(PERSONAS["leaders"])
_log_numbers = itertools.count(1)

LOGIN_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HX_TOKEN = re.compile(r'"X-CSRFToken":\s*"([^"]+)"')
ACCOUNT_LINK = re.compile(r'href="/accounts/(\d+)/"')
LOAD_MORE = re.compile(r'hx-get="(/accounts/\d+/timeline/\?[^"]*before_at=[^"]+)"')
STAKEHOLDER_BOX = re.compile(r'name="log-stakeholders" value="(\d+)"')
OCCURRED_AT = re.compile(r'<input[^>]*name="log-occurred_at"[^>]*value="([^"]+)"')
NEXT_STEP_OWNER = re.compile(
    r'<select[^>]*name="next_steps-0-owner"[^>]*>.*?<option value="([^"]*)"[^>]*selected', re.S
)

# Filters a KAM uses on their own list; sorts are the list's sort options.
KAM_FILTERS = [
    {"status": "live"},
    {"band": "at_risk"},
    {"band": "watch"},
    {"touch": "overdue"},
    {"qbr": "overdue"},
    {"renewal": "90"},
    {"commitments": "overdue"},
    {"pipeline": "open"},
    {"status": "live", "band": "at_risk"},
]
SORTS = ["name", "-name", "-last_touch", "last_touch", "renewal", "health", "-health", "tier"]
# The dashboard's drill-downs into the list (every figure links to the list filtered so).
LEADER_DRILL_DOWNS = [
    {"band": "at_risk", "status": "live"},
    {"touch": "overdue"},
    {"qbr": "overdue"},
    {"renewal": "90", "sort": "renewal"},
    {"commitments": "overdue"},
    {"pipeline": "open"},
    {"pareto": "A", "revenue": "last_12m"},
]


class Person(HttpUser):
    """Signs in once, then browses with the session like a browser tab would."""

    abstract = True
    wait_time = between(*THINK)
    persona: dict
    personas: Iterator[dict]  # each subclass's pool of sign-ins, shared by its users
    accounts: list[int]

    def on_start(self) -> None:
        self.persona = next(self.personas)
        self.csrf = ""
        self.accounts = list(self.persona.get("accounts", []))
        with self.client.get(
            "/login/", name="sign-in form", timeout=TIMEOUT, catch_response=True
        ) as page:
            token = LOGIN_TOKEN.search(page.text or "")
            if page.status_code != 200 or token is None:
                page.failure(f"sign-in form: HTTP {page.status_code}")
                raise StopUser
        with self.client.post(
            "/login/",
            name="sign-in POST",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "username": self.persona["email"],
                "password": PASSWORD,
            },
            headers={"Referer": f"{self.host}/login/"},
            allow_redirects=False,
            timeout=TIMEOUT,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"{self.persona['email']} not signed in: {response.status_code}")
                raise StopUser
        self.landing()

    def landing(self) -> None:
        """The page the sign-in redirects to."""
        self.page("/", "my work")

    # -- requests ------------------------------------------------------------------------

    def page(
        self, path: str, name: str, *, htmx: bool = False, target: str = "", params=None
    ) -> str:
        """GET a full page, or as htmx does (`target`: the id of the element it swaps, sent
        only when that element has one)."""
        headers = {}
        if htmx or target:
            headers = {"HX-Request": "true", "HX-Current-URL": f"{self.host}{path}"}
            if target:
                headers["HX-Target"] = target
        url = path + (f"?{urlencode(params)}" if params else "")
        with self.client.get(
            url,
            name=name,
            headers=headers,
            allow_redirects=False,
            timeout=TIMEOUT,
            catch_response=True,
        ) as response:
            text = response.text or ""
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code} for {url}")
                return ""
            if 'name="csrfmiddlewaretoken"' in text and 'action="/login/"' in text:
                response.failure(f"sign-in form instead of {url}")
                return ""
            if not headers:
                token = HX_TOKEN.search(text)
                if token is None:
                    response.failure(f"no CSRF token on {url}")
                    return ""
                self.csrf = html.unescape(token.group(1))
            return text

    def account_page(self, pk: int) -> str:
        return self.page(f"/accounts/{pk}/", "account page")

    def account_from(self, text: str) -> int | None:
        found = ACCOUNT_LINK.findall(text)
        return int(random.choice(found)) if found else None


class Kam(Person):
    weight = 4

    personas = _kams

    @task(3)
    def my_work(self) -> None:
        self.page("/", "my work")

    @task(4)
    def accounts_list(self) -> None:
        text = self.page("/accounts/", "accounts list")
        if not text:
            return
        query = dict(random.choice(KAM_FILTERS))
        if random.random() < 0.5:
            query["sort"] = random.choice(SORTS)
        text = self.page("/accounts/", "accounts list filter (htmx)", target="account-results",
                         params=query)  # fmt: skip
        if random.random() < 0.4:
            page = {"sort": random.choice(SORTS), "page": "2"}
            text = self.page("/accounts/", "accounts list page 2", params=page) or text
        pk = self.account_from(text)
        if pk is not None:
            self.account_page(pk)

    @task(4)
    def account(self) -> None:
        self.account_page(random.choice(self.accounts))

    @task(3)
    def timeline(self) -> None:
        text = self.page(f"/accounts/{random.choice(self.accounts)}/timeline/", "timeline")
        more = LOAD_MORE.search(text)
        if more and random.random() < 0.5:
            self.page(html.unescape(more.group(1)), "timeline load more (htmx)", htmx=True)

    @task(2)
    def quick_log(self) -> None:
        """On an account page, log a call or a meeting with the quick log form (htmx)."""
        pk = random.choice(self.accounts)
        text = self.account_page(pk)
        if not text:
            return
        number = next(_log_numbers)
        occurred = OCCURRED_AT.search(text)
        data = {
            "log-kind": random.choice(["call", "meeting", "email", "visit"]),
            "log-occurred_at": occurred.group(1)
            if occurred
            else datetime.now(TIME_ZONE).strftime("%Y-%m-%dT%H:%M"),
            "log-summary": f"Load test: {self.persona['email']} follow-up {number}",
            "log-notes": "",
            "log-sentiment": str(random.choice([-1, 0, 0, 1, 1, 2])),
            "log-category": random.choice(["evolution", "evolution", "value_plan", "incident"]),
            "next_steps-TOTAL_FORMS": "1",
            "next_steps-INITIAL_FORMS": "0",
            "next_steps-MIN_NUM_FORMS": "0",
            "next_steps-MAX_NUM_FORMS": "10",
            "next_steps-0-title": "",
            "next_steps-0-owner": "",
            "next_steps-0-due_date": "",
        }
        stakeholders = STAKEHOLDER_BOX.findall(text)
        if stakeholders and random.random() < 0.6:
            data["log-stakeholders"] = random.choice(stakeholders)
        owner = NEXT_STEP_OWNER.search(text)
        if owner and owner.group(1) and random.random() < 0.5:
            data["next_steps-0-title"] = f"Send the proposal ({number})"
            data["next_steps-0-owner"] = owner.group(1)
            data["next_steps-0-due_date"] = (date.today() + timedelta(days=7)).isoformat()
        with self.client.post(
            f"/accounts/{pk}/log/",
            name="quick log POST (htmx)",
            data=data,
            headers={
                "HX-Request": "true",
                "HX-Target": "quick-log",
                "HX-Current-URL": f"{self.host}/accounts/{pk}/",
                "X-CSRFToken": self.csrf,
                "Referer": f"{self.host}/accounts/{pk}/",
            },
            allow_redirects=False,
            timeout=TIMEOUT,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                snippet = " ".join(re.sub(r"<[^>]+>", " ", response.text or "").split())[:200]
                response.failure(f"HTTP {response.status_code}: {snippet}")
            elif 'id="quick-log-status"' not in (response.text or ""):
                response.failure("the answer does not confirm the interaction was saved")


class Leader(Person):
    weight = 1

    personas = _leaders

    def landing(self) -> None:
        self.page("/", "my work")
        self.page("/portfolio/", "portfolio")

    def dashboard_filter(self) -> dict:
        options = PERSONAS["portfolio"]
        key = random.choice(["owner", "tier", "industry", "region", "tier+region"])
        if key == "tier+region":
            return {
                "tier": random.choice(options["tier"]),
                "region": random.choice(options["region"]),
            }
        return {key: random.choice(options[key])}

    @task(3)
    def dashboard(self) -> None:
        self.page("/portfolio/", "portfolio")

    @task(4)
    def dashboard_filtered(self) -> None:
        self.page("/portfolio/", "portfolio filter (htmx)", target="portfolio-results",
                  params=self.dashboard_filter())  # fmt: skip

    @task(2)
    def drill_down(self) -> None:
        query = random.choice(LEADER_DRILL_DOWNS)
        text = self.page("/accounts/", "accounts list (leader drill-down)", params=query)
        pk = self.account_from(text)
        if pk is not None:
            self.account_page(pk)
            if random.random() < 0.3:
                self.page(f"/accounts/{pk}/timeline/", "timeline")


# -- every request, with the server-side time (X-Bench header from bench/bench_wsgi.py) -----

_records: list[list] = []


@events.request.add_listener
def _record(
    request_type, name, response_time, url=None, response=None, exception=None, start_time=0, **_kw
):
    header = response.headers.get("X-Bench") if response is not None else None
    server_ms, _sql_ms, _queries, cpu_ms = header.split(";") if header else (None,) * 4
    error = None if exception is None else str(exception)[:300]
    _records.append(
        [request_type, name, round(response_time, 1), server_ms and float(server_ms), error, url,
         cpu_ms and float(cpu_ms), round(start_time, 2)]
    )  # fmt: skip


@events.quitting.add_listener
def _write_records(**_kwargs) -> None:
    """[method, name, client ms, server ms, error or null, url, server CPU ms, start time] per
    request, when
    LOAD_RECORDS names a file (bench/load.py computes its figures from them)."""
    path = os.environ.get("LOAD_RECORDS")
    if path:
        Path(path).write_text(json.dumps(_records))
