import re
import zoneinfo

from django.contrib import messages
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from kam.params import InvalidParameter
from kam.views import bad_request


class UserPreferencesMiddleware:
    """Signed-in users see the app in their saved language and time zone, on every device."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        response = self.get_response(request)
        timezone.deactivate()
        return response


# What PostgreSQL cannot store in a text column (NUL) or encode as UTF-8 (lone surrogates, which
# a decoder with surrogateescape or a JSON "\ud800" produces).
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def unstorable_input(request) -> bool:
    """True when the path, the query string or a posted form field (name or value) holds a
    character the database cannot store. (Uploaded file names need no check: Django's
    multipart parser drops their unprintable characters. JSON bodies are the API
    serializers': their text fields refuse both.)"""
    texts = [request.path]
    texts += [text for key, values in request.GET.lists() for text in (key, *values)]
    if request.method == "POST" and request.content_type in FORM_TYPES:
        texts += [text for key, values in request.POST.lists() for text in (key, *values)]
    return any(UNSTORABLE.search(text) for text in texts)


class UnstorableInputMiddleware:
    """Refuses, before any view or permission check runs, a request whose path, query string
    or form fields hold a NUL byte or a lone surrogate: 400 with a message (kam.views.
    bad_request: a page in the user's language, JSON under /api/), instead of the database
    error each view would otherwise meet wherever the value reaches a query.

    Placed right after the middlewares that pick the language (LocaleMiddleware,
    UserPreferencesMiddleware), which read only cookies, headers and the session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if unstorable_input(request):
            return bad_request(
                request,
                InvalidParameter(
                    _("The request holds characters that cannot be stored (such as a NUL "
                      "byte). Remove them and try again.")
                ),
            )  # fmt: skip
        return self.get_response(request)


class HtmxMessagesMiddleware:
    """Every save confirms what happened in one place: the messages region of base.html. A
    full page draws the queued messages itself; an htmx answer swaps only a fragment, so the
    messages a view queued (django.contrib.messages, exactly as for a redirect) are appended to
    it as an out-of-band swap of that region. Answers that make the browser load a page
    (HX-Redirect, HX-Location, HX-Refresh, a 3xx, no content) leave them for that page.

    After MessageMiddleware in MIDDLEWARE, so it runs first on the way out and the messages it
    drew are marked used before the storage is saved."""

    NAVIGATES = ("HX-Redirect", "HX-Location", "HX-Refresh")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or not self._fragment(response):
            return response
        storage = messages.get_messages(request)
        if storage.used or not len(storage):
            return response  # none queued, or the page drew them already
        response.content += render_to_string(
            "partials/messages.html", {"messages": storage, "oob": True}, request=request
        ).encode(response.charset)
        return response

    def _fragment(self, response) -> bool:
        return (
            (200 <= response.status_code < 300 and response.status_code != 204)
            or response.status_code == 422
        ) and (
            not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
            and not any(header in response for header in self.NAVIGATES)
        )


class HtmxVaryMiddleware:
    """A page and its htmx fragment share a URL: a filter's answer is the figures only, and
    the filter puts its URL in the address bar. `Vary: HX-Request` keeps the browser's cache
    from answering the back button with the fragment (a dashboard left by a link and come back
    to showed its figures without the navigation and the filters)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request",))
        return response
