"""Writes to account plans (STYLE.md: services). Every change to a plan or one of its rows is
recorded as a PlanChange and bumps the plan's version, all in one transaction; rules that span
rows (owners on the account team, links inside one plan, one active plan) are checked here and
refused with a ValidationError keyed by the form field's name."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from accounts.services import StaleEdit
from activities.models import Commitment, CommitmentSource, CommitmentStatus
from activities.services import commitment_create, commitment_delete, commitment_update
from kam.audit import audit_record, changes_between, created, snapshot
from kam.models import AuditEvent
from kam.validation import clean_row
from plans.models import (
    CLOSED_STAGES,
    AccountPlan,
    BusinessUnit,
    Objective,
    Opportunity,
    PlanChange,
    PlanStatus,
    Product,
    Risk,
    ValueHypothesis,
    WhitespaceCell,
    WhitespaceState,
)

PLAN_FIELDS = (
    "title",
    "period_start",
    "period_end",
    "swot_strengths",
    "swot_weaknesses",
    "swot_opportunities",
    "swot_threats",
    "governance_rhythm",
    "qbr_cadence_note",
)

# The fields a user edits on each kind of plan row (forms use the same lists).
ITEM_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Objective: (
        "description",
        "metric",
        "baseline",
        "target",
        "current_value",
        "unit",
        "due_date",
        "status",
    ),
    ValueHypothesis: ("objective", "hypothesis", "expected_value", "realised_value", "currency"),
    Risk: ("title", "severity", "likelihood", "mitigation", "owner", "status"),
    Opportunity: (
        "kind",
        "product",
        "title",
        "amount",
        "currency",
        "probability",
        "stage",
        "owner",
        "expected_close",
    ),
    # A plan action is an agreed item (activities.Commitment) owned by one of us.
    Commitment: ("title", "owner_user", "due_date", "status", "objective", "opportunity", "risk"),
}

ENTITY = {
    Objective: PlanChange.Entity.OBJECTIVE,
    ValueHypothesis: PlanChange.Entity.HYPOTHESIS,
    Risk: PlanChange.Entity.RISK,
    Opportunity: PlanChange.Entity.OPPORTUNITY,
    Commitment: PlanChange.Entity.ACTION,
}


class StalePlanEdit(StaleEdit):
    """Someone saved the plan after this edit was opened; nothing was written. `current` is
    the plan as it is now, so the view shows their change and keeps this user's input."""


# --- recording changes ------------------------------------------------------------------------


def as_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _diff(entity: str, before: dict, after: dict) -> list[dict]:
    return [
        {"entity": entity, "field": name, "before": as_text(before.get(name)),
         "after": as_text(after[name])}
        for name in after
        if as_text(before.get(name)) != as_text(after[name])
    ]  # fmt: skip


def _snapshot(row: models.Model, names) -> dict:
    return {name: getattr(row, name) for name in names}


def _record(
    plan: AccountPlan, *, actor, entity: str, verb: str, label: str, changes: list[dict]
) -> PlanChange:
    """Bump the plan's version (atomically, in the database) and record the change at it."""
    AccountPlan.objects.filter(pk=plan.pk).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    plan.version = AccountPlan.objects.values_list("version", flat=True).get(pk=plan.pk)
    _audit_plan(plan, actor=actor, entity=entity, verb=verb, label=label, changes=changes)
    return PlanChange.objects.create(
        plan=plan,
        user=actor,
        entity=entity,
        verb=verb,
        label=str(label)[:300],
        changes=changes,
        version=plan.version,
    )


AUDIT_ACTION = {
    PlanChange.Verb.CREATED: AuditEvent.Action.CREATED,
    PlanChange.Verb.UPDATED: AuditEvent.Action.UPDATED,
    PlanChange.Verb.DELETED: AuditEvent.Action.DELETED,
}


