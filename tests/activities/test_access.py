"""Who may log interactions, keep commitments and run QBRs (STYLE.md: access control, every
persona).

Every route of activities/urls.py that takes an account, commitment or QBR id is listed in ROUTES;
a guard test fails when a new one is added without being listed here."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, reverse
from django.utils import timezone

from activities import services
from activities import urls as activity_urls
from activities.models import (
    QBR,
    Commitment,
    CommitmentStatus,
    Interaction,
    PlannedMeeting,
    QBRStatus,
)
from insights import urls as insights_urls
from kam.dates import business_date
from tests.factories import AccountFactory, CommitmentFactory, StakeholderFactory

SEES_THE_ACCOUNT = ["kam_user", "team_member", "leader", "admin_user"]
COMMITMENT_ROUTES = {
    "commitment_complete",
    "commitment_reopen",
    "commitment_cancel",
    "commitment_reschedule",
    "commitment_reassign",
    "commitment_edit",
}
# Reads one item's history (GET only).
COMMITMENT_READ_ROUTES = {"commitment_history"}
QBR_ROUTES = {"qbr_detail", "qbr_cancel", "qbr_prep", "qbr_prep_pdf"}
REQUEST_ROUTES = {"request_respond", "request_resolve", "request_reopen"}


class Scene:
    def __init__(
        self, account, stakeholder, open_commitment, done_commitment, qbr=None, requests=()
    ):
        self.open_request, self.resolved_request = requests or (None, None)
        self.account = account
        self.stakeholder = stakeholder
        self.open_commitment = open_commitment
        self.done_commitment = done_commitment
        self.qbr = qbr
        # The log the undo route takes back (its author: see the persona test).
        self.interaction = services.interaction_log(
            account=account,
            actor=account.owner,
            kind="call",
            occurred_at=timezone.now(),
            summary="Logged twice by mistake",
        )
        self.meeting = planned_meeting(account, account.owner)

    def commitment_for(self, name: str) -> Commitment:
        # Reopen only writes when there is something to undo.
        return self.done_commitment if name == "commitment_reopen" else self.open_commitment

    def request_for(self, name: str):
        return self.resolved_request if name == "request_reopen" else self.open_request


def planned_meeting(account, owner) -> PlannedMeeting:
    """A meeting of `owner`'s from a calendar invite, over an hour ago (My work offers it)."""
    return PlannedMeeting.objects.create(
        account=account,
        owner=owner,
        uid=f"access-{owner.pk}@example.com",
        title="Renewal kickoff",
        starts_at=timezone.now() - timedelta(hours=2),
        ends_at=timezone.now() - timedelta(hours=1),
    )


INVITE = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
    "UID:uploaded@example.com\r\nDTSTART:20300110T170000Z\r\nDTEND:20300110T180000Z\r\n"
    "SUMMARY:Access check meeting\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.fixture
def scene(account, kam_user, now):
    stakeholder = StakeholderFactory(account=account, name="Carla Chefe")
    due = business_date() + timedelta(days=3)
    done = CommitmentFactory(account=account, title="Send the deck", due_date=due)
    services.commitment_complete(commitment=done, actor=kam_user)
    qbr = services.qbr_schedule(
        account=account,
        actor=kam_user,
        scheduled_on=business_date(),
        stakeholders=[stakeholder],
        agenda="Review the year",
    )
    received = timezone.now() - timedelta(hours=3)
    open_request = services.request_create(
        account=account, actor=kam_user, subject="Invoice copy", received_at=received
    )
    resolved_request = services.request_create(
        account=account, actor=kam_user, subject="Price list", received_at=received
    )
    services.request_resolve(
        client_request=resolved_request, at=timezone.now() - timedelta(hours=1), actor=kam_user
    )
    return Scene(
        account=account,
        stakeholder=stakeholder,
        open_commitment=CommitmentFactory(account=account, title="Call back", due_date=due),
        done_commitment=done,
        qbr=qbr,
        requests=(open_request, resolved_request),
    )


def _url(name: str, scene) -> str:
    if name in COMMITMENT_ROUTES | COMMITMENT_READ_ROUTES:
        return reverse(name, args=[scene.commitment_for(name).pk])
    if name in QBR_ROUTES:
        return reverse(name, args=[scene.qbr.pk])
    if name in REQUEST_ROUTES:
        return reverse(name, args=[scene.request_for(name).pk])
    if name == "interaction_undo":
        return reverse(name, args=[scene.interaction.pk])
    if name == "meeting_dismiss":
        return reverse(name, args=[scene.meeting.pk])
    return reverse(name, args=[scene.account.pk])


