"""The hostile-input walk (issue 14): every URL pattern of the project, opened by a user who may
open it (anonymous for public routes), gets hostile values — NUL bytes, a 100,000-character
string, non-ASCII digits, huge and negative numbers, far and impossible dates, a cursor with an
impossible offset, a lone surrogate — in each query parameter it reads, each URL segment, and
each form field it accepts on POST. Any server error fails the test; all of them are listed
together, naming the route, the parameter and the value.

Where the parameters come from:
- the fields of the forms (and htmx elements) found on every page the walk opens, keyed by the
  route their action resolves to, and the query parameters of the links on those pages;
- for the API, the view's filters, pagination and ordering parameters;
- HAND_READ below: the parameters a view reads by hand (request.GET / request.POST), kept here
  because a page does not always show them (a cursor link appears only on a long timeline).

The routes, their URLs and who may open them are the access matrix's ROUTES
(tests/kam/test_access_matrix.py)."""

from __future__ import annotations

import html
import json
import logging
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlsplit

import django_filters
import pytest
from django.conf import settings
from django.db import transaction
from django.forms import BaseForm, BaseFormSet
from django.http import HttpResponse
from django.test import Client
from django.urls import Resolver404, include, path, resolve, reverse
from rest_framework.filters import OrderingFilter

from accounts.models import TimelineKind
from accounts.timeline import PAGE_SIZE as TIMELINE_PAGE_SIZE
from accounts.timeline import timeline_record
from tests.kam import test_access_matrix as matrix

# The access matrix's scene: one account owned by kam_user with a row of each kind.
scene = matrix.scene

# Each hostile value, percent-encoded as it travels in a query string or a form body.
VALUES: dict[str, str] = {
    "NUL byte": "a%00b",
    "100k characters": "x" * 100_000,
    "superscript two": quote("²"),
    "Arabic-Indic three": quote("٣"),
    "huge number": "99999999999999999999",
    "negative number": "-5",
    "exponent": "1e9",
    "year 1": "0001-01-01",
    "year 9999": "9999-12-31",
    "30 February": "2026-02-30",
    "offset +16:00": quote("2026-01-01T00:00:00+16:00"),
    "far moment": quote("9999-12-31T23:59:59-05:00"),
    "lone surrogate": "%ED%A0%80",
}

# What a parameter takes, which decides the values it gets one at a time (the "deep" pass, the
# other parameters left valid). Every parameter also gets every value of VALUES (the "broad"
# pass: all of a route's parameters at once, one request per value).
NUMBER, DATE, MOMENT, TEXT, CHOICE, ANY = "number", "date", "moment", "text", "choice", "any"
DEEP: dict[str, tuple[str, ...]] = {
    NUMBER: ("huge number", "superscript two", "negative number"),
    DATE: ("year 9999", "year 1"),
    MOMENT: ("offset +16:00", "far moment"),
    TEXT: ("100k characters",),
    CHOICE: ("huge number",),
    ANY: ("huge number", "year 9999", "superscript two"),
}
# What a URL segment's converter accepts decides its values: an int segment refuses anything
# but ASCII digits at the resolver (one such value shows it), other segments take any text.
INT_SEGMENT_VALUES = ("huge number", "negative number", "superscript two", "NUL byte")

