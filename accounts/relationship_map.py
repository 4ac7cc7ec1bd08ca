"""Data for an account's stakeholder relationship map (an org chart drawn in the browser by
static/js/relationship_map.js). A pure function over already-loaded rows: no queries."""

from collections.abc import Iterable


def _node_id(pk) -> str:
    return f"s{pk}"


def relationship_map_data(stakeholders: Iterable) -> dict:
    """Nodes (one per stakeholder) and manager → report edges built from ``reports_to``.

    Labels are rendered in the active language. An edge whose manager is not among
    ``stakeholders`` is skipped, so the person simply becomes a root of the chart.
    """
    people = list(stakeholders)
    present = {person.pk for person in people}
    nodes = [
        {
            "id": _node_id(person.pk),
            "name": person.name,
            "title": person.title,
            "role": str(person.buying_role),
            "role_label": str(person.get_buying_role_display()),
            "stance": str(person.stance),
            "stance_label": str(person.get_stance_display()),
            "influence": person.influence,
            "primary": bool(person.is_primary),
            "left": person.left_on is not None,
        }
        for person in people
    ]
    edges = [
        {"source": _node_id(person.reports_to_id), "target": _node_id(person.pk)}
        for person in people
        if person.reports_to_id is not None
        and person.reports_to_id != person.pk
        and person.reports_to_id in present
    ]
    return {"nodes": nodes, "edges": edges}
