"""Health scoring and tiering runs: they read every app, so they live above them. Exchange
rates are written here too: a new or deleted rate resets the portfolio dashboard's cache, which
is this app's (accounts, below, cannot reach it)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

import orjson
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import (
    BAND_ORDER,
    Account,
    ExchangeRate,
    HealthScore,
    RevenueRecord,
    ScoringConfig,
    TierChange,
)
from accounts.revenue import windows
from accounts.scoring import compute_health, health_movers, recommend_tiers
from accounts.services import scoring_defaults_ensure
from activities.models import Notification
from activities.services import notifications_send, requests_deadlines_refresh
from insights.health_inputs import (
    account_rows,
    health_config,
    health_inputs,
    tier_config,
    tier_inputs,
    tiers_by_key,
)
from insights.portfolio import portfolio_cache_reset
from kam.audit import Action, audit_record, created, snapshot
from kam.bulk import documents, record, rows_updated, typed_rows
from kam.dates import business_date
from kam.lookups import InArray, int_array
from kam.models import AuditEvent
from kam.outbox import outbox_enqueue
from kam.runtime import gc_paused

# Chunks scored at once by the command and the button. A chunk spends about half its time in
# PostgreSQL, so two threads keep a 2-core machine busy: one computes in Python while the
# other's statements run (psycopg2 releases the GIL while it waits). bench/README.md.
HEALTH_THREADS = 2
HEALTH_CHUNK_SIZE = 1000


@transaction.atomic
def exchange_rate_set(*, actor, currency: str, rate: Decimal, valid_from: date) -> ExchangeRate:
    """A currency's rate from a day on (one per currency and day: the model's constraint)."""
    exchange_rate = ExchangeRate(currency=currency, rate=rate, valid_from=valid_from, set_by=actor)
    exchange_rate.full_clean()
    exchange_rate.save()
    _audit_rate(exchange_rate, actor, Action.CREATED, created(snapshot(exchange_rate, RATE_FIELDS)))
    # The dashboard converts with the new rate at once (after the commit: a rolled-back rate
    # must not be cached either).
    transaction.on_commit(portfolio_cache_reset)
    return exchange_rate


@transaction.atomic
def exchange_rate_delete(*, actor, exchange_rate: ExchangeRate) -> None:
    before = snapshot(exchange_rate, RATE_FIELDS)
    _audit_rate(
        exchange_rate,
        actor,
        Action.DELETED,
        {name: [text, None] for name, [_none, text] in created(before).items()},
    )
    exchange_rate.delete()
    transaction.on_commit(portfolio_cache_reset)


RATE_FIELDS = ("currency", "rate", "valid_from")


def _audit_rate(exchange_rate: ExchangeRate, actor, action: str, changes: dict) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="exchange_rate",
        object_id=exchange_rate.pk,
        label=str(exchange_rate),
        changes=changes,
    )


def _check_day(day: date) -> None:
    if day > business_date():
        raise ValidationError({"day": _("A score cannot be computed for a future date.")})


@transaction.atomic
@gc_paused()
def health_recompute(
    *, account_ids: list[int], day: date, config: ScoringConfig | None = None
) -> int:
    """Score one chunk of accounts for `day`: one row per (account, day), updated in place on a
    rerun, so reruns and concurrent workers never duplicate. Returns the rows written."""

    _check_day(day)
    config = config or scoring_defaults_ensure()
    rules = health_config(config)
    accounts = account_rows(account_ids)
    inputs = health_inputs(account_ids, day, accounts)
    previous = {row[0]: row[1:] for row in _latest_scores_before(account_ids, day)}
    owners = {pk: owner_id for pk, (*_inputs, owner_id, _band) in accounts.items()}
    now = timezone.now()
    # Notices speak of the account as it is: only today's scoring sends them and copies the
    # score to the account row (a backfill of past days is history, not news).
    newest = day == business_date()
    rows, drops = [], []
    for account_id, account_inputs in inputs.items():
        result = compute_health(account_inputs, rules)
        before_score = before_band = before_components = None
        if account_id in previous:
            before_score, before_band, keys, scores = previous[account_id]
            before_components = dict(zip(orjson.loads(keys), orjson.loads(scores), strict=True))
        rows.append(
            {
                "account_id": account_id,
                "score": result.score,
                "band": result.band,
                "components": [c.as_dict() for c in result.components],
                "previous_score": before_score,
                "movers": health_movers(result, before_components),
            }
        )
        if (
            newest
            and before_band
            and BAND_ORDER[result.band] < BAND_ORDER[before_band]
            and result.band != "unknown"
        ):
            drops.append(
                Notification(
                    user_id=owners[account_id],
                    account_id=account_id,
                    kind=Notification.Kind.HEALTH_BAND_DROP,
                    params={"from": before_band, "to": result.band, "score": result.score},
                    day=day,
                )
            )
    _health_scores_upsert(rows, day=day, config=config, computed_at=now)
    _next_previous_scores_update(account_ids, day=day)
    _health_months_upsert(rows, day=day, newest=newest)
    if newest:
        notifications_send(notices=drops + _health_notices_settle(rows, owners, day=day, now=now))
        # The list and filters read the latest score from the account row.
        _account_health_update(rows)
        # A band that changed can start or end a playbook episode: evaluated for those
        # accounts right away (insights.playbooks), not only at night.
        stored = {pk: band for pk, (*_inputs, band) in accounts.items()}
        moved = [row["account_id"] for row in rows if stored[row["account_id"]] != row["band"]]
        if moved:
            outbox_enqueue("insights.tasks.playbooks_evaluate_accounts", moved)
    return len(rows)


def _health_notices_settle(rows: list[dict], owners: dict, *, day: date, now) -> list:
    """The health drop notices not yet resolved whose words today's scores contradict: the
    account now scores in a better band than the notice says. They carry the score and band it
    has now ("now watch, 65"); back in the healthy band they are resolved (the page greys them:
    "since recovered") and the owner gets a recovery notice (returned, for
    notifications_send). One query and one update for the chunk."""
    scored = {row["account_id"]: row for row in rows if row["band"] != "unknown"}
    open_drops = list(
        Notification.objects.select_for_update().filter(
            InArray(F("account_id"), list(scored)),
            kind=Notification.Kind.HEALTH_BAND_DROP,
            resolved_at=None,
        )
    )
    settled, recovered = [], {}
    for notice in open_drops:
        row = scored[notice.account_id]
        if BAND_ORDER[row["band"]] <= BAND_ORDER.get(notice.params.get("to"), 0):
            continue  # still as bad as the notice says (or worse: a new drop refreshes it)
        notice.params = {**notice.params, "now_score": row["score"], "now_band": row["band"]}
        if row["band"] == "healthy":
            notice.resolved_at = now
            recovered.setdefault(notice.account_id, notice.params.get("to"))
        settled.append(notice)
    rows_updated(Notification, settled, ["resolved_at", "params"])
    return [
        Notification(
            user_id=owners[account_id],
            account_id=account_id,
            kind=Notification.Kind.HEALTH_RECOVERED,
            params={"from": was, "to": "healthy", "score": scored[account_id]["score"]},
            day=day,
        )
        for account_id, was in recovered.items()
    ]


def _latest_scores_before(account_ids: list[int], day: date) -> list[tuple]:
    """Each account's latest score before `day`: (account, score, band, its component keys,
    their scores), the last two as JSON arrays in text for orjson.

    One index probe per account on (account, day), whose row is read where the probe finds it
    (a LATERAL join: a subquery of the ids, then the rows by primary key, took two lookups an
    account, 28-29 ms a chunk of 1,000 at 100,000 accounts against 15-19); a DISTINCT ON over
    the chunk would read and sort every earlier score of every account, so its cost grew with
    each day of history. The two small arrays replace decoding each stored explanation in
    full, and orjson reads them in a fraction of the time Django's JSONField (the standard
    library's json) took."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.account_id, x.score, x.band,
                   jsonb_path_query_array(x.components, '$[*].key')::text,
                   jsonb_path_query_array(x.components, '$[*].score')::text
            FROM unnest(%(ids)s::bigint[]) AS a (account_id)
            CROSS JOIN LATERAL (
                SELECT x.score, x.band, x.components FROM accounts_healthscore AS x
                WHERE x.account_id = a.account_id AND x.day < %(day)s
                ORDER BY x.day DESC LIMIT 1
            ) AS x
            """,
            {"ids": int_array(account_ids), "day": day},
        )
        return cursor.fetchall()


def _health_scores_upsert(rows: list[dict], *, day: date, config, computed_at) -> None:
    """Insert the chunk's scores, or update them in place on a rerun (what
    bulk_create(update_conflicts=True) on (account, day) does), sending each row as a JSON
    document (kam.bulk) instead of building a model instance and ten parameters per row. orjson
    writes them: the standard library's json.dumps took as long as scoring the accounts (18 ms
    a chunk of 1,000 against 3, bench/README.md, "Nightly health at 100,000 accounts"; orjson
    given the ComponentScore dataclasses instead of their dicts was no faster)."""
    columns = record(
        [
            HealthScore._meta.get_field(name)
            for name in ("account", "score", "band", "components", "previous_score", "movers")
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO accounts_healthscore
                (account_id, day, score, band, components, previous_score, movers, config_id,
                 computed_at)
            SELECT r.account_id, %(day)s, r.score, r.band, r.components, r.previous_score,
                   r.movers, %(config)s, %(computed_at)s
            FROM {typed_rows(columns, "%(rows)s")}
            ON CONFLICT (account_id, day) DO UPDATE SET
                score = EXCLUDED.score,
                band = EXCLUDED.band,
                components = EXCLUDED.components,
                previous_score = EXCLUDED.previous_score,
                movers = EXCLUDED.movers,
                config_id = EXCLUDED.config_id,
                computed_at = EXCLUDED.computed_at
            """,  # noqa: S608 - the FROM items are kam.bulk's, values as parameters  # nosec B608
            {
                "day": day,
                "config": config.pk,
                "computed_at": computed_at,
                "rows": documents(rows),
            },
        )


