"""Reads of account plans shared by views, jobs, the QBR prep pack and the health score.
Access goes through accounts.selectors; nothing here filters by owner by hand."""

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import models
from django.db.models import Case, Count, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import formats, timezone

from accounts.models import Account
from accounts.selectors import on_accounts_for_user
from activities.models import Commitment, CommitmentStatus
from kam.dates import business_day_start
from kam.lookups import InArray
from plans.models import (
    CLOSED_STAGES,
    HIGH_SEVERITY,
    STALE_AFTER_DAYS,
    AccountPlan,
    BusinessUnit,
    Objective,
    Opportunity,
    OpportunityStage,
    PlanChange,
    PlanStatus,
    Product,
    Risk,
    RiskStatus,
    ValueHypothesis,
    WhitespaceCell,
)


def plans_for_account(account: Account) -> QuerySet[AccountPlan]:
    """Every plan of the account, the active one first, then newest period first."""
    return (
        AccountPlan.objects.filter(account=account)
        .select_related("reviewed_by")
        .order_by(
            Case(When(status=PlanStatus.ACTIVE, then=Value(0)), default=Value(1)),
            "-period_start",
            "-pk",
        )
    )


def active_plan(account: Account) -> AccountPlan | None:
    return (
        AccountPlan.objects.filter(account=account, status=PlanStatus.ACTIVE)
        .select_related("reviewed_by")
        .first()
    )


def get_plan_for_user(user, pk: int) -> AccountPlan:
    """The plan, or 404 when it does not exist or its account is not shared with `user`."""
    return get_object_or_404(
        on_accounts_for_user(AccountPlan.objects.select_related("account", "reviewed_by"), user),
        pk=pk,
    )


@dataclass(frozen=True)
class PlanProgress:
    objectives_total: int
    objectives_on_track: int  # on track or achieved
    actions_open: int
    actions_overdue: int
    # Per currency: {"BRL": Decimal(...)}; a plan may mix currencies, so no single total.
    expected_value: dict[str, Decimal] = field(default_factory=dict)
    realised_value: dict[str, Decimal] = field(default_factory=dict)
    weighted_pipeline: dict[str, Decimal] = field(default_factory=dict)

    @property
    def value_rows(self) -> list[tuple[str, Decimal, Decimal, int | None]]:
        """(currency, realised, expected, realised % of expected) per currency."""
        rows = []
        for currency in sorted(set(self.expected_value) | set(self.realised_value)):
            expected = self.expected_value.get(currency, Decimal(0))
            realised = self.realised_value.get(currency, Decimal(0))
            pct = int(realised / expected * 100) if expected else None
            rows.append((currency, realised, expected, pct))
        return rows


def progress_from_rows(
    *,
    objectives: Iterable[Objective],
    actions: Iterable[Commitment],
    hypotheses: Iterable[ValueHypothesis],
    opportunities: Iterable[Opportunity],
    today: date,
) -> PlanProgress:
    """The progress figures from rows already loaded (no queries): the plan page uses this."""
    objectives, actions = list(objectives), list(actions)
    expected, realised, pipeline = defaultdict(Decimal), defaultdict(Decimal), defaultdict(Decimal)
    for hypothesis in hypotheses:
        expected[hypothesis.currency] += hypothesis.expected_value
        realised[hypothesis.currency] += hypothesis.realised_value
    for opportunity in opportunities:
        if opportunity.is_open:
            pipeline[opportunity.currency] += opportunity.weighted_value
    return PlanProgress(
        objectives_total=len(objectives),
        objectives_on_track=sum(1 for o in objectives if o.counts_as_on_track),
        actions_open=sum(1 for a in actions if a.is_open),
        actions_overdue=sum(1 for a in actions if a.is_overdue(today)),
        expected_value=dict(expected),
        realised_value=dict(realised),
        weighted_pipeline=dict(pipeline),
    )


def plan_progress(plan: AccountPlan, today: date) -> PlanProgress:
    """Objectives on track / total, actions overdue, realised vs expected value and the
    weighted pipeline (four queries)."""
    return progress_from_rows(
        objectives=plan.objectives.only("status"),
        actions=plan.actions.only("status", "due_date"),
        hypotheses=plan.hypotheses.only("currency", "expected_value", "realised_value"),
        opportunities=plan.opportunities.only("stage", "currency", "amount", "probability"),
        today=today,
    )


