"""One definition per SLA rule: each ClientRequestQuerySet method selects exactly the rows whose
ClientRequest method says so, whatever the moments and the clock."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activities.models import ClientRequest, RequestStatus

SP = ZoneInfo("America/Sao_Paulo")
BASE = datetime(2026, 3, 9, 9, 0, tzinfo=SP)

# (response due, response at or None, resolution due, resolved at or None), in hours after
# BASE; a resolved request was answered (the model's constraint).
request_rows = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=6),
        st.one_of(st.none(), st.integers(min_value=0, max_value=8)),
        st.integers(min_value=0, max_value=8),
        st.one_of(st.none(), st.integers(min_value=0, max_value=8)),
    ),
    max_size=8,
)
clocks = st.integers(min_value=-1, max_value=10)
rule_settings = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _at(hours: int | None) -> datetime | None:
    return None if hours is None else BASE + timedelta(hours=hours)


def _make(account, rows) -> list[ClientRequest]:
    ClientRequest.objects.all().delete()
    made = []
    for response_due, response_at, resolution_due, resolved_at in rows:
        if resolved_at is not None and (response_at is None or response_at > resolved_at):
            response_at = resolved_at
        made.append(
            ClientRequest.objects.create(
                account=account,
                owner=account.owner,
                subject="Request",
                received_at=BASE,
                first_response_due_at=_at(response_due),
                first_response_warning_at=_at(response_due) - timedelta(hours=response_due / 4),
                first_response_at=_at(response_at),
                resolution_due_at=_at(resolution_due),
                resolution_warning_at=_at(resolution_due),
                resolved_at=_at(resolved_at),
            )
        )
    return made


def _pks(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


@pytest.mark.django_db
@rule_settings
@given(rows=request_rows, hours=clocks)
def test_queryset_rules_agree_with_the_row_answers(account, rows, hours):
    made = _make(account, rows)
    now = BASE + timedelta(hours=hours, minutes=30 * (hours % 2))
    rows_qs = ClientRequest.objects.all()
    assert _pks(rows_qs.open()) == {r.pk for r in made if r.is_open}
    assert _pks(rows_qs.awaiting_response()) == {r.pk for r in made if r.is_awaiting_response}
    for status in RequestStatus.values:
        assert _pks(rows_qs.in_status(status)) == {r.pk for r in made if r.status == status}
    assert _pks(rows_qs.first_response_met()) == {r.pk for r in made if r.first_response_met}
    assert _pks(rows_qs.resolution_met()) == {r.pk for r in made if r.resolution_met}
    assert _pks(rows_qs.first_response_breached(now)) == {
        r.pk for r in made if r.is_first_response_breached(now)
    }
    assert _pks(rows_qs.resolution_breached(now)) == {
        r.pk for r in made if r.is_resolution_breached(now)
    }
    assert _pks(rows_qs.breached(now)) == {r.pk for r in made if r.is_breached(now)}
    assert _pks(rows_qs.first_response_warning_due(now)) == {
        r.pk for r in made if r.is_first_response_warning_due(now)
    }
    assert _pks(rows_qs.resolution_warning_due(now)) == {
        r.pk for r in made if r.is_resolution_warning_due(now)
    }
