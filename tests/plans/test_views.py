"""The plan and whitespace pages in use: refused input comes back as 422 with the field named,
two people editing one plan lose nothing, next period, the stale flag, the matrix."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from plans import services
from plans.models import (
    AccountPlan,
    Objective,
    Opportunity,
    PlanChange,
    ValueHypothesis,
    WhitespaceCell,
)
from tests.plans.factories import ProductFactory

OBJECTIVE = {
    "objectives-description": "Grow exports",
    "objectives-metric": "Export share",
    "objectives-baseline": "10",
    "objectives-target": "25",
    "objectives-status": "on_track",
}


def _add(client, plan, kind, data, **headers):
    url = reverse("plan_item_create", args=[plan.account_id, plan.pk, kind])
    return client.post(url, data, **headers)


def _plan_form_data(plan, **changes) -> dict:
    data = {name: getattr(plan, name) for name in services.PLAN_FIELDS}
    data = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in data.items()}
    return {**data, "version": plan.version, **changes}


# --- refused input ----------------------------------------------------------------------------


def test_adding_an_objective_with_target_equal_to_baseline_is_422_on_the_target_field(
    client_for, kam_user, plan
):
    response = _add(client_for(kam_user), plan, "objectives",
                    {**OBJECTIVE, "objectives-target": "10"})  # fmt: skip
    assert response.status_code == 422
    form = response.context["add_forms"]["objectives"]
    assert list(form.errors) == ["target"]
    assert "differ from the baseline" in response.content.decode()
    assert not Objective.objects.exists()


def test_adding_an_opportunity_with_probability_over_100_is_422_on_the_probability_field(
    client_for, kam_user, plan
):
    response = _add(
        client_for(kam_user), plan, "opportunities",
        {"opportunities-kind": "upsell", "opportunities-title": "Upsell",
         "opportunities-amount": "1000", "opportunities-currency": "BRL",
         "opportunities-probability": "150", "opportunities-stage": "identified",
         "opportunities-owner": kam_user.pk},
    )  # fmt: skip
    assert response.status_code == 422
    assert list(response.context["add_forms"]["opportunities"].errors) == ["probability"]
    assert not Opportunity.objects.exists()


@pytest.mark.parametrize("field", ["expected_value", "realised_value"])
def test_a_negative_hypothesis_value_is_422_on_its_field_in_words(
    client_for, kam_user, plan, field
):
    objective = Objective.objects.create(
        plan=plan, description="Cut downtime", metric="Hours", baseline=40, target=10
    )
    data = {
        "hypotheses-objective": objective.pk,
        "hypotheses-hypothesis": "Sensors on line 2",
        "hypotheses-expected_value": "1000",
        "hypotheses-realised_value": "0",
        "hypotheses-currency": "BRL",
        f"hypotheses-{field}": "-100",
    }
    response = _add(client_for(kam_user), plan, "hypotheses", data)
    assert response.status_code == 422
    form = response.context["add_forms"]["hypotheses"]
    assert form.errors == {field: ["Enter a value of 0 or more."]}
    page = response.content.decode()
    assert "hypothesis_values_not_negative" not in page
    assert "Constraint" not in page
    assert not ValueHypothesis.objects.exists()


def test_an_action_owner_off_the_team_is_422_on_the_owner_field(
    client_for, kam_user, outsider, plan
):
    response = _add(
        client_for(kam_user), plan, "actions",
        {"actions-title": "Call", "actions-owner_user": outsider.pk,
         "actions-due_date": "2026-04-01", "actions-status": "open"},
    )  # fmt: skip
    assert response.status_code == 422
    assert list(response.context["add_forms"]["actions"].errors) == ["owner_user"]
    assert "Oscar Outsider" not in response.content.decode()  # not even offered as a choice


def test_the_owner_choices_are_the_account_owner_and_team(client_for, kam_user, plan, leader):
    response = client_for(leader).get(reverse("account_plan", args=[plan.account_id]))
    owners = response.context["add_forms"]["actions"].fields["owner_user"].queryset
    assert {u.full_name for u in owners} == {"Olivia Owner", "Tereza Team"}


def test_activating_a_second_plan_is_refused_with_the_reason(client_for, kam_user, plan):
    draft = services.plan_create(
        account=plan.account,
        actor=kam_user,
        title="Next",
        period_start=date(2027, 1, 1),
        period_end=date(2027, 12, 31),
    )
    client = client_for(kam_user)
    response = client.post(reverse("plan_activate", args=[plan.account_id, draft.pk]))
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "already has an active plan (Acme 2026)" in page
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_the_plan_form_refuses_a_period_that_ends_before_it_starts(client_for, kam_user, plan):
    url = reverse("plan_edit", args=[plan.account_id, plan.pk])
    response = client_for(kam_user).post(url, _plan_form_data(plan, period_end="2025-01-01"))
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["period_end"]


# --- htmx -------------------------------------------------------------------------------------


def test_adding_with_htmx_returns_only_the_plan_body_with_the_new_row(client_for, kam_user, plan):
    response = _add(client_for(kam_user), plan, "objectives", OBJECTIVE,
                    headers={"HX-Request": "true", "HX-Target": "plan-body"})  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="plan-body">')
    assert "Grow exports" in html
    assert "<nav" not in html.split('id="plan-body"')[0]


def test_a_refused_htmx_add_is_422_with_the_form_open(client_for, kam_user, plan):
    response = _add(client_for(kam_user), plan, "objectives",
                    {**OBJECTIVE, "objectives-target": "10"},
                    headers={"HX-Request": "true", "HX-Target": "plan-body"})  # fmt: skip
    assert response.status_code == 422
    html = response.content.decode()
    assert 'class="collapse show" id="add-objectives"' in html
    assert 'value="Grow exports"' in html


def test_deleting_a_row_with_htmx_removes_it_and_keeps_a_record(
    client_for, kam_user, plan, objective
):
    url = reverse("plan_item_delete", args=[plan.account_id, plan.pk, "objectives", objective.pk])
    response = client_for(kam_user).post(
        url, headers={"HX-Request": "true", "HX-Target": "plan-body"}
    )
    assert response.status_code == 200
    assert "Cut unplanned downtime" not in response.content.decode()
    record = PlanChange.objects.get(plan=plan, verb="deleted")
    assert record.label == "Cut unplanned downtime"


# --- two people, one plan ---------------------------------------------------------------------


@pytest.fixture
def two_clients(kam_user, team_member):
    first, second = Client(), Client()
    first.force_login(kam_user)
    second.force_login(team_member)
    return first, second


def _open_edit(client, plan) -> dict:
    response = client.get(reverse("plan_edit", args=[plan.account_id, plan.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    return {name: form[name].value() for name in [*services.PLAN_FIELDS, "version"]}


def _as_post(values: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()
            if v is not None}  # fmt: skip


def test_two_people_saving_one_plan_lose_nothing(two_clients, plan, kam_user, team_member):
    first, second = two_clients
    url = reverse("plan_edit", args=[plan.account_id, plan.pk])
    first_form, second_form = _open_edit(first, plan), _open_edit(second, plan)

    saved = first.post(url, _as_post({**first_form, "swot_threats": "Competitor pilot"}))
    assert saved.status_code == 302

    refused = second.post(
        url, _as_post({**second_form, "swot_weaknesses": "Single-threaded in IT",
                       "title": "Acme 2026 — growth"}),
    )  # fmt: skip
    assert refused.status_code == 422
    html = refused.content.decode()
    # Their saved value is shown …
    assert refused.context["conflict"].swot_threats == "Competitor pilot"
    assert "Saved meanwhile by someone else" in html
    # … and this user's input is still in the form, with theirs merged in.
    form = refused.context["form"]
    assert form["swot_weaknesses"].value() == "Single-threaded in IT"
    assert form["title"].value() == "Acme 2026 — growth"
    assert form["swot_threats"].value() == "Competitor pilot"
    plan.refresh_from_db()
    assert (plan.swot_threats, plan.swot_weaknesses, plan.title) == ("Competitor pilot", "",
                                                                    "Acme 2026")  # fmt: skip
    first_save = PlanChange.objects.filter(plan=plan, verb="updated").get()
    assert first_save.user == kam_user
    assert first_save.changes == [
        {"entity": "plan", "field": "swot_threats", "before": "", "after": "Competitor pilot"}
    ]

    # Saving the re-rendered form again keeps both people's changes.
    again = second.post(url, _as_post({name: form[name].value() for name in form.fields}))
    assert again.status_code == 302
    plan.refresh_from_db()
    assert (plan.swot_threats, plan.swot_weaknesses, plan.title) == (
        "Competitor pilot", "Single-threaded in IT", "Acme 2026 — growth",
    )  # fmt: skip
    assert PlanChange.objects.filter(plan=plan, verb="updated", user=team_member).exists()


def test_when_both_change_the_same_field_the_second_keeps_theirs_and_sees_the_other(
    two_clients, plan
):
    first, second = two_clients
    url = reverse("plan_edit", args=[plan.account_id, plan.pk])
    first_form, second_form = _open_edit(first, plan), _open_edit(second, plan)
    first.post(url, _as_post({**first_form, "swot_threats": "Price war"}))
    refused = second.post(url, _as_post({**second_form, "swot_threats": "New CFO"}))
    assert refused.status_code == 422
    form = refused.context["form"]
    assert form["swot_threats"].value() == "New CFO"
    assert "Price war" in " ".join(form.errors["swot_threats"])
    plan.refresh_from_db()
    assert plan.swot_threats == "Price war"


def test_a_row_edited_meanwhile_is_refused_showing_their_value(two_clients, plan, objective):
    first, second = two_clients
    url = reverse("plan_item_edit", args=[plan.account_id, plan.pk, "objectives", objective.pk])
    data = {
        "objectives-description": objective.description, "objectives-metric": "Downtime",
        "objectives-baseline": "40", "objectives-target": "20", "objectives-status": "on_track",
        "objectives-version": "1",
    }  # fmt: skip
    assert first.post(url, {**data, "objectives-current_value": "27"}).status_code == 302
    refused = second.post(url, {**data, "objectives-current_value": "29"})
    assert refused.status_code == 422
    assert ("Current value", Decimal("27.00")) in refused.context["conflict_rows"]
    assert refused.context["form"]["current_value"].value() == "29"
    objective.refresh_from_db()
    assert objective.current_value == Decimal("27")


# --- next period, stale flag, history ---------------------------------------------------------


def test_starting_next_period_opens_the_new_draft_with_the_work_carried_over(
    client_for, kam_user, plan, objective
):
    client = client_for(kam_user)
    response = client.post(reverse("plan_next_period", args=[plan.account_id, plan.pk]))
    new = AccountPlan.objects.get(account=plan.account, period_start=date(2027, 1, 1))
    assert response.url == new.get_absolute_url()
    page = client.get(response.url)
    assert page.context["plan"] == new
    assert [o.description for o in page.context["rows"].objectives] == ["Cut unplanned downtime"]
    assert "Draft plan" in page.content.decode()


def _reviewed_days_ago(plan, days: int) -> None:
    AccountPlan.objects.filter(pk=plan.pk).update(
        last_reviewed_at=timezone.now() - timedelta(days=days)
    )


def test_the_plan_page_flags_a_plan_not_reviewed_for_90_days(client_for, kam_user, plan):
    client = client_for(kam_user)
    url = reverse("account_plan", args=[plan.account_id])
    _reviewed_days_ago(plan, 100)
    page = client.get(url).content.decode()
    assert 'id="stale-flag"' in page
    assert "not reviewed for 100 days" in page

    client.post(reverse("plan_review", args=[plan.account_id, plan.pk]))
    assert 'id="stale-flag"' not in client.get(url).content.decode()


def test_a_recently_reviewed_plan_is_not_flagged(client_for, kam_user, plan):
    _reviewed_days_ago(plan, 30)
    page = client_for(kam_user).get(reverse("account_plan", args=[plan.account_id]))
    assert 'id="stale-flag"' not in page.content.decode()


def test_without_an_active_plan_the_plan_tab_lists_plans_and_offers_to_create_one(
    client_for, kam_user, account
):
    response = client_for(kam_user).get(reverse("account_plan", args=[account.pk]))
    html = response.content.decode()
    assert "No active plan" in html
    assert reverse("plan_create", args=[account.pk]) in html


def test_the_history_page_shows_who_changed_what(client_for, kam_user, team_member, plan):
    services.plan_update(plan=plan, expected_version=1, actor=team_member,
                         swot_threats="Competitor pilot")  # fmt: skip
    html = (
        client_for(kam_user)
        .get(reverse("plan_history", args=[plan.account_id, plan.pk]))
        .content.decode()
    )
    assert "Tereza Team" in html
    assert "Competitor pilot" in html
    assert "Threats" in html


def test_the_header_contract_tab_and_departures_are_in_the_context(client_for, kam_user, plan):
    response = client_for(kam_user).get(reverse("account_plan", args=[plan.account_id]))
    assert response.context["tab"] == "plan"
    assert response.context["departures"] == []
    response = client_for(kam_user).get(reverse("account_whitespace", args=[plan.account_id]))
    assert response.context["tab"] == "whitespace"


# --- whitespace -------------------------------------------------------------------------------


@pytest.fixture
def matrix(account, kam_user, plan):
    units = [
        services.business_unit_create(account=account, actor=kam_user, name=name)
        for name in ("Mining", "Ports")
    ]
    products = [ProductFactory(name=name) for name in ("Telemetry", "Analytics", "Vision")]
    opportunity = services.opportunity_create(
        plan=plan, actor=kam_user, title="Vision for ports", amount=Decimal("5000"),
        probability=30, owner=kam_user, product=products[2],
    )  # fmt: skip
    return units, products, opportunity


def test_the_whitespace_matrix_has_a_select_per_unit_and_product(client_for, kam_user, matrix):
    units, _products, _opportunity = matrix
    url = reverse("account_whitespace", args=[units[0].account_id])
    response = client_for(kam_user).get(url, {"edit": "1"})
    rows = response.context["matrix"]
    assert [row.unit.name for row in rows] == ["Mining", "Ports"]
    assert all(len(row.cells) == 3 for row in rows)
    assert response.content.decode().count('name="state"') == 6


def test_setting_a_cell_with_htmx_returns_the_cell_linked_to_its_opportunity(
    client_for, kam_user, matrix
):
    units, products, opportunity = matrix
    account_id = units[0].account_id
    response = client_for(kam_user).post(
        reverse("whitespace_cell_set", args=[account_id]),
        {"business_unit": units[1].pk, "product": products[2].pk, "state": "opportunity",
         "opportunity": opportunity.pk},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith(f'<td id="cell-{units[1].pk}-{products[2].pk}"')
    assert f"#opportunities-{opportunity.pk}" in html
    assert '<option value="opportunity" selected>' in html
    cell = WhitespaceCell.objects.get()
    assert (cell.state, cell.opportunity) == ("opportunity", opportunity)
    page = client_for(kam_user).get(reverse("account_whitespace", args=[account_id]))
    assert f"#opportunities-{opportunity.pk}" in page.content.decode()


def test_a_business_unit_of_another_account_cannot_be_set(client_for, kam_user, matrix, outsider):
    units, products, _ = matrix
    from tests.factories import AccountFactory

    foreign = services.business_unit_create(
        account=AccountFactory(owner=outsider), actor=outsider, name="Theirs"
    )
    client_for(kam_user).post(
        reverse("whitespace_cell_set", args=[units[0].account_id]),
        {"business_unit": foreign.pk, "product": products[0].pk, "state": "current"},
    )
    assert not WhitespaceCell.objects.exists()


def test_adding_a_duplicate_business_unit_is_422_on_the_name(client_for, kam_user, matrix):
    units, _products, _ = matrix
    response = client_for(kam_user).post(
        reverse("business_unit_create", args=[units[0].account_id]), {"name": "mining"}
    )
    assert response.status_code == 422
    assert list(response.context["unit_form"].errors) == ["name"]


def test_an_untouched_multiline_field_is_not_recorded_as_changed(client_for, kam_user, account):
    """Browsers post textarea line breaks as CRLF; the stored LF text must compare equal."""
    plan = services.plan_create(
        account=account,
        actor=kam_user,
        title="Plan",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        swot_strengths="Trusted on line 2\nGood references",
    )
    url = reverse("plan_edit", args=[account.pk, plan.pk])
    form = client_for(kam_user).get(url).context["form"]
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data |= {
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "swot_strengths": "Trusted on line 2\r\nGood references",
        "qbr_cadence_note": "Quarterly",
    }
    assert client_for(kam_user).post(url, data).status_code == 302
    plan.refresh_from_db()
    assert plan.swot_strengths == "Trusted on line 2\nGood references"
    change = PlanChange.objects.filter(plan=plan).order_by("-pk").first()
    assert [c["field"] for c in change.changes] == ["qbr_cadence_note"]