# Parameters the views read by hand (grep request.GET / request.POST / query_params), by route:
# what each takes and a valid value (the deep pass sends it while another parameter is
# hostile). For a POST route they are form fields. The pages' forms and links add the rest.
HAND_READ: dict[str, dict[str, tuple[str, str]]] = {
    "login": {"next": (ANY, "/")},
    "set_language": {"next": (ANY, "/"), "language": (CHOICE, "en")},
    "log_pick_account": {"q": (TEXT, "Acme")},
    "account_commitments": {"status": (CHOICE, "open")},
    "commitment_complete": {"show_account": (ANY, "1"), "next": (ANY, "/")},
    "commitment_reopen": {"show_account": (ANY, "1"), "next": (ANY, "/")},
    "commitment_cancel": {
        "show_account": (ANY, "1"),
        "next": (ANY, "/"),
        "reason": (TEXT, "No longer needed"),
    },
    "account_requests": {"status": (CHOICE, "")},
    "request_respond": {"show_account": (ANY, "1"), "next": (ANY, "/")},
    "request_resolve": {"show_account": (ANY, "1"), "next": (ANY, "/")},
    "request_reopen": {"show_account": (ANY, "1"), "next": (ANY, "/")},
    "account_list": {
        "export": (CHOICE, ""),
        "page": (NUMBER, "1"),
        "sort": (TEXT, "-revenue"),
        "cols": (CHOICE, "revenue"),
        "view": (NUMBER, ""),
    },
    "account_bulk": {
        "next": (ANY, "/accounts/"),
        "accounts": (NUMBER, "1"),
        "action": (CHOICE, "export"),
    },
    "saved_view_create": {"query": (TEXT, "status=live")},
    "saved_view_update": {"query": (TEXT, "status=live"), "replace": (CHOICE, "1")},
    "account_timeline": {
        "kind": (CHOICE, ""),
        "before_at": (MOMENT, "2026-03-10T12:00:00-03:00"),
        "before_id": (NUMBER, "1"),
    },
    "tier_review": {"page": (NUMBER, "1")},
    "tier_review_decide": {"next": (ANY, "/")},
    "portfolio": {
        "owner": (CHOICE, ""),
        "tier": (CHOICE, ""),
        "industry": (TEXT, ""),
        "region": (TEXT, ""),
        "refresh": (CHOICE, "1"),
    },
    "portfolio_export": {
        "owner": (CHOICE, ""),
        "tier": (CHOICE, ""),
        "industry": (TEXT, ""),
        "region": (TEXT, ""),
    },
    "audit_log": {"page": (NUMBER, "1")},
    "import_preview": {"show": (CHOICE, ""), "page": (NUMBER, "1")},
    "import_job": {"show": (CHOICE, ""), "page": (NUMBER, "1")},
    "export_table": {
        "account": (NUMBER, ""),
        "status": (CHOICE, ""),
        "kind": (CHOICE, ""),
        "plan": (NUMBER, ""),
    },
    "api_portfolio_summary": {
        "owner": (CHOICE, ""),
        "tier": (CHOICE, ""),
        "industry": (TEXT, ""),
        "region": (TEXT, ""),
    },
    "api_schema": {"lang": (CHOICE, "en"), "version": (ANY, "")},
    "api_docs": {"script": (ANY, ""), "lang": (CHOICE, "en"), "version": (ANY, "")},
}
# Routes whose URL segments choose between code paths (which rows, which form): the access
# matrix's URL is one of them; these are the others, walked with the same parameters (their
# segments once are enough).
VARIANTS: dict[str, Callable[[matrix.Scene], list[dict]]] = {
    "export_table": lambda s: [
        {"entity": entity, "fmt": "csv"}
        for entity in ("interactions", "commitments", "opportunities", "requests")
    ],
    "plan_item_create": lambda s: [
        {**matrix.plan_kw(s), "kind": kind}
        for kind in ("hypotheses", "risks", "opportunities", "actions")
    ],
    "plan_item_edit": lambda s: [
        {**matrix.plan_kw(s), "kind": "risks", "item_pk": s.risk.pk},
        {**matrix.plan_kw(s), "kind": "opportunities", "item_pk": s.opportunity.pk},
        {**matrix.plan_kw(s), "kind": "actions", "item_pk": s.action.pk},
    ],
}

# A route that reads no parameter at all still gets, in a parameter it does not expect, the
# values any parameter may carry.
STRAY = "unexpected"
STRAY_VALUES = ("NUL byte", "100k characters", "lone surrogate")

USER_FOR_KIND = {
    matrix.PUBLIC: None,
    matrix.API_PUBLIC: None,
    matrix.PAGE: "kam_user",
    matrix.OBJECT: "kam_user",
    matrix.OWN: "kam_user",
    matrix.API_PAGE: "kam_user",
    matrix.API_OBJECT: "kam_user",
    matrix.LEADER: "leader",
    matrix.ADMIN: "admin_user",
}

# Routes that end the session (walked last, signed in again before each request) and routes
# that delete the row their URL names (walked after everything that reads it).
ENDS_SESSION = {"logout"}
NOT_SENT = {"csrfmiddlewaretoken"}


