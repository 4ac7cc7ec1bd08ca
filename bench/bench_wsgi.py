"""The app as bench/web.py serves it under gunicorn: kam.wsgi, plus a timing header.

Each response carries `X-Bench: <ms>;<sql ms>;<queries>;<cpu ms>`, measured in the worker
around the whole Django request (middleware, view, template rendering): wall time, time
spent in SQL statements (connection.execute_wrapper), their count, and the CPU time used by
the worker process and its PostgreSQL backend. It also answers `/bench/empty/`: an empty view
through the same middleware, the floor a page is compared with. Nothing in the app changes;
only the benchmark loads this module.

DJANGO_DEBUG=true is needed for the settings to load without production secrets; DEBUG is
turned off again here, as in production (no query log, no debug templates)."""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")

from django.conf import settings
from django.db import connection

from kam.wsgi import application as django_application

settings.DEBUG = False

# bench/web.py --larger serves two databases side by side on one Redis: each server's shared
# cache keys get a prefix of their own, so neither reads the dashboards the other cached.
if os.environ.get("BENCH_CACHE_PREFIX"):
    from django.core.cache import caches

    settings.CACHES["shared"]["KEY_PREFIX"] = os.environ["BENCH_CACHE_PREFIX"]
    caches["shared"].key_prefix = os.environ["BENCH_CACHE_PREFIX"]

from django.http import HttpResponse  # noqa: E402 - after the app is loaded
from django.urls import path  # noqa: E402

from kam import urls as kam_urls  # noqa: E402


def empty(request):
    """The floor of every page: the same middleware (session, the signed-in user, CSRF,
    locale...), no view work, an empty body. bench/web.py measures it next to the pages."""
    request.user.is_authenticated  # noqa: B018 - every page loads the user
    return HttpResponse(b"")


kam_urls.urlpatterns.append(path("bench/empty/", empty))


class _SqlTimer:
    def __init__(self):
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


def _backend_cpu() -> tuple[int, float]:
    """This worker's PostgreSQL backend (same machine) and the CPU seconds it used so far;
    (0, 0.0) when there is no connection."""
    if connection.connection is None:
        return 0, 0.0
    pid = connection.connection.get_backend_pid()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def application(environ, start_response):
    started, cpu_started = time.perf_counter(), time.process_time()
    backend_pid, backend_started = _backend_cpu()
    timer = _SqlTimer()

    def timed_start_response(status, headers, exc_info=None):
        # Django calls this once the response is complete (rendered, middleware done).
        elapsed = (time.perf_counter() - started) * 1000
        # CPU of the worker plus its PostgreSQL backend: steadier than wall time on a shared
        # machine (10 ms resolution for the backend).
        pid, backend_now = _backend_cpu()
        backend = backend_now - (backend_started if pid == backend_pid else 0.0)
        cpu = (time.process_time() - cpu_started + backend) * 1000
        value = f"{elapsed:.2f};{timer.seconds * 1000:.2f};{timer.count};{cpu:.2f}"
        return start_response(status, [*headers, ("X-Bench", value)], exc_info)

    with connection.execute_wrapper(timer):
        return django_application(environ, timed_start_response)
