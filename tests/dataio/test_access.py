"""The importer changes an account's owner only for whom accounts.selectors.account_permits
allows it (leaders and admins; the import pages are theirs only anyway)."""

import pytest

from accounts.models import Account
from tests.factories import AccountFactory

FILE = "external_id,name,owner\nA1,Acme Industrial,team@example.com\n"


@pytest.fixture
def acme(kam_user, team_member):
    account = AccountFactory(name="Acme Industrial", external_id="A1", owner=kam_user)
    account.team.add(team_member)
    return account


def test_a_leader_import_hands_the_account_over(run_import, leader, team_member, acme):
    result = run_import("accounts", FILE, actor=leader)
    assert result.counts["updated"] == 1
    assert Account.objects.get(pk=acme.pk).owner == team_member


def test_an_import_by_someone_who_may_not_change_the_owner_rejects_the_row(
    run_import, kam_user, acme
):
    result = run_import("accounts", FILE, actor=kam_user)
    assert result.counts["rejected"] == 1
    assert "Only leaders and admins hand an account over" in result.rejects[0]["reason"]
    assert Account.objects.get(pk=acme.pk).owner == kam_user
