"""A stakeholder's personal data (LGPD): the export (a JSON download and a printable page) and
the erasure with its confirmation step. Who may: whoever may edit the stakeholder's account
(its owner and team, leaders and admins: accounts.selectors KAM_GRANTS), the people who answer
for the relationship and already see every note; an outsider gets 404."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.forms import StakeholderEraseForm
from accounts.selectors import Access, get_account_for_user
from insights.privacy import (
    stakeholder_erase as erase,
)
from insights.privacy import (
    stakeholder_export_record,
    stakeholder_personal_data,
)
from kam.downloads import name_download


def _stakeholder(request, pk: int, stakeholder_pk: int):
    account = get_account_for_user(request.user, pk, action=Access.EDIT)
    stakeholder = get_object_or_404(
        account.stakeholders.select_related("account", "reports_to"), pk=stakeholder_pk
    )
    return account, stakeholder


@require_GET
def stakeholder_personal_data_page(request, pk: int, stakeholder_pk: int):
    """Everything held about the person, as a page that prints cleanly."""
    account, stakeholder = _stakeholder(request, pk, stakeholder_pk)
    data = stakeholder_personal_data(user=request.user, stakeholder=stakeholder)
    stakeholder_export_record(user=request.user, stakeholder=stakeholder, fmt="html")
    return render(
        request,
        "accounts/stakeholder_personal_data.html",
        {"account": account, "person": stakeholder, "data": data},
    )


@require_GET
def stakeholder_personal_data_json(request, pk: int, stakeholder_pk: int):
    _account, stakeholder = _stakeholder(request, pk, stakeholder_pk)
    data = stakeholder_personal_data(user=request.user, stakeholder=stakeholder)
    stakeholder_export_record(user=request.user, stakeholder=stakeholder, fmt="json")
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    # The id, not the name: the file name says whose data it is without repeating it.
    return name_download(response, ["personal-data", f"contact-{stakeholder.pk}"], "json")


@require_http_methods(["GET", "POST"])
def stakeholder_erase(request, pk: int, stakeholder_pk: int):
    account, stakeholder = _stakeholder(request, pk, stakeholder_pk)
    if stakeholder.is_erased:
        messages.info(request, _("This contact's personal data was already erased."))
        return redirect("account_stakeholders", pk=account.pk)
    form = StakeholderEraseForm(request.POST or None, stakeholder=stakeholder)
    if request.method == "POST" and form.is_valid():
        try:
            erased = erase(
                user=request.user, stakeholder=stakeholder, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Personal data erased. The contact is now shown as “%(label)s”; the "
                  "interactions stay on the timeline.") % {"label": erased.name},
            )  # fmt: skip
            return redirect("account_stakeholders", pk=account.pk)
    return render(
        request,
        "accounts/stakeholder_erase.html",
        {"account": account, "person": stakeholder, "form": form},
        status=422 if form.errors else 200,
    )
