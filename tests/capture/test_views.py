"""The capture pages: the log (a fixed number of queries), the logging address, the account's
email domains and request rules, and the triage actions, each only on the user's own rows."""

import pytest
from django.urls import reverse

from capture import services
from capture.models import (
    AccountEmailDomain,
    CaptureRule,
    InboundMessage,
    LoggingAddress,
    MessageStatus,
)
from tests.capture.conftest import forward_of, make_email
from tests.factories import StakeholderFactory


def _deliver(raw, address):
    message = services.message_receive(raw=raw, via="smtp", envelope_to=[address.address])
    return services.message_process(message_id=message.pk)


def test_regenerate_then_revoke_the_logging_address(client_for, kam_user):
    client = client_for(kam_user)
    response = client.post(reverse("logging_address_regenerate"), follow=True)
    live = LoggingAddress.objects.get(user=kam_user, revoked_at__isnull=True)
    assert live.address in response.content.decode()
    assert live.address.startswith("log+") and live.address.endswith("@kam.localhost")
    client.post(reverse("logging_address_revoke"))
    assert not LoggingAddress.objects.filter(user=kam_user, revoked_at__isnull=True).exists()


def test_the_profile_links_to_the_logging_address_and_the_capture_log(client_for, kam_user):
    page = client_for(kam_user).get(reverse("profile")).content.decode()
    assert reverse("logging_address") in page
    assert reverse("capture_log") in page


def test_the_capture_log_lists_only_the_users_messages_in_fixed_queries(
    client_for, kam_user, outsider, address, account, carla, django_assert_num_queries
):
    for number in range(3):
        _deliver(make_email(message_id=f"<m{number}@x>", subject=f"Mail {number}"), address)
    _deliver(make_email(to=["stranger@nowhere.org"], message_id="<t@x>"), address)
    _deliver(make_email(to=["other@nowhere.org"], message_id="<t2@x>"), address)
    InboundMessage.objects.create(user=outsider, raw=b"x", sha256="1" * 64, via="smtp",
                                  subject="Outsider's secret")  # fmt: skip
    client = client_for(kam_user)
    # session, user, the rows (with account, interaction, request joined), the live address,
    # the unread notifications badge, the accounts offered for triage.
    with django_assert_num_queries(6):
        response = client.get(reverse("capture_log"))
    page = response.content.decode()
    assert "Mail 2" in page and "Outsider&#x27;s secret" not in page
    assert page.count("data-triage") == 2


def test_triage_assign_logs_on_the_chosen_account(client_for, kam_user, address, account):
    message = _deliver(make_email(to=["stranger@nowhere.org"]), address)
    client_for(kam_user).post(reverse("capture_assign", args=[message.pk]), {"account": account.pk})
    message.refresh_from_db()
    assert message.status == MessageStatus.LOGGED
    assert message.interaction.account == account


def test_triage_to_an_account_the_user_may_not_edit_writes_nothing(
    client_for, kam_user, outsider, address
):
    from tests.factories import AccountFactory

    theirs = AccountFactory(owner=outsider)
    message = _deliver(make_email(to=["stranger@nowhere.org"]), address)
    client_for(kam_user).post(reverse("capture_assign", args=[message.pk]), {"account": theirs.pk})
    message.refresh_from_db()
    assert message.status == MessageStatus.TRIAGE
    assert not theirs.interactions.exists()


def test_someone_elses_message_is_404_and_unchanged(client_for, outsider, address):
    message = _deliver(make_email(to=["stranger@nowhere.org"]), address)
    client = client_for(outsider)
    for name in ("capture_discard", "capture_assign", "capture_request_open"):
        assert client.post(reverse(name, args=[message.pk])).status_code == 404
    message.refresh_from_db()
    assert message.status == MessageStatus.TRIAGE


def test_one_click_opens_a_request_from_a_logged_inbound_email(
    client_for, kam_user, address, account, carla
):
    original = make_email(sender="carla@acme.com.br", to=["owner@example.com"])
    message = _deliver(forward_of(original, to=address.address), address)
    client_for(kam_user).post(reverse("capture_request_open", args=[message.pk]))
    message.refresh_from_db()
    assert message.client_request.account == account
    assert message.client_request.channel == "email"


def test_discard_drops_a_triage_message(client_for, kam_user, address):
    message = _deliver(make_email(to=["stranger@nowhere.org"]), address)
    client_for(kam_user).post(reverse("capture_discard", args=[message.pk]))
    message.refresh_from_db()
    assert message.status == MessageStatus.DROPPED


def test_account_email_domains_add_suggest_remove_and_rules(client_for, kam_user, account):
    StakeholderFactory(account=account, email="ana@acme.com.br")
    client = client_for(kam_user)
    url = reverse("account_email_domains", args=[account.pk])
    assert "Add acme.com.br" in client.get(url).content.decode()
    client.post(url, {"domain": "ACME.com.br"})
    domain = AccountEmailDomain.objects.get(account=account)
    assert domain.domain == "acme.com.br"
    client.post(url, {"account_rule": "on"})
    client.post(url, {"sender_email": "boss@acme.com.br"})
    assert set(CaptureRule.objects.values_list("sender_email", flat=True)) == {
        "",
        "boss@acme.com.br",
    }
    client.post(url, {"remove_domain": domain.pk})
    assert not AccountEmailDomain.objects.exists()


@pytest.mark.parametrize("domain", ["gmail.com", "not a domain"])
def test_a_public_or_malformed_domain_is_refused(client_for, kam_user, account, domain):
    url = reverse("account_email_domains", args=[account.pk])
    response = client_for(kam_user).post(url, {"domain": domain})
    assert response.status_code == 422
    assert not AccountEmailDomain.objects.exists()


def test_a_domain_of_another_account_is_refused(client_for, kam_user, account):
    from tests.factories import AccountFactory

    AccountEmailDomain.objects.create(account=AccountFactory(), domain="acme.com.br")
    url = reverse("account_email_domains", args=[account.pk])
    assert client_for(kam_user).post(url, {"domain": "acme.com.br"}).status_code == 422


@pytest.mark.parametrize("value", ["x", "", "²"])
def test_removing_a_domain_that_is_not_this_accounts_is_a_404(client_for, kam_user, account, value):
    from tests.factories import AccountFactory

    other = AccountEmailDomain.objects.create(account=AccountFactory(), domain="other.com.br")
    url = reverse("account_email_domains", args=[account.pk])
    client = client_for(kam_user)
    assert client.post(url, {"remove_domain": value}).status_code == 404
    assert client.post(url, {"remove_domain": other.pk}).status_code == 404
    assert AccountEmailDomain.objects.filter(pk=other.pk).exists()


def test_triage_can_add_the_client_sender_as_a_stakeholder(client_for, kam_user, address, account):
    original = make_email(sender="Nina Nova <nina@newco.com>", to=["owner@example.com"])
    message = _deliver(forward_of(original, to=address.address), address)
    assert message.status == MessageStatus.TRIAGE
    client_for(kam_user).post(
        reverse("capture_assign", args=[message.pk]), {"account": account.pk, "add_sender": "on"}
    )
    message.refresh_from_db()
    person = account.stakeholders.get(email="nina@newco.com")
    assert person.name == "Nina Nova"
    assert list(message.interaction.stakeholders.all()) == [person]
    # The next email from her matches by herself.
    again = make_email(sender="nina@newco.com", to=["owner@example.com"], message_id="<n2@x>")
    forwarded = forward_of(again, to=address.address).replace(b"fwd1@", b"fwd9@")
    assert _deliver(forwarded, address).account == account
