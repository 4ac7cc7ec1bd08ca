"""Follow-through: commitments, plan actions, QBR next steps and playbook steps are one kind of
agreed item. One rule for overdue, one write path (activities.services) with a kept history,
changes in place from every row, escalation to the leader after the tier's grace, and a chase
reminder for what the client owns."""

import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Tier
from accounts.services import StaleEdit, scoring_defaults_ensure
from activities import services
from activities.models import (
    Commitment,
    CommitmentEvent,
    CommitmentSource,
    CommitmentStatus,
    Reminder,
    ReminderKind,
)
from activities.reminders import reminders_send
from activities.selectors import MY_WORK_ROWS, account_follow_through, my_work
from insights.portfolio import PortfolioFilters, portfolio_summary
from insights.qbr_prep import qbr_prep_pack
from kam.dates import business_date
from plans import services as plan_services
from plans.models import PlanChange
from tests.factories import AccountFactory, CommitmentFactory, StakeholderFactory
from tests.plans.factories import AccountPlanFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def plan(account):
    return AccountPlanFactory(account=account, status="active")


@pytest.fixture
def late_action(plan, kam_user, now):
    """A plan action due yesterday (the issue's "overdue since 28/11")."""
    return plan_services.action_create(
        plan=plan,
        actor=kam_user,
        title="Send the savings study",
        owner_user=kam_user,
        due_date=business_date() - timedelta(days=1),
    )


# --- one list --------------------------------------------------------------------------------


def test_a_late_plan_action_is_overdue_in_my_work_the_overview_the_prep_pack_and_dashboard(
    late_action, account, kam_user, leader, now
):
    today = business_date()
    assert late_action.source == CommitmentSource.PLAN
    assert [c.title for c in my_work(kam_user, today).overdue] == ["Send the savings study"]
    assert [c.title for c in account_follow_through(account, today).overdue] == [
        "Send the savings study"
    ]
    qbr = services.qbr_schedule(account=account, actor=kam_user, scheduled_on=today)
    pack = qbr_prep_pack(qbr, today)
    assert [c.title for c in pack.overdue] == ["Send the savings study"]
    summary = portfolio_summary(leader, PortfolioFilters(), today=today)
    assert summary.commitments_overdue.value == 1


def test_the_account_page_shows_the_follow_through_card(client_for, kam_user, late_action):
    response = client_for(kam_user).get(reverse("account_detail", args=[late_action.account_id]))
    body = response.content.decode()
    assert 'id="follow-through-heading"' in body
    assert f'id="commitment-{late_action.pk}"' in body


def test_every_row_offers_the_follow_up_changes_in_place(client_for, kam_user, late_action):
    """The four follow-up links of an open item (activities/templatetags/commitment_tags.py,
    follow_up_links): each opens its form in the item's panel; My work's rows say they show
    the account, the account page's do not; the item's title is escaped."""
    late_action.title = 'Send the "savings" <study>'
    late_action.save()
    client = client_for(kam_user)
    pk = late_action.pk
    escaped = "Send the &quot;savings&quot; &lt;study&gt;"
    for url, extra in ((reverse("my_work"), "&amp;show_account=1"), (
        reverse("account_detail", args=[late_action.account_id]), ""
    )):  # fmt: skip
        body = client.get(url).content.decode()
        for name, label in (
            ("commitment_reschedule", "Reschedule"),
            ("commitment_reassign", "Reassign"),
            ("commitment_edit", "Edit"),
            ("commitment_cancel", "Cancel"),
        ):
            link = reverse(name, args=[pk])
            assert (
                f'<a class="btn btn-outline-secondary btn-sm" href="{link}?row=" '
                f'hx-get="{link}?row={extra}" hx-target="#follow-up-{pk}" hx-swap="innerHTML">'
                f'{label}<span class="visually-hidden"> “{escaped}”</span></a>'
            ) in body, (url, name)


