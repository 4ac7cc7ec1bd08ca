"""The relationship map's side panel (issue 16, point 11): the person's last interactions,
the timeline's own rows, only theirs, newest first, for those who see the account, in a fixed
number of queries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.timeline import PERSON_INTERACTIONS
from activities.services import interaction_log
from tests.factories import StakeholderFactory


@pytest.fixture
def people(account):
    return (
        StakeholderFactory(account=account, name="Ana Lima", stance="advocate", influence=5),
        StakeholderFactory(account=account, name="Bruno Costa", stance="sceptic", influence=2),
    )


def _log(account, actor, summary, days_ago, stakeholders):
    return interaction_log(
        account=account, actor=actor, kind="meeting", summary=summary, stakeholders=stakeholders,
        occurred_at=timezone.now() - timedelta(days=days_ago),
    )  # fmt: skip


def _url(person):
    return reverse("stakeholder_panel", args=[person.account_id, person.pk])


def test_the_panel_lists_the_persons_last_interactions_newest_first_and_only_theirs(
    client_for, kam_user, account, people
):
    ana, bruno = people
    _log(account, kam_user, "Pricing call", 9, [ana])
    _log(account, kam_user, "Site visit with both", 3, [ana, bruno])
    _log(account, kam_user, "Bruno alone", 1, [bruno])
    response = client_for(kam_user).get(_url(ana), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # the fragment only
    assert html.index("Site visit with both") < html.index("Pricing call")
    assert "Bruno alone" not in html
    assert "Advocate" in html and "influence 5/5" in html
    assert 'class="timeline-entry' in html  # the timeline's own row partial


def test_the_panel_shows_at_most_the_last_five(client_for, kam_user, account, people):
    ana = people[0]
    for day in range(PERSON_INTERACTIONS + 2):
        _log(account, kam_user, f"Meeting {day:02d}", day + 1, [ana])
    entries = client_for(kam_user).get(_url(ana)).context["entries"]
    assert [e.interaction.summary for e in entries] == [f"Meeting {d:02d}" for d in range(5)]


def test_the_people_at_an_interaction_are_named_by_name_escaped_on_the_timeline_and_panel(
    client_for, kam_user, account, people
):
    """The "With …" line of an interaction's entry: everyone present, by name, each escaped,
    on the timeline page and in the panel (accounts.timeline.with_people); an entry of another
    kind, or one whose interaction had nobody, has none."""
    ana, bruno = people
    odd = StakeholderFactory(account=account, name="Zeca <b>& Co</b>")
    _log(account, kam_user, "All three", 2, [odd, bruno, ana])
    _log(account, kam_user, "Nobody named", 1, [])
    expected = "With Ana Lima, Bruno Costa, Zeca &lt;b&gt;&amp; Co&lt;/b&gt;</div>"
    client = client_for(kam_user)
    timeline = client.get(reverse("account_timeline", args=[account.pk])).content.decode()
    assert timeline.count(expected) == 1
    assert timeline.count("With ") == 1  # not on "Nobody named"
    panel = client.get(_url(ana), headers={"HX-Request": "true"}).content.decode()
    assert expected in panel


def test_without_interactions_the_panel_says_so(client_for, team_member, people):
    html = client_for(team_member).get(_url(people[1])).content.decode()
    assert "No interaction with Bruno Costa logged yet." in html


def test_an_outsider_gets_404_and_a_person_of_another_account_is_404(
    client_for, outsider, kam_user, people
):
    assert client_for(outsider).get(_url(people[0])).status_code == 404
    stranger = StakeholderFactory(name="Elsewhere")
    url = reverse("stakeholder_panel", args=[people[0].account_id, stranger.pk])
    assert client_for(kam_user).get(url).status_code == 404


# 1 session, 2 user, 3 the account (access), 4 the person, 5 the interaction entries
# (+ interaction, logged by, the names of everyone present); no unread-notice count (a fragment
# draws no bell, and the context processor counts only when one is drawn)
PANEL_QUERIES = 5


def test_the_panel_has_a_fixed_number_of_queries(
    client_for, kam_user, account, people, django_assert_num_queries
):
    ana, bruno = people
    client = client_for(kam_user)
    _log(account, kam_user, "First", 5, [ana])
    client.get(_url(ana), headers={"HX-Request": "true"})
    with django_assert_num_queries(PANEL_QUERIES):
        client.get(_url(ana), headers={"HX-Request": "true"})
    for day in range(4):
        _log(account, kam_user, f"More {day}", day + 1, [ana, bruno])
    with django_assert_num_queries(PANEL_QUERIES):
        response = client.get(_url(ana), headers={"HX-Request": "true"})
    assert len(response.context["entries"]) == 5
