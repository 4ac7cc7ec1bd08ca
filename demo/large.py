"""The large demo: `manage.py seed_demo --scale large` (a 20,000-account portfolio), and
`--scale xl` (five times as much: 100,000 accounts, 5 million interactions, 60 days of health
history instead of 365).

At scale factor 1: 20,000 accounts (2 % churned) owned by 280 KAMs (and 9 leaders),
about 200,000 stakeholders, a million interactions over two years, 200,000 commitments, two
years of monthly revenue, two years of QBRs held plus the next ones planned, account plans
for the strategic, key and most growth accounts with 100,000 opportunities and their risks,
the timeline the services would have written, and 365 days of health history for every
account (7.3 million scores) plus today's, computed by the real scoring; 40,000 client
requests over the last 60 days (open, answered and resolved, in time or late, with the due
moments of each account's tier and calendar) and the shipped playbooks. The demo users
(kam@, kam2@, kam3@, leader@, admin@example.com, password "demo") are in it: each demo KAM
owns 70 accounts spread over every tier and status.

Everything is bulk-loaded by demo.bulk_load (COPY and INSERT ... SELECT over generate_series,
secondary indexes dropped and rebuilt, foreign keys checked once at the end), then the
nightly services run once as they would overnight, each timed: tiers_recompute,
health_recompute_all for today, the client requests' clocks, the revenue windows, the monthly
health rows and the accounts' rollups (the portfolio's summary rows are computed on their next
read). The data depend on the seed and the anchor day only.
`scale_factor` shrinks or grows every count (the tests load a few dozen accounts).

It replaces every account in the database (TRUNCATE ... CASCADE): the command refuses a
database whose name does not contain "bench" unless given --yes."""

from __future__ import annotations

import random
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime

from django.conf import settings
from django.utils import timezone

from accounts import services
from accounts.services import scoring_defaults_ensure
from activities.services import requests_deadlines_refresh
from demo import bulk_load
from demo.bulk_load import Step, execute
from demo.demo import _exchange_rates_seed, demo_users_seed
from insights import services as insights_services
from insights.account_rollups import account_rollups_update
from insights.playbooks import playbook_defaults_ensure
from insights.portfolio_slices import portfolio_slices_forget
from kam.dates import business_date
from kam.lookups import int_array

LARGE_COUNTS = {
    "accounts": 20_000,
    "kams": 280,
    "interactions": 1_000_000,
    "commitments": 200_000,
    "requests": 40_000,
    "opportunities": 100_000,
}
CHURNED_SHARE = 0.02
DEMO_KAM_ACCOUNTS = 70  # per demo KAM at scale factor 1
HISTORY_DAYS = 365
# seed_demo --scale: every count of LARGE_COUNTS times `factor`, with `history_days` of health
# history. At 100,000 accounts a year of history would be 36.5 million scores (about 70 GB
# with their indexes); two months keep the previous-score lookup and the monthly trend real.
SCALES = {
    "large": {"factor": 1.0, "history_days": HISTORY_DAYS},
    "xl": {"factor": 5.0, "history_days": 60},
}
PRODUCTS = 40
# 6–14 stakeholders per account, 10 on average: 200,000 at 20,000 accounts.
STAKEHOLDERS_MIN, STAKEHOLDERS_SPREAD = 6, 9
DEMO_KAMS = ["kam@example.com", "kam2@example.com", "kam3@example.com"]


def large_counts(scale_factor: float = 1.0) -> dict[str, int]:
    counts = {name: max(1, round(n * scale_factor)) for name, n in LARGE_COUNTS.items()}
    counts["kams"] = max(len(DEMO_KAMS), counts["kams"])
    counts["churned"] = round(counts["accounts"] * CHURNED_SHARE)
    # A demo KAM's book stays a real one (70 accounts) when the portfolio grows.
    counts["demo_kam_accounts"] = max(1, round(DEMO_KAM_ACCOUNTS * min(1.0, scale_factor)))
    return counts