# --- Reading the pages: forms, htmx elements and links ----------------------------------------

INPUT_KINDS = {
    "number": NUMBER,
    "range": NUMBER,
    "date": DATE,
    "datetime-local": MOMENT,
    "hidden": ANY,
    "checkbox": CHOICE,
    "radio": CHOICE,
}


@dataclass
class Param:
    kind: str
    sample: str  # a valid value (as the page would send it), unencoded


@dataclass
class FoundForm:
    method: str
    action: str
    fields: dict[str, Param] = field(default_factory=dict)


class PageReader(HTMLParser):
    """The forms of a page (method, action, fields with what they take and the value they
    would send) and the URLs of its links and htmx requests."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[FoundForm] = []
        self.urls: list[tuple[str, dict[str, Param]]] = []
        self._form: FoundForm | None = None
        self._select: Param | None = None
        self._textarea: Param | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag != "form":
            for attr in ("href", "hx-get", "hx-post"):
                if attrs.get(attr):
                    names = {attrs["name"]: Param(ANY, "")} if attrs.get("name") else {}
                    self.urls.append((attrs[attr], names))
        if tag == "form":
            action = attrs.get("action") or attrs.get("hx-post") or attrs.get("hx-get")
            method = "post" if attrs.get("hx-post") else (attrs.get("method") or "get").lower()
            self._form = FoundForm(method, action or self.page_url)
            self.forms.append(self._form)
            return
        name = attrs.get("name")
        if self._form is None or not name:
            return
        fields = self._form.fields
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in ("submit", "button", "reset", "image"):
                return
            param = fields.setdefault(name, Param(INPUT_KINDS.get(kind, TEXT), ""))
            if kind not in ("checkbox", "radio") or "checked" in attrs:
                param.sample = attrs.get("value", "on" if kind == "checkbox" else "")
        elif tag == "select":
            self._select = fields.setdefault(name, Param(CHOICE, ""))
            self._select.sample = None  # the first option, unless one is selected
        elif tag == "option" and self._select is not None:
            if self._select.sample is None or "selected" in attrs:
                self._select.sample = attrs.get("value", "")
        elif tag == "textarea":
            self._textarea = fields.setdefault(name, Param(TEXT, ""))
        elif tag == "button":
            fields.setdefault(name, Param(CHOICE, attrs.get("value", "")))

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.sample += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            self._select.sample = self._select.sample or ""
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _path(url: str) -> str:
    return urlsplit(url).path


def _route_of(url: str) -> str | None:
    path = _path(url)
    if not path.startswith("/"):
        return None
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def _query_params(url: str) -> dict[str, Param]:
    return {name: Param(ANY, value) for name, value in parse_qsl(urlsplit(url).query)}


@dataclass
class Found:
    """What the pages say: the query parameters of each route, and the form fields posted to
    each URL path (a route's forms differ with its URL: a plan row's form per kind)."""

    query: dict[str, dict[str, Param]] = field(default_factory=lambda: defaultdict(dict))
    posts: dict[str, dict[str, Param]] = field(default_factory=dict)
    posts_by_route: dict[str, dict[str, Param]] = field(default_factory=dict)

    def read(self, page_url: str, html: str) -> None:
        reader = PageReader(page_url)
        reader.feed(html)
        for form in reader.forms:
            route = _route_of(form.action)
            if route is None:
                continue
            fields = {k: v for k, v in form.fields.items() if k not in NOT_SENT}
            _merge(self.query[route], _query_params(form.action))
            if form.method == "post":
                _merge(self.posts.setdefault(_path(form.action), {}), fields)
                _merge(self.posts_by_route.setdefault(route, {}), fields)
            else:
                _merge(self.query[route], fields)
        for url, names in reader.urls:
            route = _route_of(url)
            if route is not None:
                _merge(self.query[route], {**_query_params(url), **names})

    def form_of(self, target: Target) -> dict[str, Param]:
        path = _path(target.url)
        return self.posts.get(path) or self.posts_by_route.get(target.name, {})


def _merge(into: dict[str, Param], found: dict[str, Param]) -> None:
    """The first sighting of a parameter gives its valid value; a typed one wins over ANY."""
    for name, param in found.items():
        known = into.get(name)
        if known is None:
            into[name] = Param(param.kind, param.sample)
        elif known.kind == ANY and param.kind != ANY:
            known.kind = param.kind


FILTER_KINDS = (
    (django_filters.NumberFilter, NUMBER),
    (django_filters.IsoDateTimeFilter, MOMENT),
    (django_filters.DateFilter, DATE),
    (django_filters.ChoiceFilter, CHOICE),
    (django_filters.BooleanFilter, CHOICE),
    (django_filters.CharFilter, TEXT),
)


def api_query_params(url: str) -> dict[str, Param]:
    """The query parameters an API view reads: its filters, pagination, ordering, format."""
    view = resolve(_path(url)).func
    cls = getattr(view, "cls", None)
    if cls is None:
        return {}
    params = {settings.REST_FRAMEWORK.get("URL_FORMAT_OVERRIDE", "format"): Param(CHOICE, "")}
    actions = getattr(view, "actions", None) or {}
    if "list" not in actions.values():
        return params
    filterset = getattr(cls, "filterset_class", None)
    for name, declared in (filterset.base_filters if filterset else {}).items():
        kind = next((k for base, k in FILTER_KINDS if isinstance(declared, base)), ANY)
        params[name] = Param(kind, "")
    paginator = cls.pagination_class
    if paginator is not None:
        if getattr(paginator, "cursor_query_param", None):
            params[paginator.cursor_query_param] = Param(ANY, "")
        if getattr(paginator, "page_size_query_param", None):
            params[paginator.page_size_query_param] = Param(NUMBER, "")
    if any(issubclass(backend, OrderingFilter) for backend in cls.filter_backends):
        params[OrderingFilter.ordering_param] = Param(CHOICE, "")
    return params


# --- The walk --------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    route: matrix.Route
    url: str
    user: object | None
    kwargs: dict
    variant: bool = False  # one of VARIANTS: its URL segments are walked on the main URL

    @property
    def is_api(self) -> bool:
        return self.route.kind.startswith("api")


@dataclass
class Walk:
    requests: int = 0
    routes: set[str] = field(default_factory=set)
    parameters: set[tuple[str, str]] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)


def _encode(params: dict[str, str]) -> str:
    """A query string or form body; values given as (already percent-encoded) VALUES entries
    are passed as they are, so that the raw bytes (a lone surrogate's) reach the server."""
    return "&".join(f"{quote(name)}={value}" for name, value in params.items())


def _valid(params: dict[str, Param]) -> dict[str, str]:
    return {name: quote(param.sample or "") for name, param in params.items()}


class Prober:
    """Sends one target's requests and records each server error, raised or answered."""

    def __init__(self, walk: Walk, client: Client, target: Target, login=None):
        self.walk, self.client, self.target, self.login = walk, client, target, login

    def send(self, where: str, label: str, method: str, url: str, body: str = ""):
        """The response, or None after a server error (recorded)."""
        self.walk.requests += 1
        if self.login is not None:
            self.login()
        try:
            # A savepoint per request: a database error in one must not poison the next.
            with transaction.atomic():
                if method == "get":
                    response = self.client.get(url)
                elif self.target.is_api:
                    response = self.client.post(url, data="{}", content_type="application/json")
                else:
                    response = self.client.post(
                        url, data=body, content_type="application/x-www-form-urlencoded"
                    )
        except Exception as error:  # every server error is a finding
            message = f"{type(error).__name__}: {error}"
            self.walk.failures.append(f"{self.target.name} {where} = {label}: {message}"[:300])
            return None
        if response.status_code >= 500:
            self.walk.failures.append(
                f"{self.target.name} {where} = {label}: answered {response.status_code}"
            )
        return response


def refused_by_field(response) -> set[str]:
    """The parameters a response says were refused by their own field: the errors of the
    forms the page was rendered with, or of an API error body ({"name": [...]})."""
    if response is None:
        return set()
    if response.get("Content-Type", "").startswith("application/json"):
        try:
            body = json.loads(response.content)
        except ValueError:
            return set()
        return set(body) if response.status_code == 400 and isinstance(body, dict) else set()
    names = set()
    for context in response.context or ():
        for value in context.flatten().values():
            forms_ = value.forms if isinstance(value, BaseFormSet) else [value]
            for form in forms_:
                if isinstance(form, BaseForm) and form.is_bound:
                    names |= {form.add_prefix(name) for name in form.errors if name != "__all__"}
    return names


def _with_segment(target: Target, kwarg: str, encoded: str) -> str:
    """The target's URL with one URL segment replaced by an encoded hostile value (whatever
    the segment's converter accepts: a value it refuses is a 404 from the resolver)."""
    route = resolve(_path(target.url)).route
    values = {**{k: quote(str(v)) for k, v in target.kwargs.items()}, kwarg: encoded}
    return "/" + CONVERTER.sub(lambda match: values[match[1]], route)


CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def _url(target: Target, query: dict[str, str]) -> str:
    if not query:
        return target.url
    return target.url + ("&" if "?" in target.url else "?") + _encode(query)


def walk_target(prober: Prober, query: dict[str, Param], form: dict[str, Param]) -> None:
    """Every value in every parameter at once (one request per value), then each parameter
    alone with its own values, the others valid; then each URL segment."""
    target, walk = prober.target, prober.walk
    walk.routes.add(target.name)
    method = target.route.method
    values = VALUES
    if not query and not form and method == "get":
        query = {STRAY: Param(TEXT, "")}
        values = {label: VALUES[label] for label in STRAY_VALUES}
    walk.parameters |= {(target.name, f"?{name}") for name in query}
    walk.parameters |= {(target.name, f"form:{name}") for name in form}
    valid_query, valid_form = _valid(query), _valid(form)
    # (parameter, value) pairs a field refused by itself in the broad pass: sent alone, with
    # the others valid, the same field refuses it the same way, and nothing goes deeper.
    refused: set[tuple[str, str]] = set()
    for label, value in values.items():
        if query:
            url = _url(target, dict.fromkeys(query, value))
            response = prober.send("every ?parameter", label, method, url, _encode(valid_form))
            refused |= {(name, label) for name in refused_by_field(response)}
        if form:
            body = _encode(dict.fromkeys(form, value))
            response = prober.send("every form field", label, "post", target.url, body)
            refused |= {(name, label) for name in refused_by_field(response)}
    for name, param in sorted(query.items()):
        for label in DEEP[param.kind] if name != STRAY else ():
            if (name, label) not in refused:
                url = _url(target, {**valid_query, name: VALUES[label]})
                prober.send(f"?{name}", label, method, url, _encode(valid_form))
    for name, param in sorted(form.items()):
        for label in DEEP[param.kind]:
            if (name, label) not in refused:
                body = _encode({**valid_form, name: VALUES[label]})
                prober.send(f"form:{name}", label, "post", target.url, body)
    for kwarg, real in sorted(target.kwargs.items()) if not target.variant else ():
        walk.parameters.add((target.name, f"<{kwarg}>"))
        labels = INT_SEGMENT_VALUES if isinstance(real, int) else tuple(VALUES)
        for label in labels:
            url = _with_segment(target, kwarg, VALUES[label])
            prober.send(f"<{kwarg}>", label, method, url, _encode(valid_form))


def _order(name: str) -> tuple:
    """Reads first, then writes; deletes and the logout last."""
    route = matrix.ROUTES[name]
    return (name in ENDS_SESSION, "delete" in name, route.method != "get", name)


def hostile_walk(scene, users: dict) -> Walk:
    targets = []
    for name in sorted(matrix.ROUTES, key=_order):
        route = matrix.ROUTES[name]
        kwargs = route.kwargs(scene)
        url = reverse(name, kwargs=kwargs) + route.query(scene)
        user = users[USER_FOR_KIND[route.kind]]
        targets.append(Target(name, route, url, user, kwargs))
        for other in VARIANTS.get(name, lambda scene: [])(scene):
            url = reverse(name, kwargs=other) + route.query(scene)
            targets.append(Target(name, route, url, user, other, variant=True))

    # Read every page as its user: the forms and links say which parameters each route takes.
    found = Found()
    clients: dict[object, Client] = {}
    for target in targets:
        if target.route.method != "get" or target.name in ENDS_SESSION:
            continue
        client = clients.get(target.user)
        if client is None:
            client = clients[target.user] = Client()
            if target.user is not None:
                client.force_login(target.user)
        response = client.get(target.url)
        if "html" in response.get("Content-Type", ""):
            found.read(target.url, response.content.decode())

    walk = Walk()
    for target in targets:
        client = Client()
        login = None
        if target.user is not None:
            client.force_login(target.user)
            if target.name in ENDS_SESSION:
                login = partial(client.force_login, target.user)
        hand_read = {
            name: Param(kind, sample)
            for name, (kind, sample) in HAND_READ.get(target.name, {}).items()
        }
        query = dict(found.query.get(target.name, {}))
        form = dict(found.form_of(target))
        _merge(form if target.route.method == "post" else query, hand_read)
        if target.is_api:
            _merge(query, api_query_params(target.url))
        walk_target(Prober(walk, client, target, login), query, form)
    return walk


@pytest.fixture
def users(kam_user, leader, admin_user):
    return {None: None, "kam_user": kam_user, "leader": leader, "admin_user": admin_user}


@pytest.fixture
def quiet_logs():
    """Every refused request logs a warning; thousands of them say nothing here."""
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


def test_hand_read_and_variants_name_routes_that_exist():
    assert sorted((set(HAND_READ) | set(VARIANTS)) - set(matrix.ROUTES)) == []


def test_no_route_answers_a_server_error_to_hostile_input(scene, users, now, quiet_logs):
    started = time.monotonic()
    walk = hostile_walk(scene, users)
    elapsed = time.monotonic() - started
    print(
        f"hostile walk: {len(walk.routes)} routes, {len(walk.parameters)} parameters, "
        f"{walk.requests} requests in {elapsed:.1f} s"
    )
    # The walk covers every route, and finds the parameters (a walk that found none would pass
    # without testing anything).
    assert walk.routes == set(matrix.ROUTES)
    assert len(walk.parameters) >= 450, len(walk.parameters)
    assert not walk.failures, f"{len(walk.failures)} server errors:\n" + "\n".join(walk.failures)


# --- The walk fails on a server error -------------------------------------------------------


def broken_view(request, token):
    """The class of bug the walk is for: int() on what a caller sent."""
    return HttpResponse(str(int(request.GET.get("n") or 0)))


urlpatterns = [
    path("broken/<str:token>/", broken_view, name="broken"),
    path("", include("kam.urls")),  # what the error pages link to
]


@pytest.mark.urls(__name__)
def test_the_walk_reports_each_server_error_with_route_parameter_and_value(client, kam_user):
    client.force_login(kam_user)
    route = matrix.Route(matrix.PAGE, lambda scene: {"token": "t"})
    target = Target("broken", route, "/broken/t/", kam_user, {"token": "t"})
    walk = Walk()
    walk_target(Prober(walk, client, target), {"n": Param(NUMBER, "1")}, {})
    assert walk.routes == {"broken"}
    assert walk.parameters == {("broken", "?n"), ("broken", "<token>")}
    found = {failure.split(": ", 1)[0] for failure in walk.failures}
    not_numbers = ["100k characters", "superscript two", "exponent", "year 1", "year 9999",
                   "30 February", "offset +16:00", "far moment", "lone surrogate"]  # fmt: skip
    assert found == {
        *(f"broken every ?parameter = {label}" for label in not_numbers),
        "broken ?n = superscript two",
    }
    assert all("ValueError: invalid literal for int()" in failure for failure in walk.failures)


# --- The examples of issue 14: a 4xx with a message, in the caller's language and format ------


def test_a_nul_byte_in_a_query_string_is_a_400_page_in_the_users_language(client, kam_user):
    kam_user.language = "pt-br"
    kam_user.save(update_fields=["language"])
    client.force_login(kam_user)
    response = client.get("/log/?q=%00")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "não podem ser armazenados" in response.content.decode()


def test_a_nul_byte_in_a_url_segment_is_a_400_for_anonymous_callers_too(client):
    response = client.get("/calendar/%00.ics")
    assert response.status_code == 400
    assert "cannot be stored" in response.content.decode()


def test_the_api_refuses_a_nul_byte_in_json(client, kam_user):
    client.force_login(kam_user)
    response = client.get("/api/v1/accounts/?q=a%00b")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request holds characters that cannot be stored (such as a NUL byte). "
        "Remove them and try again."
    }


