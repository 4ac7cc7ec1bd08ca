"""The access matrix: every URL pattern of the project (walked from the root resolver, the API
router included) must have an entry in ROUTES saying how to build its URL and who may open it.
A route added without an entry fails `test_every_route_has_an_entry`, naming the route.

For each entry the matrix checks, with real requests:
- anonymous: web pages send to /login/, API endpoints answer 401/403, public routes open;
- outsider KAM (no link to the account): object-scoped routes answer 403/404, role pages 403,
  plain pages open (showing only what is theirs: the selectors decide that);
- the owner KAM (or the role the page is for): the same URL does not answer 403/404, so a 404
  for the outsider means "not yours" and not "wrong URL".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import ExchangeRate, HealthScore, Tier, TierChange
from accounts.services import scoring_defaults_ensure
from activities import services as activity_services
from api.services import api_token_create
from dataio.services import import_job_create
from kam.models import Role
from plans import services as plan_services
from tests.factories import CommitmentFactory, InteractionFactory, StakeholderFactory, UserFactory
from tests.plans.factories import ActionFactory, OpportunityFactory, RiskFactory

PUBLIC = "public"  # no sign-in needed (login, password reset, health, token feed)
PAGE = "page"  # any signed-in user; shows only what the selectors give them
OBJECT = "object"  # scoped to one account (or a row of one): outsiders get 403/404
LEADER = "leader"  # leaders and admins only
ADMIN = "admin"  # admins only
API_PAGE = "api_page"  # API, any authenticated user
API_OBJECT = "api_object"  # API, scoped to one account
API_PUBLIC = "api_public"  # API schema and docs
OWN = "own"  # acts on the signed-in user's own rows only; another's id changes nothing


@dataclass(frozen=True)
class Route:
    kind: str
    kwargs: Callable[[Scene], dict] = field(default=lambda scene: {})
    method: str = "get"
    query: Callable[[Scene], str] = field(default=lambda scene: "")


def account_kw(scene):
    return {"pk": scene.account.pk}


def plan_kw(scene):
    return {"pk": scene.account.pk, "plan_pk": scene.plan.pk}


def item_kw(scene):
    return {**plan_kw(scene), "kind": "objectives", "item_pk": scene.objective.pk}


ROUTES: dict[str, Route] = {
    # kam/urls.py
    "login": Route(PUBLIC),
    "logout": Route(PAGE, method="post"),
    "profile": Route(PAGE),
    # Scoped to the signed-in user's own tokens: someone else's token id changes nothing
    # (checked below: the owner's token stays live).
    "api_token_revoke": Route(OWN, lambda s: {"pk": s.token.pk}, "post"),
    "password_reset": Route(PUBLIC),
    "password_reset_done": Route(PUBLIC),
    "password_reset_confirm": Route(PUBLIC, lambda s: {"uidb64": "MQ", "token": "x-y"}),
    "password_reset_complete": Route(PUBLIC),
    "healthz": Route(PUBLIC),
    "set_language": Route(PUBLIC, method="post"),
    # activities/urls.py
    "my_work": Route(PAGE),
    "log_pick_account": Route(PAGE),
    "interaction_create": Route(OBJECT, account_kw),
    "account_commitments": Route(OBJECT, account_kw),
    "commitment_complete": Route(OBJECT, lambda s: {"pk": s.commitment.pk}, "post"),
    "commitment_reopen": Route(OBJECT, lambda s: {"pk": s.commitment.pk}, "post"),
    "commitment_cancel": Route(OBJECT, lambda s: {"pk": s.commitment.pk}, "post"),
    "notification_list": Route(PAGE),
    "notifications_mark_read": Route(PAGE, method="post"),
    "notification_settings": Route(PAGE),
    "account_qbrs": Route(OBJECT, account_kw),
    "qbr_detail": Route(OBJECT, lambda s: {"pk": s.qbr.pk}),
    "qbr_cancel": Route(OBJECT, lambda s: {"pk": s.qbr.pk}, "post"),
    "qbr_prep": Route(OBJECT, lambda s: {"pk": s.qbr.pk}),
    "qbr_prep_pdf": Route(OBJECT, lambda s: {"pk": s.qbr.pk}),
    "calendar_settings": Route(PAGE),
    "calendar_token_regenerate": Route(PAGE, method="post"),
    "calendar_token_revoke": Route(PAGE, method="post"),
    # The secret token in the URL is the credential (calendar apps cannot sign in).
    "calendar_feed": Route(PUBLIC, lambda s: {"token": "not-a-token"}),
    # accounts/urls.py
    "account_list": Route(PAGE),
    "account_create": Route(PAGE),
    "account_detail": Route(OBJECT, account_kw),
    "account_edit": Route(OBJECT, account_kw),
    "account_stakeholders": Route(OBJECT, account_kw),
    "stakeholder_map": Route(OBJECT, account_kw),
    "stakeholder_create": Route(OBJECT, account_kw),
    "stakeholder_edit": Route(
        OBJECT, lambda s: {"pk": s.account.pk, "stakeholder_pk": s.stakeholder.pk}
    ),
    "account_timeline": Route(OBJECT, account_kw),
    "rating_set": Route(OBJECT, account_kw, "post"),
    "milestone_create": Route(OBJECT, account_kw, "post"),
    "health_recompute": Route(OBJECT, account_kw, "post"),
    "satisfaction_create": Route(OBJECT, account_kw, "post"),
    "tier_review": Route(LEADER),
    "tier_review_decide": Route(LEADER, account_kw, "post"),
    "portfolio": Route(PAGE),
    "portfolio_export": Route(PAGE, lambda s: {"table": "at-risk", "fmt": "csv"}),
    "configuration": Route(ADMIN),
    "exchange_rates": Route(ADMIN),
    "exchange_rate_delete": Route(ADMIN, lambda s: {"rate_pk": s.exchange_rate.pk}, "post"),
    # kam/urls.py: the audit trail
    "audit_log": Route(ADMIN),
    # dataio/urls.py: imports are for leaders (each sees their own jobs; admins all)
    "import_start": Route(LEADER),
    "import_mapping": Route(LEADER, lambda s: {"pk": s.import_job.pk}),
    "import_preview": Route(LEADER, lambda s: {"pk": s.import_job.pk}),
    "import_job": Route(LEADER, lambda s: {"pk": s.import_job.pk}),
    "import_rejects": Route(LEADER, lambda s: {"pk": s.import_job.pk, "fmt": "csv"}),
    # Every list export; with ?account= it is scoped to that account.
    "export_table": Route(
        OBJECT,
        lambda s: {"entity": "stakeholders", "fmt": "csv"},
        query=lambda s: f"?account={s.account.pk}",
    ),
    # plans/urls.py
    "account_plan": Route(OBJECT, account_kw),
    "plan_create": Route(OBJECT, account_kw),
    "plan_detail": Route(OBJECT, plan_kw),
    "plan_edit": Route(OBJECT, plan_kw),
    "plan_history": Route(OBJECT, plan_kw),
    "plan_activate": Route(OBJECT, plan_kw, "post"),
    "plan_archive": Route(OBJECT, plan_kw, "post"),
    "plan_review": Route(OBJECT, plan_kw, "post"),
    "plan_next_period": Route(OBJECT, plan_kw, "post"),
    "plan_item_create": Route(OBJECT, lambda s: {**plan_kw(s), "kind": "objectives"}),
    "plan_item_edit": Route(OBJECT, item_kw),
    "plan_item_delete": Route(OBJECT, item_kw, "post"),
    "account_whitespace": Route(OBJECT, account_kw),
    "business_unit_create": Route(OBJECT, account_kw, "post"),
    "whitespace_cell_set": Route(OBJECT, account_kw, "post"),
    "product_list": Route(ADMIN),
    # api/urls.py: schema and docs are open (they describe, they hold no data)
    "api_schema": Route(API_PUBLIC),
    "api_docs": Route(API_PUBLIC),
    "api-root": Route(API_PAGE),
    "api_portfolio_summary": Route(API_PAGE),
    "account-list": Route(API_PAGE),
    "account-detail": Route(API_OBJECT, lambda s: {"pk": s.account.pk}),
    "stakeholder-list": Route(API_PAGE),
    "stakeholder-detail": Route(API_OBJECT, lambda s: {"pk": s.stakeholder.pk}),
    "interaction-list": Route(API_PAGE),
    "interaction-detail": Route(API_OBJECT, lambda s: {"pk": s.interaction.pk}),
    "commitment-list": Route(API_PAGE),
    "commitment-detail": Route(API_OBJECT, lambda s: {"pk": s.commitment.pk}),
    "commitment-complete": Route(API_OBJECT, lambda s: {"pk": s.commitment.pk}, "post"),
    "commitment-reopen": Route(API_OBJECT, lambda s: {"pk": s.commitment.pk}, "post"),
    "commitment-cancel": Route(API_OBJECT, lambda s: {"pk": s.commitment.pk}, "post"),
    "qbr-list": Route(API_PAGE),
    "qbr-detail": Route(API_OBJECT, lambda s: {"pk": s.qbr.pk}),
    "qbr-cancel": Route(API_OBJECT, lambda s: {"pk": s.qbr.pk}, "post"),
    "qbr-hold": Route(API_OBJECT, lambda s: {"pk": s.qbr.pk}, "post"),
    "plan-list": Route(API_PAGE),
    "plan-detail": Route(API_OBJECT, lambda s: {"pk": s.plan.pk}),
    "plan-activate": Route(API_OBJECT, lambda s: {"pk": s.plan.pk}, "post"),
    "plan-archive": Route(API_OBJECT, lambda s: {"pk": s.plan.pk}, "post"),
    "plan-review": Route(API_OBJECT, lambda s: {"pk": s.plan.pk}, "post"),
    "objective-list": Route(API_PAGE),
    "objective-detail": Route(API_OBJECT, lambda s: {"pk": s.objective.pk}),
    "opportunity-list": Route(API_PAGE),
    "opportunity-detail": Route(API_OBJECT, lambda s: {"pk": s.opportunity.pk}),
    "risk-list": Route(API_PAGE),
    "risk-detail": Route(API_OBJECT, lambda s: {"pk": s.risk.pk}),
    "action-list": Route(API_PAGE),
    "action-detail": Route(API_OBJECT, lambda s: {"pk": s.action.pk}),
    "healthscore-list": Route(API_PAGE),
    "healthscore-detail": Route(API_OBJECT, lambda s: {"pk": s.health_score.pk}),
    "tierchange-list": Route(API_PAGE),
    "tierchange-detail": Route(API_OBJECT, lambda s: {"pk": s.tier_change.pk}),
}

# Whole namespaces with their own sign-in: the Django admin lets in admins only (the role makes
# is_staff), and sends everyone else to its own login page.
NAMESPACES = {"admin"}


def resolver_routes() -> list[str]:
    """Every URL pattern's name (namespaced), recursively; unnamed ones by their pattern."""
    found = []

    def walk(patterns, namespace: str, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace
                if inner:
                    inner = f"{namespace}:{inner}" if namespace else inner
                walk(pattern.url_patterns, inner or namespace, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                name = pattern.name or f"<unnamed {prefix}{pattern.pattern}>"
                found.append(f"{namespace}:{name}" if namespace else name)

    walk(get_resolver().url_patterns, "", "")
    return found


def _covered(name: str) -> bool:
    return name in ROUTES or name.split(":", 1)[0] in NAMESPACES


def test_every_route_has_an_entry():
    missing = sorted({name for name in resolver_routes() if not _covered(name)})
    assert not missing, (
        "Routes with no entry in tests/kam/test_access_matrix.py ROUTES (say who may open "
        f"them): {', '.join(missing)}"
    )


def test_every_entry_is_a_route():
    names = set(resolver_routes())
    assert sorted(set(ROUTES) - names) == []


# --- The scene: one account owned by kam_user, with a row of each kind -------------------------


@dataclass
class Scene:
    account: object
    stakeholder: object
    plan: object
    objective: object
    commitment: object
    qbr: object
    interaction: object
    risk: object
    opportunity: object
    action: object
    health_score: object
    tier_change: object
    token: object
    import_job: object
    exchange_rate: object


@pytest.fixture
def scene(account, kam_user, leader, now):
    stakeholder = StakeholderFactory(account=account, name="Carla Chefe")
    plan = plan_services.plan_create(
        account=account,
        actor=kam_user,
        status="active",
        title="Acme 2026",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    objective = plan_services.objective_create(
        plan=plan,
        actor=kam_user,
        description="Cut downtime",
        metric="Downtime",
        baseline=40,
        target=20,
        current_value=30,
        unit="h",
        status="on_track",
    )
    qbr = activity_services.qbr_schedule(
        account=account,
        actor=kam_user,
        scheduled_on=timezone.localdate() + timedelta(days=7),
        stakeholders=[stakeholder],
        agenda="Review the year",
    )
    commitment = CommitmentFactory(account=account, due_date=timezone.localdate())
    config = scoring_defaults_ensure()
    tier = Tier.objects.order_by("rank").first()
    return Scene(
        account,
        stakeholder,
        plan,
        objective,
        commitment,
        qbr,
        interaction=InteractionFactory(account=account),
        risk=RiskFactory(plan=plan),
        opportunity=OpportunityFactory(plan=plan),
        action=ActionFactory(plan=plan),
        health_score=HealthScore.objects.create(
            account=account, day=timezone.localdate(), score=70, band="healthy",
            components=[], config=config,
        ),
        tier_change=TierChange.objects.create(
            account=account, to_tier=tier, source=TierChange.Source.INITIAL, config=config
        ),
        token=api_token_create(user=kam_user, name="CRM sync")[0],
        import_job=import_job_create(
            actor=leader, entity="accounts", filename="a.csv", content=b"name\nAcme\n"
        ),
        exchange_rate=ExchangeRate.objects.create(
            currency="USD", rate=Decimal("5.1"), valid_from=date(2026, 1, 1)
        ),
    )  # fmt: skip


DENIED = {OBJECT, API_OBJECT, LEADER, ADMIN}
DATA_APPS = ("kam", "accounts", "activities", "plans", "api", "dataio")


def _rows() -> dict[str, list[dict]]:
    """Every row of the apps' tables (the scene is small): a refused request changes none."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for app in DATA_APPS
        for model in apps.get_app_config(app).get_models(include_auto_created=True)
        # Signing in stamps last_login; that is the login, not the request under test.
        if model._meta.label != "kam.User"
    }


def _request(client, route: Route, url: str):
    if route.method == "get":
        return client.get(url)
    if route.kind.startswith("api"):
        return client.post(url, data={}, content_type="application/json")
    return client.post(url)


def _is_login_redirect(response) -> bool:
    """Sent to sign in first (logging out also ends on /login/, but with no `next`)."""
    return response.status_code == 302 and response["Location"].startswith(
        reverse("login") + "?next="
    )


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_access_matrix(name, scene, client, outsider, kam_user, team_member, leader, admin_user):
    route = ROUTES[name]
    url = reverse(name, kwargs=route.kwargs(scene)) + route.query(scene)

    anonymous = _request(client, route, url)
    if route.kind == PUBLIC:
        assert not _is_login_redirect(anonymous), f"{name} is public but sends to login"
        assert anonymous.status_code < 500, name
        return
    if route.kind.startswith("api"):
        if route.kind == API_PUBLIC:
            assert anonymous.status_code == 200, name
            return
        assert anonymous.status_code in (401, 403), f"{name}: anonymous got {anonymous}"
    else:
        assert _is_login_redirect(anonymous), f"{name}: anonymous got {anonymous}"

    client.force_login(outsider)
    before = _rows() if route.kind in DENIED else None
    denied = _request(client, route, url)
    if route.kind in (OBJECT, API_OBJECT):
        assert denied.status_code in (403, 404), f"{name}: outsider got {denied}"
    elif route.kind in (LEADER, ADMIN):
        assert denied.status_code == 403, f"{name}: a KAM got {denied}"
    else:
        assert denied.status_code < 400, f"{name}: a signed-in KAM got {denied}"
    if before is not None:
        assert _rows() == before, f"{name}: a refused request wrote something"
    if route.kind == OWN:
        scene.token.refresh_from_db()
        assert scene.token.revoked_at is None, f"{name}: an outsider changed another's row"

    allowed_users = [{LEADER: leader, ADMIN: admin_user}.get(route.kind, kam_user)]
    if route.kind in (OBJECT, API_OBJECT) and route.method == "get":
        # Reads only (a write by one would change what the next one finds): the account's
        # team and the leaders see what its owner sees.
        allowed_users += [team_member, leader]
    for user in allowed_users:
        client.force_login(user)
        allowed = _request(client, route, url)
        assert allowed.status_code not in (403, 404), f"{name}: {user} got {allowed}"
        assert allowed.status_code < 500, name


@pytest.mark.parametrize("url_name", ["admin:index", "admin:kam_user_changelist"])
def test_the_django_admin_is_for_admins_only(url_name, client, outsider, leader, admin_user):
    url = reverse(url_name)
    admin_login = reverse("admin:login")
    anonymous = client.get(url)
    assert _is_login_redirect(anonymous) or anonymous["Location"].startswith(admin_login)
    for user in (outsider, leader):
        client.force_login(user)
        assert client.get(url)["Location"].startswith(admin_login), user.role
    client.force_login(admin_user)
    assert client.get(url).status_code == 200


def test_an_inactive_user_is_treated_as_anonymous(scene, client):
    gone = UserFactory(email="gone@example.com", role=Role.KAM, is_active=False)
    client.force_login(gone)
    response = client.get(reverse("account_detail", args=[scene.account.pk]))
    assert _is_login_redirect(response)