def test_my_work_lists_ours_that_i_own_and_the_clients_on_accounts_i_own_only(
    account, kam_user, team_member, outsider, leader, now
):
    """my_commitments: an item is mine to follow when I own it, or when the client owns it on
    an account I own; not the client's on an account I am only on the team of, nor a
    teammate's. The same for a leader, who sees every account."""
    today = business_date()
    contact = StakeholderFactory(account=account)
    CommitmentFactory(account=account, title="Mine", owner_user=kam_user, due_date=today)
    CommitmentFactory(
        account=account, title="The client's", owner_user=None, owner_stakeholder=contact,
        due_date=today,
    )  # fmt: skip
    CommitmentFactory(account=account, title="A teammate's", owner_user=team_member)
    elsewhere = AccountFactory(owner=outsider)
    elsewhere.team.add(kam_user)
    CommitmentFactory(account=elsewhere, title="Mine elsewhere", owner_user=kam_user,
                      due_date=today)  # fmt: skip
    CommitmentFactory(
        account=elsewhere, title="Their client's", owner_user=None,
        owner_stakeholder=StakeholderFactory(account=elsewhere), due_date=today,
    )  # fmt: skip
    work = my_work(kam_user, today)
    assert sorted(c.title for c in work.overdue + work.upcoming) == [
        "Mine", "Mine elsewhere", "The client's",
    ]  # fmt: skip
    theirs = my_work(team_member, today)
    assert [c.title for c in theirs.overdue + theirs.upcoming] == ["A teammate's"]
    assert my_work(leader, today).upcoming == []  # sees everything, follows nothing of it


def test_my_work_groups_by_urgency(client_for, account, kam_user, now):
    today = business_date()
    client_side = StakeholderFactory(account=account, name="Carla Cliente")
    for title, days in [("Late", -2), ("Today", 0), ("In five days", 5), ("In ten days", 10)]:
        CommitmentFactory(
            account=account, title=title, owner_user=kam_user, due_date=today + timedelta(days)
        )
    CommitmentFactory(
        account=account,
        title="Client sends the forecast",
        owner_user=None,
        owner_stakeholder=client_side,
        due_date=today,
    )
    work = my_work(kam_user, today)
    assert [c.title for c in work.overdue] == ["Late"]
    assert sorted(c.title for c in work.due_today) == ["Client sends the forecast", "Today"]
    assert [c.title for c in work.this_week] == ["In five days"]
    assert [c.title for c in work.later] == ["In ten days"]
    assert work.to_chase == 1
    body = client_for(kam_user).get(reverse("my_work")).content.decode()
    for heading in ("overdue-heading", "today-heading", "week-heading", "later-heading"):
        assert f'id="{heading}"' in body


def test_my_work_and_the_account_page_agree_on_what_to_chase_with_the_client(
    client_for, account, kam_user, now
):
    """The client's items due yesterday and today have come due: both screens count those two
    to chase; due in 3 or 10 days, not yet (the account page lists the one in 3 days as due
    this week, without counting it to chase)."""
    today = business_date()
    client_side = StakeholderFactory(account=account, name="Carla Cliente")
    for days in (-1, 0, 3, 10):
        CommitmentFactory(
            account=account,
            title=f"Client item in {days} days",
            owner_user=None,
            owner_stakeholder=client_side,
            due_date=today + timedelta(days=days),
        )
    assert my_work(kam_user, today).to_chase == 2
    assert account_follow_through(account, today).to_chase == 2
    client = client_for(kam_user)
    for url in (reverse("my_work"), reverse("account_detail", args=[account.pk])):
        page = client.get(url).content.decode()
        assert "2 to chase with the client" in page, url


def test_a_long_group_shows_its_most_urgent_items_and_the_rest_on_demand(
    client_for, account, kam_user, now
):
    today = business_date()
    for n in range(MY_WORK_ROWS + 5):
        CommitmentFactory(
            account=account,
            title=f"Late item {n:02}",
            owner_user=kam_user,
            due_date=today - timedelta(days=MY_WORK_ROWS + 5 - n),  # item 00 is the oldest
        )
    client = client_for(kam_user)
    page = client.get(reverse("my_work"))
    body = page.content.decode()
    shown = [f"Late item {n:02}" for n in range(MY_WORK_ROWS)]
    assert all(title in body for title in shown)  # the longest overdue first
    assert "Late item 20" not in body and "Late item 24" not in body
    total = MY_WORK_ROWS + 5
    assert f'<span class="badge text-bg-danger">{total}</span>' in body  # the count is all
    assert f"{total} overdue</a>" in body  # and so is the summary's at the top
    assert f"Show all {total} items" in body
    assert 'href="?show=overdue#overdue-heading"' in body
    whole = client.get(reverse("my_work"), {"show": "overdue"}, **HTMX).content.decode()
    assert all(f"Late item {n:02}" in whole for n in range(total))
    assert "Show all" not in whole
    # An unknown group shows the page as usual.
    assert "Late item 24" not in client.get(reverse("my_work"), {"show": "<b>"}).content.decode()