def _audit_plan(plan: AccountPlan, *, actor, entity: str, verb: str, label, changes) -> None:
    """The audit trail (kam.audit) files a plan's rows under their plan: object_id is the
    plan's, the kind of row is the object type."""
    audit_changes = {change["field"]: [change["before"], change["after"]] for change in changes}
    if verb not in AUDIT_ACTION:
        audit_changes.setdefault("event", [None, verb])
    audit_record(
        actor=actor,
        action=AUDIT_ACTION.get(verb, AuditEvent.Action.STATUS),
        object_type=entity,
        object_id=plan.pk,
        label=label,
        account_id=plan.account_id,
        changes=audit_changes,
    )


# --- checks -----------------------------------------------------------------------------------


def _check_owner(account: Account, owner, field: str = "owner") -> None:
    if owner is None:
        raise ValidationError({field: _("Choose an owner.")})
    if owner.pk not in account.team_member_ids():
        raise ValidationError(
            {field: _("%(name)s is not the account owner or on the account team.")
             % {"name": owner}}
        )  # fmt: skip


def _check_same_plan(plan: AccountPlan, row, field: str) -> None:
    if row is not None and row.plan_id != plan.pk:
        raise ValidationError({field: _("Choose one from this plan.")})


def _check_editable(plan: AccountPlan) -> None:
    if plan.is_archived:
        raise ValidationError(_("This plan is archived and can no longer be changed."))


def _check_item(plan: AccountPlan, row: models.Model) -> None:
    """The cross-row rules of one plan row, with the messages a user can act on (the rules
    within the row are its model's clean(), which clean_row runs)."""
    if isinstance(row, Opportunity) and not 0 <= (row.probability or 0) <= 100:
        raise ValidationError({"probability": _("Probability is a percentage from 0 to 100.")})
    if isinstance(row, Opportunity | Risk):
        _check_owner(plan.account, row.owner)
    if isinstance(row, ValueHypothesis):
        if row.objective_id is None:
            raise ValidationError({"objective": _("Choose the objective this hypothesis moves.")})
        _check_same_plan(plan, row.objective, "objective")
    if isinstance(row, Commitment):
        _check_owner(plan.account, row.owner_user, "owner_user")
        for name in ("objective", "opportunity", "risk"):
            _check_same_plan(plan, getattr(row, name), name)


def _check_no_other_active(plan: AccountPlan) -> None:
    other = (
        AccountPlan.objects.filter(account_id=plan.account_id, status=PlanStatus.ACTIVE)
        .exclude(pk=plan.pk)
        .first()
    )
    if other is not None:
        raise ValidationError(
            {"status": _("This account already has an active plan (%(title)s). Archive it "
                         "before activating another.") % {"title": other.title}}
        )  # fmt: skip


def _save_guarding_active(row: AccountPlan, **save_kwargs) -> None:
    """Save; a concurrent activation caught by the database becomes the same field error."""
    try:
        with transaction.atomic():
            row.save(**save_kwargs)
    except IntegrityError as error:
        if "plan_one_active_per_account" not in str(error):
            raise
        raise ValidationError({"status": _("This account already has an active plan.")}) from error


# --- plans ------------------------------------------------------------------------------------


@transaction.atomic
def plan_create(
    *, account: Account, actor, status: str = PlanStatus.DRAFT, **fields
) -> AccountPlan:
    plan = AccountPlan(account=account, status=status, created_by=actor, **fields)
    clean_row(plan)  # runs AccountPlan.clean (the period's order)
    if status == PlanStatus.ACTIVE:
        _check_no_other_active(plan)
    _save_guarding_active(plan)
    _audit_plan(
        plan,
        actor=actor,
        entity=PlanChange.Entity.PLAN,
        verb=PlanChange.Verb.CREATED,
        label=plan.title,
        changes=[
            {"field": name, "before": None, "after": as_text(value)}
            for name, value in fields.items()
            if value not in (None, "")
        ],
    )
    PlanChange.objects.create(
        plan=plan,
        user=actor,
        entity=PlanChange.Entity.PLAN,
        verb=PlanChange.Verb.CREATED,
        label=plan.title,
        version=plan.version,
    )
    return plan