def refuse_unless_disposable(*, yes: bool) -> None:
    name = settings.DATABASES["default"]["NAME"]
    if not yes and "bench" not in name:
        raise ValueError(
            f"seed_demo --scale large or xl replaces every account in {name!r}. Use a "
            "database whose name contains 'bench', or pass --yes."
        )


# What the load copies after the users and accounts, in order (each reads what came before).
LOAD_STEPS = [
    ("stakeholders", bulk_load.load_stakeholders),
    ("revenue records", bulk_load.load_revenue),
    ("interactions", bulk_load.load_interactions),
    ("interaction stakeholders", bulk_load.load_interaction_stakeholders),
    ("commitments", bulk_load.load_commitments),
    ("client requests", bulk_load.load_requests),
    ("satisfaction entries", bulk_load.load_satisfaction),
    ("qualitative ratings", bulk_load.load_ratings),
    ("QBRs held", bulk_load.load_qbrs),
    ("QBRs planned", bulk_load.load_planned_qbrs),
    ("account team members", bulk_load.load_account_team),
    ("products", bulk_load.load_products),
    ("account plans", bulk_load.load_plans),
    ("opportunities", bulk_load.load_opportunities),
    ("risks", bulk_load.load_risks),
    ("timeline entries", bulk_load.load_timeline),
]


def demo_large_seed(
    *,
    scale_factor: float = 1.0,
    seed: int = 42,
    today: date | None = None,
    history_days: int = HISTORY_DAYS,
    out=bulk_load.log,
) -> dict[str, int]:
    """Load the large demo; returns the row counts of what it loaded."""

    counts = large_counts(scale_factor)
    today = today or business_date()
    anchor = timezone.make_aware(datetime.combine(today, dtime.min))  # local midnight
    rng = random.Random(seed)
    started = time.perf_counter()
    Step.timings = []
    config_id = scoring_defaults_ensure().pk  # the default tiers and configuration version 1
    playbook_defaults_ensure()  # the shipped playbooks (not evaluated: the nightly job does)
    tables = bulk_load.LOADED_TABLES + bulk_load.LARGE_TABLES
    execute("SET synchronous_commit = off")
    execute("SET jit = off")  # compiling costs more than it saves on these statements
    execute("SET work_mem = '256MB'")
    execute("SET maintenance_work_mem = '512MB'")
    bulk_load.restore_saved_indexes()
    with Step("reset (truncate accounts and dependants)", out):
        bulk_load.reset()
        # TRUNCATE fires no trigger: should the load fail from here on, the dashboard's summary
        # rows of the data that is gone are not read (they are forgotten again at the end).
        portfolio_slices_forget()
        demo_users = demo_users_seed()
        # The same rates as the normal demo, so USD and EUR accounts count in BRL totals.
        _exchange_rates_seed(users=demo_users, today=today)
        indexes = bulk_load.drop_secondary_indexes(tables)
    defaults = bulk_load.set_column_defaults([*tables, "kam_user"])
    # Skip the per-row foreign-key triggers while loading (superuser only): every key is
    # taken from rows already loaded, and check_foreign_keys() verifies them all at the end.
    execute("SET session_replication_role = replica")
    try:
        with Step("users (COPY)", out):
            kam_ids = bulk_load.load_users(rng, counts["kams"], anchor)
        with Step("accounts (COPY)", out):
            scored = counts["accounts"] - counts["churned"]
            bulk_load.load_accounts(rng, scored, counts["churned"], kam_ids, today, anchor)
            _assign_demo_kams(
                [demo_users[email].pk for email in DEMO_KAMS], counts["demo_kam_accounts"]
            )
        bulk_load.define_helpers(seed)
        params = _load_params(
            counts,
            today=today,
            anchor=anchor,
            history_days=history_days,
            config_id=config_id,
        )
        loaded = {"users": len(kam_ids), "accounts": counts["accounts"]}
        for name, load in [
            *LOAD_STEPS,
            (f"health scores ({history_days} days)", bulk_load.load_history),
        ]:
            with Step(name, out):
                loaded[name] = load(params)
        with Step("accounts.last_touch_at", out):
            bulk_load.load_last_touch()
        with Step(f"recreate {len(indexes)} indexes and unique constraints", out):
            bulk_load.recreate_indexes(indexes)
    finally:
        execute("SET session_replication_role = DEFAULT")
        bulk_load.drop_column_defaults(defaults)
    with Step("check foreign keys", out):
        bulk_load.check_foreign_keys(tables)
    with Step("accounts: latest health score", out):
        bulk_load.load_health_latest(today - timedelta(days=1))
    _nightly(today, out)
    # Last, so that the visibility map is set after the nightly updates (index-only scans).
    with Step("VACUUM ANALYZE", out):
        for table in [*tables, "accounts_healthmonth"]:
            execute(f"VACUUM ANALYZE {table}")
    execute("RESET ALL")
    out(f"total: {time.perf_counter() - started:.1f} s")
    return loaded


