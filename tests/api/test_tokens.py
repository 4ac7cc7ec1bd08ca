import re
from datetime import timedelta

import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken, token_digest
from api.services import api_token_create

URL = "/api/v1/accounts/"
SECRET = re.compile(r"kam_[A-Za-z0-9_-]{43}")


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_profile_page_needs_a_login(client):
    response = client.get("/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_user_menu_links_to_the_profile(client_for, kam_user):
    html = client_for(kam_user).get("/").content.decode()
    assert 'href="/profile/"' in html


def test_token_lifecycle_create_see_once_use_revoke(client_for, kam_user, account):
    client = client_for(kam_user)
    page = client.get("/profile/")
    assert page.status_code == 200
    assert "You have no API tokens." in page.content.decode()

    # Create: the secret is in this response, and only its digest is stored.
    created = client.post("/profile/", {"name": "ERP sync"})
    assert created.status_code == 200
    assert created["Cache-Control"] == "no-store"
    secret = SECRET.search(created.content.decode())[0]
    token = ApiToken.objects.get(user=kam_user)
    assert token.name == "ERP sync"
    assert token.digest == token_digest(secret)
    assert secret not in {token.digest, token.prefix}
    assert secret.startswith(token.prefix)
    # Seen once: the list shows the name and the prefix, never the secret again.
    listed = client.get("/profile/").content.decode()
    assert "ERP sync" in listed
    assert f"{token.prefix}…" in listed
    assert secret not in listed

    # Use: the token acts as its user, and records when it was used.
    response = bearer(secret).get(URL)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [account.pk]
    token.refresh_from_db()
    assert token.last_used_at is not None

    # Revoke: the token stops working at once and stays listed as revoked.
    revoked = client.post(f"/profile/tokens/{token.pk}/revoke/")
    assert revoked.status_code == 302
    response = bearer(secret).get(URL)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Revoked" in client.get("/profile/").content.decode()


def test_several_named_tokens_per_user_each_revoked_alone(kam_user, account):
    first, first_secret = api_token_create(user=kam_user, name="BI")
    _second, second_secret = api_token_create(user=kam_user, name="ERP")
    ApiToken.objects.filter(pk=first.pk).update(revoked_at=timezone.now())
    assert bearer(first_secret).get(URL).status_code == 401
    assert bearer(second_secret).get(URL).status_code == 200


def test_a_live_name_cannot_be_reused_but_a_revoked_one_can(client_for, kam_user):
    client = client_for(kam_user)
    token, _secret = api_token_create(user=kam_user, name="BI")
    response = client.post("/profile/", {"name": "bi"})
    assert response.status_code == 422
    assert "already have a token with this name" in response.content.decode()
    client.post(f"/profile/tokens/{token.pk}/revoke/")
    assert client.post("/profile/", {"name": "BI"}).status_code == 200
    assert ApiToken.objects.filter(user=kam_user, name="BI").count() == 2


def test_an_empty_name_is_refused(client_for, kam_user):
    response = client_for(kam_user).post("/profile/", {"name": ""})
    assert response.status_code == 422
    assert not ApiToken.objects.exists()


def test_nobody_revokes_someone_elses_token(client_for, kam_user, outsider):
    token, secret = api_token_create(user=kam_user, name="BI")
    response = client_for(outsider).post(f"/profile/tokens/{token.pk}/revoke/", follow=True)
    assert "does not exist or was already revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
    assert bearer(secret).get(URL).status_code == 200


def test_the_profile_lists_only_my_tokens(client_for, kam_user, outsider):
    api_token_create(user=outsider, name="Oscar's secret tool")
    api_token_create(user=kam_user, name="Mine")
    html = client_for(kam_user).get("/profile/").content.decode()
    assert "Mine" in html
    assert "Oscar" not in html.replace("Olivia Owner", "")


def test_bad_tokens_are_401(kam_user, account):
    _token, secret = api_token_create(user=kam_user, name="BI")
    for header in [f"Bearer {secret}x", "Bearer kam_nope", "Bearer", f"Bearer {secret} extra",
                   "Bearer not-even-ours"]:  # fmt: skip
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        assert client.get(URL).status_code == 401, header


def test_a_deactivated_users_tokens_stop_working(kam_user, account):
    _token, secret = api_token_create(user=kam_user, name="BI")
    kam_user.is_active = False
    kam_user.save()
    assert bearer(secret).get(URL).status_code == 401


def test_last_used_is_written_at_most_every_few_minutes(kam_user, account, now):
    token, secret = api_token_create(user=kam_user, name="BI")
    client = bearer(secret)
    client.get(URL)
    token.refresh_from_db()
    first = token.last_used_at
    with time_machine.travel(now + timedelta(minutes=1), tick=False):
        client.get(URL)
    token.refresh_from_db()
    assert token.last_used_at == first
    with time_machine.travel(now + timedelta(minutes=10), tick=False):
        client.get(URL)
    token.refresh_from_db()
    assert token.last_used_at == now + timedelta(minutes=10)


def test_token_auth_costs_one_query_per_request(kam_user, account, django_assert_num_queries):
    _token, secret = api_token_create(user=kam_user, name="BI")
    client = bearer(secret)
    client.get(URL)  # writes last_used_at
    # 1. the token with its user, 2. accounts, 3. their teams.
    with django_assert_num_queries(3):
        assert client.get(URL).status_code == 200


def test_admin_lists_tokens_and_revokes_a_leaked_one(client_for, admin_user, kam_user, account):
    token, secret = api_token_create(user=kam_user, name="Leaked")
    client = client_for(admin_user)
    page = client.get("/admin/api/apitoken/")
    assert page.status_code == 200
    assert "Leaked" in page.content.decode()
    assert secret not in page.content.decode()
    response = client.post(
        "/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    assert response.status_code == 200
    assert bearer(secret).get(URL).status_code == 401
    assert client.get("/admin/api/apitoken/add/").status_code == 403