# --- changes in place, with a history ---------------------------------------------------------


def test_reschedule_needs_a_reason_and_keeps_it_on_the_item_and_plan_history(
    client_for, kam_user, late_action
):
    client = client_for(kam_user)
    url = reverse("commitment_reschedule", args=[late_action.pk])
    new_due = (business_date() + timedelta(days=10)).isoformat()

    refused = client.post(url, {"due_date": new_due, "row": ""}, **HTMX)
    assert refused.status_code == 422
    assert refused["HX-Retarget"] == f"#follow-up-{late_action.pk}"
    late_action.refresh_from_db()
    assert late_action.due_date == business_date() - timedelta(days=1)

    saved = client.post(url, {"due_date": new_due, "reason": "Waiting for their data"}, **HTMX)
    assert saved.status_code == 200
    assert f'id="commitment-{late_action.pk}"' in saved.content.decode()
    late_action.refresh_from_db()
    assert late_action.due_date.isoformat() == new_due
    event = late_action.events.get(verb=CommitmentEvent.Verb.RESCHEDULED)
    assert event.reason == "Waiting for their data"
    assert event.actor == kam_user
    assert event.changes[0]["field"] == "due_date"
    # The plan's history follows, whichever screen made the change.
    change = PlanChange.objects.filter(plan=late_action.plan, entity="action").first()
    assert change.verb == PlanChange.Verb.UPDATED
    assert change.changes[0]["field"] == "due_date"

    history = client.get(reverse("commitment_history", args=[late_action.pk]), **HTMX)
    assert "Waiting for their data" in history.content.decode()


def test_reassign_to_the_client_and_cancel_with_a_reason(client_for, kam_user, account, now):
    person = StakeholderFactory(account=account, name="Carla Cliente")
    item = CommitmentFactory(account=account, owner_user=kam_user)
    client = client_for(kam_user)
    client.post(reverse("commitment_reassign", args=[item.pk]), {"owner": f"s{person.pk}"}, **HTMX)
    item.refresh_from_db()
    assert (item.owner_user, item.owner_stakeholder) == (None, person)
    assert item.events.filter(verb=CommitmentEvent.Verb.REASSIGNED).exists()

    refused = client.post(reverse("commitment_cancel", args=[item.pk]), {"reason": ""}, **HTMX)
    assert refused.status_code == 422
    item.refresh_from_db()
    assert item.status == CommitmentStatus.OPEN

    client.post(reverse("commitment_cancel", args=[item.pk]), {"reason": "Scope dropped"}, **HTMX)
    item.refresh_from_db()
    assert item.status == CommitmentStatus.CANCELLED
    assert item.events.get(verb=CommitmentEvent.Verb.CANCELLED).reason == "Scope dropped"


def test_a_reassignment_off_the_team_is_refused_on_the_owner_field(
    client_for, kam_user, outsider, account, now
):
    item = CommitmentFactory(account=account, owner_user=kam_user)
    response = client_for(kam_user).post(
        reverse("commitment_reassign", args=[item.pk]), {"owner": f"u{outsider.pk}"}, **HTMX
    )
    assert response.status_code == 422
    item.refresh_from_db()
    assert item.owner_user == kam_user


def test_a_concurrent_edit_is_caught_not_overwritten(kam_user, account, now):
    item = CommitmentFactory(account=account, owner_user=kam_user, title="First")
    opened_at = item.version
    services.commitment_update(commitment=item, actor=kam_user, title="Theirs")
    with pytest.raises(StaleEdit):
        services.commitment_update(
            commitment=item, actor=kam_user, expected_version=opened_at, title="Mine"
        )
    item.refresh_from_db()
    assert item.title == "Theirs"


