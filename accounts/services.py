"""Writes that touch several rows or have side effects (STYLE.md). Each validates the same
rules as the forms, so the API and the importer get them too."""

import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Func, JSONField, OuterRef, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.defaults import DEFAULT_TIERS
from accounts.models import (
    BAND_ORDER,
    Account,
    HealthScore,
    Milestone,
    QualitativeRating,
    RevenueRecord,
    SatisfactionEntry,
    ScoringConfig,
    Stakeholder,
    Tier,
    TierChange,
)
from accounts.scoring import (
    DEFAULT_HEALTH_WEIGHTS,
    DEFAULT_TIER_WEIGHTS,
    compute_health,
    health_movers,
    recommend_tiers,
)
from accounts.scoring_inputs import (
    InArray,
    current_config,
    health_config,
    health_inputs,
    tier_config,
    tier_inputs,
    tiers_by_key,
)
from activities.models import TimelineKind
from activities.timeline import timeline_record
from kam.audit import Action, as_text, audit_record, changes_between, created, snapshot
from kam.models import AuditEvent
from kam.validation import clean_row


class StaleEdit(Exception):
    """Someone saved the row after this edit was opened; nothing was written."""

    def __init__(self, current):
        super().__init__("stale edit")
        self.current = current


def _check_reports_to(stakeholder: Stakeholder) -> None:
    manager = stakeholder.reports_to
    if manager is None:
        return
    if manager.account_id != stakeholder.account_id:
        raise ValidationError({"reports_to": _("Choose someone from this account.")})
    seen = {stakeholder.pk} if stakeholder.pk else set()
    while manager is not None:
        if manager.pk in seen:
            raise ValidationError(
                {"reports_to": _("This would make a reporting loop: %(name)s already reports "
                                 "to this person.") % {"name": stakeholder.reports_to.name}}
            )  # fmt: skip
        seen.add(manager.pk)
        manager = manager.reports_to


def _check_left_on(stakeholder: Stakeholder) -> None:
    if stakeholder.left_on and stakeholder.left_on > timezone.localdate():
        raise ValidationError({"left_on": _("The departure date cannot be in the future.")})


@transaction.atomic
def stakeholder_create(*, account: Account, actor, **fields) -> Stakeholder:
    stakeholder = Stakeholder(account=account, **fields)
    _check_reports_to(stakeholder)
    _check_left_on(stakeholder)
    clean_row(stakeholder)
    stakeholder.save()
    _audit_stakeholder(stakeholder, actor, Action.CREATED, created(snapshot(stakeholder, fields)))
    timeline_record(
        account=account,
        kind=TimelineKind.STAKEHOLDER_JOINED,
        occurred_at=timezone.now(),
        actor=actor,
        stakeholder=stakeholder,
    )
    if stakeholder.left_on:
        _record_departure(stakeholder, actor)
    return stakeholder


@transaction.atomic
def stakeholder_update(*, stakeholder: Stakeholder, actor, **fields) -> Stakeholder:
    locked = Stakeholder.objects.select_for_update().get(pk=stakeholder.pk)
    was_active = locked.left_on is None
    before = snapshot(locked, fields)
    for name, value in fields.items():
        setattr(locked, name, value)
    _check_reports_to(locked)
    _check_left_on(locked)
    clean_row(locked)
    locked.save()
    if changes := changes_between(before, snapshot(locked, fields)):
        _audit_stakeholder(locked, actor, Action.UPDATED, changes)
    if was_active and locked.left_on is not None:
        _record_departure(locked, actor)
    return locked


def _audit_stakeholder(stakeholder: Stakeholder, actor, action: str, changes: dict) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="stakeholder",
        object_id=stakeholder.pk,
        label=stakeholder.name,
        account_id=stakeholder.account_id,
        changes=changes,
    )


def stakeholder_mark_left(*, stakeholder: Stakeholder, left_on: date, actor) -> Stakeholder:
    return stakeholder_update(stakeholder=stakeholder, actor=actor, left_on=left_on)


