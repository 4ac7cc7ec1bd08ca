"""Account pages end to end: a stale profile edit, and the timeline's filter and 'load more'."""

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import Account
from accounts.services import milestone_create, stakeholder_create
from accounts.timeline import PAGE_SIZE
from activities.services import interaction_log

HTMX = {"HTTP_HX_REQUEST": "true"}


# --- stale edit -------------------------------------------------------------------------------


def _profile(account, **changes) -> dict:
    data = {
        "name": account.name,
        "industry": account.industry,
        "currency": account.currency,
        "status": account.status,
        "owner": account.owner_id,
        "team": [member.pk for member in account.team.all()],
        "version": account.version,
    }
    return {**data, **changes}


def test_a_stale_account_edit_shows_the_other_save_and_overwrites_nothing(
    client, client_for, kam_user, leader, account
):
    kam_form = _profile(account, name="Acme (KAM's edit)", industry="Retail")
    leader_form = _profile(account, name="Acme Group", industry="Mining", needs="Cut downtime")

    saved = client_for(leader).post(reverse("account_edit", args=[account.pk]), leader_form)
    assert saved.status_code == 302
    client.logout()
    stale = client_for(kam_user).post(reverse("account_edit", args=[account.pk]), kam_form)

    assert stale.status_code == 422
    page = stale.content.decode()
    assert "Saved meanwhile by someone else" in page
    for leaders_value in ("Acme Group", "Mining", "Cut downtime"):
        assert leaders_value in page
    # The KAM's typing is still in the form, now carrying the version they have seen.
    form = stale.context["form"]
    assert form["name"].value() == "Acme (KAM's edit)"
    assert str(form["version"].value()) == "2"
    account.refresh_from_db()
    assert (account.name, account.industry, account.needs, account.version) == (
        "Acme Group",
        "Mining",
        "Cut downtime",
        2,
    )


def test_saving_again_after_reviewing_a_conflict_goes_through(
    client, client_for, kam_user, leader, account
):
    kam_form = _profile(account, name="Acme (KAM's edit)")
    client_for(leader).post(
        reverse("account_edit", args=[account.pk]), _profile(account, industry="Mining")
    )
    client.logout()
    kam = client_for(kam_user)
    stale = kam.post(reverse("account_edit", args=[account.pk]), kam_form)

    again = kam.post(
        reverse("account_edit", args=[account.pk]),
        {**kam_form, "version": stale.context["form"]["version"].value()},
    )

    assert again.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.version) == ("Acme (KAM's edit)", 3)


def test_an_edit_without_a_conflict_saves_and_bumps_the_version(client_for, kam_user, account):
    response = client_for(kam_user).post(
        reverse("account_edit", args=[account.pk]), _profile(account, industry="Energy")
    )
    assert response.status_code == 302
    assert Account.objects.values_list("industry", "version").get(pk=account.pk) == ("Energy", 2)


def _person(person, **changes) -> dict:
    data = {
        "name": person.name,
        "email": person.email,
        "buying_role": person.buying_role,
        "influence": person.influence,
        "stance": person.stance,
        "version": person.version,
    }
    return {**data, **changes}


def test_a_person_edited_in_two_tabs_keeps_the_first_save(client_for, kam_user, account):
    """Two tabs on one person: the second save, drawn before the first, is refused with the
    first's values beside the fields; nothing of the first is lost. Saving again after review
    goes through."""
    person = stakeholder_create(account=account, actor=kam_user, name="Maria Castro")
    url = reverse("stakeholder_edit", args=[account.pk, person.pk])
    client = client_for(kam_user)
    drawn = client.get(url).content.decode()
    assert f'name="version" value="{person.version}"' in drawn
    first = _person(person, email="maria.castro@example.com", stance="advocate")
    second = _person(person, email="", stance="neutral", influence=5)

    assert client.post(url, first).status_code == 302
    refused = client.post(url, second)
    assert refused.status_code == 422
    page = html.unescape(refused.content.decode())
    assert "Someone else saved this person while you were editing" in page
    assert "maria.castro@example.com" in page
    person.refresh_from_db()
    assert (person.email, person.stance, person.influence) == (
        "maria.castro@example.com", "advocate", first["influence"]
    )  # fmt: skip

    reviewed = {**second, "version": refused.context["form"].data["version"]}
    assert client.post(url, reviewed).status_code == 302
    person.refresh_from_db()
    assert (person.stance, person.influence) == ("neutral", 5)


# --- timeline ---------------------------------------------------------------------------------


@pytest.fixture
def history(account, kam_user, now):
    """Two interactions, one milestone and one new stakeholder on the timeline."""
    for days, summary in ((1, "Kick-off meeting"), (2, "Pricing call")):
        interaction_log(
            account=account,
            actor=kam_user,
            kind="meeting",
            occurred_at=now - timedelta(days=days),
            summary=summary,
        )
    milestone_create(
        account=account,
        actor=kam_user,
        happened_on=(now - timedelta(days=30)).date(),
        title="First contract",
    )
    stakeholder_create(account=account, actor=kam_user, name="Nadia Nova")
    return account


