"""Who may open and change plan and whitespace pages (STYLE.md: access control, every persona).

Every route of plans/urls.py is listed in ROUTES (or ADMIN_ROUTES); a guard test fails when a
new one is added without being listed here."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import URLPattern, reverse

from plans import services
from plans import urls as plan_urls
from plans.models import AccountPlan, BusinessUnit, Objective, WhitespaceCell
from tests.plans.factories import ProductFactory

SEES_THE_ACCOUNT = ["kam_user", "team_member", "leader", "admin_user"]

ROUTES = [
    ("account_plan", "get"),
    ("plan_create", "get"),
    ("plan_create", "post"),
    ("plan_detail", "get"),
    ("plan_edit", "get"),
    ("plan_edit", "post"),
    ("plan_history", "get"),
    ("plan_activate", "post"),
    ("plan_archive", "post"),
    ("plan_review", "post"),
    ("plan_next_period", "post"),
    ("plan_item_create", "get"),
    ("plan_item_create", "post"),
    ("plan_item_edit", "get"),
    ("plan_item_edit", "post"),
    ("plan_item_delete", "post"),
    ("account_whitespace", "get"),
    ("business_unit_create", "post"),
    ("whitespace_cell_set", "post"),
    ("opportunity_board", "get"),
    ("opportunity_move", "post"),
]
ADMIN_ROUTES = ["product_list"]


class Scene:
    def __init__(self, account, plan, draft, objective, unit, product, opportunity):
        self.account = account
        self.plan = plan
        self.draft = draft
        self.objective = objective
        self.unit = unit
        self.product = product
        self.opportunity = opportunity


@pytest.fixture
def scene(account, kam_user, plan, objective, now):
    draft = services.plan_create(
        account=account,
        actor=kam_user,
        title="Acme 2026 alternative draft",
        period_start=date(2026, 2, 1),
        period_end=date(2026, 12, 31),
    )
    unit = services.business_unit_create(account=account, actor=kam_user, name="Mining")
    opportunity = services.opportunity_create(
        plan=plan, actor=kam_user, title="Line 3 sensors", amount=Decimal(1000),
        stage="qualified", owner=kam_user,
    )  # fmt: skip
    return Scene(
        account, plan, draft, objective, unit, ProductFactory(name="Telemetry"), opportunity
    )


def _url(name: str, scene) -> str:
    account = scene.account.pk
    if name in {"account_plan", "plan_create", "account_whitespace", "business_unit_create",
                "whitespace_cell_set", "opportunity_board"}:  # fmt: skip
        return reverse(name, args=[account])
    if name == "plan_activate":
        return reverse(name, args=[account, scene.draft.pk])
    if name == "plan_item_create":
        return reverse(name, args=[account, scene.plan.pk, "objectives"])
    if name == "opportunity_move":
        return reverse(name, args=[account, scene.opportunity.pk])
    if name in {"plan_item_edit", "plan_item_delete"}:
        return reverse(name, args=[account, scene.plan.pk, "objectives", scene.objective.pk])
    return reverse(name, args=[account, scene.plan.pk])


def _prepare(name: str, scene) -> None:
    """State the route needs to succeed, made before anyone's request (and snapshot)."""
    if name == "plan_activate":
        services.plan_archive(plan=scene.plan, actor=scene.account.owner)


def _payload(name: str, scene) -> dict:
    """A POST body that succeeds for anyone allowed to make it."""
    plan = scene.plan
    return {
        "plan_create": {
            "title": "Acme 2028",
            "period_start": "2028-01-01",
            "period_end": "2028-12-31",
        },
        "plan_edit": {
            "title": "Acme 2026 renamed",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "version": plan.version,
        },
        "plan_activate": {},
        "plan_archive": {},
        "plan_review": {},
        "plan_next_period": {},
        "plan_item_create": {
            "objectives-description": "Grow exports",
            "objectives-metric": "Export share",
            "objectives-baseline": "10",
            "objectives-target": "25",
            "objectives-status": "on_track",
        },
        "plan_item_edit": {
            "objectives-description": "Cut downtime further",
            "objectives-metric": "Downtime",
            "objectives-baseline": "40",
            "objectives-target": "15",
            "objectives-status": "at_risk",
            "objectives-version": scene.objective.version,
        },
        "plan_item_delete": {},
        "business_unit_create": {"name": "Ports"},
        "whitespace_cell_set": {
            "business_unit": scene.unit.pk,
            "product": scene.product.pk,
            "state": "opportunity",
        },
        "opportunity_move": {"stage": "proposal", "version": scene.opportunity.version},
    }[name]


