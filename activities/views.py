from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.coverage import open_departures
from accounts.selectors import (
    Access,
    account_choices,
    account_page_stakeholders,
    accounts_for_user,
    calendar_for_account,
    current_config,
    get_account_for_user,
)
from accounts.services import StaleEdit
from accounts.timeline import timeline_page
from accounts.views import account_page_context, form_errors_into
from activities import services
from activities.calendar_feed import build_calendar
from activities.forms import (
    FOLLOW_UP_FORMS,
    AgreedItemForm,
    ClientRequestForm,
    CommitmentForm,
    InviteUploadForm,
    NotificationPreferenceForm,
    QBRHoldForm,
    QBRScheduleForm,
    ReassignForm,
    ReopenForm,
    RequestMomentForm,
    owner_choices,
    resolve_owner,
)
from activities.invites import InviteRefused
from activities.models import (
    CalendarToken,
    CommitmentStatus,
    NotificationPreference,
    QBRStatus,
    RequestStatus,
)
from activities.quick_log import (
    errors_to_forms,
    next_step_forms,
    next_steps_cleaned,
    quick_log_forms,
    quick_log_save,
)
from activities.selectors import (
    REQUEST_FILTERS,
    account_qbrs_list,
    account_requests,
    account_team,
    calendar_items,
    get_commitment_for_user,
    get_interaction_for_user,
    get_meeting_for_user,
    get_qbr_for_user,
    get_request_for_user,
    my_accounts,
    my_work,
    notification_groups,
    qbr_schedule_status,
    with_clocks,
)
from kam.dates import business_date
from kam.downloads import name_download
from kam.params import next_param, parse_int


def _read_or_write(request) -> Access:
    """A page that lists on GET and adds on POST asks to see, or to edit."""
    return Access.EDIT if request.method == "POST" else Access.VIEW


@require_GET
def my_work_page(request):
    # The business date and the default cadence the account list and the dashboard use, so
    # the three agree on who is owed a touch. A long group of agreed items draws its first
    # items (the most urgent: they are by due date) and a link to the rest: ?show=<group>
    # draws that group whole (htmx swaps in its list).
    today = business_date()
    work = my_work(
        request.user,
        today,
        default_cadence_days=current_config().default_touch_cadence_days,
        show=request.GET.get("show", ""),
    )
    # The last figure is the card's place on a phone, where My work is one column ordered by
    # urgency (my_work.html explains the order).
    headings = {
        "overdue": (_("Overdue"), _("Nothing overdue. Well done."), "danger", 1),
        "today": (_("Due today"), _("Nothing due today."), "warning", 4),
        "week": (_("This week"), _("Nothing else due this week."), "primary", 7),
        "later": (_("Next two weeks"), _("Nothing else due in the next two weeks."),
                  "secondary", 8),
    }  # fmt: skip
    groups = [
        (key, heading, work.items[key], work.counts[key], *rest)
        for key, (heading, *rest) in headings.items()
    ]
    add_form = AgreedItemForm(
        accounts=work.account_choices,
        initial={"due_date": today + timedelta(days=7)},
        prefix="item",
    )
    return render(
        request,
        "activities/my_work.html",
        {"work": work, "today": today, "groups": groups, "add_form": add_form},
    )


