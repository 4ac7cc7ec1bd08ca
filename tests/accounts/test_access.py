"""Who may open and change an account's pages (STYLE.md: access control, every persona).

Every route of accounts/urls.py that takes an account id is listed in ROUTES; a guard test
fails when a new one is added without being listed here. Leader-only routes answer KAMs with
the 403 page before looking at the account, so an outsider learns nothing there either."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, reverse

from accounts import selectors
from accounts import urls as account_urls
from accounts.models import (
    Account,
    HealthScore,
    Milestone,
    QualitativeRating,
    SatisfactionEntry,
    Stakeholder,
    Tier,
    TierChange,
)
from accounts.selectors import (
    Access,
    account_permits,
    accounts_for_user,
    get_account_for_user,
    on_accounts_for_user,
)
from accounts.services import scoring_defaults_ensure
from capture import urls as capture_urls
from capture.models import AccountEmailDomain, InboundMessage
from insights import urls as insights_urls
from kam.models import Role
from tests.capture.conftest import make_email
from tests.factories import AccountFactory, StakeholderFactory, UserFactory

SEES_THE_ACCOUNT = ["kam_user", "team_member", "leader", "admin_user"]


def _url(name: str, scene) -> str:
    if name in (
        "stakeholder_edit",
        "stakeholder_panel",
        "stakeholder_personal_data",
        "stakeholder_personal_data_json",
        "stakeholder_erase",
    ):
        return reverse(name, args=[scene.account.pk, scene.stakeholder.pk])
    return reverse(name, args=[scene.account.pk])


def _payload(name: str, scene) -> dict:
    """A POST body that succeeds for anyone allowed to make it."""
    account, owner = scene.account, scene.account.owner
    return {
        "account_edit": {
            "name": "Acme Renamed",
            "currency": "BRL",
            "status": "active",
            "owner": owner.pk,
            "team": [member.pk for member in account.team.all()],
            "version": account.version,
        },
        "stakeholder_create": {
            "name": "Nadia Nova",
            "buying_role": "champion",
            "influence": 4,
            "stance": "supporter",
        },
        "stakeholder_edit": {
            "name": "Carla Renamed",
            "buying_role": "decision_maker",
            "influence": 5,
            "stance": "advocate",
        },
        "stakeholder_erase": {"reason": "Asked by email", "confirm_name": "Carla Chefe"},
        "rating_set": {"criterion": "growth_potential", "score": "4"},
        "milestone_create": {"happened_on": "2026-01-15", "title": "First contract signed"},
        "health_recompute": {},
        "satisfaction_create": {"kind": "nps", "score": "9", "recorded_on": "2026-03-01"},
        "account_email_domains": {"domain": "acme-industrial.com"},
        "account_email_upload": {"eml": SimpleUploadedFile("a.eml", make_email())},
        "tier_review_decide": {
            "decision": "override",
            "tier": Tier.objects.get(key="strategic").pk,
            "reason": "Strategic logo",
        },
    }[name]


def _was_written(name: str, scene) -> bool:
    """Did the POST for `name` take effect?"""
    account = scene.account
    if name == "account_edit":
        account.refresh_from_db()
        return account.name == "Acme Renamed" and account.version == 2
    if name == "stakeholder_create":
        return Stakeholder.objects.filter(account=account, name="Nadia Nova").exists()
    if name == "stakeholder_edit":
        scene.stakeholder.refresh_from_db()
        return scene.stakeholder.name == "Carla Renamed"
    if name == "stakeholder_erase":
        scene.stakeholder.refresh_from_db()
        return scene.stakeholder.is_erased and scene.stakeholder.name != "Carla Chefe"
    if name == "rating_set":
        return QualitativeRating.objects.filter(account=account, score=4).exists()
    if name == "milestone_create":
        return Milestone.objects.filter(account=account, title="First contract signed").exists()
    if name == "health_recompute":
        return HealthScore.objects.filter(account=account).exists()
    if name == "satisfaction_create":
        return SatisfactionEntry.objects.filter(account=account, score=9).exists()
    if name == "account_email_domains":
        return AccountEmailDomain.objects.filter(account=account).exists()
    if name == "account_email_upload":
        return InboundMessage.objects.filter(account=account, status="logged").exists()
    if name == "tier_review_decide":
        return TierChange.objects.filter(account=account, reason="Strategic logo").exists()
    raise AssertionError(name)


def _success_redirect(name: str, scene) -> str:
    if name == "tier_review_decide":
        return reverse("tier_review")
    if name in {"account_email_domains", "account_email_upload"}:
        return reverse("account_email_domains", args=[scene.account.pk])
    if name in {"stakeholder_create", "stakeholder_edit", "stakeholder_erase"}:
        return reverse("account_stakeholders", args=[scene.account.pk])
    return reverse("account_detail", args=[scene.account.pk])


LEADERS_ONLY = {"tier_review_decide"}

ROUTES = [
    ("account_detail", "get"),
    ("account_edit", "get"),
    ("account_edit", "post"),
    ("account_stakeholders", "get"),
    ("stakeholder_map", "get"),
    ("stakeholder_panel", "get"),
    ("stakeholder_create", "get"),
    ("stakeholder_create", "post"),
    ("stakeholder_edit", "get"),
    ("stakeholder_edit", "post"),
    ("stakeholder_personal_data", "get"),
    ("stakeholder_personal_data_json", "get"),
    ("stakeholder_erase", "get"),
    ("stakeholder_erase", "post"),
    ("account_timeline", "get"),
    ("rating_set", "post"),
    ("milestone_create", "post"),
    ("health_recompute", "post"),
    ("satisfaction_create", "post"),
    ("tier_review_decide", "post"),
    ("account_email_domains", "get"),
    ("account_email_domains", "post"),
    ("account_email_upload", "post"),
]


class Scene:
    def __init__(self, account, stakeholder):
        self.account = account
        self.stakeholder = stakeholder


@pytest.fixture
def scene(account):
    # The tiers and scoring configuration are made on first use; make them now so that no
    # request under test writes them.
    scoring_defaults_ensure()
    return Scene(account, StakeholderFactory(account=account, name="Carla Chefe"))


def _request(client, name, method, scene):
    url = _url(name, scene)
    if method == "get":
        return url, client.get(url)
    return url, client.post(url, _payload(name, scene))


def test_every_account_route_is_in_the_access_table():
    with_account_id = {
        pattern.name
        for pattern in [
            *account_urls.urlpatterns,
            *insights_urls.urlpatterns,
            *capture_urls.urlpatterns,
        ]
        if isinstance(pattern, URLPattern) and str(pattern.pattern).startswith("accounts/<int:pk>")
    }
    assert with_account_id == {name for name, _method in ROUTES}


@pytest.mark.parametrize(("name", "method"), ROUTES)
def test_anonymous_users_are_sent_to_login_and_nothing_is_written(
    client, scene, db_rows, name, method
):
    before = db_rows()
    url, response = _request(client, name, method, scene)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"
    assert db_rows() == before


@pytest.mark.parametrize(("name", "method"), ROUTES)
def test_an_outsider_kam_gets_404_and_nothing_is_written(
    client_for, outsider, scene, db_rows, now, name, method
):
    before = db_rows()
    _, response = _request(client_for(outsider), name, method, scene)
    assert response.status_code == (403 if name in LEADERS_ONLY else 404)
    assert db_rows() == before


ALLOWED = [
    (persona, name, method)
    for name, method in ROUTES
    for persona in SEES_THE_ACCOUNT
    if name not in LEADERS_ONLY or persona in {"leader", "admin_user"}
]


@pytest.mark.parametrize(("persona", "name", "method"), ALLOWED)
def test_owner_team_member_leader_and_admin_may_use_the_route(
    request, client_for, scene, now, persona, name, method
):
    user = request.getfixturevalue(persona)
    _, response = _request(client_for(user), name, method, scene)
    if method == "get":
        assert response.status_code == 200
        return
    assert response.status_code == 302
    assert response.url == _success_redirect(name, scene)
    assert _was_written(name, scene)


@pytest.mark.parametrize("persona", ["kam_user", "team_member"])
@pytest.mark.parametrize("name", sorted(LEADERS_ONLY))
def test_kams_on_the_account_get_403_from_leader_only_routes(
    request, client_for, scene, db_rows, persona, name
):
    before = db_rows()
    _, response = _request(client_for(request.getfixturevalue(persona)), name, "post", scene)
    assert response.status_code == 403
    assert db_rows() == before


def test_stakeholder_of_another_account_is_404_even_under_an_account_the_user_sees(
    client_for, kam_user, scene
):
    elsewhere = StakeholderFactory(name="Someone Else")
    url = reverse("stakeholder_edit", args=[scene.account.pk, elsewhere.pk])
    assert client_for(kam_user).get(url).status_code == 404


def test_stakeholder_map_json_has_the_accounts_people_for_the_team(client_for, team_member, scene):
    response = client_for(team_member).get(reverse("stakeholder_map", args=[scene.account.pk]))
    assert [node["name"] for node in response.json()["nodes"]] == ["Carla Chefe"]


@pytest.fixture
def three_accounts(kam_user, outsider):
    """Own, shared (kam_user on someone else's team) and foreign (the outsider's)."""
    colleague = UserFactory(full_name="Cora Colleague", role=Role.KAM)
    shared = AccountFactory(name="Beta Shared", owner=colleague)
    shared.team.add(kam_user)
    return {
        "own": AccountFactory(name="Alpha Own", owner=kam_user),
        "shared": shared,
        "foreign": AccountFactory(name="Zeta Foreign", owner=outsider),
    }


def _listed_names(response) -> list[str]:
    return [account.name for account in response.context["page"].object_list]


def test_account_list_shows_a_kam_only_their_own_and_team_accounts(
    client_for, kam_user, three_accounts
):
    response = client_for(kam_user).get(reverse("account_list"))
    assert _listed_names(response) == ["Alpha Own", "Beta Shared"]
    page = response.content.decode()
    assert "Zeta Foreign" not in page
    # The owner filter offers only owners of accounts the KAM sees.
    assert "Oscar Outsider" not in page


def test_account_list_search_does_not_reach_other_kams_accounts(
    client_for, kam_user, three_accounts
):
    response = client_for(kam_user).get(reverse("account_list"), {"q": "Zeta"})
    assert _listed_names(response) == []


@pytest.mark.parametrize("persona", ["leader", "admin_user"])
def test_account_list_shows_leaders_and_admins_every_account(
    request, client_for, three_accounts, persona
):
    response = client_for(request.getfixturevalue(persona)).get(reverse("account_list"))
    assert _listed_names(response) == ["Alpha Own", "Beta Shared", "Zeta Foreign"]


@pytest.mark.parametrize("next_url", ["https://evil.example.net/", "//evil.example.net/"])
def test_tier_review_decision_never_redirects_off_site(client_for, leader, scene, next_url):
    payload = {**_payload("tier_review_decide", scene), "next": next_url}
    response = client_for(leader).post(_url("tier_review_decide", scene), payload)
    assert response.status_code == 302
    assert response.url == reverse("tier_review")


# --- One rule, two forms: the queryset and the per-row answer agree ----------------------------

ACTIONS = list(Access)
EVERY_PERSONA = ["anonymous", "outsider", "kam_user", "team_member", "leader", "admin_user"]


def _persona(request, name):
    if name == "anonymous":
        return AnonymousUser()
    return request.getfixturevalue(name)


@pytest.fixture
def linked_accounts(account, kam_user, team_member, outsider):
    """The conftest account (kam_user owns, team_member on the team), one kam_user is only on
    the team of, the outsider's own, and one with nobody's team on it."""
    colleague = UserFactory(full_name="Cora Colleague", role=Role.KAM)
    shared = AccountFactory(name="Beta Shared", owner=colleague)
    shared.team.add(kam_user, outsider)
    return [
        account,
        shared,
        AccountFactory(name="Zeta Foreign", owner=outsider),
        AccountFactory(name="Omega Alone", owner=colleague),
    ]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("persona", EVERY_PERSONA)
def test_accounts_for_user_and_account_permits_agree(request, linked_accounts, persona, action):
    user = _persona(request, persona)
    listed = set(accounts_for_user(user, action).values_list("pk", flat=True))
    # Fresh rows, so the per-row answer asks the database and not what a read left behind.
    answered = {
        account.pk
        for account in Account.objects.filter(pk__in=[a.pk for a in linked_accounts])
        if account_permits(user, account, action)
    }
    assert listed == answered


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("persona", EVERY_PERSONA)
def test_get_account_for_user_answers_as_accounts_for_user(
    request, linked_accounts, persona, action
):
    """404 for an account out of sight, 403 for one in sight but not for `action`, the row
    otherwise: the same answers as the querysets. Whether the user is on the account's team
    is asked in the same read only where the team can decide it (not for leaders and admins)."""
    user = _persona(request, persona)
    visible = set(accounts_for_user(user).values_list("pk", flat=True))
    allowed = set(accounts_for_user(user, action).values_list("pk", flat=True))
    for account in linked_accounts:
        with CaptureQueriesContext(connection) as queries:
            if account.pk not in visible:
                with pytest.raises(Http404):
                    get_account_for_user(user, account.pk, action=action)
            elif account.pk not in allowed:
                with pytest.raises(PermissionDenied):
                    get_account_for_user(user, account.pk, action=action)
            else:
                assert get_account_for_user(user, account.pk, action=action) == account
        assert len(queries) == 1
        asked_team = "accounts_account_team" in queries[0]["sql"]
        assert asked_team is (persona in ("outsider", "kam_user", "team_member"))


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("persona", EVERY_PERSONA)
def test_rows_on_accounts_are_narrowed_by_the_same_rule(request, linked_accounts, persona, action):
    """on_accounts_for_user: the rows hanging off an account (directly, or through a plan) that
    `user` may act on are those on the accounts accounts_for_user lists."""
    from activities.models import Commitment
    from plans.models import Opportunity
    from tests.factories import CommitmentFactory
    from tests.plans.factories import OpportunityFactory

    user = _persona(request, persona)
    for account in linked_accounts:
        CommitmentFactory(account=account)
        OpportunityFactory(plan__account=account)
    listed = set(accounts_for_user(user, action).values_list("pk", flat=True))
    commitments = on_accounts_for_user(Commitment.objects.all(), user, action)
    assert {c.account_id for c in commitments} == listed
    assert commitments.count() == len(listed)
    opportunities = on_accounts_for_user(
        Opportunity.objects.all(), user, action, via="plan__account"
    )
    assert {o.plan.account_id for o in opportunities} == listed
    assert opportunities.count() == len(listed)


def test_an_inactive_user_may_do_nothing(linked_accounts):
    gone = UserFactory(role=Role.LEADER, is_active=False)
    for action in ACTIONS:
        assert not accounts_for_user(gone, action).exists()
        assert not any(account_permits(gone, a, action) for a in linked_accounts)


# The rule written out (a change to accounts.selectors.KAM_GRANTS must fail here): what each
# persona may do on the conftest account.
MAY = {
    "anonymous": set(),
    "outsider": set(),
    "kam_user": {"view", "edit", "change_team"},
    "team_member": {"view", "edit"},
    "leader": {"view", "edit", "change_team", "change_owner", "delete"},
    "admin_user": {"view", "edit", "change_team", "change_owner", "delete"},
}


@pytest.mark.parametrize("persona", EVERY_PERSONA)
def test_what_each_persona_may_do_on_an_account(request, account, persona):
    user = _persona(request, persona)
    fresh = Account.objects.get(pk=account.pk)
    assert {str(action) for action in Access if account_permits(user, fresh, action)} == (
        MAY[persona]
    )


def test_get_account_for_user_is_404_unseen_403_seen_but_refused(kam_user, outsider, account):
    with pytest.raises(Http404):
        get_account_for_user(outsider, account.pk, action=Access.EDIT)
    with pytest.raises(PermissionDenied):
        get_account_for_user(kam_user, account.pk, action=Access.CHANGE_OWNER)
    assert get_account_for_user(kam_user, account.pk, action=Access.CHANGE_TEAM) == account


def test_a_team_members_edit_is_answered_without_another_query(
    team_member, account, django_assert_num_queries
):
    with django_assert_num_queries(1):  # the account, with "is on the team" as a column
        found = get_account_for_user(team_member, account.pk, action=Access.EDIT)
        assert not account_permits(team_member, found, Access.CHANGE_TEAM)


def test_a_kam_creating_an_account_for_someone_else_is_refused(client_for, kam_user, outsider):
    before = Account.objects.count()
    response = client_for(kam_user).post(
        reverse("account_create"),
        {"name": "Nova", "currency": "BRL", "status": "prospect", "owner": outsider.pk},
    )
    assert response.status_code == 403
    assert "owner" in response.context["form"].errors
    assert Account.objects.count() == before


def test_a_kam_creates_an_account_they_own_with_a_team(client_for, kam_user, team_member):
    response = client_for(kam_user).post(
        reverse("account_create"),
        {"name": "Nova", "currency": "BRL", "status": "prospect", "team": [team_member.pk]},
    )
    assert response.status_code == 302
    nova = Account.objects.get(name="Nova")
    assert nova.owner == kam_user
    assert list(nova.team.all()) == [team_member]


@pytest.fixture
def only_owners_edit(monkeypatch):
    """A stricter rule of the day: the page's buttons and routes follow it, whatever it is."""
    grants = {**selectors.KAM_GRANTS, Access.EDIT: selectors.KAM_GRANTS[Access.CHANGE_TEAM]}
    monkeypatch.setattr(selectors, "KAM_GRANTS", grants)


def test_the_edit_button_shows_only_to_those_the_rule_lets_edit(
    client_for, kam_user, team_member, scene, only_owners_edit
):
    url = reverse("account_detail", args=[scene.account.pk])
    edit_url = reverse("account_edit", args=[scene.account.pk])
    assert edit_url in client_for(kam_user).get(url).content.decode()
    team_client = client_for(team_member)
    assert edit_url not in team_client.get(url).content.decode()
    assert team_client.get(edit_url).status_code == 403
