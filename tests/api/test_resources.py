"""Every resource besides accounts and interactions: personas, reads, writes through the
services, and a list query count that does not grow with the rows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from activities.models import QBR, Commitment
from insights.portfolio_slices import portfolio_slices_refresh
from kam.dates import business_date
from plans.models import AccountPlan, Objective, PlanChange
from tests.api.conftest import build_book, score
from tests.factories import AccountFactory

PERSONAS_WHO_SEE = ["kam_user", "team_member", "leader", "admin_user"]


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


# --- reads by persona, for every list ---------------------------------------------------------

LISTS = {
    "/api/v1/stakeholders/": lambda book: {book.champion.pk, book.buyer.pk},
    # Agreed items of every source: the interaction's next steps and the plan's action.
    "/api/v1/commitments/": lambda book: set(book.account.commitments.values_list("pk", flat=True)),
    "/api/v1/commitments/?source=plan": lambda book: {book.action.pk},
    "/api/v1/qbrs/": lambda book: {book.qbr.pk, book.held_qbr.pk},
    "/api/v1/plans/": lambda book: {book.plan.pk},
    "/api/v1/objectives/": lambda book: {book.objective.pk},
    "/api/v1/opportunities/": lambda book: {book.opportunity.pk},
    "/api/v1/risks/": lambda book: {book.risk.pk},
    "/api/v1/health-scores/": lambda book: set(
        book.account.health_scores.values_list("pk", flat=True)
    ),
    "/api/v1/tier-changes/": lambda book: set(
        book.account.tier_changes.values_list("pk", flat=True)
    ),
}


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("persona", PERSONAS_WHO_SEE)
def test_people_on_the_account_and_leaders_see_its_rows(request, api_as, book, url, persona):
    expected = LISTS[url](book)
    assert expected, "the book must hold rows of every kind"
    assert set(ids(api_as(request.getfixturevalue(persona)).get(url))) == expected


@pytest.mark.parametrize("url", LISTS)
def test_outsider_lists_none_of_them(api_as, outsider, book, url):
    assert ids(api_as(outsider).get(url)) == []


@pytest.mark.parametrize("url", [*LISTS, "/api/v1/portfolio/summary/"])
def test_anonymous_gets_401(api, book, url):
    assert api.get(url).status_code == 401


def test_the_actions_resource_is_gone_plan_actions_are_agreed_items(api_as, kam_user, book):
    """A plan's actions are agreed items: /api/v1/commitments/ (source "plan")."""
    client = api_as(kam_user)
    assert client.get("/api/v1/actions/").status_code == 404
    assert client.get(f"/api/v1/actions/{book.action.pk}/").status_code == 404
    assert ids(client.get("/api/v1/commitments/", {"plan": book.plan.pk})) == [book.action.pk]
    item = client.get(f"/api/v1/commitments/{book.action.pk}/").json()
    assert (item["source"], item["plan"], item["objective"]) == (
        "plan", book.plan.pk, book.objective.pk,
    )  # fmt: skip


# --- query counts -----------------------------------------------------------------------------

# Per list: the queries of one page, named. They must not change when the data triples.
QUERIES = {
    "/api/v1/stakeholders/": 1,  # stakeholders
    "/api/v1/commitments/": 1,  # commitments with their owner
    "/api/v1/commitments/?source=plan": 1,  # plan actions with their owner
    "/api/v1/qbrs/": 3,  # QBRs, their attendees, their client attendees
    "/api/v1/plans/": 1,  # plans
    "/api/v1/objectives/": 1,  # objectives
    "/api/v1/opportunities/": 1,  # opportunities
    "/api/v1/risks/": 1,  # risks
    "/api/v1/health-scores/": 1,  # scores with their configuration version
    "/api/v1/tier-changes/": 1,  # changes with both tiers and who changed
}


def test_every_list_is_pinned():
    assert set(QUERIES) == set(LISTS)


def _grow(owner, count: int) -> None:
    today = business_date()
    for _index in range(count):
        build_book(AccountFactory(owner=owner), owner, today)
    score(today)


@pytest.mark.parametrize("url", QUERIES)
def test_list_query_count_does_not_grow(api_as, kam_user, url, django_assert_num_queries, now):
    client = api_as(kam_user)
    _grow(kam_user, 1)
    with django_assert_num_queries(QUERIES[url]):
        small = len(ids(client.get(url)))
    _grow(kam_user, 2)
    with django_assert_num_queries(QUERIES[url]):
        large = len(ids(client.get(url)))
    assert large == 3 * small > 0


