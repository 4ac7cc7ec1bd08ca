"""The people pickers (kam/people.py): the search answers a scope's people for the user who
asks, the forms accept exactly those people, and a page draws only the people chosen."""

import importlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.forms import AccountFilterForm
from kam.models import Role
from kam.people import SEARCH_LIMIT, people_in_scope
from tests.database import plan_without
from tests.factories import AccountFactory, UserFactory


def _search(client, scope: str, text: str = "", status: int = 200):
    response = client.get(reverse("people_search", args=[scope]), {"q": text})
    assert response.status_code == status, response.content
    return response.json() if status == 200 else None


def _names(found) -> list[str]:
    return [row["text"] for row in found["results"]]


@pytest.mark.django_db
def test_the_search_matches_every_word_of_the_name_or_the_email_ignoring_case_and_accents(
    client_for, leader
):
    UserFactory(full_name="João Araújo", email="jaraujo@example.com")
    UserFactory(full_name="Joana Silva", email="joana@example.com")
    UserFactory(full_name="Pedro Alves", email="pedro.alves@example.com")
    client = client_for(leader)
    assert _names(_search(client, "kams", "joao ARAU")) == ["João Araújo"]
    assert _names(_search(client, "kams", "jo")) == ["Joana Silva", "João Araújo"]
    assert _names(_search(client, "kams", "pedro.alves@")) == ["Pedro Alves"]
    assert _search(client, "kams", "nobody")["results"] == []


@pytest.mark.django_db
def test_the_search_answers_the_first_people_by_name_and_says_there_are_more(
    client_for, leader, django_assert_max_num_queries
):
    for number in range(SEARCH_LIMIT + 5):
        UserFactory(
            full_name=f"KAM {number:03d}", email=f"kam{number:03d}@example.com", role=Role.KAM
        )
    client = client_for(leader)
    client.get(reverse("people_search", args=["kams"]))  # the session is read once
    with django_assert_max_num_queries(3):  # session, user, the people
        found = _search(client, "kams")
    assert len(found["results"]) == SEARCH_LIMIT
    assert found["more"] is True
    assert _names(found) == sorted(_names(found))
    assert _names(found)[0] == "KAM 000"
    narrowed = _search(client, "kams", "KAM 05")
    assert _names(narrowed) == ["KAM 005"] + [f"KAM {n:03d}" for n in range(50, 55)]
    assert narrowed["more"] is False


@pytest.mark.django_db
def test_the_kam_scope_offers_active_kams_only(client_for, leader):
    UserFactory(full_name="Ativa Kam", role=Role.KAM)
    UserFactory(full_name="Inativa Kam", role=Role.KAM, is_active=False)
    UserFactory(full_name="Lia Leader", role=Role.LEADER)
    names = _names(_search(client_for(leader), "kams"))
    assert "Ativa Kam" in names
    assert "Inativa Kam" not in names
    assert "Lia Leader" not in names


@pytest.mark.django_db
def test_an_outsider_finds_no_owner_of_an_account_they_do_not_see(
    client_for, account, kam_user, outsider, leader
):
    AccountFactory(owner=outsider, name="Outsider's own")
    assert _names(_search(client_for(outsider), "owners")) == [str(outsider)]
    assert _search(client_for(outsider), "owners", "olivia")["results"] == []
    assert set(_names(_search(client_for(leader), "owners"))) == {str(kam_user), str(outsider)}


@pytest.mark.django_db
def test_everyone_including_who_left_is_for_admins_only(client_for, admin_user, leader):
    UserFactory(full_name="Gone Person", is_active=False)
    assert "Gone Person" in _names(_search(client_for(admin_user), "everyone", "gone"))
    _search(client_for(leader), "everyone", status=403)
    assert not people_in_scope("everyone", leader).exists()