def _record_departure(stakeholder: Stakeholder, actor) -> None:
    occurred_at = timezone.make_aware(
        timezone.datetime.combine(stakeholder.left_on, timezone.datetime.min.time())
    )
    timeline_record(
        account=stakeholder.account,
        kind=TimelineKind.STAKEHOLDER_LEFT,
        occurred_at=max(occurred_at, stakeholder.created_at or occurred_at),
        actor=actor,
        stakeholder=stakeholder,
    )


@transaction.atomic
def account_create(*, actor, team=(), **fields) -> Account:
    account = Account(**fields)
    account.full_clean()
    account.save()
    account.team.set(team)
    changes = created(snapshot(account, fields))
    if team:
        changes["team"] = [None, as_team_text(team)]
    _audit_account(account, actor, Action.CREATED, changes)
    return account


def as_team_text(team) -> str:
    return ", ".join(sorted(str(member) for member in team))


def _audit_account(account: Account, actor, action: str, changes: dict) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="account",
        object_id=account.pk,
        label=account.name,
        account_id=account.pk,
        changes=changes,
    )


@transaction.atomic
def account_update(
    *, account: Account, expected_version: int, actor, team=None, **fields
) -> Account:
    """Save only if nobody saved since `expected_version` was read; else raise StaleEdit
    carrying the row as it is now, so the user sees the other change and loses nothing."""
    if "parent" in fields:
        _check_parent(account, fields["parent"])
    before = snapshot(account, fields)
    team_before = as_team_text(account.team.all()) if team is not None else None
    for name, value in fields.items():
        setattr(account, name, value)
    account.full_clean()
    updated = Account.objects.filter(pk=account.pk, version=expected_version).update(
        **fields, version=F("version") + 1, updated_at=timezone.now()
    )
    if not updated:
        raise StaleEdit(Account.objects.select_related("owner").get(pk=account.pk))
    if team is not None:
        account.team.set(team)
    account.refresh_from_db()
    changes = changes_between(before, snapshot(account, fields))
    if team is not None and team_before != (team_after := as_team_text(team)):
        changes["team"] = [team_before, team_after]
    if changes:
        _audit_account(account, actor, Action.UPDATED, changes)
    return account


def _check_parent(account: Account, parent: Account | None) -> None:
    seen = {account.pk}
    while parent is not None:
        if parent.pk in seen:
            raise ValidationError({"parent": _("An account cannot be its own parent or ancestor.")})
        seen.add(parent.pk)
        parent = parent.parent


@transaction.atomic
def milestone_create(
    *, account: Account, actor, happened_on: date, title: str, description: str = ""
) -> Milestone:
    milestone = Milestone(
        account=account,
        happened_on=happened_on,
        title=title,
        description=description,
        created_by=actor,
    )
    clean_row(milestone)
    milestone.save()
    timeline_record(
        account=account,
        kind=TimelineKind.MILESTONE,
        occurred_at=timezone.make_aware(
            timezone.datetime.combine(happened_on, timezone.datetime.min.time())
        ),
        actor=actor,
        milestone=milestone,
    )
    return milestone


def rating_set(*, account: Account, actor, criterion: str, score: int) -> QualitativeRating:
    rating = QualitativeRating(account=account, criterion=criterion, score=score, set_by=actor)
    clean_row(rating)
    rating.save()
    return rating


# ---------------------------------------------------------------------------------------------
# Tiering and health


HEALTH_CHUNK_SIZE = 1000
# Chunks scored at once by the command and the button. A chunk spends about half its time in
# PostgreSQL, so two threads keep a 2-core machine busy: one computes in Python while the
# other's statements run (psycopg2 releases the GIL while it waits). bench/README.md.
HEALTH_THREADS = 2


@transaction.atomic
def scoring_defaults_ensure() -> ScoringConfig:
    """Create the default tiers and configuration version 1 if there is no configuration yet
    (a new installation, or a test database that was flushed). Idempotent."""
    existing = ScoringConfig.objects.order_by("-version").first()
    if existing is not None:
        return existing
    for key, name, rank, min_score, touch, qbr, sla, max_accounts, sponsor in DEFAULT_TIERS:
        Tier.objects.get_or_create(
            key=key,
            defaults={
                "name": name,
                "rank": rank,
                "min_score": min_score,
                "touch_cadence_days": touch,
                "qbr_cadence_days": qbr,
                "response_sla_hours": sla,
                "max_accounts_per_kam": max_accounts,
                "exec_sponsor_required": sponsor,
            },
        )
    config, _created = ScoringConfig.objects.get_or_create(
        version=1,
        defaults={
            "health_weights": dict(DEFAULT_HEALTH_WEIGHTS),
            "tier_weights": dict(DEFAULT_TIER_WEIGHTS),
            "tiers": [tier.policy() for tier in Tier.objects.order_by("rank")],
        },
    )
    return config