@require_POST
def agreed_item_create(request):
    """My work's quick add: an item I owe on one of my accounts. htmx gets the new row (or the
    form with its errors, 422); without JavaScript, back to My work."""
    accounts = account_choices(my_accounts(request.user))
    form = AgreedItemForm(request.POST, accounts=accounts, prefix="item")
    if form.is_valid():
        account = get_account_for_user(
            request.user, form.cleaned_data["account"], action=Access.EDIT
        )
        try:
            item = services.commitment_create(
                account=account,
                actor=request.user,
                title=form.cleaned_data["title"],
                due_date=form.cleaned_data["due_date"],
                owner_user=request.user,
            )
        except ValidationError as error:
            form_errors_into(form, error)
        else:
            messages.success(request, _("Added to your agreed items."))
            if request.htmx:
                # The new row, and the form again without its title (out of band): the same
                # click again is a form to fill in, not the same item added twice.
                fresh = AgreedItemForm(
                    accounts=accounts,
                    initial={"account": account.pk, "due_date": form.cleaned_data["due_date"]},
                    prefix="item",
                )
                row = render_to_string(
                    "activities/partials/commitment_row.html",
                    {"commitment": item, "today": business_date(), "show_account": True},
                    request=request,
                )
                again = render_to_string(
                    "activities/partials/agreed_item_form.html",
                    {"add_form": fresh, "oob": True},
                    request=request,
                )
                return HttpResponse(row + again)
            return redirect("my_work")
    if request.htmx:
        response = render(
            request, "activities/partials/agreed_item_form.html", {"add_form": form}, status=422
        )
        response["HX-Retarget"] = "#agreed-item-form"
        response["HX-Reswap"] = "outerHTML"
        return response
    messages.error(request, _("Not added: check the fields."))
    return redirect("my_work")


@require_GET
def log_pick_account(request):
    """The global "Log interaction" entry: find the account, then log on it."""
    query = request.GET.get("q", "").strip()
    accounts = accounts_for_user(request.user).order_by("name")
    if query:
        accounts = accounts.name_contains(query)
    context = {"accounts": accounts[:20], "q": query}
    template = "activities/log_pick_account.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def interaction_create(request, pk: int):
    """Quick log. Full page at /accounts/<id>/log/; on the account pages the same form posts
    here with htmx and gets back a fresh form plus the updated timeline (out of band)."""
    account = get_account_for_user(request.user, pk, action=Access.EDIT)
    meeting = _meeting_to_log(request, account)
    stakeholders = account_page_stakeholders(account)
    form, next_steps = quick_log_forms(
        account=account,
        user=request.user,
        stakeholders=stakeholders,
        data=request.POST if request.method == "POST" else None,
        meeting=meeting,
    )
    if request.method == "POST":
        interaction = quick_log_save(
            account=account, user=request.user, form=form, next_steps=next_steps, meeting=meeting
        )
        if interaction is not None and meeting is not None:
            # Logged from My work's prompt: back there, one prompt fewer.
            messages.success(
                request,
                _logged_message(
                    request, interaction, moved=form.summary_moved, back_to=reverse("my_work")
                ),
            )
            if request.htmx:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = reverse("my_work")
                return response
            return redirect("my_work")
        if interaction is not None:
            timeline_url = reverse("account_timeline", args=[account.pk])
            page = (request.htmx.current_url_abs_path or "") if request.htmx else ""
            messages.success(
                request,
                _logged_message(
                    request,
                    interaction,
                    moved=form.summary_moved,
                    back_to=page.split("#")[0] or timeline_url,
                ),
            )
            if not request.htmx:
                return redirect(timeline_url)
            # A fresh pair. A log does not change the team, nor the open requests unless it
            # answered one.
            answered = form.cleaned_data.get("answers_request") is not None
            form, next_steps = quick_log_forms(
                account=account, user=request.user, stakeholders=stakeholders,
                team=next_steps.team, open_requests=None if answered else form.request_rows,
            )  # fmt: skip
            # The account pages show the timeline beside the form; the log page has none.
            on_log_page = page.split("?")[0] == request.path
            entries, cursor = ([], None) if on_log_page else timeline_page(account)
            return render(
                request,
                "activities/partials/quick_log_saved.html",
                {
                    "account": account,
                    "log_form": form,
                    "next_steps": next_steps,
                    "entries": entries,
                    "cursor": cursor,
                    "with_timeline": not on_log_page,
                },
            )
    context = {
        "account": account,
        "log_form": form,
        "next_steps": next_steps,
        "departures": open_departures(stakeholders),
        "tab": "log",
        "meeting": meeting,
    }
    status = 422 if request.method == "POST" else 200
    template = "activities/interaction_form.html"
    if request.htmx:
        template += "#quick_log"
    return render(request, template, context, status=status)


