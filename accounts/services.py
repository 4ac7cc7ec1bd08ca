"""Writes that touch several rows or have side effects (STYLE.md). Each validates the same
rules as the forms, so the API and the importer get them too."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Milestone, QualitativeRating, Stakeholder
from activities.models import TimelineKind
from activities.timeline import timeline_record

STAKEHOLDER_FIELDS = (
    "name",
    "title",
    "department",
    "email",
    "phone",
    "buying_role",
    "influence",
    "stance",
    "reports_to",
    "is_primary",
    "left_on",
    "notes",
    "external_id",
)


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
    stakeholder.full_clean()
    stakeholder.save()
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
    for name, value in fields.items():
        setattr(locked, name, value)
    _check_reports_to(locked)
    _check_left_on(locked)
    locked.full_clean()
    locked.save()
    if was_active and locked.left_on is not None:
        _record_departure(locked, actor)
    return locked


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
    return account


@transaction.atomic
def account_update(
    *, account: Account, expected_version: int, actor, team=None, **fields
) -> Account:
    """Save only if nobody saved since `expected_version` was read; else raise StaleEdit
    carrying the row as it is now, so the user sees the other change and loses nothing."""
    if "parent" in fields:
        _check_parent(account, fields["parent"])
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
    milestone.full_clean()
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
    rating.full_clean()
    rating.save()
    return rating
