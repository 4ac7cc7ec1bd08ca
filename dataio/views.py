"""The import wizard: upload → column mapping → dry-run preview → confirm → progress → result.
Admins and sales leaders only."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.selectors import get_account_for_user
from dataio import exports, plausibility, presets, services
from dataio.forms import MappingForm, UploadForm, ValueMappingForm
from dataio.importers import ACTIONS, IMPORTERS
from dataio.models import ImportStatus
from dataio.parsing import ImportFileError, read_upload
from dataio.selectors import get_import_job_for_user, import_jobs_for_user
from kam.access import leader_required
from kam.exports import FORMATS, table_response
from kam.params import int_param

PREVIEW_PAGE_SIZE = 100
ACTION_CLASSES = {
    "created": "text-bg-success",
    "updated": "text-bg-info",
    "unchanged": "text-bg-light",
    "rejected": "text-bg-danger",
}


@require_http_methods(["GET", "POST"])
@leader_required
def import_start(request):
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.import_job_create(
                actor=request.user,
                entity=form.cleaned_data["entity"],
                filename=upload.name,
                content=read_upload(upload),
                currency=form.cleaned_data["currency"],
            )
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            return redirect("import_mapping", job.pk)
    jobs = import_jobs_for_user(request.user)[:20]
    return render(request, "dataio/import_start.html", {"form": form, "jobs": jobs})


@require_http_methods(["GET", "POST"])
@leader_required
def import_mapping(request, pk: int):
    job = get_import_job_for_user(request.user, pk)
    if job.status not in (ImportStatus.UPLOADED, ImportStatus.PREVIEWED):
        return redirect("import_job", job.pk)
    form = MappingForm(request.POST or None, job=job, samples=services.import_job_samples(job=job))
    if request.method == "POST" and form.is_valid():
        mapping = form.cleaned_data["mapping"]
        try:
            if services.import_job_choice_columns(job=job, mapping=mapping):
                services.import_job_map_columns(job=job, mapping=mapping)
                return redirect("import_values", job.pk)
            services.import_job_preview(job=job, mapping=mapping, value_mapping={})
        except ImportFileError as error:
            form.add_error(None, str(error))
        else:
            return redirect("import_preview", job.pk)
    importer = IMPORTERS[job.entity]
    return render(
        request,
        "dataio/import_mapping.html",
        {"job": job, "form": form, "importer": importer, **_preset_context(job)},
    )


def _preset_context(job) -> dict:
    """The export of a known CRM the file was recognised as (dataio.presets), or the one of
    another kind of rows it looks like."""
    return {
        "recognised": presets.explain(job.entity, job.headers, job.mapping),
        "looks_like": presets.detect_other(job.entity, job.headers),
    }


@require_http_methods(["GET", "POST"])
@leader_required
def import_values(request, pk: int):
    """The values of the mapped choice columns (stage, status, priority…): each with the
    choice it becomes, pre-filled, to confirm or change before the dry run."""
    job = get_import_job_for_user(request.user, pk)
    if job.status not in (ImportStatus.UPLOADED, ImportStatus.PREVIEWED):
        return redirect("import_job", job.pk)
    columns = services.import_job_choice_columns(job=job, mapping=job.mapping)
    form = ValueMappingForm(request.POST or None, columns=columns)
    if request.method == "POST" and form.is_valid():
        try:
            services.import_job_preview(
                job=job, mapping=job.mapping, value_mapping=form.cleaned_data["value_mapping"]
            )
        except ImportFileError as error:
            form.add_error(None, str(error))
        else:
            return redirect("import_preview", job.pk)
    return render(request, "dataio/import_values.html", {"job": job, "form": form})


@require_http_methods(["GET", "POST"])
@leader_required
def import_preview(request, pk: int):
    job = get_import_job_for_user(request.user, pk)
    refusal = ""
    if request.method == "POST":
        try:
            if job.status == ImportStatus.PREVIEWED:
                services.import_job_confirm(
                    job=job, accept_warnings=request.POST.get("accept_warnings") == "on"
                )
        except plausibility.WarningsNotAccepted as error:
            refusal = str(error)
        else:
            return redirect("import_job", job.pk)
    if job.status == ImportStatus.UPLOADED:
        return redirect("import_mapping", job.pk)
    context = {
        **_outcome_context(request, job),
        **_preset_context(job),
        "flagged": plausibility.flagged_outcomes(job.outcomes),
        "refusal": refusal,
    }
    return render(request, "dataio/import_preview.html", context)


def _action_labels() -> dict[str, str]:
    return {
        "created": _("Created"),
        "updated": _("Updated"),
        "unchanged": _("Unchanged"),
        "rejected": _("Rejected"),
    }


def _outcome_context(request, job, *, default_show: str = "") -> dict:
    """One page of the row-by-row outcome, optionally one kind of outcome only."""
    show = request.GET.get("show", default_show)
    rows = [o for o in job.outcomes if o["action"] == show] if show in ACTIONS else job.outcomes
    page = Paginator(rows, PREVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    field_labels = IMPORTERS[job.entity].field_labels()
    action_labels = _action_labels()
    page.object_list = [
        {
            **outcome,
            "action_label": action_labels[outcome["action"]],
            "action_class": ACTION_CLASSES[outcome["action"]],
            "changed_labels": [
                str(field_labels.get(n.removesuffix("_id"), n)) for n in outcome.get("changes", [])
            ],
            # What each date, number and choice was read as, next to the cell it came from.
            "parsed_items": [
                (field_labels.get(name, name), shown, raw)
                for name, (shown, raw) in outcome.get("parsed", {}).items()
            ],
        }
        for outcome in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "job": job,
        "page": page,
        "show": show,
        "query": query.urlencode(),
        "tabs": [(a, action_labels[a], job.counts.get(a, 0)) for a in ACTIONS],
    }


@require_GET
@leader_required
def import_job(request, pk: int):
    """Progress while the worker runs (the bar polls this view), the result when done."""
    job = get_import_job_for_user(request.user, pk)
    if job.status in (ImportStatus.UPLOADED, ImportStatus.PREVIEWED):
        return redirect("import_preview", job.pk)
    if request.htmx and request.htmx.target == "import-progress":
        response = render(request, "dataio/import_job.html#progress", {"job": job})
        if job.is_finished:
            # The result is a different page (rejects table, downloads): load it whole.
            response["HX-Refresh"] = "true"
        return response
    # The result opens on the rejected rows, when there are any: they are what needs work.
    default_show = "rejected" if job.counts.get("rejected") else ""
    return render(
        request, "dataio/import_job.html", _outcome_context(request, job, default_show=default_show)
    )


@require_GET
@leader_required
def import_rejects(request, pk: int, fmt: str):
    """The rejected rows as they were in the file, with the row number and the reason."""
    if fmt not in FORMATS:
        raise Http404
    job = get_import_job_for_user(request.user, pk)
    rejects = job.rejects
    headers = [_("row"), _("reason"), *job.headers]
    rows = (
        [
            reject["row"],
            reject["reason"],
            *(reject.get("values", {}).get(h, "") for h in job.headers),
        ]
        for reject in rejects
    )
    stem = job.filename.rsplit(".", 1)[0]
    return table_response(fmt, headers, rows, filename=(stem, "rejects"))


# --- exports of the lists ---------------------------------------------------------------------

EXPORTS = {
    "stakeholders": exports.stakeholder_rows,
    "interactions": exports.interaction_rows,
    "commitments": exports.commitment_rows,
    "opportunities": exports.opportunity_rows,
    "requests": exports.request_rows,
}


@require_GET
def export_table(request, entity: str, fmt: str):
    """Stakeholders, interactions, commitments, opportunities or client requests of every
    account the user may see, or of one (`?account=<id>`, 404 when not theirs), with the list
    page's filters (`status` for commitments and requests, `kind` for interactions, `plan` for
    opportunities)."""
    if entity not in EXPORTS or fmt not in FORMATS:
        raise Http404
    account_id = int_param(request.GET, "account")
    account = None if account_id is None else get_account_for_user(request.user, account_id)
    filters = {}
    if entity in ("commitments", "requests"):
        filters["status"] = request.GET.get("status", "")
    elif entity == "interactions":
        filters["kind"] = request.GET.get("kind", "")
    elif entity == "opportunities":
        filters["plan_id"] = int_param(request.GET, "plan")
    headers, rows = EXPORTS[entity](request.user, account=account, **filters)
    stem = entity if account is None else f"{entity}-{account.pk}"
    return table_response(fmt, headers, rows, filename=stem)
