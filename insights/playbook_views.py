"""Configuration → Playbooks (admins): list with an on/off switch, create and edit with steps,
and each playbook's recent firings. Writes go through insights.playbooks."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from activities.models import Playbook, PlaybookFiring
from insights.playbook_forms import PlaybookForm, PlaybookSteps, step_initial
from insights.playbooks import playbook_save, playbook_set_active
from kam.access import admin_required

RECENT_FIRINGS = 25


@require_GET
@admin_required
def playbook_list(request):
    playbooks = (
        Playbook.objects.prefetch_related("tiers")
        .annotate(
            step_count=Count("steps", distinct=True),
            open_count=Count("firings", filter=Q(firings__cleared_at__isnull=True), distinct=True),
        )
        .order_by("name", "pk")
    )
    return render(request, "activities/playbook_list.html", {"playbooks": playbooks})


def _apply_errors(error: ValidationError, form, steps) -> None:
    """Service errors back onto the fields: `steps-<i>-<field>` onto the i-th filled row."""
    filled = steps.filled_forms()
    for key, messages_ in error.message_dict.items():
        if key.startswith("steps-"):
            _prefix, index, field = key.split("-", 2)
            row = filled[int(index)]
            row.add_error(field if field in row.fields else None, messages_)
        elif key in form.fields:
            form.add_error(key, messages_)
        else:
            form.add_error(None, messages_)


def _edit(request, playbook: Playbook | None):
    initial_steps = step_initial(playbook) if playbook else []
    form = PlaybookForm(request.POST or None, instance=playbook)
    steps = PlaybookSteps(
        request.POST or None,
        initial=initial_steps,
        prefix="steps",
        form_kwargs={"user": request.user},
    )
    if request.method == "POST" and form.is_valid() and steps.is_valid():
        try:
            saved = playbook_save(
                actor=request.user,
                playbook=playbook,
                steps=steps.steps(),
                tiers=list(form.cleaned_data["tiers"]),
                **form.playbook_fields(),
            )
        except ValidationError as error:
            _apply_errors(error, form, steps)
        else:
            messages.success(request, _("Playbook saved: %(name)s.") % {"name": saved})
            return redirect("playbook_edit", pk=saved.pk)
    firings = []
    if playbook is not None:
        firings = (
            PlaybookFiring.objects.filter(playbook=playbook)
            .select_related("account")
            .annotate(item_count=Count("items"))
            .order_by("-fired_at", "-pk")[:RECENT_FIRINGS]
        )
    errors = bool(form.errors or any(steps.errors) or steps.non_form_errors())
    return render(
        request,
        "activities/playbook_form.html",
        {"form": form, "steps": steps, "playbook": playbook, "firings": firings},
        status=422 if request.method == "POST" and errors else 200,
    )


@require_http_methods(["GET", "POST"])
@admin_required
def playbook_create(request):
    return _edit(request, None)


@require_http_methods(["GET", "POST"])
@admin_required
def playbook_edit(request, pk: int):
    return _edit(request, get_object_or_404(Playbook, pk=pk))


@require_POST
@admin_required
def playbook_toggle(request, pk: int):
    playbook = get_object_or_404(Playbook, pk=pk)
    playbook = playbook_set_active(
        actor=request.user, playbook=playbook, is_active=not playbook.is_active
    )
    if playbook.is_active:
        messages.success(request, _("Playbook enabled: %(name)s.") % {"name": playbook})
    else:
        messages.success(request, _("Playbook disabled: %(name)s.") % {"name": playbook})
    return redirect("playbook_list")
