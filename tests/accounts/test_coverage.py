"""accounts.coverage on unsaved stakeholders: departures of key contacts and single-threading.
Pure functions: no database, no clock."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from accounts.coverage import THREAD_WINDOW_DAYS, open_departures, stakeholder_coverage
from accounts.models import BuyingRole, Stakeholder

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
LEFT = date(2026, 2, 1)


def person(name, role=BuyingRole.USER, *, left=None, primary=False, heard_days_ago=None):
    return Stakeholder(
        name=name,
        buying_role=role,
        is_primary=primary,
        left_on=left,
        last_interaction_at=None if heard_days_ago is None else NOW - timedelta(heard_days_ago),
    )


CHAMPION, DECIDER, INFLUENCER = (
    BuyingRole.CHAMPION,
    BuyingRole.DECISION_MAKER,
    BuyingRole.INFLUENCER,
)

DEPARTURES = [
    pytest.param(
        [person("Gone Champion", CHAMPION, left=LEFT), person("Ana", INFLUENCER)],
        [("Gone Champion", "Champion")],
        id="champion-left-no-other-champion",
    ),
    pytest.param(
        [person("Gone Champion", CHAMPION, left=LEFT), person("New Champion", CHAMPION)],
        [],
        id="champion-left-another-active-champion",
    ),
    pytest.param(
        [person("Gone Champion", CHAMPION, left=LEFT), person("Also Gone", CHAMPION, left=LEFT)],
        [("Gone Champion", "Champion"), ("Also Gone", "Champion")],
        id="champion-left-the-other-champion-left-too",
    ),
    pytest.param(
        [person("Gone Decider", DECIDER, left=LEFT), person("Champ", CHAMPION)],
        [("Gone Decider", "Decision maker")],
        id="decision-maker-left-a-champion-is-no-replacement",
    ),
    pytest.param(
        [person("Gone Primary", primary=True, left=LEFT), person("Ana")],
        [("Gone Primary", "Primary contact")],
        id="primary-left-no-new-primary",
    ),
    pytest.param(
        [person("Gone Primary", primary=True, left=LEFT), person("Ana", primary=True)],
        [],
        id="primary-left-new-primary-named",
    ),
    pytest.param(
        [person("Gone Influencer", INFLUENCER, left=LEFT), person("Ana")],
        [],
        id="non-key-person-left",
    ),
    pytest.param(
        [person("Ana", CHAMPION, primary=True), person("Bruno", DECIDER)],
        [],
        id="nobody-left",
    ),
    pytest.param([], [], id="no-stakeholders"),
]


@pytest.mark.parametrize(("stakeholders", "flagged"), DEPARTURES)
def test_open_departures(stakeholders, flagged):
    departures = open_departures(stakeholders)
    assert [(d.name, str(d.role_label)) for d in departures] == flagged
    assert all(d.left_on == LEFT for d in departures)


def test_a_primary_champion_who_left_unreplaced_is_flagged_once():
    gone = person("Gone", CHAMPION, primary=True, left=LEFT)
    assert [d.role_label for d in open_departures([gone, person("Ana")])] == ["Champion"]


def test_a_primary_champion_replaced_as_champion_but_not_as_primary_is_still_flagged():
    gone = person("Gone", CHAMPION, primary=True, left=LEFT)
    departures = open_departures([gone, person("New Champion", CHAMPION)])
    assert [d.role_label for d in departures] == ["Primary contact"]


def test_open_departures_are_newest_first():
    older = person("Older", CHAMPION, left=date(2025, 6, 1))
    newer = person("Newer", DECIDER, left=date(2026, 1, 5))
    assert [d.name for d in open_departures([older, newer])] == ["Newer", "Older"]


WINDOW = THREAD_WINDOW_DAYS

THREADS = [
    pytest.param([person("Ana", heard_days_ago=3)], 1, True, id="one-recent"),
    pytest.param(
        [person("Ana", heard_days_ago=3), person("Bruno", heard_days_ago=200), person("Caio")],
        1,
        True,
        id="one-recent-others-stale-or-never",
    ),
    pytest.param(
        [person("Ana", heard_days_ago=3), person("Bruno", heard_days_ago=WINDOW)],
        2,
        False,
        id="two-recent-one-on-the-window-edge",
    ),
    pytest.param(
        [person("Ana", heard_days_ago=3), person("Gone", left=LEFT, heard_days_ago=5)],
        1,
        True,
        id="one-recent-plus-one-who-left",
    ),
    pytest.param(
        [person("Ana", heard_days_ago=WINDOW + 1), person("Bruno")],
        0,
        False,
        id="nobody-recent",
    ),
    pytest.param([], 0, False, id="no-stakeholders"),
]


@pytest.mark.parametrize(("stakeholders", "engaged", "single_threaded"), THREADS)
def test_single_threaded_when_exactly_one_active_person_was_heard_from_in_90_days(
    stakeholders, engaged, single_threaded
):
    coverage = stakeholder_coverage(stakeholders, NOW)
    assert coverage.recently_engaged == engaged
    assert coverage.single_threaded is single_threaded


def test_coverage_lists_who_holds_each_role_and_what_is_missing():
    coverage = stakeholder_coverage(
        [
            person("Ana", CHAMPION),
            person("Bruno", CHAMPION),
            person("Gone", DECIDER, left=LEFT),
            person("Blocky", BuyingRole.BLOCKER),
        ],
        NOW,
    )
    people = {role.role: role.people for role in coverage.roles}
    assert people[CHAMPION] == ("Ana", "Bruno")
    assert coverage.missing == [
        BuyingRole.DECISION_MAKER,
        BuyingRole.ECONOMIC_BUYER,
        BuyingRole.INFLUENCER,
        BuyingRole.USER,
    ]
    assert coverage.active_count == 3


@pytest.mark.parametrize(
    ("stakeholders", "sentence"),
    [
        (
            [person("Ana", heard_days_ago=3)],
            "1 active stakeholder; 1 heard from in the last 90 days.",
        ),
        (
            [person("Ana", heard_days_ago=3), person("Bruno")],
            "2 active stakeholders; 1 heard from in the last 90 days.",
        ),
    ],
)
def test_the_coverage_panel_counts_one_active_stakeholder_in_the_singular(stakeholders, sentence):
    coverage = stakeholder_coverage(stakeholders, NOW)
    with translation.override("en"):
        panel = render_to_string("accounts/partials/coverage_panel.html", {"coverage": coverage})
    assert sentence in panel
