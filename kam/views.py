import logging
import sys

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError, transaction
from django.http import HttpResponse, HttpResponseRedirect, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam.access import admin_required
from kam.forms import EmailAuthenticationForm, LanguageForm, RetentionPolicyForm
from kam.health import broker_status, database_status
from kam.params import InvalidParameter, next_param, upload_limit
from kam.people import people_matching, people_to_search
from kam.retention import registered_kinds, retention_policies, retention_policy_save

logger = logging.getLogger(__name__)


@login_not_required
@require_GET
@never_cache
def healthz(request):
    db_ok, db_detail = database_status()
    broker_ok, broker_detail = broker_status()
    body = {
        "status": "ok" if db_ok and broker_ok else "unavailable",
        "database": db_detail,
        "broker": broker_detail,
    }
    return JsonResponse(body, status=200 if db_ok and broker_ok else 503)


@login_not_required
@require_POST
def set_language(request):
    """Save the language on the user (it follows them to every device) and in a cookie
    (so the login page speaks it too)."""
    form = LanguageForm(request.POST)
    response = HttpResponseRedirect(next_param(request, default="/"))
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            request.user.language = language
            request.user.save(update_fields=["language"])
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


def axes_username(request, credentials: dict | None = None) -> str:
    """The email a login attempt is counted against (django-axes): the login form posts it as
    `username`, DRF basic auth as `email`; case does not make a different person."""
    source = credentials or getattr(request, "data", None) or request.POST
    return (source.get("username") or source.get("email") or "").strip().lower()


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password from the emailed link also lifts a login lockout for that
    email (the lockout message offers the reset as the way out)."""

    def form_valid(self, form):
        response = super().form_valid(form)
        axes_reset(username=form.user.email.lower())
        return response


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout response: the login page again, saying why and for how long."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    form = EmailAuthenticationForm(request, initial={"username": axes_username(request)})
    response = render(
        request,
        "registration/login.html",
        {"form": form, "locked_out_minutes": minutes, "next": request.POST.get("next", "")},
        status=429,
    )
    response["Retry-After"] = str(minutes * 60)
    return response


# --- error responses (handler400, handler403, handler404, handler500 in kam/urls.py) ---------
#
# Errors raised before or around a view: the router finding no URL, Django refusing a request
# (SuspiciousOperation: a body over DATA_UPLOAD_MAX_MEMORY_SIZE, a bad Host...), an uncaught
# exception. Under /api/ they answer JSON in the API's error shape, {"detail": "..."}, as the
# API's own errors do (DRF, api/errors.py); pages get the HTML templates.


def is_api_request(request) -> bool:
    return request.path.startswith("/api/")


def api_error(detail: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def permission_denied(request, exception):
    if not is_api_request(request):
        return defaults.permission_denied(request, exception)
    return api_error(_("You do not have permission to perform this action."), 403)


def page_not_found(request, exception):
    if not is_api_request(request):
        return defaults.page_not_found(request, exception)
    return api_error(_("Not found."), 404)


# Errors that mean "the database is unreachable or the connection broke", not a bug.
DATABASE_DOWN = (OperationalError, InterfaceError)


def server_error(request):
    """handler500. When the database is down, a friendly 503 page that asks to retry (rendered
    without the request context, so not one query runs); other errors get the plain 500 page.
    Never a stack trace: DEBUG is off in production and this page shows none."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_DOWN):
        logger.warning("Database unavailable: %s", error.__class__.__name__)
        if is_api_request(request):
            message = _("The service is temporarily unavailable. Try again in a minute.")
            response = api_error(message, 503)
        else:
            response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = "60"
        return response
    if is_api_request(request):
        return api_error(_("Something went wrong on our side"), 500)
    return HttpResponseServerError(loader.render_to_string("500.html"))


def bad_request(request, exception):
    """handler400. A parameter we refused (kam.params.InvalidParameter, and the request-level
    guard kam.middleware.UnstorableInputMiddleware) is answered with its message: JSON in the
    API's error shape under /api/, else a page in the user's language. Under /api/ every other
    400 is JSON too (a body over the upload limit is a 413); pages keep Django's plain page,
    rendered without the request, which may be what was wrong (a disallowed host, a broken
    multipart body)."""
    if isinstance(exception, InvalidParameter):
        if is_api_request(request):
            return api_error(exception.message, 400)
        return render(request, "400.html", {"message": exception.message}, status=400)
    if isinstance(exception, RequestDataTooBig) and not is_api_request(request):
        # The body was never read, so what the page sent is not in the request: a 413 that
        # says what to do (kam.js words it for a form sent by htmx).
        message = _("This is too large to save: go back and shorten the longest text "
                    "(%(size)s in all at most).") % {"size": upload_limit()}  # fmt: skip
        return render(request, "400.html", {"message": message}, status=413)
    if not is_api_request(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return api_error(
            _("The request body is too large: at most %(size)s bytes.")
            % {"size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
            413,
        )
    return api_error(_("The request could not be read."), 400)


@require_http_methods(["GET", "POST"])
@admin_required
def retention_policies_edit(request):
    """How long each kind of data is kept (LGPD); applied nightly by kam.retention."""
    policies = retention_policies()
    form = RetentionPolicyForm(request.POST or None, policies=policies)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            for policy in policies:
                retention_policy_save(
                    actor=request.user, kind=policy.kind, months=form.cleaned_data[policy.kind]
                )
        messages.success(
            request, _("Retention policy saved. It applies from the next nightly run.")
        )
        return redirect("retention_policies")
    return render(
        request,
        "kam/retention.html",
        {"form": form, "registered": set(registered_kinds())},
        status=422 if form.errors else 200,
    )


@require_GET
def people_search(request, scope: str):
    """The people picker's search (kam/people.py): the people of `scope` for this user whose
    name or e-mail matches `q`, first by name, as JSON {"results": [{"value", "text"}], "more"}.
    A scope that is not the user's to use is refused (403), an unknown one is not found."""
    text = request.GET.get("q", "")[:100]
    found, more = people_matching(people_to_search(scope, request.user), text)
    return JsonResponse(
        {"results": [{"value": pk, "text": name} for pk, name in found], "more": more}
    )