def _kinds(response) -> list[str]:
    return [entry.kind for entry in response.context["entries"]]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("", ["stakeholder_joined", "interaction", "interaction", "milestone"]),
        ("interactions", ["interaction", "interaction"]),
        ("milestones", ["milestone"]),
        ("stakeholders", ["stakeholder_joined"]),
        ("commitments", []),
        ("no-such-filter", ["stakeholder_joined", "interaction", "interaction", "milestone"]),
    ],
)
def test_timeline_filter_by_kind(client_for, team_member, history, kind, expected):
    response = client_for(team_member).get(
        reverse("account_timeline", args=[history.pk]), {"kind": kind}
    )
    assert response.status_code == 200
    assert _kinds(response) == expected
    assert re.findall(r'data-kind="(\w+)"', response.content.decode()) == expected


def test_timeline_filter_with_htmx_returns_only_the_timeline(client_for, kam_user, history):
    response = client_for(kam_user).get(
        reverse("account_timeline", args=[history.pk]),
        {"kind": "milestones"},
        HTTP_HX_TARGET="timeline",
        **HTMX,
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="timeline">')
    assert "<html" not in page
    assert "First contract" in page
    assert "Kick-off meeting" not in page


@pytest.fixture
def long_history(account, kam_user, now):
    """PAGE_SIZE + 5 interactions, newest first "Entry 00" … "Entry 24". Entries 18–22 share
    one timestamp, so the page break falls inside a tie and the id must settle the order; the
    timestamps carry microseconds, which the cursor in the URL must keep."""
    count = PAGE_SIZE + 5
    for index in range(count):
        hours_ago = 18 if 18 <= index <= 22 else index
        interaction_log(
            account=account,
            actor=kam_user,
            kind="call",
            occurred_at=now - timedelta(hours=hours_ago + 1, microseconds=250),
            summary=f"Entry {index:02d}",
        )
    return account


def _summaries(entries) -> list[str]:
    return [entry.interaction.summary for entry in entries]


def _load_more_url(page: str) -> str:
    match = re.search(r'hx-get="([^"]*before_id=\d+)"', page)
    assert match, "no 'Load more' button on the page"
    return html.unescape(match.group(1))


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "noscript-link"])
def test_load_more_continues_where_the_first_page_ended(client_for, kam_user, long_history, htmx):
    client = client_for(kam_user)
    first = client.get(reverse("account_timeline", args=[long_history.pk]))
    first_page = _summaries(first.context["entries"])

    second = client.get(_load_more_url(first.content.decode()), **(HTMX if htmx else {}))

    assert second.status_code == 200
    second_page = _summaries(second.context["entries"])
    assert len(first_page) == PAGE_SIZE
    assert len(second_page) == 5
    assert not set(first_page) & set(second_page)
    # Entries 18–22 share a timestamp: newest id first, across the page break.
    tied = [f"Entry {index:02d}" for index in range(22, 17, -1)]
    assert first_page + second_page == [
        *(f"Entry {index:02d}" for index in range(18)),
        *tied,
        *(f"Entry {index:02d}" for index in range(23, PAGE_SIZE + 5)),
    ]
    assert second.context["cursor"] is None
    assert "load-more" not in second.content.decode()
    if htmx:
        assert "<html" not in second.content.decode()


def test_load_more_keeps_the_kind_filter(client_for, kam_user, long_history, now):
    milestone_create(
        account=long_history,
        actor=kam_user,
        happened_on=(now - timedelta(days=1)).date(),
        title="Renewal signed",
    )
    client = client_for(kam_user)
    first = client.get(
        reverse("account_timeline", args=[long_history.pk]), {"kind": "interactions"}
    )
    second = client.get(_load_more_url(first.content.decode()), **HTMX)
    assert set(_kinds(first)) == set(_kinds(second)) == {"interaction"}
    assert len(_kinds(first)) + len(_kinds(second)) == PAGE_SIZE + 5


def test_a_broken_cursor_is_a_bad_request_naming_it(client_for, kam_user, long_history):
    """One rule for hand-read parameters (kam.params): not a valid value, a 400 that says
    which, rather than a page that silently shows something else."""
    response = client_for(kam_user).get(
        reverse("account_timeline", args=[long_history.pk]),
        {"before_at": "not-a-date", "before_id": "x"},
    )
    assert response.status_code == 400
    assert "“before_at” must be a date and time" in response.content.decode()


def test_a_team_member_no_longer_active_stays_on_the_team_through_an_edit(
    client_for, kam_user, team_member, account
):
    """Who left the company is still shown on the team in the form, and an edit of something
    else keeps them: only removing them in the picker takes them off."""
    account.team.add(team_member)
    team_member.is_active = False
    team_member.save(update_fields=["is_active"])
    account.refresh_from_db()
    client = client_for(kam_user)
    url = reverse("account_edit", args=[account.pk])
    drawn = html.unescape(client.get(url).content.decode())
    assert f'<option value="{team_member.pk}" selected>{team_member.full_name}</option>' in drawn

    saved = client.post(url, _profile(account, industry="Retail"))
    assert saved.status_code == 302
    account.refresh_from_db()
    assert account.industry == "Retail"
    assert list(account.team.all()) == [team_member]

    removed = client.post(url, _profile(account, team=[]))
    assert removed.status_code == 302
    assert not account.team.exists()