@pytest.mark.parametrize(
    ("mode", "change"),
    [
        ("commitment_edit", {"title": "Mine"}),
        ("commitment_reschedule", {"due_date": "2030-01-10", "reason": "They asked"}),
        ("commitment_cancel", {"reason": "Not needed"}),
    ],
)
def test_a_change_from_a_row_drawn_before_another_save_is_refused(
    client_for, kam_user, account, now, mode, change
):
    """Two tabs: the form drawn in the first carries the item's version; a save in the second
    meanwhile makes the first's save a refusal that says so, never an overwrite."""
    item = CommitmentFactory(account=account, owner_user=kam_user, title="First")
    client = client_for(kam_user)
    url = reverse(mode, args=[item.pk])
    drawn = client.get(url, **HTMX).content.decode()
    assert f'name="version" value="{item.version}"' in drawn
    services.commitment_update(commitment=item, actor=kam_user, title="Theirs")

    refused = client.post(url, {**change, "version": str(item.version)}, **HTMX)
    assert refused.status_code == 422
    assert "Someone else changed this item while you were editing" in refused.content.decode()
    item.refresh_from_db()
    assert (item.title, item.status) == ("Theirs", CommitmentStatus.OPEN)
    assert item.due_date.isoformat() != "2030-01-10"


def test_an_item_done_meanwhile_is_not_reported_cancelled(client_for, kam_user, account, now):
    item = CommitmentFactory(account=account, owner_user=kam_user, title="Send the study")
    client = client_for(kam_user)
    client.get(reverse("commitment_cancel", args=[item.pk]), **HTMX)  # drawn in one tab
    services.commitment_complete(commitment=item, actor=kam_user)  # done in another

    refused = client.post(
        reverse("commitment_cancel", args=[item.pk]), {"reason": "Not needed"}, **HTMX
    )
    assert refused.status_code == 422
    assert "Cancelled" not in refused.content.decode()
    item.refresh_from_db()
    assert item.status == CommitmentStatus.DONE
    # Without a version (the API's way), a done item is refused all the same.
    with pytest.raises(ValidationError, match="reopen it before cancelling it"):
        services.commitment_cancel(commitment=item, actor=kam_user, reason="Not needed")


def test_complete_and_reopen_are_on_the_history(kam_user, account, now):
    item = CommitmentFactory(account=account, owner_user=kam_user)
    services.commitment_complete(commitment=item, actor=kam_user)
    services.commitment_reopen(commitment=item, actor=kam_user, reason="Not received after all")
    verbs = list(item.events.order_by("at", "pk").values_list("verb", flat=True))
    assert verbs[-2:] == ["completed", "reopened"]
    assert item.events.get(verb="reopened").reason == "Not received after all"


# --- escalation and chasing -------------------------------------------------------------------


@pytest.fixture
def tiers(db):
    scoring_defaults_ensure()
    return {tier.key: tier for tier in Tier.objects.all()}


def test_escalation_waits_for_the_tier_grace_then_tells_the_leader_once(
    tiers, kam_user, leader, now
):
    kam_user.manager = leader
    kam_user.save()
    today = business_date()
    strategic = AccountFactory(owner=kam_user, tier=tiers["strategic"])  # grace 1 day
    growth = AccountFactory(owner=kam_user, tier=tiers["growth"])  # grace 3 days
    for account in (strategic, growth):
        CommitmentFactory(account=account, owner_user=kam_user, due_date=today - timedelta(2))

    first = reminders_send(today=today)
    assert first[ReminderKind.ITEM_ESCALATED] == 1
    rows = Reminder.objects.filter(kind=ReminderKind.ITEM_ESCALATED)
    assert [(r.account_id, r.recipient_id) for r in rows] == [(strategic.pk, leader.pk)]
    assert reminders_send(today=today)[ReminderKind.ITEM_ESCALATED] == 0

    later = today + timedelta(days=2)  # now the growth account's item is past its grace too
    assert reminders_send(today=later)[ReminderKind.ITEM_ESCALATED] == 1
    assert Reminder.objects.filter(kind=ReminderKind.ITEM_ESCALATED).count() == 2


def test_a_reschedule_starts_a_new_escalation_clock(tiers, kam_user, leader, now):
    today = business_date()
    account = AccountFactory(owner=kam_user, tier=tiers["strategic"])
    item = CommitmentFactory(account=account, owner_user=kam_user, due_date=today - timedelta(3))
    assert reminders_send(today=today)[ReminderKind.ITEM_ESCALATED] == 1
    services.commitment_update(
        commitment=item, actor=kam_user, due_date=today - timedelta(2), reason="Agreed a delay"
    )
    assert reminders_send(today=today)[ReminderKind.ITEM_ESCALATED] == 1


