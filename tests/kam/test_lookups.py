"""kam.lookups: a list of integers sent as one array literal, and InArray over it."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Account
from kam.lookups import InArray, int_array


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.lists(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), max_size=50))
def test_an_int_array_is_read_as_the_integers_sent(db, values):
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::bigint[]", [int_array(values)])
        assert cursor.fetchone()[0] == values


@pytest.mark.parametrize(
    "value",
    ["1}, {2", "1; DROP TABLE accounts_account", "12", b"7", 1.5, Decimal("2"), True, 1.5j],
)
def test_an_int_array_takes_nothing_but_integers(value):
    with pytest.raises(TypeError):
        int_array([1, value])


def test_in_array_finds_the_rows_of_the_ids_and_sends_nothing_for_none(account):
    other = Account.objects.create(name="Another", owner=account.owner)
    assert set(Account.objects.filter(InArray(F("pk"), (account.pk, 0)))) == {account}
    assert set(Account.objects.filter(InArray(F("pk"), {other.pk, account.pk}))) == {
        account,
        other,
    }
    with CaptureQueriesContext(connection) as queries:
        assert list(Account.objects.filter(InArray(F("pk"), []))) == []
    assert len(queries) == 0
