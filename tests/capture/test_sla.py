"""The SLA figures users read come from real mail (issue 17, §5): a client email sent through
the SMTP receiver opens a request on a strategic account (rule on), the KAM's reply in the same
thread stamps its first response, and the account page's and the portfolio's first-response
figures move from pending to met; the request nobody answered turns missed."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Tier
from accounts.services import scoring_defaults_ensure
from capture.models import CaptureRule, InboundMessage
from capture.tasks import message_process
from insights.sla import Compliance
from tests.capture.conftest import forward_of, make_email
from tests.capture.test_smtp import send, smtp_server  # noqa: F401 (a fixture)

SP = ZoneInfo("America/Sao_Paulo")
TUESDAY_10AM = datetime(2026, 3, 10, 10, 0, tzinfo=SP)


@pytest.fixture
def strategic(account, default_working_calendar):
    scoring_defaults_ensure()
    tier = Tier.objects.get(key="strategic")
    tier.response_sla_hours = 4
    tier.save()
    account.tier = tier
    account.save()
    CaptureRule.objects.create(account=account, sender_email="")
    return account


def mail(server, address, raw: bytes, at: datetime) -> InboundMessage:
    with time_machine.travel(at + timedelta(minutes=1), tick=False):
        send(server, raw, [address.address])
        message = InboundMessage.objects.order_by("-pk").first()
        message_process(message.pk)
    message.refresh_from_db()
    return message


def first_response_figures(client, account, at: datetime) -> tuple[Compliance, Compliance]:
    """(the account page's, the owner's portfolio row's) 30-day first-response figures."""
    with time_machine.travel(at, tick=False):
        page = client.get(reverse("account_detail", args=[account.pk]))
        portfolio = client.get(reverse("portfolio"))
    assert page.status_code == portfolio.status_code == 200
    kam_rows = {row.key: row for row in portfolio.context["summary"].sla_kams}
    return (
        page.context["sla"].windows[30].first_response,
        kam_rows[account.owner_id].windows[30].first_response,
    )


def test_client_mail_and_the_kams_reply_move_the_sla_figures(
    smtp_server,  # noqa: F811
    address,
    strategic,
    carla,
    kam_user,
    client_for,
):
    client = client_for(kam_user)
    asks = [
        make_email(sender="carla@acme.com.br", to=["owner@example.com"], subject=subject,
                   message_id=f"<{key}@acme.com.br>", date=TUESDAY_10AM)
        for key, subject in (("ask1", "Invoice copy"), ("ask2", "Delivery date"))
    ]  # fmt: skip
    opened = [
        mail(smtp_server, address, forward_of(raw, to=address.address).replace(b"fwd1@", key), at)
        for raw, key, at in zip(
            asks, (b"fwd-a@", b"fwd-b@"), (TUESDAY_10AM, TUESDAY_10AM), strict=True
        )
    ]
    assert all(message.client_request_id for message in opened), [m.reason for m in opened]

    account_fr, portfolio_fr = first_response_figures(
        client, strategic, TUESDAY_10AM + timedelta(minutes=30)
    )
    assert account_fr == portfolio_fr == Compliance(met=0, missed=0, pending=2)

    replied_at = TUESDAY_10AM + timedelta(hours=1)
    reply = make_email(
        to=["carla@acme.com.br"], subject="Re: Invoice copy", message_id="<re1@example.com>",
        in_reply_to="<ask1@acme.com.br>", date=replied_at,
    )  # fmt: skip
    answered = mail(smtp_server, address, reply, replied_at)
    assert answered.interaction.account == strategic

    account_fr, portfolio_fr = first_response_figures(
        client, strategic, replied_at + timedelta(minutes=30)
    )
    assert account_fr == portfolio_fr == Compliance(met=1, missed=0, pending=1)

    friday = TUESDAY_10AM + timedelta(days=3)
    account_fr, portfolio_fr = first_response_figures(client, strategic, friday)
    assert account_fr == portfolio_fr == Compliance(met=1, missed=1, pending=0)
    assert account_fr.pct == 50.0
