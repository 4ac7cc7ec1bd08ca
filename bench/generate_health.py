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

Refuses to run on a database whose name does not contain "bench" (it truncates tables)."""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
import time
from datetime import date, datetime, timedelta
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
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.scoring_inputs import current_config  # noqa: E402

BENCH_EMAIL_DOMAIN = "bench.example"
INDUSTRIES = [
    "Retail",
    "Banking",
    "Insurance",
    "Energy",
    "Telecom",
    "Health",
    "Logistics",
    "Agribusiness",
    "Manufacturing",
    "Education",
    "Public sector",
    "Software",
]
REGIONS = ["South", "Southeast", "Northeast", "North", "Centre-West", "LATAM", "Europe"]
CITIES = [
    "São Paulo",
    "Rio de Janeiro",
    "Belo Horizonte",
    "Curitiba",
    "Porto Alegre",
    "Recife",
    "Salvador",
    "Brasília",
    "Campinas",
    "Florianópolis",
]
# (tier key or None, share of accounts)
TIER_MIX = [("strategic", 0.02), ("key", 0.08), ("growth", 0.25), ("maintain", 0.55), (None, 0.10)]
STATUS_MIX = [("active", 0.85), ("at_risk", 0.08), ("prospect", 0.07)]


def log(message: str) -> None:
    print(message, flush=True)


class Step:
    """Times one loading step and prints it."""

    timings: list[tuple[str, float]] = []

    def __init__(self, name: str):
        self.name = name

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        elapsed = time.perf_counter() - self.start
        Step.timings.append((self.name, elapsed))
        log(f"  {self.name:<44} {elapsed:7.1f} s")


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


def weighted(rng: random.Random, mix):
    roll, total = rng.random(), 0.0
    for value, share in mix:
        total += share
        if roll < total:
            return value
    return mix[-1][0]


def copy_rows(table: str, columns: list[str], rows) -> int:
    """COPY rows (tuples; None = NULL) into table from an in-memory CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    count = 0
    for row in rows:
        writer.writerow(["\\N" if value is None else value for value in row])
        count += 1
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
            buffer,
        )
    return count