def test_a_nul_byte_in_a_posted_form_is_refused_and_writes_nothing(client, kam_user, account,
                                                                  db_rows):  # fmt: skip
    client.force_login(kam_user)
    before = db_rows()
    response = client.post(
        reverse("stakeholder_create", args=[account.pk]),
        {"name": "Nadia\x00Nova", "buying_role": "champion", "influence": 3, "stance": "neutral"},
    )
    assert response.status_code == 400
    assert db_rows() == before


def test_a_cursor_with_an_offset_postgresql_refuses_is_read_in_utc(client, kam_user, account):
    client.force_login(kam_user)
    url = reverse("account_timeline", args=[account.pk])
    response = client.get(f"{url}?before_at=2026-01-01T00:00:00%2B16:00&before_id=1")
    assert response.status_code == 200


def test_a_malformed_cursor_is_a_400_naming_it(client, kam_user, account):
    client.force_login(kam_user)
    url = reverse("account_timeline", args=[account.pk])
    response = client.get(f"{url}?before_at=2026-02-30T00:00:00Z&before_id=1")
    assert response.status_code == 400
    assert "“before_at” must be a date and time" in response.content.decode()


def test_an_older_entries_link_reads_back(client, kam_user, account, now):
    """The cursor the timeline writes is one the parser takes (the first page's last entry)."""
    client.force_login(kam_user)
    url = reverse("account_timeline", args=[account.pk])
    for day in range(TIMELINE_PAGE_SIZE + 1):
        timeline_record(
            account=account, kind=TimelineKind.MILESTONE, occurred_at=now - timedelta(days=day)
        )
    link = re.search(r'hx-get="([^"]*before_at=[^"]*)"', client.get(url).content.decode())
    assert link is not None
    older = client.get(html.unescape(link[1]), headers={"HX-Request": "true"})
    assert older.status_code == 200