@transaction.atomic
def plan_update(*, plan: AccountPlan, expected_version: int, actor, **fields) -> AccountPlan:
    """Save the plan's own fields only if nobody changed the plan since `expected_version` was
    read; else raise StalePlanEdit carrying the plan as it is now."""
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"not plan fields: {sorted(unknown)}")
    locked = AccountPlan.objects.select_for_update().select_related("account").get(pk=plan.pk)
    if locked.version != expected_version:
        raise StalePlanEdit(AccountPlan.objects.select_related("reviewed_by").get(pk=plan.pk))
    _check_editable(locked)
    before = _snapshot(locked, fields)
    for name, value in fields.items():
        setattr(locked, name, value)
    clean_row(locked)  # runs AccountPlan.clean (the period's order)
    changes = _diff(PlanChange.Entity.PLAN, before, fields)
    if not changes:
        return locked
    locked.save(update_fields=[*fields, "updated_at"])
    _record(
        locked,
        actor=actor,
        entity=PlanChange.Entity.PLAN,
        verb=PlanChange.Verb.UPDATED,
        label=locked.title,
        changes=changes,
    )
    return locked


def _set_status(plan: AccountPlan, *, actor, status: str, verb: str) -> AccountPlan:
    locked = AccountPlan.objects.select_for_update().get(pk=plan.pk)
    if locked.status == status:
        return locked
    before = locked.status
    locked.status = status
    if status == PlanStatus.ACTIVE:
        _check_no_other_active(locked)
    _save_guarding_active(locked, update_fields=["status", "updated_at"])
    _record(
        locked,
        actor=actor,
        entity=PlanChange.Entity.PLAN,
        verb=verb,
        label=locked.title,
        changes=[{"entity": "plan", "field": "status", "before": before, "after": status}],
    )
    return locked


@transaction.atomic
def plan_activate(*, plan: AccountPlan, actor) -> AccountPlan:
    """Make the plan the account's active one. Archives nothing: a second active plan is
    refused (field `status`) until the current one is archived."""
    return _set_status(plan, actor=actor, status=PlanStatus.ACTIVE, verb=PlanChange.Verb.ACTIVATED)


@transaction.atomic
def plan_archive(*, plan: AccountPlan, actor) -> AccountPlan:
    return _set_status(plan, actor=actor, status=PlanStatus.ARCHIVED, verb=PlanChange.Verb.ARCHIVED)


@transaction.atomic
def plan_mark_reviewed(*, plan: AccountPlan, actor) -> AccountPlan:
    """The KAM went through the plan and it still holds: resets the stale clock."""
    locked = AccountPlan.objects.select_for_update().get(pk=plan.pk)
    before = locked.last_reviewed_at
    locked.last_reviewed_at = timezone.now()
    locked.reviewed_by = actor
    locked.save(update_fields=["last_reviewed_at", "reviewed_by", "updated_at"])
    _record(
        locked,
        actor=actor,
        entity=PlanChange.Entity.PLAN,
        verb=PlanChange.Verb.REVIEWED,
        label=locked.title,
        changes=[
            {
                "entity": "plan",
                "field": "last_reviewed_at",
                "before": as_text(before),
                "after": as_text(locked.last_reviewed_at),
            }
        ],
    )
    return locked


def _copy(row: models.Model, **overrides) -> models.Model:
    names = [
        f.attname
        for f in row._meta.concrete_fields
        if not f.primary_key and not f.generated and f.name not in {"plan", "version"}
    ]
    copy = type(row)(**{name: getattr(row, name) for name in names})
    for name, value in overrides.items():
        setattr(copy, name, value)
    return copy


