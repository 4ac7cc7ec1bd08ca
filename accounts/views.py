import copy
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import services
from accounts.coverage import open_departures, stakeholder_coverage
from accounts.forms import (
    AccountForm,
    CompanyHolidayForm,
    MilestoneForm,
    RatingForm,
    SatisfactionForm,
    ScoringConfigForm,
    StakeholderForm,
    TierReviewForm,
    WorkingCalendarForm,
)
from accounts.models import CompanyHoliday, ScoringConfig, Tier, WorkingCalendar
from accounts.relationship_map import relationship_map_data
from accounts.selectors import (
    STAKEHOLDER_SORTING,
    Access,
    account_page_stakeholders,
    accounts_for_user,
    audit_rows,
    current_config,
    get_account_for_user,
    holidays_ahead,
    tier_review_rows,
)
from accounts.timeline import stakeholder_last_interactions
from kam.access import admin_required, leader_required
from kam.audit import audit_events
from kam.dates import business_date
from kam.forms import AuditFilterForm, changed_meanwhile, stale_edit_redrawn
from kam.params import next_param

PAGE_SIZE = 25


def form_errors_into(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form, field by field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _account_parents(user):
    return accounts_for_user(user).order_by("name")


@require_http_methods(["GET", "POST"])
def account_create(request):
    form = AccountForm(
        request.POST or None, user=request.user, parents=_account_parents(request.user)
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in {"team", "version"}}
        if "owner" in form.locked:
            data["owner"] = request.user
        try:
            account = services.account_create(
                actor=request.user, team=form.cleaned_data["team"], **data
            )
        except ValidationError as error:
            form_errors_into(form, error)
        else:
            messages.success(request, _("Account %(name)s created.") % {"name": account.name})
            return redirect(account)
    return render(
        request,
        "accounts/account_form.html",
        {"form": form, "account": None},
        status=_form_status(form),
    )


def _form_status(form) -> int:
    """403 when the form asked for a change the user may not make, 422 for other errors."""
    if form.refused:
        return 403
    return 422 if form.errors else 200


@require_http_methods(["GET", "POST"])
def account_edit(request, pk: int):
    """The profile. The owner and team fields are locked for those who may not change them
    (accounts.selectors.account_permits); a change sent to a locked field is refused (403)."""
    account = get_account_for_user(request.user, pk, action=Access.EDIT)
    form = AccountForm(
        request.POST or None,
        instance=account,
        user=request.user,
        parents=_account_parents(request.user),
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        skip = {"team", "version", *form.locked}
        data = {k: v for k, v in form.cleaned_data.items() if k not in skip}
        expected = form.cleaned_data.get("version") or 0
        try:
            account = services.account_update(
                account=get_account_for_user(request.user, pk, action=Access.EDIT),
                expected_version=expected,
                actor=request.user,
                team=None if "team" in form.locked else form.cleaned_data["team"],
                **data,
            )
        except services.StaleEdit as stale:
            conflict = stale.current
            form.add_error(
                None,
                _("Someone else saved this account while you were editing. Their version is "
                  "shown below; your changes are still in the form — review and save again."),
            )  # fmt: skip
            stale_edit_redrawn(form, conflict.version)
        except ValidationError as error:
            form_errors_into(form, error)
        else:
            messages.success(request, _("Account saved."))
            if not accounts_for_user(request.user).filter(pk=account.pk).exists():
                # The save took the account out of the user's sight (they left its team).
                messages.info(request, _("You are no longer on the team of %(name)s.")
                              % {"name": account.name})  # fmt: skip
                return redirect("account_list")
            return redirect(account)
    return render(
        request,
        "accounts/account_form.html",
        {"form": form, "account": account, "conflict": conflict},
        status=_form_status(form),
    )


def account_page_context(request, account, tab: str, **context):
    """Context every tab shares: the header, its departure flag and the tab bar."""
    stakeholders = context.pop("stakeholders", None)
    if stakeholders is None:
        stakeholders = account_page_stakeholders(account)
    return {
        "account": account,
        "tab": tab,
        "stakeholders": stakeholders,
        "departures": open_departures(stakeholders),
        "today": business_date(),
        **context,
    }


@require_GET
def account_stakeholders(request, pk: int):
    account = get_account_for_user(request.user, pk)
    sort = STAKEHOLDER_SORTING.parse(request.GET.get("sort"))
    stakeholders = account_page_stakeholders(account, sort)
    context = account_page_context(
        request,
        account,
        "stakeholders",
        stakeholders=stakeholders,
        sort=sort,
        coverage=stakeholder_coverage(stakeholders, timezone.now()),
        stakeholder_url_pattern=reverse("stakeholder_edit", args=[account.pk, 0]).replace(
            "/0/", "/{id}/"
        ),
        panel_url_pattern=reverse("stakeholder_panel", args=[account.pk, 0]).replace(
            "/0/", "/{id}/"
        ),
    )
    return render(request, "accounts/stakeholder_list.html", context)


@require_GET
def stakeholder_map(request, pk: int):
    account = get_account_for_user(request.user, pk)
    return JsonResponse(relationship_map_data(account_page_stakeholders(account)))


@require_GET
def stakeholder_panel(request, pk: int, stakeholder_pk: int):
    """The relationship map's side panel: who the person is and the last interactions they
    were at (the timeline's own rows). An htmx fragment, or a small page without JavaScript."""
    account = get_account_for_user(request.user, pk)
    stakeholder = get_object_or_404(
        account.stakeholders.select_related("reports_to"), pk=stakeholder_pk
    )
    context = {
        "account": account,
        "person": stakeholder,
        "entries": stakeholder_last_interactions(stakeholder),
    }
    template = "accounts/stakeholder_panel.html"
    return render(request, template + "#panel" if request.htmx else template, context)


@require_http_methods(["GET", "POST"])
def stakeholder_create(request, pk: int):
    account = get_account_for_user(request.user, pk, action=Access.EDIT)
    form = StakeholderForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.stakeholder_create(
                account=account, actor=request.user, **form.person_fields()
            )
        except ValidationError as error:
            form_errors_into(form, error)
        else:
            messages.success(request, _("%(name)s added.") % {"name": person.name})
            return redirect("account_stakeholders", pk=account.pk)
    return render(
        request,
        "accounts/stakeholder_form.html",
        account_page_context(request, account, "stakeholders", form=form, stakeholder=None),
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def stakeholder_edit(request, pk: int, stakeholder_pk: int):
    account = get_account_for_user(request.user, pk, action=Access.EDIT)
    stakeholder = get_object_or_404(account.stakeholders, pk=stakeholder_pk)
    if stakeholder.is_erased:
        # Nothing is written, and the form is not offered: an erased person stays erased.
        messages.error(request, services.ERASED_REFUSAL)
        return redirect("account_stakeholders", pk=account.pk)
    form = StakeholderForm(request.POST or None, instance=stakeholder, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            services.stakeholder_update(
                stakeholder=stakeholder,
                actor=request.user,
                expected_version=form.cleaned_data.get("version"),
                **form.person_fields(),
            )
        except services.StaleEdit as stale:
            _flag_their_values(form, stale.current)
        except ValidationError as error:
            form_errors_into(form, error)
        else:
            messages.success(request, _("%(name)s saved.") % {"name": stakeholder.name})
            return redirect("account_stakeholders", pk=account.pk)
    return render(
        request,
        "accounts/stakeholder_form.html",
        account_page_context(request, account, "stakeholders", form=form, stakeholder=stakeholder),
        status=422 if form.errors else 200,
    )


def _flag_their_values(form, current) -> None:
    """After a refused save of a person: each field where what was saved meanwhile differs
    from this form says their value (this user's stays typed), and the form now carries the
    current version, so saving again is a choice made knowing theirs."""
    for name in form.person_fields():
        theirs, mine = getattr(current, name), form.cleaned_data[name]
        if theirs != mine:
            shown = theirs if theirs not in (None, "") else "—"
            if hasattr(current, f"get_{name}_display"):
                shown = getattr(current, f"get_{name}_display")() or "—"
            changed_meanwhile(form, name, shown)
    form.add_error(
        None,
        _("Someone else saved this person while you were editing. Their values are shown "
          "under the fields they differ in; yours are kept. Review and save again."),
    )  # fmt: skip
    stale_edit_redrawn(form, current.version)


@require_POST
def rating_set(request, pk: int):
    account = get_account_for_user(request.user, pk, action=Access.EDIT)
    form = RatingForm(request.POST)
    if form.is_valid():
        services.rating_set(account=account, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Rating saved."))
    else:
        messages.error(
            request, _("The rating was not saved: choose a criterion and a score from 1 to 5.")
        )
    return redirect(account)


@require_POST
def milestone_create(request, pk: int):
    account = get_account_for_user(request.user, pk, action=Access.EDIT)
    form = MilestoneForm(request.POST)
    if form.is_valid():
        with transaction.atomic():
            services.milestone_create(account=account, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Milestone added to the timeline."))
    else:
        errors = "; ".join(f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items())
        messages.error(request, _("The milestone was not saved — %(errors)s") % {"errors": errors})
    return redirect(account)


@require_POST
def satisfaction_create(request, pk: int):
    account = get_account_for_user(request.user, pk, action=Access.EDIT)
    form = SatisfactionForm(request.POST)
    if form.is_valid():
        try:
            services.satisfaction_record(account=account, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_errors_into(form, error)
    if form.errors:
        fallback = _("Satisfaction")
        errors = "; ".join(
            f"{form.fields[f].label if f in form.fields else fallback}: {' '.join(e)}"
            for f, e in form.errors.items()
        )
        messages.error(request, _("The answer was not saved — %(errors)s") % {"errors": errors})
    else:
        messages.success(
            request, _("Satisfaction answer saved; it counts in the next health score.")
        )
    return redirect(account)


@require_GET
@leader_required
def tier_review(request):
    rows = Paginator(tier_review_rows(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/tier_review.html",
        {"page": rows, "tiers": Tier.objects.all(), "form": TierReviewForm()},
    )


@require_POST
@leader_required
def tier_review_decide(request, pk: int):
    account = get_account_for_user(request.user, pk, action=Access.EDIT)
    form = TierReviewForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            change = services.tier_recommendation_review(
                account=account,
                actor=request.user,
                accept=data["decision"] == "accept",
                tier=data["tier"],
                reason=data["reason"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("%(account)s is now %(tier)s.")
                % {"account": account.name, "tier": change.to_tier},
            )
    else:
        messages.error(request, _("Choose to accept or override."))
    return redirect(next_param(request, default=reverse("tier_review")))


@require_http_methods(["GET", "POST"])
@admin_required
def configuration(request):
    config = current_config()
    tiers = Tier.objects.order_by("rank")
    form = ScoringConfigForm(request.POST or None, config=config, tiers=tiers)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.scoring_config_save(actor=request.user, **form.service_kwargs())
        except services.StaleConfig:
            form.add_error(
                None,
                _("Another admin saved the configuration while you were editing. Reload the page "
                  "to see their version, then apply your change again."),
            )  # fmt: skip
        except ValidationError as error:
            form_errors_into(form, error)
        else:
            messages.success(
                request,
                _("Configuration saved as version %(version)s. Scores use it from the next "
                  "recompute.") % {"version": saved.version},
            )  # fmt: skip
            return redirect("configuration")
    versions = ScoringConfig.objects.select_related("created_by").order_by("-version")[:10]
    return render(
        request,
        "accounts/configuration.html",
        {"form": form, "config": config, "versions": versions},
        status=422 if form.errors else 200,
    )


AUDIT_PAGE_SIZE = 50


@require_GET
@admin_required
def audit_log(request):
    """Who changed what and when (admins): accounts, stakeholders, plans, tiers and the scoring
    configuration, newest first, filtered and paginated."""
    filters = AuditFilterForm(request.GET or None, user=request.user)
    params = filters.cleaned_data if filters.is_valid() else {}
    page = Paginator(audit_events(**params), AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "kam/audit_log.html",
        {
            "filters": filters,
            "page": page,
            "rows": audit_rows(page.object_list),
            "query": query.urlencode(),
        },
    )


# ---------------------------------------------------------------------------------------------
# Working calendars (admins)


@require_GET
@admin_required
def working_calendar_list(request):
    calendars = WorkingCalendar.objects.annotate(
        member_count=Count("memberships", distinct=True),
        holiday_count=Count("company_holidays", distinct=True),
    ).order_by("-is_default", "name")
    return render(
        request,
        "accounts/working_calendar_list.html",
        {
            "calendars": calendars,
            "everywhere": CompanyHoliday.objects.filter(calendar__isnull=True).order_by("date"),
        },
    )


def _calendar_page(request, calendar, form, holiday_form=None, *, status=200):
    context = {"calendar": calendar, "form": form}
    if calendar is not None:
        today = timezone.localdate(timezone=ZoneInfo(calendar.time_zone))  # noqa: TID251 the calendar's own zone
        context.update(
            holiday_form=holiday_form or CompanyHolidayForm(calendar=calendar),
            holidays=CompanyHoliday.objects.filter(
                Q(calendar=calendar) | Q(calendar__isnull=True)
            ).order_by("date"),
            holidays_ahead=holidays_ahead(calendar, since=today, language_code=get_language()),
            today=today,
        )
    return render(request, "accounts/working_calendar_form.html", context, status=status)


def _save_calendar(request, calendar, form):
    try:
        saved = services.working_calendar_save(
            actor=request.user, calendar=calendar, **form.service_kwargs()
        )
    except ValidationError as error:
        form_errors_into(form, error)
        return None
    messages.success(request, _("Calendar “%(name)s” saved.") % {"name": saved.name})
    return redirect("working_calendar_edit", pk=saved.pk)


@require_http_methods(["GET", "POST"])
@admin_required
def working_calendar_create(request):
    form = WorkingCalendarForm(request.POST or None, user=request.user)
    if (
        request.method == "POST"
        and form.is_valid()
        and (saved := _save_calendar(request, None, form))
    ):
        return saved
    return _calendar_page(request, None, form, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@admin_required
def working_calendar_edit(request, pk: int):
    calendar = get_object_or_404(WorkingCalendar, pk=pk)
    # The form edits a copy: the page's heading and preview keep the stored values.
    form = WorkingCalendarForm(
        request.POST or None, instance=copy.copy(calendar), user=request.user
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and (saved := _save_calendar(request, calendar, form))
    ):
        return saved
    return _calendar_page(request, calendar, form, status=422 if form.errors else 200)


@require_POST
@admin_required
def company_holiday_add(request, pk: int):
    calendar = get_object_or_404(WorkingCalendar, pk=pk)
    holiday_form = CompanyHolidayForm(request.POST, calendar=calendar)
    if holiday_form.is_valid():
        try:
            holiday = services.company_holiday_add(
                actor=request.user, **holiday_form.service_kwargs()
            )
        except ValidationError as error:
            form_errors_into(holiday_form, error)
        else:
            messages.success(
                request,
                _("Company holiday added: %(name)s, %(day)s.")
                % {"name": holiday.name, "day": date_format(holiday.date, "SHORT_DATE_FORMAT")},
            )
            return redirect("working_calendar_edit", pk=calendar.pk)
    form = WorkingCalendarForm(instance=calendar, user=request.user)
    return _calendar_page(request, calendar, form, holiday_form, status=422)


@require_POST
@admin_required
def company_holiday_delete(request, holiday_pk: int):
    holiday = get_object_or_404(CompanyHoliday, pk=holiday_pk)
    services.company_holiday_delete(actor=request.user, holiday=holiday)
    messages.success(request, _("Company holiday removed."))
    return redirect(next_param(request, default=reverse("working_calendar_list")))
