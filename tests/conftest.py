import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from kam.models import Role
from tests.factories import UserFactory

BASE_DIR = Path(__file__).resolve().parents[1]


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
def client_for(client):
    """client_for(user) → a test client logged in as that user."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def celery_worker_process(transactional_db):
    """Start `celery worker` on a queue of its own, pointed at the test database."""
    queue = f"kam-test-{uuid.uuid4().hex[:8]}"
    db = settings.DATABASES["default"]
    env = {**os.environ, "CELERY_QUEUE": queue}
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
