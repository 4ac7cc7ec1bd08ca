import pytest
from django.core import mail
from django.urls import reverse

from kam.models import Role
from tests.factories import PASSWORD, UserFactory

PAGES = ["my_work", "account_list", "portfolio", "configuration"]


@pytest.mark.parametrize("name", PAGES)
def test_every_page_sends_anonymous_users_to_login(client, db, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def test_login_with_email_and_password_lands_on_my_work(client, kam_user):
    response = client.post(
        reverse("login"), {"username": "OWNER@example.com", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("my_work")
    assert response.context["user"] == kam_user


@pytest.mark.parametrize(
    ("email", "password"),
    [("owner@example.com", "wrong password"), ("nobody@example.com", PASSWORD)],
    ids=["wrong-password", "unknown-email"],
)
def test_bad_login_gets_one_generic_message(client, kam_user, email, password):
    response = client.post(reverse("login"), {"username": email, "password": password})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Email or password is not correct."]
    assert not response.wsgi_request.user.is_authenticated


def test_logout_ends_the_session(client_for, kam_user):
    client = client_for(kam_user)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("my_work")).status_code == 302


def test_password_reset_sends_a_link_that_sets_a_new_password(client, kam_user):
    response = client.post(reverse("password_reset"), {"email": "owner@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password-reset/" in line)
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "A fresh pass 2026!", "new_password2": "A fresh pass 2026!"}
    )
    assert done.status_code == 302
    kam_user.refresh_from_db()
    assert kam_user.check_password("A fresh pass 2026!")


@pytest.mark.parametrize("role", [Role.KAM, Role.LEADER])
def test_configuration_is_forbidden_to_non_admins_with_a_friendly_page(db, client_for, role):
    user = UserFactory(role=role)
    response = client_for(user).get(reverse("configuration"))
    assert response.status_code == 403
    assert "This page is not open to your role" in response.content.decode()


def test_configuration_opens_for_admins_and_nav_shows_it(client_for, admin_user):
    response = client_for(admin_user).get(reverse("configuration"))
    assert response.status_code == 200
    assert reverse("configuration") in response.content.decode()


def test_nav_hides_configuration_from_kams(client_for, kam_user):
    response = client_for(kam_user).get(reverse("my_work"))
    assert reverse("configuration") not in response.content.decode()


@pytest.mark.parametrize(
    ("role", "staff"), [(Role.KAM, False), (Role.LEADER, False), (Role.ADMIN, True)]
)
def test_only_the_admin_role_gets_django_admin(db, client_for, role, staff):
    user = UserFactory(role=role)
    assert user.is_staff is staff
    response = client_for(user).get("/admin/")
    assert (response.status_code == 200) is staff


def test_language_choice_is_saved_and_survives_a_new_login(client, kam_user):
    client.post(reverse("login"), {"username": kam_user.email, "password": PASSWORD})
    client.post(reverse("set_language"), {"language": "pt-br", "next": "/"})
    kam_user.refresh_from_db()
    assert kam_user.language == "pt-br"
    client.post(reverse("logout"))
    client.cookies.clear()
    client.post(reverse("login"), {"username": kam_user.email, "password": PASSWORD})
    page = client.get(reverse("my_work"))
    assert page["Content-Language"] == "pt-br"
    assert "Meu trabalho" in page.content.decode()


def test_set_language_refuses_an_offsite_next_url(client_for, kam_user):
    response = client_for(kam_user).post(
        reverse("set_language"), {"language": "en", "next": "https://evil.example.net/"}
    )
    assert response.url == "/"
