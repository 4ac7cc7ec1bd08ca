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
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import (
    Account,
    CompanyHoliday,
    ExchangeRate,
    HealthScore,
    SavedView,
    Tier,
    TierChange,
    WorkingCalendar,
)
from accounts.selectors import KAM_GRANTS, Access
from accounts.services import scoring_defaults_ensure
from activities import services as activity_services
from activities.models import QBR, ClientRequest, Commitment, PlannedMeeting
from api.services import api_token_create
from capture.models import InboundMessage
from dataio.services import import_job_create
from insights.playbooks import StepSpec, playbook_save
from kam.dates import business_date
from kam.models import Role
from plans import services as plan_services
from plans.models import AccountPlan, Objective
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
    # The people pickers' search: anyone signed in, answering only the scope's people for them
    # (an outsider finds no owner of an account they do not see: tests/kam/test_people.py).
    "people_search": Route(PAGE, lambda s: {"scope": "owners"}, query=lambda s: "?q=o"),
    # activities/urls.py
    "my_work": Route(PAGE),
    "log_pick_account": Route(PAGE),
    "interaction_create": Route(OBJECT, account_kw),
    # Undo of a log: an outsider gets 404; on the account, only the author within the window.
    "interaction_undo": Route(OBJECT, lambda s: {"pk": s.interaction.pk}, "post"),
    "account_commitments": Route(OBJECT, account_kw),
    "commitment_complete": Route(OBJECT, lambda s: {"pk": s.commitment.pk}, "post"),
    "commitment_reopen": Route(OBJECT, lambda s: {"pk": s.commitment.pk}, "post"),
    "commitment_cancel": Route(OBJECT, lambda s: {"pk": s.commitment.pk}, "post"),
    # The in-place follow-through forms (GET draws the form; the POSTs are in WRITES below).
    "commitment_reschedule": Route(OBJECT, lambda s: {"pk": s.commitment.pk}),
    "commitment_reassign": Route(OBJECT, lambda s: {"pk": s.commitment.pk}),
    "commitment_edit": Route(OBJECT, lambda s: {"pk": s.commitment.pk}),
    "commitment_history": Route(OBJECT, lambda s: {"pk": s.commitment.pk}),
    # My work's quick add: offers only the user's own accounts (WRITES: an outsider's is refused).
    "agreed_item_create": Route(PAGE, method="post"),
    "account_requests": Route(OBJECT, account_kw),
    "request_respond": Route(OBJECT, lambda s: {"pk": s.client_request.pk}, "post"),
    "request_resolve": Route(OBJECT, lambda s: {"pk": s.client_request.pk}, "post"),
    "request_reopen": Route(OBJECT, lambda s: {"pk": s.client_request.pk}, "post"),
    "notification_list": Route(PAGE),
    "notifications_mark_read": Route(PAGE, method="post"),
    "notification_settings": Route(PAGE),
    "account_qbrs": Route(OBJECT, account_kw),
    "qbr_detail": Route(OBJECT, lambda s: {"pk": s.qbr.pk}),
    "qbr_cancel": Route(OBJECT, lambda s: {"pk": s.qbr.pk}, "post"),
    "qbr_prep": Route(OBJECT, lambda s: {"pk": s.qbr.pk}),
    "qbr_prep_pdf": Route(OBJECT, lambda s: {"pk": s.qbr.pk}),
    # Calendar invites: the account page's upload, and My work's dismiss (the owner's meeting).
    "meeting_invite_upload": Route(OBJECT, account_kw, "post"),
    "meeting_dismiss": Route(OBJECT, lambda s: {"pk": s.meeting.pk}, "post"),
    "calendar_settings": Route(PAGE),
    "calendar_token_regenerate": Route(PAGE, method="post"),
    "calendar_token_revoke": Route(PAGE, method="post"),
    # The secret token in the URL is the credential (calendar apps cannot sign in).
    "calendar_feed": Route(PUBLIC, lambda s: {"token": "not-a-token"}),
    # accounts/urls.py
    "account_list": Route(PAGE),
    # Bulk actions on the ticked accounts: each account through the one rule (an outsider's
    # ticks are refused; tests/insights/test_lists.py).
    "account_bulk": Route(PAGE, method="post"),
    # Saved views of the list: anyone saves their own; only the owner renames or deletes one.
    "saved_view_create": Route(PAGE, method="post"),
    "saved_view_update": Route(OBJECT, lambda s: {"pk": s.saved_view.pk}, "post"),
    "saved_view_delete": Route(OBJECT, lambda s: {"pk": s.saved_view.pk}, "post"),
    "account_create": Route(PAGE),
    "account_detail": Route(OBJECT, account_kw),
    "account_edit": Route(OBJECT, account_kw),
    "account_stakeholders": Route(OBJECT, account_kw),
    "stakeholder_map": Route(OBJECT, account_kw),
    "stakeholder_panel": Route(
        OBJECT, lambda s: {"pk": s.account.pk, "stakeholder_pk": s.stakeholder.pk}
    ),
    "stakeholder_personal_data": Route(
        OBJECT, lambda s: {"pk": s.account.pk, "stakeholder_pk": s.stakeholder.pk}
    ),
    "stakeholder_personal_data_json": Route(
        OBJECT, lambda s: {"pk": s.account.pk, "stakeholder_pk": s.stakeholder.pk}
    ),
    "stakeholder_erase": Route(
        OBJECT, lambda s: {"pk": s.account.pk, "stakeholder_pk": s.stakeholder.pk}
    ),
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
    # Outsiders get the page with nothing of the account (tests/insights/test_search.py).
    "search": Route(PAGE, query=lambda s: f"?q={s.account.name}"),
    "portfolio_export": Route(PAGE, lambda s: {"table": "at-risk", "fmt": "csv"}),
    "configuration": Route(ADMIN),
    "exchange_rates": Route(ADMIN),
    "playbook_list": Route(ADMIN),
    "playbook_create": Route(ADMIN),
    "playbook_edit": Route(ADMIN, lambda s: {"pk": s.playbook.pk}),
    "playbook_toggle": Route(ADMIN, lambda s: {"pk": s.playbook.pk}, "post"),
    "exchange_rate_delete": Route(ADMIN, lambda s: {"rate_pk": s.exchange_rate.pk}, "post"),
    "working_calendar_list": Route(ADMIN),
    "working_calendar_create": Route(ADMIN),
    "working_calendar_edit": Route(ADMIN, lambda s: {"pk": s.working_calendar.pk}),
    "company_holiday_add": Route(ADMIN, lambda s: {"pk": s.working_calendar.pk}, "post"),
    "company_holiday_delete": Route(ADMIN, lambda s: {"holiday_pk": s.company_holiday.pk}, "post"),
    # kam/urls.py: the audit trail
    "audit_log": Route(ADMIN),
    "retention_policies": Route(ADMIN),
    # dataio/urls.py: imports are for leaders (each sees their own jobs; admins all)
    "import_start": Route(LEADER),
    "import_mapping": Route(LEADER, lambda s: {"pk": s.import_job.pk}),
    "import_values": Route(LEADER, lambda s: {"pk": s.import_job.pk}),
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
    "opportunity_board": Route(OBJECT, account_kw),
    "opportunity_move": Route(
        OBJECT, lambda s: {"pk": s.account.pk, "opportunity_pk": s.opportunity.pk}, "post"
    ),
    "product_list": Route(ADMIN),
    # capture/urls.py: the user's own capture log and address; a message of someone else's
    # log is 404 (tests/capture/test_views.py checks nothing changes).
    "capture_log": Route(PAGE),
    "logging_address": Route(PAGE),
    "logging_address_regenerate": Route(PAGE, method="post"),
    "logging_address_revoke": Route(PAGE, method="post"),
    "capture_request_open": Route(OBJECT, lambda s: {"pk": s.inbound_message.pk}, "post"),
    "capture_assign": Route(OBJECT, lambda s: {"pk": s.inbound_message.pk}, "post"),
    "capture_discard": Route(OBJECT, lambda s: {"pk": s.inbound_message.pk}, "post"),
    "account_email_domains": Route(OBJECT, account_kw),
    "account_email_upload": Route(OBJECT, account_kw, "post"),
    # Hosted inbound mail (capture/webhooks.py): the caller is the mail provider, not a user;
    # the signature (Mailgun) or basic auth (Postmark) is the credential, like the calendar
    # feed's token. Unsigned posts are refused (tests/capture/test_webhooks.py).
    "capture_mailgun_inbound": Route(PUBLIC, method="post"),
    "capture_postmark_inbound": Route(PUBLIC, method="post"),
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
    # Agreed items, whatever their source (a plan's actions too: there is no /actions/).
    # commitment-detail answers GET and PATCH (partial_update): the PATCH is in WRITES below.
    "commitment-list": Route(API_PAGE),
    "commitment-detail": Route(API_OBJECT, lambda s: {"pk": s.commitment.pk}),
    "commitment-history": Route(API_OBJECT, lambda s: {"pk": s.action.pk}),
    "commitment-complete": Route(API_OBJECT, lambda s: {"pk": s.commitment.pk}, "post"),
    "commitment-reopen": Route(API_OBJECT, lambda s: {"pk": s.commitment.pk}, "post"),
    "commitment-cancel": Route(API_OBJECT, lambda s: {"pk": s.commitment.pk}, "post"),
    "request-list": Route(API_PAGE),
    "request-detail": Route(API_OBJECT, lambda s: {"pk": s.client_request.pk}),
    "request-respond": Route(API_OBJECT, lambda s: {"pk": s.client_request.pk}, "post"),
    "request-resolve": Route(API_OBJECT, lambda s: {"pk": s.client_request.pk}, "post"),
    "request-reopen": Route(API_OBJECT, lambda s: {"pk": s.client_request.pk}, "post"),
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
    "healthscore-list": Route(API_PAGE),
    "healthscore-detail": Route(API_OBJECT, lambda s: {"pk": s.health_score.pk}),
    "tierchange-list": Route(API_PAGE),
    "tierchange-detail": Route(API_OBJECT, lambda s: {"pk": s.tier_change.pk}),
    # Playbooks are configuration: everyone signed in reads them (admins alone write, tested in
    # tests/api/test_playbooks.py); the firings list shows only the accounts the user sees.
    "playbook-list": Route(API_PAGE),
    "playbook-detail": Route(API_PAGE, lambda s: {"pk": s.playbook.pk}),
    "playbook-firings": Route(API_PAGE, lambda s: {"pk": s.playbook.pk}),
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
    client_request: object = None
    working_calendar: object = None
    company_holiday: object = None
    playbook: object = None
    saved_view: object = None
    inbound_message: object = None
    meeting: object = None


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
        scheduled_on=business_date() + timedelta(days=7),
        stakeholders=[stakeholder],
        agenda="Review the year",
    )
    commitment = CommitmentFactory(account=account, due_date=business_date())
    config = scoring_defaults_ensure()
    tier = Tier.objects.order_by("rank").first()
    working_calendar = WorkingCalendar.objects.create(
        name="Recife", time_zone="America/Recife", subdivision="PE"
    )
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
            account=account, day=business_date(), score=70, band="healthy",
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
        working_calendar=working_calendar,
        company_holiday=CompanyHoliday.objects.create(
            calendar=working_calendar, date=date(2026, 12, 24), name="Christmas Eve"
        ),
        client_request=activity_services.request_create(
            account=account, actor=kam_user, subject="Copy of the invoice",
            received_at=timezone.now() - timedelta(hours=2), requester=stakeholder,
        ),
        playbook=playbook_save(
            actor=None, name="Renewal push", trigger="renewal_within", days=90,
            steps=[StepSpec("Prepare the proposal")],
        ),
        saved_view=SavedView.objects.create(owner=kam_user, name="Mine", query="status=live"),
        inbound_message=InboundMessage.objects.create(
            user=kam_user, raw=b"x", sha256="0" * 64, via="upload", status="triage"
        ),
        meeting=PlannedMeeting.objects.create(
            account=account, owner=kam_user, uid="matrix@example.com", title="Kickoff",
            starts_at=timezone.now() - timedelta(hours=2),
            ends_at=timezone.now() - timedelta(hours=1),
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


# --- Who may do what: every write route, per action and persona ------------------------------
#
# The rule (docs/architecture.md, "One permission check"; decided by accounts.selectors
# KAM_GRANTS) written out here, so that a change to it fails a test: view and edit are for the
# owner, the team, leaders and admins; the team for the owner, leaders and admins; the owner
# for leaders and admins. Refused: 404 when the user does not see the account, 403 when they
# see it; either way nothing is written.

OK, FORBIDDEN, HIDDEN = "ok", "forbidden", "hidden"
PERSONAS = ["outsider", "kam_user", "team_member", "leader", "admin_user"]
EXPECTED = {
    "edit": {"outsider": HIDDEN, "kam_user": OK, "team_member": OK, "leader": OK,
             "admin_user": OK},
    "change_team": {"outsider": HIDDEN, "kam_user": OK, "team_member": FORBIDDEN, "leader": OK,
                    "admin_user": OK},
    "change_owner": {"outsider": HIDDEN, "kam_user": FORBIDDEN, "team_member": FORBIDDEN,
                     "leader": OK, "admin_user": OK},
}  # fmt: skip


@dataclass(frozen=True)
class Write:
    """One write request: `url` and `body` from the scene and a newcomer KAM (who joins teams
    and takes accounts over); `done` says whether it took effect."""

    action: str
    method: str
    url: Callable
    done: Callable
    body: Callable = field(default=lambda scene, newcomer: {})
    api: bool = False
    # What a user who does not see the account gets: 404, or 400 ("no such account") when the
    # account is named in the body of an API create.
    hidden_status: int = 404


def _profile(scene, **changes) -> dict:
    """The account form as shown, with `changes`."""
    account = scene.account
    account.refresh_from_db()
    return {
        "name": account.name,
        "currency": account.currency,
        "status": account.status,
        "owner": account.owner_id,
        "team": [member.pk for member in account.team.all()],
        "version": account.version,
        **changes,
    }


def _team_pks(scene) -> set[int]:
    return set(scene.account.team.values_list("pk", flat=True))


def _owner_pk(scene) -> int:
    return Account.objects.values_list("owner", flat=True).get(pk=scene.account.pk)


def _account_url(scene, newcomer) -> str:
    return reverse("account_edit", args=[scene.account.pk])


def _api_account_url(scene, newcomer) -> str:
    return f"/api/v1/accounts/{scene.account.pk}/"


def _version(scene) -> int:
    return Account.objects.values_list("version", flat=True).get(pk=scene.account.pk)


def _team_member_pk(scene) -> int:
    return scene.account.team.get().pk


WRITES: dict[str, Write] = {
    # The account form (accounts.views.account_edit)
    "web: edit a profile field": Write(
        "edit", "post", _account_url,
        body=lambda s, n: _profile(s, name="Acme Renamed"),
        done=lambda s, n: Account.objects.get(pk=s.account.pk).name == "Acme Renamed",
    ),
    "web: add someone to the team": Write(
        "change_team", "post", _account_url,
        body=lambda s, n: _profile(s, team=[_team_member_pk(s), n.pk]),
        done=lambda s, n: n.pk in _team_pks(s),
    ),
    "web: take the team member off the team": Write(
        "change_team", "post", _account_url,
        body=lambda s, n: _profile(s, team=[n.pk]),
        done=lambda s, n: _team_pks(s) == {n.pk},
    ),
    "web: hand the account over": Write(
        "change_owner", "post", _account_url,
        body=lambda s, n: _profile(s, owner=n.pk),
        done=lambda s, n: _owner_pk(s) == n.pk,
    ),
    # Rows hanging off the account, on the web
    "web: add a stakeholder": Write(
        "edit", "post", lambda s, n: reverse("stakeholder_create", args=[s.account.pk]),
        body=lambda s, n: {"name": "Nadia Nova", "buying_role": "champion", "influence": 4,
                           "stance": "supporter"},
        done=lambda s, n: s.account.stakeholders.filter(name="Nadia Nova").exists(),
    ),
    "web: remove a plan row": Write(
        "edit", "post", lambda s, n: reverse("plan_item_delete", kwargs=item_kw(s)),
        done=lambda s, n: not Objective.objects.filter(pk=s.objective.pk).exists(),
    ),
    "web: complete a commitment": Write(
        "edit", "post", lambda s, n: reverse("commitment_complete", args=[s.commitment.pk]),
        done=lambda s, n: Commitment.objects.get(pk=s.commitment.pk).status == "done",
    ),
    "web: cancel a commitment": Write(
        "edit", "post", lambda s, n: reverse("commitment_cancel", args=[s.commitment.pk]),
        body=lambda s, n: {"reason": "No longer needed"},
        done=lambda s, n: Commitment.objects.get(pk=s.commitment.pk).status == "cancelled",
    ),
    "web: reschedule a commitment with a reason": Write(
        "edit", "post", lambda s, n: reverse("commitment_reschedule", args=[s.commitment.pk]),
        body=lambda s, n: {"due_date": "2026-05-04", "reason": "Client asked for time"},
        done=lambda s, n: str(Commitment.objects.get(pk=s.commitment.pk).due_date)
        == "2026-05-04",
    ),
    "web: reassign a commitment": Write(
        "edit", "post", lambda s, n: reverse("commitment_reassign", args=[s.commitment.pk]),
        body=lambda s, n: {"owner": f"u{_team_member_pk(s)}"},
        done=lambda s, n: Commitment.objects.get(pk=s.commitment.pk).owner_user_id
        == _team_member_pk(s),
    ),
    "web: resolve a client request": Write(
        "edit", "post", lambda s, n: reverse("request_resolve", args=[s.client_request.pk]),
        done=lambda s, n: ClientRequest.objects.get(pk=s.client_request.pk).resolved_at
        is not None,
    ),
    "web: record a client request": Write(
        "edit", "post", lambda s, n: reverse("account_requests", args=[s.account.pk]),
        body=lambda s, n: {"subject": "New laptop", "channel": "email", "priority": "high",
                           "received_at": "2026-03-10T09:00", "owner": s.account.owner_id},
        done=lambda s, n: ClientRequest.objects.filter(subject="New laptop").exists(),
    ),
    "web: schedule a QBR": Write(
        "edit", "post", lambda s, n: reverse("account_qbrs", args=[s.account.pk]),
        body=lambda s, n: {"scheduled_on": "2026-04-20", "agenda": "Renewal"},
        done=lambda s, n: QBR.objects.filter(account=s.account, agenda="Renewal").exists(),
    ),
    "web: cancel a QBR": Write(
        "edit", "post", lambda s, n: reverse("qbr_cancel", args=[s.qbr.pk]),
        done=lambda s, n: QBR.objects.get(pk=s.qbr.pk).status == "cancelled",
    ),
    # The API's account
    "api: change a profile field": Write(
        "edit", "patch", _api_account_url, api=True,
        body=lambda s, n: {"name": "Acme Renamed", "version": _version(s)},
        done=lambda s, n: Account.objects.get(pk=s.account.pk).name == "Acme Renamed",
    ),
    "api: add someone to the team": Write(
        "change_team", "patch", _api_account_url, api=True,
        body=lambda s, n: {"team": [_team_member_pk(s), n.pk], "version": _version(s)},
        done=lambda s, n: n.pk in _team_pks(s),
    ),
    "api: empty the team": Write(
        "change_team", "patch", _api_account_url, api=True,
        body=lambda s, n: {"team": [], "version": _version(s)},
        done=lambda s, n: _team_pks(s) == set(),
    ),
    "api: hand the account over": Write(
        "change_owner", "patch", _api_account_url, api=True,
        body=lambda s, n: {"owner": n.pk, "version": _version(s)},
        done=lambda s, n: _owner_pk(s) == n.pk,
    ),
    # Rows hanging off the account, through the API
    "api: add a stakeholder": Write(
        "edit", "post", lambda s, n: "/api/v1/stakeholders/", api=True, hidden_status=400,
        body=lambda s, n: {"account": s.account.pk, "name": "Nadia Nova"},
        done=lambda s, n: s.account.stakeholders.filter(name="Nadia Nova").exists(),
    ),
    "api: change a stakeholder": Write(
        "edit", "patch", lambda s, n: f"/api/v1/stakeholders/{s.stakeholder.pk}/", api=True,
        body=lambda s, n: {"title": "CFO"},
        done=lambda s, n: s.account.stakeholders.filter(title="CFO").exists(),
    ),
    "api: make a commitment": Write(
        "edit", "post", lambda s, n: "/api/v1/commitments/", api=True, hidden_status=400,
        body=lambda s, n: {"account": s.account.pk, "title": "Send the deck",
                           "due_date": "2026-03-20", "owner_stakeholder": s.stakeholder.pk},
        done=lambda s, n: Commitment.objects.filter(title="Send the deck").exists(),
    ),
    # A plan's action is an agreed item: added and rescheduled at /api/v1/commitments/.
    "api: add a plan action": Write(
        "edit", "post", lambda s, n: "/api/v1/commitments/", api=True, hidden_status=400,
        body=lambda s, n: {"account": s.account.pk, "plan": s.plan.pk, "title": "Sponsor call",
                           "due_date": "2026-03-20", "owner_user": s.account.owner_id},
        done=lambda s, n: Commitment.objects.filter(plan=s.plan, title="Sponsor call").exists(),
    ),
    "api: reschedule a plan action": Write(
        "edit", "patch", lambda s, n: f"/api/v1/commitments/{s.action.pk}/", api=True,
        body=lambda s, n: {"due_date": "2026-05-04", "reason": "Client asked",
                           "version": s.action.version},
        done=lambda s, n: str(Commitment.objects.get(pk=s.action.pk).due_date) == "2026-05-04",
    ),
    "api: complete a commitment": Write(
        "edit", "post", lambda s, n: f"/api/v1/commitments/{s.commitment.pk}/complete/",
        api=True,
        done=lambda s, n: Commitment.objects.get(pk=s.commitment.pk).status == "done",
    ),
    "api: record a client request": Write(
        "edit", "post", lambda s, n: "/api/v1/requests/", api=True, hidden_status=400,
        body=lambda s, n: {"account": s.account.pk, "subject": "API request",
                           "received_at": "2026-03-10T09:00:00-03:00"},
        done=lambda s, n: ClientRequest.objects.filter(subject="API request").exists(),
    ),
    "api: resolve a client request": Write(
        "edit", "post", lambda s, n: f"/api/v1/requests/{s.client_request.pk}/resolve/",
        api=True,
        done=lambda s, n: ClientRequest.objects.get(pk=s.client_request.pk).resolved_at
        is not None,
    ),
    "api: cancel a commitment": Write(
        "edit", "post", lambda s, n: f"/api/v1/commitments/{s.commitment.pk}/cancel/",
        api=True, body=lambda s, n: {"reason": "No longer needed"},
        done=lambda s, n: Commitment.objects.get(pk=s.commitment.pk).status == "cancelled",
    ),
    "api: schedule a QBR": Write(
        "edit", "post", lambda s, n: "/api/v1/qbrs/", api=True, hidden_status=400,
        body=lambda s, n: {"account": s.account.pk, "scheduled_on": "2026-04-20",
                           "agenda": "Renewal"},
        done=lambda s, n: QBR.objects.filter(account=s.account, agenda="Renewal").exists(),
    ),
    "api: change the plan": Write(
        "edit", "patch", lambda s, n: f"/api/v1/plans/{s.plan.pk}/", api=True,
        body=lambda s, n: {"title": "Acme 2026 v2", "version": s.plan.version},
        done=lambda s, n: AccountPlan.objects.filter(title="Acme 2026 v2").exists(),
    ),
    "api: add a plan row": Write(
        "edit", "post", lambda s, n: "/api/v1/objectives/", api=True, hidden_status=400,
        body=lambda s, n: {"plan": s.plan.pk, "description": "Grow exports",
                           "metric": "Export share", "baseline": "10", "target": "25"},
        done=lambda s, n: Objective.objects.filter(description="Grow exports").exists(),
    ),
    "api: change a plan row": Write(
        "edit", "patch", lambda s, n: f"/api/v1/objectives/{s.objective.pk}/", api=True,
        body=lambda s, n: {"description": "Cut downtime more", "version": s.objective.version},
        done=lambda s, n: Objective.objects.filter(description="Cut downtime more").exists(),
    ),
    "api: remove a plan row": Write(
        "edit", "delete", lambda s, n: f"/api/v1/objectives/{s.objective.pk}/", api=True,
        done=lambda s, n: not Objective.objects.filter(pk=s.objective.pk).exists(),
    ),
}  # fmt: skip


@pytest.fixture
def newcomer(db):
    return UserFactory(email="new@example.com", full_name="Nina Newcomer", role=Role.KAM)


def _send(client, write: Write, url: str, body: dict):
    if write.api:
        return getattr(client, write.method)(url, body, format="json")
    return client.post(url, body)


def _client_for(user, *, api: bool):
    if api:
        client = APIClient()
        client.force_authenticate(user)
        return client
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("case", sorted(WRITES))
def test_each_write_route_answers_each_persona_by_the_rule(
    request, scene, newcomer, now, case, persona
):
    write = WRITES[case]
    user = request.getfixturevalue(persona)
    url, body = write.url(scene, newcomer), write.body(scene, newcomer)
    expected = EXPECTED[write.action][persona]
    before = _rows()

    response = _send(_client_for(user, api=write.api), write, url, body)

    assert response.status_code < 500, f"{case}: {persona} got {response}"
    if expected == OK:
        assert response.status_code in (200, 201, 204, 302), f"{case}: {persona} got {response}"
        assert write.done(scene, newcomer), f"{case}: {persona}'s request did not take effect"
        return
    status = 403 if expected == FORBIDDEN else write.hidden_status
    assert response.status_code == status, f"{case}: {persona} got {response}"
    assert not write.done(scene, newcomer)
    assert _rows() == before, f"{case}: {persona}'s refused request wrote something"


CHANGES_TEAM_OR_OWNER = sorted(
    name for name, write in WRITES.items() if write.action in ("change_team", "change_owner")
)


@pytest.mark.parametrize("case", CHANGES_TEAM_OR_OWNER)
def test_a_team_member_who_is_not_the_owner_cannot_change_the_team_or_owner(
    team_member, scene, newcomer, now, case
):
    write = WRITES[case]
    before = _rows()
    response = _send(
        _client_for(team_member, api=write.api),
        write,
        write.url(scene, newcomer),
        write.body(scene, newcomer),
    )
    assert response.status_code == 403
    assert _rows() == before
    if not write.api:
        # The form says why, on the field.
        assert response.context["form"].errors.keys() & {"team", "owner"}


def test_the_team_and_owner_fields_are_locked_for_those_who_may_not_change_them(
    client, scene, kam_user, team_member, leader
):
    url = reverse("account_edit", args=[scene.account.pk])
    locked = {}
    for user in (kam_user, team_member, leader):
        client.force_login(user)
        form = client.get(url).context["form"]
        locked[user.email] = {name for name in ("owner", "team") if form.fields[name].disabled}
    assert locked == {
        "owner@example.com": {"owner"},
        "team@example.com": {"owner", "team"},
        "boss@example.com": set(),
    }


def test_a_locked_field_left_out_of_the_post_is_left_as_it_is(client, scene, team_member):
    """A browser does not send a disabled field: the rest of the form still saves."""
    client.force_login(team_member)
    body = _profile(scene, name="Acme Renamed")
    del body["team"], body["owner"]
    response = client.post(reverse("account_edit", args=[scene.account.pk]), body)
    assert response.status_code == 302
    scene.account.refresh_from_db()
    assert scene.account.name == "Acme Renamed"
    assert _team_pks(scene) == {team_member.pk}


# --- Removing oneself from a team never answers 500 ------------------------------------------


@pytest.mark.parametrize("api", [False, True], ids=["web", "api"])
def test_removing_oneself_from_the_team_is_refused_not_a_server_error(scene, team_member, now, api):
    colleague = UserFactory(role=Role.KAM)
    before = _rows()
    client = _client_for(team_member, api=api)
    if api:
        body = {"team": [], "version": _version(scene)}
        response = client.patch(f"/api/v1/accounts/{scene.account.pk}/", body, format="json")
    else:
        body = _profile(scene, team=[colleague.pk])
        response = client.post(reverse("account_edit", args=[scene.account.pk]), body)
    assert response.status_code == 403
    assert _rows() == before


@pytest.fixture
def team_may_change_the_team(monkeypatch):
    """A rule that lets team members change the team, so that one can leave it: the answer
    after such a save must not depend on the rule of the day."""
    grants = {**KAM_GRANTS, Access.CHANGE_TEAM: KAM_GRANTS[Access.EDIT]}
    monkeypatch.setattr("accounts.selectors.KAM_GRANTS", grants)


def test_leaving_the_team_through_the_api_answers_204_after_the_save(
    scene, team_member, now, team_may_change_the_team
):
    client = _client_for(team_member, api=True)
    body = {"team": [], "version": _version(scene)}
    response = client.patch(f"/api/v1/accounts/{scene.account.pk}/", body, format="json")
    assert response.status_code == 204
    assert _team_pks(scene) == set()


def test_leaving_the_team_on_the_web_goes_back_to_the_account_list_with_a_message(
    client, scene, team_member, now, team_may_change_the_team
):
    client.force_login(team_member)
    colleague = UserFactory(full_name="Cora Colleague", role=Role.KAM)
    body = _profile(scene, team=[colleague.pk])
    response = client.post(reverse("account_edit", args=[scene.account.pk]), body, follow=True)
    assert response.redirect_chain == [(reverse("account_list"), 302)]
    assert "You are no longer on the team of Acme Industrial." in response.content.decode()
    assert _team_pks(scene) == {colleague.pk}
