"""Data retention (LGPD): how long each kind of data is kept, and the nightly job that lets go
of what is older.

The policy is data (kam.models.RetentionPolicy, one row per RetentionKind, edited by admins);
what "letting go" means for a kind is code, registered by the app that owns the data with
`register_retention(kind, apply_fn)` when Django starts (its AppConfig.ready). The registry
lives here, in the lowest layer, so an app registers its own kind without this module importing
it. docs/privacy.md lists the kinds and how a new one (the capture app's email kinds) is added.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from kam.audit import Action, audit_record, changes_between
from kam.dates import business_day_start
from kam.models import AuditEvent, RetentionKind, RetentionPolicy

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionCutoff:
    """Rows older than `moment` (or dated before `day`) are past their retention."""

    day: date
    moment: datetime


# apply_fn(*, cutoff) -> number of rows it changed or removed. It must be idempotent: a second
# run on the same day changes nothing.
ApplyFn = Callable[..., int]

_REGISTRY: dict[str, ApplyFn] = {}


def register_retention(kind: str, apply_fn: ApplyFn) -> None:
    if kind not in RetentionKind.values:
        raise ValueError(f"Unknown retention kind {kind!r}: add it to kam.models.RetentionKind.")
    _REGISTRY[kind] = apply_fn


def registered_kinds() -> list[str]:
    return [kind for kind in RetentionKind.values if kind in _REGISTRY]


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the month's last day when it has fewer
    days: 31 March less one month is 28 or 29 February)."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def cutoff_for(today: date, months: int) -> RetentionCutoff:
    day = months_before(today, months)
    return RetentionCutoff(day=day, moment=business_day_start(day))


def retention_policies() -> list[RetentionPolicy]:
    """One policy per kind, in the order of RetentionKind; kinds never saved keep forever."""
    saved = {policy.kind: policy for policy in RetentionPolicy.objects.all()}
    return [saved.get(kind) or RetentionPolicy(kind=kind) for kind in RetentionKind.values]


@transaction.atomic
def retention_policy_save(*, actor, kind: str, months: int | None) -> RetentionPolicy:
    policy, _created = RetentionPolicy.objects.select_for_update().get_or_create(kind=kind)
    before = {"months": policy.months}
    policy.months = months
    policy.updated_by = actor
    policy.save()
    if changes := changes_between(before, {"months": months}):
        audit_record(
            actor=actor,
            action=Action.UPDATED,
            object_type="retention_policy",
            object_id=policy.pk,
            label=str(policy.get_kind_display()),
            changes=changes,
        )
    return policy


class RetentionFailed(Exception):
    """Some kinds could not be applied (logged one by one); the others were."""


def retention_apply(*, today: date) -> dict[str, int]:
    """Apply every registered kind whose policy has a limit; {kind: rows changed}. Each kind in
    its own transaction: one that fails is rolled back and logged, the others still apply, and
    RetentionFailed is raised at the end so the job shows as failed. Idempotent."""
    done = {}
    failed = []
    policies = {policy.kind: policy for policy in RetentionPolicy.objects.all()}
    for kind in registered_kinds():
        policy = policies.get(kind)
        if policy is None or policy.months is None:
            continue
        try:
            done[kind] = _apply_one(policy=policy, today=today)
        except Exception:
            logger.exception("Retention of %s failed", kind)
            failed.append(kind)
    if failed:
        raise RetentionFailed(f"Retention failed for {', '.join(failed)}; applied: {done}")
    return done


@transaction.atomic
def _apply_one(*, policy: RetentionPolicy, today: date) -> int:
    cutoff = cutoff_for(today, policy.months)
    rows = _REGISTRY[policy.kind](cutoff=cutoff)
    RetentionPolicy.objects.filter(pk=policy.pk).update(
        last_applied_at=timezone.now(), last_applied_rows=rows
    )
    if rows:
        audit_record(
            actor=None,
            action=Action.ERASED,
            object_type="retention_policy",
            object_id=policy.pk,
            label=str(policy.get_kind_display()),
            changes={"rows": [None, str(rows)], "before": [None, cutoff.day.isoformat()]},
        )
    return rows


def audit_trail_apply(*, cutoff: RetentionCutoff) -> int:
    """Audit entries older than the cutoff are deleted (this kind is kept forever unless an
    admin sets a limit), except the erasures: the proof that a person's data was erased on
    request (which holds no personal data itself) outlives the limit."""
    old = AuditEvent.objects.filter(at__lt=cutoff.moment).exclude(action=Action.ERASED)
    deleted, _ = old.delete()
    return deleted