def _meeting_to_log(request, account):
    """The planned meeting My work's "Log it" names (?meeting= on the form, a hidden field on
    its POST): the user's own, on this account; None for a plain quick log."""
    raw = (request.POST if request.method == "POST" else request.GET).get("meeting", "")
    if not raw:
        return None
    pk = parse_int(raw)
    if pk is None:  # not an id ("²" is a digit to str.isdigit, not to int)
        raise Http404
    meeting = get_meeting_for_user(request.user, pk, action=Access.EDIT)
    if meeting.account_id != account.pk:
        raise Http404
    return meeting


def _logged_message(request, interaction, *, moved: int, back_to: str) -> str:
    """What was logged (kind, account, date, summary), where it is on the timeline, and the
    Undo its author has for a few minutes (the message region draws it as it comes)."""
    return render_to_string(
        "activities/partials/logged_message.html",
        {
            "interaction": interaction,
            "moved": moved,
            "back_to": back_to,
            "undo_minutes": int(services.UNDO_WINDOW.total_seconds() // 60),
        },
        request=request,
    )


@require_POST
def interaction_undo(request, pk: int):
    """The Undo of the confirmation after a log: through activities.services.interaction_undo
    (its author, within UNDO_WINDOW), then back to the page it was pressed on."""
    interaction = get_interaction_for_user(request.user, pk, action=Access.EDIT)
    back = next_param(request, default=interaction.account.get_absolute_url())
    label = {
        "kind": interaction.get_kind_display(),
        "account": interaction.account.name,
        "summary": Truncator(interaction.summary).chars(80),
    }
    try:
        services.interaction_undo(interaction=interaction, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Undone: “%(summary)s” (%(kind)s, %(account)s) was removed with the next steps "
              "and updates it made.") % label,
        )  # fmt: skip
    return redirect(back)


def _commitment_form(request, account, people, data=None):
    """The add form of the account's Commitments tab; `people`: the account's stakeholders,
    read once for the form's owners and the header's departure flag."""
    stakeholders = [s for s in people if s.left_on is None]
    team = account_team(account)
    form = CommitmentForm(
        data,
        owner_choices=owner_choices(account, team, stakeholders),
        default_owner=f"u{request.user.pk}" if any(u.pk == request.user.pk for u in team) else "",
    )
    return form, team, stakeholders