def test_client_items_remind_the_owner_to_chase_once(tiers, kam_user, account, now):
    person = StakeholderFactory(account=account)
    CommitmentFactory(
        account=account,
        owner_user=None,
        owner_stakeholder=person,
        due_date=business_date(),
        title="Send the volume forecast",
    )
    assert reminders_send(today=business_date())[ReminderKind.CLIENT_ITEM_CHASE] == 1
    assert reminders_send(today=business_date())[ReminderKind.CLIENT_ITEM_CHASE] == 0
    reminder = Reminder.objects.get(kind=ReminderKind.CLIENT_ITEM_CHASE)
    assert reminder.recipient == kam_user
    assert CommitmentEvent.objects.filter(verb="chased").count() == 1


grace_rows = st.lists(
    st.tuples(
        st.sampled_from(["strategic", "key", "growth", "maintain", None]),
        st.sampled_from(CommitmentStatus.values),
        st.integers(min_value=-8, max_value=2),
    ),
    max_size=8,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=grace_rows)
def test_past_grace_agrees_with_the_row_rule(tiers, kam_user, rows):
    """CommitmentQuerySet.past_grace and Commitment.is_past_grace answer alike."""
    today = date(2026, 3, 10)
    Commitment.objects.all().delete()
    for key, status, days in rows:
        account = AccountFactory(owner=kam_user, tier=tiers[key] if key else None)
        CommitmentFactory(
            account=account,
            owner_user=kam_user,
            status=status,
            done_at=timezone.now() if status == "done" else None,
            due_date=today + timedelta(days),
        )
    many = set(
        Commitment.objects.past_grace(today, Tier.objects.all()).values_list("pk", flat=True)
    )
    one = {
        c.pk for c in Commitment.objects.select_related("account__tier") if c.is_past_grace(today)
    }
    assert many == one


def test_my_work_quick_add_creates_an_item_on_one_of_my_accounts(
    client_for, kam_user, outsider, account, now
):
    client = client_for(kam_user)
    due = (business_date() + timedelta(days=4)).isoformat()
    response = client.post(
        reverse("agreed_item_create"),
        {"item-account": account.pk, "item-title": "Send the price table", "item-due_date": due},
        **HTMX,
    )
    assert response.status_code == 200
    item = Commitment.objects.get(title="Send the price table")
    assert (item.account, item.owner_user, item.source) == (account, kam_user, "manual")
    body = response.content.decode()
    assert f'id="commitment-{item.pk}"' in body
    # The form comes back (out of band) without the title, the account and date kept, and its
    # button off while a request is under way: a second click cannot add the item twice.
    again = re.search(r'<form id="agreed-item-form"[^>]*>.*?</form>', body, re.S).group(0)
    assert 'hx-swap-oob="true"' in again and "hx-disabled-elt" in again
    assert "Send the price table" not in again
    assert f'<option value="{account.pk}" selected>' in again
    assert f'value="{due}"' in again

    # Someone else's account is not a choice: refused on the field, nothing written.
    foreign = AccountFactory(owner=outsider)
    refused = client.post(
        reverse("agreed_item_create"),
        {"item-account": foreign.pk, "item-title": "Sneak in", "item-due_date": due},
        **HTMX,
    )
    assert refused.status_code == 422
    assert not Commitment.objects.filter(title="Sneak in").exists()


@given(pk=st.integers(min_value=1, max_value=2**63 - 1))
@settings(max_examples=50, deadline=None)
def test_follow_up_paths_are_what_reverse_gives_under_any_prefix(pk):
    """The rows drawn in Python build their paths around the id once reversed
    (kam_tags.pk_path): the same as reverse() for any id, with the site served at the root or
    under a prefix."""
    from django.urls import set_script_prefix

    from activities.templatetags.commitment_tags import FOLLOW_UP_MODES
    from kam.templatetags.kam_tags import pk_path

    for prefix in ("/", "/kam/"):
        set_script_prefix(prefix)
        try:
            for url_name in (
                *(name for name, _label in FOLLOW_UP_MODES),
                "commitment_complete",
                "commitment_reopen",
                "commitment_history",
                "request_respond",
                "request_resolve",
                "request_reopen",
                "account_detail",
                "account_requests",
                "qbr_detail",
            ):
                assert pk_path(url_name, pk) == reverse(url_name, args=[pk])
        finally:
            set_script_prefix("/")
