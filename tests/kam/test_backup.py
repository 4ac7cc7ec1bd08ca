"""bin/backup.sh and bin/restore.sh: a dump of a database with data in every kind of table,
restored into a new empty database, has the same rows in every table."""

import os
import subprocess
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from accounts import services as account_services
from activities import services as activity_services
from insights import services as insights_services
from kam.dates import business_date
from plans import services as plan_services
from tests.conftest import _database_url
from tests.database import connect
from tests.factories import RevenueRecordFactory, StakeholderFactory

BASE_DIR = Path(__file__).resolve().parents[2]


def _connect(dbname: str):
    return connect(dbname, autocommit=True)


def _row_counts(dbname: str) -> dict[str, int]:
    with _connect(dbname) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
        )
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 (names from the catalogue)
            counts[table] = cursor.fetchone()[0]
    conn.close()
    return counts


@pytest.fixture
def empty_database():
    """A new empty database next to the test database, dropped afterwards."""
    name = f"{settings.DATABASES['default']['NAME']}_restore"
    admin = _connect("postgres")
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    db = {**settings.DATABASES["default"], "NAME": name}
    yield name, _database_url(db)
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def seeded(transactional_db, kam_user, team_member, now):
    """Committed rows in the main kinds of tables, through the services."""
    account = account_services.account_create(
        actor=kam_user, team=[team_member], name="Acme", owner=kam_user, currency="BRL"
    )
    stakeholder = StakeholderFactory(account=account)
    RevenueRecordFactory(account=account, booked_on=date(2026, 2, 1), amount=1000)
    activity_services.interaction_log(
        account=account,
        actor=kam_user,
        kind="meeting",
        occurred_at=timezone.now(),
        summary="Kick-off",
        stakeholders=[stakeholder],
    )
    plan = plan_services.plan_create(
        account=account,
        actor=kam_user,
        status="active",
        title="Acme 2026",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    plan_services.objective_create(
        plan=plan, actor=kam_user, description="Grow", metric="BRL", baseline=1, target=2
    )
    insights_services.tiers_recompute()
    insights_services.health_recompute_all(day=business_date())
    return account


def _client_path() -> str:
    """PATH with PostgreSQL client tools as new as the server: the embedded server's own (the
    quick start, a socket in OPTIONS) first, else the machine's, with pgserver's as a fallback."""
    import pgserver

    bundled = str(Path(pgserver.__file__).parent / "pginstall" / "bin")
    embedded = bool(settings.DATABASES["default"].get("OPTIONS", {}).get("host"))
    system = os.environ.get("PATH", "")
    return f"{bundled}:{system}" if embedded else f"{system}:{bundled}"


def _run(script: str, *args: str, database_url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BASE_DIR / "bin" / script), *args],
        env={**os.environ, "DATABASE_URL": database_url, "PATH": _client_path()},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_backup_restored_into_an_empty_database_has_the_same_rows(
    seeded, empty_database, tmp_path
):
    source_name = settings.DATABASES["default"]["NAME"]
    source_url = _database_url(settings.DATABASES["default"])
    dump = tmp_path / "kam.dump"

    backup = _run("backup.sh", str(dump), database_url=source_url)
    assert backup.returncode == 0, backup.stderr
    assert dump.stat().st_size > 0
    assert not Path(f"{dump}.partial").exists()

    target_name, target_url = empty_database
    restore = _run("restore.sh", str(dump), database_url=target_url)
    assert restore.returncode == 0, restore.stderr

    source, restored = _row_counts(source_name), _row_counts(target_name)
    assert restored == source
    assert source["accounts_account"] == 1 and source["accounts_healthscore"] == 1
    assert source["kam_auditevent"] > 0 and source["plans_objective"] == 1
    assert len(source) > 40  # every app's tables, Django's own included

    # Sequences come back too: the next row gets a fresh id, not a duplicate key.
    with _connect(target_name) as conn, conn.cursor() as cursor:
        cursor.execute(
            "INSERT INTO kam_outboxtask (task, args, kwargs, created_at, attempts, last_error) "
            "VALUES ('kam.tasks.ping', '[]', '{}', now(), 0, '') RETURNING id"
        )
        assert cursor.fetchone()[0] > 0
    conn.close()


def test_restore_refuses_a_database_that_is_not_empty(seeded, tmp_path):
    source_url = _database_url(settings.DATABASES["default"])
    dump = tmp_path / "kam.dump"
    assert _run("backup.sh", str(dump), database_url=source_url).returncode == 0
    before = _row_counts(settings.DATABASES["default"]["NAME"])
    restore = _run("restore.sh", str(dump), database_url=source_url)
    assert restore.returncode != 0
    assert "refusing" in restore.stderr
    assert _row_counts(settings.DATABASES["default"]["NAME"]) == before
