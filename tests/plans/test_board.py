"""The opportunity board (issue 16, point 11): columns by stage whose weighted totals are the
plan's weighted pipeline, moves through the opportunity's update service with the version the
board showed (a stale move changes nothing), access and a query count constant in data size."""

from decimal import Decimal

import pytest
from django.urls import reverse

from plans import services
from plans.models import Opportunity, PlanChange
from plans.selectors import opportunity_board, plan_progress
from tests.plans.factories import AccountPlanFactory


def _opportunity(plan, actor, title, amount, probability, stage="identified", currency="BRL"):
    return services.opportunity_create(
        plan=plan, actor=actor, title=title, amount=Decimal(amount), probability=probability,
        stage=stage, currency=currency, owner=plan.account.owner,
    )  # fmt: skip


@pytest.fixture
def deals(plan, kam_user):
    return [
        _opportunity(plan, kam_user, "Line 3 sensors", "100000", 40, "qualified"),
        _opportunity(plan, kam_user, "Spare parts", "20000", 75, "qualified"),
        _opportunity(plan, kam_user, "Export renewal", "30000", 50, "proposal", "USD"),
        _opportunity(plan, kam_user, "Old deal", "99000", 90, "won"),
        _opportunity(plan, kam_user, "Lost deal", "5000", 10, "lost"),
    ]


def test_the_open_columns_add_up_to_the_plans_weighted_pipeline(plan, deals, now):
    columns = {column.stage: column for column in opportunity_board(plan.account)}
    pipeline: dict[str, Decimal] = {}
    for column in columns.values():
        if column.is_open:
            for currency, total in column.totals.items():
                pipeline[currency] = pipeline.get(currency, Decimal(0)) + total
    assert pipeline == plan_progress(plan, now.date()).weighted_pipeline
    assert columns["qualified"].totals == {"BRL": Decimal("55000.00")}  # 40 000 + 15 000
    assert columns["won"].totals == {"BRL": Decimal("99000")}  # won: the amount, not weighted
    assert [card.title for card in columns["qualified"].cards] == ["Line 3 sensors", "Spare parts"]
    assert [column.stage for column in columns.values()] == [
        "identified", "qualified", "proposal", "negotiation", "won", "lost"
    ]  # fmt: skip


def test_an_archived_plans_opportunities_are_not_on_the_board(plan, deals, kam_user):
    archived = AccountPlanFactory(account=plan.account, status="archived", title="2025")
    Opportunity.objects.create(plan=archived, title="Archived deal", amount=1, owner=kam_user)
    titles = [card.title for column in opportunity_board(plan.account) for card in column.cards]
    assert "Archived deal" not in titles and "Line 3 sensors" in titles


def _move(client, opportunity, stage, version, **headers):
    url = reverse("opportunity_move", args=[opportunity.plan.account_id, opportunity.pk])
    return client.post(url, {"stage": stage, "version": version}, **headers)


def test_a_move_goes_through_the_service_and_is_in_the_plan_history(client_for, kam_user, deals):
    deal = deals[0]
    response = _move(
        client_for(kam_user), deal, "negotiation", deal.version, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.stage == "negotiation" and deal.version == 2
    change = PlanChange.objects.filter(entity="opportunity").latest("pk")
    assert change.changes == [
        {"entity": "opportunity", "field": "stage", "before": "qualified", "after": "negotiation"}
    ]
    body = response.content.decode()
    assert "moved to Negotiation" in body and 'hx-swap-oob="true"' in body
    assert "data-move-form" in body  # the board that comes back can still be moved


def test_a_move_over_a_newer_save_is_refused_and_changes_nothing(client_for, kam_user, deals):
    deal = deals[0]
    services.opportunity_update(opportunity=deal, actor=kam_user, probability=60)  # version 2
    response = _move(client_for(kam_user), deal, "won", 1, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    deal.refresh_from_db()
    assert deal.stage == "qualified" and deal.version == 2
    assert "changed by someone else meanwhile" in response.content.decode()
    # The board that comes back shows the card where it is now, with the new version.
    qualified = next(c for c in response.context["columns"] if c.stage == "qualified")
    assert [card.version for card in qualified.cards if card.pk == deal.pk] == [2]


def test_a_move_to_an_unknown_stage_is_refused_naming_the_field(client_for, kam_user, deals):
    response = _move(client_for(kam_user), deals[0], "sold", 1, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert "sold" in response.content.decode()
    deals[0].refresh_from_db()
    assert deals[0].stage == "qualified"


def test_without_javascript_a_move_redirects_to_the_board_with_a_message(
    client_for, kam_user, deals
):
    response = _move(client_for(kam_user), deals[1], "proposal", 1, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "opportunity_board", args=[deals[1].plan.account_id]
    )
    assert "“Spare parts” moved to Proposal." in response.content.decode()


def test_an_outsider_can_neither_see_the_board_nor_move_a_card(client_for, outsider, deals):
    client = client_for(outsider)
    board = client.get(reverse("opportunity_board", args=[deals[0].plan.account_id]))
    assert board.status_code in (403, 404)
    assert _move(client, deals[0], "won", 1).status_code in (403, 404)
    deals[0].refresh_from_db()
    assert deals[0].stage == "qualified"


def test_a_team_member_sees_the_move_controls(client_for, team_member, deals):
    response = client_for(team_member).get(
        reverse("opportunity_board", args=[deals[0].plan.account_id])
    )
    assert response.status_code == 200
    assert "data-move-form" in response.content.decode()


def test_the_board_query_count_does_not_grow_with_the_opportunities(
    client_for, kam_user, plan, django_assert_num_queries
):
    client = client_for(kam_user)
    url = reverse("opportunity_board", args=[plan.account_id])

    def grow(start):
        for index in range(start, start + 4):
            _opportunity(
                plan, kam_user, f"Deal {index}", "1000", 30, ["identified", "won"][index % 2]
            )

    grow(0)
    client.get(url)  # warm the session and the caches
    # session, user, the account (access), the board's opportunities (+ owner, product), the
    # header's stakeholders (departures), the unread notices badge.
    with django_assert_num_queries(BOARD_QUERIES):
        client.get(url)
    grow(4)
    with django_assert_num_queries(BOARD_QUERIES):
        assert client.get(url).status_code == 200


BOARD_QUERIES = 6
