from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import services
from accounts.coverage import open_departures, stakeholder_coverage
from accounts.currency import rates_on, reporting_currency
from accounts.forms import (
    AccountFilterForm,
    AccountForm,
    ExchangeRateForm,
    MilestoneForm,
    RatingForm,
    SatisfactionForm,
    ScoringConfigForm,
    StakeholderForm,
    TierReviewForm,
)
from accounts.models import Account, ExchangeRate, RatingCriterion, ScoringConfig, Tier
from accounts.portfolio import (
    portfolio_cache_reset,
    portfolio_filters_from_query,
    portfolio_options,
    portfolio_summary_cached,
)
from accounts.portfolio_tables import PORTFOLIO_TABLES, portfolio_chart_data, portfolio_table
from accounts.relationship_map import relationship_map_data
from accounts.scoring_inputs import current_config
from accounts.selectors import (
    account_health,
    account_list_rows,
    account_owners_for_user,
    account_page_stakeholders,
    account_revenue_summary,
    accounts_for_user,
    current_ratings,
    get_account_for_user,
    industries_and_regions_for_user,
    tier_review_rows,
)
from activities.quick_log import quick_log_forms
from activities.timeline import timeline_page
from kam.access import admin_required, leader_required
from kam.exports import FORMATS, table_response
from kam.pagination import DeferredJoinPaginator
from plans.selectors import stale_plans

PAGE_SIZE = 25


