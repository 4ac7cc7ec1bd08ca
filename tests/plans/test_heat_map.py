"""The whitespace heat map (issue 16, point 11): each cell shows the state the whitespace rule
stored for it, shaded by value, says both in words and links to its opportunity."""

from decimal import Decimal

import pytest
from django.urls import reverse

from plans import services
from plans.selectors import whitespace_heat, whitespace_matrix
from tests.plans.factories import ProductFactory


@pytest.fixture
def heat_scene(account, kam_user, plan):
    mining, ports = (
        services.business_unit_create(account=account, actor=kam_user, name=name)
        for name in ("Mining", "Ports")
    )
    telemetry = ProductFactory(name="Telemetry", list_price=Decimal("1000"), currency="BRL")
    vision = ProductFactory(name="Vision", list_price=Decimal("4000"), currency="BRL")
    big = services.opportunity_create(
        plan=plan, actor=kam_user, title="Vision for ports", amount=Decimal("8000"),
        probability=30, owner=kam_user, product=vision,
    )  # fmt: skip

    def put(unit, product, state, opportunity=None):
        services.whitespace_cell_set(
            account=account, actor=kam_user, business_unit=unit, product=product, state=state,
            opportunity=opportunity,
        )  # fmt: skip

    put(mining, telemetry, "current")
    put(mining, vision, "not_a_fit")
    put(ports, vision, "opportunity", big)
    # Ports × Telemetry is left unassessed.
    return (
        account,
        {"mining": mining, "ports": ports},
        {"telemetry": telemetry, "vision": vision},
        big,
    )


def _cells(account):
    _products, rows = whitespace_matrix(account)
    return {
        (unit.name, cell.product.name): cell
        for unit, cells in whitespace_heat(rows)
        for cell in cells
    }


def test_each_heat_cell_has_the_state_stored_by_the_whitespace_rule_and_a_value_shade(heat_scene):
    account, _units, _products, big = heat_scene
    cells = _cells(account)
    assert {key: cell.state for key, cell in cells.items()} == {
        ("Mining", "Telemetry"): "current",
        ("Mining", "Vision"): "not_a_fit",
        ("Ports", "Telemetry"): "none",
        ("Ports", "Vision"): "opportunity",
    }
    # Values: the linked opportunity's amount, else the list price; none when not a fit.
    assert cells[("Ports", "Vision")].value == Decimal("8000")
    assert cells[("Ports", "Vision")].opportunity == big
    assert cells[("Mining", "Telemetry")].value == Decimal("1000")
    assert cells[("Mining", "Vision")].value is None
    # Shade against the largest value in the currency: 8000 → 4 of 4, 1000 → ⌈0.5⌉ = 1.
    keys = [
        ("Ports", "Vision"),
        ("Mining", "Telemetry"),
        ("Mining", "Vision"),
        ("Ports", "Telemetry"),
    ]
    assert [cells[key].level for key in keys] == [4, 1, 0, 0]


def test_a_cell_moved_to_another_state_by_the_service_shows_the_new_state(heat_scene, kam_user):
    account, units, products, _big = heat_scene
    services.whitespace_cell_set(account=account, actor=kam_user, business_unit=units["ports"],
                                 product=products["vision"], state="not_a_fit")  # fmt: skip
    cell = _cells(account)[("Ports", "Vision")]
    assert (cell.state, cell.opportunity, cell.value, cell.level) == ("not_a_fit", None, None, 0)


def test_the_heat_map_links_the_opportunity_and_offers_to_create_one_on_an_open_cell(
    client_for, kam_user, heat_scene, plan
):
    account, units, products, big = heat_scene
    services.whitespace_cell_set(account=account, actor=kam_user, business_unit=units["mining"],
                                 product=products["vision"], state="opportunity")  # fmt: skip
    html = (
        client_for(kam_user).get(reverse("account_whitespace", args=[account.pk])).content.decode()
    )
    assert f'href="/accounts/{account.pk}/plans/{plan.pk}/#opportunities-{big.pk}"' in html
    create = reverse("plan_item_create", args=[account.pk, plan.pk, "opportunities"])
    create += f"?product={products['vision'].pk}"
    assert create in html
    form = client_for(kam_user).get(create).context["form"]
    assert form["product"].value() == products["vision"].pk  # starts on the cell's product
    assert 'name="state"' not in html  # reading, not editing
    assert "Edit the matrix" in html


def test_an_outsider_cannot_see_the_heat_map(client_for, outsider, heat_scene):
    account = heat_scene[0]
    response = client_for(outsider).get(reverse("account_whitespace", args=[account.pk]))
    assert response.status_code in (403, 404)