def _first(**condition):
    """An ordering that puts the rows matching `condition` first."""
    return Case(When(Q(**condition), then=Value(0)), default=Value(1))


@dataclass
class PlanRows:
    """Everything the plan page lists, each kind loaded in one query with what it shows."""

    objectives: list[Objective]
    hypotheses: list[ValueHypothesis]
    risks: list[Risk]
    opportunities: list[Opportunity]
    actions: list[Commitment]


def plan_rows(plan: AccountPlan) -> PlanRows:
    """Five queries, whatever the plan's size."""
    return PlanRows(
        objectives=list(plan.objectives.order_by("due_date", "pk")),
        hypotheses=list(plan.hypotheses.select_related("objective").order_by("objective_id", "pk")),
        risks=list(
            plan.risks.select_related("owner").order_by(
                _first(status=RiskStatus.OPEN), "status", "-severity", "-likelihood", "pk"
            )
        ),
        opportunities=list(plan.opportunities.select_related("owner", "product")),
        actions=list(
            plan.actions.select_related("owner_user", "objective", "opportunity", "risk").order_by(
                _first(status=CommitmentStatus.OPEN), "due_date", "pk"
            )
        ),
    )


def stale_plans(accounts: QuerySet[Account], today: date) -> QuerySet[AccountPlan]:
    """Active plans of `accounts` not reviewed for 90 days (never reviewed: counted from when
    the plan was made), oldest review first."""
    cutoff = today - timedelta(days=STALE_AFTER_DAYS - 1)
    return (
        AccountPlan.objects.filter(account__in=accounts, status=PlanStatus.ACTIVE)
        .filter(
            Q(last_reviewed_at__lt=business_day_start(cutoff))
            | Q(last_reviewed_at__isnull=True, created_at__lt=business_day_start(cutoff))
        )
        .select_related("account", "account__owner", "reviewed_by")
        .order_by("last_reviewed_at", "created_at")
    )


def account_stale_plan(account: Account, today: date) -> AccountPlan | None:
    """The account's active plan when stale_plans counts it, for the account page's banner:
    one query, with only the dates the banner draws (stale_plans joins the account, its owner
    and the reviewer for its lists: 2.4 → 1.0 ms of the page at 20,000 accounts)."""
    return (
        stale_plans(Account.objects.filter(pk=account.pk), today)
        .select_related(None)
        .only("last_reviewed_at", "created_at")
        .first()
    )


def qbr_plan_summary(account: Account, since_date: date) -> dict:
    """The account plan part of the QBR prep pack (four queries; one when there is no active
    plan). Keys:

    - "plan": the active AccountPlan, or None (then the lists are empty);
    - "objectives": its objectives, each with `.gap` (target − current value, the baseline
      when not measured yet), `.progress_pct` and the display of status;
    - "open_risks": open risks (+ owner), highest severity × likelihood first;
    - "open_opportunities": opportunities not won or lost (+ owner, product), soonest close
      first;
    - "changes_since": PlanChange rows (+ user) since `since_date` (e.g. the last QBR)."""
    plan = active_plan(account)
    if plan is None:
        return {
            "plan": None,
            "objectives": [],
            "open_risks": [],
            "open_opportunities": [],
            "changes_since": [],
        }
    risks = sorted(
        plan.risks.filter(status=RiskStatus.OPEN).select_related("owner"),
        key=lambda risk: (-risk.exposure, -risk.severity, risk.pk),
    )
    return {
        "plan": plan,
        "objectives": list(plan.objectives.order_by("due_date", "pk")),
        "open_risks": risks,
        "open_opportunities": list(
            plan.opportunities.exclude(stage__in=CLOSED_STAGES)
            .select_related("owner", "product")
            .order_by("expected_close", "pk")
        ),
        "changes_since": list(
            plan.changes.filter(changed_at__gte=business_day_start(since_date)).select_related(
                "user"
            )
        ),
    }


