"""The accounts list's actions: saved views (save, rename, delete) and the bulk actions on the
ticked accounts (reassign the owner, ask for a tier review, export the selection)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts import services
from accounts.exports import account_rows
from accounts.forms import AccountBulkForm, AccountFilterForm, SavedViewForm
from accounts.selectors import get_saved_view_for_user
from insights.selectors import account_list_rows
from insights.views import account_filter_form, saved_view_url
from kam.exports import table_response
from kam.params import next_param


def _errors(form) -> str:
    parts = []
    for name, errors in form.errors.items():
        text = " ".join(errors)
        parts.append(f"{form.fields[name].label}: {text}" if name in form.fields else text)
    return "; ".join(parts)


def _not_saved(request, form) -> None:
    messages.error(request, _("The view was not saved — %(errors)s") % {"errors": _errors(form)})


def _list_query(request) -> tuple[str, list[str]]:
    """The list state posted with a saved view (its `query` field), reduced to the list's own
    parameters, and the labels of those not valid for this user (accounts.forms)."""
    posted = QueryDict(request.POST.get("query", "")[:2000])
    filters = account_filter_form(request.user, posted)
    filters.is_valid()
    return AccountFilterForm.query_of(posted), filters.invalid_labels()


def _back_to_list(request, query: str):
    return redirect(f"{reverse('account_list')}?{query}" if query else reverse("account_list"))


@require_POST
def saved_view_create(request):
    query, invalid = _list_query(request)
    form = SavedViewForm(request.POST, owner=request.user)
    if invalid:
        messages.error(
            request,
            _("The view was not saved: these filters are not valid: %(fields)s.")
            % {"fields": ", ".join(invalid)},
        )
        return _back_to_list(request, query)
    if not form.is_valid():
        _not_saved(request, form)
        return _back_to_list(request, query)
    view = form.save(commit=False)
    view.owner, view.query = request.user, query
    view.save()
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(saved_view_url(view))


@require_POST
def saved_view_update(request, pk: int):
    """Rename a view, share or unshare it; with `replace`, it keeps the list as shown now."""
    view = get_saved_view_for_user(request.user, pk, change=True)
    form = SavedViewForm(request.POST, instance=view, owner=request.user)
    query, invalid = _list_query(request)
    replace = request.POST.get("replace") == "1"
    if replace and invalid:
        messages.error(
            request,
            _("The view was not saved: these filters are not valid: %(fields)s.")
            % {"fields": ", ".join(invalid)},
        )
    elif form.is_valid():
        view = form.save(commit=False)
        if replace:
            view.query = query
        view.save()
        messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    else:
        _not_saved(request, form)
    view.refresh_from_db()
    return redirect(saved_view_url(view))


@require_POST
def saved_view_delete(request, pk: int):
    view = get_saved_view_for_user(request.user, pk, change=True)
    name, query = view.name, view.query
    view.delete()
    messages.success(request, _("View “%(name)s” deleted.") % {"name": name})
    return _back_to_list(request, query)


@require_POST
def account_bulk(request):
    """One action on the ticked accounts; every change all or nothing (accounts.services), then
    back to the list as it was (`next`)."""
    back = next_param(request, default=reverse("account_list"))
    form = AccountBulkForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, _("Nothing was done — %(errors)s") % {"errors": _errors(form)})
        return redirect(back)
    action, ids = form.cleaned_data["action"], form.cleaned_data["accounts"]
    if action == AccountBulkForm.EXPORT:
        # The list's rows (its access rule), only the ticked ones, through the list's export.
        headers, rows = account_rows(account_list_rows(request.user).filter(pk__in=ids))
        return table_response("csv", headers, rows, filename="accounts-selection")
    try:
        if action == AccountBulkForm.REASSIGN:
            owner = form.cleaned_data["owner"]
            changed = services.accounts_reassign(actor=request.user, ids=ids, owner=owner)
            message = ngettext(
                "%(count)s account handed over to %(owner)s.",
                "%(count)s accounts handed over to %(owner)s.",
                len(changed),
            ) % {"count": len(changed), "owner": owner}
        else:
            changed = services.tier_review_request(actor=request.user, ids=ids)
            message = ngettext(
                "%(count)s account put on the tier review list.",
                "%(count)s accounts put on the tier review list.",
                len(changed),
            ) % {"count": len(changed)}
    except services.BulkRefused as refused:
        messages.error(request, refused.message)
    except services.StaleEdit as stale:
        messages.error(
            request,
            _("Nothing was changed: %(name)s was saved by someone else meanwhile. Try again.")
            % {"name": stale.current.name},
        )
    except ValidationError as error:
        messages.error(
            request, _("Nothing was changed — %(errors)s") % {"errors": " ".join(error.messages)}
        )
    else:
        messages.success(request, message)
    return redirect(back)