def _next_previous_scores_update(account_ids: list[int], *, day: date) -> None:
    """Scoring an earlier day (a backfill, `recompute_health --date`) changes the score the
    next scored day counts its change from: that row's previous score follows, so the card's
    change is always the difference of the two scores the history shows (HealthScore.change).
    The nightly run scores the newest day: there is no later row and nothing changes. It still
    looks, each account's next scored day first (one index probe per account for its first
    later row, materialized so nothing else runs when there is none: 2.4–2.8 ms a chunk of
    1,000 at 100,000 accounts, where starting from the day's rows took 6.5; a backfill reads
    one later row per account, 18–29 ms, not every later day): a run that began before midnight
    can still be scoring its day when the next day's scores exist."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH later AS MATERIALIZED (
                SELECT a.account_id, x.id
                FROM unnest(%(ids)s::bigint[]) AS a (account_id)
                CROSS JOIN LATERAL (
                    SELECT x.id FROM accounts_healthscore AS x
                    WHERE x.account_id = a.account_id AND x.day > %(day)s
                    ORDER BY x.day LIMIT 1
                ) AS x
            )
            UPDATE accounts_healthscore AS n SET previous_score = d.score
            FROM later, accounts_healthscore AS d
            WHERE n.id = later.id
              AND d.account_id = later.account_id AND d.day = %(day)s
              AND n.previous_score IS DISTINCT FROM d.score
            """,
            {"day": day, "ids": int_array(account_ids)},
        )


