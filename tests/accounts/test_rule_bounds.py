"""The account rules add cadences to dates (next touch due, next QBR due). Every date they read is
held to kam.dates' range — by the forms, the API, the importer and the database, the derived last
touch and last QBR held included — and every cadence to a smallint: on all of those, the rules
give a date, for one row and in SQL, and never overflow."""

import importlib
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import Account, AccountStatus, Tier, qbr_due_from
from kam.dates import EARLIEST, EARLIEST_MOMENT, LATEST, LATEST_MOMENT
from tests.factories import AccountFactory, InteractionFactory

PROPERTIES = settings(max_examples=200, derandomize=True, database=None, deadline=None)
SMALLINT_MAX = 32767  # the cadence columns are PositiveSmallIntegerField

moments = st.datetimes(
    EARLIEST_MOMENT.replace(tzinfo=None),
    (LATEST_MOMENT - timedelta(microseconds=1)).replace(tzinfo=None),
    timezones=st.just(UTC),
)
days = st.dates(EARLIEST, LATEST)
cadences = st.integers(1, SMALLINT_MAX)
FIRST, LAST = EARLIEST_MOMENT, LATEST_MOMENT - timedelta(microseconds=1)


@PROPERTIES
@given(last_touch=moments, cadence=cadences, today=days)
def test_the_touch_rule_gives_a_date_for_every_date_in_range(last_touch, cadence, today):
    tier = Tier(pk=1, touch_cadence_days=cadence, qbr_cadence_days=cadence)
    account = Account(status=AccountStatus.ACTIVE, last_touch_at=last_touch, tier=tier)
    due = account.next_touch_due()
    assert isinstance(due, date)
    assert account.touch_overdue(today) == (due < today)


@PROPERTIES
@given(
    last_held=st.one_of(st.none(), moments),
    contract_start=st.one_of(st.none(), days),
    created=moments,
    cadence=cadences,
)
def test_the_qbr_rule_gives_a_date_for_every_date_in_range(
    last_held, contract_start, created, cadence
):
    tier = Tier(pk=1, touch_cadence_days=cadence, qbr_cadence_days=cadence)
    account = Account(
        status=AccountStatus.ACTIVE,
        last_qbr_held_at=last_held,
        contract_start=contract_start,
        created_at=created,
        tier=tier,
    )
    assert isinstance(account.qbr_due_on(), date)
    latest_baseline = qbr_due_from(
        last_held_on=LATEST, contract_start=None, created_on=LATEST, cadence_days=cadence
    )
    assert isinstance(latest_baseline, date)


@pytest.mark.parametrize("moment", [FIRST, LAST], ids=["earliest", "latest"])
def test_the_rules_in_sql_agree_at_the_ends_of_the_range(moment, kam_user):
    tier = Tier.objects.create(
        key="far", name="Far", rank=99, touch_cadence_days=SMALLINT_MAX,
        qbr_cadence_days=SMALLINT_MAX, response_sla_hours=24, max_accounts_per_kam=5,
    )  # fmt: skip
    account = AccountFactory(owner=kam_user, tier=tier, status=AccountStatus.ACTIVE)
    Account.objects.filter(pk=account.pk).update(last_touch_at=moment, last_qbr_held_at=moment)
    account.refresh_from_db()
    for today in (EARLIEST, LATEST):
        rows = Account.objects.filter(pk=account.pk)
        assert rows.touch_overdue(today, 30).exists() == account.touch_overdue(today, 30)
        assert rows.qbr_overdue(today).exists() == account.qbr_overdue(today)
        assert rows.with_qbr_due().get().next_qbr_due_on == account.qbr_due_on()


@pytest.mark.parametrize("column", ["last_touch_at", "last_qbr_held_at"])
@pytest.mark.parametrize(
    "moment",
    [datetime(9999, 12, 31, tzinfo=UTC), datetime(1900, 1, 1, tzinfo=UTC)],
    ids=["9999", "1900"],
)
def test_the_database_holds_the_derived_moments_to_the_range(column, moment, account):
    """No stored last touch or QBR can make the cadence arithmetic overflow."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(**{column: moment})


def test_the_migration_recomputes_derived_moments_stored_out_of_range(account, now):
    """0012 recomputes a last touch or last QBR stored before the range existed from the rows
    it derives from, before the database starts refusing such values."""
    migration = importlib.import_module("accounts.migrations.0012_derived_moments_in_range")
    touch = InteractionFactory(account=account, occurred_at=now - timedelta(days=3))
    derived = [
        constraint
        for constraint in Account._meta.constraints
        if constraint.name in ("account_last_touch_at_range", "account_last_qbr_held_at_range")
    ]
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the rows above, checked now
    with connection.schema_editor() as editor:
        for constraint in derived:
            editor.remove_constraint(Account, constraint)
    far = datetime(9999, 12, 31, tzinfo=UTC)
    Account.objects.filter(pk=account.pk).update(last_touch_at=far, last_qbr_held_at=far)
    # The migration's steps, in one transaction as it runs them.
    with connection.cursor() as cursor:
        for sql, params in migration.Migration.operations[0].sql:
            cursor.execute(sql, params)
    with connection.schema_editor() as editor:
        for constraint in derived:
            editor.add_constraint(Account, constraint)
    account.refresh_from_db()
    assert account.last_touch_at == touch.occurred_at
    assert account.last_qbr_held_at is None  # no QBR held yet
