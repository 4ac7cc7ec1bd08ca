import re
import zoneinfo

from django.utils import timezone, translation
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
