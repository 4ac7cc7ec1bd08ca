"""activities.services: logging an interaction (all or nothing) and keeping commitments."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from accounts.models import TimelineEntry
from activities.models import Commitment, CommitmentStatus, Interaction
from activities.services import (
    NextStep,
    commitment_complete,
    commitment_reopen,
    interaction_log,
)
from tests.factories import AccountFactory, StakeholderFactory

# FROZEN_NOW (tests/conftest.py) is 2026-03-10 12:00 in São Paulo.
TODAY = date(2026, 3, 10)


@pytest.fixture
def ana(account):
    return StakeholderFactory(account=account, name="Ana Lima")


@pytest.fixture
def bruno(account):
    return StakeholderFactory(account=account, name="Bruno Dias")


@pytest.fixture
def log(account, kam_user, now):
    """log(**overrides) → interaction_log with a valid meeting one hour ago."""

    def call(**overrides):
        arguments = {
            "account": account,
            "actor": kam_user,
            "kind": "meeting",
            "occurred_at": now - timedelta(hours=1),
            "summary": "Quarterly review",
        }
        return interaction_log(**{**arguments, **overrides})

    return call


def _step(owner, *, title="Send the proposal", due_date=TODAY + timedelta(days=7)) -> NextStep:
    if hasattr(owner, "account_id"):
        return NextStep(title=title, due_date=due_date, owner_stakeholder=owner)
    return NextStep(title=title, due_date=due_date, owner_user=owner)


def _refused_fields(log, **arguments) -> set[str]:
    with pytest.raises(ValidationError) as refused:
        log(**arguments)
    return set(refused.value.error_dict)


# --- the rules, each reported on the field the user has to fix ---------------------------


@pytest.mark.parametrize(
    "ahead", [timedelta(days=1, minutes=1), timedelta(days=30)], ids=["a-day-and-a-minute", "month"]
)
def test_interaction_more_than_a_day_in_the_future_is_refused_on_occurred_at(log, now, ahead):
    assert _refused_fields(log, occurred_at=now + ahead) == {"occurred_at"}


@pytest.mark.parametrize("ahead", [timedelta(hours=23), timedelta(days=1)], ids=["23h", "24h"])
def test_interaction_up_to_a_day_ahead_is_accepted(log, now, ahead):
    assert log(occurred_at=now + ahead).pk is not None


def test_stakeholder_from_another_account_is_refused_on_stakeholders(log, ana):
    stranger = StakeholderFactory(name="Sam Stranger")
    with pytest.raises(ValidationError) as refused:
        log(stakeholders=[ana, stranger])
    assert set(refused.value.error_dict) == {"stakeholders"}
    assert "Sam Stranger" in str(refused.value)


def test_next_step_due_before_the_interaction_is_refused_on_its_due_date(log, kam_user, now):
    step = _step(kam_user, due_date=TODAY - timedelta(days=4))
    fields = _refused_fields(log, occurred_at=now - timedelta(days=3), next_steps=[step])
    assert fields == {"next_steps-0-due_date"}


def test_next_step_due_on_the_interaction_day_is_accepted(log, kam_user, now):
    step = _step(kam_user, due_date=TODAY - timedelta(days=3))
    interaction = log(occurred_at=now - timedelta(days=3), next_steps=[step])
    assert interaction.commitments.get().due_date == TODAY - timedelta(days=3)


def test_the_error_names_the_row_of_the_bad_next_step(log, kam_user):
    good, late = _step(kam_user), _step(kam_user, due_date=TODAY - timedelta(days=30))
    assert _refused_fields(log, next_steps=[good, late]) == {"next_steps-1-due_date"}


def test_next_step_owned_by_a_user_off_the_account_team_is_refused_on_its_owner(log, outsider):
    assert _refused_fields(log, next_steps=[_step(outsider)]) == {"next_steps-0-owner"}


def test_next_step_owned_by_a_leader_off_the_account_team_is_refused(log, leader):
    # Leaders see every account but only the owner and team own its next steps.
    assert _refused_fields(log, next_steps=[_step(leader)]) == {"next_steps-0-owner"}


@pytest.mark.parametrize("persona", ["kam_user", "team_member"])
def test_next_step_owned_by_the_owner_or_a_team_member_is_accepted(request, log, persona):
    user = request.getfixturevalue(persona)
    interaction = log(next_steps=[_step(user)])
    assert interaction.commitments.get().owner_user == user


def test_next_step_owned_by_another_accounts_stakeholder_is_refused_on_its_owner(log):
    stranger = StakeholderFactory(name="Sam Stranger")
    assert _refused_fields(log, next_steps=[_step(stranger)]) == {"next_steps-0-owner"}


def test_next_step_with_no_owner_is_refused_on_its_owner(log):
    step = NextStep(title="Someone should call", due_date=TODAY)
    assert _refused_fields(log, next_steps=[step]) == {"next_steps-0-owner"}


def test_next_step_title_longer_than_a_commitment_allows_is_refused_on_its_title(log, kam_user):
    step = _step(kam_user, title="x" * 301)
    assert _refused_fields(log, next_steps=[_step(kam_user), step]) == {"next_steps-1-title"}


# --- all or nothing -----------------------------------------------------------------------


BAD_INPUTS = {
    "future": lambda s: {"occurred_at": s.now + timedelta(days=2)},
    "stranger-stakeholder": lambda s: {"stakeholders": [s.ana, StakeholderFactory()]},
    "step-due-before": lambda s: {
        "next_steps": [_step(s.kam_user, due_date=TODAY - timedelta(days=9))]
    },
    "owner-off-team": lambda s: {"next_steps": [_step(s.kam_user), _step(s.outsider)]},
    "title-too-long": lambda s: {"next_steps": [_step(s.kam_user), _step(s.ana, title="x" * 301)]},
    "blank-summary": lambda s: {"summary": ""},
    "unknown-kind": lambda s: {"kind": "telepathy"},
}


@pytest.mark.parametrize("bad", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_a_failed_interaction_log_writes_nothing(
    log, account, ana, bruno, kam_user, outsider, now, db_rows, bad
):
    earlier_touch = now - timedelta(days=5)
    account.last_touch_at = earlier_touch
    account.save()
    named = SimpleNamespace(now=now, ana=ana, kam_user=kam_user, outsider=outsider)
    arguments = {"stakeholders": [ana, bruno], **bad(named)}
    before = db_rows()

    with pytest.raises(ValidationError):
        log(**arguments)

    assert Interaction.objects.count() == 0
    assert Commitment.objects.count() == 0
    assert TimelineEntry.objects.count() == 0
    account.refresh_from_db()
    assert account.last_touch_at == earlier_touch
    ana.refresh_from_db()
    assert ana.last_interaction_at is None
    assert db_rows() == before


# --- what a successful log writes ---------------------------------------------------------


def test_interaction_log_writes_the_interaction_its_commitment_and_the_timeline(
    log, account, ana, bruno, team_member, kam_user, now
):
    occurred_at = now - timedelta(hours=2)

    interaction = log(
        occurred_at=occurred_at,
        stakeholders=[ana, bruno],
        notes="Budget approved for phase 2",
        sentiment=1,
        category="value_plan",
        next_steps=[_step(team_member, title="Send the phase 2 proposal")],
    )

    interaction.refresh_from_db()
    assert interaction.account == account
    assert interaction.logged_by == kam_user
    assert set(interaction.stakeholders.all()) == {ana, bruno}
    assert (interaction.sentiment, interaction.category) == (1, "value_plan")
    commitment = Commitment.objects.get()
    assert commitment.source_interaction == interaction
    assert commitment.owner_user == team_member
    assert commitment.created_by == kam_user
    assert commitment.status == CommitmentStatus.OPEN
    entries = TimelineEntry.objects.filter(account=account).order_by("kind")
    assert [(e.kind, e.interaction, e.commitment) for e in entries] == [
        ("commitment_created", None, commitment),
        ("interaction", interaction, None),
    ]
    assert all(e.occurred_at == occurred_at and e.actor == kam_user for e in entries)
    account.refresh_from_db()
    assert account.last_touch_at == occurred_at
    for person in (ana, bruno):
        person.refresh_from_db()
        assert person.last_interaction_at == occurred_at


def test_a_back_dated_interaction_does_not_move_last_touch_backwards(log, account, ana, bruno, now):
    recent = now - timedelta(hours=1)
    log(occurred_at=recent, stakeholders=[ana])

    log(occurred_at=now - timedelta(days=20), stakeholders=[ana, bruno], summary="Old visit")

    account.refresh_from_db()
    ana.refresh_from_db()
    bruno.refresh_from_db()
    assert account.last_touch_at == recent
    assert ana.last_interaction_at == recent
    # Bruno had no touch before: the old visit is his latest.
    assert bruno.last_interaction_at == now - timedelta(days=20)


def test_a_later_interaction_moves_last_touch_forward(log, account, now):
    log(occurred_at=now - timedelta(days=20))
    log(occurred_at=now - timedelta(hours=1))
    account.refresh_from_db()
    assert account.last_touch_at == now - timedelta(hours=1)


def test_logging_on_one_account_leaves_other_accounts_alone(log, now):
    other = AccountFactory()
    log()
    other.refresh_from_db()
    assert other.last_touch_at is None


# --- completing and reopening commitments -------------------------------------------------


@pytest.fixture
def commitment(log, kam_user):
    log(next_steps=[_step(kam_user)])
    return Commitment.objects.get()


def _done_entries(commitment):
    return TimelineEntry.objects.filter(kind="commitment_done", commitment=commitment)


def test_completing_twice_writes_one_commitment_done_entry(commitment, kam_user, team_member):
    commitment_complete(commitment=commitment, actor=kam_user)
    first_done_at = commitment.done_at
    commitment_complete(commitment=commitment, actor=team_member)

    assert commitment.status == CommitmentStatus.DONE
    assert commitment.done_at == first_done_at
    assert [entry.actor for entry in _done_entries(commitment)] == [kam_user]


def test_reopening_removes_the_commitment_done_entry(commitment, kam_user):
    commitment_complete(commitment=commitment, actor=kam_user)

    commitment_reopen(commitment=commitment, actor=kam_user)

    assert commitment.status == CommitmentStatus.OPEN
    assert commitment.done_at is None
    assert not _done_entries(commitment).exists()
    # The rest of its history stays.
    assert TimelineEntry.objects.filter(kind="commitment_created", commitment=commitment).exists()


def test_complete_reopen_complete_leaves_exactly_one_done_entry(commitment, kam_user):
    commitment_complete(commitment=commitment, actor=kam_user)
    commitment_reopen(commitment=commitment, actor=kam_user)
    commitment_complete(commitment=commitment, actor=kam_user)
    assert _done_entries(commitment).count() == 1


def test_reopening_an_open_commitment_changes_nothing(commitment, kam_user, db_rows):
    before = db_rows()
    commitment_reopen(commitment=commitment, actor=kam_user)
    assert db_rows() == before


# --- many agreed items at once (a playbook run) ------------------------------------------------


def _written(commitment):
    """What commitment_create leaves for an item, comparable between two items."""
    return (
        commitment.title,
        commitment.due_date,
        commitment.owner_user_id,
        commitment.owner_stakeholder_id,
        commitment.source,
        commitment.status,
        [(e.verb, e.actor_id, e.reason, e.changes) for e in commitment.events.all()],
        list(
            TimelineEntry.objects.filter(commitment=commitment).values_list(
                "account_id", "kind", "actor_id"
            )
        ),
    )


def test_many_items_at_once_leave_what_one_by_one_leaves(account, kam_user, ana):
    from django.dispatch import receiver

    from activities.services import agreed_item_changed, commitment_create, commitments_create_many

    heard = []

    @receiver(agreed_item_changed, weak=False, dispatch_uid="test_many_items")
    def hear(sender, *, item, actor, verb, changes, **kwargs):
        heard.append((item.title, verb, changes))

    try:
        rows = [
            {"account": account, "title": "Send the deck", "due_date": TODAY,
             "owner_user": kam_user},
            {"account": account, "title": "Confirm the date", "due_date": TODAY,
             "owner_stakeholder": ana},
        ]  # fmt: skip
        single = [commitment_create(actor=kam_user, **row) for row in rows]
        one_by_one = list(heard)
        heard.clear()
        many = commitments_create_many(rows=rows, actor=kam_user)
    finally:
        agreed_item_changed.disconnect(dispatch_uid="test_many_items")
    assert [c.pk for c in many] == list(
        Commitment.objects.filter(pk__in=[c.pk for c in many])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    assert [_written(c) for c in many] == [_written(c) for c in single]
    assert heard == one_by_one and len(heard) == 2


def test_many_items_check_every_row_and_write_nothing_when_one_fails(account, kam_user):
    from activities.services import commitments_create_many
    from tests.factories import UserFactory

    outsider = UserFactory()
    rows = [
        {"account": account, "title": "Fine", "due_date": TODAY, "owner_user": kam_user},
        {"account": account, "title": "Not ours", "due_date": TODAY, "owner_user": outsider},
    ]
    with pytest.raises(ValidationError) as error:
        commitments_create_many(rows=rows, actor=kam_user)
    assert "owner" in error.value.message_dict
    with pytest.raises(ValidationError):
        commitments_create_many(
            rows=[{"account": account, "title": "", "due_date": TODAY, "owner_user": kam_user}],
            actor=kam_user,
        )
    assert not Commitment.objects.exists()
    assert not TimelineEntry.objects.filter(kind="commitment_created").exists()


def test_many_items_cost_the_same_queries_for_2_and_40(kam_user, django_assert_num_queries):
    from activities.services import commitments_create_many

    accounts = [AccountFactory(owner=kam_user) for _ in range(20)]

    def rows(n):
        return [
            {"account": accounts[i % 20], "title": f"Item {i}", "due_date": TODAY,
             "owner_user": kam_user}
            for i in range(n)
        ]  # fmt: skip

    # The savepoint and its release, the teams, the items, their events, their timeline entries.
    with django_assert_num_queries(6):
        commitments_create_many(rows=rows(2), actor=kam_user)
    with django_assert_num_queries(6):
        commitments_create_many(rows=rows(40), actor=kam_user)
    assert (
        Commitment.objects.count()
        == TimelineEntry.objects.filter(kind="commitment_created").count()
        == 42
    )