def test_plan_detail_nests_its_rows_in_a_fixed_number_of_queries(
    api_as, kam_user, book, django_assert_num_queries
):
    # 1. the plan, 2. objectives, 3. opportunities, 4. risks, 5. actions (agreed items: their
    # ids, the items themselves at /api/v1/commitments/?plan=).
    with django_assert_num_queries(5):
        body = api_as(kam_user).get(f"/api/v1/plans/{book.plan.pk}/").json()
    assert [row["id"] for row in body["objectives"]] == [book.objective.pk]
    assert [row["id"] for row in body["opportunities"]] == [book.opportunity.pk]
    assert [row["id"] for row in body["risks"]] == [book.risk.pk]
    assert body["actions"] == [book.action.pk]


# --- stakeholders -----------------------------------------------------------------------------


def test_stakeholder_create_and_update_go_through_the_service(api_as, kam_user, book):
    client = api_as(kam_user)
    response = client.post(
        "/api/v1/stakeholders/",
        {"account": book.account.pk, "name": "Dora Decider", "buying_role": "decision_maker",
         "influence": 5, "reports_to": book.champion.pk},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    person = response.json()
    assert person["is_active"] is True
    # The service's timeline entry shows it was the service.
    assert book.account.timeline.filter(
        kind="stakeholder_joined", stakeholder=person["id"]
    ).exists()
    response = client.patch(
        f"/api/v1/stakeholders/{person['id']}/", {"left_on": "2026-03-01"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert book.account.timeline.filter(kind="stakeholder_left", stakeholder=person["id"]).exists()


def test_stakeholder_rules_and_types(api_as, kam_user, book):
    client = api_as(kam_user)
    url = f"/api/v1/stakeholders/{book.champion.pk}/"
    response = client.patch(url, {"reports_to": book.champion.pk}, format="json")
    assert response.status_code == 400
    assert "reports_to" in response.json()
    response = client.patch(url, {"influence": 9, "email": "nope", "left_on": "2030-01-01"})
    assert response.status_code == 400
    assert set(response.json()) == {"influence", "email"}
    response = client.patch(url, {"left_on": "2030-01-01"}, format="json")
    assert "future" in response.json()["left_on"][0]


# --- commitments ------------------------------------------------------------------------------


def test_commitment_create_and_transitions(api_as, team_member, book, now):
    client = api_as(team_member)
    response = client.post(
        "/api/v1/commitments/",
        {"account": book.account.pk, "title": "Send the deck", "due_date": "2026-03-15",
         "owner_stakeholder": book.champion.pk},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert response.json()["owner_stakeholder"] == book.champion.pk
    done = client.post(f"/api/v1/commitments/{pk}/complete/")
    assert done.status_code == 200
    assert done.json()["status"] == "done"
    assert client.post(f"/api/v1/commitments/{pk}/reopen/").json()["status"] == "open"
    # Cancelling needs a reason (kept on the item's history).
    assert client.post(f"/api/v1/commitments/{pk}/cancel/").status_code == 400
    cancelled = client.post(f"/api/v1/commitments/{pk}/cancel/", {"reason": "Not needed"})
    assert cancelled.json()["status"] == "cancelled"
    history = client.get(f"/api/v1/commitments/{pk}/history/").json()
    assert [event["verb"] for event in history] == ["cancelled", "reopened", "completed", "created"]
    assert history[0]["reason"] == "Not needed"


def test_commitment_owner_must_be_on_the_team(api_as, kam_user, outsider, book):
    response = api_as(kam_user).post(
        "/api/v1/commitments/",
        {"account": book.account.pk, "title": "X", "due_date": "2026-03-15",
         "owner_user": outsider.pk},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "owner" in response.json()


def test_commitment_filters(api_as, kam_user, book, now):
    Commitment.objects.filter(pk=book.commitment.pk).update(due_date="2026-03-01")
    client = api_as(kam_user)
    assert ids(client.get("/api/v1/commitments/", {"overdue": "true"})) == [book.commitment.pk]
    assert book.commitment.pk not in ids(client.get("/api/v1/commitments/", {"overdue": "false"}))
    assert ids(client.get("/api/v1/commitments/", {"status": "done"})) == []


# --- QBRs -------------------------------------------------------------------------------------


def test_qbr_schedule_hold_with_next_steps_and_cancel(api_as, kam_user, book, now):
    client = api_as(kam_user)
    response = client.post(
        "/api/v1/qbrs/",
        {"account": book.account.pk, "scheduled_on": "2026-03-09", "attendees": [kam_user.pk]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    held = client.post(
        f"/api/v1/qbrs/{pk}/hold/",
        {"held_at": "2026-03-09T15:00:00Z", "rating": 5, "outcome": "Renewal agreed",
         "next_steps": [{"title": "Draft contract", "due_date": "2026-03-20",
                         "owner_user": kam_user.pk}]},
        format="json",
    )  # fmt: skip
    assert held.status_code == 200, held.json()
    assert held.json()["status"] == "held"
    assert Commitment.objects.get(source_qbr=pk).title == "Draft contract"
    again = client.post(f"/api/v1/qbrs/{pk}/hold/", {"held_at": "2026-03-09T15:00:00Z"})
    assert again.status_code == 400
    assert "already" in again.json()["non_field_errors"][0]
    cancelled = client.post(f"/api/v1/qbrs/{book.qbr.pk}/cancel/")
    assert cancelled.json()["status"] == "cancelled"
    assert QBR.objects.get(pk=pk).status == "held"


# --- plans and their rows ---------------------------------------------------------------------


def test_plan_create_update_with_version_and_conflict(api_as, kam_user, book):
    client = api_as(kam_user)
    AccountPlan.objects.filter(pk=book.plan.pk).update(status="archived")
    response = client.post(
        "/api/v1/plans/",
        {"account": book.account.pk, "title": "2027", "period_start": "2027-01-01",
         "period_end": "2027-12-31", "status": "active"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    plan = response.json()
    url = f"/api/v1/plans/{plan['id']}/"
    saved = client.patch(url, {"title": "FY2027", "version": plan["version"]}, format="json")
    assert saved.status_code == 200
    assert saved.json()["version"] == plan["version"] + 1
    stale = client.patch(url, {"title": "Lost", "version": plan["version"]}, format="json")
    assert stale.status_code == 409
    assert stale.json()["current_version"] == plan["version"] + 1
    assert AccountPlan.objects.get(pk=plan["id"]).title == "FY2027"
    assert PlanChange.objects.filter(plan=plan["id"], verb="updated").count() == 1


def test_a_second_active_plan_is_refused(api_as, kam_user, book):
    response = api_as(kam_user).post(
        "/api/v1/plans/",
        {"account": book.account.pk, "title": "Dup", "period_start": "2027-01-01",
         "period_end": "2027-12-31", "status": "active"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "status" in response.json()


def test_plan_row_create_update_conflict_delete(api_as, kam_user, book):
    client = api_as(kam_user)
    response = client.post(
        "/api/v1/objectives/",
        {"plan": book.plan.pk, "description": "Grow share", "metric": "%",
         "baseline": "10", "target": "25"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    row = response.json()
    url = f"/api/v1/objectives/{row['id']}/"
    saved = client.patch(url, {"current_value": "15", "version": row["version"]}, format="json")
    assert saved.status_code == 200
    assert saved.json()["progress_pct"] == 33
    stale = client.patch(url, {"target": "30", "version": row["version"]}, format="json")
    assert stale.status_code == 409
    assert Objective.objects.get(pk=row["id"]).target == Decimal("25")
    assert client.delete(url).status_code == 204
    assert not Objective.objects.filter(pk=row["id"]).exists()


def test_plan_row_rules_come_from_the_services(api_as, kam_user, outsider, book):
    client = api_as(kam_user)
    response = client.post(
        "/api/v1/risks/",
        {"plan": book.plan.pk, "title": "Churn", "owner": outsider.pk, "severity": 4},
        format="json",
    )
    assert response.status_code == 400
    assert "owner" in response.json()
    response = client.post(
        "/api/v1/objectives/",
        {"plan": book.plan.pk, "description": "Flat", "metric": "x", "baseline": "5",
         "target": "5"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "target" in response.json()
    # A plan action (an agreed item) links to one objective, opportunity or risk at most.
    response = client.patch(
        f"/api/v1/commitments/{book.action.pk}/",
        {"risk": book.risk.pk, "version": book.action.version},
        format="json",
    )
    assert response.status_code == 400
    assert "risk" in response.json()


def test_archived_plans_refuse_changes(api_as, kam_user, book):
    client = api_as(kam_user)
    assert client.post(f"/api/v1/plans/{book.plan.pk}/archive/").json()["status"] == "archived"
    response = client.patch(
        f"/api/v1/risks/{book.risk.pk}/", {"severity": 5, "version": 1}, format="json"
    )
    assert response.status_code == 400
    assert "archived" in response.json()["non_field_errors"][0]


# --- health and tiers -------------------------------------------------------------------------


def test_health_score_has_components_with_reasons_in_words(api_as, kam_user, book):
    body = api_as(kam_user).get("/api/v1/health-scores/", {"account": book.account.pk}).json()
    latest = body["results"][0]
    assert latest["day"] == business_date().isoformat()
    assert latest["score"] == book.account.health_score
    assert latest["previous_score"] is not None
    keys = {component["key"] for component in latest["components"]}
    assert {"engagement", "coverage", "risks"} <= keys
    engagement = next(c for c in latest["components"] if c["key"] == "engagement")
    assert engagement["label"] == "Engagement recency"
    assert engagement["reason"]["code"].startswith("engagement_")
    assert "3 days ago" in engagement["reason"]["text"]
    assert latest["config_version"] == 1


def test_health_reasons_follow_the_readers_saved_language(kam_user, book):
    from api.services import api_token_create
    from tests.api.test_tokens import bearer

    kam_user.language = "pt-br"
    kam_user.save()
    _token, secret = api_token_create(user=kam_user, name="BI")
    body = bearer(secret).get("/api/v1/health-scores/", {"account": book.account.pk}).json()
    labels = {c["key"]: c["label"] for c in body["results"][0]["components"]}
    assert labels["engagement"] == "Recência do engajamento"


def test_tier_changes_are_read_only(api_as, leader, book):
    client = api_as(leader)
    change = client.get("/api/v1/tier-changes/").json()["results"][0]
    assert change["source"] == "initial"
    assert change["to_tier"]["key"] == book.account.tier.key
    assert client.post("/api/v1/tier-changes/", {}, format="json").status_code == 405
    assert client.post("/api/v1/health-scores/", {}, format="json").status_code == 405


# --- portfolio summary ------------------------------------------------------------------------


def test_portfolio_summary_covers_what_the_user_sees(api_as, leader, kam_user, outsider, book):
    AccountFactory(owner=outsider, name="Elsewhere")
    mine = api_as(kam_user).get("/api/v1/portfolio/summary/").json()
    everything = api_as(leader).get("/api/v1/portfolio/summary/").json()
    assert mine["accounts"] == 1
    assert everything["accounts"] == 2
    assert Decimal(mine["revenue_12m"]) == Decimal("60000.00")
    assert mine["pareto_classes"]["A"]["accounts"] == 1
    assert sum(row["accounts"] for row in everything["tiers"]) == 2


def test_portfolio_summary_query_count_does_not_grow(
    api_as, leader, kam_user, django_assert_num_queries, now
):
    client = api_as(leader)
    _grow(kam_user, 1)
    # The summary rows brought up to date as beat does every minute (what a read after a write
    # costs is pinned in tests/insights/test_portfolio_slices.py).
    portfolio_slices_refresh()
    # The dashboard's selector (insights.portfolio): 3 for the filter options (owners, tiers,
    # industries and regions), 14 for the figures (rates, configuration, are the summary rows
    # current, the rows, the day the revenue windows are as of, Pareto, trend, at-risk rows,
    # renewals, pipeline and its rows, commitments, load, and the SLA compliance per tier and
    # KAM).
    with django_assert_num_queries(17):
        assert client.get("/api/v1/portfolio/summary/").json()["accounts"] == 1
    _grow(kam_user, 2)
    portfolio_slices_refresh()
    with django_assert_num_queries(17):
        assert client.get("/api/v1/portfolio/summary/").json()["accounts"] == 3


def test_portfolio_summary_filters_and_bad_filters(api_as, leader, kam_user, outsider, book):
    AccountFactory(owner=outsider, name="Elsewhere")
    client = api_as(leader)
    assert client.get("/api/v1/portfolio/summary/", {"owner": outsider.pk}).json()["accounts"] == 1
    response = client.get("/api/v1/portfolio/summary/", {"tier": "gold"})
    assert response.status_code == 400
    assert "filters" in response.json()
    # A KAM cannot narrow to an owner outside what they see.
    response = api_as(kam_user).get("/api/v1/portfolio/summary/", {"owner": outsider.pk})
    assert response.status_code == 400


def test_interaction_in_the_past_week_keeps_the_touch_fresh(api_as, kam_user, book, now):
    """The book's interaction three days ago is the account's last touch."""
    body = api_as(kam_user).get(f"/api/v1/accounts/{book.account.pk}/").json()
    assert body["last_touch_at"].startswith(
        (timezone.localtime(now) - timedelta(days=3)).date().isoformat()
    )