def _payload(name: str, scene) -> dict:
    """A POST body that succeeds for anyone allowed to make it."""
    owner = scene.account.owner
    due = (business_date() + timedelta(days=7)).isoformat()
    if name == "interaction_create":
        return {
            "log-kind": "meeting",
            "log-occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "log-stakeholders": [scene.stakeholder.pk],
            "log-summary": "Quarterly review",
            "log-sentiment": "1",
            "log-category": "evolution",
            "next_steps-TOTAL_FORMS": "1",
            "next_steps-INITIAL_FORMS": "0",
            "next_steps-MIN_NUM_FORMS": "0",
            "next_steps-MAX_NUM_FORMS": "1000",
            "next_steps-0-title": "Send the proposal",
            "next_steps-0-owner": f"u{owner.pk}",
            "next_steps-0-due_date": due,
        }
    if name == "account_commitments":
        return {"title": "Book the site visit", "owner": f"u{owner.pk}", "due_date": due}
    if name == "account_qbrs":
        return {"scheduled_on": due, "scheduled_time": "10:00", "agenda": "Access check QBR"}
    if name == "account_requests":
        return {
            "subject": "Access check request",
            "channel": "phone",
            "priority": "high",
            "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "owner": str(owner.pk),
        }
    if name == "qbr_detail":
        return {
            "hold-held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "hold-stakeholders": [scene.stakeholder.pk],
            "hold-outcome": "Renewal agreed in principle",
            "hold-rating": "4",
            "next_steps-TOTAL_FORMS": "1",
            "next_steps-INITIAL_FORMS": "0",
            "next_steps-MIN_NUM_FORMS": "0",
            "next_steps-MAX_NUM_FORMS": "1000",
            "next_steps-0-title": "Send the renewal draft",
            "next_steps-0-owner": f"u{owner.pk}",
            "next_steps-0-due_date": due,
        }
    if name == "meeting_invite_upload":
        return {"file": SimpleUploadedFile("invite.ics", INVITE.encode(), "text/calendar")}
    if name == "commitment_cancel":
        return {"reason": "The client dropped the project"}
    if name == "commitment_reschedule":
        return {"due_date": (business_date() + timedelta(days=20)).isoformat(),
                "reason": "The client asked for more time"}  # fmt: skip
    if name == "commitment_reassign":
        return {"owner": f"s{scene.stakeholder.pk}"}
    if name == "commitment_edit":
        return {"title": "Call back about the renewal"}
    return {}  # complete / reopen take no fields


def _was_written(name: str, scene) -> bool:
    account = scene.account
    if name == "interaction_create":
        return Interaction.objects.filter(account=account, summary="Quarterly review").exists()
    if name == "interaction_undo":
        return not Interaction.objects.filter(pk=scene.interaction.pk).exists()
    if name == "meeting_invite_upload":
        return PlannedMeeting.objects.filter(account=account, title="Access check meeting").exists()
    if name == "meeting_dismiss":
        scene.meeting.refresh_from_db()
        return scene.meeting.prompt_dismissed_at is not None
    if name == "account_commitments":
        return account.commitments.filter(title="Book the site visit").exists()
    if name == "account_qbrs":
        return QBR.objects.filter(account=account, agenda="Access check QBR").exists()
    if name == "qbr_detail":
        scene.qbr.refresh_from_db()
        return (
            scene.qbr.status == QBRStatus.HELD
            and account.commitments.filter(
                title="Send the renewal draft", source_qbr=scene.qbr
            ).exists()
        )
    if name == "qbr_cancel":
        scene.qbr.refresh_from_db()
        return scene.qbr.status == QBRStatus.CANCELLED
    if name == "account_requests":
        return account.client_requests.filter(subject="Access check request").exists()
    if name in REQUEST_ROUTES:
        row = scene.request_for(name)
        row.refresh_from_db()
        return {
            "request_respond": row.first_response_at is not None,
            "request_resolve": row.resolved_at is not None,
            "request_reopen": row.resolved_at is None,
        }[name]
    commitment = scene.commitment_for(name)
    commitment.refresh_from_db()
    if name == "commitment_reschedule":
        return commitment.due_date == business_date() + timedelta(days=20)
    if name == "commitment_reassign":
        return commitment.owner_stakeholder_id == scene.stakeholder.pk
    if name == "commitment_edit":
        return commitment.title == "Call back about the renewal"
    return (
        commitment.status
        == {
            "commitment_complete": CommitmentStatus.DONE,
            "commitment_reopen": CommitmentStatus.OPEN,
            "commitment_cancel": CommitmentStatus.CANCELLED,
        }[name]
    )


