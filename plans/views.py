"""Account plan and whitespace pages. Every view reaches the account through
accounts.selectors.get_account_for_user and the plan and its rows only through that account."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.coverage import open_departures
from accounts.selectors import Access, account_page_stakeholders, get_account_for_user
from accounts.services import StaleEdit
from accounts.views import form_errors_into
from activities.models import Commitment
from activities.selectors import account_team
from kam.access import admin_required
from kam.dates import business_date
from kam.forms import changed_meanwhile, stale_edit_redrawn
from kam.params import parse_int
from plans import services
from plans.forms import (
    ActionForm,
    BusinessUnitForm,
    HypothesisForm,
    ObjectiveForm,
    OpportunityForm,
    OpportunityMoveForm,
    PlanForm,
    RiskForm,
    WhitespaceCellForm,
)
from plans.models import (
    STALE_AFTER_DAYS,
    Objective,
    Opportunity,
    Product,
    Risk,
    ValueHypothesis,
    WhitespaceState,
)
from plans.selectors import (
    HEAT_LEVELS,
    account_open_opportunities,
    active_plan,
    opportunity_board,
    plan_fields_changed_since,
    plan_history,
    plan_rows,
    plans_for_account,
    progress_from_rows,
    whitespace_heat,
    whitespace_matrix,
)


@dataclass(frozen=True)
class ItemKind:
    """One kind of plan row as the URLs name it (`objectives`, `risks`…)."""

    key: str
    model: type[models.Model]
    form: type
    add_label: str

    @property
    def services(self):
        return services.ITEM_SERVICES[self.model]


ITEM_KINDS = {
    kind.key: kind
    for kind in (
        ItemKind("objectives", Objective, ObjectiveForm, gettext_lazy("Add objective")),
        ItemKind("hypotheses", ValueHypothesis, HypothesisForm, gettext_lazy("Add hypothesis")),
        ItemKind("risks", Risk, RiskForm, gettext_lazy("Add risk")),
        ItemKind("opportunities", Opportunity, OpportunityForm, gettext_lazy("Add opportunity")),
        ItemKind("actions", Commitment, ActionForm, gettext_lazy("Add action")),
    )
}


def _account_page(account, tab: str, **context) -> dict:
    """What the account header needs (its departure flag and the tab bar) plus `context`."""
    return {
        "account": account,
        "tab": tab,
        "departures": open_departures(account_page_stakeholders(account)),
        "today": business_date(),
        **context,
    }


def _plan_of(request, pk: int, plan_pk: int, *, action: Access = Access.VIEW):
    account = get_account_for_user(request.user, pk, action=action)
    plan = get_object_or_404(plans_for_account(account), pk=plan_pk)
    plan.account = account
    return account, plan


def _item_form(kind: ItemKind, plan, team, request, *, data=None, instance=None, initial=None):
    default_owner = next((u for u in team if u.pk == request.user.pk), plan.account.owner)
    return kind.form(
        data, instance=instance, prefix=kind.key, plan=plan, team=team,
        default_owner=default_owner, initial=initial,
    )  # fmt: skip


def _plan_context(request, account, plan, *, bound_form=None, bound_kind: str = "") -> dict:
    """The plan page: progress, SWOT, the five sections with their add forms, other plans."""
    today = business_date()
    rows = plan_rows(plan)
    for action in rows.actions:
        action.overdue = action.is_overdue(today)
    team = account_team(account)
    add_forms = {}
    if not plan.is_archived:
        for key, kind in ITEM_KINDS.items():
            add_forms[key] = (
                bound_form if key == bound_kind else _item_form(kind, plan, team, request)
            )
    return _account_page(
        account,
        "plan",
        plan=plan,
        rows=rows,
        progress=progress_from_rows(
            objectives=rows.objectives,
            actions=rows.actions,
            hypotheses=rows.hypotheses,
            opportunities=rows.opportunities,
            today=today,
        ),
        add_forms=add_forms,
        open_kind=bound_kind,
        kinds=ITEM_KINDS,
        other_plans=[p for p in plans_for_account(account) if p.pk != plan.pk],
        is_stale=plan.is_stale(today),
        days_since_review=plan.days_since_review(today),
        stale_after_days=STALE_AFTER_DAYS,
    )


def _render_plan(request, account, plan, *, status: int = 200, **kwargs):
    template = "plans/plan_detail.html"
    if request.htmx and request.htmx.target == "plan-body":
        template += "#plan_body"
    return render(request, template, _plan_context(request, account, plan, **kwargs), status=status)


@require_GET
def account_plan(request, pk: int):
    """The account's active plan; without one, its plans and a way to start one."""
    account = get_account_for_user(request.user, pk)
    plan = active_plan(account)
    if plan is not None:
        plan.account = account
        return _render_plan(request, account, plan)
    return render(
        request,
        "plans/plan_list.html",
        _account_page(account, "plan", plans=list(plans_for_account(account))),
    )


