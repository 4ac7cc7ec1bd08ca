"""Issue 16, points 2 and 7: every save says what it did (one messages region, also for htmx
answers); a log can be undone by its author for a few minutes, side effects included; a
summary over 300 characters is never cut silently; long notes collapse on the timeline."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, Stakeholder, TimelineEntry, TimelineKind
from activities import services
from activities.forms import SUMMARY_MAX, split_summary
from activities.models import (
    ClientRequest,
    Commitment,
    CommitmentEvent,
    Interaction,
)
from activities.services import UNDO_WINDOW, NextStep, interaction_log, interaction_undo
from kam.models import AuditEvent, OutboxTask
from tests.activities.test_views import HTMX, quick_log_data
from tests.factories import StakeholderFactory
from tests.plans.factories import ActionFactory


@pytest.fixture
def ana(account):
    return StakeholderFactory(account=account, name="Ana Lima", title="CFO")


def _log(account, actor, *, at, summary="Call", stakeholders=(), steps=(), **extra):
    return interaction_log(
        account=account,
        actor=actor,
        kind="call",
        occurred_at=at,
        summary=summary,
        stakeholders=stakeholders,
        next_steps=steps,
        **extra,
    )


# --- the undo service ---------------------------------------------------------------------------


def test_undo_removes_the_log_its_next_steps_and_entries_and_rolls_last_touch_back(
    account, kam_user, ana, now
):
    earlier = _log(account, kam_user, at=now - timedelta(days=9), stakeholders=[ana])
    logged = _log(
        account,
        kam_user,
        at=now - timedelta(hours=1),
        summary="Duplicate of the renewal call",
        stakeholders=[ana],
        steps=[NextStep(title="Send quote", due_date=now.date(), owner_user=kam_user)],
    )
    step = Commitment.objects.get(source_interaction=logged)
    account.refresh_from_db()
    assert account.last_touch_at == logged.occurred_at
    OutboxTask.objects.all().delete()  # the log's own rescore (one test transaction)

    interaction_undo(interaction=logged, actor=kam_user)

    assert list(Interaction.objects.all()) == [earlier]
    assert not Commitment.objects.filter(pk=step.pk).exists()
    assert not CommitmentEvent.objects.filter(commitment_id=step.pk).exists()
    assert not TimelineEntry.objects.filter(interaction_id=logged.pk).exists()
    assert not TimelineEntry.objects.filter(commitment_id=step.pk).exists()
    assert TimelineEntry.objects.filter(interaction=earlier).count() == 1
    assert Account.objects.get(pk=account.pk).last_touch_at == earlier.occurred_at
    assert Stakeholder.objects.get(pk=ana.pk).last_interaction_at == earlier.occurred_at
    event = AuditEvent.objects.get(object_type="interaction", object_id=logged.pk)
    assert (event.action, event.actor, event.account_id) == ("deleted", kam_user, account.pk)
    assert event.changes["summary"] == ["Duplicate of the renewal call", None]
    assert event.changes["next_steps"] == ["Send quote", None]
    rescore = OutboxTask.objects.get()
    assert (rescore.task, rescore.args[0]) == ("insights.tasks.health_chunk", [account.pk])


def test_undoing_the_only_log_leaves_the_account_untouched_again(account, kam_user, ana, now):
    logged = _log(account, kam_user, at=now, stakeholders=[ana])
    interaction_undo(interaction=logged, actor=kam_user)
    assert Account.objects.get(pk=account.pk).last_touch_at is None
    assert Stakeholder.objects.get(pk=ana.pk).last_interaction_at is None


def _request(account, now):
    return services.request_create(
        account=account,
        actor=account.owner,
        subject="Invoice copy",
        received_at=now - timedelta(days=1),
        priority="normal",
    )


def test_undo_reopens_the_request_the_log_answered_and_resolved(account, kam_user, now):
    request = _request(account, now)
    logged = _log(account, kam_user, at=now, answers_request=request, resolves_request=True)
    request.refresh_from_db()
    assert (request.first_response_interaction, request.resolved_in_interaction) == (
        logged,
        logged,
    )

    interaction_undo(interaction=logged, actor=kam_user)

    request.refresh_from_db()
    assert (request.first_response_at, request.resolved_at) == (None, None)
    assert not TimelineEntry.objects.filter(
        client_request=request, kind=TimelineKind.REQUEST_RESOLVED
    ).exists()
    assert (
        AuditEvent.objects.filter(
            object_type="client_request", object_id=request.pk, action="status"
        )
        .latest("pk")
        .changes["resolved_at"][1]
        is None
    )


def test_undo_of_a_log_that_resolved_an_answered_request_keeps_the_first_answer(
    account, kam_user, now
):
    request = _request(account, now)
    answer = _log(account, kam_user, at=now - timedelta(hours=3), answers_request=request)
    resolution = _log(account, kam_user, at=now, answers_request=request, resolves_request=True)

    interaction_undo(interaction=resolution, actor=kam_user)

    request.refresh_from_db()
    assert request.resolved_at is None
    assert (request.first_response_at, request.first_response_interaction) == (
        answer.occurred_at,
        answer,
    )


def test_undo_is_refused_after_the_window_and_changes_nothing(account, kam_user, now):
    logged = _log(account, kam_user, at=now)
    too_late = time_machine.travel(now + UNDO_WINDOW + timedelta(seconds=1), tick=False)
    with too_late, pytest.raises(ValidationError, match="Too late to undo"):
        interaction_undo(interaction=logged, actor=kam_user)
    assert Interaction.objects.filter(pk=logged.pk).exists()
    assert not AuditEvent.objects.filter(object_type="interaction").exists()


def test_undo_is_allowed_until_the_window_ends(account, kam_user, now):
    logged = _log(account, kam_user, at=now)
    with time_machine.travel(now + UNDO_WINDOW - timedelta(seconds=1), tick=False):
        interaction_undo(interaction=logged, actor=kam_user)
    assert not Interaction.objects.filter(pk=logged.pk).exists()


def test_only_the_author_may_undo(account, kam_user, team_member, leader, now):
    logged = _log(account, kam_user, at=now)
    for someone in (team_member, leader):
        with pytest.raises(ValidationError, match="Only the person who logged"):
            interaction_undo(interaction=logged, actor=someone)
    assert Interaction.objects.filter(pk=logged.pk).exists()


# --- the confirmation and the Undo, through the views -------------------------------------------


def test_the_log_page_confirms_what_was_logged_with_a_link_and_undo(
    client_for, kam_user, account, now
):
    """The global "Log interaction" page (no timeline on it): the htmx answer carries the fresh
    form and the confirmation for the page's messages region, and no timeline."""
    url = reverse("interaction_create", args=[account.pk])
    response = client_for(kam_user).post(
        url,
        quick_log_data(summary="Renewal kick-off"),
        HTTP_HX_CURRENT_URL=f"http://testserver{url}",
        **HTMX,
    )

    assert response.status_code == 200
    page = response.content.decode()
    logged = Interaction.objects.get()
    assert '<div id="messages" class="messages-region" hx-swap-oob="innerHTML"' in page
    assert f"Logged: Meeting with {account.name} on " in page
    assert "“Renewal kick-off”" in page
    assert f'href="{logged.get_absolute_url()}"'.replace("&", "&amp;") in page
    assert f'action="{reverse("interaction_undo", args=[logged.pk])}"' in page
    assert f'name="next" value="{url}"' in page  # Undo comes back here
    assert "timeline-entries" not in page


