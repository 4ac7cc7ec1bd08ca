"""The quick log and the commitment buttons, end to end through the test client."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, ScoringConfig, TimelineEntry
from accounts.services import scoring_defaults_ensure
from activities.models import Commitment, CommitmentStatus, Interaction
from activities.services import NextStep, interaction_log
from kam.dates import business_date
from tests.factories import StakeholderFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def ana(account):
    return StakeholderFactory(account=account, name="Ana Lima", title="CFO")


@pytest.fixture
def bruno(account):
    return StakeholderFactory(account=account, name="Bruno Dias")


def quick_log_data(*, stakeholders=(), steps=(), **fields) -> dict:
    """The quick log POST body: interaction fields under "log-", next steps as a formset.
    `steps` are (title, owner, due_date) with owner "u<user pk>" or "s<stakeholder pk>"."""
    data = {
        "log-kind": "meeting",
        "log-occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "log-stakeholders": [str(s.pk) for s in stakeholders],
        "log-summary": "Renewal kick-off",
        "log-notes": "",
        "log-sentiment": "0",
        "log-category": "evolution",
        "next_steps-TOTAL_FORMS": str(max(len(steps), 1)),
        "next_steps-INITIAL_FORMS": "0",
        "next_steps-MIN_NUM_FORMS": "0",
        "next_steps-MAX_NUM_FORMS": "1000",
    }
    for index, (title, owner, due_date) in enumerate(steps):
        data[f"next_steps-{index}-title"] = title
        data[f"next_steps-{index}-owner"] = owner
        data[f"next_steps-{index}-due_date"] = due_date.isoformat()
    data.update({f"log-{name}": value for name, value in fields.items()})
    return data


def _timeline_oob(page: str) -> str:
    """The out-of-band timeline list in an htmx answer ('' when there is none)."""
    start = page.find('<ol id="timeline-entries" hx-swap-oob="true"')
    return page[start : page.index("</ol>", start)] if start >= 0 else ""


def test_quick_log_with_htmx_saves_and_swaps_the_new_entry_into_the_timeline(
    client_for, kam_user, account, ana, bruno, now
):
    due = business_date() + timedelta(days=7)
    data = quick_log_data(
        stakeholders=[ana, bruno],
        steps=[("Send the renewal proposal", f"u{kam_user.pk}", due)],
        summary="Budget approved for phase 2",
        sentiment="1",
        notes="They want a pilot first.",
    )

    response = client_for(kam_user).post(
        reverse("interaction_create", args=[account.pk]), data, **HTMX
    )

    assert response.status_code == 200
    page = response.content.decode()
    timeline = _timeline_oob(page)
    assert "Budget approved for phase 2" in timeline
    assert "Send the renewal proposal" in timeline
    assert "Ana Lima, Bruno Dias" in timeline
    # A fresh, empty form replaces the one that was posted.
    assert 'id="quick-log"' in page
    assert response.context["log_form"].is_bound is False
    interaction = Interaction.objects.get()
    assert interaction.summary == "Budget approved for phase 2"
    assert interaction.logged_by == kam_user
    commitment = Commitment.objects.get()
    assert (commitment.source_interaction, commitment.owner_user) == (interaction, kam_user)


def test_quick_log_next_step_can_be_owned_by_a_client_stakeholder(
    client_for, team_member, account, ana, now
):
    due = business_date() + timedelta(days=3)
    data = quick_log_data(steps=[("Share the usage report", f"s{ana.pk}", due)])
    response = client_for(team_member).post(
        reverse("interaction_create", args=[account.pk]), data, **HTMX
    )
    assert response.status_code == 200
    commitment = Commitment.objects.get()
    assert (commitment.owner_user, commitment.owner_stakeholder) == (None, ana)


def test_quick_log_without_htmx_redirects_to_the_timeline(client_for, kam_user, account, now):
    response = client_for(kam_user).post(
        reverse("interaction_create", args=[account.pk]), quick_log_data(summary="Site visit")
    )
    assert response.status_code == 302
    assert response.url == reverse("account_timeline", args=[account.pk])
    assert Interaction.objects.get().summary == "Site visit"


def _bad_posts(s):
    """name → (POST body, error text the page must show)."""
    in_two_days = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    week_ago = (timezone.localtime() - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    today = business_date()
    return {
        "no-summary": (quick_log_data(summary=""), "This field is required."),
        "in-the-future": (
            quick_log_data(occurred_at=in_two_days),
            "An interaction cannot be more than a day in the future.",
        ),
        "step-due-before-the-interaction": (
            quick_log_data(
                occurred_at=week_ago,
                steps=[("Follow up", f"u{s.kam_user.pk}", today - timedelta(days=10))],
            ),
            "The due date cannot be before the interaction.",
        ),
        "step-without-due-date": (
            {
                **quick_log_data(steps=[("Follow up", f"u{s.kam_user.pk}", today)]),
                "next_steps-0-due_date": "",
            },
            "Give the next step a due date.",
        ),
        "step-owned-by-an-outsider": (
            quick_log_data(steps=[("Follow up", f"u{s.outsider.pk}", today)]),
            f"u{s.outsider.pk} is not one of the available choices",
        ),
        "stakeholder-of-another-account": (
            quick_log_data(stakeholders=[s.ana, s.stranger]),
            f"{s.stranger.pk} is not one of the available choices",
        ),
        "stakeholder-who-left-since-the-form-opened": (
            quick_log_data(stakeholders=[s.ana, s.gone]),
            f"{s.gone.pk} is not one of the available choices",
        ),
    }


BAD_POSTS = [
    "no-summary",
    "in-the-future",
    "step-due-before-the-interaction",
    "step-without-due-date",
    "step-owned-by-an-outsider",
    "stakeholder-of-another-account",
    "stakeholder-who-left-since-the-form-opened",
]


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize("case", BAD_POSTS)
def test_a_bad_quick_log_answers_422_with_the_error_and_writes_nothing(
    client_for, kam_user, outsider, account, ana, now, db_rows, case, htmx
):
    named = SimpleNamespace(
        kam_user=kam_user,
        outsider=outsider,
        ana=ana,
        stranger=StakeholderFactory(name="Sam Stranger"),
        gone=StakeholderFactory(account=account, name="Gus Gone", left_on=date(2026, 3, 1)),
    )
    data, error = _bad_posts(named)[case]
    before = db_rows()

    response = client_for(kam_user).post(
        reverse("interaction_create", args=[account.pk]), data, **(HTMX if htmx else {})
    )

    assert response.status_code == 422
    assert error in response.content.decode()
    assert db_rows() == before
    account.refresh_from_db()
    assert account.last_touch_at is None


def test_a_bad_quick_log_keeps_what_was_typed(client_for, kam_user, account, now):
    data = quick_log_data(summary="", notes="Long notes the KAM must not lose")
    response = client_for(kam_user).post(
        reverse("interaction_create", args=[account.pk]), data, **HTMX
    )
    assert response.status_code == 422
    assert "Long notes the KAM must not lose" in response.content.decode()


# --- commitments: done, then undo ---------------------------------------------------------


@pytest.fixture
def commitment(account, kam_user, now):
    interaction_log(
        account=account,
        actor=kam_user,
        kind="call",
        occurred_at=now - timedelta(hours=1),
        summary="Check-in",
        next_steps=[
            NextStep(
                title="Send the pricing sheet",
                due_date=business_date() + timedelta(days=2),
                owner_user=kam_user,
            )
        ],
    )
    return Commitment.objects.get()


def _done_entries(commitment):
    return TimelineEntry.objects.filter(kind="commitment_done", commitment=commitment)


def test_completing_then_undoing_a_commitment_with_htmx(client_for, kam_user, commitment):
    client = client_for(kam_user)
    complete_url = reverse("commitment_complete", args=[commitment.pk])
    reopen_url = reverse("commitment_reopen", args=[commitment.pk])

    done = client.post(complete_url, {"show_account": "1"}, **HTMX)

    assert done.status_code == 200
    row = done.content.decode()
    assert row.lstrip().startswith('<li class="list-group-item commitment-row')
    # What happened is said in the messages region, sent out of band with the row.
    assert 'id="messages"' in row and 'hx-swap-oob="innerHTML"' in row
    assert f"Marked done: “{commitment.title}”." in row
    assert f'hx-post="{reopen_url}"' in row
    assert commitment.account.name in row  # the My work row keeps its account link
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.DONE
    assert _done_entries(commitment).count() == 1

    undone = client.post(reopen_url, {"show_account": "1"}, **HTMX)

    assert undone.status_code == 200
    row = undone.content.decode()
    assert f'hx-post="{complete_url}"' in row
    assert "Marked done" not in row
    assert f"Reopened: “{commitment.title}”." in row
    commitment.refresh_from_db()
    assert (commitment.status, commitment.done_at) == (CommitmentStatus.OPEN, None)
    assert not _done_entries(commitment).exists()


def test_double_clicking_done_writes_one_timeline_entry(client_for, kam_user, commitment):
    client = client_for(kam_user)
    url = reverse("commitment_complete", args=[commitment.pk])
    client.post(url, **HTMX)
    second = client.post(url, **HTMX)
    assert second.status_code == 200
    assert _done_entries(commitment).count() == 1


def test_cancelling_offers_undo(client_for, kam_user, commitment):
    response = client_for(kam_user).post(
        reverse("commitment_cancel", args=[commitment.pk]), {"reason": "Not needed"}, **HTMX
    )
    html = response.content.decode()
    assert f"Cancelled: “{commitment.title}”." in html
    assert ">Undo<" in html
    assert reverse("commitment_reopen", args=[commitment.pk]) in response.content.decode()
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.CANCELLED


# --- My work ------------------------------------------------------------------------------


def test_my_work_and_the_account_list_agree_on_the_configured_touch_cadence(
    client_for, kam_user, account, now
):
    # No tier: the configured default cadence applies, here 45 days instead of the usual 30.
    config = scoring_defaults_ensure()
    ScoringConfig.objects.filter(pk=config.pk).update(default_touch_cadence_days=45)
    Account.objects.filter(pk=account.pk).update(last_touch_at=now - timedelta(days=35))
    client = client_for(kam_user)

    account_list = client.get(reverse("account_list"))
    work = client.get(reverse("my_work")).context["work"]

    assert account_list.context["default_cadence"] == 45
    assert "overdue since" not in account_list.content.decode()
    assert account not in work.owed_touch
