"""The profile page: who I am and my API tokens (create, see last use, revoke)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from api.selectors import api_tokens_for_user
from api.services import api_token_create, api_token_revoke
from kam.forms import ApiTokenForm


def _profile_page(request, *, form=None, new_token=None, secret="", status=200):
    return render(
        request,
        "kam/profile.html",
        {
            "form": form or ApiTokenForm(),
            "tokens": api_tokens_for_user(request.user),
            "new_token": new_token,
            "secret": secret,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def profile(request):
    """Who I am, and my API tokens: create one with a name (its secret is shown this once), see
    when each was last used, revoke."""
    if request.method == "GET":
        return _profile_page(request)
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, secret = api_token_create(user=request.user, name=form.cleaned_data["name"])
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            # Rendered, not redirected: the secret exists only in this response.
            response = _profile_page(request, new_token=token, secret=secret)
            response["Cache-Control"] = "no-store"
            return response
    return _profile_page(request, form=form, status=422)


@require_POST
def api_token_revoke_view(request, pk: int):
    if api_token_revoke(user=request.user, token_id=pk):
        messages.success(request, _("Token revoked: requests with it are now refused."))
    else:
        messages.error(request, _("That token does not exist or was already revoked."))
    return redirect("profile")