def execute(sql: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def scalar(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def reset() -> None:
    # Everything hanging off the accounts goes with them (stakeholders, interactions,
    # commitments, scores, notifications, timeline, ...); configuration and tiers stay.
    execute("TRUNCATE accounts_account RESTART IDENTITY CASCADE")
    execute(
        "DELETE FROM kam_user WHERE email LIKE %s AND id NOT IN "
        "(SELECT created_by_id FROM accounts_scoringconfig WHERE created_by_id IS NOT NULL)",
        [f"%@{BENCH_EMAIL_DOMAIN}"],
    )
    # Number the users from where the remaining ones stop, so a rerun gives the same ids.
    execute(
        "SELECT setval(pg_get_serial_sequence('kam_user', 'id'), "
        "coalesce((SELECT max(id) FROM kam_user), 0) + 1, false)"
    )


def load_users(rng: random.Random, kams: int, now: datetime) -> list[int]:
    rows = []
    for i in range(kams):
        rows.append(("kam", f"kam{i:04d}@{BENCH_EMAIL_DOMAIN}", f"KAM {i:04d}"))
    for i in range(max(1, kams // 30)):
        rows.append(("leader", f"leader{i:03d}@{BENCH_EMAIL_DOMAIN}", f"Leader {i:03d}"))
    copy_rows(
        "kam_user",
        [
            "password",
            "is_superuser",
            "email",
            "full_name",
            "role",
            "language",
            "time_zone",
            "is_active",
            "is_staff",
            "date_joined",
        ],
        (
            ("!bench-unusable", "f", email, name, role, "en", settings.TIME_ZONE, "t", "f", now)
            for role, email, name in rows
        ),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM kam_user WHERE email LIKE %s AND role = 'kam' ORDER BY email",
            [f"kam%@{BENCH_EMAIL_DOMAIN}"],
        )
        return [row[0] for row in cursor.fetchall()]


def load_accounts(
    rng: random.Random, scored: int, churned: int, kam_ids: list[int], today: date, now: datetime
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, id FROM accounts_tier")
        tier_ids = dict(cursor.fetchall())

    def rows():
        # Churned accounts are interleaved (every k-th row), as they would be in real life.
        total = scored + churned
        churn_every = total / churned if churned else None
        next_churn = churn_every / 2 if churn_every else None
        for i in range(total):
            status = weighted(rng, STATUS_MIX)
            if next_churn is not None and i >= next_churn:
                status = "churned"
                next_churn += churn_every
            tier_key = weighted(rng, TIER_MIX)
            renewal = today + timedelta(days=rng.randint(-60, 420)) if rng.random() < 0.85 else None
            start = renewal - timedelta(days=365 * rng.randint(1, 3)) if renewal else None
            created = now - timedelta(days=rng.randint(0, 1500), seconds=rng.randint(0, 86399))
            yield (
                f"Account {i:06d}",
                f"Account {i:06d} Ltda",
                "",
                rng.choice(INDUSTRIES),
                int(rng.paretovariate(1.2) * 50),
                rng.choice(CITIES),
                "Brazil",
                rng.choice(REGIONS),
                "",
                "BRL" if rng.random() < 0.8 else rng.choice(["USD", "EUR"]),
                status,
                start,
                renewal,
                start,
                "",
                "",
                f"bench-{i:06d}",
                1,
                created,
                created,
                kam_ids[min(len(kam_ids) - 1, int(len(kam_ids) * rng.random() ** 1.3))],
                "",
                "",
                "f",
                tier_ids[tier_key] if tier_key else None,
            )

    copy_rows(
        "accounts_account",
        [
            "name",
            "legal_name",
            "tax_id",
            "industry",
            "employees",
            "hq_city",
            "hq_country",
            "region",
            "website",
            "currency",
            "status",
            "contract_start",
            "renewal_date",
            "first_purchase_date",
            "competitors",
            "needs",
            "external_id",
            "version",
            "created_at",
            "updated_at",
            "owner_id",
            "health_band",
            "pareto_class",
            "recommendation_reviewed",
            "tier_id",
        ],
        rows(),
    )


def define_helpers(seed: int) -> None:
    # u(i, salt): a uniform [0, 1) number that depends on (i, salt, seed) only.
    execute(
        f"""
        CREATE OR REPLACE FUNCTION pg_temp.u(i bigint, salt int) RETURNS double precision
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT (hashint8extended(i, {int(seed)} * 1000 + salt) & 4503599627370495)::float8
                   / 4503599627370496.0
        $$
        """
    )
    execute("DROP TABLE IF EXISTS bench_acc")
    execute(
        """
        CREATE TEMP TABLE bench_acc AS
        SELECT (row_number() OVER (ORDER BY id) - 1)::int AS idx, id, owner_id, status,
               NULL::bigint AS first_sh, NULL::int AS n_sh
        FROM accounts_account
        """
    )
    execute("ALTER TABLE bench_acc ADD PRIMARY KEY (idx)")
    execute("CREATE UNIQUE INDEX ON bench_acc (id)")
    execute("ANALYZE bench_acc")


def load_stakeholders(p: dict) -> int:
    # 5–11 per account (8 on average). #1 is usually the decision maker, #2 usually the
    # champion and the primary contact; about 7 % have left the company.
    rows = execute(
        """
        INSERT INTO accounts_stakeholder
            (name, title, department, email, phone, buying_role, influence, stance, is_primary,
             left_on, notes, external_id, created_at, account_id)
        SELECT 'Stakeholder ' || a.idx || '-' || s, '', '', '', '',
               CASE
                 WHEN s = 1 AND pg_temp.u(a.idx, 11) < 0.85 THEN 'decision_maker'
                 WHEN s = 2 AND pg_temp.u(a.idx, 12) < 0.75 THEN 'champion'
                 ELSE (ARRAY['economic_buyer', 'influencer', 'user', 'user', 'gatekeeper',
                             'blocker', 'champion'])
                      [1 + floor(pg_temp.u(a.idx * 16 + s, 13) * 7)::int]
               END,
               1 + floor(pg_temp.u(a.idx * 16 + s, 14) * 5)::int,
               (ARRAY['advocate', 'supporter', 'neutral', 'neutral', 'sceptic', 'opponent'])
                   [1 + floor(pg_temp.u(a.idx * 16 + s, 15) * 6)::int],
               s = 2,
               CASE WHEN pg_temp.u(a.idx * 16 + s, 16) < 0.07
                    THEN %(today)s - (1 + floor(pg_temp.u(a.idx * 16 + s, 17) * 700)::int)
               END,
               '', '', %(anchor)s - pg_temp.u(a.idx * 16 + s, 18) * interval '1000 days', a.id
        FROM bench_acc a
        CROSS JOIN LATERAL generate_series(1, 5 + floor(pg_temp.u(a.idx, 10) * 7)::int) s
        ORDER BY a.idx, s
        """,
        p,
    )
    execute(
        """
        UPDATE bench_acc b SET first_sh = s.first, n_sh = s.n
        FROM (SELECT account_id, min(id) AS first, count(*) AS n
              FROM accounts_stakeholder GROUP BY account_id) s
        WHERE s.account_id = b.id
        """
    )
    return rows


def load_revenue(p: dict) -> int:
    # A Pareto-shaped (alpha 1.16, the 80/20 rule) monthly base per account, a yearly trend
    # between -35 % and +45 %, ±20 % noise, one month in ten without an invoice, 8 % of
    # accounts new in the last year, costs on 60 % of accounts; prospects have no revenue.
    return execute(
        """
        INSERT INTO accounts_revenuerecord
            (kind, booked_on, amount, cost, product, external_id, created_at, account_id)
        SELECT 'invoice', r.booked_on, r.amount,
               CASE WHEN pg_temp.u(r.idx, 46) < 0.6
                    THEN round((r.amount * (0.55 + 0.3 * pg_temp.u(r.k, 47)))::numeric, 2)
               END,
               '', '', r.booked_on::timestamp AT TIME ZONE %(tz)s, r.id
        FROM (
            SELECT a.idx, a.id, m, a.idx * 24 + m AS k,
                   least(%(today)s - 1, (date_trunc('month', %(today)s::date)
                         - m * interval '1 month')::date
                         + floor(pg_temp.u(a.idx * 24 + m, 42) * 28)::int) AS booked_on,
                   round(least(5e6, 500 * greatest(pg_temp.u(a.idx, 40), 1e-9) ^ (-1 / 1.16))
                         * (0.65 + 0.8 * pg_temp.u(a.idx, 41)) ^ (-m / 12.0)
                         * (0.8 + 0.4 * pg_temp.u(a.idx * 24 + m, 43)))::numeric(14, 2)
                         AS amount
            FROM bench_acc a CROSS JOIN generate_series(0, 23) m
            WHERE a.status <> 'prospect'
              AND pg_temp.u(a.idx * 24 + m, 44) >= 0.1
              AND m <= CASE WHEN pg_temp.u(a.idx, 45) < 0.08
                            THEN floor(pg_temp.u(a.idx, 48) * 12)::int ELSE 23 END
        ) r
        ORDER BY r.booked_on, r.idx
        """,
        p,
    )


def load_interactions(p: dict) -> int:
    # Spread uniformly over the two years before --today; busier accounts at low idx
    # (u ^ 1.3); sentiment around a per-account mood.
    return execute(
        """
        INSERT INTO activities_interaction
            (kind, occurred_at, summary, notes, sentiment, category, external_id, created_at,
             account_id, logged_by_id)
        SELECT (ARRAY['call', 'meeting', 'visit', 'email', 'note'])
                   [1 + floor(pg_temp.u(t.g, 21) * 5)::int],
               t.occurred_at, 'Interaction ' || t.g, '',
               greatest(-2, least(2, round((pg_temp.u(a.idx, 30) - 0.4) * 2
                   + (pg_temp.u(t.g, 23) + pg_temp.u(t.g, 24) + pg_temp.u(t.g, 25) - 1.5) * 1.6
               )))::smallint,
               (ARRAY['value_plan', 'evolution', 'evolution', 'incident'])
                   [1 + floor(pg_temp.u(t.g, 26) * 4)::int],
               '', t.occurred_at, a.id, a.owner_id
        FROM (
            SELECT g,
                   floor(%(accounts)s * pg_temp.u(g, 20) ^ 1.3)::int AS idx,
                   %(anchor)s - pg_temp.u(g, 22) * interval '730 days' AS occurred_at
            FROM generate_series(1, %(interactions)s) g
        ) t
        JOIN bench_acc a ON a.idx = t.idx
        ORDER BY t.occurred_at, t.g
        """,
        p,
    )


def load_interaction_stakeholders(p: dict) -> int:
    # 45 % of interactions name one stakeholder of the account, a third of those a second.
    rows = execute(
        """
        INSERT INTO activities_interaction_stakeholders (interaction_id, stakeholder_id)
        SELECT i.id, a.first_sh + (floor(pg_temp.u(i.id, 31) * a.n_sh)::int + k) %% a.n_sh
        FROM activities_interaction i
        JOIN bench_acc a ON a.id = i.account_id
        CROSS JOIN generate_series(0, 1) k
        WHERE pg_temp.u(i.id, 32) < 0.45 AND (k = 0 OR pg_temp.u(i.id, 33) < 0.33)
        ORDER BY i.id, k
        """,
        p,
    )
    execute(
        """
        UPDATE accounts_stakeholder s SET last_interaction_at = m.last
        FROM (SELECT link.stakeholder_id, max(i.occurred_at) AS last
              FROM activities_interaction_stakeholders link
              JOIN activities_interaction i ON i.id = link.interaction_id
              GROUP BY link.stakeholder_id) m
        WHERE s.id = m.stakeholder_id
        """
    )
    return rows


def load_commitments(p: dict) -> int:
    # Due from 400 days ago to 60 days ahead. Past due: 70 % done, 20 % still open (overdue),
    # 10 % cancelled; not yet due: 85 % open. 90 % ours (owner_user = the account owner),
    # 10 % owned by a client stakeholder.
    return execute(
        """
        INSERT INTO activities_commitment
            (title, due_date, status, done_at, created_at, account_id, created_by_id,
             owner_stakeholder_id, owner_user_id, source_interaction_id)
        SELECT 'Commitment ' || c.g, c.due_date, c.status,
               CASE WHEN c.status = 'done'
                    THEN least(%(anchor)s - interval '1 hour',
                               (c.due_date - floor(pg_temp.u(c.g, 55) * 10)::int)::timestamp
                               AT TIME ZONE %(tz)s + interval '14 hours')
               END,
               (c.due_date - 14)::timestamp AT TIME ZONE %(tz)s, a.id, a.owner_id,
               CASE WHEN c.ours THEN NULL ELSE a.first_sh END,
               CASE WHEN c.ours THEN a.owner_id END,
               NULL
        FROM (
            SELECT d.*,
                   CASE WHEN d.due_date < %(today)s
                        THEN CASE WHEN pg_temp.u(d.g, 53) < 0.7 THEN 'done'
                                  WHEN pg_temp.u(d.g, 53) < 0.9 THEN 'open'
                                  ELSE 'cancelled' END
                        ELSE CASE WHEN pg_temp.u(d.g, 53) < 0.85 THEN 'open' ELSE 'done' END
                   END AS status
            FROM (
                SELECT g, floor(%(accounts)s * pg_temp.u(g, 50) ^ 1.2)::int AS idx,
                       %(today)s - 400 + floor(pg_temp.u(g, 51) * 461)::int AS due_date,
                       pg_temp.u(g, 52) < 0.9 AS ours
                FROM generate_series(1, %(commitments)s) g
            ) d
        ) c
        JOIN bench_acc a ON a.idx = c.idx
        ORDER BY c.due_date - 14, c.g
        """,
        p,
    )


def load_satisfaction(p: dict) -> int:
    # 60 % of accounts have 1–4 answers over two years, NPS or CSAT.
    return execute(
        """
        INSERT INTO accounts_satisfactionentry
            (kind, score, recorded_on, comment, created_at, account_id, recorded_by_id,
             stakeholder_id)
        SELECT s.kind,
               CASE WHEN s.kind = 'nps' THEN floor(pg_temp.u(s.k, 63) ^ 0.6 * 11)::int
                    ELSE 1 + floor(pg_temp.u(s.k, 63) ^ 0.7 * 5)::int END,
               s.recorded_on, '', s.recorded_on::timestamp AT TIME ZONE %(tz)s, s.id, s.owner_id,
               CASE WHEN pg_temp.u(s.k, 64) < 0.5 THEN s.first_sh END
        FROM (
            SELECT a.*, a.idx * 8 + n AS k,
                   CASE WHEN pg_temp.u(a.idx * 8 + n, 61) < 0.6 THEN 'nps' ELSE 'csat' END
                       AS kind,
                   %(today)s - (1 + floor(pg_temp.u(a.idx * 8 + n, 62) * 700)::int)
                       AS recorded_on
            FROM bench_acc a
            CROSS JOIN LATERAL generate_series(1, 1 + floor(pg_temp.u(a.idx, 60) * 4)::int) n
            WHERE pg_temp.u(a.idx, 65) < 0.6
        ) s
        ORDER BY s.recorded_on, s.idx
        """,
        p,
    )


def load_ratings(p: dict) -> int:
    # 30 % of accounts carry the four qualitative ratings used by tiering.
    return execute(
        """
        INSERT INTO accounts_qualitativerating (criterion, score, set_at, account_id, set_by_id)
        SELECT c, 1 + floor(pg_temp.u(a.idx * 4 + n, 71) * 5)::int,
               %(anchor)s - pg_temp.u(a.idx * 4 + n, 72) * interval '400 days', a.id, a.owner_id
        FROM bench_acc a
        CROSS JOIN unnest(ARRAY['growth_potential', 'market_influence', 'strategic_alignment',
                                'referral_value']) WITH ORDINALITY AS r(c, n)
        WHERE pg_temp.u(a.idx, 70) < 0.3
        """,
        p,
    )


def load_qbrs(p: dict) -> int:
    # Held QBRs of active and at-risk accounts over two years, one per tier QBR cadence,
    # a quarter of them skipped, dates ± 10 days.
    return execute(
        """
        INSERT INTO activities_qbr
            (scheduled_on, status, agenda, outcome, rating, held_at, created_at, account_id,
             created_by_id)
        SELECT q.day, 'held', '', '', 1 + floor(pg_temp.u(q.k, 92) * 5)::int,
               q.day::timestamp AT TIME ZONE %(tz)s + interval '10 hours',
               (q.day - 21)::timestamp AT TIME ZONE %(tz)s, q.id, q.owner_id
        FROM (
            SELECT a.idx, a.id, a.owner_id, a.idx * 32 + k AS k,
                   %(today)s - k * t.qbr_cadence_days
                       + floor(pg_temp.u(a.idx * 32 + k, 91) * 21)::int - 10 AS day
            FROM bench_acc a
            JOIN accounts_account acc ON acc.id = a.id
            JOIN accounts_tier t ON t.id = acc.tier_id
            CROSS JOIN LATERAL generate_series(1, 730 / t.qbr_cadence_days) k
            WHERE a.status IN ('active', 'at_risk') AND pg_temp.u(a.idx * 32 + k, 90) < 0.75
        ) q
        WHERE q.day < %(today)s
        ORDER BY q.day, q.idx
        """,
        p,
    )


def load_last_touch() -> int:
    return execute(
        """
        UPDATE accounts_account a SET last_touch_at = t.last
        FROM (SELECT account_id, max(occurred_at) AS last
              FROM activities_interaction GROUP BY account_id) t
        WHERE a.id = t.account_id
        """
    )


HISTORY_COMPONENTS = [
    ("engagement", 20.0),
    ("coverage", 15.0),
    ("sentiment", 15.0),
    ("satisfaction", 10.0),
    ("revenue_trend", 15.0),
    ("commitments", 10.0),
    ("qbr", 5.0),
    ("risks", 5.0),
    ("renewal", 5.0),
]


def load_history(p: dict) -> int:
    """What earlier nightly runs would have left: one score per scored account per day for
    --history-days days before --today, oldest day first (as the nightly job writes them).
    Synthetic (a per-account level ± daily noise; nine components near the account's level,
    reason code "bench_history", built once per account and reused every day), but of the real
    shape and size (about 1.1 kB of JSON), so the previous-score lookup reads a realistic
    table."""
    if not p["history_days"]:
        return 0
    components = ", ".join(
        f"jsonb_build_object('key', '{key}', 'score', greatest(0, least(100, a.level - 20 "
        f"+ floor(pg_temp.u(a.idx * 16 + {n}, 83) * 41)::int)), 'weight', {weight}, "
        f"'reason', jsonb_build_object('code', 'bench_history', "
        f"'params', jsonb_build_object('days', {n}, 'count', a.idx %% 40)))"
        for n, (key, weight) in enumerate(HISTORY_COMPONENTS, 1)
    )
    execute("DROP TABLE IF EXISTS bench_history")
    execute(
        f"""
        CREATE TEMP TABLE bench_history AS
        SELECT a.idx, a.id, a.level, jsonb_build_array({components}) AS components
        FROM (SELECT idx, id, floor(25 + 65 * pg_temp.u(idx, 80))::int AS level
              FROM bench_acc WHERE status <> 'churned') a
        ORDER BY a.idx
        """,  # noqa: S608 (components is made above from constants)
        p,
    )
    rows = 0
    for d in range(p["history_days"], 0, -1):
        rows += execute(
            """
            INSERT INTO accounts_healthscore
                (day, score, band, components, previous_score, movers, computed_at,
                 account_id, config_id)
            SELECT h.day, h.score,
                   CASE WHEN h.score >= 70 THEN 'healthy' WHEN h.score >= 40 THEN 'watch'
                        ELSE 'at_risk' END,
                   h.components, NULL, '[]'::jsonb,
                   h.day::timestamp AT TIME ZONE %(tz)s + interval '2 hours', h.id, %(config_id)s
            FROM (
                SELECT b.id, b.components, %(today)s - %(d)s AS day,
                       greatest(0, least(100, b.level
                           + floor(16 * pg_temp.u(b.idx::bigint * 1024 + %(d)s, 81) - 8)::int))
                           AS score
                FROM bench_history b
            ) h
            """,
            {**p, "d": d},
        )
    execute("DROP TABLE bench_history")
    return rows


LOADED_TABLES = [
    "accounts_account",
    "accounts_stakeholder",
    "accounts_revenuerecord",
    "activities_interaction",
    "activities_interaction_stakeholders",
    "activities_commitment",
    "accounts_satisfactionentry",
    "accounts_qualitativerating",
    "accounts_healthscore",
    "activities_qbr",
]


def restore_saved_indexes() -> None:
    """Recreate the indexes an interrupted earlier run dropped (kept in bench_saved_indexes)."""
    if scalar("SELECT to_regclass('bench_saved_indexes') IS NULL"):
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT definition FROM bench_saved_indexes")
        definitions = [row[0] for row in cursor.fetchall()]
    for definition in definitions:
        execute(definition.replace(" INDEX ", " INDEX IF NOT EXISTS ", 1))
    execute("DROP TABLE bench_saved_indexes")


def drop_secondary_indexes() -> list[str]:
    """Drop the indexes that back no constraint (primary keys and unique constraints stay):
    building them once after the load is several times faster than updating them row by
    row. Their definitions are kept in a table until recreate_indexes() has run."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
            WHERE t.relname = ANY(%s) AND t.relnamespace = 'public'::regnamespace
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY 1
            """,
            [LOADED_TABLES],
        )
        indexes = cursor.fetchall()
    execute("CREATE TABLE bench_saved_indexes (definition text NOT NULL)")
    for _name, definition in indexes:
        execute("INSERT INTO bench_saved_indexes VALUES (%s)", [definition])
    for name, _definition in indexes:
        execute(f"DROP INDEX {name}")
    return [definition for _name, definition in indexes]


def recreate_indexes(definitions: list[str]) -> None:
    for definition in definitions:
        execute(definition)
    execute("DROP TABLE bench_saved_indexes")


FOREIGN_KEYS = [
    ("accounts_account", "owner_id", "kam_user"),
    ("accounts_account", "tier_id", "accounts_tier"),
    ("accounts_stakeholder", "account_id", "accounts_account"),
    ("accounts_revenuerecord", "account_id", "accounts_account"),
    ("activities_interaction", "account_id", "accounts_account"),
    ("activities_interaction", "logged_by_id", "kam_user"),
    ("activities_interaction_stakeholders", "interaction_id", "activities_interaction"),
    ("activities_interaction_stakeholders", "stakeholder_id", "accounts_stakeholder"),
    ("activities_commitment", "account_id", "accounts_account"),
    ("activities_commitment", "owner_user_id", "kam_user"),
    ("activities_commitment", "owner_stakeholder_id", "accounts_stakeholder"),
    ("accounts_satisfactionentry", "account_id", "accounts_account"),
    ("accounts_satisfactionentry", "stakeholder_id", "accounts_stakeholder"),
    ("accounts_qualitativerating", "account_id", "accounts_account"),
    ("accounts_healthscore", "account_id", "accounts_account"),
    ("accounts_healthscore", "config_id", "accounts_scoringconfig"),
    ("activities_qbr", "account_id", "accounts_account"),
]


def check_foreign_keys() -> None:
    """The loads ran without the foreign-key triggers: prove every key resolves."""
    for table, column, target in FOREIGN_KEYS:
        orphans = scalar(
            f"SELECT count(*) FROM {table} t LEFT JOIN {target} r ON r.id = t.{column} "  # noqa: S608
            f"WHERE t.{column} IS NOT NULL AND r.id IS NULL"
        )
        if orphans:
            sys.exit(f"{orphans} rows of {table}.{column} point at no {target} row")


def main() -> None:
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

    today = args.today or timezone.localdate()
    anchor = timezone.make_aware(datetime.combine(today, dtime.min))  # local midnight
    rng = random.Random(args.seed)
    started = time.perf_counter()
    log(f"database {settings.DATABASES['default']['NAME']}, anchor day {today}, seed {args.seed}")

    ensure_database()
    with Step("migrate"):
        call_command("migrate", verbosity=0, interactive=False)
    # The default tiers and configuration version 1 (made on first use if missing).
    config_id = current_config().pk
    execute("SET synchronous_commit = off")
    execute("SET jit = off")  # compiling costs more than it saves on these statements
    # Skip the per-row foreign-key triggers while loading (superuser only): every key is
    # taken from rows already loaded, and check_foreign_keys() verifies them all at the end.
    execute("SET session_replication_role = replica")
    execute("SET work_mem = '256MB'")
    execute("SET maintenance_work_mem = '512MB'")
    restore_saved_indexes()
    with Step("reset (truncate accounts and dependants)"):
        reset()
        indexes = drop_secondary_indexes()
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
    with Step("check foreign keys"):
        check_foreign_keys()
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
