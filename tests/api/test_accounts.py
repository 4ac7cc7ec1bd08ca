from decimal import Decimal

import pytest

from accounts.models import Account
from kam.models import Role
from tests.factories import AccountFactory, RevenueRecordFactory, UserFactory

URL = "/api/v1/accounts/"


def names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


# --- access -----------------------------------------------------------------------------------


def test_anonymous_gets_401_with_the_bearer_challenge(api, account):
    response = api.get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert api.get(f"{URL}{account.pk}/").status_code == 401


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("kam_user", ["Acme Industrial"]),
        ("team_member", ["Acme Industrial"]),
        ("outsider", ["Outsider Corp"]),
        ("leader", ["Acme Industrial", "Outsider Corp"]),
        ("admin_user", ["Acme Industrial", "Outsider Corp"]),
    ],
)
def test_each_persona_lists_the_accounts_the_web_shows_them(
    request, api_as, account, other_book, persona, sees
):
    user = request.getfixturevalue(persona)
    response = api_as(user).get(URL)
    assert response.status_code == 200
    assert names(response) == sees


def test_outsider_gets_404_on_an_account_they_do_not_see(api_as, outsider, account):
    response = api_as(outsider).get(f"{URL}{account.pk}/")
    assert response.status_code == 404
    response = api_as(outsider).patch(
        f"{URL}{account.pk}/", {"name": "X", "version": 1}, format="json"
    )
    assert response.status_code == 404
    assert Account.objects.get(pk=account.pk).name == "Acme Industrial"


def test_session_authentication_works_for_the_browser(client, kam_user, account):
    client.force_login(kam_user)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json()["results"][0]["id"] == account.pk


# --- representation ---------------------------------------------------------------------------


def test_account_carries_tier_pareto_health_revenue_and_owner(api_as, kam_user, book):
    account = book.account
    response = api_as(kam_user).get(f"{URL}{account.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["owner"] == {
        "id": kam_user.pk,
        "full_name": "Olivia Owner",
        "email": kam_user.email,
    }
    assert body["tier"]["key"] == account.tier.key
    assert body["pareto_class"] == account.pareto_class == "A"
    assert body["health_score"] == account.health_score is not None
    assert body["health_band"] == account.health_band
    # Six of the twelve bimonthly records fall in the last 365 days.
    assert Decimal(body["revenue_12m"]) == Decimal("60000.00")
    assert body["version"] == account.version
    assert body["team"] == [account.team.get().pk]


def test_revenue_12m_is_zero_without_revenue(api_as, kam_user, account):
    body = api_as(kam_user).get(f"{URL}{account.pk}/").json()
    assert body["revenue_12m"] == "0.00"


# --- list: filters, ordering, pagination, queries ---------------------------------------------


def test_filters_and_ordering(api_as, leader, kam_user, outsider):
    AccountFactory(name="Beta", owner=kam_user, status="at_risk", industry="Retail")
    AccountFactory(name="Alpha", owner=kam_user, status="active", industry="Retail")
    AccountFactory(name="Gamma", owner=outsider, status="active", industry="Energy")
    client = api_as(leader)
    assert names(client.get(URL, {"status": "active"})) == ["Alpha", "Gamma"]
    assert names(client.get(URL, {"owner": outsider.pk})) == ["Gamma"]
    assert names(client.get(URL, {"industry": "Retail", "ordering": "-name"})) == ["Beta", "Alpha"]
    assert names(client.get(URL, {"q": "amm"})) == ["Gamma"]


def test_health_band_unknown_includes_accounts_not_scored_yet_as_on_the_list(api_as, leader):
    AccountFactory(name="Scored", health_band="unknown")
    AccountFactory(name="Never scored", health_band="")
    AccountFactory(name="Healthy", health_band="healthy")
    client = api_as(leader)
    assert names(client.get(URL, {"health_band": "unknown"})) == ["Never scored", "Scored"]
    assert names(client.get(URL, {"health_band": "healthy"})) == ["Healthy"]


def test_bad_filter_values_are_400_with_the_field(api_as, leader):
    response = api_as(leader).get(URL, {"status": "sleeping", "owner": "abc"})
    assert response.status_code == 400
    assert set(response.json()) == {"status", "owner"}


def test_cursor_pagination_walks_every_row_once(api_as, leader):
    owner = UserFactory(role=Role.KAM)
    for index in range(7):
        AccountFactory(name=f"Row {index}", owner=owner)
    client = api_as(leader)
    seen, url = [], f"{URL}?page_size=3"
    while url:
        body = client.get(url).json()
        seen += [row["name"] for row in body["results"]]
        url = body["next"]
    assert seen == [f"Row {index}" for index in range(7)]


def test_a_forged_cursor_is_404_not_a_server_error(api_as, leader):
    assert api_as(leader).get(URL, {"cursor": "bz1hYmM="}).status_code == 404  # o=abc
    # A well-formed cursor whose position does not fit the ordering column.
    assert api_as(leader).get(URL, {"cursor": "cD1hYmM=", "ordering": "id"}).status_code == 404


def _grow(owner, outsider, count: int) -> None:
    colleague = UserFactory(role=Role.KAM)
    for index in range(count):
        mine = AccountFactory(name=f"Mine {index}", owner=owner)
        mine.team.add(colleague)
        RevenueRecordFactory(account=mine, amount=100)
        AccountFactory(name=f"Theirs {index}", owner=outsider)