@require_http_methods(["GET", "POST"])
def account_commitments(request, pk: int):
    account = get_account_for_user(request.user, pk, action=_read_or_write(request))
    people = account_page_stakeholders(account)
    form, team, stakeholders = _commitment_form(
        request, account, people, request.POST if request.method == "POST" else None
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
    context = account_page_context(
        request,
        account,
        "commitments",
        stakeholders=people,
        commitments=commitments,
        status_filter=status_filter,
        statuses=CommitmentStatus.choices,
        form=form,
    )
    return render(
        request, "activities/commitment_list.html", context, status=422 if form.errors else 200
    )


def _commitment_row(request, commitment, *, undo: bool, done: str):
    """After a change from a row, `done` (what happened) in the messages region: htmx gets the
    row again (on the plan page, whose table the plans app draws, the page reloads); without
    JavaScript, back to where the user was."""
    messages.success(request, done)
    context = {
        "commitment": commitment,
        "today": business_date(),
        "undo": undo,
        "show_account": bool(request.POST.get("show_account")),
    }
    if request.htmx:
        if request.POST.get("row") == "plan":
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return render(request, "activities/partials/commitment_row.html", context)
    return redirect(next_param(request, default=commitment.account.get_absolute_url()))


@require_POST
def commitment_complete(request, pk: int):
    commitment = services.commitment_complete(
        commitment=get_commitment_for_user(request.user, pk, action=Access.EDIT), actor=request.user
    )
    return _commitment_row(
        request, commitment, undo=True, done=_("Marked done: “%(title)s”.") % _title(commitment)
    )


def _title(commitment) -> dict:
    return {"title": Truncator(commitment.title).chars(80)}


@require_POST
def commitment_reopen(request, pk: int):
    commitment = get_commitment_for_user(request.user, pk, action=Access.EDIT)
    form = ReopenForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    commitment = services.commitment_reopen(
        commitment=commitment, actor=request.user, reason=reason
    )
    return _commitment_row(
        request, commitment, undo=False, done=_("Reopened: “%(title)s”.") % _title(commitment)
    )


def _owner_choices(commitment) -> tuple[list, list, list]:
    stakeholders = [s for s in account_page_stakeholders(commitment.account) if s.left_on is None]
    team = account_team(commitment.account)
    return owner_choices(commitment.account, team, stakeholders), team, stakeholders


def _follow_up_form(commitment, mode: str, data=None):
    if mode == "reassign":
        choices, team, stakeholders = _owner_choices(commitment)
        current = (
            f"u{commitment.owner_user_id}"
            if commitment.owner_user_id
            else f"s{commitment.owner_stakeholder_id}"
        )
        initial = {"version": commitment.version}
        form = ReassignForm(data, owner_choices=choices, current=current, initial=initial)
        return form, team, stakeholders
    initial = {
        "due_date": commitment.due_date,
        "title": commitment.title,
        "version": commitment.version,
    }
    return FOLLOW_UP_FORMS[mode](data, initial=initial), [], []


def _follow_up_save(request, commitment, mode: str, form, team, stakeholders):
    data = form.cleaned_data
    # The version the form was drawn with: a change saved since is not overwritten.
    expected = commitment.version if data.get("version") is None else data["version"]
    if mode == "cancel":
        return services.commitment_cancel(
            commitment=commitment,
            actor=request.user,
            reason=data["reason"],
            expected_version=expected,
        )
    fields = {}
    if mode == "reschedule":
        fields = {"due_date": data["due_date"]}
    elif mode == "reassign":
        owner_user, owner_stakeholder = resolve_owner(data["owner"], team, stakeholders)
        fields = {"owner_user": owner_user, "owner_stakeholder": owner_stakeholder}
    elif mode == "edit":
        fields = {"title": data["title"]}
    return services.commitment_update(
        commitment=commitment,
        actor=request.user,
        expected_version=expected,
        reason=data.get("reason", ""),
        **fields,
    )


def _follow_up_done(commitment, mode: str) -> str:
    if mode == "cancel":
        return _("Cancelled: “%(title)s”.") % _title(commitment)
    if mode == "reschedule":
        return _("Rescheduled: “%(title)s” is now due %(date)s.") % {
            **_title(commitment),
            "date": date_format(commitment.due_date, "SHORT_DATE_FORMAT"),
        }
    if mode == "reassign":
        return _("Reassigned: “%(title)s” is now owned by %(owner)s.") % {
            **_title(commitment),
            "owner": commitment.owner,
        }
    return _("Saved: “%(title)s”.") % _title(commitment)


@require_http_methods(["GET", "POST"])
def commitment_follow_up(request, pk: int, mode: str):
    """Reschedule (with a reason), reassign, edit, cancel (with a reason) one agreed item in
    place, or read its history: GET draws the small form (or the history) under the item's
    row, POST saves through activities.services and answers with the row again (on a refusal,
    the form with its errors, 422). Whatever the item came from (interaction, QBR, plan,
    playbook), this is the one way."""
    action = Access.VIEW if mode == "history" else Access.EDIT
    commitment = get_commitment_for_user(request.user, pk, action=action)
    source = request.POST if request.method == "POST" else request.GET
    context = {
        "commitment": commitment,
        "mode": mode,
        "row": source.get("row", ""),
        "next_url": source.get("next", ""),
        "show_account": bool(source.get("show_account")),
    }
    if request.GET.get("close"):
        return HttpResponse("")
    # Without JavaScript the panel comes in a page of its own.
    template = (
        "activities/partials/commitment_panel.html"
        if request.htmx
        else "activities/commitment_follow_up.html"
    )
    if mode == "history":
        context["events"] = list(commitment.events.select_related("actor"))
        return render(request, template, context)
    data = request.POST if request.method == "POST" else None
    form, team, stakeholders = _follow_up_form(commitment, mode, data)
    if request.method == "POST" and form.is_valid():
        try:
            commitment = _follow_up_save(request, commitment, mode, form, team, stakeholders)
        except StaleEdit:
            form.add_error(
                None,
                _("Someone else changed this item while you were editing. Close and try again."),
            )
        except ValidationError as error:
            form_errors_into(form, error)
        else:
            return _commitment_row(
                request, commitment, undo=mode == "cancel", done=_follow_up_done(commitment, mode)
            )
    context["form"] = form
    response = render(request, template, context, status=422 if form.errors else 200)
    if form.errors and request.htmx:
        response["HX-Retarget"] = f"#follow-up-{commitment.pk}"
        response["HX-Reswap"] = "innerHTML"
    return response


@require_GET
def notification_list(request):
    return render(
        request,
        "activities/notification_list.html",
        {"groups": notification_groups(request.user)},
    )


@require_POST
def notifications_mark_read(request):
    services.notifications_mark_read(user=request.user)
    messages.success(request, _("All notifications marked as read."))
    return redirect("notification_list")


# ---------------------------------------------------------------------------------------------
# QBRs


def _account_frame(account) -> tuple[list, dict]:
    """The account header's context (tab, departures) and the stakeholders it was built from."""
    stakeholders = account_page_stakeholders(account)
    return stakeholders, {
        "account": account,
        "tab": "qbrs",
        "departures": open_departures(stakeholders),
    }


def _qbr_people(account, user) -> list:
    """Who may attend on our side: the account team, and the person scheduling (a leader or
    admin who is not on the team sees the account too)."""
    people = account_team(account)
    if all(person.pk != user.pk for person in people):
        people.append(user)
    return people


@require_http_methods(["GET", "POST"])
def account_qbrs(request, pk: int):
    account = get_account_for_user(request.user, pk, action=_read_or_write(request))
    stakeholders, context = _account_frame(account)
    today = business_date()
    qbrs = account_qbrs_list(account)
    schedule = qbr_schedule_status(account, qbrs, today)
    form = QBRScheduleForm(
        request.POST if request.method == "POST" else None,
        people=_qbr_people(account, request.user),
        stakeholders=[s for s in stakeholders if s.left_on is None],
        initial={"scheduled_on": max(schedule.due_on, today)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.qbr_schedule(
                account=account,
                actor=request.user,
                scheduled_on=data["scheduled_on"],
                scheduled_time=data["scheduled_time"],
                agenda=data["agenda"],
                attendees=data["attendees"],
                stakeholders=data["stakeholders"],
            )
        except ValidationError as error:
            form_errors_into(form, error)
        else:
            messages.success(request, _("QBR scheduled."))
            return redirect("account_qbrs", pk=account.pk)
    context |= {"qbrs": qbrs, "schedule": schedule, "form": form, "today": today}
    return render(request, "activities/qbr_list.html", context, status=422 if form.errors else 200)


def _hold_forms(request, qbr, stakeholders):
    data = request.POST if request.method == "POST" else None
    active = [s for s in stakeholders if s.left_on is None]
    people = _qbr_people(qbr.account, request.user)
    form = QBRHoldForm(data, qbr=qbr, people=people, stakeholders=active, prefix="hold")
    next_steps = next_step_forms(
        account=qbr.account, user=request.user, active_stakeholders=active, data=data
    )
    return form, next_steps


def _hold_save(request, qbr, form, next_steps):
    """Validate both forms and call the service; its errors land on the right field.
    Returns the held QBR, or None when something is invalid (nothing is written)."""
    if not (form.is_valid() and next_steps.is_valid()):
        return None
    steps = next_steps_cleaned(next_steps)
    data = form.cleaned_data
    try:
        return services.qbr_hold(
            qbr=qbr,
            actor=request.user,
            held_at=data["held_at"],
            outcome=data["outcome"],
            rating=data["rating"],
            attendees=data["attendees"],
            stakeholders=data["stakeholders"],
            next_steps=steps,
        )
    except ValidationError as error:
        errors_to_forms(error, form, next_steps)
        return None


@require_http_methods(["GET", "POST"])
def qbr_detail(request, pk: int):
    """The QBR; while planned, the form that records it as held (with next steps)."""
    qbr = get_qbr_for_user(request.user, pk, action=_read_or_write(request))
    stakeholders, context = _account_frame(qbr.account)
    form, next_steps = _hold_forms(request, qbr, stakeholders)
    if request.method == "POST":
        held = _hold_save(request, qbr, form, next_steps)
        if held is not None:
            messages.success(request, _("QBR recorded as held."))
            return redirect("qbr_detail", pk=qbr.pk)
    context |= {
        "qbr": qbr,
        "hold_form": form,
        "next_steps": next_steps,
        "commitments": qbr.commitments.select_related("owner_user", "owner_stakeholder"),
        "today": business_date(),
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "activities/qbr_detail.html", context, status=status)


@require_POST
def qbr_cancel(request, pk: int):
    qbr = services.qbr_cancel(
        qbr=get_qbr_for_user(request.user, pk, action=Access.EDIT), actor=request.user
    )
    if qbr.status == QBRStatus.CANCELLED:
        messages.success(request, _("QBR cancelled."))
    return redirect("account_qbrs", pk=qbr.account_id)


# ---------------------------------------------------------------------------------------------
# Notification settings and the calendar feed


@require_http_methods(["GET", "POST"])
def notification_settings(request):
    preference = NotificationPreference.objects.filter(user=request.user).first()
    form = NotificationPreferenceForm(
        request.POST if request.method == "POST" else None,
        instance=preference or NotificationPreference(user=request.user),
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Notification settings saved."))
        return redirect("notification_settings")
    return render(
        request,
        "activities/notification_settings.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


@require_GET
def calendar_settings(request):
    token = CalendarToken.objects.filter(user=request.user, revoked_at__isnull=True).first()
    feed_url = (
        request.build_absolute_uri(reverse("calendar_feed", args=[token.token])) if token else ""
    )
    return render(
        request, "activities/calendar_settings.html", {"token": token, "feed_url": feed_url}
    )


@require_POST
def calendar_token_regenerate(request):
    services.calendar_token_regenerate(user=request.user)
    messages.success(request, _("A new calendar link was created; the old one no longer works."))
    return redirect("calendar_settings")


@require_POST
def calendar_token_revoke(request):
    if services.calendar_token_revoke(user=request.user):
        messages.success(request, _("Calendar link revoked."))
    return redirect("calendar_settings")


@login_not_required
@require_GET
def calendar_feed(request, token: str):
    """The secret URL is the credential: calendar apps cannot sign in."""
    row = get_object_or_404(
        CalendarToken.objects.select_related("user"),
        token=token,
        revoked_at__isnull=True,
        user__is_active=True,
    )
    user = row.user
    qbrs, commitments = calendar_items(user, business_date())
    body = build_calendar(
        user, qbrs=qbrs, commitments=commitments, absolute_url=request.build_absolute_uri
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    name_download(response, "kam", "ics", inline=True)
    response["Cache-Control"] = "private, max-age=300"
    return response


# ---------------------------------------------------------------------------------------------
# Client requests


@require_http_methods(["GET", "POST"])
def account_requests_page(request, pk: int):
    """The account's Requests tab: open and recent requests with their SLA clocks, and the
    form that records a new one."""
    account = get_account_for_user(request.user, pk, action=_read_or_write(request))
    stakeholders = account_page_stakeholders(account)
    form = ClientRequestForm(
        request.POST if request.method == "POST" else None,
        team=account_team(account),
        stakeholders=[s for s in stakeholders if s.left_on is None],
        default_owner=account.owner,
    )
    if request.method == "POST" and form.is_valid():
        try:
            created_request = services.request_create(
                account=account, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_into(form, error)
        else:
            messages.success(
                request, _("Request #%(number)s recorded.") % {"number": created_request.pk}
            )
            return redirect("account_requests", pk=account.pk)
    status_filter = request.GET.get("status", "")
    if status_filter not in REQUEST_FILTERS:
        status_filter = ""
    context = {
        "account": account,
        "tab": "requests",
        "requests": account_requests(account, now=timezone.now(), status=status_filter),
        "status_filter": status_filter,
        "status_choices": [
            ("open", _("Open")),
            *RequestStatus.choices,
            ("all", _("All")),
        ],
        "form": form,
        "departures": open_departures(stakeholders),
    }
    return render(
        request, "activities/request_list.html", context, status=422 if form.errors else 200
    )


def _request_row(request, client_request, *, error: str = "", done: str = ""):
    """The row again (htmx) or back to where the button was; `done` (what happened) in the
    messages region."""
    if done:
        messages.success(request, done % {"number": client_request.pk})
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(
            next_param(
                request, default=reverse("account_requests", args=[client_request.account_id])
            )
        )
    with_clocks(
        [client_request],
        timezone.now(),
        {client_request.account_id: calendar_for_account(client_request.account)},
    )
    return render(
        request,
        "activities/partials/request_row.html",
        {
            "client_request": client_request,
            "error": error,
            "show_account": bool(request.POST.get("show_account")),
        },
    )


def _request_action(request, pk: int, action, done: str) -> HttpResponse:
    client_request = get_request_for_user(request.user, pk, action=Access.EDIT)
    form = RequestMomentForm(request.POST)
    if not form.is_valid():
        return _request_row(request, client_request, error=" ".join(form.errors["at"]))
    try:
        action(client_request=client_request, at=form.cleaned_data["at"], actor=request.user)
    except ValidationError as error:
        return _request_row(request, client_request, error=" ".join(error.messages))
    return _request_row(request, client_request, done=done)


@require_POST
def request_respond(request, pk: int):
    return _request_action(
        request, pk, services.request_respond, _("Request #%(number)s: first response recorded.")
    )


@require_POST
def request_resolve(request, pk: int):
    return _request_action(
        request, pk, services.request_resolve, _("Request #%(number)s resolved.")
    )


@require_POST
def request_reopen(request, pk: int):
    client_request = get_request_for_user(request.user, pk, action=Access.EDIT)
    services.request_reopen(client_request=client_request, actor=request.user)
    return _request_row(request, client_request, done=_("Request #%(number)s reopened."))


@require_POST
def meeting_dismiss(request, pk: int):
    """My work's Dismiss on a meeting to log: no log, the prompt goes."""
    meeting = get_meeting_for_user(request.user, pk, action=Access.EDIT)
    try:
        services.meeting_dismiss(user=request.user, meeting=meeting)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("“%(title)s” will not be logged; it left your meetings to log.")
            % {"title": meeting.title},
        )
    return redirect("my_work")


@require_POST
def meeting_invite_upload(request, pk: int):
    """The account page's calendar invite upload (.ics): each event in it is applied as mail
    capture applies it (services.meeting_invites_apply_text), for the signed-in user."""
    account = get_account_for_user(request.user, pk, action=Access.EDIT)
    form = InviteUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(m for e in form.errors.values() for m in e))
        return redirect(account)
    try:
        meetings = services.meeting_invites_apply_text(
            user=request.user, account=account, text=form.cleaned_data["text"]
        )
    except InviteRefused as refused:
        reason = refused.reason
    except ValidationError as error:
        reason = " ".join(error.messages)
    else:
        reason = ""
    if reason:
        messages.error(request, _("Invite not added: %(reason)s") % {"reason": reason})
        return redirect(account)
    for meeting in meetings:
        messages.success(
            request,
            _("Calendar invite: “%(title)s” on %(start)s is %(status)s.")
            % {
                "title": meeting.title,
                "start": date_format(
                    timezone.localtime(meeting.starts_at), "SHORT_DATETIME_FORMAT"
                ),
                "status": meeting.get_status_display().lower(),
            },
        )
    return redirect(account)