def _load_params(
    counts: dict, *, today: date, anchor: datetime, history_days: int, config_id: int
) -> dict:
    """The parameters every SQL load step reads (bulk_load)."""
    return {
        "today": today,
        "anchor": anchor,
        "tz": settings.TIME_ZONE,
        "accounts": counts["accounts"],
        "interactions": counts["interactions"],
        "commitments": counts["commitments"],
        "requests": counts["requests"],
        "opportunities": counts["opportunities"],
        "products": PRODUCTS,
        "history_days": history_days,
        "history_churned": True,
        "stakeholders_min": STAKEHOLDERS_MIN,
        "stakeholders_spread": STAKEHOLDERS_SPREAD,
        "config_id": config_id,
    }


def _assign_demo_kams(user_ids: list[int], per_kam: int) -> None:
    """Hand each demo KAM `per_kam` accounts spread evenly over the load (so over every
    tier, status and size), taken from the generated KAMs."""
    total = bulk_load.scalar("SELECT count(*) FROM accounts_account")
    stride = max(len(user_ids), total // per_kam)
    execute(
        """
        UPDATE accounts_account a SET owner_id = d.user_id
        FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM accounts_account) r,
             unnest(%s::bigint[]) WITH ORDINALITY AS d (user_id, k)
        WHERE a.id = r.id AND r.n %% %s = (d.k - 1) * (%s / %s) AND r.n < %s * %s
        """,
        [int_array(user_ids), stride, stride, len(user_ids), per_kam, stride],
    )


def _nightly(today: date, out) -> None:
    """What the nightly jobs leave behind, computed by the same services, each timed."""

    with Step("nightly: ANALYZE", out):
        execute("ANALYZE")  # the services' queries need statistics of the loaded tables
    with Step("nightly: tiers", out):
        insights_services.tiers_recompute(day=today)
    # Today's scores from the real inputs, so the latest explanations, movers and band drops
    # are what the app computes (the history before today is synthetic).
    with Step("nightly: today's health", out):
        insights_services.health_recompute_all(day=today)
    # Every request's clocks (the stopped ones too: the loader only set calendar hours) in
    # business hours of the account's calendar with its tier's targets, as request_create sets
    # them; the loaded answer and resolution moments then fall before or after them.
    with Step("nightly: client request clocks", out):
        requests_deadlines_refresh(stopped=True)
    with Step("nightly: revenue windows", out):
        services.account_revenue_refresh(day=today)
    with Step("nightly: monthly health", out):
        insights_services.health_months_rebuild()
    # The accounts' open opportunities, earliest open commitment and QBR due date, which the
    # lists filter on (the loaded rows marked nothing, the triggers being off).
    with Step("nightly: account rollups", out):
        account_rollups_update()
    # The load ran with the triggers off (and TRUNCATE fires none): the dashboard's summary
    # rows are computed again in full on their next read.
    portfolio_slices_forget()
