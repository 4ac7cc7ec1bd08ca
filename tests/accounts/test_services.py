"""accounts.services: stakeholder rules, departures on the timeline, and stale account edits."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Account, Stakeholder, TimelineEntry
from accounts.services import (
    StaleEdit,
    account_update,
    stakeholder_create,
    stakeholder_mark_left,
    stakeholder_update,
)
from tests.factories import AccountFactory, StakeholderFactory

# FROZEN_NOW (tests/conftest.py) is 2026-03-10 in São Paulo.
TODAY = date(2026, 3, 10)


def _refused_fields(call, **arguments) -> set[str]:
    with pytest.raises(ValidationError) as refused:
        call(**arguments)
    return set(refused.value.error_dict)


@pytest.fixture
def chain(account):
    """ceo ← cfo ← analyst (each reports to the one before)."""
    ceo = StakeholderFactory(account=account, name="Carla CEO")
    cfo = StakeholderFactory(account=account, name="Felipe CFO", reports_to=ceo)
    analyst = StakeholderFactory(account=account, name="Ana Analyst", reports_to=cfo)
    return ceo, cfo, analyst


# --- reports_to -------------------------------------------------------------------------------


def test_a_two_person_reporting_cycle_is_refused_on_reports_to(chain, kam_user):
    ceo, cfo, _analyst = chain
    fields = _refused_fields(stakeholder_update, stakeholder=ceo, actor=kam_user, reports_to=cfo)
    assert fields == {"reports_to"}


def test_a_longer_reporting_cycle_is_refused_on_reports_to(chain, kam_user):
    ceo, _cfo, analyst = chain
    with pytest.raises(ValidationError) as refused:
        stakeholder_update(stakeholder=ceo, actor=kam_user, reports_to=analyst)
    assert set(refused.value.error_dict) == {"reports_to"}
    assert "Ana Analyst" in str(refused.value)


def test_reporting_to_oneself_is_refused_on_reports_to(chain, kam_user):
    ceo, _cfo, _analyst = chain
    assert _refused_fields(stakeholder_update, stakeholder=ceo, actor=kam_user, reports_to=ceo) == {
        "reports_to"
    }


def test_a_refused_reporting_cycle_saves_nothing(chain, kam_user, db_rows):
    ceo, cfo, _analyst = chain
    before = db_rows()
    with pytest.raises(ValidationError):
        stakeholder_update(stakeholder=ceo, actor=kam_user, reports_to=cfo, title="Chair")
    assert db_rows() == before


def test_moving_a_report_under_someone_else_in_the_tree_is_accepted(chain, kam_user):
    ceo, _cfo, analyst = chain
    moved = stakeholder_update(stakeholder=analyst, actor=kam_user, reports_to=ceo)
    assert moved.reports_to == ceo


def test_reports_to_someone_of_another_account_is_refused_on_create(account, kam_user):
    stranger = StakeholderFactory(name="Sam Stranger")
    fields = _refused_fields(
        stakeholder_create, account=account, actor=kam_user, name="Nadia", reports_to=stranger
    )
    assert fields == {"reports_to"}
    assert not Stakeholder.objects.filter(name="Nadia").exists()


def test_reports_to_someone_of_another_account_is_refused_on_update(chain, kam_user):
    _ceo, cfo, _analyst = chain
    stranger = StakeholderFactory(name="Sam Stranger")
    assert _refused_fields(
        stakeholder_update, stakeholder=cfo, actor=kam_user, reports_to=stranger
    ) == {"reports_to"}


# --- departures -------------------------------------------------------------------------------


def _left_entries(stakeholder):
    return TimelineEntry.objects.filter(kind="stakeholder_left", stakeholder=stakeholder)


def test_setting_left_on_writes_one_stakeholder_left_entry(chain, kam_user, now):
    _ceo, cfo, _analyst = chain

    stakeholder_update(stakeholder=cfo, actor=kam_user, left_on=TODAY - timedelta(days=2))
    stakeholder_update(stakeholder=cfo, actor=kam_user, title="Former CFO")
    stakeholder_update(stakeholder=cfo, actor=kam_user, left_on=TODAY - timedelta(days=1))

    [entry] = _left_entries(cfo)
    assert entry.account == cfo.account
    assert entry.actor == kam_user


def test_a_departure_is_dated_the_day_the_person_left(account, kam_user, now):
    person = StakeholderFactory(account=account)
    # Created "now": a departure dated before that is placed at the creation time instead,
    # so move the creation back to make the left_on date the one that counts.
    Stakeholder.objects.filter(pk=person.pk).update(created_at=now - timedelta(days=30))
    person.refresh_from_db()
    stakeholder_mark_left(stakeholder=person, left_on=TODAY - timedelta(days=3), actor=kam_user)
    [entry] = _left_entries(person)
    assert entry.occurred_at.date() == TODAY - timedelta(days=3)


def test_creating_someone_who_already_left_writes_joined_and_left(account, kam_user, now):
    person = stakeholder_create(
        account=account, actor=kam_user, name="Old Champion", left_on=TODAY - timedelta(days=10)
    )
    kinds = sorted(TimelineEntry.objects.filter(stakeholder=person).values_list("kind", flat=True))
    assert kinds == ["stakeholder_joined", "stakeholder_left"]


def test_a_departure_in_the_future_is_refused_on_left_on(chain, kam_user, now):
    _ceo, cfo, _analyst = chain
    assert _refused_fields(
        stakeholder_update, stakeholder=cfo, actor=kam_user, left_on=TODAY + timedelta(days=1)
    ) == {"left_on"}
    assert not _left_entries(cfo).exists()


# --- account edits ----------------------------------------------------------------------------


def test_account_update_bumps_the_version(account, kam_user):
    saved = account_update(account=account, expected_version=1, actor=kam_user, name="Acme Group")
    assert (saved.name, saved.version) == ("Acme Group", 2)


def test_account_update_with_a_stale_version_raises_and_changes_nothing(
    account, kam_user, team_member, leader, db_rows
):
    # The leader saves first, from a form opened at version 1.
    account_update(
        account=Account.objects.get(pk=account.pk),
        expected_version=1,
        actor=leader,
        industry="Mining",
    )
    before = db_rows()

    # The KAM's form was opened at version 1 too.
    with pytest.raises(StaleEdit) as stale:
        account_update(
            account=Account.objects.get(pk=account.pk),
            expected_version=1,
            actor=kam_user,
            industry="Retail",
            name="Acme by the KAM",
            team=[],
        )

    assert (stale.value.current.industry, stale.value.current.version) == ("Mining", 2)
    assert db_rows() == before
    account.refresh_from_db()
    assert (account.name, account.industry, account.version) == ("Acme Industrial", "Mining", 2)
    assert list(account.team.all()) == [team_member]


def test_an_account_cannot_become_its_own_ancestor(account, kam_user):
    child = AccountFactory(owner=kam_user, parent=account)
    assert _refused_fields(
        account_update, account=account, expected_version=1, actor=kam_user, parent=child
    ) == {"parent"}
    account.refresh_from_db()
    assert account.parent is None