def open_high_risk_counts(account_ids: Iterable[int]) -> dict[int, int]:
    """Open risks with severity ≥ 4 on each account's active plan (one query).

    Only accounts WITH an active plan are keys (0 when it has no such risk): an account
    missing from the result has no plan, so the risk input is unknown, not zero. Each plan's
    risks are counted by a probe of the (plan, status, severity) index: joined to the plans,
    PostgreSQL hashed every risk of the portfolio for each chunk of the nightly health
    (12 ms of a 1,000-account chunk at 100,000 accounts, bench/README.md)."""
    high = (
        Risk.objects.filter(
            plan=OuterRef("pk"), status=RiskStatus.OPEN, severity__gte=HIGH_SEVERITY
        )
        .order_by()
        .values("plan")
        .annotate(count=Count("*"))
        .values("count")
    )
    rows = (
        AccountPlan.objects.filter(InArray(F("account_id"), account_ids), status=PlanStatus.ACTIVE)
        .order_by()
        .values_list("account_id", Coalesce(Subquery(high), 0))
    )
    return dict(rows)


# --- history ----------------------------------------------------------------------------------

ENTITY_MODELS = {
    PlanChange.Entity.PLAN: AccountPlan,
    PlanChange.Entity.OBJECTIVE: Objective,
    PlanChange.Entity.HYPOTHESIS: ValueHypothesis,
    PlanChange.Entity.RISK: Risk,
    PlanChange.Entity.OPPORTUNITY: Opportunity,
    PlanChange.Entity.ACTION: Commitment,
}


FIELD_RENAMES = {(Commitment, "owner"): "owner_user"}


def _display(model, field_name: str | None, value: str | None) -> str | None:
    """A recorded value as people read it: choice labels, local dates and numbers."""
    if value is None or field_name is None:
        return value
    try:
        model_field = model._meta.get_field(field_name)
    except Exception:
        return value
    try:
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        if isinstance(model_field, models.DateTimeField):
            return formats.date_format(
                timezone.localtime(datetime.fromisoformat(value)), "SHORT_DATETIME_FORMAT"
            )
        if isinstance(model_field, models.DateField):
            return formats.date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")
        if isinstance(model_field, models.DecimalField):
            return formats.number_format(Decimal(value), use_l10n=True, force_grouping=True)
    except (ValueError, ArithmeticError):
        return value
    return value


def plan_history(plan: AccountPlan, limit: int = 200) -> list[PlanChange]:
    """The plan's changes, newest first (one query), each with `.rows`: the changed fields
    with their labels and values as shown to people."""
    changes = list(plan.changes.select_related("user")[:limit])
    for change in changes:
        rows = []
        for item in change.changes:
            model = ENTITY_MODELS.get(item.get("entity"), AccountPlan)
            # Actions recorded before they became agreed items named their owner "owner".
            name = FIELD_RENAMES.get((model, item.get("field")), item.get("field"))
            if name:
                try:
                    label = str(model._meta.get_field(name).verbose_name)
                except Exception:
                    label = name
            else:
                label = str(model._meta.verbose_name_plural)
            rows.append(
                {
                    "label": label,
                    "before": _display(model, name, item.get("before")),
                    "after": _display(model, name, item.get("after")),
                }
            )
        change.rows = rows
    return changes


def plan_fields_changed_since(plan: AccountPlan, version: int) -> dict[str, str | None]:
    """The plan's own fields saved after `version`, each with its value AT `version` (as
    recorded text): what an editor who opened the form at `version` started from (one query)."""
    base: dict[str, str | None] = {}
    later = plan.changes.filter(entity=PlanChange.Entity.PLAN, version__gt=version).order_by(
        "version", "pk"
    )
    for change in later:
        for item in change.changes:
            if item.get("field") and item["field"] not in base:
                base[item["field"]] = item.get("before")
    return base


# --- whitespace -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhitespaceRow:
    unit: BusinessUnit
    cells: list[tuple[Product, WhitespaceCell | None]]


def whitespace_matrix(account: Account) -> tuple[list[Product], list[WhitespaceRow]]:
    """Business units × products with the cell of each pair (three queries)."""
    products = list(Product.objects.order_by("series", "name"))
    units = list(account.business_units.order_by("name"))
    cells = {
        (cell.business_unit_id, cell.product_id): cell
        for cell in WhitespaceCell.objects.filter(account=account).select_related(
            "opportunity", "opportunity__plan"
        )
    }
    rows = [
        WhitespaceRow(unit, [(product, cells.get((unit.pk, product.pk))) for product in products])
        for unit in units
    ]
    return products, rows


