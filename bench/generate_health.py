"""Bulk-load a synthetic portfolio for the health-recompute benchmark (see bench/README.md).

    DJANGO_DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/kam_bench \
        .venv/bin/python bench/generate_health.py \
        --accounts 100000 --interactions 2000000 --commitments 300000

Creates the database when it does not exist, migrates it, empties the tables it fills and
loads them: users and accounts through COPY (rows made in Python from a seeded
random.Random), everything else through INSERT ... SELECT over generate_series, with
"random" numbers taken from hashint8extended(row number, seed + salt), so the data depend on
the seed and --today only, never on plan or row order. Big tables are inserted in time
order (the order the app writes them in), so one account's rows are spread over the heap as
in production rather than clustered.

The loaders are shared with `manage.py seed_demo --scale large` (kam/bulk_load.py).

Refuses to run on a database whose name does not contain "bench" (it truncates tables)."""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")

import django  # noqa: E402

django.setup()

import psycopg2  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.services import scoring_defaults_ensure  # noqa: E402
from demo.bulk_load import (  # noqa: E402
    LOADED_TABLES,
    Step,
    check_foreign_keys,
    define_helpers,
    drop_column_defaults,
    drop_secondary_indexes,
    execute,
    load_accounts,
    load_commitments,
    load_history,
    load_interaction_stakeholders,
    load_interactions,
    load_last_touch,
    load_qbrs,
    load_ratings,
    load_revenue,
    load_satisfaction,
    load_stakeholders,
    load_users,
    log,
    recreate_indexes,
    reset,
    restore_saved_indexes,
    scalar,
    set_column_defaults,
)
from kam.dates import business_date  # noqa: E402


def ensure_database() -> None:
    db = settings.DATABASES["default"]
    name = db["NAME"]
    if "bench" not in name:
        sys.exit(f"Refusing to load {name!r}: the database name must contain 'bench'.")
    admin = psycopg2.connect(
        dbname="postgres",
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
            log(f"created database {name}")
    admin.close()


def main() -> None:
    """The arguments, then each bulk step in order with its timing. Long on purpose: the
    steps share one connection and its session settings, and read top to bottom as the
    data is built."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000, help="accounts that are scored")
    parser.add_argument("--churned", type=int, default=2_000, help="extra churned accounts")
    parser.add_argument("--interactions", type=int, default=2_000_000)
    parser.add_argument("--commitments", type=int, default=300_000)
    parser.add_argument("--kams", type=int, default=300)
    parser.add_argument("--history-days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--today", type=date.fromisoformat, help="anchor day (default: today)")
    args = parser.parse_args()

    today = args.today or business_date()
    anchor = timezone.make_aware(datetime.combine(today, dtime.min))  # local midnight
    rng = random.Random(args.seed)
    started = time.perf_counter()
    log(f"database {settings.DATABASES['default']['NAME']}, anchor day {today}, seed {args.seed}")

    ensure_database()
    with Step("migrate"):
        call_command("migrate", verbosity=0, interactive=False)
    # The default tiers and configuration version 1 (made on first use if missing).
    config_id = scoring_defaults_ensure().pk
    execute("SET synchronous_commit = off")
    execute("SET jit = off")  # compiling costs more than it saves on these statements
    execute("SET work_mem = '256MB'")
    execute("SET maintenance_work_mem = '512MB'")
    restore_saved_indexes()
    with Step("reset (truncate accounts and dependants)"):
        reset()
        indexes = drop_secondary_indexes(LOADED_TABLES)
    defaults = set_column_defaults([*LOADED_TABLES, "kam_user"])
    # Skip the per-row foreign-key triggers while loading (superuser only): every key is
    # taken from rows already loaded, and check_foreign_keys() verifies them all at the end.
    execute("SET session_replication_role = replica")
    with Step("users (COPY)"):
        kam_ids = load_users(rng, args.kams, anchor)
    with Step("accounts (COPY)"):
        load_accounts(rng, args.accounts, args.churned, kam_ids, today, anchor)
    define_helpers(args.seed)
    params = {
        "today": today,
        "anchor": anchor,
        "tz": settings.TIME_ZONE,
        "accounts": args.accounts + args.churned,
        "interactions": args.interactions,
        "commitments": args.commitments,
        "history_days": args.history_days,
        "history_churned": False,
        "stakeholders_min": 5,  # 5–11 per account
        "stakeholders_spread": 7,
        "config_id": config_id,
    }
    counts = {}
    with Step("stakeholders"):
        counts["stakeholders"] = load_stakeholders(params)
    with Step("revenue records"):
        counts["revenue records"] = load_revenue(params)
    with Step("interactions"):
        counts["interactions"] = load_interactions(params)
    with Step("interaction stakeholders + last_interaction_at"):
        counts["interaction stakeholders"] = load_interaction_stakeholders(params)
    with Step("commitments"):
        counts["commitments"] = load_commitments(params)
    with Step("satisfaction entries"):
        counts["satisfaction entries"] = load_satisfaction(params)
    with Step("qualitative ratings"):
        counts["qualitative ratings"] = load_ratings(params)
    with Step("QBRs held"):
        counts["QBRs held"] = load_qbrs(params)
    with Step("accounts.last_touch_at (one UPDATE ... FROM)"):
        counts["accounts touched"] = load_last_touch()
    with Step(f"health history ({args.history_days} days)"):
        counts["health scores (history)"] = load_history(params)
    with Step(f"recreate {len(indexes)} indexes"):
        recreate_indexes(indexes)
    execute("SET session_replication_role = DEFAULT")
    drop_column_defaults(defaults)
    with Step("check foreign keys"):
        check_foreign_keys(LOADED_TABLES)
    with Step("VACUUM ANALYZE"):
        execute("VACUUM ANALYZE")

    log("")
    log(f"users: {len(kam_ids)} KAMs (+ leaders)")
    log(f"accounts: {args.accounts} scored + {args.churned} churned")
    for name, count in counts.items():
        log(f"{name}: {count}")
    size = scalar("SELECT pg_size_pretty(pg_database_size(current_database()))")
    log(f"database size: {size}")
    log(f"total generation time: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