# pg_advisory_xact_lock key space (two int4 keys) of the month rows: (this, the month's ordinal).
HEALTH_MONTH_LOCK = 0x4B4D4D  # "KMM"


def _health_months_upsert(rows: list[dict], *, day: date, newest: bool) -> None:
    """Each account's month row takes `day`'s score and band unless a later day of the month is
    scored already (a backfill leaves the later day's row alone), and only where they differ
    from the row's: most nights most scores are yesterday's (at 100,000 accounts a chunk's
    statement 17-19 ms when it rewrote every row, 7 when it writes none). The stored row and
    the later days are one index probe per account each, the row's as a subquery in the WHERE:
    as a LEFT JOIN, at 20,000 accounts PostgreSQL hashed every row of the month for each chunk
    (39-58 ms a chunk against 5-9; at 100,000 it already probed).

    The statement sees what was committed when it began, so two days of one month scored at
    once (a backfill during the night's run) could each miss the other's scores and leave the
    earlier day's score on the row. A lock on the month orders them: the newest day's chunks
    share it, any other day's take it alone and wait for those chunks to commit (or make them
    wait), so whichever writes second sees the other's rows."""
    month = day.replace(day=1)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock_shared(%s, %s)"
            if newest
            else "SELECT pg_advisory_xact_lock(%s, %s)",
            [HEALTH_MONTH_LOCK, month.toordinal()],
        )
        cursor.execute(
            """
            INSERT INTO accounts_healthmonth AS m (account_id, month, score, band)
            SELECT v.id, %(month)s, v.score, v.band
            FROM unnest(%(ids)s::bigint[], %(scores)s::smallint[], %(bands)s::varchar[])
                AS v (id, score, band)
            WHERE (
                SELECT (stored.score, stored.band) FROM accounts_healthmonth AS stored
                WHERE stored.account_id = v.id AND stored.month = %(month)s
              ) IS DISTINCT FROM (v.score, v.band)
              AND NOT EXISTS (
                SELECT FROM accounts_healthscore AS later
                WHERE later.account_id = v.id
                  AND later.day > %(day)s AND later.day < %(next_month)s
              )
            ON CONFLICT (account_id, month) DO UPDATE
                SET score = EXCLUDED.score, band = EXCLUDED.band
            """,
            {
                "month": month,
                "next_month": (month + timedelta(days=32)).replace(day=1),
                "day": day,
                "ids": int_array(row["account_id"] for row in rows),
                "scores": int_array(row["score"] for row in rows),
                "bands": [row["band"] for row in rows],
            },
        )