def form_errors_into(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form, field by field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@require_GET
def account_list(request):
    user = request.user
    owners = account_owners_for_user(user)
    industries, regions = industries_and_regions_for_user(user)
    filters = AccountFilterForm(
        request.GET or None, owners=owners, industries=industries, regions=regions
    )
    default_cadence = current_config().default_touch_cadence_days
    params = filters.list_filters() if filters.is_valid() else {}
    rows = account_list_rows(user, default_cadence_days=default_cadence, **params)
    if request.GET.get("export") in FORMATS:
        # The same rows as the page, every page of them (dataio/exports.py).
        from dataio.exports import account_rows

        headers, export_rows = account_rows(rows)
        return table_response(request.GET["export"], headers, export_rows, filename="accounts")
    page = DeferredJoinPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    context = {
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "today": timezone.localdate(),
        "default_cadence": default_cadence,
    }
    template = "accounts/account_list.html"
    if request.htmx and request.htmx.target == "account-results":
        template += "#results"
    return render(request, template, context)


def _account_parents(user):
    return accounts_for_user(user).order_by("name")


@require_http_methods(["GET", "POST"])
def account_create(request):
    form = AccountForm(
        request.POST or None, user=request.user, parents=_account_parents(request.user)
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in {"team", "version"}}
        if not request.user.sees_all_accounts:
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
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def account_edit(request, pk: int):
    account = get_account_for_user(request.user, pk)
    form = AccountForm(
        request.POST or None,
        instance=account,
        user=request.user,
        parents=_account_parents(request.user),
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in {"team", "version"}}
        if not request.user.sees_all_accounts:
            data.pop("owner", None)
        expected = form.cleaned_data.get("version") or 0
        try:
            account = services.account_update(
                account=get_account_for_user(request.user, pk),
                expected_version=expected,
                actor=request.user,
                team=form.cleaned_data["team"],
                **data,
            )
        except services.StaleEdit as stale:
            conflict = stale.current
            form.add_error(
                None,
                _("Someone else saved this account while you were editing. Their version is "
                  "shown below; your changes are still in the form — review and save again."),
            )  # fmt: skip
            form.data = form.data.copy()
            form.data["version"] = conflict.version
        except ValidationError as error:
            form_errors_into(form, error)
        else:
            messages.success(request, _("Account saved."))
            return redirect(account)
    return render(
        request,
        "accounts/account_form.html",
        {"form": form, "account": account, "conflict": conflict},
        status=422 if form.errors else 200,
    )


def _account_page(request, account, tab: str, **context):
    """Context every tab shares: the header, its departure flag and the tab bar."""
    stakeholders = context.pop("stakeholders", None)
    if stakeholders is None:
        stakeholders = account_page_stakeholders(account)
    return {
        "account": account,
        "tab": tab,
        "stakeholders": stakeholders,
        "departures": open_departures(stakeholders),
        "today": timezone.localdate(),
        **context,
    }


def _quick_log_context(request, account, stakeholders):
    log_form, next_steps = quick_log_forms(
        account=account, user=request.user, stakeholders=stakeholders
    )
    return {"log_form": log_form, "next_steps": next_steps}


def _rating_rows(ratings: dict) -> list[tuple]:
    return [(code, label, ratings.get(code)) for code, label in RatingCriterion.choices]


@require_GET
def account_detail(request, pk: int):
    account = get_account_for_user(request.user, pk)
    stakeholders = account_page_stakeholders(account)
    entries, cursor = timeline_page(account)
    default_cadence = current_config().default_touch_cadence_days
    context = _account_page(
        request,
        account,
        "overview",
        stakeholders=stakeholders,
        revenue=account_revenue_summary(account, timezone.localdate()),
        rating_rows=_rating_rows(current_ratings(account)),
        health=account_health(account, timezone.localdate()),
        satisfaction_form=SatisfactionForm(initial={"recorded_on": timezone.localdate()}),
        default_cadence=default_cadence,
        next_touch_due=account.next_touch_due(default_cadence),
        stale_plan=stale_plans(Account.objects.filter(pk=account.pk), timezone.localdate()).first(),
        coverage=stakeholder_coverage(stakeholders, timezone.now()),
        team=list(account.team.all()),
        subsidiaries=list(account.subsidiaries.order_by("name")),
        entries=entries,
        cursor=cursor,
        rating_form=RatingForm(),
        milestone_form=MilestoneForm(),
        **_quick_log_context(request, account, stakeholders),
    )
    return render(request, "accounts/account_detail.html", context)


@require_GET
def account_stakeholders(request, pk: int):
    account = get_account_for_user(request.user, pk)
    stakeholders = account_page_stakeholders(account)
    context = _account_page(
        request,
        account,
        "stakeholders",
        stakeholders=stakeholders,
        coverage=stakeholder_coverage(stakeholders, timezone.now()),
        stakeholder_url_pattern=reverse("stakeholder_edit", args=[account.pk, 0]).replace(
            "/0/", "/{id}/"
        ),
    )
    return render(request, "accounts/stakeholder_list.html", context)


@require_GET
def stakeholder_map(request, pk: int):
    account = get_account_for_user(request.user, pk)
    return JsonResponse(relationship_map_data(account_page_stakeholders(account)))


@require_http_methods(["GET", "POST"])
def stakeholder_create(request, pk: int):
    account = get_account_for_user(request.user, pk)
    form = StakeholderForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.stakeholder_create(
                account=account, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_into(form, error)
        else:
            messages.success(request, _("%(name)s added.") % {"name": person.name})
            return redirect("account_stakeholders", pk=account.pk)
    return render(
        request,
        "accounts/stakeholder_form.html",
        _account_page(request, account, "stakeholders", form=form, stakeholder=None),
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def stakeholder_edit(request, pk: int, stakeholder_pk: int):
    account = get_account_for_user(request.user, pk)
    stakeholder = get_object_or_404(account.stakeholders, pk=stakeholder_pk)
    form = StakeholderForm(request.POST or None, instance=stakeholder, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            services.stakeholder_update(
                stakeholder=stakeholder, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_into(form, error)
        else:
            messages.success(request, _("%(name)s saved.") % {"name": stakeholder.name})
            return redirect("account_stakeholders", pk=account.pk)
    return render(
        request,
        "accounts/stakeholder_form.html",
        _account_page(request, account, "stakeholders", form=form, stakeholder=stakeholder),
        status=422 if form.errors else 200,
    )


@require_GET
def account_timeline(request, pk: int):
    account = get_account_for_user(request.user, pk)
    kind = request.GET.get("kind", "")
    before = None
    if request.GET.get("before_at") and request.GET.get("before_id"):
        try:
            before = (
                timezone.datetime.fromisoformat(request.GET["before_at"]),
                int(request.GET["before_id"]),
            )
        except ValueError:
            before = None
    entries, cursor = timeline_page(account, kind_filter=kind, before=before)
    if request.htmx and before is not None:
        return render(
            request,
            "activities/partials/timeline_items.html",
            {"account": account, "entries": entries, "cursor": cursor, "kind": kind},
        )
    stakeholders = account_page_stakeholders(account)
    context = _account_page(
        request,
        account,
        "timeline",
        stakeholders=stakeholders,
        entries=entries,
        cursor=cursor,
        kind=kind,
        **_quick_log_context(request, account, stakeholders),
    )
    template = "accounts/account_timeline.html"
    if request.htmx and request.htmx.target == "timeline":
        template += "#timeline"
    return render(request, template, context)


@require_POST
def rating_set(request, pk: int):
    account = get_account_for_user(request.user, pk)
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
    account = get_account_for_user(request.user, pk)
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
def health_recompute_now(request, pk: int):
    account = get_account_for_user(request.user, pk)
    services.health_recompute_all(day=timezone.localdate(), account_id=account.pk)
    messages.success(request, _("Health recomputed with the current configuration."))
    return redirect(account)


@require_POST
def satisfaction_create(request, pk: int):
    account = get_account_for_user(request.user, pk)
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
    account = get_account_for_user(request.user, pk)
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
    next_url = request.POST.get("next")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "tier_review"
    return redirect(next_url)


@require_GET
def portfolio(request):
    """The portfolio dashboard; an htmx request for #portfolio-results gets the figures only."""
    options = portfolio_options(request.user)
    filters, notices = portfolio_filters_from_query(request.GET, options)
    summary = portfolio_summary_cached(
        request.user, filters, options=options, refresh=request.GET.get("refresh") == "1"
    )
    template = "accounts/portfolio.html"
    if request.htmx and request.htmx.target == "portfolio-results":
        template += "#results"
    return render(
        request,
        template,
        {
            "summary": summary,
            "options": options,
            "filters": filters,
            "notices": notices,
            "chart": portfolio_chart_data(summary),
            "export_query": urlencode(filters.as_query()),
            "refresh_query": urlencode({**filters.as_query(), "refresh": "1"}),
        },
    )


@require_GET
def portfolio_export(request, table: str, fmt: str):
    """One dashboard table as CSV or XLSX: the rows the page shows, same filters, same access."""
    if table not in PORTFOLIO_TABLES or fmt not in FORMATS:
        raise Http404
    options = portfolio_options(request.user)
    filters, _notices = portfolio_filters_from_query(request.GET, options)
    summary = portfolio_summary_cached(request.user, filters, options=options)
    headers, rows = portfolio_table(summary, table)
    return table_response(fmt, headers, rows, filename=f"portfolio-{table}-{summary.today}")


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


@require_http_methods(["GET", "POST"])
@admin_required
def exchange_rates(request):
    """Admins set what each currency is worth in the reporting currency, from a date on."""
    reporting = reporting_currency()
    form = ExchangeRateForm(request.POST or None, reporting_currency=reporting)
    if request.method == "POST" and form.is_valid():
        rate = form.save(commit=False)
        rate.set_by = request.user
        rate.save()
        portfolio_cache_reset()  # the dashboard converts with the new rate at once
        messages.success(
            request,
            _("Rate saved: 1 %(currency)s = %(rate)s %(reporting)s from %(day)s.")
            % {
                "currency": rate.currency,
                "rate": rate.rate.normalize(),
                "reporting": reporting,
                "day": date_format(rate.valid_from, "SHORT_DATE_FORMAT"),
            },
        )
        return redirect("exchange_rates")
    return render(
        request,
        "accounts/exchange_rates.html",
        {
            "form": form,
            "reporting_currency": reporting,
            "rates": ExchangeRate.objects.select_related("set_by").order_by(
                "currency", "-valid_from"
            ),
            "in_use": rates_on(timezone.localdate()).shown,
        },
        status=422 if form.errors else 200,
    )


@require_POST
@admin_required
def exchange_rate_delete(request, rate_pk: int):
    rate = get_object_or_404(ExchangeRate, pk=rate_pk)
    rate.delete()
    portfolio_cache_reset()
    messages.success(request, _("Rate deleted."))
    return redirect("exchange_rates")