@require_GET
def plan_detail(request, pk: int, plan_pk: int):
    account, plan = _plan_of(request, pk, plan_pk)
    return _render_plan(request, account, plan)


def _default_period():
    today = business_date()
    return today.replace(month=1, day=1), today.replace(month=12, day=31)


@require_http_methods(["GET", "POST"])
def plan_create(request, pk: int):
    account = get_account_for_user(request.user, pk, action=Access.EDIT)
    start, end = _default_period()
    form = PlanForm(
        request.POST or None,
        initial={
            "title": _("%(account)s account plan %(year)s")
            % {"account": account.name, "year": start.year},
            "period_start": start,
            "period_end": end,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(account=account, actor=request.user, **form.plan_fields())
        except ValidationError as error:
            form_errors_into(form, error)
        else:
            messages.success(request, _("Plan created as a draft. Activate it when it is ready."))
            return redirect(plan)
    return render(
        request,
        "plans/plan_form.html",
        _account_page(account, "plan", form=form, plan=None),
        status=422 if form.errors else 200,
    )


def _merge_their_changes(form, current, *, expected: int) -> None:
    """After a refused save: fields only the other person changed take their value in the
    form; fields this user changed stay as typed; a field both changed is flagged with their
    value. The form then carries the current version, so saving again keeps both."""
    stale_edit_redrawn(form, current.version)
    for name, base in plan_fields_changed_since(current, expected).items():
        if name not in form.fields:
            continue
        theirs = getattr(current, name)
        mine = form.cleaned_data.get(name)
        if services.as_text(mine) == base:
            form.data[name] = theirs.isoformat() if hasattr(theirs, "isoformat") else theirs
        elif services.as_text(mine) != services.as_text(theirs):
            changed_meanwhile(form, name, services.as_text(theirs) or "—")
    form.add_error(
        None,
        _("Someone else changed this plan while you were editing. Their changes are merged "
          "into the form and shown beside it; your own changes are kept. Review and save "
          "again."),
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
def plan_edit(request, pk: int, plan_pk: int):
    account, plan = _plan_of(request, pk, plan_pk, action=Access.EDIT)
    form = PlanForm(request.POST or None, instance=plan)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_update(
                plan=plan,
                expected_version=form.cleaned_data.get("version") or 0,
                actor=request.user,
                **form.plan_fields(),
            )
        except services.StalePlanEdit as stale:
            conflict = stale.current
            _merge_their_changes(form, conflict, expected=form.cleaned_data.get("version") or 0)
        except ValidationError as error:
            form_errors_into(form, error)
        else:
            messages.success(request, _("Plan saved."))
            return redirect(plan)
    return render(
        request,
        "plans/plan_form.html",
        _account_page(account, "plan", form=form, plan=plan, conflict=conflict),
        status=422 if form.errors else 200,
    )


@require_GET
def plan_history_page(request, pk: int, plan_pk: int):
    account, plan = _plan_of(request, pk, plan_pk)
    return render(
        request,
        "plans/plan_history.html",
        _account_page(account, "plan", plan=plan, changes=plan_history(plan)),
    )


def _plan_action(request, pk: int, plan_pk: int, service, success: str):
    _account, plan = _plan_of(request, pk, plan_pk, action=Access.EDIT)
    try:
        result = service(plan=plan, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(plan)
    messages.success(request, success)
    return redirect(result)


@require_POST
def plan_activate(request, pk: int, plan_pk: int):
    return _plan_action(
        request,
        pk,
        plan_pk,
        services.plan_activate,
        _("The plan is now the account's active plan."),
    )


@require_POST
def plan_archive(request, pk: int, plan_pk: int):
    return _plan_action(request, pk, plan_pk, services.plan_archive, _("Plan archived."))


@require_POST
def plan_review(request, pk: int, plan_pk: int):
    return _plan_action(
        request, pk, plan_pk, services.plan_mark_reviewed, _("Plan marked as reviewed today.")
    )


@require_POST
def plan_next_period(request, pk: int, plan_pk: int):
    return _plan_action(
        request,
        pk,
        plan_pk,
        services.plan_start_next_period,
        _("Next period's plan started as a draft, with this plan's open work carried over."),
    )


# --- plan rows --------------------------------------------------------------------------------


def _kind(kind: str) -> ItemKind:
    return ITEM_KINDS[kind]  # the URL converter only lets known kinds through


@require_http_methods(["GET", "POST"])
def plan_item_create(request, pk: int, plan_pk: int, kind: str):
    """Adds a row. From the plan page (htmx) the plan body comes back, with the form's errors
    in place and status 422 when it was refused; without JavaScript, a redirect or the page."""
    account, plan = _plan_of(request, pk, plan_pk, action=Access.EDIT)
    item_kind = _kind(kind)
    team = account_team(account)
    form = _item_form(item_kind, plan, team, request, data=request.POST or None)
    if request.method == "GET":
        # From an open whitespace cell: the new opportunity starts on that cell's product.
        product = parse_int(request.GET.get("product", ""))
        if kind == "opportunities" and product is not None:
            form = _item_form(item_kind, plan, team, request, initial={"product": product})
        return render(
            request,
            "plans/item_form.html",
            _account_page(account, "plan", plan=plan, form=form, kind=item_kind, item=None),
        )
    if form.is_valid():
        create = item_kind.services[0]
        try:
            create(plan=plan, actor=request.user, **form.item_fields())
        except ValidationError as error:
            form_errors_into(form, error)
        else:
            messages.success(request, _("Saved."))
            if request.htmx:
                plan.refresh_from_db(fields=["version", "updated_at"])
                return _render_plan(request, account, plan)
            return redirect(f"{plan.get_absolute_url()}#{kind}")
    return _render_plan(request, account, plan, status=422, bound_form=form, bound_kind=kind)


def _conflict_rows(form, current) -> list[tuple[str, object]]:
    rows = []
    for name in services.ITEM_FIELDS[type(current)]:
        display = getattr(current, f"get_{name}_display", None)
        value = display() if display else getattr(current, name)
        rows.append((form.fields[name].label, value))
    return rows


@require_http_methods(["GET", "POST"])
def plan_item_edit(request, pk: int, plan_pk: int, kind: str, item_pk: int):
    account, plan = _plan_of(request, pk, plan_pk, action=Access.EDIT)
    item_kind = _kind(kind)
    item = get_object_or_404(item_kind.model.objects.filter(plan=plan), pk=item_pk)
    team = account_team(account)
    form = _item_form(item_kind, plan, team, request, data=request.POST or None, instance=item)
    conflict_rows = None
    if request.method == "POST" and form.is_valid():
        update = item_kind.services[1]
        try:
            update(
                **{item_kind.services[3]: item},
                actor=request.user,
                expected_version=form.cleaned_data.get("version"),
                **form.item_fields(),
            )
        except StaleEdit as stale:
            conflict_rows = _conflict_rows(form, stale.current)
            form.add_error(
                None,
                _("Someone else saved this while you were editing. Their version is shown "
                  "beside the form; your changes are still in the form — review and save again."),
            )  # fmt: skip
            stale_edit_redrawn(form, stale.current.version)
        except ValidationError as error:
            form_errors_into(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect(f"{plan.get_absolute_url()}#{kind}")
    return render(
        request,
        "plans/item_form.html",
        _account_page(
            account,
            "plan",
            plan=plan,
            form=form,
            kind=item_kind,
            item=item,
            conflict_rows=conflict_rows,
        ),
        status=422 if form.errors else 200,
    )


@require_POST
def plan_item_delete(request, pk: int, plan_pk: int, kind: str, item_pk: int):
    account, plan = _plan_of(request, pk, plan_pk, action=Access.EDIT)
    item_kind = _kind(kind)
    item = get_object_or_404(item_kind.model.objects.filter(plan=plan), pk=item_pk)
    try:
        item_kind.services[2](**{item_kind.services[3]: item}, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Removed."))
        if request.htmx:
            plan.refresh_from_db(fields=["version", "updated_at"])
            return _render_plan(request, account, plan)
    return redirect(f"{plan.get_absolute_url()}#{kind}")


# --- opportunity board ----------------------------------------------------------------------


def _render_board(request, account, *, status: int = 200, moved=None, refused: str = ""):
    template = "plans/opportunity_board.html"
    if request.htmx:
        template += "#board"
    context = _account_page(
        account, "opportunities", columns=opportunity_board(account), moved=moved, refused=refused
    )
    return render(request, template, context, status=status)


@require_GET
def opportunity_board_page(request, pk: int):
    """The account's opportunities as a kanban board, one column per stage."""
    account = get_account_for_user(request.user, pk)
    return _render_board(request, account)


@require_POST
def opportunity_move(request, pk: int, opportunity_pk: int):
    """Move a card to another stage through the opportunity's update service. A move over a
    newer save, or one the service refuses, changes nothing: the board comes back as it is now,
    with the reason."""
    account = get_account_for_user(request.user, pk, action=Access.EDIT)
    opportunity = get_object_or_404(
        Opportunity.objects.filter(plan__account=account).select_related("plan"),
        pk=opportunity_pk,
    )
    form = OpportunityMoveForm(request.POST)
    refused, moved = "", None
    if not form.is_valid():
        refused = " ".join(" ".join(errors) for errors in form.errors.values())
    else:
        try:
            moved = services.opportunity_update(
                opportunity=opportunity,
                actor=request.user,
                expected_version=form.cleaned_data["version"],
                stage=form.cleaned_data["stage"],
            )
        except StaleEdit as stale:
            refused = _(
                "“%(title)s” was changed by someone else meanwhile; it was not moved and is "
                "shown where it is now."
            ) % {"title": stale.current.title}
        except ValidationError as error:
            refused = _("“%(title)s” was not moved: %(reason)s") % {
                "title": opportunity.title,
                "reason": " ".join(error.messages),
            }
    if request.htmx:
        return _render_board(request, account, status=409 if refused else 200, moved=moved,
                             refused=refused)  # fmt: skip
    if refused:
        messages.error(request, refused)
    else:
        messages.success(
            request,
            _("“%(title)s” moved to %(stage)s.")
            % {"title": moved.title, "stage": moved.get_stage_display()},
        )
    return redirect("opportunity_board", pk=account.pk)


# --- whitespace -------------------------------------------------------------------------------


def _whitespace_context(account, *, unit_form=None, editing: bool = True) -> dict:
    """The matrix as a heat map to read, or (`editing`) as a grid of state fields."""
    products, rows = whitespace_matrix(account)
    context = _account_page(
        account,
        "whitespace",
        products=products,
        matrix=rows,
        states=WhitespaceState.choices,
        editing=editing,
        unit_form=unit_form or BusinessUnitForm(),
    )
    if editing:
        context["opportunities"] = account_open_opportunities(account)
    else:
        context["heat"] = whitespace_heat(rows)
        context["heat_levels"] = range(1, HEAT_LEVELS + 1)
        context["plan"] = active_plan(account)  # where “Create opportunity” adds one
    return context


@require_GET
def account_whitespace(request, pk: int):
    """The heat map; `?edit=1` shows the grid that sets each cell's state."""
    account = get_account_for_user(request.user, pk)
    editing = request.GET.get("edit") == "1"
    return render(request, "plans/whitespace.html", _whitespace_context(account, editing=editing))


@require_POST
def business_unit_create(request, pk: int):
    account = get_account_for_user(request.user, pk, action=Access.EDIT)
    form = BusinessUnitForm(request.POST)
    if form.is_valid():
        try:
            unit = services.business_unit_create(
                account=account, actor=request.user, name=form.cleaned_data["name"]
            )
        except ValidationError as error:
            form_errors_into(form, error)
        else:
            messages.success(request, _("%(name)s added to the matrix.") % {"name": unit.name})
            return redirect("account_whitespace", pk=account.pk)
    return render(
        request,
        "plans/whitespace.html",
        _whitespace_context(account, unit_form=form),
        status=422,
    )


@require_POST
def whitespace_cell_set(request, pk: int):
    account = get_account_for_user(request.user, pk, action=Access.EDIT)
    form = WhitespaceCellForm(request.POST, account=account)
    cell = None
    if form.is_valid():
        try:
            cell = services.whitespace_cell_set(
                account=account, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_into(form, error)
    if form.errors:
        if request.htmx:
            return render(
                request,
                "plans/partials/whitespace_error.html",
                {"errors": form.errors},
                status=422,
            )
        messages.error(request, _("The cell was not saved: %(errors)s") % {
            "errors": " ".join(" ".join(e) for e in form.errors.values())
        })  # fmt: skip
        return redirect("account_whitespace", pk=account.pk)
    messages.success(request, _("Whitespace updated."))
    if request.htmx:
        return render(
            request,
            "plans/whitespace.html#cell",
            {
                "account": account,
                "unit": form.cleaned_data["business_unit"],
                "product": form.cleaned_data["product"],
                "cell": cell,
                "states": WhitespaceState.choices,
                "opportunities": account_open_opportunities(account),
            },
        )
    return redirect("account_whitespace", pk=account.pk)


@require_GET
@admin_required
def product_list(request):
    return render(
        request,
        "plans/product_list.html",
        {"products": Product.objects.order_by("series", "name")},
    )
