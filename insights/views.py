"""Pages that read every app: the accounts list, the account overview and timeline, the portfolio
dashboard, the QBR prep pack, the global search."""

from django.contrib import messages
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.coverage import open_departures, stakeholder_coverage
from accounts.currency import rates_on, reporting_currency
from accounts.exports import account_rows
from accounts.forms import (
    ACCOUNT_LIST_COLUMNS,
    AccountBulkForm,
    AccountFilterForm,
    ExchangeRateForm,
    MilestoneForm,
    RatingForm,
    SatisfactionForm,
)
from accounts.models import ExchangeRate, RatingCriterion
from accounts.selectors import (
    Access,
    account_health,
    account_page_stakeholders,
    current_config,
    current_ratings,
    get_account_for_user,
    industries_and_regions_for_user,
    saved_views_for_user,
)
from accounts.timeline import timeline_page
from accounts.views import PAGE_SIZE, account_page_context
from activities.quick_log import quick_log_forms
from activities.selectors import (
    account_follow_through,
    account_team,
    account_upcoming_meetings,
    get_qbr_for_user,
    qbr_next_planned,
)
from insights import services
from insights.portfolio import (
    portfolio_figures_cached,
    portfolio_filters_from_query,
    portfolio_options,
    portfolio_summary,
    portfolio_summary_cached,
)
from insights.portfolio_tables import (
    KAM_TABLES,
    PORTFOLIO_TABLES,
    portfolio_chart_data,
    portfolio_table,
)
from insights.qbr_prep import qbr_prep_pack
from insights.search import KIND_KEYS, global_search
from insights.selectors import (
    account_list_count_stored,
    account_list_rows,
    account_revenue,
    account_sorting,
)
from insights.sla import account_sla
from kam.access import admin_required
from kam.dates import business_date
from kam.downloads import name_download
from kam.exports import FORMATS, table_response
from kam.pagination import DeferredJoinPaginator
from kam.params import cursor_param
from kam.search import search_query
from plans.selectors import account_stale_plan

# Hits per kind: in the Ctrl/⌘-K palette, on the results page, and on the page of one kind.
PALETTE_PER_KIND = 5
SEARCH_PAGE_PER_KIND = 10
SEARCH_KIND_PER_PAGE = 50


def account_filter_form(user, data) -> AccountFilterForm:
    """The accounts list's filter form with the options `user` has (owners, industries, regions
    of the accounts they see): the list and its saved views validate against it."""
    industries, regions = industries_and_regions_for_user(user)
    return AccountFilterForm(data, user=user, industries=industries, regions=regions)


@require_GET
def account_list(request):
    """The accounts list. Its whole state is in the query string (filters, sort, page, columns
    and the saved view it came from), so a bookmark, the back button and a shared link show the
    same list; htmx requests for #account-results get the table only and push the URL."""
    user = request.user
    saved_views = list(saved_views_for_user(user))
    filters = account_filter_form(user, request.GET or None)
    filters.is_valid()
    params = filters.list_filters()
    notices = []
    if filters.errors:
        notices.append(
            _("Ignored because not valid here: %(fields)s.")
            % {"fields": ", ".join(filters.invalid_labels())}
        )
    view_pk = filters.cleaned_data.get("view") if filters.is_bound else None
    active_view = next((view for view in saved_views if view.pk == view_pk), None)
    if view_pk and active_view is None:
        notices.append(_("That saved view is not available to you."))
    if active_view is not None and set(request.GET) <= {"view", "page"}:
        # A link to the view alone (?view=7) opens it as saved now.
        return redirect(saved_view_url(active_view))
    default_cadence = current_config().default_touch_cadence_days
    today = business_date()
    rates = rates_on(today)
    rows = account_list_rows(
        user, today=today, default_cadence_days=default_cadence, rates=rates, **params
    )
    if request.GET.get("export") in FORMATS:
        # The same rows as the page, every page of them.
        headers, export_rows = account_rows(rows)
        return table_response(request.GET["export"], headers, export_rows, filename="accounts")
    # The count from the dashboard's summary rows when they hold it (no query when they
    # cannot), else a COUNT of the rows.
    count = account_list_count_stored(user, params, today=today)
    page = DeferredJoinPaginator(rows, PAGE_SIZE, count=count).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for account in page.object_list:
        # The dashboard's conversion (accounts.currency), for the page's rows.
        account.revenue_converted = rates.convert(account.revenue_last_12m, account.currency)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    context = {
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "list_query": AccountFilterForm.query_of(request.GET),
        "sort": account_sorting(rates).parse(params.get("sort")),
        "columns": filters.columns(),
        "column_choices": ACCOUNT_LIST_COLUMNS,
        "saved_views": saved_views,
        "active_view": active_view,
        "notices": notices,
        "reporting_currency": rates.reporting_currency,
        "bulk_form": AccountBulkForm(user=request.user),
        # The account rules count days in the business time zone (accounts.models).
        "today": today,
        "default_cadence": default_cadence,
    }
    template = "accounts/account_list.html"
    if request.htmx and request.htmx.target == "account-results":
        template += "#results"
    return render(request, template, context)