def test_the_account_page_gets_the_confirmation_and_the_timeline(
    client_for, kam_user, account, now
):
    response = client_for(kam_user).post(
        reverse("interaction_create", args=[account.pk]),
        quick_log_data(summary="Renewal kick-off"),
        HTTP_HX_CURRENT_URL=f"http://testserver{account.get_absolute_url()}",
        **HTMX,
    )
    page = response.content.decode()
    assert 'id="timeline-entries" hx-swap-oob="true"' in page
    assert f"Logged: Meeting with {account.name}" in page


def test_without_javascript_the_confirmation_waits_on_the_timeline(
    client_for, kam_user, account, now
):
    client = client_for(kam_user)
    response = client.post(
        reverse("interaction_create", args=[account.pk]),
        quick_log_data(summary="Site visit"),
        follow=True,
    )
    page = response.content.decode()
    logged = Interaction.objects.get()
    assert f"Logged: Meeting with {account.name}" in page
    assert f'id="interaction-{logged.pk}"' in page
    assert reverse("interaction_undo", args=[logged.pk]) in page


def test_the_link_opens_the_timeline_at_a_back_dated_log(client_for, kam_user, account, now):
    old = _log(account, kam_user, at=now - timedelta(days=400), summary="Old visit")
    for day in range(25):  # a full page of newer entries
        _log(account, kam_user, at=now - timedelta(days=day), summary=f"Call {day}")
    page = client_for(kam_user).get(old.get_absolute_url()).content.decode()
    assert f'id="interaction-{old.pk}"' in page
    assert "Show the newest entries" in page


def test_undo_through_the_button_goes_back_and_says_so(client_for, kam_user, account, now):
    client = client_for(kam_user)
    log_page = reverse("interaction_create", args=[account.pk])
    client.post(log_page, quick_log_data(summary="Twice by mistake"), **HTMX)
    logged = Interaction.objects.get()

    response = client.post(
        reverse("interaction_undo", args=[logged.pk]), {"next": log_page}, follow=True
    )

    assert response.redirect_chain == [(log_page, 302)]
    assert "Undone: “Twice by mistake” (Meeting, Acme Industrial)" in response.content.decode()
    assert not Interaction.objects.exists()


def test_undo_by_a_teammate_is_refused_with_a_message(
    client_for, kam_user, team_member, account, now
):
    logged = _log(account, kam_user, at=now)
    response = client_for(team_member).post(
        reverse("interaction_undo", args=[logged.pk]), follow=True
    )
    assert response.status_code == 200
    assert "Only the person who logged an interaction can undo it." in response.content.decode()
    assert Interaction.objects.filter(pk=logged.pk).exists()