def _check_day(day: date) -> None:
    if day > timezone.localdate():
        raise ValidationError({"day": _("A score cannot be computed for a future date.")})


@transaction.atomic
def health_recompute(
    *, account_ids: list[int], day: date, config: ScoringConfig | None = None
) -> int:
    """Score one chunk of accounts for `day`: one row per (account, day), updated in place on a
    rerun, so reruns and concurrent workers never duplicate. Returns the rows written."""
    from activities.models import Notification

    _check_day(day)
    config = config or current_config()
    rules = health_config(config)
    inputs = health_inputs(account_ids, day)
    previous = {row["account_id"]: row for row in _latest_scores_before(account_ids, day)}
    owners = dict(
        Account.objects.filter(InArray(F("pk"), account_ids)).values_list("pk", "owner_id")
    )
    now = timezone.now()
    rows, drops = [], []
    for account_id, account_inputs in inputs.items():
        result = compute_health(account_inputs, rules)
        before = previous.get(account_id)
        before_components = (
            dict(zip(before["keys"], before["scores"], strict=True)) if before else None
        )
        rows.append(
            {
                "account_id": account_id,
                "score": result.score,
                "band": result.band,
                "components": [c.as_dict() for c in result.components],
                "previous_score": before["score"] if before else None,
                "movers": health_movers(result, before_components),
            }
        )
        if (
            before
            and BAND_ORDER[result.band] < BAND_ORDER[before["band"]]
            and result.band != "unknown"
        ):
            drops.append(
                Notification(
                    user_id=owners[account_id],
                    account_id=account_id,
                    kind=Notification.Kind.HEALTH_BAND_DROP,
                    params={"from": before["band"], "to": result.band, "score": result.score},
                    day=day,
                )
            )
    _health_scores_upsert(rows, day=day, config=config, computed_at=now)
    _health_months_upsert(rows, day=day)
    Notification.objects.bulk_create(drops, ignore_conflicts=True)
    if day == timezone.localdate():
        # The list and filters read the latest score from the account row.
        _account_health_update(rows)
    return len(rows)


# A chunk is read and written in a constant number of statements. The helpers below replace
# ORM calls (DISTINCT ON, bulk_create, bulk_update) that made up most of a chunk's time at
# 100,000 accounts, in Python or in PostgreSQL (measurements in bench/README.md).


def _latest_scores_before(account_ids: list[int], day: date):
    """Each account's latest score before `day`, with its component keys and scores only.

    One index probe per account on (account, day): a DISTINCT ON over the chunk would read
    and sort every earlier score of every account, so its cost grew with each day of history.
    The two small arrays replace decoding each stored explanation in full."""
    latest = (
        HealthScore.objects.filter(account_id=OuterRef("pk"), day__lt=day)
        .order_by("-day")
        .values("pk")[:1]
    )
    return HealthScore.objects.filter(
        pk__in=Account.objects.filter(InArray(F("pk"), account_ids)).values(latest=Subquery(latest))
    ).values(
        "account_id",
        "score",
        "band",
        keys=_json_path_array("components", "$[*].key"),
        scores=_json_path_array("components", "$[*].score"),
    )


def _json_path_array(field: str, path: str) -> Func:
    return Func(F(field), Value(path), function="jsonb_path_query_array", output_field=JSONField())


