from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import TimelineEntry
from activities.models import Commitment, Interaction
from activities.services import interaction_log
from kam.models import Role
from tests.factories import AccountFactory, StakeholderFactory, UserFactory

URL = "/api/v1/interactions/"


@pytest.fixture
def people(account):
    """Two active stakeholders of the account and one who left."""
    champion = StakeholderFactory(account=account, name="Carla Champion", buying_role="champion")
    buyer = StakeholderFactory(account=account, name="Bruno Buyer")
    gone = StakeholderFactory(account=account, name="Gone Person", left_on="2026-01-10")
    return champion, buyer, gone


def payload(account, **extra):
    return {
        "account": account.pk,
        "kind": "call",
        "occurred_at": "2026-03-09T14:00:00-03:00",
        "summary": "Renewal call",
        "sentiment": 1,
        "category": "value_plan",
        **extra,
    }


def test_post_logs_the_interaction_with_next_steps_as_commitments(
    api_as, team_member, kam_user, account, people, now
):
    champion, buyer, _gone = people
    response = api_as(team_member).post(
        URL,
        payload(
            account,
            stakeholders=[champion.pk, buyer.pk],
            notes="Asked for a discount",
            next_steps=[
                {
                    "title": "Send revised quote",
                    "due_date": "2026-03-12",
                    "owner_user": kam_user.pk,
                },
                {
                    "title": "Confirm budget",
                    "due_date": "2026-03-20",
                    "owner_stakeholder": buyer.pk,
                },
            ],
        ),
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    interaction = Interaction.objects.get(pk=body["id"])
    assert interaction.logged_by == team_member
    assert interaction.category == "value_plan"
    assert sorted(body["stakeholders"]) == sorted([champion.pk, buyer.pk])
    assert body["logged_by"]["id"] == team_member.pk
    commitments = Commitment.objects.filter(source_interaction=interaction).order_by("due_date")
    assert [(c.title, c.owner_user, c.owner_stakeholder) for c in commitments] == [
        ("Send revised quote", kam_user, None),
        ("Confirm budget", None, buyer),
    ]
    assert sorted(body["commitments"]) == sorted(c.pk for c in commitments)
    # The same side effects as the quick log: timeline, last touch on account and people.
    assert TimelineEntry.objects.filter(interaction=interaction).count() == 1
    assert TimelineEntry.objects.filter(commitment__in=commitments).count() == 2
    account.refresh_from_db()
    champion.refresh_from_db()
    assert account.last_touch_at == interaction.occurred_at
    assert champion.last_interaction_at == interaction.occurred_at


def test_next_step_errors_land_on_the_row_and_nothing_is_written(
    api_as, kam_user, outsider, account, people, now
):
    _champion, _buyer, _gone = people
    response = api_as(kam_user).post(
        URL,
        payload(
            account,
            next_steps=[
                {"title": "Fine", "due_date": "2026-03-12", "owner_user": kam_user.pk},
                {"title": "Too early", "due_date": "2026-03-01", "owner_user": kam_user.pk},
            ],
        ),
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "next_steps": {"1": {"due_date": ["The due date cannot be before the interaction."]}}
    }
    response = api_as(kam_user).post(
        URL,
        payload(
            account,
            next_steps=[{"title": "Theirs", "due_date": "2026-03-12", "owner_user": outsider.pk}],
        ),
        format="json",
    )
    assert response.status_code == 400
    assert "not on this account's team" in response.json()["next_steps"]["0"]["owner"][0]
    assert not Interaction.objects.exists()
    assert not Commitment.objects.exists()


def test_a_next_step_needs_exactly_one_owner_and_its_fields(api_as, kam_user, account, people):
    _champion, buyer, _gone = people
    response = api_as(kam_user).post(
        URL,
        payload(
            account,
            next_steps=[
                {"title": "Both", "due_date": "2026-03-12", "owner_user": kam_user.pk,
                 "owner_stakeholder": buyer.pk},
                {"title": "", "due_date": "soon"},
            ],
        ),
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    rows = response.json()["next_steps"]
    assert set(rows["0"]) == {"owner_user"}
    assert set(rows["1"]) == {"title", "due_date"}


def test_a_next_step_owned_by_someone_who_left_is_refused(api_as, kam_user, account, people):
    _champion, _buyer, gone = people
    response = api_as(kam_user).post(
        URL,
        payload(
            account,
            next_steps=[{"title": "Call", "due_date": "2026-03-12", "owner_stakeholder": gone.pk}],
        ),
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "next_steps": {"0": {"owner_stakeholder": ["Gone Person has left the company."]}}
    }


def test_stakeholders_must_be_active_people_of_the_account(
    api_as, kam_user, account, people, other_book
):
    _champion, _buyer, gone = people
    stranger = other_book.stakeholders.get()
    client = api_as(kam_user)
    response = client.post(URL, payload(account, stakeholders=[gone.pk]), format="json")
    assert response.status_code == 400
    assert "Gone Person" in response.json()["stakeholders"][0]
    # Someone on an account the caller cannot see does not exist for them.
    response = client.post(URL, payload(account, stakeholders=[stranger.pk]), format="json")
    assert response.status_code == 400
    assert "does not exist" in response.json()["stakeholders"][0]
    assert not Interaction.objects.exists()


def test_outsider_cannot_log_on_an_account_they_do_not_see(api_as, outsider, account):
    response = api_as(outsider).post(URL, payload(account), format="json")
    assert response.status_code == 400
    assert "does not exist" in response.json()["account"][0]
    assert not Interaction.objects.exists()


def test_wrong_types_are_400_with_field_errors(api_as, kam_user, account):
    response = api_as(kam_user).post(
        URL,
        {"account": "acme", "kind": "fax", "occurred_at": 12, "summary": None, "sentiment": 9,
         "stakeholders": "all", "next_steps": {"title": "x"}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert set(response.json()) == {
        "account", "kind", "occurred_at", "summary", "sentiment", "stakeholders", "next_steps",
    }  # fmt: skip


def test_more_than_ten_next_steps_is_refused(api_as, kam_user, account, now):
    steps = [{"title": f"Step {n}", "due_date": "2026-03-20", "owner_user": kam_user.pk}
             for n in range(11)]  # fmt: skip
    response = api_as(kam_user).post(URL, payload(account, next_steps=steps), format="json")
    assert response.status_code == 400
    assert "next_steps" in response.json()


def test_a_far_future_interaction_is_refused(api_as, kam_user, account, now):
    response = api_as(kam_user).post(
        URL, payload(account, occurred_at="2026-04-01T10:00:00Z"), format="json"
    )
    assert response.status_code == 400
    assert "future" in response.json()["occurred_at"][0]


def test_anonymous_cannot_post(api, account):
    assert api.post(URL, payload(account), format="json").status_code == 401


def _grow(owner, outsider, count: int) -> None:
    colleague = UserFactory(role=Role.KAM)
    for index in range(count):
        account = AccountFactory(owner=owner)
        account.team.add(colleague)
        person = StakeholderFactory(account=account)
        interaction_log(
            account=account,
            actor=owner,
            kind="meeting",
            occurred_at=timezone.now() - timedelta(days=index + 1),
            summary=f"Meeting {index}",
            stakeholders=[person],
        )
        theirs = AccountFactory(owner=outsider)
        interaction_log(
            account=theirs, actor=outsider, kind="call", occurred_at=timezone.now(), summary="x"
        )


def test_list_query_count_and_filters(api_as, kam_user, outsider, django_assert_num_queries, now):
    client = api_as(kam_user)
    _grow(kam_user, outsider, 2)
    # 1. interactions with who logged them, 2. their stakeholders, 3. their commitments.
    with django_assert_num_queries(3):
        assert len(client.get(URL).json()["results"]) == 2
    _grow(kam_user, outsider, 5)
    with django_assert_num_queries(3):
        rows = client.get(URL).json()["results"]
    assert len(rows) == 7
    assert [row["summary"] for row in rows[:2]] == ["Meeting 0", "Meeting 0"]
    assert len(client.get(URL, {"kind": "call"}).json()["results"]) == 0
    first = rows[0]["account"]
    assert {r["account"] for r in client.get(URL, {"account": first}).json()["results"]} == {first}


def test_a_summary_over_300_characters_is_refused_naming_the_field_not_cut(
    api_as, kam_user, account, now
):
    """Issue 16: nothing cuts a summary silently. The web form moves the rest to the notes; the
    API, whose caller cannot be told, refuses it."""
    response = api_as(kam_user).post(URL, payload(account, summary="x" * 301), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["summary"]
    assert "300" in response.json()["summary"][0]
    assert not Interaction.objects.exists()