def _success_redirect(name: str, scene) -> str:
    if name == "meeting_invite_upload":
        return reverse("account_detail", args=[scene.account.pk])
    if name == "meeting_dismiss":
        return reverse("my_work")
    if name == "interaction_create":
        return reverse("account_timeline", args=[scene.account.pk])
    if name == "account_commitments":
        return reverse("account_commitments", args=[scene.account.pk])
    if name in ("account_qbrs", "qbr_cancel"):
        return reverse("account_qbrs", args=[scene.account.pk])
    if name == "qbr_detail":
        return reverse("qbr_detail", args=[scene.qbr.pk])
    if name == "account_requests" or name in REQUEST_ROUTES:
        # Without a `next` field the request buttons go back to the account's requests.
        return reverse("account_requests", args=[scene.account.pk])
    # Without a `next` field the commitment buttons go back to the account.
    return reverse("account_detail", args=[scene.account.pk])


ROUTES = [
    ("interaction_create", "get"),
    ("interaction_create", "post"),
    ("interaction_undo", "post"),
    ("account_commitments", "get"),
    ("account_commitments", "post"),
    ("commitment_complete", "post"),
    ("commitment_reopen", "post"),
    ("commitment_cancel", "get"),
    ("commitment_cancel", "post"),
    ("commitment_reschedule", "get"),
    ("commitment_reschedule", "post"),
    ("commitment_reassign", "get"),
    ("commitment_reassign", "post"),
    ("commitment_edit", "get"),
    ("commitment_edit", "post"),
    ("commitment_history", "get"),
    ("account_qbrs", "get"),
    ("account_qbrs", "post"),
    ("qbr_detail", "get"),
    ("qbr_detail", "post"),
    ("qbr_cancel", "post"),
    ("qbr_prep", "get"),
    ("qbr_prep_pdf", "get"),
    ("account_requests", "get"),
    ("account_requests", "post"),
    ("request_respond", "post"),
    ("request_resolve", "post"),
    ("request_reopen", "post"),
    ("meeting_invite_upload", "post"),
    ("meeting_dismiss", "post"),
]


def _request(client, name, method, scene, **extra):
    url = _url(name, scene)
    if method == "get":
        return url, client.get(url, **extra)
    return url, client.post(url, _payload(name, scene), **extra)


def test_every_activity_route_with_an_id_is_in_the_access_table():
    with_id = {
        pattern.name
        for pattern in activity_urls.urlpatterns
        if isinstance(pattern, URLPattern) and "<int:pk>" in str(pattern.pattern)
    } | {
        pattern.name
        for pattern in insights_urls.urlpatterns
        if isinstance(pattern, URLPattern) and str(pattern.pattern).startswith("qbrs/")
    }
    assert with_id == {name for name, _method in ROUTES}


@pytest.mark.parametrize(("name", "method"), ROUTES)
def test_anonymous_users_are_sent_to_login_and_nothing_is_written(
    client, scene, db_rows, name, method
):
    before = db_rows()
    url, response = _request(client, name, method, scene)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"
    assert db_rows() == before


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize(("name", "method"), ROUTES)
def test_an_outsider_kam_gets_404_and_nothing_is_written(
    client_for, outsider, scene, db_rows, name, method, htmx
):
    before = db_rows()
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    _, response = _request(client_for(outsider), name, method, scene, **extra)
    assert response.status_code == 404
    assert db_rows() == before