def test_account_list_query_count_does_not_grow_with_rows(
    api_as, kam_user, outsider, django_assert_num_queries
):
    client = api_as(kam_user)
    _grow(kam_user, outsider, 2)
    # 1. accounts (owner, tiers joined; revenue_12m subquery), 2. their teams.
    with django_assert_num_queries(2):
        assert len(client.get(URL).json()["results"]) == 2
    _grow(kam_user, outsider, 6)
    with django_assert_num_queries(2):
        assert len(client.get(URL).json()["results"]) == 8


# --- writes -----------------------------------------------------------------------------------


def test_kam_creates_an_account_they_own(api_as, kam_user, team_member):
    response = api_as(kam_user).post(
        URL,
        {"name": "Nova", "currency": "USD", "team": [team_member.pk], "renewal_date": "2027-01-31"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["owner"]["id"] == kam_user.pk
    assert body["team"] == [team_member.pk]
    assert Account.objects.get(pk=body["id"]).currency == "USD"


def test_kam_cannot_create_an_account_for_someone_else(api_as, kam_user, team_member):
    response = api_as(kam_user).post(URL, {"name": "Nova", "owner": team_member.pk}, format="json")
    assert response.status_code == 400
    assert "owner" in response.json()
    assert not Account.objects.filter(name="Nova").exists()


def test_leader_must_name_the_owner(api_as, leader, kam_user):
    client = api_as(leader)
    assert "owner" in client.post(URL, {"name": "Nova"}, format="json").json()
    response = client.post(URL, {"name": "Nova", "owner": kam_user.pk}, format="json")
    assert response.status_code == 201
    assert response.json()["owner"]["id"] == kam_user.pk


def test_wrong_types_are_400_with_field_errors(api_as, kam_user):
    response = api_as(kam_user).post(
        URL,
        {"name": ["x"], "employees": "many", "contract_start": "yesterday", "currency": "GBP",
         "team": "everyone"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert set(response.json()) == {"name", "employees", "contract_start", "currency", "team"}


def test_renewal_before_contract_start_is_refused(api_as, kam_user):
    response = api_as(kam_user).post(
        URL,
        {"name": "Nova", "contract_start": "2026-05-01", "renewal_date": "2026-04-01"},
        format="json",
    )
    assert response.status_code == 400
    assert "renewal_date" in response.json()


def test_update_with_the_version_read_saves_and_bumps_it(api_as, team_member, account):
    response = api_as(team_member).patch(
        f"{URL}{account.pk}/", {"name": "Acme Group", "version": account.version}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "Acme Group"
    assert response.json()["version"] == account.version + 1


def test_a_stale_version_is_409_and_writes_nothing(api_as, kam_user, account):
    client = api_as(kam_user)
    first = client.patch(f"{URL}{account.pk}/", {"needs": "Uptime", "version": 1}, format="json")
    assert first.status_code == 200
    second = client.patch(f"{URL}{account.pk}/", {"needs": "Price", "version": 1}, format="json")
    assert second.status_code == 409
    assert second.json()["current_version"] == 2
    assert "version" in second.json()["detail"]
    assert Account.objects.get(pk=account.pk).needs == "Uptime"


def test_update_without_a_version_is_400(api_as, kam_user, account):
    response = api_as(kam_user).patch(f"{URL}{account.pk}/", {"name": "X"}, format="json")
    assert response.status_code == 400
    assert "version" in response.json()


def test_kam_cannot_hand_the_account_over(api_as, kam_user, team_member, account):
    response = api_as(kam_user).patch(
        f"{URL}{account.pk}/", {"owner": team_member.pk, "version": 1}, format="json"
    )
    # Theirs to see and edit, not to hand over: 403 with the reason on the field.
    assert response.status_code == 403
    assert "owner" in response.json()
    assert Account.objects.get(pk=account.pk).owner_id == kam_user.pk


def test_parent_must_be_an_account_the_caller_sees(api_as, kam_user, account, other_book):
    response = api_as(kam_user).patch(
        f"{URL}{account.pk}/", {"parent": other_book.pk, "version": 1}, format="json"
    )
    assert response.status_code == 400
    assert "parent" in response.json()


def test_put_and_delete_are_not_offered(api_as, kam_user, account):
    client = api_as(kam_user)
    assert client.put(f"{URL}{account.pk}/", {}, format="json").status_code == 405
    assert client.delete(f"{URL}{account.pk}/").status_code == 405


def test_datetime_filters_take_any_offset_python_parses(api_as, leader, account):
    # PostgreSQL refuses offsets past ±15:59; the filter compares in UTC instead.
    client = api_as(leader)
    response = client.get(URL, {"updated_since": "0717-06-07T20:33:00+23:37"})
    assert response.status_code == 200
    assert names(response) == ["Acme Industrial"]
    response = client.get(URL, {"updated_since": "0001-01-01T00:00:00+23:00"})
    assert response.status_code == 400
    assert "updated_since" in response.json()


def test_session_writes_need_the_csrf_token(kam_user, account):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(kam_user)
    data = {"name": "Acme Group", "version": account.version}
    url = f"{URL}{account.pk}/"
    refused = client.patch(url, data, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    client.get("/")  # the page sets the CSRF cookie, as the docs page does
    token = client.cookies["csrftoken"].value
    saved = client.patch(url, data, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert saved.status_code == 200