def _was_written(name: str, scene) -> bool:
    account, plan = scene.account, scene.plan
    plan.refresh_from_db()
    if name == "plan_create":
        return AccountPlan.objects.filter(account=account, title="Acme 2028").exists()
    if name == "plan_edit":
        return plan.title == "Acme 2026 renamed"
    if name == "plan_activate":
        scene.draft.refresh_from_db()
        return scene.draft.status == "active"
    if name == "plan_archive":
        return plan.status == "archived"
    if name == "plan_review":
        return plan.last_reviewed_at is not None
    if name == "plan_next_period":
        return AccountPlan.objects.filter(account=account, period_start=date(2027, 1, 1)).exists()
    if name == "plan_item_create":
        return Objective.objects.filter(plan=plan, description="Grow exports").exists()
    if name == "plan_item_edit":
        scene.objective.refresh_from_db()
        return scene.objective.target == Decimal("15")
    if name == "plan_item_delete":
        return not Objective.objects.filter(pk=scene.objective.pk).exists()
    if name == "business_unit_create":
        return BusinessUnit.objects.filter(account=account, name="Ports").exists()
    if name == "whitespace_cell_set":
        return WhitespaceCell.objects.filter(business_unit=scene.unit, state="opportunity").exists()
    if name == "opportunity_move":
        scene.opportunity.refresh_from_db()
        return scene.opportunity.stage == "proposal"
    raise AssertionError(name)


def _request(client, name, method, scene):
    url = _url(name, scene)
    if method == "get":
        return url, client.get(url)
    return url, client.post(url, _payload(name, scene))


def test_every_plan_route_is_in_the_access_table():
    names = {p.name for p in plan_urls.urlpatterns if isinstance(p, URLPattern)}
    with_account_id = {
        p.name
        for p in plan_urls.urlpatterns
        if isinstance(p, URLPattern) and "<int:pk>" in str(p.pattern)
    }
    assert with_account_id == {name for name, _method in ROUTES}
    assert names == with_account_id | set(ADMIN_ROUTES)


@pytest.mark.parametrize(("name", "method"), ROUTES)
def test_anonymous_users_are_sent_to_login_and_nothing_is_written(
    client, scene, db_rows, name, method
):
    _prepare(name, scene)
    before = db_rows()
    url, response = _request(client, name, method, scene)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"
    assert db_rows() == before


@pytest.mark.parametrize(("name", "method"), ROUTES)
def test_an_outsider_kam_gets_404_and_nothing_is_written(
    client_for, outsider, scene, db_rows, name, method
):
    _prepare(name, scene)
    before = db_rows()
    _, response = _request(client_for(outsider), name, method, scene)
    assert response.status_code == 404
    assert db_rows() == before


ALLOWED = [(persona, name, method) for name, method in ROUTES for persona in SEES_THE_ACCOUNT]


@pytest.mark.parametrize(("persona", "name", "method"), ALLOWED)
def test_owner_team_member_leader_and_admin_may_use_the_route(
    request, client_for, scene, persona, name, method
):
    user = request.getfixturevalue(persona)
    _prepare(name, scene)
    _, response = _request(client_for(user), name, method, scene)
    if method == "get":
        assert response.status_code == 200
        return
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response.url.startswith(f"/accounts/{scene.account.pk}/")
    assert _was_written(name, scene)


@pytest.mark.parametrize("kind", ["objectives", "hypotheses", "risks", "opportunities", "actions"])
def test_rows_of_a_plan_are_404_under_another_plan_and_to_an_outsider(
    client_for, kam_user, outsider, scene, kind
):
    other = services.plan_create(
        account=scene.account, actor=kam_user, title="Other",
        period_start=date(2025, 1, 1), period_end=date(2025, 12, 31),
    )  # fmt: skip
    url = reverse("plan_item_edit", args=[scene.account.pk, other.pk, kind, scene.objective.pk])
    assert client_for(kam_user).get(url).status_code == 404
    url = reverse("plan_item_create", args=[scene.account.pk, scene.plan.pk, kind])
    assert client_for(outsider).get(url).status_code == 404


def test_a_plan_is_404_under_an_account_it_does_not_belong_to(client_for, leader, scene):
    from tests.factories import AccountFactory

    elsewhere = AccountFactory()
    url = reverse("plan_detail", args=[elsewhere.pk, scene.plan.pk])
    assert client_for(leader).get(url).status_code == 404


def test_an_unknown_row_kind_is_not_a_route(client_for, kam_user, scene):
    url = f"/accounts/{scene.account.pk}/plans/{scene.plan.pk}/secrets/new/"
    assert client_for(kam_user).get(url).status_code == 404


@pytest.mark.parametrize(("persona", "status"), [("kam_user", 403), ("leader", 403),
                                                  ("admin_user", 200)])  # fmt: skip
def test_the_product_catalogue_page_is_for_admins(request, client_for, product, persona, status):
    response = client_for(request.getfixturevalue(persona)).get(reverse("product_list"))
    assert response.status_code == status
    if status == 200:
        assert "Predictive Maintenance" in response.content.decode()


def test_the_product_catalogue_sends_anonymous_users_to_login(client, db):
    response = client.get(reverse("product_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