@transaction.atomic
def plan_start_next_period(*, plan: AccountPlan, actor) -> AccountPlan:
    """A new draft for the period after `plan`, carrying over its SWOT, governance, objectives
    with their hypotheses, risks, open opportunities and open actions (links kept where the
    linked row came along). The old plan stays as it is until the new one is activated."""
    source = AccountPlan.objects.select_for_update().select_related("account").get(pk=plan.pk)
    start, end = source.next_period()
    if AccountPlan.objects.filter(account_id=source.account_id, period_start=start).exists():
        raise ValidationError(
            _("A plan for the next period (from %(date)s) already exists.") % {"date": start}
        )
    new = plan_create(
        account=source.account,
        actor=actor,
        title=source.title,
        period_start=start,
        period_end=end,
        **{
            name: getattr(source, name)
            for name in PLAN_FIELDS
            if name not in {"title", "period_start", "period_end"}
        },
    )
    objectives = {}
    for objective in source.objectives.order_by("pk"):
        objectives[objective.pk] = _copy(objective, plan=new)
    Objective.objects.bulk_create(objectives.values())
    ValueHypothesis.objects.bulk_create(
        _copy(h, plan=new, objective=objectives[h.objective_id])
        for h in source.hypotheses.order_by("pk")
    )
    risks = {risk.pk: _copy(risk, plan=new) for risk in source.risks.order_by("pk")}
    Risk.objects.bulk_create(risks.values())
    opportunities = {
        o.pk: _copy(o, plan=new)
        for o in source.opportunities.exclude(stage__in=CLOSED_STAGES).order_by("pk")
    }
    Opportunity.objects.bulk_create(opportunities.values())
    # Open actions are agreed items: they move to the new period (never copied, so nothing is
    # chased twice), with their links where the linked row came along.
    moving = list(source.actions.filter(status=CommitmentStatus.OPEN).order_by("pk"))
    for action in moving:
        action.plan = new
        action.objective = objectives.get(action.objective_id)
        action.opportunity = opportunities.get(action.opportunity_id)
        action.risk = risks.get(action.risk_id)
    Commitment.objects.bulk_update(moving, ["plan", "objective", "opportunity", "risk"])
    _record(
        new,
        actor=actor,
        entity=PlanChange.Entity.PLAN,
        verb=PlanChange.Verb.COPIED,
        label=source.title,
        changes=[
            {"entity": "objective", "field": None, "before": None, "after": str(len(objectives))},
            {"entity": "risk", "field": None, "before": None, "after": str(len(risks))},
            {"entity": "opportunity", "field": None, "before": None,
             "after": str(len(opportunities))},
            {"entity": "action", "field": None, "before": None, "after": str(len(moving))},
        ],
    )  # fmt: skip
    return new


# --- plan rows: objectives, hypotheses, risks, opportunities, actions -------------------------


def _item_create(model: type[models.Model], *, plan: AccountPlan, actor, **fields):
    _check_editable(plan)
    row = model(plan=plan, **fields)
    _check_item(plan, row)
    clean_row(row)
    row.save()
    entity = ENTITY[model]
    _record(
        plan,
        actor=actor,
        entity=entity,
        verb=PlanChange.Verb.CREATED,
        label=row.title,
        changes=[
            {"entity": entity, "field": name, "before": None, "after": as_text(value)}
            for name, value in _snapshot(row, ITEM_FIELDS[model]).items()
            if value not in (None, "")
        ],
    )
    return row