def account_open_opportunities(account: Account) -> list[Opportunity]:
    """Open opportunities of the account's draft and active plans, for linking cells."""
    return list(
        Opportunity.objects.filter(plan__account=account)
        .exclude(stage__in=CLOSED_STAGES)
        .exclude(plan__status=PlanStatus.ARCHIVED)
        .order_by("title", "pk")
    )


def open_opportunities():
    """Opportunities still open, in plans that are not archived: the expansion pipeline."""

    return Opportunity.objects.exclude(stage__in=CLOSED_STAGES).exclude(
        plan__status=PlanStatus.ARCHIVED
    )


def open_pipeline_q() -> Q:
    return Q(pk__in=open_opportunities().values("plan__account_id"))


# --- opportunity board ------------------------------------------------------------------------


@dataclass
class BoardColumn:
    """One stage of the opportunity board: its cards and, per currency, what they add up to —
    the weighted value (amount × probability, `Opportunity.weighted_value`) while the stage is
    open, the plain amount once won or lost (a closed deal is not pipeline any more)."""

    stage: str
    label: str
    is_open: bool
    cards: list[Opportunity] = field(default_factory=list)
    totals: dict[str, Decimal] = field(default_factory=dict)


def opportunity_board(account: Account) -> list[BoardColumn]:
    """The opportunities of the account's draft and active plans by stage, one column per stage
    in the pipeline's order (one query, whatever the number of opportunities). The open columns'
    totals add up to the plan page's weighted pipeline (`progress_from_rows`)."""
    columns = {
        stage: BoardColumn(stage=stage, label=str(label), is_open=stage not in CLOSED_STAGES)
        for stage, label in OpportunityStage.choices
    }
    opportunities = (
        Opportunity.objects.filter(plan__account=account)
        .exclude(plan__status=PlanStatus.ARCHIVED)
        .select_related("owner", "product")
        .order_by("expected_close", "pk")
    )
    for opportunity in opportunities:
        column = columns[opportunity.stage]
        column.cards.append(opportunity)
        value = opportunity.weighted_value if opportunity.is_open else opportunity.amount
        column.totals[opportunity.currency] = (
            column.totals.get(opportunity.currency, Decimal(0)) + value
        )
    return list(columns.values())


# --- whitespace heat map ----------------------------------------------------------------------

HEAT_LEVELS = 4
HEAT_STATES_WITH_VALUE = ("current", "in_progress", "opportunity")


@dataclass(frozen=True)
class HeatCell:
    """One cell of the whitespace heat map. `state` is the cell's state, "none" when nobody has
    assessed it; `value` is the linked opportunity's amount, else the product's list price (a
    cell that is not a fit, or not assessed, has none); `level` (0–4) shades it against the
    largest value in the same currency on the matrix."""

    unit: BusinessUnit
    product: Product
    cell: WhitespaceCell | None
    state: str
    value: Decimal | None
    currency: str
    level: int

    @property
    def opportunity(self) -> Opportunity | None:
        return self.cell.opportunity if self.cell else None


def _heat_value(product: Product, cell: WhitespaceCell | None) -> tuple[Decimal | None, str]:
    if cell is None or cell.state not in HEAT_STATES_WITH_VALUE:
        return None, product.currency
    if cell.opportunity is not None:
        return cell.opportunity.amount, cell.opportunity.currency
    return product.list_price, product.currency


def whitespace_heat(rows: list[WhitespaceRow]) -> list[tuple[BusinessUnit, list[HeatCell]]]:
    """The matrix from `whitespace_matrix` as heat-map cells (no queries)."""
    valued = [
        [(product, cell, *_heat_value(product, cell)) for product, cell in row.cells]
        for row in rows
    ]
    largest: dict[str, Decimal] = {}
    for row in valued:
        for _product, _cell, value, currency in row:
            if value is not None:
                largest[currency] = max(largest.get(currency, Decimal(0)), value)
    heat = []
    for row, cells in zip(rows, valued, strict=True):
        heat_cells = []
        for product, cell, value, currency in cells:
            level = 0
            if value is not None:
                top = largest[currency]
                level = max(1, math.ceil(value * HEAT_LEVELS / top)) if top else 1
            heat_cells.append(
                HeatCell(
                    unit=row.unit,
                    product=product,
                    cell=cell,
                    state=cell.state if cell else "none",
                    value=value,
                    currency=currency,
                    level=int(level),
                )
            )
        heat.append((row.unit, heat_cells))
    return heat