def saved_view_url(view) -> str:
    """The accounts list as the saved view shows it (applying a view is opening this)."""
    query = f"{view.query}&" if view.query else ""
    return f"{reverse('account_list')}?{query}view={view.pk}"


def _quick_log_context(request, account, stakeholders, team=None):
    log_form, next_steps = quick_log_forms(
        account=account, user=request.user, stakeholders=stakeholders, team=team
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
    team = list(account.team.all())
    context = account_page_context(
        request,
        account,
        "overview",
        stakeholders=stakeholders,
        revenue=account_revenue(account, business_date()),
        rating_rows=_rating_rows(current_ratings(account)),
        health=account_health(account, business_date()),
        sla=account_sla(account, timezone.now()),
        satisfaction_form=SatisfactionForm(initial={"recorded_on": business_date()}),
        default_cadence=default_cadence,
        next_touch_due=account.next_touch_due(default_cadence),
        touch_overdue=account.touch_overdue(business_date(), default_cadence),
        qbr_next=qbr_next_planned(account, business_date()) if account.is_qbr_tracked else None,
        stale_plan=account_stale_plan(account, business_date()),
        coverage=stakeholder_coverage(stakeholders, timezone.now()),
        team=team,
        subsidiaries=list(account.subsidiaries.order_by("name")),
        entries=entries,
        cursor=cursor,
        rating_form=RatingForm(),
        milestone_form=MilestoneForm(),
        follow_through=account_follow_through(account, business_date()),
        upcoming_meetings=account_upcoming_meetings(account, timezone.now()),
        **_quick_log_context(request, account, stakeholders, account_team(account, team)),
    )
    return render(request, "accounts/account_detail.html", context)


@require_GET
def account_timeline(request, pk: int):
    account = get_account_for_user(request.user, pk)
    kind = request.GET.get("kind", "")
    before = cursor_param(request.GET)
    entries, cursor = timeline_page(account, kind_filter=kind, before=before)
    if request.htmx and before is not None:
        return render(
            request,
            "activities/partials/timeline_items.html",
            {"account": account, "entries": entries, "cursor": cursor, "kind": kind},
        )
    stakeholders = account_page_stakeholders(account)
    context = account_page_context(
        request,
        account,
        "timeline",
        stakeholders=stakeholders,
        entries=entries,
        cursor=cursor,
        kind=kind,
        starts_older=before is not None,
        **_quick_log_context(request, account, stakeholders),
    )
    template = "accounts/account_timeline.html"
    if request.htmx and request.htmx.target == "timeline":
        template += "#timeline"
    return render(request, template, context)


@require_POST
def health_recompute_now(request, pk: int):
    account = get_account_for_user(request.user, pk, action=Access.EDIT)
    services.health_recompute_all(day=business_date(), account_id=account.pk)
    messages.success(request, _("Health recomputed with the current configuration."))
    return redirect(account)


@require_GET
def portfolio(request):
    """The portfolio dashboard; an htmx request for #portfolio-results gets the figures only."""
    options = portfolio_options(request.user)
    filters, notices = portfolio_filters_from_query(request.GET, options)

    def draw(summary) -> str:
        """The figures (what depends on the summary and the filters alone, no request): kept
        in the cache entry with them, so a page served from it draws nothing again."""
        return render_to_string(
            "accounts/portfolio.html#figures",
            {
                "summary": summary,
                "chart": portfolio_chart_data(summary),
                "export_query": urlencode(filters.as_query()),
                "refresh_query": urlencode({**filters.as_query(), "refresh": "1"}),
            },
        )

    summary, figures = portfolio_figures_cached(
        request.user,
        filters,
        options=options,
        refresh=request.GET.get("refresh") == "1",
        draw=draw,
    )
    template = "accounts/portfolio.html"
    if request.htmx and request.htmx.target == "portfolio-results":
        template += "#results"
    return render(
        request,
        template,
        {
            "summary": summary,
            "figures": figures,
            "options": options,
            "filters": filters,
            "notices": notices,
        },
    )


@require_GET
def portfolio_export(request, table: str, fmt: str):
    """One dashboard table as CSV or XLSX: the page's figures (its cache entry), same filters,
    same access, and every row: the page draws the first 20 KAMs of the load and SLA tables
    and its cache entry keeps only those, so their downloads compute every KAM."""
    if table not in PORTFOLIO_TABLES or fmt not in FORMATS:
        raise Http404
    options = portfolio_options(request.user)
    filters, _notices = portfolio_filters_from_query(request.GET, options)
    summary = portfolio_summary_cached(request.user, filters, options=options)
    if table in KAM_TABLES and not summary.has_every_kam:
        summary = portfolio_summary(request.user, filters, options=options)
    headers, rows = portfolio_table(summary, table)
    return table_response(fmt, headers, rows, filename=f"portfolio-{table}-{summary.today}")


@require_http_methods(["GET", "POST"])
@admin_required
def exchange_rates(request):
    """Admins set what each currency is worth in the reporting currency, from a date on."""
    reporting = reporting_currency()
    form = ExchangeRateForm(request.POST or None, reporting_currency=reporting)
    if request.method == "POST" and form.is_valid():
        rate = services.exchange_rate_set(actor=request.user, **form.cleaned_data)
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
            "in_use": rates_on(business_date()).shown,
        },
        status=422 if form.errors else 200,
    )