def _item_update(row: models.Model, *, actor, expected_version: int | None = None, **fields):
    """Save the row's fields; with `expected_version`, only if nobody saved the row since."""
    model = type(row)
    locked = model.objects.select_for_update().select_related("plan__account").get(pk=row.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleEdit(locked)
    plan = locked.plan
    _check_editable(plan)
    before = _snapshot(locked, fields)
    for name, value in fields.items():
        setattr(locked, name, value)
    _check_item(plan, locked)
    clean_row(locked)
    entity = ENTITY[model]
    changes = _diff(entity, before, fields)
    if not changes:
        return locked
    locked.version += 1
    locked.save()
    _record(
        plan, actor=actor, entity=entity, verb=PlanChange.Verb.UPDATED, label=locked.title,
        changes=changes,
    )  # fmt: skip
    return locked


def _item_delete(row: models.Model, *, actor) -> None:
    model = type(row)
    locked = model.objects.select_for_update().select_related("plan").get(pk=row.pk)
    plan = locked.plan
    _check_editable(plan)
    entity = ENTITY[model]
    changes = [
        {"entity": entity, "field": name, "before": as_text(value), "after": None}
        for name, value in _snapshot(locked, ITEM_FIELDS[model]).items()
        if value not in (None, "")
    ]
    label = locked.title
    locked.delete()
    _record(
        plan, actor=actor, entity=entity, verb=PlanChange.Verb.DELETED, label=label,
        changes=changes,
    )  # fmt: skip


@transaction.atomic
def objective_create(*, plan: AccountPlan, actor, **fields) -> Objective:
    return _item_create(Objective, plan=plan, actor=actor, **fields)


@transaction.atomic
def objective_update(
    *, objective: Objective, actor, expected_version: int | None = None, **fields
) -> Objective:
    return _item_update(objective, actor=actor, expected_version=expected_version, **fields)


@transaction.atomic
def objective_delete(*, objective: Objective, actor) -> None:
    """Deletes its value hypotheses with it; actions linked to it lose the link."""
    _item_delete(objective, actor=actor)


@transaction.atomic
def hypothesis_create(*, plan: AccountPlan, actor, **fields) -> ValueHypothesis:
    return _item_create(ValueHypothesis, plan=plan, actor=actor, **fields)


@transaction.atomic
def hypothesis_update(
    *, hypothesis: ValueHypothesis, actor, expected_version: int | None = None, **fields
) -> ValueHypothesis:
    return _item_update(hypothesis, actor=actor, expected_version=expected_version, **fields)


@transaction.atomic
def hypothesis_delete(*, hypothesis: ValueHypothesis, actor) -> None:
    _item_delete(hypothesis, actor=actor)


@transaction.atomic
def risk_create(*, plan: AccountPlan, actor, **fields) -> Risk:
    return _item_create(Risk, plan=plan, actor=actor, **fields)


@transaction.atomic
def risk_update(*, risk: Risk, actor, expected_version: int | None = None, **fields) -> Risk:
    return _item_update(risk, actor=actor, expected_version=expected_version, **fields)


@transaction.atomic
def risk_delete(*, risk: Risk, actor) -> None:
    _item_delete(risk, actor=actor)


@transaction.atomic
def opportunity_create(*, plan: AccountPlan, actor, **fields) -> Opportunity:
    return _item_create(Opportunity, plan=plan, actor=actor, **fields)


@transaction.atomic
def opportunity_update(
    *, opportunity: Opportunity, actor, expected_version: int | None = None, **fields
) -> Opportunity:
    return _item_update(opportunity, actor=actor, expected_version=expected_version, **fields)


@transaction.atomic
def opportunity_delete(*, opportunity: Opportunity, actor) -> None:
    _item_delete(opportunity, actor=actor)


VERBS = {
    "created": PlanChange.Verb.CREATED,
    "updated": PlanChange.Verb.UPDATED,
    "deleted": PlanChange.Verb.DELETED,
}


def action_changed_record(*, item: Commitment, actor, verb: str, changes: list[dict]) -> None:
    """File a plan action's change on its plan's history (and bump the plan's version), from
    whichever screen, job or API call made it: activities.services announces every change of
    an agreed item (agreed_item_changed) and plans/signals.py calls this for a plan's."""
    if item.plan_id is None or not changes:
        return
    plan = AccountPlan.objects.get(pk=item.plan_id)
    entity = ENTITY[Commitment]
    _record(
        plan, actor=actor, entity=entity, verb=VERBS[verb], label=item.title,
        changes=[{"entity": entity, **change} for change in changes],
    )  # fmt: skip


def _check_action(plan: AccountPlan, fields: dict) -> None:
    _check_editable(plan)
    if fields.get("owner_stakeholder") is not None:
        raise ValidationError({"owner_stakeholder": _("A plan action is owned by one of us.")})
    if "owner_user" in fields:
        _check_owner(plan.account, fields["owner_user"], "owner_user")
    for name in ("objective", "opportunity", "risk"):
        if name in fields:
            _check_same_plan(plan, fields[name], name)


@transaction.atomic
def action_create(*, plan: AccountPlan, actor, **fields) -> Commitment:
    """A plan action is an agreed item of the plan's account (activities.services writes it,
    so it is chased like any other; the plan's history records it through the signal)."""
    plan = AccountPlan.objects.select_related("account").get(pk=plan.pk)
    fields.setdefault("owner_user", None)
    _check_action(plan, fields)
    return commitment_create(
        account=plan.account, actor=actor, source=CommitmentSource.PLAN, plan=plan, **fields
    )


@transaction.atomic
def action_update(
    *,
    action: Commitment,
    actor,
    expected_version: int | None = None,
    reason: str = "",
    **fields,
) -> Commitment:
    """The plan page's edit of an action (not once the plan is archived)."""
    plan = AccountPlan.objects.select_related("account").get(pk=action.plan_id)
    _check_action(plan, fields)
    return commitment_update(
        commitment=action, actor=actor, expected_version=expected_version, reason=reason,
        **fields,
    )  # fmt: skip


@transaction.atomic
def action_delete(*, action: Commitment, actor) -> None:
    _check_editable(AccountPlan.objects.get(pk=action.plan_id))
    commitment_delete(commitment=action, actor=actor)


# The views dispatch on the URL's kind; each entry is (create, update, delete) taking the row
# under the keyword its named service uses.
ITEM_SERVICES = {
    Objective: (objective_create, objective_update, objective_delete, "objective"),
    ValueHypothesis: (hypothesis_create, hypothesis_update, hypothesis_delete, "hypothesis"),
    Risk: (risk_create, risk_update, risk_delete, "risk"),
    Opportunity: (opportunity_create, opportunity_update, opportunity_delete, "opportunity"),
    Commitment: (action_create, action_update, action_delete, "action"),
}


# --- whitespace -------------------------------------------------------------------------------


@transaction.atomic
def business_unit_create(*, account: Account, actor, name: str) -> BusinessUnit:
    name = name.strip()
    if account.business_units.filter(name__iexact=name).exists():
        raise ValidationError({"name": _("This business unit is already on the matrix.")})
    unit = BusinessUnit(account=account, name=name)
    clean_row(unit)
    unit.save()
    return unit


@transaction.atomic
def whitespace_cell_set(
    *,
    account: Account,
    actor,
    business_unit: BusinessUnit,
    product: Product,
    state: str,
    opportunity: Opportunity | None = None,
) -> WhitespaceCell | None:
    """Set where `product` stands in `business_unit`; an empty state clears the cell."""
    if business_unit.account_id != account.pk:
        raise ValidationError({"business_unit": _("Choose a business unit of this account.")})
    if opportunity is not None and opportunity.plan.account_id != account.pk:
        raise ValidationError({"opportunity": _("Choose an opportunity of this account.")})
    if not state:
        WhitespaceCell.objects.filter(business_unit=business_unit, product=product).delete()
        return None
    if state not in WhitespaceState.values:
        raise ValidationError({"state": _("Choose a valid state.")})
    if state == WhitespaceState.NOT_A_FIT:
        opportunity = None
    cell, _created = WhitespaceCell.objects.update_or_create(
        business_unit=business_unit,
        product=product,
        defaults={
            "account": account,
            "state": state,
            "opportunity": opportunity,
            "updated_by": actor,
        },
    )
    return cell


# --- catalogue --------------------------------------------------------------------------------

PRODUCT_FIELDS = ("name", "series", "list_price", "currency")


@transaction.atomic
def product_create(*, actor, **fields) -> Product:
    """A product in the catalogue (the admin and the importer)."""
    product = Product(**fields)
    product.full_clean()
    product.save()
    _audit_product(product, actor, AuditEvent.Action.CREATED, created(snapshot(product, fields)))
    return product


@transaction.atomic
def product_update(*, product: Product, actor, **fields) -> Product:
    before = snapshot(product, fields)
    for name, value in fields.items():
        setattr(product, name, value)
    product.full_clean()
    product.save()
    if changes := changes_between(before, snapshot(product, fields)):
        _audit_product(product, actor, AuditEvent.Action.UPDATED, changes)
    return product


def _audit_product(product: Product, actor, action: str, changes: dict) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="product",
        object_id=product.pk,
        label=product.name,
        changes=changes,
    )


@transaction.atomic
def product_delete(*, product: Product, actor) -> None:
    """Opportunities keep their text and lose the link; whitespace cells of it go (CASCADE)."""
    before = snapshot(product, PRODUCT_FIELDS)
    _audit_product(
        product,
        actor,
        AuditEvent.Action.DELETED,
        {name: [text, None] for name, [_none, text] in created(before).items()},
    )
    product.delete()
