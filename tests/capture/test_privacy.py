"""LGPD reaches captured mail: the export lists the account's emails that name the person, and
the erasure takes their address and name out of those emails (From/To/Cc, subject, text,
summary) and drops the raw message, leaving the other emails as they were."""

import json

from django.core.serializers.json import DjangoJSONEncoder

from capture import services
from capture.models import InboundMessage
from insights.privacy import stakeholder_erase, stakeholder_personal_data
from tests.capture.conftest import forward_of, make_email
from tests.factories import StakeholderFactory


def deliver(raw, address) -> InboundMessage:
    received = services.message_receive(raw=raw, via="smtp", envelope_to=[address.address])
    return services.message_process(message_id=received.pk)


def test_the_export_lists_the_captured_emails_that_name_the_person(
    address, account, carla, kam_user
):
    other = StakeholderFactory(account=account, name="Bruno Compras", email="bruno@acme.com.br")
    from_her = deliver(
        forward_of(
            make_email(sender="Carla Chefe <carla@acme.com.br>", to=["owner@example.com"],
                       subject="Budget", message_id="<b@acme.com.br>"),
            to=address.address,
        ),
        address,
    )  # fmt: skip
    about_her = deliver(
        make_email(to=["bruno@acme.com.br"], subject="Lunch", message_id="<l@example.com>",
                   body="Bruno, Carla Chefe will join us."),
        address,
    )  # fmt: skip
    not_her = deliver(
        make_email(to=["bruno@acme.com.br"], subject="Invoice", message_id="<i@example.com>"),
        address,
    )  # fmt: skip
    assert {from_her.account, about_her.account, not_her.account} == {account}
    data = stakeholder_personal_data(user=kam_user, stakeholder=carla)
    assert [row["id"] for row in data["captured_emails"]] == [from_her.pk, about_her.pk]
    assert data["captured_emails"][0]["from"]["email"] == "carla@acme.com.br"
    json.dumps(data, cls=DjangoJSONEncoder)  # the download serialises it
    assert [r["id"] for r in stakeholder_personal_data(user=kam_user, stakeholder=other)[
        "captured_emails"]] == [about_her.pk, not_her.pk]  # fmt: skip


def test_erasure_scrubs_the_persons_address_and_name_from_captured_mail(
    address, account, carla, kam_user, client_for
):
    from_her = deliver(
        forward_of(
            make_email(sender="Carla Chefe <Carla@Acme.com.br>", to=["owner@example.com"],
                       cc=["Carla Chefe <carla@acme.com.br>", "bruno@acme.com.br"],
                       subject="Carla Chefe: budget", message_id="<b@acme.com.br>",
                       body="Hi, this is Carla Chefe (carla@acme.com.br).\n\nCarla Chefe"),
            to=address.address,
        ),
        address,
    )  # fmt: skip
    not_her = deliver(
        make_email(to=["bruno@acme.com.br"], subject="Invoice", message_id="<i@example.com>"),
        address,
    )  # fmt: skip
    assert bytes(from_her.raw)
    stakeholder_erase(user=kam_user, stakeholder=carla, reason="Asked by email on 3 March")
    carla.refresh_from_db()
    label = carla.name
    from_her.refresh_from_db()
    assert (from_her.from_name, from_her.from_email) == (label, "")
    assert {"name": label, "email": ""} in from_her.cc
    assert {"name": "", "email": "bruno@acme.com.br"} in from_her.cc
    for text in (from_her.subject, from_her.text, from_her.summary_text):
        assert "Carla Chefe" not in text and "carla@acme.com.br" not in text.lower()
    assert label in from_her.subject
    assert bytes(from_her.raw) == b""
    assert from_her.interaction_id is not None  # the email stays on the timeline
    not_her.refresh_from_db()
    assert bytes(not_her.raw) and not_her.subject == "Invoice"
    page = client_for(kam_user).get(
        f"/accounts/{account.pk}/stakeholders/{carla.pk}/personal-data.json"
    )
    assert page.status_code == 200
    assert "carla@acme.com.br" not in page.content.decode().lower()