@transaction.atomic
def health_months_rebuild() -> int:
    """Rebuild every month row from the daily scores (after a bulk load or a restore that
    wrote HealthScore directly). One statement; returns the rows written."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_healthmonth")
        cursor.execute(
            """
            INSERT INTO accounts_healthmonth (account_id, month, score, band)
            SELECT DISTINCT ON (account_id, date_trunc('month', day))
                   account_id, date_trunc('month', day)::date, score, band
            FROM accounts_healthscore
            ORDER BY account_id, date_trunc('month', day), day DESC
            """
        )
        return cursor.rowcount


def _account_health_update(rows: list[dict]) -> None:
    """Copy the scores to their accounts in one UPDATE from three arrays, skipping unchanged
    rows; bulk_update would build a CASE WHEN per account and field, slow in Python and in
    PostgreSQL alike. The ids once more as `= ANY` let PostgreSQL fetch the chunk's accounts by
    their primary key: joined to the arrays alone, at 20,000 accounts it hashed every account
    of the table for each chunk (a sequential scan; the statement 56-69 ms a chunk against
    13-25; at 100,000 it already probed)."""
    ids = int_array(row["account_id"] for row in rows)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE accounts_account AS a SET health_score = v.score, health_band = v.band
            FROM unnest(%s::bigint[], %s::smallint[], %s::varchar[]) AS v (id, score, band)
            WHERE a.id = v.id AND a.id = ANY(%s::bigint[])
              AND (a.health_score, a.health_band) IS DISTINCT FROM (v.score, v.band)
            """,
            [ids, int_array(row["score"] for row in rows), [row["band"] for row in rows], ids],
        )


def account_id_chunks(
    *, account_id: int | None = None, chunk_size: int = HEALTH_CHUNK_SIZE
) -> list[list[int]]:
    ids = list(
        Account.objects.live().order_by("pk").values_list("pk", flat=True)
        if account_id is None
        else Account.objects.filter(pk=account_id).values_list("pk", flat=True)
    )
    return [ids[i : i + chunk_size] for i in range(0, len(ids), chunk_size)]


def health_recompute_all(
    *, day: date, account_id: int | None = None, threads: int = HEALTH_THREADS
) -> int:
    """Every chunk in this process (the command and the button); the nightly job fans the same
    chunks out to workers instead. Chunks are shared by `threads` threads, each on its own
    database connection; inside a caller's transaction (which other connections cannot see)
    they run one after the other on the caller's connection."""
    _check_day(day)
    config = scoring_defaults_ensure()
    chunks = account_id_chunks(account_id=account_id)
    if threads <= 1 or len(chunks) <= 1 or connection.in_atomic_block:
        return sum(health_recompute(account_ids=chunk, day=day, config=config) for chunk in chunks)

    def score(share: list[list[int]]) -> int:
        try:
            return sum(
                health_recompute(account_ids=chunk, day=day, config=config) for chunk in share
            )
        finally:
            connection.close()  # this thread's connection, opened by its first chunk

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return sum(pool.map(score, [chunks[i::threads] for i in range(threads)]))