def _health_scores_upsert(rows: list[dict], *, day: date, config, computed_at) -> None:
    """Insert the chunk's scores, or update them in place on a rerun (what
    bulk_create(update_conflicts=True) on (account, day) does), sending the rows as one JSON
    document instead of building a model instance and ten parameters per row."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO accounts_healthscore
                (account_id, day, score, band, components, previous_score, movers, config_id,
                 computed_at)
            SELECT r.account_id, %(day)s, r.score, r.band, r.components, r.previous_score,
                   r.movers, %(config)s, %(computed_at)s
            FROM jsonb_to_recordset(%(rows)s::jsonb) AS r (
                account_id bigint, score smallint, band varchar, components jsonb,
                previous_score smallint, movers jsonb)
            ON CONFLICT (account_id, day) DO UPDATE SET
                score = EXCLUDED.score,
                band = EXCLUDED.band,
                components = EXCLUDED.components,
                previous_score = EXCLUDED.previous_score,
                movers = EXCLUDED.movers,
                config_id = EXCLUDED.config_id,
                computed_at = EXCLUDED.computed_at
            """,
            {
                "day": day,
                "config": config.pk,
                "computed_at": computed_at,
                "rows": json.dumps(rows, separators=(",", ":")),
            },
        )


def _health_months_upsert(rows: list[dict], *, day: date) -> None:
    """Keep each account's month row on its latest scored day, so the portfolio trend reads one
    row per account and month. Scoring an earlier day of the month (a backfill) leaves a later
    day's row alone."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO accounts_healthmonth AS m (account_id, month, day, score, band)
            SELECT v.id, %s, %s, v.score, v.band
            FROM unnest(%s::bigint[], %s::smallint[], %s::varchar[]) AS v (id, score, band)
            ON CONFLICT (account_id, month) DO UPDATE
                SET day = EXCLUDED.day, score = EXCLUDED.score, band = EXCLUDED.band
                WHERE m.day <= EXCLUDED.day
            """,
            [
                day.replace(day=1),
                day,
                [row["account_id"] for row in rows],
                [row["score"] for row in rows],
                [row["band"] for row in rows],
            ],
        )


@transaction.atomic
def health_months_rebuild() -> int:
    """Rebuild every month row from the daily scores (after a bulk load or a restore that
    wrote HealthScore directly). One statement; returns the rows written."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_healthmonth")
        cursor.execute(
            """
            INSERT INTO accounts_healthmonth (account_id, month, day, score, band)
            SELECT DISTINCT ON (account_id, date_trunc('month', day))
                   account_id, date_trunc('month', day)::date, day, score, band
            FROM accounts_healthscore
            ORDER BY account_id, date_trunc('month', day), day DESC
            """
        )
        return cursor.rowcount


@transaction.atomic
def account_revenue_refresh(*, day: date | None = None) -> int:
    """Copy each account's revenue of the 12 months up to `day` and of the 12 before onto the
    account (in its currency), in one UPDATE; accounts whose figures did not move are not
    rewritten. Run nightly; the dashboard shows `revenue_as_of`. Returns the rows changed."""
    day = day or timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE accounts_account AS a
            SET revenue_last_12m = COALESCE(r.last, 0),
                revenue_prev_12m = COALESCE(r.previous, 0),
                revenue_as_of = %(day)s
            FROM accounts_account AS b
            LEFT JOIN (
                SELECT account_id,
                       SUM(amount) FILTER (WHERE booked_on > %(year_ago)s) AS last,
                       SUM(amount) FILTER (WHERE booked_on <= %(year_ago)s) AS previous
                FROM accounts_revenuerecord
                WHERE booked_on <= %(day)s AND booked_on > %(two_years_ago)s
                GROUP BY account_id
            ) AS r ON r.account_id = b.id
            WHERE a.id = b.id
              AND (a.revenue_last_12m, a.revenue_prev_12m, a.revenue_as_of)
                  IS DISTINCT FROM (COALESCE(r.last, 0), COALESCE(r.previous, 0), %(day)s)
            """,
            {
                "day": day,
                "year_ago": day - timedelta(days=365),
                "two_years_ago": day - timedelta(days=730),
            },
        )
        return cursor.rowcount


def _account_health_update(rows: list[dict]) -> None:
    """Copy the scores to their accounts in one UPDATE from three arrays, skipping unchanged
    rows; bulk_update would build a CASE WHEN per account and field, slow in Python and in
    PostgreSQL alike."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE accounts_account AS a SET health_score = v.score, health_band = v.band
            FROM unnest(%s::bigint[], %s::smallint[], %s::varchar[]) AS v (id, score, band)
            WHERE a.id = v.id
              AND (a.health_score, a.health_band) IS DISTINCT FROM (v.score, v.band)
            """,
            [
                [row["account_id"] for row in rows],
                [row["score"] for row in rows],
                [row["band"] for row in rows],
            ],
        )


