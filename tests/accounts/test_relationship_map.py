"""relationship_map_data: the JSON behind the stakeholder org chart (no database needed)."""

import json
import re
from datetime import date

from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import BuyingRole, Stakeholder, Stance
from accounts.relationship_map import relationship_map_data


def _person(pk, name, **fields):
    fields.setdefault("buying_role", BuyingRole.USER)
    fields.setdefault("stance", Stance.NEUTRAL)
    fields.setdefault("influence", 3)
    return Stakeholder(pk=pk, name=name, **fields)


def _org():
    ceo = _person(
        1, "Carla Chefe", title="CEO", buying_role=BuyingRole.DECISION_MAKER,
        stance=Stance.ADVOCATE, influence=5, is_primary=True,
    )  # fmt: skip
    cfo = _person(
        2, "Ana Lima", title="CFO", buying_role=BuyingRole.ECONOMIC_BUYER,
        stance=Stance.SCEPTIC, influence=4, reports_to_id=1,
    )  # fmt: skip
    analyst = _person(
        3, "Bruno Dias", title="Analyst", stance=Stance.SUPPORTER, influence=1, reports_to_id=2
    )
    gone = _person(
        4, "Davi Souza", title="CTO", buying_role=BuyingRole.CHAMPION,
        stance=Stance.OPPONENT, reports_to_id=1, left_on=date(2025, 3, 1),
    )  # fmt: skip
    return [ceo, cfo, analyst, gone]


def test_one_node_per_stakeholder_with_string_ids():
    data = relationship_map_data(_org())
    assert [n["id"] for n in data["nodes"]] == ["s1", "s2", "s3", "s4"]
    cfo = data["nodes"][1]
    assert cfo["name"] == "Ana Lima"
    assert cfo["title"] == "CFO"
    assert cfo["influence"] == 4
    assert cfo["stance"] == "sceptic"
    assert cfo["role"] == "economic_buyer"


def test_edges_run_from_manager_to_report():
    data = relationship_map_data(_org())
    assert data["edges"] == [
        {"source": "s1", "target": "s2"},
        {"source": "s2", "target": "s3"},
        {"source": "s1", "target": "s4"},
    ]


def test_manager_missing_from_the_list_produces_no_edge():
    org = _org()
    without_ceo = [p for p in org if p.pk != 1]
    data = relationship_map_data(without_ceo)
    assert data["edges"] == [{"source": "s2", "target": "s3"}]
    assert {n["id"] for n in data["nodes"]} == {"s2", "s3", "s4"}


def test_people_who_left_are_flagged():
    nodes = {n["id"]: n for n in relationship_map_data(_org())["nodes"]}
    assert nodes["s4"]["left"] is True
    assert [n["id"] for n in nodes.values() if n["left"]] == ["s4"]


def test_primary_contact_is_flagged():
    nodes = {n["id"]: n for n in relationship_map_data(_org())["nodes"]}
    assert nodes["s1"]["primary"] is True
    assert nodes["s2"]["primary"] is False


def test_empty_list_gives_empty_map():
    assert relationship_map_data([]) == {"nodes": [], "edges": []}


def test_labels_in_english():
    with translation.override("en"):
        nodes = relationship_map_data(_org())["nodes"]
    assert [(n["role_label"], n["stance_label"]) for n in nodes] == [
        ("Decision maker", "Advocate"),
        ("Economic buyer", "Sceptic"),
        ("User", "Supporter"),
        ("Champion", "Opponent"),
    ]


def test_labels_are_plain_strings_under_pt_br_and_codes_unchanged():
    with translation.override("pt-br"):
        data = relationship_map_data(_org())
    node = data["nodes"][0]
    assert type(node["role_label"]) is str
    assert type(node["stance_label"]) is str
    assert [n["role"] for n in data["nodes"]] == [
        "decision_maker",
        "economic_buyer",
        "user",
        "champion",
    ]
    assert [n["stance"] for n in data["nodes"]] == ["advocate", "sceptic", "supporter", "opponent"]


def test_result_is_json_serialisable():
    data = relationship_map_data(_org())
    assert json.loads(json.dumps(data)) == data


def test_partial_renders_container_legend_and_deferred_scripts():
    html = render_to_string(
        "accounts/partials/relationship_map.html",
        {"map_url": "/accounts/5/map.json", "stakeholder_url_pattern": "/accounts/5/s/{id}/"},
    )
    assert '<h2 class="h5" id="relationship-map-heading">Relationship map</h2>' in html
    assert 'data-url="/accounts/5/map.json"' in html
    assert 'data-stakeholder-url="/accounts/5/s/{id}/"' in html
    assert 'role="img"' in html
    assert (
        "Org chart of the account&#x27;s stakeholders, coloured by stance and sized by influence"
        in html
    )
    for stance in ("Advocate", "Supporter", "Neutral", "Sceptic", "Opponent"):
        assert stance in html
    assert "vendor/cytoscape/cytoscape.min.js" in html
    assert "js/relationship_map.js" in html
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S)
    assert scripts and all(body.strip() == "" for body in scripts)  # no inline script
    assert html.count(" defer></script>") == len(scripts)