@transaction.atomic
def tiers_recompute(*, day: date | None = None) -> dict[str, int]:
    """Pareto class, tier score and recommended tier for every account. An account without a
    tier takes the recommendation; otherwise a mismatch waits on the Tier review page.

    The revenue criteria look at the 12 months up to `day` (default today); when the whole
    portfolio has no revenue in them but has some before (an imported history, such as the
    Maven data set's 2017 deals), the window ends on the last day with revenue instead, and
    `as_of` in the result says so: otherwise every account would be a C with no revenue."""
    day = tiering_day(day or business_date())
    config = scoring_defaults_ensure()
    results = recommend_tiers(tier_inputs(day), tier_config(config))
    tiers = tiers_by_key()
    now = timezone.now()
    accounts = Account.objects.filter(InArray(F("pk"), results.keys())).only(
        "pk", "tier_id", "recommended_tier_id", "recommendation_reviewed"
    )
    changed, initial, changes = [], 0, []
    for account in accounts:
        result = results[account.pk]
        recommended = tiers.get(result.tier)
        if recommended is None:
            continue
        if account.recommended_tier_id != recommended.pk:
            account.recommendation_reviewed = False
        account.pareto_class = result.pareto_class
        account.tier_score = result.score
        account.recommended_tier_id = recommended.pk
        account.recommendation_config_id = config.pk
        if account.tier_id is None:
            account.tier_id = recommended.pk
            account.recommendation_reviewed = True
            initial += 1
            changes.append(
                TierChange(
                    account_id=account.pk,
                    from_tier=None,
                    to_tier=recommended,
                    recommended_tier=recommended,
                    source=TierChange.Source.INITIAL,
                    config=config,
                    changed_at=now,
                )
            )
        changed.append(account)
    rewritten = _accounts_tier_update(changed, config=config, recommended_at=now)
    if changes:
        # Open client requests of accounts that just got their first tier follow its targets.
        requests_deadlines_refresh(account_ids=[change.account_id for change in changes])
    TierChange.objects.bulk_create(changes)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                at=now,
                action=Action.TIER,
                object_type="account",
                object_id=change.account_id,
                account_id=change.account_id,
                changes={"tier": [None, change.to_tier.name], "source": [None, change.source]},
            )
            for change in changes
        ],
        batch_size=1000,
    )
    mismatches = sum(
        1 for a in changed if a.tier_id != a.recommended_tier_id and not a.recommendation_reviewed
    )
    return {
        "accounts": len(changed),
        "rewritten": rewritten,
        "initial": initial,
        "mismatches": mismatches,
        "as_of": day.isoformat(),
    }


def tiering_day(day: date) -> date:
    """`day`, or the last day with revenue when the portfolio has none in the 12 months to
    `day` (accounts.revenue.windows)."""
    last = (
        RevenueRecord.objects.filter(booked_on__lte=day)
        .order_by("-booked_on")
        .values_list("booked_on", flat=True)
        .first()
    )
    if last is not None and not windows(day).last.contains(last):
        return last
    return day


def _accounts_tier_update(accounts: list[Account], *, config, recommended_at) -> int:
    """Write the recommendation fields of every account in one UPDATE from arrays:
    bulk_update's CASE WHEN per account and field took minutes at 100,000 accounts
    (bench/README.md). Accounts whose recommendation is unchanged are not rewritten (their
    `recommended_at` stays the moment it last changed): rewriting every account every night
    left the table two versions of each row larger for every statement that reads it whole, and
    marked every summary row for nothing. Returns the accounts rewritten."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE accounts_account AS a
            SET pareto_class = v.pareto_class,
                tier_score = v.tier_score,
                recommended_tier_id = v.recommended_tier_id,
                recommendation_config_id = %s,
                recommended_at = %s,
                recommendation_reviewed = v.reviewed,
                tier_id = v.tier_id
            FROM unnest(%s::bigint[], %s::varchar[], %s::smallint[], %s::bigint[], %s::boolean[],
                        %s::bigint[])
                AS v (id, pareto_class, tier_score, recommended_tier_id, reviewed, tier_id)
            WHERE a.id = v.id
              AND (a.pareto_class, a.tier_score, a.recommended_tier_id,
                   a.recommendation_config_id, a.recommendation_reviewed, a.tier_id)
                  IS DISTINCT FROM
                  (v.pareto_class, v.tier_score, v.recommended_tier_id, %s, v.reviewed, v.tier_id)
            """,
            [
                config.pk,
                recommended_at,
                int_array(a.pk for a in accounts),
                [a.pareto_class for a in accounts],
                int_array(a.tier_score for a in accounts),
                int_array(a.recommended_tier_id for a in accounts),
                [a.recommendation_reviewed for a in accounts],
                int_array(a.tier_id for a in accounts),
                config.pk,
            ],
        )
        return cursor.rowcount