@require_POST
@admin_required
def exchange_rate_delete(request, rate_pk: int):
    rate = get_object_or_404(ExchangeRate, pk=rate_pk)
    services.exchange_rate_delete(actor=request.user, exchange_rate=rate)
    messages.success(request, _("Rate deleted."))
    return redirect("exchange_rates")


def _prep_context(request, pk: int) -> dict:
    qbr = get_qbr_for_user(request.user, pk)
    pack = qbr_prep_pack(qbr, business_date())
    return {
        "account": qbr.account,
        "tab": "qbrs",
        "departures": open_departures(pack.stakeholders),
        "qbr": qbr,
        "pack": pack,
        # Hook for the plans app (objectives, risks, opportunities); None until it integrates.
        "plan_section": pack.plan_section,
    }


@require_GET
def qbr_prep(request, pk: int):
    """The prep pack from live data; printable (print CSS) and as a PDF (qbr_prep_pdf)."""
    context = _prep_context(request, pk)
    with translation.override(request.user.language):
        return render(request, "activities/qbr_prep.html", context)


@require_GET
def qbr_prep_pdf(request, pk: int):
    from weasyprint import CSS, HTML  # heavy import, only for this page

    context = _prep_context(request, pk)
    with translation.override(request.user.language):
        html = render_to_string("activities/qbr_prep_print.html", context, request=request)
    stylesheet = CSS(filename=finders.find("css/qbr_prep.css"))
    pdf = HTML(string=html).write_pdf(stylesheets=[stylesheet])
    qbr = context["qbr"]
    response = HttpResponse(pdf, content_type="application/pdf")
    return name_download(response, ("qbr", qbr.account.name, f"{qbr.scheduled_on:%Y-%m-%d}"), "pdf")


@require_GET
def search(request):
    """The global search: the full results page (works without JavaScript), and for the
    Ctrl/⌘-K palette (htmx, target #search-palette-listbox) its list of options only."""
    text = request.GET.get("q", "")[:200]
    kind = request.GET.get("kind", "")
    kinds = [kind] if kind in KIND_KEYS else None
    palette = bool(request.htmx) and request.htmx.target == "search-palette-listbox"
    if palette:
        per_kind = PALETTE_PER_KIND
    else:
        per_kind = SEARCH_PAGE_PER_KIND if kinds is None else SEARCH_KIND_PER_PAGE
    groups = global_search(request.user, text, per_kind=per_kind, kinds=kinds)
    context = {
        "q": text,
        "kind": kind if kinds else "",
        "groups": groups,
        "per_kind": per_kind,
        "searched": search_query(text) is not None,
        "hit_count": sum(len(group.hits) for group in groups),
    }
    template = "insights/search.html#palette" if palette else "insights/search.html"
    return render(request, template, context)
