"""Writes that touch several rows or have side effects (STYLE.md). Each validates the same
rules as the forms, so the API and the importer get them too."""

import itertools
from collections.abc import Iterable
from datetime import date, time
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.defaults import default_tier_policies
from accounts.models import (
    PARENT_LOOP_MESSAGE,
    Account,
    CalendarMembership,
    CompanyHoliday,
    Milestone,
    QualitativeRating,
    RevenueRecord,
    RevenueRefresh,
    SatisfactionEntry,
    ScoringConfig,
    Stakeholder,
    Tier,
    TierChange,
    TimelineKind,
    WorkingCalendar,
    parent_makes_loop,
    weekday_mask,
)
from accounts.scoring import (
    DEFAULT_HEALTH_WEIGHTS,
    DEFAULT_TIER_WEIGHTS,
)
from accounts.selectors import REFUSALS, Access, account_permits, accounts_for_user
from accounts.timeline import timeline_record
from kam.audit import Action, as_text, audit_record, changes_between, created, snapshot
from kam.dates import business_date, business_day_start
from kam.models import User
from kam.outbox import outbox_enqueue
from kam.validation import clean_row

# Recomputes the due moments of open client requests (activities.services
# requests_deadlines_refresh) for some accounts (a list of ids) or all (None).
REQUEST_DEADLINES_TASK = "activities.tasks.refresh_request_deadlines"

# The playbook evaluation for the accounts an event touched (insights.playbooks, a higher layer:
# named by its task, never imported).
PLAYBOOKS_TASK = "insights.tasks.playbooks_evaluate_accounts"


def _playbooks_check(account_id: int) -> None:
    outbox_enqueue(PLAYBOOKS_TASK, [account_id])


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
    if stakeholder.left_on and stakeholder.left_on > business_date():
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
    # A departure, or a replacement for one: the champion departure playbook looks at once.
    _playbooks_check(account.pk)
    return stakeholder


ERASED_REFUSAL = gettext_lazy(
    "This contact's personal data was erased on request; the record cannot be edited."
)


@transaction.atomic
def stakeholder_update(
    *, stakeholder: Stakeholder, actor, expected_version: int | None = None, **fields
) -> Stakeholder:
    """Save the person's fields; with `expected_version` (the form's), only if nobody saved
    them since (StaleEdit, nothing written). Every save bumps the version."""
    locked = Stakeholder.objects.select_for_update().get(pk=stakeholder.pk)
    if locked.is_erased:
        # Nobody fills an erased person in again by mistake (form, API, importer).
        raise ValidationError(ERASED_REFUSAL)
    if expected_version is not None and locked.version != expected_version:
        raise StaleEdit(locked)
    was_active = locked.left_on is None
    before = snapshot(locked, fields)
    for name, value in fields.items():
        setattr(locked, name, value)
    _check_reports_to(locked)
    _check_left_on(locked)
    clean_row(locked)
    locked.version += 1
    locked.save()
    if changes := changes_between(before, snapshot(locked, fields)):
        _audit_stakeholder(locked, actor, Action.UPDATED, changes)
    if was_active and locked.left_on is not None:
        _record_departure(locked, actor)
    if changes:
        _playbooks_check(locked.account_id)
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


def departed_contact_details_clear(*, cutoff) -> int:
    """Retention (kam.retention, kind "departed_contact_details"): the work email and phone of
    people who left their company before the cutoff are blanked; the rest of the record (name,
    role, history) stays for the account's memory. Idempotent."""
    return (
        Stakeholder.objects.filter(left_on__lt=cutoff.day)
        .exclude(email="", phone="")
        .update(email="", phone="")
    )


def stakeholder_mark_left(*, stakeholder: Stakeholder, left_on: date, actor) -> Stakeholder:
    return stakeholder_update(stakeholder=stakeholder, actor=actor, left_on=left_on)


def _record_departure(stakeholder: Stakeholder, actor) -> None:
    occurred_at = business_day_start(stakeholder.left_on)
    timeline_record(
        account=stakeholder.account,
        kind=TimelineKind.STAKEHOLDER_LEFT,
        occurred_at=max(occurred_at, stakeholder.created_at or occurred_at),
        actor=actor,
        stakeholder=stakeholder,
    )