def test_undo_by_an_outsider_is_404(client_for, outsider, kam_user, account, now):
    logged = _log(account, kam_user, at=now)
    response = client_for(outsider).post(reverse("interaction_undo", args=[logged.pk]))
    assert response.status_code == 404
    assert Interaction.objects.filter(pk=logged.pk).exists()


def test_undo_twice_says_it_is_already_gone(client_for, kam_user, account, now):
    logged = _log(account, kam_user, at=now)
    client = client_for(kam_user)
    url = reverse("interaction_undo", args=[logged.pk])
    client.post(url)
    assert client.post(url).status_code == 404  # nothing left to undo, no 500


# --- the summary's limit ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kept", "rest"),
    [
        ("short", "short", ""),
        ("x" * 300, "x" * 300, ""),
        ("x" * 301, "x" * 299 + "…", "…xx"),
        ("word " * 70, ("word " * 60).rstrip() + "…", "…" + ("word " * 10).strip()),
    ],
)
def test_split_summary_keeps_what_fits_and_hands_back_the_rest(text, kept, rest):
    got_kept, got_rest = split_summary(text)
    assert (got_kept, got_rest.rstrip()) == (kept, rest)
    assert len(got_kept) <= SUMMARY_MAX


def test_a_long_summary_keeps_300_characters_and_the_rest_opens_the_notes(
    client_for, kam_user, account, now
):
    long = "Reviewed the renewal terms line by line. " * 10  # 410 characters
    response = client_for(kam_user).post(
        reverse("interaction_create", args=[account.pk]),
        quick_log_data(summary=long, notes="Bring the legal team next time."),
        **HTMX,
    )
    assert response.status_code == 200
    logged = Interaction.objects.get()
    assert len(logged.summary) <= 300 and logged.summary.endswith("…")
    rest = logged.notes.split("\n\n")[0]
    assert (logged.summary[:-1] + " " + rest[1:]).split() == long.split()  # nothing lost
    assert logged.notes.endswith("\n\nBring the legal team next time.")
    assert "the rest is now at the start of the notes" in response.content.decode()


def test_the_summary_field_has_no_maxlength_the_browser_would_cut_at(client_for, kam_user, account):
    page = client_for(kam_user).get(reverse("interaction_create", args=[account.pk]))
    html = page.content.decode()
    field = html[html.index('name="log-summary"') - 200 : html.index('name="log-summary"') + 200]
    assert "maxlength" not in field
    assert 'data-char-limit="300"' in field
    assert 'data-counter-for="id_log-summary"' in html


# --- every save confirms: htmx answers carry the messages ----------------------------------------


def test_an_htmx_answer_without_a_message_has_no_messages_region(client_for, kam_user, account):
    page = client_for(kam_user).get(reverse("log_pick_account"), **HTMX).content.decode()
    assert 'id="messages"' not in page


def test_requests_buttons_confirm_with_and_without_javascript(client_for, kam_user, account, now):
    request = _request(account, now)
    client = client_for(kam_user)
    at = {"at": timezone.localtime(now).strftime("%Y-%m-%dT%H:%M")}
    page = client.post(reverse("request_respond", args=[request.pk]), at, **HTMX)
    assert f"Request #{request.pk}: first response recorded." in page.content.decode()
    page = client.post(reverse("request_resolve", args=[request.pk]), at, follow=True)
    assert f"Request #{request.pk} resolved." in page.content.decode()
    assert ClientRequest.objects.get(pk=request.pk).resolved_at is not None


def test_marking_notifications_read_confirms(client_for, kam_user):
    page = client_for(kam_user).post(reverse("notifications_mark_read"), follow=True)
    assert "All notifications marked as read." in page.content.decode()


def test_a_plan_row_saved_on_the_plan_page_reloads_and_keeps_its_message(
    client_for, kam_user, account, now
):
    """HX-Refresh answers make the browser load the page: the message waits for it."""
    action = ActionFactory(plan__account=account, owner_user=kam_user)
    client = client_for(kam_user)
    response = client.post(
        reverse("commitment_complete", args=[action.pk]), {"row": "plan"}, **HTMX
    )
    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    page = client.get(account.get_absolute_url()).content.decode()
    assert f"Marked done: “{action.title}”." in page


# --- long notes on the timeline -----------------------------------------------------------------


def test_long_notes_are_marked_to_collapse_and_short_ones_not(client_for, kam_user, account, now):
    short = _log(account, kam_user, at=now - timedelta(hours=2), summary="Short", notes="Fine.")
    long = _log(account, kam_user, at=now, summary="Long", notes="Line\n" * 6)
    wide = Interaction(notes="x" * 401)
    assert (short.notes_are_long, long.notes_are_long, wide.notes_are_long) == (
        False,
        True,
        True,
    )
    page = client_for(kam_user).get(reverse("account_timeline", args=[account.pk]))
    html = page.content.decode()
    assert f'id="notes-{long.pk}" data-collapsible-notes' in html
    assert f'id="notes-{short.pk}">' in html