@pytest.mark.django_db
def test_an_unknown_scope_is_not_found_and_anonymous_is_sent_to_sign_in(client, client_for, leader):
    _search(client_for(leader), "nobody", status=404)
    client.logout()
    response = client.get(reverse("people_search", args=["kams"]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_the_owner_filter_accepts_only_an_owner_the_user_sees(account, kam_user, outsider):
    mine = AccountFilterForm({"owner": str(kam_user.pk)}, user=kam_user, industries=[])
    assert mine.is_valid()
    assert mine.list_filters()["owner_id"] == kam_user.pk
    theirs = AccountFilterForm({"owner": str(kam_user.pk)}, user=outsider, industries=[])
    assert not theirs.is_valid()
    assert theirs.invalid_labels() == ["Owner"]
    assert theirs.list_filters()["owner_id"] is None


@pytest.mark.django_db
def test_the_accounts_list_draws_only_the_owner_chosen(client_for, leader):
    owners = [UserFactory(full_name=f"Owner {n:02d}", role=Role.KAM) for n in range(30)]
    for owner in owners:
        AccountFactory(owner=owner)
    client = client_for(leader)
    page = client.get(reverse("account_list")).content.decode()
    assert "</option>" in page
    assert "Owner 07</option>" not in page  # neither in the filter nor in the reassignment
    assert f'data-people="{reverse("people_search", args=["owners"])}"' in page
    assert f'data-people="{reverse("people_search", args=["kams"])}"' in page
    chosen = client.get(reverse("account_list"), {"owner": owners[7].pk}).content.decode()
    assert f'<option value="{owners[7].pk}" selected>Owner 07</option>' in chosen
    assert "Owner 08</option>" not in chosen


@pytest.mark.django_db
def test_the_dashboard_filters_by_an_owner_it_does_not_list(client_for, leader, kam_user, account):
    client = client_for(leader)
    response = client.get(reverse("portfolio"), {"owner": kam_user.pk})
    page = response.content.decode()
    assert f'<option value="{kam_user.pk}" selected>{kam_user}</option>' in page
    assert "Showing the whole portfolio instead." not in page
    refused = client_for(UserFactory(role=Role.KAM)).get(
        reverse("portfolio"), {"owner": kam_user.pk}
    )
    assert "Showing the whole portfolio instead." in refused.content.decode()


@pytest.mark.django_db
def test_the_account_form_saves_a_team_chosen_by_the_picker(client_for, account, kam_user):
    joined = UserFactory(full_name="New Teammate", role=Role.KAM)
    gone = UserFactory(full_name="Gone Teammate", is_active=False)
    client = client_for(kam_user)
    url = reverse("account_edit", args=[account.pk])
    page = client.get(url).content.decode()
    assert "New Teammate" not in page
    data = {
        "name": account.name,
        "industry": account.industry,
        "owner": kam_user.pk,
        "status": account.status,
        "currency": account.currency,
        "team": [joined.pk],
        "version": account.version,
    }
    refused = client.post(url, {**data, "team": [gone.pk]})
    assert refused.status_code == 422
    assert "team" in refused.context["form"].errors
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    assert list(account.team.all()) == [joined]
    assert "New Teammate" in client.get(url).content.decode()


@pytest.mark.django_db
def test_a_person_outside_the_scope_is_neither_drawn_nor_named(client_for, account, outsider):
    """A picker names the people chosen from its field's scope only: an id put in the URL or
    posted is not drawn, so its name does not leak (nor is it shown as chosen)."""
    gone = UserFactory(full_name="Gone Admin", role=Role.ADMIN, is_active=False)
    client = client_for(outsider)  # sees no account: owns none, on no team
    for person in (gone, account.owner):
        page = client.get(reverse("account_list"), {"owner": person.pk})
        assert page.context["notices"]  # the filter is refused...
        assert f'value="{person.pk}"' not in page.content.decode()  # ...and not drawn
        assert str(person) not in page.content.decode()
    dashboard = client.get(reverse("portfolio"), {"owner": account.owner.pk}).content.decode()
    assert str(account.owner) not in dashboard


@pytest.mark.django_db
def test_the_account_form_never_reads_the_people_it_could_offer(
    client_for, account, kam_user, leader
):
    for number in range(20):
        UserFactory(full_name=f"Someone {number}", role=Role.KAM)
    url = reverse("account_edit", args=[account.pk])
    for user in (kam_user, leader):  # the owner locked, and open to change
        client = client_for(user)
        with CaptureQueriesContext(connection) as context:
            page = client.get(url).content.decode()
        assert "Someone" not in page
        # The scopes filter on is_active: no statement reads the people of one without naming
        # the ids it wants (the names of the owner and the team, in their scopes).
        whole_scopes = [
            q["sql"]
            for q in context.captured_queries
            if (where := q["sql"].partition('FROM "kam_user" WHERE ')[2])
            and '"kam_user"."is_active"' in where
            and '"kam_user"."id" IN' not in where
        ]
        assert whole_scopes == []


def test_every_filter_of_the_accounts_list_has_a_label_to_name_it_when_refused():
    """A refused parameter is named by its label in the notice ("Ignored because not valid
    here: …"), in the reader's language: none falls back to its raw name."""
    from accounts.forms import AccountFilterForm

    assert [name for name, field in AccountFilterForm.base_fields.items() if not field.label] == []


@pytest.mark.django_db
def test_the_search_reads_the_people_in_name_order_from_their_index(client_for, leader):
    """The search takes the scope's first people by name from user_name_idx and stops there,
    instead of reading and sorting every person of the scope (the leader's owners at 100,000
    accounts: 1,403 of them, bench/README.md). With sorts and sequential scans switched off, an
    index in the order asked for serves the statement, and no Sort is left."""
    for number in range(3):
        AccountFactory(owner=UserFactory(full_name=f"Owner {number}", role=Role.KAM))
    client = client_for(leader)
    client.get(reverse("people_search", args=["owners"]))  # the session is read once
    with CaptureQueriesContext(connection) as queries:
        _search(client, "owners", "own")
    people = next(
        q["sql"] for q in queries if 'FROM "kam_user"' in q["sql"] and "LIMIT 51" in q["sql"]
    )
    plan = plan_without(people, "enable_sort", "enable_seqscan")
    assert "user_name_idx on kam_user" in plan
    assert "Sort" not in plan


@pytest.mark.django_db
def test_without_the_unaccent_extension_the_search_matches_accents_exactly(client_for, leader):
    """The embedded PostgreSQL of `make run` has no `unaccent`: there kam_unaccent is the text
    as it is (migration kam/0009), and the search answers, matching accents exactly, where
    `unaccent()` itself did not exist and every search with a text answered 500."""
    migration = importlib.import_module("kam.migrations.0009_kam_unaccent")
    assert migration.unaccent_installed(connection)  # this database has the extension
    UserFactory(full_name="João Araújo", email="jaraujo@example.com")
    client = client_for(leader)
    assert _names(_search(client, "kams", "joao")) == ["João Araújo"]
    with connection.cursor() as cursor:  # as on a PostgreSQL without it (rolled back after)
        cursor.execute(migration.function_sql(with_unaccent=False))
    assert _search(client, "kams", "joao")["results"] == []
    assert _names(_search(client, "kams", "João")) == ["João Araújo"]
    assert _names(_search(client, "kams", "araú")) == ["João Araújo"]