def test_a_non_ascii_digit_in_an_export_filter_is_a_400_naming_it(client, kam_user):
    client.force_login(kam_user)
    url = reverse("export_table", kwargs={"entity": "opportunities", "fmt": "csv"})
    response = client.get(f"{url}?plan=%C2%B2")
    assert response.status_code == 400
    assert "“plan” must be a whole number" in response.content.decode()


def test_a_moment_past_the_calendar_is_refused_on_its_field(client, kam_user, account, db_rows):
    client.force_login(kam_user)
    before = db_rows()
    response = client.post(
        reverse("interaction_create", args=[account.pk]),
        {"log-kind": "call", "log-occurred_at": "9999-12-31T23:59:59-05:00",
         "log-summary": "Called", "next_steps-TOTAL_FORMS": "0",
         "next_steps-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "Enter a date between 1990-01-01 and 2100-12-31." in response.content.decode()
    assert db_rows() == before


def test_a_huge_next_steps_count_builds_ten_rows_at_most(client, kam_user, account):
    client.force_login(kam_user)
    response = client.post(
        reverse("interaction_create", args=[account.pk]),
        {"log-kind": "call", "next_steps-TOTAL_FORMS": "99999999999999999999",
         "next_steps-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert response.status_code == 422
    assert len(response.context["next_steps"].forms) == 10


@pytest.mark.parametrize("posted", ["²", "tier_review", "https://evil.example/"])
def test_a_next_that_is_not_a_local_path_goes_to_the_default_page(client, kam_user, posted,
                                                                 scene):  # fmt: skip
    client.force_login(kam_user)
    url = reverse("commitment_complete", args=[scene.commitment.pk])
    response = client.post(url, {"next": posted})
    assert response.status_code == 302
    assert response["Location"] == scene.account.get_absolute_url()


def test_other_bad_requests_keep_the_plain_page(client):
    """A disallowed host is a 400 too; its page is rendered without the request it refuses."""
    response = client.get("/login/", headers={"host": "evil.example"})
    assert response.status_code == 400
    assert "We could not read that request" in response.content.decode()
