"""The outsider persona gets 404 on every object endpoint, whatever the method. The routes are
read from the router, so an endpoint added later is covered (or this test asks for an object
to try it on)."""

import pytest
from django.apps import apps

from api.urls import router

# An object of the book for each resource, by the router's basename.
OBJECTS = {
    "account": lambda book: book.account,
    "stakeholder": lambda book: book.champion,
    "interaction": lambda book: book.interaction,
    "commitment": lambda book: book.commitment,  # agreed items (plan actions: test_agreed_items)
    "qbr": lambda book: book.qbr,
    "request": lambda book: book.client_request,
    "plan": lambda book: book.plan,
    "objective": lambda book: book.objective,
    "opportunity": lambda book: book.opportunity,
    "risk": lambda book: book.risk,
    "healthscore": lambda book: book.account.health_scores.first(),
    "tierchange": lambda book: book.account.tier_changes.first(),
}


def detail_routes() -> list[tuple[str, str, str]]:
    """(basename, method, URL with {pk}) for every detail route the router serves."""
    routes = []
    for prefix, viewset, basename in router.registry:
        for route in router.get_routes(viewset):
            if "{lookup}" not in route.url:
                continue
            url = route.url.replace("^", "").replace("$", "").replace("{prefix}", prefix)
            url = url.replace("{lookup}", "{pk}").replace("{trailing_slash}", "/")
            for method, action in route.mapping.items():
                if hasattr(viewset, action):
                    routes.append((basename, method, f"/api/v1/{url}"))
    return routes


# Configuration, not a row of an account: every signed-in user reads playbooks and only admins
# change them (tests/api/test_playbooks.py; their firings list only the accounts one sees).
NOT_ACCOUNT_SCOPED = {"playbook"}
ROUTES = [route for route in detail_routes() if route[0] not in NOT_ACCOUNT_SCOPED]


def test_every_resource_has_an_object_to_try():
    assert {basename for _prefix, _viewset, basename in router.registry} == set(OBJECTS) | (
        NOT_ACCOUNT_SCOPED
    )
    # Sanity: reads, updates, deletes and actions are all in the walk.
    methods = {method for _b, method, _u in ROUTES}
    assert methods == {"get", "patch", "delete", "post"}
    assert len(ROUTES) > len(OBJECTS)


def snapshot() -> dict:
    rows = {}
    for app in ("accounts", "activities", "plans"):
        for model in apps.get_app_config(app).get_models(include_auto_created=True):
            rows[model._meta.label] = list(model.objects.order_by("pk").values())
    return rows


@pytest.mark.parametrize(("basename", "method", "url"), ROUTES)
def test_outsider_gets_404_and_changes_nothing(api_as, outsider, book, basename, method, url):
    target = OBJECTS[basename](book)
    assert target is not None
    before = snapshot()
    body = {
        "version": 1,
        "name": "Mine now",
        "title": "Mine now",
        "held_at": "2026-03-09T10:00Z",
        "reason": "Mine now",
    }
    response = getattr(api_as(outsider), method)(url.format(pk=target.pk), body, format="json")
    assert response.status_code == 404, (method, url, response.content)
    assert snapshot() == before


@pytest.mark.parametrize(("basename", "method", "url"), ROUTES)
def test_anonymous_gets_401(api, book, basename, method, url):
    target = OBJECTS[basename](book)
    response = getattr(api, method)(url.format(pk=target.pk), {}, format="json")
    assert response.status_code == 401


@pytest.mark.parametrize(("basename", "method", "url"), [r for r in ROUTES if r[1] == "get"])
def test_the_team_member_reads_every_object(api_as, team_member, book, basename, method, url):
    target = OBJECTS[basename](book)
    assert api_as(team_member).get(url.format(pk=target.pk)).status_code == 200