def account_id_chunks(
    *, account_id: int | None = None, chunk_size: int = HEALTH_CHUNK_SIZE
) -> list[list[int]]:
    ids = list(
        Account.objects.exclude(status="churned").order_by("pk").values_list("pk", flat=True)
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
    config = current_config()
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
    day = tiering_day(day or timezone.localdate())
    config = current_config()
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
        account.recommended_at = now
        if account.tier_id is None:
            account.tier_id = recommended.pk
            account.recommendation_reviewed = True
            initial += 1
            changes.append(
                TierChange(
                    account_id=account.pk,
                    from_tier=None,
                    to_tier=recommended,
                    source=TierChange.Source.INITIAL,
                    config=config,
                    changed_at=now,
                )
            )
        changed.append(account)
    _accounts_tier_update(changed, config=config, recommended_at=now)
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
        "initial": initial,
        "mismatches": mismatches,
        "as_of": day.isoformat(),
    }


def tiering_day(day: date) -> date:
    """`day`, or the last day with revenue when the portfolio has none in the year to `day`."""
    last = (
        RevenueRecord.objects.filter(booked_on__lte=day)
        .order_by("-booked_on")
        .values_list("booked_on", flat=True)
        .first()
    )
    if last is not None and last <= day - timedelta(days=365):
        return last
    return day


