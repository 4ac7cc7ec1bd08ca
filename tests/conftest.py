import copy
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.test import override_settings
from django.utils import translation

from accounts.models import MONDAY_TO_FRIDAY, WorkingCalendar, weekday_mask
from kam.models import Role
from tests.factories import AccountFactory, UserFactory

BASE_DIR = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(items):
    """Every test is a database test. Personas often come through request.getfixturevalue()
    (the access tables), which pytest-django cannot see when it decides which test databases
    to set up: run alone, such a test would talk to the real database."""
    for item in items:
        if item.get_closest_marker("django_db") is None:
            item.add_marker(pytest.mark.django_db)


# The contrib extensions of the test database's PostgreSQL (read once).
_AVAILABLE: set[str] = set()


@pytest.fixture(autouse=True)
def _needs_contrib(request):
    """Tests marked needs_contrib("unaccent", …) check what a PostgreSQL contrib extension
    gives: accent-insensitive search (`unaccent`, kam/migrations/0005) or the accounts list's
    search by index (`pg_trgm`, accounts/migrations/0049). The embedded PostgreSQL of `make
    test` has none: there they are skipped, saying which is missing; in CI, whose PostgreSQL
    has them, a missing extension is a failure, as a missing Chromium is for the browser
    tests."""
    marker = request.node.get_closest_marker("needs_contrib")
    if marker is None:
        return
    if not _AVAILABLE:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM pg_available_extensions")
            _AVAILABLE.update(name for (name,) in cursor.fetchall())
    assert marker.args, "needs_contrib names the extensions the test needs"
    missing = [name for name in marker.args if name not in _AVAILABLE]
    if not missing:
        return
    message = f"this PostgreSQL has no {', '.join(missing)} extension (the embedded one has none)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI's PostgreSQL must have it")
    pytest.skip(f"{message}: set DATABASE_URL to a PostgreSQL with its contrib extensions")


@pytest.fixture(scope="session", autouse=True)
def _shared_cache_per_worker(worker_id):
    """`make test` runs the suite in parallel (pytest-xdist, one worker per core), every worker
    against the same Redis database: each keeps its cache keys under a prefix of its own, so
    that one worker's portfolio generation or rate change is not another's."""
    if worker_id == "master":
        yield
        return
    caches = copy.deepcopy(settings.CACHES)
    caches["shared"]["KEY_PREFIX"] = f"{caches['shared'].get('KEY_PREFIX', '')}-{worker_id}"
    with override_settings(CACHES=caches):
        yield


@pytest.fixture(autouse=True)
def portfolio_cache_off(settings):
    """Figures are computed on every request in tests (a cached dashboard from one test must
    not answer another); tests/accounts/test_portfolio_cache.py turns the cache on."""
    settings.PORTFOLIO_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language: a request of a Portuguese-speaking user
    leaves its language active in the thread, which the next test would otherwise inherit."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests make users by the dozen: PBKDF2's deliberate slowness buys nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def kam_user(db):
    """The owner KAM persona."""
    return UserFactory(email="owner@example.com", full_name="Olivia Owner", role=Role.KAM)


@pytest.fixture
def outsider(db):
    """A KAM with no relation to the accounts under test."""
    return UserFactory(email="outsider@example.com", full_name="Oscar Outsider", role=Role.KAM)


@pytest.fixture
def team_member(db):
    return UserFactory(email="team@example.com", full_name="Tereza Team", role=Role.KAM)


@pytest.fixture
def leader(db):
    return UserFactory(email="boss@example.com", full_name="Leo Leader", role=Role.LEADER)


@pytest.fixture
def admin_user(db):
    return UserFactory(email="root@example.com", full_name="Ada Admin", role=Role.ADMIN)


@pytest.fixture
def default_working_calendar(db):
    """The default calendar (São Paulo, Monday to Friday 09:00–18:00, SP holidays) that the data
    migration creates; made again when a transactional test's flush has removed it."""
    calendar = WorkingCalendar.objects.filter(is_default=True).first()
    return calendar or WorkingCalendar.objects.create(
        name="São Paulo",
        time_zone="America/Sao_Paulo",
        opens=time(9),
        closes=time(18),
        weekday_mask=weekday_mask(MONDAY_TO_FRIDAY),
        subdivision="SP",
        is_default=True,
    )


@pytest.fixture
def client_for(client):
    """client_for(user) → a test client logged in as that user."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def account(kam_user, team_member):
    """An account owned by kam_user with team_member on its team; outsider has no link."""
    account = AccountFactory(name="Acme Industrial", owner=kam_user)
    account.team.add(team_member)
    return account


# Midday in São Paulo (the default TIME_ZONE), far from a date change in any zone we use.
FROZEN_NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def now():
    """Freeze the clock at FROZEN_NOW for the whole test and return it."""
    with time_machine.travel(FROZEN_NOW, tick=False):
        yield FROZEN_NOW


@pytest.fixture
def db_rows(db):
    """db_rows() → every row of the accounts and activities tables (including the
    many-to-many links), to compare before and after a request that must write nothing."""

    def snapshot() -> dict[str, list[dict]]:
        rows = {}
        for app in ("accounts", "activities"):
            for model in apps.get_app_config(app).get_models(include_auto_created=True):
                rows[model._meta.label] = list(model.objects.order_by("pk").values())
        return rows

    return snapshot


@pytest.fixture
def celery_worker_process(request, transactional_db):
    """Start `celery worker` on a queue of its own, pointed at the test database (a
    transactional test: the worker must see committed rows); its connections carry the queue's
    name as their application_name. Parametrized indirectly, a dict of environment variables
    for the worker."""
    queue = f"kam-test-{uuid.uuid4().hex[:8]}"
    db = settings.DATABASES["default"]
    env = {**os.environ, "CELERY_QUEUE": queue, "PGAPPNAME": queue, **getattr(request, "param", {})}
    env["DATABASE_URL"] = _database_url(db)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "kam", "worker", "--pool", "solo",
         "--queues", queue, "--loglevel", "WARNING", "--without-heartbeat",
         "--without-mingle", "--without-gossip"],
        cwd=BASE_DIR,
        env=env,
    )  # fmt: skip
    yield queue
    process.terminate()
    process.wait(timeout=30)


def _database_url(db: dict) -> str:
    host = db.get("HOST") or ""
    socket_dir = db.get("OPTIONS", {}).get("host")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    if socket_dir:
        return f"postgresql://{db['USER']}:@/{db['NAME']}?host={socket_dir}"
    return f"postgresql://{db['USER']}:{db.get('PASSWORD') or ''}@{host}{port}/{db['NAME']}"
