"""The capture pipeline: a message stored once, authenticated by its token and sender, matched
to one account (or sent to triage) and logged through interaction_log like a typed email."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import Tier
from accounts.services import scoring_defaults_ensure
from activities.models import ClientRequest, Interaction, SlaOutcome
from capture import services
from capture.models import (
    AccountEmailDomain,
    CaptureRule,
    InboundMessage,
    MessageStatus,
    SenderAlias,
)
from kam.models import OutboxTask
from tests.capture.conftest import forward_of, make_email
from tests.factories import AccountFactory, StakeholderFactory

SP = ZoneInfo("America/Sao_Paulo")


def deliver(raw: bytes, address, **extra) -> InboundMessage:
    message = services.message_receive(
        raw=raw, via="smtp", envelope_from="owner@example.com",
        envelope_to=[address.address], **extra,
    )  # fmt: skip
    return services.message_process(message_id=message.pk)


def test_receiving_stores_the_raw_bytes_and_queues_processing_without_parsing(address):
    message = services.message_receive(
        raw=b"not an email at all", via="smtp", envelope_to=[address.address]
    )
    assert bytes(message.raw) == b"not an email at all"
    assert message.status == MessageStatus.RECEIVED
    assert message.user == address.user
    assert OutboxTask.objects.filter(
        task="capture.tasks.message_process", args=[[message.pk]]
    ).exists()


def test_an_email_to_a_stakeholder_is_logged_outbound_on_their_account(address, account, carla):
    message = deliver(make_email(), address)
    assert message.status == MessageStatus.LOGGED, message.reason
    assert message.account == account
    assert message.direction == "out"
    interaction = message.interaction
    assert interaction.kind == "email"
    assert interaction.summary == "Proposal for 2026"
    assert interaction.logged_by == address.user
    assert list(interaction.stakeholders.all()) == [carla]
    assert interaction.notes == "Hello Carla,\n\nHere is the proposal."  # signature trimmed
    account.refresh_from_db()
    carla.refresh_from_db()
    assert account.last_touch_at == interaction.occurred_at
    assert carla.last_interaction_at == interaction.occurred_at


def test_the_account_domain_matches_when_no_stakeholder_does(address, account):
    AccountEmailDomain.objects.create(account=account, domain="acme.com.br")
    message = deliver(make_email(to=["new.person@acme.com.br"]), address)
    assert message.status == MessageStatus.LOGGED
    assert message.account == account
    assert list(message.interaction.stakeholders.all()) == []


def test_people_on_several_accounts_send_the_email_to_triage(address, account, carla, kam_user):
    other = AccountFactory(owner=kam_user, name="Beta")
    StakeholderFactory(account=other, email="bob@beta.com")
    message = deliver(make_email(to=["carla@acme.com.br", "bob@beta.com"]), address)
    assert message.status == MessageStatus.TRIAGE
    assert "several" in message.reason
    assert message.interaction is None
    assert not Interaction.objects.exists()


def test_an_email_matching_nothing_goes_to_triage(address, account, carla):
    message = deliver(make_email(to=["stranger@nowhere.org"]), address)
    assert message.status == MessageStatus.TRIAGE
    assert message.account is None


def test_a_stakeholder_on_an_account_the_user_may_not_edit_does_not_match(address, outsider):
    theirs = AccountFactory(owner=outsider)
    StakeholderFactory(account=theirs, email="carla@acme.com.br")
    message = deliver(make_email(), address)
    assert message.status == MessageStatus.TRIAGE
    assert not theirs.interactions.exists()


def test_a_sender_who_is_not_the_user_is_dropped_and_never_attached(
    address, account, carla, outsider
):
    # The outsider knows the owner's address and the client's: nothing lands on Acme.
    message = deliver(make_email(sender="outsider@example.com"), address)
    assert message.status == MessageStatus.DROPPED
    assert "outsider@example.com" in message.reason
    assert message.user == address.user  # shown in the owner's capture log
    assert message.account is None
    assert not account.interactions.exists()


def test_a_verified_alias_may_send_an_unverified_one_may_not(address, account, carla, kam_user):
    alias = SenderAlias.objects.create(user=kam_user, email="olivia@personal.org")
    dropped = deliver(make_email(sender="olivia@personal.org", message_id="<a@x>"), address)
    assert dropped.status == MessageStatus.DROPPED
    alias.verified_at = alias.created_at
    alias.save()
    logged = deliver(make_email(sender="olivia@personal.org", message_id="<b@x>"), address)
    assert logged.status == MessageStatus.LOGGED
    assert logged.direction == "out"


def test_a_revoked_address_drops_the_message_with_a_reason(address, account, carla, kam_user):
    services.logging_address_regenerate(user=kam_user)  # the old one is revoked
    message = deliver(make_email(), address)
    assert message.status == MessageStatus.DROPPED
    assert "revoked" in message.reason
    assert not account.interactions.exists()


def test_an_unknown_token_is_dropped(account, carla, kam_user):
    message = services.message_receive(
        raw=make_email(), via="smtp", envelope_to=["log+zzzz@kam.localhost"]
    )
    message = services.message_process(message_id=message.pk)
    assert message.status == MessageStatus.DROPPED
    assert message.user is None
    assert not account.interactions.exists()


def test_the_same_bytes_delivered_twice_are_stored_once(address, account, carla):
    raw = make_email()
    first = services.message_receive(raw=raw, via="smtp", envelope_to=[address.address])
    again = services.message_receive(raw=raw, via="smtp", envelope_to=[address.address])
    assert first.pk == again.pk
    assert InboundMessage.objects.count() == 1


def test_the_same_message_id_arriving_twice_is_logged_once(address, account, carla):
    first = deliver(make_email(), address)
    # The same email again with other bytes (another relay's headers): one row, one interaction.
    again = deliver(b"Received: from relay2\r\n" + make_email(), address)
    assert again.pk == first.pk  # the first delivery, in the second's place
    assert InboundMessage.objects.count() == 1
    assert account.interactions.count() == 1


def test_the_same_message_id_twice_in_one_batch_is_logged_once(address, account, carla):
    ids = [
        services.message_receive(raw=raw, via="smtp", envelope_to=[address.address]).pk
        for raw in (make_email(), b"Received: from relay2\r\n" + make_email())
    ]
    results = services.messages_process(message_ids=ids)
    assert results[ids[1]].pk == ids[0]
    assert list(InboundMessage.objects.values_list("pk", "status")) == [(ids[0], "logged")]
    assert account.interactions.count() == 1


def test_processing_twice_changes_nothing(address, account, carla):
    message = deliver(make_email(), address)
    services.message_process(message_id=message.pk)
    assert account.interactions.count() == 1


def test_a_forwarded_client_email_is_logged_inbound_from_the_client(address, account, carla):
    original = make_email(
        sender="Carla <carla@acme.com.br>", to=["owner@example.com"],
        subject="Problem with the order", message_id="<orig@acme.com.br>",
    )  # fmt: skip
    message = deliver(forward_of(original, to=address.address), address)
    assert message.status == MessageStatus.LOGGED, message.reason
    assert message.direction == "in"
    assert message.forwarded
    assert message.from_email == "carla@acme.com.br"
    assert message.interaction.summary == "Problem with the order"
    assert list(message.interaction.stakeholders.all()) == [carla]


def test_a_not_email_is_refused_with_a_reason(address):
    message = services.message_receive(
        raw=b"\x00\x01 binary junk", via="smtp", envelope_to=[address.address]
    )
    message = services.message_process(message_id=message.pk)
    assert message.status == MessageStatus.REFUSED
    assert message.reason


@pytest.fixture
def strategic(account):
    scoring_defaults_ensure()
    tier = Tier.objects.get(key="strategic")
    tier.response_sla_hours = 12
    tier.save()
    account.tier = tier
    account.save()
    return account


def test_a_rule_opens_a_request_and_the_reply_in_the_thread_meets_its_first_response(
    address, strategic, carla
):
    CaptureRule.objects.create(account=strategic, sender_email="")
    tuesday_10am = datetime(2026, 3, 10, 10, 0, tzinfo=SP)
    with time_machine.travel(tuesday_10am + timedelta(minutes=5), tick=False):
        original = make_email(
            sender="carla@acme.com.br", to=["owner@example.com"], subject="Invoice copy",
            message_id="<ask@acme.com.br>", date=tuesday_10am,
        )  # fmt: skip
        asked = deliver(forward_of(original, to=address.address), address)
    request = asked.client_request
    assert request is not None
    assert request.channel == "email"
    assert request.requester == carla
    assert request.received_at == tuesday_10am
    later = tuesday_10am + timedelta(days=3)
    assert request.first_response_outcome(later) == SlaOutcome.MISSED  # nobody answered

    replied_at = tuesday_10am + timedelta(hours=2)
    with time_machine.travel(replied_at + timedelta(minutes=1), tick=False):
        reply = make_email(
            to=["carla@acme.com.br"], bcc_to=address.address, subject="Re: Invoice copy",
            message_id="<reply@example.com>", in_reply_to="<ask@acme.com.br>", date=replied_at,
        )  # fmt: skip
        answered = deliver(reply, address)
    assert answered.status == MessageStatus.LOGGED
    assert answered.direction == "out"
    request = ClientRequest.objects.get(pk=request.pk)
    assert request.first_response_at == replied_at
    assert request.first_response_interaction == answered.interaction
    assert request.first_response_outcome(later) == SlaOutcome.MET


def test_without_a_rule_no_request_is_opened_until_one_click(address, account, carla, kam_user):
    original = make_email(sender="carla@acme.com.br", to=["owner@example.com"])
    message = deliver(forward_of(original, to=address.address), address)
    assert message.client_request is None
    request = services.message_request_open(message=message, actor=kam_user)
    assert request.account == account
    assert request.requester == carla
    assert services.message_request_open(message=message, actor=kam_user) == request


def test_a_sender_rule_opens_requests_only_for_that_sender(address, account, carla):
    StakeholderFactory(account=account, email="other@acme.com.br")
    CaptureRule.objects.create(account=account, sender_email="carla@acme.com.br")
    other = make_email(sender="other@acme.com.br", to=["owner@example.com"], message_id="<o@a>")
    mine = make_email(sender="carla@acme.com.br", to=["owner@example.com"], message_id="<c@a>")
    assert deliver(forward_of(other, to=address.address), address).client_request is None
    forwarded = forward_of(mine, to=address.address).replace(b"fwd1@", b"fwd2@")
    assert deliver(forwarded, address).client_request is not None


def test_triage_assigns_to_the_chosen_account(address, account, kam_user):
    message = deliver(make_email(to=["stranger@nowhere.org"]), address)
    message = services.message_assign(message=message, account=account, actor=kam_user)
    assert message.status == MessageStatus.LOGGED
    assert message.interaction.account == account


def test_domain_suggestions_come_from_stakeholders_and_skip_public_and_taken_ones(account):
    StakeholderFactory(account=account, email="a@acme.com.br")
    StakeholderFactory(account=account, email="b@gmail.com")
    StakeholderFactory(account=account, email="c@acme-group.com")
    AccountEmailDomain.objects.create(account=AccountFactory(), domain="acme-group.com")
    assert services.domain_suggestions(account) == ["acme.com.br"]


def test_one_task_takes_several_messages_each_in_its_own_transaction(address, account, carla):
    from capture.tasks import message_process

    raws = [make_email(message_id=f"<batch{n}@example.com>") for n in range(3)]
    raws.insert(1, b"\x89PNG\r\n\x1a\n" + b"\0" * 100)  # a bad one among them
    ids = [
        services.message_receive(raw=raw, via="smtp", envelope_to=[address.address]).pk
        for raw in raws
    ]
    assert message_process(ids) == "logged, refused"
    statuses = dict(InboundMessage.objects.values_list("pk", "status"))
    assert [statuses[pk] for pk in ids] == ["logged", "refused", "logged", "logged"]
    assert account.interactions.count() == 3
    assert message_process(ids[2]) == MessageStatus.LOGGED  # run again: already done
    assert account.interactions.count() == 3


def test_a_crash_on_one_message_of_a_task_marks_it_failed_and_logs_the_others(
    address, account, carla, monkeypatch
):
    from capture.tasks import message_process

    ids = [
        services.message_receive(
            raw=make_email(message_id=f"<crash{n}@example.com>", subject=f"Pedido {n}"),
            via="smtp", envelope_to=[address.address],
        ).pk
        for n in range(3)
    ]  # fmt: skip
    real = services._log

    def crash_on_the_second(message, *args, **kwargs):
        if message.pk == ids[1]:
            raise RuntimeError("a bug")
        return real(message, *args, **kwargs)

    monkeypatch.setattr(services, "_log", crash_on_the_second)
    assert message_process(ids) == "failed, logged"
    statuses = dict(InboundMessage.objects.values_list("pk", "status"))
    assert [statuses[pk] for pk in ids] == ["logged", "failed", "logged"]
    assert sorted(account.interactions.values_list("summary", flat=True)) == [
        "Pedido 0",
        "Pedido 2",
    ]
