from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.coverage import open_departures
from accounts.scoring_inputs import current_config
from accounts.selectors import account_page_stakeholders, accounts_for_user, get_account_for_user
from accounts.views import form_errors_into
from activities import services
from activities.forms import CommitmentForm, owner_choices, resolve_owner
from activities.models import CommitmentStatus, Notification
from activities.quick_log import quick_log_forms, quick_log_save
from activities.selectors import account_team, get_commitment_for_user, my_work
from activities.timeline import timeline_page


@require_GET
def my_work_page(request):
    today = timezone.localdate()
    # The default cadence the account list uses, so both pages agree on who is owed a touch.
    work = my_work(
        request.user, today, default_cadence_days=current_config().default_touch_cadence_days
    )
    return render(request, "activities/my_work.html", {"work": work, "today": today})


@require_GET
def log_pick_account(request):
    """The global "Log interaction" entry: find the account, then log on it."""
    query = request.GET.get("q", "").strip()
    accounts = accounts_for_user(request.user).order_by("name")
    if query:
        accounts = accounts.filter(name__icontains=query)
    context = {"accounts": accounts[:20], "q": query}
    template = "activities/log_pick_account.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def interaction_create(request, pk: int):
    """Quick log. Full page at /accounts/<id>/log/; on the account pages the same form posts
    here with htmx and gets back a fresh form plus the updated timeline (out of band)."""
    account = get_account_for_user(request.user, pk)
    stakeholders = account_page_stakeholders(account)
    form, next_steps = quick_log_forms(
        account=account,
        user=request.user,
        stakeholders=stakeholders,
        data=request.POST if request.method == "POST" else None,
    )
    if request.method == "POST":
        interaction = quick_log_save(
            account=account, user=request.user, form=form, next_steps=next_steps
        )
        if interaction is not None:
            if not request.htmx:
                messages.success(request, _("Interaction logged."))
                return redirect("account_timeline", pk=account.pk)
            form, next_steps = quick_log_forms(
                account=account, user=request.user, stakeholders=stakeholders
            )
            entries, cursor = timeline_page(account)
            return render(
                request,
                "activities/partials/quick_log_saved.html",
                {
                    "account": account,
                    "log_form": form,
                    "next_steps": next_steps,
                    "entries": entries,
                    "cursor": cursor,
                    "saved": interaction,
                },
            )
    context = {
        "account": account,
        "log_form": form,
        "next_steps": next_steps,
        "departures": open_departures(stakeholders),
        "tab": "log",
    }
    status = 422 if request.method == "POST" else 200
    template = "activities/interaction_form.html"
    if request.htmx:
        template += "#quick_log"
    return render(request, template, context, status=status)


def _commitment_form(request, account, data=None):
    stakeholders = [s for s in account_page_stakeholders(account) if s.left_on is None]
    team = account_team(account)
    form = CommitmentForm(
        data,
        owner_choices=owner_choices(account, team, stakeholders),
        default_owner=f"u{request.user.pk}" if any(u.pk == request.user.pk for u in team) else "",
    )
    return form, team, stakeholders


@require_http_methods(["GET", "POST"])
def account_commitments(request, pk: int):
    account = get_account_for_user(request.user, pk)
    form, team, stakeholders = _commitment_form(
        request, account, request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        owner_user, owner_stakeholder = resolve_owner(
            form.cleaned_data["owner"], team, stakeholders
        )
        try:
            services.commitment_create(
                account=account,
                actor=request.user,
                title=form.cleaned_data["title"],
                due_date=form.cleaned_data["due_date"],
                owner_user=owner_user,
                owner_stakeholder=owner_stakeholder,
            )
        except ValidationError as error:
            form_errors_into(form, error)
        else:
            messages.success(request, _("Commitment added."))
            return redirect("account_commitments", pk=account.pk)
    status_filter = request.GET.get("status", "open")
    commitments = account.commitments.select_related(
        "owner_user", "owner_stakeholder", "source_interaction"
    ).order_by("due_date", "pk")
    if status_filter in CommitmentStatus.values:
        commitments = commitments.filter(status=status_filter)
    all_stakeholders = account_page_stakeholders(account)
    context = {
        "account": account,
        "tab": "commitments",
        "commitments": commitments,
        "status_filter": status_filter,
        "statuses": CommitmentStatus.choices,
        "form": form,
        "departures": open_departures(all_stakeholders),
        "today": timezone.localdate(),
    }
    return render(
        request, "activities/commitment_list.html", context, status=422 if form.errors else 200
    )


def _commitment_row(request, commitment, *, undo: bool):
    context = {
        "commitment": commitment,
        "today": timezone.localdate(),
        "undo": undo,
        "show_account": bool(request.POST.get("show_account")),
    }
    if request.htmx:
        return render(request, "activities/partials/commitment_row.html", context)
    next_url = request.POST.get("next")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = commitment.account.get_absolute_url()
    return redirect(next_url)


@require_POST
def commitment_complete(request, pk: int):
    commitment = services.commitment_complete(
        commitment=get_commitment_for_user(request.user, pk), actor=request.user
    )
    return _commitment_row(request, commitment, undo=True)


@require_POST
def commitment_reopen(request, pk: int):
    commitment = services.commitment_reopen(
        commitment=get_commitment_for_user(request.user, pk), actor=request.user
    )
    return _commitment_row(request, commitment, undo=False)


@require_POST
def commitment_cancel(request, pk: int):
    commitment = services.commitment_cancel(
        commitment=get_commitment_for_user(request.user, pk), actor=request.user
    )
    return _commitment_row(request, commitment, undo=True)


@require_GET
def notification_list(request):
    notices = list(Notification.objects.filter(user=request.user).select_related("account")[:100])
    return render(request, "activities/notification_list.html", {"notices": notices})


@require_POST
def notifications_mark_read(request):
    Notification.objects.filter(user=request.user, read_at=None).update(read_at=timezone.now())
    return redirect("notification_list")
