import csv
import io
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from activities.models import CommitmentStatus
from tests.factories import (
    AccountFactory,
    CommitmentFactory,
    InteractionFactory,
    StakeholderFactory,
)

pytestmark = pytest.mark.django_db


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def two_accounts(account, outsider):
    """`account` (kam_user's, team_member on the team) and one of the outsider's."""
    theirs = AccountFactory(name="Outsider Co", owner=outsider, industry="Energy")
    return account, theirs


def test_accounts_export_matches_the_filtered_list(client_for, leader, two_accounts):
    client = client_for(leader)
    listed = client.get(reverse("account_list"), {"industry": "Energy"})
    names = [a.name for a in listed.context["page"].object_list]
    rows = _csv(client.get(reverse("account_list"), {"industry": "Energy", "export": "csv"}))
    assert rows[0][:3] == ["id", "name", "external id"]
    assert [r[1] for r in rows[1:]] == names == ["Outsider Co"]


def test_accounts_export_xlsx_and_only_the_users_accounts(client_for, kam_user, two_accounts):
    response = client_for(kam_user).get(reverse("account_list"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Acme Industrial"]


def test_formulas_are_neutralised_in_exports(client_for, kam_user, account):
    StakeholderFactory(account=account, name='=HYPERLINK("http://x")')
    rows = _csv(
        client_for(kam_user).get(
            reverse("export_table", args=["stakeholders", "csv"]), {"account": account.pk}
        )
    )
    assert rows[1][2] == '\'=HYPERLINK("http://x")'


@pytest.mark.parametrize("entity", ["stakeholders", "interactions", "commitments", "opportunities"])
def test_outsider_gets_404_for_an_account_and_none_of_its_rows(
    client_for, outsider, two_accounts, entity, kam_user
):
    account, _theirs = two_accounts
    StakeholderFactory(account=account)
    InteractionFactory(account=account)
    CommitmentFactory(account=account)
    client = client_for(outsider)
    url = reverse("export_table", args=[entity, "csv"])
    assert client.get(url, {"account": account.pk}).status_code == 404
    rows = _csv(client.get(url))
    assert all(row[1] == "Outsider Co" for row in rows[1:])


@pytest.mark.parametrize("persona", ["kam_user", "team_member", "leader", "admin_user"])
def test_people_with_access_export_the_accounts_rows(client_for, request, persona, account):
    StakeholderFactory(account=account, name="Maria")
    InteractionFactory(account=account, summary="Kick-off")
    client = client_for(request.getfixturevalue(persona))
    stakeholders = _csv(
        client.get(reverse("export_table", args=["stakeholders", "csv"]), {"account": account.pk})
    )
    assert [r[2] for r in stakeholders[1:]] == ["Maria"]
    interactions = _csv(
        client.get(reverse("export_table", args=["interactions", "csv"]), {"account": account.pk})
    )
    assert [r[4] for r in interactions[1:]] == ["Kick-off"]


def test_commitments_export_honours_the_status_filter(client_for, kam_user, account):
    CommitmentFactory(account=account, title="Open one")
    CommitmentFactory(
        account=account, title="Done one", status=CommitmentStatus.DONE, done_at=timezone.now()
    )
    client = client_for(kam_user)
    url = reverse("export_table", args=["commitments", "csv"])
    assert [r[2] for r in _csv(client.get(url, {"account": account.pk, "status": "open"}))[1:]] == [
        "Open one"
    ]
    every = _csv(client.get(url, {"account": account.pk, "status": "all"}))
    assert sorted(r[2] for r in every[1:]) == ["Done one", "Open one"]
    page = client.get(reverse("account_commitments", args=[account.pk]))
    assert f"{url}?account={account.pk}&amp;status=open".encode() in page.content


def test_opportunities_export_by_plan(client_for, kam_user, account):
    from plans.services import opportunity_create, plan_create

    plan = plan_create(
        account=account,
        actor=kam_user,
        title="FY26",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    opportunity_create(
        plan=plan,
        actor=kam_user,
        title="Upsell analytics",
        amount=1000,
        owner=kam_user,
        stage="proposal",
        probability=50,
    )
    rows = _csv(
        client_for(kam_user).get(
            reverse("export_table", args=["opportunities", "csv"]),
            {"account": account.pk, "plan": plan.pk},
        )
    )
    assert rows[1][1:4] == ["Acme Industrial", "FY26", "Upsell analytics"]
    assert rows[1][9] == "500.00"


def test_unknown_entity_or_format_is_404(client_for, leader):
    client = client_for(leader)
    assert client.get(reverse("export_table", args=["users", "csv"])).status_code == 404
    assert client.get(reverse("export_table", args=["stakeholders", "pdf"])).status_code == 404


@pytest.mark.parametrize("account", ["x", "1.5", "²", "99999999999999999999"])
def test_an_account_that_is_not_an_id_is_a_bad_request_naming_it(client_for, leader, account):
    response = client_for(leader).get(
        reverse("export_table", args=["stakeholders", "csv"]), {"account": account}
    )
    assert response.status_code == 400
    assert "“account” must be a whole number" in response.content.decode()


def test_anonymous_export_goes_to_login(client):
    response = client.get(reverse("export_table", args=["stakeholders", "csv"]))
    assert response.status_code == 302


def test_export_menus_are_on_the_list_pages(client_for, kam_user, account):
    client = client_for(kam_user)
    assert b"export=xlsx" in client.get(reverse("account_list")).content
    for name in ("account_stakeholders", "account_timeline"):
        assert (
            reverse(
                "export_table", args=["stakeholders" if "stake" in name else "interactions", "xlsx"]
            ).encode()
            in client.get(reverse(name, args=[account.pk])).content
        )


def test_export_queries_do_not_grow_with_the_rows(
    client_for, leader, account, django_assert_num_queries
):
    client = client_for(leader)
    url = reverse("export_table", args=["interactions", "csv"])
    for count in (2, 20):
        for n in range(count):
            interaction = InteractionFactory(account=account, summary=f"Touch {count}-{n}")
            interaction.stakeholders.add(StakeholderFactory(account=account))
        # 1 session, 2 user, 3 the account (access), 4 interactions with account and author,
        # 5 their stakeholders (prefetch)
        with django_assert_num_queries(5):
            rows = _csv(client.get(url, {"account": account.pk}))
        assert len(rows) > count