@pytest.mark.parametrize("persona", SEES_THE_ACCOUNT)
@pytest.mark.parametrize(("name", "method"), ROUTES)
def test_owner_team_member_leader_and_admin_may_use_the_route(
    request, client_for, scene, persona, name, method
):
    user = request.getfixturevalue(persona)
    if name == "interaction_undo":  # only its author may undo a log: each persona logs one
        scene.interaction = services.interaction_log(
            account=scene.account,
            actor=user,
            kind="call",
            occurred_at=timezone.now(),
            summary="Logged twice by mistake",
        )
    if name == "meeting_dismiss" and user != scene.meeting.owner:
        scene.meeting = planned_meeting(scene.account, user)  # only its owner dismisses it
    _, response = _request(client_for(user), name, method, scene)
    if method == "get":
        assert response.status_code == 200
        return
    assert response.status_code == 302
    assert response.url == _success_redirect(name, scene)
    assert _was_written(name, scene)


@pytest.mark.parametrize("name", sorted(COMMITMENT_ROUTES))
def test_commitment_buttons_answer_htmx_with_the_row(client_for, team_member, scene, name):
    url = _url(name, scene)
    response = client_for(team_member).post(url, _payload(name, scene), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'id="commitment-{scene.commitment_for(name).pk}"' in response.content.decode()
    assert _was_written(name, scene)


@pytest.mark.parametrize("next_url", ["https://evil.example.net/", "//evil.example.net/"])
def test_commitment_buttons_never_redirect_off_site(client_for, kam_user, scene, next_url):
    response = client_for(kam_user).post(
        reverse("commitment_complete", args=[scene.open_commitment.pk]), {"next": next_url}
    )
    assert response.status_code == 302
    assert response.url == reverse("account_detail", args=[scene.account.pk])


def test_commitment_buttons_follow_a_local_next(client_for, kam_user, scene):
    response = client_for(kam_user).post(
        reverse("commitment_complete", args=[scene.open_commitment.pk]),
        {"next": reverse("my_work")},
    )
    assert response.url == reverse("my_work")


@pytest.fixture
def foreign_account(outsider):
    return AccountFactory(name="Zeta Secret", owner=outsider)


@pytest.mark.parametrize("query", ["", "Zeta", "Secret"])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_log_search_never_lists_an_outsiders_account(
    client_for, kam_user, account, foreign_account, query, htmx
):
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client_for(kam_user).get(reverse("log_pick_account"), {"q": query}, **extra)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Zeta Secret" not in page
    assert reverse("interaction_create", args=[foreign_account.pk]) not in page
    if not query:
        assert [a.name for a in response.context["accounts"]] == ["Acme Industrial"]


def test_log_search_finds_the_kams_own_account(client_for, team_member, account):
    response = client_for(team_member).get(reverse("log_pick_account"), {"q": "acme"})
    assert [a.name for a in response.context["accounts"]] == ["Acme Industrial"]


def test_log_search_finds_an_account_by_a_part_of_its_legal_name_and_shows_it(
    client_for, kam_user, account
):
    """The picker's search is the accounts list's (AccountQuerySet.name_contains): a part of
    the legal name in any case finds the account, whose legal name is shown under its name so
    the match is seen."""
    account.legal_name = "Acme Indústria e Comércio Ltda"
    account.save()
    response = client_for(kam_user).get(
        reverse("log_pick_account"), {"q": "e comércio ltd"}, HTTP_HX_REQUEST="true"
    )
    assert [a.name for a in response.context["accounts"]] == ["Acme Industrial"]
    assert "Acme Indústria e Comércio Ltda" in response.content.decode()


def test_my_work_never_shows_another_kams_commitments(
    client_for, kam_user, team_member, outsider, account, foreign_account, now
):
    today = business_date()
    client_person = StakeholderFactory(account=foreign_account, name="Fiona Foreign")
    CommitmentFactory(account=foreign_account, title="Outsider overdue", due_date=date(2026, 3, 1))
    CommitmentFactory(account=foreign_account, title="Outsider upcoming", due_date=today)
    CommitmentFactory(
        account=foreign_account,
        title="Outsider client's task",
        owner_user=None,
        owner_stakeholder=client_person,
        due_date=today,
    )
    # Shared account, but the teammate's own to-do: not kam_user's work.
    CommitmentFactory(
        account=account, title="Teammate's task", owner_user=team_member, due_date=today
    )
    CommitmentFactory(account=account, title="My task", owner_user=kam_user, due_date=today)

    response = client_for(kam_user).get(reverse("my_work"))

    work = response.context["work"]
    assert [c.title for c in work.overdue + work.upcoming] == ["My task"]
    page = response.content.decode()
    for title in ("Outsider", "Teammate"):
        assert title not in page
