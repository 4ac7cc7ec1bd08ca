"""Adding an email saved as a file (.eml) on the account's Email capture tab: logged on that
account (whoever is in it), refused with the parser's reason, capped in size, editors only."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from capture.models import InboundMessage, MessageStatus
from tests.capture.conftest import make_email
from tests.factories import AccountFactory


def upload(client, account, raw: bytes, name="proposal.eml"):
    return client.post(
        reverse("account_email_upload", args=[account.pk]),
        {"eml": SimpleUploadedFile(name, raw, content_type="message/rfc822")},
        follow=True,
    )


def test_the_email_tab_offers_the_upload(client_for, team_member, account):
    url = reverse("account_email_domains", args=[account.pk])
    page = client_for(team_member).get(url).content.decode()
    assert 'name="eml"' in page
    assert reverse("account_email_upload", args=[account.pk]) in page


def test_an_uploaded_email_is_logged_on_this_account_with_its_stakeholders(
    client_for, kam_user, account, carla
):
    response = upload(client_for(kam_user), account, make_email())
    assert "The email was logged on" in response.content.decode()
    message = InboundMessage.objects.get()
    assert (message.via, message.user, message.account) == ("upload", kam_user, account)
    assert message.status == MessageStatus.LOGGED
    interaction = account.interactions.get()
    assert list(interaction.stakeholders.all()) == [carla]


def test_it_is_logged_on_the_page_s_account_even_when_the_people_match_another(
    client_for, kam_user, account, carla
):
    other = AccountFactory(owner=kam_user, name="Other Co")
    upload(client_for(kam_user), other, make_email())  # carla is on `account`
    message = InboundMessage.objects.get()
    assert message.account == other and message.status == MessageStatus.LOGGED
    assert other.interactions.count() == 1
    assert not account.interactions.exists()


def test_an_email_from_someone_else_is_taken_the_upload_is_the_proof(
    client_for, kam_user, account, carla
):
    upload(client_for(kam_user), account, make_email(sender="carla@acme.com.br", to=("a@b.c",)))
    message = InboundMessage.objects.get()
    assert message.status == MessageStatus.LOGGED
    assert message.direction == "in"


def test_a_file_that_is_not_an_email_is_refused_with_the_reason(client_for, kam_user, account):
    response = upload(client_for(kam_user), account, b"\x89PNG\r\n\x1a\n" + b"\0" * 200, "a.eml")
    message = InboundMessage.objects.get()
    assert message.status == MessageStatus.REFUSED and message.reason
    page = response.content.decode()
    assert "The email was not logged" in page
    assert not account.interactions.exists()


def test_a_file_over_the_limit_is_a_form_error_on_the_field(
    client_for, kam_user, account, settings
):
    settings.CAPTURE_MAX_MESSAGE_BYTES = 1000
    response = upload(client_for(kam_user), account, make_email(body="x" * 5000))
    assert response.status_code == 422
    assert "emails up to" in response.content.decode()
    assert "eml" in response.context["upload_form"].errors
    assert not InboundMessage.objects.exists()


def test_the_same_file_twice_is_kept_once(client_for, kam_user, account, carla):
    client = client_for(kam_user)
    upload(client, account, make_email())
    upload(client, account, make_email())
    assert InboundMessage.objects.count() == 1
    assert account.interactions.count() == 1


def test_someone_who_may_not_edit_the_account_may_not_upload(client_for, outsider, account):
    response = upload(client_for(outsider), account, make_email())
    assert response.status_code in (403, 404)
    assert not InboundMessage.objects.exists()


def test_the_upload_processes_only_its_own_email_not_the_mail_waiting(
    client_for, kam_user, account, carla, address
):
    from capture.services import message_receive

    waiting = message_receive(
        raw=make_email(message_id="<waiting@example.com>"), via="smtp",
        envelope_to=[address.address],
    )  # fmt: skip
    upload(client_for(kam_user), account, make_email(message_id="<uploaded@example.com>"))
    uploaded = InboundMessage.objects.get(message_id="uploaded@example.com")
    assert uploaded.status == MessageStatus.LOGGED
    waiting.refresh_from_db()
    assert waiting.status == MessageStatus.RECEIVED  # the worker's, not the page's
