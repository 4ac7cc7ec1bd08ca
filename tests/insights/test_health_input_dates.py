"""The nightly health's inputs count days between business dates (America/Sao_Paulo), which
PostgreSQL works out for the chunk (insights.health_inputs): for moments around a local
midnight they are the dates kam.dates.business_date gives one moment at a time."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import DEFAULT_QBR_CADENCE_DAYS, AccountStatus, QbrDue
from accounts.services import scoring_defaults_ensure
from activities.models import QBR, QBRStatus
from insights.health_inputs import health_inputs
from kam.dates import business_date
from tests.factories import AccountFactory, InteractionFactory

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
# FROZEN_NOW (tests/conftest.py) is 2026-03-10 in São Paulo: every day scored is before it.
DAY = date(2026, 3, 1)


def _local(day: date, minutes: int) -> datetime:
    """Local midnight of `day` in São Paulo shifted by `minutes`."""
    return datetime.combine(day, time.min, SAO_PAULO) + timedelta(minutes=minutes)


# A moment within three hours of a local midnight, from 40 days before DAY to the night after
# it (which the inputs as of DAY leave out).
moments = st.tuples(st.integers(-40, 1), st.integers(-180, 180))


@pytest.fixture
def scoring(db):
    scoring_defaults_ensure()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    created=moments,
    touches=st.lists(moments, max_size=3),
    held=st.lists(moments, max_size=2),
    contract_started=st.booleans(),
)
def test_the_days_since_the_last_touch_and_the_qbr_clock_count_business_dates(
    scoring, created, touches, held, contract_started
):
    with transaction.atomic():
        account = AccountFactory(
            status=AccountStatus.ACTIVE,
            contract_start=DAY - timedelta(days=400) if contract_started else None,
        )
        created_at = _local(DAY + timedelta(days=created[0] - 400), created[1])
        type(account).objects.filter(pk=account.pk).update(created_at=created_at)
        touched = [_local(DAY + timedelta(days=d), m) for d, m in touches]
        for moment in touched:
            InteractionFactory(account=account, occurred_at=moment)
        held_at = [_local(DAY + timedelta(days=d), m) for d, m in held]
        for moment in held_at:
            QBR.objects.create(
                account=account,
                scheduled_on=business_date(moment),
                status=QBRStatus.HELD,
                held_at=moment,
            )

        inputs = health_inputs([account.pk], DAY)[account.pk]

        day_end = datetime.combine(DAY + timedelta(days=1), time.min, SAO_PAULO)
        by_then = [m for m in touched if m < day_end]
        assert inputs.days_since_touch == (
            (DAY - business_date(max(by_then))).days if by_then else None
        )
        held_by_then = [m for m in held_at if m < day_end]
        if held_by_then:
            basis, counted_from = QbrDue.LAST_QBR, business_date(max(held_by_then))
        elif contract_started:
            basis, counted_from = QbrDue.CONTRACT_START, DAY - timedelta(days=400)
        else:
            basis, counted_from = QbrDue.CREATED, business_date(created_at)
        cadence = account.tier.qbr_cadence_days if account.tier else DEFAULT_QBR_CADENCE_DAYS
        assert inputs.qbr_basis == basis
        assert inputs.qbr_days_overdue == (DAY - (counted_from + timedelta(days=cadence))).days
        transaction.set_rollback(True)