def _accounts_tier_update(accounts: list[Account], *, config, recommended_at) -> None:
    """Write the recommendation fields of every account in one UPDATE from arrays:
    bulk_update's CASE WHEN per account and field took minutes at 100,000 accounts
    (bench/README.md)."""
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
            """,
            [
                config.pk,
                recommended_at,
                [a.pk for a in accounts],
                [a.pareto_class for a in accounts],
                [a.tier_score for a in accounts],
                [a.recommended_tier_id for a in accounts],
                [a.recommendation_reviewed for a in accounts],
                [a.tier_id for a in accounts],
            ],
        )


@transaction.atomic
def tier_recommendation_review(
    *, account: Account, actor, accept: bool, tier: Tier | None = None, reason: str = ""
) -> TierChange:
    """Accept the recommended tier, or override it (keep the tier or pick another) with a
    reason. Either way the change is recorded and the mismatch leaves the review list."""
    locked = (
        # Lock only the account row: PostgreSQL refuses FOR UPDATE on the nullable side of
        # the outer joins to the (optional) tiers.
        Account.objects.select_for_update(of=("self",))
        .select_related("tier", "recommended_tier")
        .get(pk=account.pk)
    )
    reason = reason.strip()
    if accept:
        if locked.recommended_tier is None:
            raise ValidationError({"tier": _("There is no recommendation to accept.")})
        to_tier, source = locked.recommended_tier, TierChange.Source.ACCEPTED
    else:
        if not reason:
            raise ValidationError({"reason": _("Say why you override the recommendation.")})
        to_tier, source = (tier or locked.tier), TierChange.Source.OVERRIDE
        if to_tier is None:
            raise ValidationError({"tier": _("Choose the tier to keep.")})
    change = TierChange.objects.create(
        account=locked,
        from_tier=locked.tier,
        to_tier=to_tier,
        source=source,
        reason=reason,
        changed_by=actor,
        config_id=locked.recommendation_config_id,
    )
    audit_changes = {"source": [None, source]}
    if locked.tier_id != to_tier.pk:
        audit_changes["tier"] = [as_text(locked.tier), to_tier.name]
    if reason:
        audit_changes["reason"] = [None, reason]
    _audit_account(locked, actor, Action.TIER, audit_changes)
    locked.tier = to_tier
    locked.recommendation_reviewed = True
    locked.save(update_fields=["tier", "recommendation_reviewed"])
    return change


class StaleConfig(Exception):
    """Another admin saved the configuration after this form was opened."""


@transaction.atomic
def scoring_config_save(
    *,
    actor,
    based_on_version: int,
    tiers: list[dict],
    health_weights: dict[str, int],
    tier_weights: dict[str, int],
    healthy_min: int,
    watch_min: int,
    default_touch_cadence_days: int,
    pareto_a_pct: Decimal,
    pareto_b_pct: Decimal,
) -> ScoringConfig:
    """Save tiers and weights as a new configuration version (who, when)."""
    latest = ScoringConfig.objects.select_for_update().order_by("-version").first()
    if latest.version != based_on_version:
        raise StaleConfig
    errors = {}
    for group, weights in (("health", health_weights), ("tier", tier_weights)):
        for key, weight in weights.items():
            if weight < 0:
                errors[f"{group}_{key}"] = _("A weight cannot be negative.")
        if not errors and sum(weights.values()) <= 0:
            first = next(iter(weights))
            errors[f"{group}_{first}"] = _("At least one weight must be above zero.")
    if not 0 <= watch_min < healthy_min <= 100:
        errors["watch_min"] = _("The watch band must start below the healthy band (0–100).")
    if not 0 < pareto_a_pct < pareto_b_pct <= 100:
        errors["pareto_b_pct"] = _("Class B must end above class A and at most at 100 %.")
    ordered = sorted(tiers, key=lambda t: t["rank"])
    for upper, lower in itertools.pairwise(ordered):
        if lower["min_score"] >= upper["min_score"]:
            errors[f"tier_{lower['key']}_min_score"] = _(
                "Each tier needs a lower minimum score than the tier above it."
            )
    if errors:
        raise ValidationError(errors)
    policies, audit_changes = [], {}
    for data in ordered:
        tier = Tier.objects.get(key=data["key"])
        before = snapshot(tier, data)
        for name, value in data.items():
            setattr(tier, name, value)
        tier.full_clean()
        tier.save()
        policies.append(tier.policy())
        for name, pair in changes_between(before, snapshot(tier, data)).items():
            audit_changes[f"{tier.key}.{name}"] = pair
    new_values = {
        "healthy_min": healthy_min,
        "watch_min": watch_min,
        "default_touch_cadence_days": default_touch_cadence_days,
        "pareto_a_pct": pareto_a_pct,
        "pareto_b_pct": pareto_b_pct,
        **{f"health_weights.{key}": value for key, value in health_weights.items()},
        **{f"tier_weights.{key}": value for key, value in tier_weights.items()},
    }
    old_values = {
        **snapshot(latest, ["healthy_min", "watch_min", "default_touch_cadence_days",
                            "pareto_a_pct", "pareto_b_pct"]),
        **{f"health_weights.{key}": value for key, value in latest.health_weights.items()},
        **{f"tier_weights.{key}": value for key, value in latest.tier_weights.items()},
    }  # fmt: skip
    audit_changes.update(changes_between(old_values, new_values))
    audit_record(
        actor=actor,
        action=Action.UPDATED,
        object_type="scoring_config",
        object_id=latest.version + 1,
        label=f"v{latest.version + 1}",
        changes=audit_changes,
    )
    return ScoringConfig.objects.create(
        version=latest.version + 1,
        created_by=actor,
        health_weights=health_weights,
        tier_weights=tier_weights,
        healthy_min=healthy_min,
        watch_min=watch_min,
        default_touch_cadence_days=default_touch_cadence_days,
        pareto_a_pct=pareto_a_pct,
        pareto_b_pct=pareto_b_pct,
        tiers=policies,
    )


def satisfaction_record(
    *,
    account: Account,
    actor,
    kind: str,
    score: int,
    recorded_on: date,
    stakeholder=None,
    comment: str = "",
) -> SatisfactionEntry:
    if stakeholder is not None and stakeholder.account_id != account.pk:
        raise ValidationError({"stakeholder": _("Choose someone from this account.")})
    if recorded_on > timezone.localdate():
        raise ValidationError({"recorded_on": _("The date cannot be in the future.")})
    entry = SatisfactionEntry(
        account=account,
        kind=kind,
        score=score,
        recorded_on=recorded_on,
        stakeholder=stakeholder,
        comment=comment,
        recorded_by=actor,
    )
    clean_row(entry)
    entry.save()
    return entry