@transaction.atomic
def account_create(*, actor, team=(), **fields) -> Account:
    account = Account(**fields, owner_assigned_at=timezone.now())
    account.full_clean()
    account.save()
    account.team.set(team)
    changes = created(snapshot(account, fields))
    if team:
        changes["team"] = [None, as_team_text(team)]
    _audit_account(account, actor, Action.CREATED, changes)
    _playbooks_check(account.pk)
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
        account_parent_check(account, fields["parent"])
    before = snapshot(account, fields)
    team_before = as_team_text(account.team.all()) if team is not None else None
    owner_before = account.owner_id
    for name, value in fields.items():
        setattr(account, name, value)
    account.full_clean()
    derived = {}
    if account.owner_id != owner_before:
        derived["owner_assigned_at"] = timezone.now()
    updated = Account.objects.filter(pk=account.pk, version=expected_version).update(
        **fields, **derived, version=F("version") + 1, updated_at=timezone.now()
    )
    if not updated:
        raise StaleEdit(Account.objects.select_related("owner").get(pk=account.pk))
    if team is not None:
        account.team.set(team)
    account.refresh_from_db()
    changes = changes_between(before, snapshot(account, fields))
    if "tier" in changes:
        outbox_enqueue(REQUEST_DEADLINES_TASK, [account.pk])
    if team is not None and team_before != (team_after := as_team_text(team)):
        changes["team"] = [team_before, team_after]
    if changes:
        _audit_account(account, actor, Action.UPDATED, changes)
        # A new owner, status or renewal date can start (or end) a playbook episode.
        _playbooks_check(account.pk)
    return account


class BulkRefused(Exception):
    """A bulk action that may not be done on some of the accounts asked for: nothing was done.
    `names` are the accounts the actor may not change (they see them); `hidden` counts the ids
    they do not see (never named)."""

    def __init__(self, message: str, *, names: Iterable[str] = (), hidden: int = 0):
        super().__init__(message)
        self.message = message
        self.names = list(names)
        self.hidden = hidden


def _bulk_accounts(*, actor, ids: Iterable[int], action: Access) -> list[Account]:
    """The accounts `ids` locked for the change, in name order, or BulkRefused naming those the
    actor may not do `action` on (the one rule: accounts.selectors)."""
    wanted = set(ids)
    accounts = list(
        accounts_for_user(actor)
        .filter(pk__in=wanted)
        .select_for_update(of=("self",))
        .select_related("owner")
        .order_by("name", "pk")
    )
    hidden = len(wanted) - len(accounts)
    if hidden:
        raise BulkRefused(
            _("%(count)s of the selected accounts are not available to you; nothing was changed.")
            % {"count": hidden},
            hidden=hidden,
        )
    refused = [account.name for account in accounts if not account_permits(actor, account, action)]
    if refused:
        reason = REFUSALS.get(action, _("You may not change these accounts."))
        raise BulkRefused(
            _("Nothing was changed. %(reason)s Not yours to change: %(names)s.")
            % {"reason": reason, "names": ", ".join(refused)},
            names=refused,
        )
    return accounts


@transaction.atomic
def accounts_reassign(*, actor, ids: Iterable[int], owner: User) -> list[Account]:
    """Hand the accounts `ids` over to `owner`, all or none: each through account_update (its
    validation, audit and playbook check), in one transaction. BulkRefused when the actor may
    not change the owner of one of them; ValidationError when `owner` may not own one."""
    changed = []
    for account in _bulk_accounts(actor=actor, ids=ids, action=Access.CHANGE_OWNER):
        if account.owner_id == owner.pk:
            continue
        changed.append(
            account_update(
                account=account, expected_version=account.version, actor=actor, owner=owner
            )
        )
    return changed


@transaction.atomic
def tier_review_request(*, actor, ids: Iterable[int]) -> list[Account]:
    """Put the accounts `ids` on the leaders' tier review list (accounts.selectors
    tier_review_rows) until a leader decides, all or none; anyone who may edit an account may
    ask. Accounts already waiting for a review are left as they are."""
    asked = []
    now = timezone.now()
    for account in _bulk_accounts(actor=actor, ids=ids, action=Access.EDIT):
        if account.tier_review_requested_at is not None:
            continue
        account.tier_review_requested_at = now
        account.save(update_fields=["tier_review_requested_at"])
        _audit_account(account, actor, Action.TIER, {"tier review": [None, _("requested")]})
        asked.append(account)
    return asked


def account_parent_check(account: Account, parent: Account | None) -> None:
    """Refuse a parent that would make a loop of any length (accounts.models.parent_makes_loop,
    which the importer runs over its whole file too)."""
    if parent is None:
        return

    def parent_of(pk: int) -> int | None:
        return Account.objects.filter(pk=pk).values_list("parent_id", flat=True).first()

    if parent_makes_loop(account.pk, parent.pk, parent_of):
        raise ValidationError({"parent": PARENT_LOOP_MESSAGE})


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
        occurred_at=business_day_start(happened_on),
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


