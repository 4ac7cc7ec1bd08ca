"""A new password ends the credentials made with the old one: every live API token and the
calendar feed's secret URL, whichever way the password was set (kam.models.User.save sends
kam.signals.password_changed). A login that only rehashes the same password, or any other save
of the user, keeps them."""

from io import StringIO

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.management.commands import changepassword
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from activities.models import CalendarToken
from activities.services import calendar_token_regenerate
from api.models import ApiToken
from api.services import api_token_create
from kam.models import User

NEW_PASSWORD = "A fresh pass 2026!"


@pytest.fixture
def credentials(kam_user, outsider):
    """kam_user's two API tokens and calendar URL; the outsider's token, which must survive."""
    _token, secret = api_token_create(user=kam_user, name="ERP sync")
    api_token_create(user=kam_user, name="laptop")
    calendar = calendar_token_regenerate(user=kam_user)
    api_token_create(user=outsider, name="theirs")
    return {"secret": secret, "calendar": calendar}


def live(user) -> tuple[int, int]:
    """(live API tokens, live calendar URLs) of `user`."""
    return (
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).count(),
        CalendarToken.objects.filter(user=user, revoked_at__isnull=True).count(),
    )


def api_status(secret: str) -> int:
    return APIClient().get("/api/v1/accounts/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code


def test_set_password_and_save_revokes_them(credentials, kam_user, outsider):
    assert api_status(credentials["secret"]) == 200
    user = User.objects.get(pk=kam_user.pk)
    user.set_password(NEW_PASSWORD)
    user.save()
    assert live(kam_user) == (0, 0)
    assert live(outsider) == (1, 0)
    assert api_status(credentials["secret"]) == 401
    feed = reverse("calendar_feed", args=[credentials["calendar"].token])
    assert APIClient().get(feed).status_code == 404


def test_the_password_reset_link_revokes_them(client, credentials, kam_user):
    client.post(reverse("password_reset"), {"email": kam_user.email})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password-reset/" in line)
    form_page = client.get(link.split("testserver", 1)[1], follow=True)
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert live(kam_user) == (0, 0)


def test_an_admin_setting_the_password_revokes_them(client_for, admin_user, credentials, kam_user):
    url = reverse("admin:auth_user_password_change", args=[kam_user.pk])
    response = client_for(admin_user).post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert live(kam_user) == (0, 0)


def test_an_admin_disabling_the_password_revokes_them(
    client_for, admin_user, credentials, kam_user
):
    url = reverse("admin:auth_user_password_change", args=[kam_user.pk])
    response = client_for(admin_user).post(
        url, {"usable_password": "false", "unset-password": "Disable password-based authentication"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    kam_user.refresh_from_db()
    assert not kam_user.has_usable_password()
    assert live(kam_user) == (0, 0)


def test_the_changepassword_command_revokes_them(monkeypatch, credentials, kam_user):
    monkeypatch.setattr(changepassword.Command, "_get_pass", lambda self, prompt=None: NEW_PASSWORD)
    call_command("changepassword", kam_user.email, stdout=StringIO())
    assert User.objects.get(pk=kam_user.pk).check_password(NEW_PASSWORD)
    assert live(kam_user) == (0, 0)


def test_a_login_that_rehashes_the_same_password_keeps_them(settings, credentials, kam_user):
    """Django rehashes an old-style hash at login (a hasher upgrade): not a new password."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.ScryptPasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    User.objects.filter(pk=kam_user.pk).update(password=make_password("old pass", hasher="md5"))
    user = User.objects.get(pk=kam_user.pk)
    assert user.check_password("old pass")
    assert User.objects.get(pk=kam_user.pk).password.startswith("scrypt$")  # it was upgraded
    assert live(kam_user) == (2, 1)


def test_other_saves_of_the_user_keep_them(client_for, credentials, kam_user):
    client_for(kam_user).post(reverse("set_language"), {"language": "pt-br", "next": "/"})
    user = User.objects.get(pk=kam_user.pk)
    user.full_name = "Olivia Renamed"
    user.save()
    user.set_password(NEW_PASSWORD)
    user.save(update_fields=["full_name"])  # the new password is not saved: nothing changed
    assert live(kam_user) == (2, 1)


def test_a_new_user_sends_nothing(django_assert_num_queries):
    # The INSERT alone: no revocation queries for a user who cannot have tokens yet.
    with django_assert_num_queries(1):
        User.objects.create_user("new@example.com", NEW_PASSWORD, full_name="New Person")
