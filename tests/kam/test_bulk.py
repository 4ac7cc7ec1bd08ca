"""kam.bulk: many rows in one statement, every value as the ORM would have written it."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Account, RevenueRecord
from activities.models import Notification
from kam import bulk


def test_rows_inserted_writes_every_value_as_bulk_create_would(account, kam_user):
    at = datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)
    rows = [
        Notification(
            user=kam_user,
            account=account if n else None,
            kind=Notification.Kind.HEALTH_BAND_DROP,
            ref=f"r{n}",
            params={"from": "healthy", "to": "watch", "score": 61 + n, "nested": [1, "ü"]},
            day=date(2026, 3, 4) + timedelta(days=n),
            created_at=at,
        )
        for n in range(3)
    ]
    with CaptureQueriesContext(connection) as queries:
        assert bulk.rows_inserted(Notification, rows) == 3
    assert len(queries) == 1
    stored = list(Notification.objects.order_by("ref"))
    assert [(n.ref, n.account_id, n.day, n.created_at, n.params) for n in stored] == [
        (f"r{n}", account.pk if n else None, date(2026, 3, 4) + timedelta(days=n), at,
         {"from": "healthy", "to": "watch", "score": 61 + n, "nested": [1, "ü"]})
        for n in range(3)
    ]  # fmt: skip
    assert all(n.read_at is None and n.resolved_at is None for n in stored)


def test_rows_inserted_keeps_decimals_exact_and_stamps_auto_now_add(account):
    rows = [
        RevenueRecord(account=account, booked_on=date(2026, 1, n), amount=Decimal(f"{n}.05"))
        for n in (1, 2)
    ]
    bulk.rows_inserted(RevenueRecord, rows)
    assert sorted(RevenueRecord.objects.values_list("amount", flat=True)) == [
        Decimal("1.05"),
        Decimal("2.05"),
    ]
    assert all(row.created_at is not None for row in rows)
    assert not RevenueRecord.objects.filter(created_at__isnull=True).exists()


def test_rows_updated_saves_only_the_fields_named(account, kam_user):
    first, second, other = (
        Notification.objects.create(
            user=kam_user, account=account, kind=Notification.Kind.HEALTH_BAND_DROP, ref=ref,
            params={"to": "watch"}, day=date(2026, 3, 4),
        )
        for ref in ("a", "b", "c")
    )  # fmt: skip
    resolved = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
    first.params, first.resolved_at, first.ref = (
        {"to": "watch", "now_band": "healthy"},
        resolved,
        "x",
    )
    second.params, second.resolved_at = {"to": "at_risk"}, None
    with CaptureQueriesContext(connection) as queries:
        assert bulk.rows_updated(Notification, [first, second], ["params", "resolved_at"]) == 2
    assert len(queries) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    other.refresh_from_db()
    assert (first.params, first.resolved_at, first.ref) == (
        {"to": "watch", "now_band": "healthy"},
        resolved,
        "a",  # not named: not saved
    )
    assert (second.params, second.resolved_at) == ({"to": "at_risk"}, None)
    assert (other.params, other.resolved_at) == ({"to": "watch"}, None)


def test_rows_updated_with_no_rows_runs_nothing(db):
    with CaptureQueriesContext(connection) as queries:
        assert bulk.rows_updated(Account, [], ["name"]) == 0
    assert len(queries) == 0


# Any text a row can hold: line breaks, quotes, backslashes, braces, commas, every plane.
texts = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=40)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(texts, st.dictionaries(texts, texts, max_size=3)), max_size=6))
def test_documents_come_back_as_the_rows_they_were_whatever_the_text(db, rows):
    """One document a line (kam.bulk.documents): a line break, quote or backslash inside a
    value never splits or changes a row."""
    sent = [{"ref": ref, "params": params} for ref, params in rows]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r.ref, r.params FROM {bulk.typed_rows('ref text, params jsonb')}",  # noqa: S608 - kam.bulk's FROM items, values as parameters
            [bulk.documents(sent)],
        )
        back = [(ref, json.loads(params)) for ref, params in cursor.fetchall()]
    assert back == [(row["ref"], row["params"]) for row in sent]
