"""Agreed items through the API: a plan's actions are commitments (source "plan") at
/api/v1/commitments/: added with `plan`, changed with the `version` read (a new due date needs a
`reason`), cancelled with a reason, and their history read back. An outsider finds none of it."""

import pytest
from django.apps import apps

from activities.models import Commitment
from plans.models import PlanChange

URL = "/api/v1/commitments/"


def item_url(item, suffix: str = "") -> str:
    return f"{URL}{item.pk}/{suffix}"


def rows() -> dict[str, list[dict]]:
    """Every row of the apps an agreed item touches (its history, the plan's history, the
    timeline), to show that a refused request wrote nothing."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for app in ("accounts", "activities", "plans")
        for model in apps.get_app_config(app).get_models(include_auto_created=True)
    }


def test_a_plan_action_is_added_as_an_agreed_item_with_its_plan(api_as, kam_user, book, now):
    client = api_as(kam_user)
    response = client.post(
        URL,
        {"account": book.account.pk, "plan": book.plan.pk, "risk": book.risk.pk,
         "title": "Call the sponsor", "due_date": "2026-04-15", "owner_user": kam_user.pk},
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["source"], body["plan"], body["risk"], body["objective"]) == (
        "plan", book.plan.pk, book.risk.pk, None,
    )  # fmt: skip
    assert body["owner_user"]["id"] == kam_user.pk
    assert body["version"] == 1
    action = Commitment.objects.get(pk=body["id"])
    assert action in book.plan.actions.all()
    assert action.account == book.account
    # Written through plans.services: on the plan's history too.
    change = PlanChange.objects.filter(plan=book.plan, entity="action").latest("pk")
    assert (change.verb, change.label) == ("created", "Call the sponsor")
    # The plan lists it among its actions; the plan filter finds it.
    plan = client.get(f"/api/v1/plans/{book.plan.pk}/").json()
    assert set(plan["actions"]) == {book.action.pk, action.pk}
    listed = client.get(URL, {"plan": book.plan.pk}).json()["results"]
    assert {row["id"] for row in listed} == {book.action.pk, action.pk}
    assert [event["verb"] for event in client.get(item_url(action, "history/")).json()] == [
        "created"
    ]


def test_a_plan_action_is_owned_by_one_of_us_in_the_plans_account(
    api_as, kam_user, book, other_book, now
):
    client = api_as(kam_user)
    before = rows()
    base = {"account": book.account.pk, "plan": book.plan.pk, "title": "X",
            "due_date": "2026-04-15"}  # fmt: skip
    response = client.post(URL, {**base, "owner_stakeholder": book.champion.pk})
    assert response.status_code == 400
    assert "owner_user" in response.json()
    response = client.post(URL, {**base, "owner_user": kam_user.pk, "objective": 10**9})
    assert response.status_code == 400
    assert "objective" in response.json()
    # A row of a plan needs the plan.
    response = client.post(
        URL, {**base, "plan": None, "owner_user": kam_user.pk, "risk": book.risk.pk}
    )
    assert response.status_code == 400
    assert "risk" in response.json()
    assert rows() == before


def test_rescheduling_needs_a_reason_kept_on_the_history(api_as, kam_user, book, now):
    client = api_as(kam_user)
    action = book.action
    before = rows()
    response = client.patch(item_url(action), {"due_date": "2026-05-04", "version": action.version})
    assert response.status_code == 400
    assert "reason" in response.json()
    assert rows() == before  # nothing moved, no history written

    response = client.patch(
        item_url(action),
        {"due_date": "2026-05-04", "reason": "The client moved the workshop",
         "version": action.version},
    )  # fmt: skip
    assert response.status_code == 200, response.json()
    assert response.json()["due_date"] == "2026-05-04"
    assert response.json()["version"] == action.version + 1
    history = client.get(item_url(action, "history/"))
    assert history.status_code == 200
    latest = history.json()[0]
    assert latest["verb"] == "rescheduled"
    assert latest["reason"] == "The client moved the workshop"
    assert latest["actor"]["id"] == kam_user.pk
    assert latest["changes"] == [
        {"field": "due_date", "before": action.due_date.isoformat(), "after": "2026-05-04"}
    ]
    # A plan action: the plan's history records the move as well.
    change = PlanChange.objects.filter(plan=book.plan, entity="action").latest("pk")
    assert change.verb == "updated"
    assert [item["field"] for item in change.changes] == ["due_date"]


def test_an_edit_that_keeps_the_date_needs_no_reason(api_as, kam_user, book, now):
    """A PATCH of the title alone (the saved owner kept): checked as the row would be saved."""
    client = api_as(kam_user)
    for item in (book.action, book.commitment):
        response = client.patch(item_url(item), {"title": "Renamed", "version": item.version})
        assert response.status_code == 200, response.json()
        assert response.json()["title"] == "Renamed"
        assert client.get(item_url(item, "history/")).json()[0]["verb"] == "edited"


def test_reassigning_a_commitment_to_the_client_and_back(api_as, kam_user, book, now):
    client = api_as(kam_user)
    item = book.commitment
    response = client.patch(item_url(item), {"owner_stakeholder": book.buyer.pk, "version": 1})
    assert response.status_code == 200, response.json()
    assert (response.json()["owner_user"], response.json()["owner_stakeholder"]) == (
        None, book.buyer.pk,
    )  # fmt: skip
    response = client.patch(item_url(item), {"owner_user": kam_user.pk, "version": 2})
    assert response.status_code == 200, response.json()
    assert response.json()["owner_stakeholder"] is None
    verbs = [event["verb"] for event in client.get(item_url(item, "history/")).json()]
    assert verbs == ["reassigned", "reassigned", "created"]


def test_a_plan_action_cannot_be_handed_to_the_client(api_as, kam_user, book, now):
    client = api_as(kam_user)
    before = rows()
    response = client.patch(
        item_url(book.action), {"owner_stakeholder": book.buyer.pk, "version": 1}
    )
    assert response.status_code == 400
    assert "owner_stakeholder" in response.json()
    response = client.patch(item_url(book.action), {"owner_user": None, "version": 1})
    assert response.status_code == 400
    assert "owner_user" in response.json()
    assert rows() == before


def test_cancelling_needs_a_reason(api_as, kam_user, book, now):
    client = api_as(kam_user)
    before = rows()
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": 5}):
        response = client.post(item_url(book.action, "cancel/"), body)
        assert response.status_code == 400, body
        assert "reason" in response.json()
    assert rows() == before
    response = client.post(item_url(book.action, "cancel/"), {"reason": "Budget cut"})
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    latest = client.get(item_url(book.action, "history/")).json()[0]
    assert (latest["verb"], latest["reason"]) == ("cancelled", "Budget cut")
    # Reopened with a reason of its own.
    response = client.post(item_url(book.action, "reopen/"), {"reason": "Budget back"})
    assert response.json()["status"] == "open"
    latest = client.get(item_url(book.action, "history/")).json()[0]
    assert (latest["verb"], latest["reason"]) == ("reopened", "Budget back")


def test_a_stale_version_is_a_409_and_writes_nothing(api_as, kam_user, team_member, book, now):
    action = book.action
    saved = api_as(team_member).patch(
        item_url(action), {"title": "Workshop on site", "version": action.version}
    )
    assert saved.status_code == 200
    before = rows()
    stale = api_as(kam_user).patch(
        item_url(action),
        {"due_date": "2026-06-01", "reason": "Later", "version": action.version},
    )
    assert stale.status_code == 409
    assert stale.json()["current_version"] == action.version + 1
    assert rows() == before
    action.refresh_from_db()
    assert (action.title, action.due_date.isoformat()) != ("Workshop", "2026-06-01")


def test_a_missing_version_is_a_400(api_as, kam_user, book, now):
    response = api_as(kam_user).patch(item_url(book.action), {"title": "No version"})
    assert response.status_code == 400
    assert "version" in response.json()


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("get", "history/", None),
        ("patch", "", {"title": "Mine", "version": 1}),
        ("patch", "", {"due_date": "2026-06-01", "reason": "Mine", "version": 1}),
        ("post", "cancel/", {"reason": "Mine"}),
        ("post", "complete/", None),
        ("post", "reopen/", {"reason": "Mine"}),
    ],
)
def test_an_outsider_gets_404_on_a_plan_action(api_as, outsider, book, method, suffix, body, now):
    before = rows()
    response = getattr(api_as(outsider), method)(item_url(book.action, suffix), body)
    assert response.status_code == 404, response.content
    assert rows() == before


def test_an_outsider_cannot_add_an_action_to_a_plan_they_do_not_see(api_as, outsider, book, now):
    before = rows()
    response = api_as(outsider).post(
        URL,
        {"account": book.account.pk, "plan": book.plan.pk, "title": "Mine",
         "due_date": "2026-04-15", "owner_user": outsider.pk},
    )  # fmt: skip
    assert response.status_code == 400
    assert {"account", "plan"} <= set(response.json())
    assert rows() == before
    assert book.action.pk not in {row["id"] for row in api_as(outsider).get(URL).json()["results"]}