@transaction.atomic
def scoring_defaults_ensure() -> ScoringConfig:
    """Create the default tiers and configuration version 1 if there is no configuration yet
    (a new installation, or a test database that was flushed). Idempotent."""
    existing = ScoringConfig.objects.order_by("-version").first()
    if existing is not None:
        return existing
    for policy in default_tier_policies():
        Tier.objects.get_or_create(key=policy.pop("key"), defaults=policy)
    config, _created = ScoringConfig.objects.get_or_create(
        version=1,
        defaults={
            "health_weights": dict(DEFAULT_HEALTH_WEIGHTS),
            "tier_weights": dict(DEFAULT_TIER_WEIGHTS),
            "tiers": [tier.policy() for tier in Tier.objects.order_by("rank")],
        },
    )
    return config


# A chunk is read and written in a constant number of statements. The helpers below replace
# ORM calls (DISTINCT ON, bulk_create, bulk_update) that made up most of a chunk's time at
# 100,000 accounts, in Python or in PostgreSQL (measurements in bench/README.md).


@transaction.atomic
def account_revenue_refresh(*, day: date | None = None) -> int:
    """Copy each account's revenue of the 12 months up to `day` and of the 12 before
    (RevenueRecord.objects.window_totals, in its currency) onto the account, in one UPDATE, and
    record the run (RevenueRefresh: the day the dashboard says the windows are as of). Only the
    accounts whose windows moved, or were never computed, are written (their `revenue_as_of`
    set to `day`): 2.7 % of them a night on the 100,000-account demo, where carrying the date
    on every account rewrote every row and marked every summary row out of date
    (bench/README.md). Run nightly; returns the accounts written."""
    day = day or business_date()
    totals, totals_params = RevenueRecord.objects.window_totals(day).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE accounts_account AS a
            SET revenue_last_12m = COALESCE(r.last, 0),
                revenue_prev_12m = COALESCE(r.previous, 0),
                revenue_as_of = %s
            FROM accounts_account AS b
            LEFT JOIN ({totals}) AS r ON r.account_id = b.id
            WHERE a.id = b.id
              AND (a.revenue_as_of IS NULL
                   OR (a.revenue_last_12m, a.revenue_prev_12m)
                      IS DISTINCT FROM (COALESCE(r.last, 0), COALESCE(r.previous, 0)))
            """,  # noqa: S608 - the subquery is Django's SQL, values as parameters  # nosec B608
            (day, *totals_params),
        )
        changed = cursor.rowcount
    RevenueRefresh.objects.update_or_create(
        day=day, defaults={"refreshed_at": timezone.now(), "accounts_changed": changed}
    )
    return changed


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
        recommended_tier=locked.recommended_tier,
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
    if locked.tier_id != to_tier.pk:
        outbox_enqueue(REQUEST_DEADLINES_TASK, [locked.pk])
    locked.tier = to_tier
    locked.recommendation_reviewed = True
    locked.tier_review_requested_at = None
    locked.save(update_fields=["tier", "recommendation_reviewed", "tier_review_requested_at"])
    return change


class StaleConfig(Exception):
    """Another admin saved the configuration after this form was opened."""


def _scoring_config_errors(
    *,
    ordered: list[dict],
    health_weights: dict[str, int],
    tier_weights: dict[str, int],
    healthy_min: int,
    watch_min: int,
    pareto_a_pct: Decimal,
    pareto_b_pct: Decimal,
) -> dict[str, str]:
    """What is wrong with a configuration, by form field (empty when it can be saved)."""
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
    for upper, lower in itertools.pairwise(ordered):
        if lower["min_score"] >= upper["min_score"]:
            errors[f"tier_{lower['key']}_min_score"] = _(
                "Each tier needs a lower minimum score than the tier above it."
            )
    return errors


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
    scoring_defaults_ensure()
    latest = ScoringConfig.objects.select_for_update().order_by("-version").first()
    if latest.version != based_on_version:
        raise StaleConfig
    ordered = sorted(tiers, key=lambda t: t["rank"])
    errors = _scoring_config_errors(
        ordered=ordered,
        health_weights=health_weights,
        tier_weights=tier_weights,
        healthy_min=healthy_min,
        watch_min=watch_min,
        pareto_a_pct=pareto_a_pct,
        pareto_b_pct=pareto_b_pct,
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
    if any(".response_sla_hours" in name or ".resolution_" in name for name in audit_changes):
        # The running SLA clocks of open client requests follow the new targets (by name: the
        # requests live in a higher layer).
        outbox_enqueue(REQUEST_DEADLINES_TASK, None)
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
    if recorded_on > business_date():
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
    if entry.kind == SatisfactionEntry.Kind.NPS:
        _playbooks_check(account.pk)
    return entry


# ---------------------------------------------------------------------------------------------
# Working calendars and company holidays (configuration, audited)

CALENDAR_FIELDS = ("name", "time_zone", "opens", "closes", "subdivision", "is_default")


def _calendar_values(calendar: WorkingCalendar, members) -> dict:
    return {
        **snapshot(calendar, CALENDAR_FIELDS),
        "weekdays": sorted(calendar.weekdays),
        "members": sorted(member.email for member in members),
    }


@transaction.atomic
def working_calendar_save(
    *,
    actor,
    calendar: WorkingCalendar | None = None,
    name: str,
    time_zone: str,
    opens: time,
    closes: time,
    weekdays: Iterable[int],
    subdivision: str = "",
    is_default: bool = False,
    members: Iterable = (),
) -> WorkingCalendar:
    """Create (calendar=None) or change a working calendar. Marking it default takes the flag
    from the previous default; members chosen here leave the calendar they were in (a user is
    in one calendar at most), and members left out leave this one."""
    members = list(members)
    if calendar is None:
        calendar, before = WorkingCalendar(), None
    else:
        calendar = WorkingCalendar.objects.select_for_update().get(pk=calendar.pk)
        before = _calendar_values(
            calendar, User.objects.filter(calendar_membership__calendar=calendar)
        )
    calendar.name = name
    calendar.time_zone = time_zone
    calendar.opens = opens
    calendar.closes = closes
    calendar.weekday_mask = weekday_mask(weekdays)
    calendar.subdivision = subdivision or ""
    calendar.is_default = is_default
    if is_default:
        # Lock the current default first so two admins cannot both end up default.
        previous = list(
            WorkingCalendar.objects.select_for_update()
            .filter(is_default=True)
            .exclude(pk=calendar.pk)
        )
        WorkingCalendar.objects.filter(pk__in=[row.pk for row in previous]).update(is_default=False)
    calendar.full_clean()
    calendar.save()
    CalendarMembership.objects.filter(calendar=calendar).exclude(user__in=members).delete()
    moved = CalendarMembership.objects.filter(user__in=members).exclude(calendar=calendar)
    moved.update(calendar=calendar)
    CalendarMembership.objects.bulk_create(
        [CalendarMembership(calendar=calendar, user=member) for member in members],
        ignore_conflicts=True,
    )
    after = _calendar_values(calendar, members)
    changes = created(after) if before is None else changes_between(before, after)
    if changes:
        audit_record(
            actor=actor,
            action=Action.CREATED if before is None else Action.UPDATED,
            object_type="working_calendar",
            object_id=calendar.pk,
            label=calendar.name,
            changes=changes,
        )
        # Hours, days, zone, holidays or members moved: the running SLA clocks follow.
        outbox_enqueue(REQUEST_DEADLINES_TASK, None)
    return calendar


HOLIDAY_FIELDS = ("calendar", "date", "name")


def _holiday_label(holiday: CompanyHoliday) -> str:
    return f"{holiday.date.isoformat()} {holiday.name}"


@transaction.atomic
def company_holiday_add(
    *, actor, calendar: WorkingCalendar | None, date: date, name: str
) -> CompanyHoliday:
    """A day the company closes, in one calendar or (calendar=None) in every calendar."""
    holiday = CompanyHoliday(calendar=calendar, date=date, name=name)
    holiday.full_clean()
    holiday.save()
    audit_record(
        actor=actor,
        action=Action.CREATED,
        object_type="company_holiday",
        object_id=holiday.pk,
        label=_holiday_label(holiday),
        changes=created(snapshot(holiday, HOLIDAY_FIELDS)),
    )
    outbox_enqueue(REQUEST_DEADLINES_TASK, None)
    return holiday


@transaction.atomic
def company_holiday_delete(*, actor, holiday: CompanyHoliday) -> None:
    before = created(snapshot(holiday, HOLIDAY_FIELDS))
    audit_record(
        actor=actor,
        action=Action.DELETED,
        object_type="company_holiday",
        object_id=holiday.pk,
        label=_holiday_label(holiday),
        changes={name: [text, None] for name, [_none, text] in before.items()},
    )
    holiday.delete()
    outbox_enqueue(REQUEST_DEADLINES_TASK, None)
