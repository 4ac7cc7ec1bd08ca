"""Client requests: the services stamp each clock once, compute the due moments in business
hours of the account's calendar from the tier's targets, refuse owners and requesters from
elsewhere, and refuse a stale edit."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import (
    DEFAULT_RESOLUTION_HOURS,
    DEFAULT_RESPONSE_SLA_HOURS,
    Tier,
    TimelineKind,
)
from accounts.services import StaleEdit, scoring_defaults_ensure
from activities import services
from activities.models import ClientRequest, RequestStatus
from kam.models import AuditEvent
from tests.factories import AccountFactory, InteractionFactory, StakeholderFactory, UserFactory

SP = ZoneInfo("America/Sao_Paulo")
FRIDAY_4PM = datetime(2026, 3, 6, 16, 0, tzinfo=SP)


@pytest.fixture
def strategic(account):
    scoring_defaults_ensure()
    tier = Tier.objects.get(key="strategic")
    tier.response_sla_hours = 12
    tier.save()
    account.tier = tier
    account.save()
    return account


@pytest.fixture
def clock():
    with time_machine.travel(datetime(2026, 3, 12, 12, 0, tzinfo=SP), tick=False):
        yield


def _create(account, **extra):
    values = {"subject": "Invoice copy", "received_at": FRIDAY_4PM, "priority": "urgent"}
    return services.request_create(account=account, actor=account.owner, **(values | extra))


def test_a_strategic_request_received_friday_4pm_is_due_tuesday_10am_warned_monday_4pm(
    strategic, clock
):
    request = _create(strategic)
    # Fri 16–18 = 2 h, Mon 9–18 = 9 h, Tue 9–10 = 1 h: 12 business hours.
    assert request.first_response_due_at == datetime(2026, 3, 10, 10, 0, tzinfo=SP)
    # 75 % of 12 h = 9 h: Fri 2 h + Mon 7 h.
    assert request.first_response_warning_at == datetime(2026, 3, 9, 16, 0, tzinfo=SP)
    # Urgent on strategic: 8 business hours → Monday 15:00.
    assert request.resolution_due_at == datetime(2026, 3, 9, 15, 0, tzinfo=SP)
    assert request.owner == strategic.owner
    assert request.status == RequestStatus.AWAITING
    assert request.is_first_response_breached(datetime(2026, 3, 10, 10, 1, tzinfo=SP))
    assert not request.is_first_response_breached(datetime(2026, 3, 10, 10, 0, tzinfo=SP))
    entry = strategic.timeline.get()
    assert (entry.kind, entry.client_request) == (TimelineKind.REQUEST_RECEIVED, request)
    assert AuditEvent.objects.filter(object_type="client_request", object_id=request.pk).exists()


def test_an_account_without_a_tier_uses_the_default_targets(account, clock):
    request = _create(account, priority="normal", received_at=datetime(2026, 3, 9, 9, tzinfo=SP))
    assert DEFAULT_RESPONSE_SLA_HOURS == 24
    # Mon 9:00 + 24 business hours (9 a day) = Wed 15:00.
    assert request.first_response_due_at == datetime(2026, 3, 11, 15, 0, tzinfo=SP)
    assert DEFAULT_RESOLUTION_HOURS["normal"] == 90  # ten working days
    assert request.resolution_due_at == datetime(2026, 3, 20, 18, 0, tzinfo=SP)


def test_respond_stamps_the_first_response_once(strategic, clock):
    request = _create(strategic)
    first = datetime(2026, 3, 9, 11, tzinfo=SP)
    services.request_respond(client_request=request, at=first, actor=strategic.owner)
    services.request_respond(
        client_request=request, at=first + timedelta(hours=3), actor=strategic.owner
    )
    request.refresh_from_db()
    assert request.first_response_at == first
    assert request.first_response_met
    assert request.status == RequestStatus.ANSWERED
    assert request.version == 2


def test_resolving_an_unanswered_request_answers_it_and_reopen_keeps_the_answer(strategic, clock):
    request = _create(strategic)
    at = datetime(2026, 3, 10, 11, tzinfo=SP)
    services.request_resolve(client_request=request, at=at, actor=strategic.owner)
    request.refresh_from_db()
    assert (request.first_response_at, request.resolved_at) == (at, at)
    assert not request.first_response_met  # due Tuesday 10:00
    assert request.is_resolution_breached(at)
    assert strategic.timeline.filter(kind=TimelineKind.REQUEST_RESOLVED).count() == 1

    services.request_reopen(client_request=request, actor=strategic.owner)
    request.refresh_from_db()
    assert request.resolved_at is None and request.first_response_at == at
    assert request.status == RequestStatus.ANSWERED
    assert not strategic.timeline.filter(kind=TimelineKind.REQUEST_RESOLVED).exists()


def test_answers_before_the_request_arrived_are_refused(strategic, clock):
    request = _create(strategic)
    with pytest.raises(ValidationError) as error:
        services.request_respond(
            client_request=request, at=FRIDAY_4PM - timedelta(minutes=1), actor=strategic.owner
        )
    assert "first_response_at" in error.value.message_dict


def test_the_database_refuses_a_response_before_the_request(strategic, clock):
    request = _create(strategic)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClientRequest.objects.filter(pk=request.pk).update(
            first_response_at=FRIDAY_4PM - timedelta(hours=1)
        )


def test_owner_must_be_on_the_team_and_requester_of_the_account(
    strategic, outsider, team_member, clock
):
    with pytest.raises(ValidationError) as error:
        _create(strategic, owner=outsider)
    assert "owner" in error.value.message_dict
    stranger = StakeholderFactory(account=AccountFactory())
    with pytest.raises(ValidationError) as error:
        _create(strategic, requester=stranger)
    assert "requester" in error.value.message_dict
    assert _create(strategic, owner=team_member).owner == team_member


def test_update_recomputes_the_due_moments_and_refuses_a_stale_version(strategic, clock):
    request = _create(strategic)
    updated = services.request_update(
        client_request=request,
        actor=strategic.owner,
        expected_version=1,
        received_at=datetime(2026, 3, 9, 9, tzinfo=SP),
    )
    # Mon 9:00 + 12 h = Tue 12:00.
    assert updated.first_response_due_at == datetime(2026, 3, 10, 12, 0, tzinfo=SP)
    assert updated.version == 2
    assert strategic.timeline.get().occurred_at == datetime(2026, 3, 9, 9, tzinfo=SP)
    with pytest.raises(StaleEdit) as stale:
        services.request_update(
            client_request=request, actor=strategic.owner, expected_version=1, subject="Other"
        )
    assert stale.value.current.version == 2
    assert ClientRequest.objects.get().subject == "Invoice copy"


def test_a_tier_policy_change_moves_the_running_clocks_only(strategic, clock):
    answered = _create(strategic)
    waiting = _create(strategic)
    services.request_respond(
        client_request=answered, at=datetime(2026, 3, 9, 9, tzinfo=SP), actor=strategic.owner
    )
    Tier.objects.filter(pk=strategic.tier_id).update(response_sla_hours=2)
    assert services.requests_deadlines_refresh(account_ids=[strategic.pk]) == 1
    answered.refresh_from_db()
    waiting.refresh_from_db()
    assert answered.first_response_due_at == datetime(2026, 3, 10, 10, 0, tzinfo=SP)
    assert waiting.first_response_due_at == datetime(2026, 3, 6, 18, 0, tzinfo=SP)
    assert services.requests_deadlines_refresh() == 0


def test_a_refresh_of_the_stopped_clocks_moves_them_too(strategic, clock):
    # Only for rows that never had their targets (the large demo's bulk load).
    answered = _create(strategic)
    services.request_respond(
        client_request=answered, at=datetime(2026, 3, 9, 9, tzinfo=SP), actor=strategic.owner
    )
    services.request_resolve(
        client_request=answered, at=datetime(2026, 3, 9, 10, tzinfo=SP), actor=strategic.owner
    )
    answered.refresh_from_db()
    resolution_before = answered.resolution_due_at
    Tier.objects.filter(pk=strategic.tier_id).update(response_sla_hours=2)
    assert services.requests_deadlines_refresh() == 0
    assert services.requests_deadlines_refresh(stopped=True) == 1
    answered.refresh_from_db()
    assert answered.first_response_due_at == datetime(2026, 3, 6, 18, 0, tzinfo=SP)
    assert answered.resolution_due_at == resolution_before
    assert services.requests_deadlines_refresh(stopped=True) == 0


def test_logging_an_interaction_answers_and_resolves_the_request(strategic, clock):
    request = _create(strategic)
    at = datetime(2026, 3, 9, 10, tzinfo=SP)
    interaction = services.interaction_log(
        account=strategic,
        actor=strategic.owner,
        kind="call",
        occurred_at=at,
        summary="Sent the invoice",
        answers_request=request,
        resolves_request=True,
    )
    request.refresh_from_db()
    assert request.first_response_interaction == interaction
    assert request.first_response_at == request.resolved_at == at


def test_an_interaction_cannot_answer_another_accounts_request(strategic, clock):
    other = AccountFactory(owner=UserFactory())
    foreign = _create(other)
    with pytest.raises(ValidationError):
        services.interaction_log(
            account=strategic,
            actor=strategic.owner,
            kind="call",
            occurred_at=datetime(2026, 3, 9, 10, tzinfo=SP),
            summary="x",
            answers_request=foreign,
        )
    foreign.refresh_from_db()
    assert foreign.first_response_at is None
    assert InteractionFactory._meta.model.objects.count() == 0


def test_a_company_holiday_moves_the_running_clock(strategic, admin_user, clock):
    from accounts.services import company_holiday_add

    request = _create(strategic)
    company_holiday_add(actor=admin_user, calendar=None, date=datetime(2026, 3, 9).date(),
                        name="Company day")  # fmt: skip
    services.requests_deadlines_refresh()  # what the queued task runs
    request.refresh_from_db()
    # Monday is off: Fri 2 h + Tue 9 h + Wed 1 h.
    assert request.first_response_due_at == datetime(2026, 3, 11, 10, 0, tzinfo=SP)
