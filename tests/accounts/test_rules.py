"""Every account rule is decided once: the AccountQuerySet answer (lists, dashboard, jobs)
equals the Account method's answer (one row) for generated accounts and clocks around local
midnight in the business time zone (America/Sao_Paulo)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.coverage import open_departures
from accounts.models import (
    LIVE_STATUSES,
    QBR_TRACKED_STATUSES,
    Account,
    AccountQuerySet,
    AccountStatus,
    BuyingRole,
    HealthBand,
    Tier,
)
from accounts.services import scoring_defaults_ensure
from activities.models import QBR, QBRStatus
from activities.selectors import my_work, qbr_due_rows
from insights.portfolio import PortfolioFilters, portfolio_summary
from insights.selectors import account_list_rows
from kam.dates import business_date
from kam.models import Role
from tests.factories import AccountFactory, StakeholderFactory, UserFactory

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
DEFAULT_CADENCE = 30
RULES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _local(day: date, minutes: int = 0) -> datetime:
    """Local midnight of `day` in São Paulo, shifted by `minutes`."""
    return datetime.combine(day, time.min, SAO_PAULO) + timedelta(minutes=minutes)


# Moments within three hours of a local midnight, a few days either side of a cadence's end:
# where a UTC date, a viewer's date or "timestamp + cadence" would disagree with the rule.
near_midnight = st.tuples(st.integers(-40, 40), st.integers(-180, 180))
accounts_spec = st.fixed_dictionaries(
    {
        "status": st.sampled_from(AccountStatus.values),
        "tier": st.one_of(st.none(), st.integers(0, 2)),
        "last_touch": st.one_of(st.none(), near_midnight),
        "last_qbr": st.one_of(st.none(), near_midnight),
        "contract_start": st.one_of(st.none(), st.integers(-400, 30)),
        "created": near_midnight,
        "planned_qbr": st.one_of(st.none(), st.integers(-10, 10)),
        "renewal": st.one_of(st.none(), st.integers(-5, 40)),
        "band": st.sampled_from([*HealthBand.values, ""]),
        "pareto": st.sampled_from(["A", "B", "C", ""]),
    }
)
cadences = st.lists(st.tuples(st.integers(1, 40), st.integers(1, 60)), min_size=3, max_size=3)


@pytest.fixture
def tiers(db):
    scoring_defaults_ensure()
    return list(Tier.objects.order_by("rank")[:3])


def _make(specs, tier_list, cadence_pairs, today: date, owner) -> list[Account]:
    """The accounts of one example (rolled back with the example's savepoint)."""
    for tier, (touch, qbr) in zip(tier_list, cadence_pairs, strict=True):
        Tier.objects.filter(pk=tier.pk).update(touch_cadence_days=touch, qbr_cadence_days=qbr)
    for spec in specs:
        renewal, start, created = spec["renewal"], spec["contract_start"], spec["created"]
        if renewal is not None and start is not None:
            renewal = max(renewal, start)  # the database refuses a renewal before the start
        account = AccountFactory(
            owner=owner,
            status=spec["status"],
            tier=None if spec["tier"] is None else tier_list[spec["tier"]],
            contract_start=None if start is None else today + timedelta(days=start),
            renewal_date=None if renewal is None else today + timedelta(days=renewal),
            health_band=spec["band"],
            pareto_class=spec["pareto"],
        )
        row = {"created_at": _local(today + timedelta(days=created[0] - 60), created[1])}
        for key, field in (("last_touch", "last_touch_at"), ("last_qbr", "last_qbr_held_at")):
            if spec[key] is not None:
                days, minutes = spec[key]
                row[field] = _local(today + timedelta(days=days - 30), minutes)
        Account.objects.filter(pk=account.pk).update(**row)
        if spec["planned_qbr"] is not None:
            QBR.objects.create(
                account=account,
                scheduled_on=today + timedelta(days=spec["planned_qbr"]),
                status=QBRStatus.PLANNED,
            )
    return list(Account.objects.filter(owner=owner).select_related("tier").prefetch_related("qbrs"))


def _ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


@RULES
@given(
    specs=st.lists(accounts_spec, min_size=1, max_size=6),
    cadence_pairs=cadences,
    clock=st.tuples(st.dates(date(2025, 1, 1), date(2027, 12, 31)), st.integers(-180, 180)),
    renewal_days=st.integers(0, 30),
)
def test_each_rule_gives_the_same_accounts_for_many_rows_as_for_one(
    tiers, specs, cadence_pairs, clock, renewal_days
):
    day, minutes = clock
    with time_machine.travel(_local(day, minutes), tick=False), transaction.atomic():
        today = business_date()
        owner = UserFactory(role=Role.KAM)
        rows = _make(specs, tiers, cadence_pairs, today, owner)
        mine = Account.objects.filter(owner=owner)
        fresh_tiers = list(Tier.objects.all())

        assert _ids(mine.live()) == {a.pk for a in rows if a.is_live}
        assert {a.pk for a in rows if a.is_live} == {
            a.pk for a in rows if a.status in LIVE_STATUSES
        }
        assert _ids(mine.qbr_tracked()) == {a.pk for a in rows if a.status in QBR_TRACKED_STATUSES}
        touch = {a.pk for a in rows if a.touch_overdue(today, DEFAULT_CADENCE)}
        assert _ids(mine.touch_overdue(today, DEFAULT_CADENCE)) == touch
        assert _ids(mine.touch_overdue(today, DEFAULT_CADENCE, tiers=fresh_tiers)) == touch
        due = dict(mine.with_qbr_due().values_list("pk", "next_qbr_due_on"))
        assert due == {a.pk: a.qbr_due_on() for a in rows}
        qbr_overdue = {a.pk for a in rows if a.qbr_overdue(today)}
        assert _ids(mine.qbr_overdue(today)) == qbr_overdue
        # Read for some of these accounts alone (a narrowed dashboard view): the same ones.
        part = mine.filter(pk__in=[a.pk for a in rows[::2]])
        among = part.filter(AccountQuerySet.qbr_overdue_q(today, among=part))
        assert _ids(among) == qbr_overdue & {a.pk for a in rows[::2]}
        # The reminders and My work read the due dates of the accounts with nothing planned.
        assert {a.pk for a, due_on in qbr_due_rows(mine, today) if due_on < today} == qbr_overdue
        owed = my_work(owner, today, default_cadence_days=DEFAULT_CADENCE).owed_touch
        assert {a.pk for a in owed} == touch
        assert _ids(mine.renewal_within(today, renewal_days)) == {
            a.pk for a in rows if a.renews_within(today, renewal_days)
        }
        for band in HealthBand.values:
            assert _ids(mine.in_band(band)) == {a.pk for a in rows if a.in_band(band)}
        for pareto_class in ("A", "B", "C"):
            assert _ids(mine.in_pareto_class(pareto_class)) == {
                a.pk for a in rows if a.pareto_class == pareto_class
            }
        transaction.set_rollback(True)


def test_next_touch_is_due_on_the_business_date_not_the_utc_date(db):
    # 22:30 in São Paulo on 1 March is already 2 March in UTC.
    account = Account(last_touch_at=_local(date(2026, 3, 1), 22 * 60 + 30), status="active")
    assert account.next_touch_due(10) == date(2026, 3, 11)
    assert not account.touch_overdue(date(2026, 3, 11), 10)
    assert account.touch_overdue(date(2026, 3, 12), 10)


def test_churned_and_prospect_accounts_are_never_qbr_overdue(db):
    long_ago = _local(date(2020, 1, 1))
    for status, overdue in (("prospect", False), ("churned", False), ("active", True)):
        account = AccountFactory(status=status, contract_start=date(2020, 1, 1))
        Account.objects.filter(pk=account.pk).update(created_at=long_ago)
        account.refresh_from_db()
        assert account.qbr_overdue(date(2026, 3, 10)) is overdue
        assert Account.objects.qbr_overdue(date(2026, 3, 10)).filter(pk=account.pk).exists() is (
            overdue
        )


def test_my_work_the_list_filter_and_the_dashboard_agree_on_who_is_owed_a_touch(
    client_for, kam_user, tiers
):
    """For the same user and moment (a quarter past midnight in São Paulo, while the KAM reads
    in Tokyo, already mid-afternoon): the same accounts are owed a touch on all three pages."""
    kam_user.time_zone = "Asia/Tokyo"
    kam_user.save()
    moment = _local(date(2026, 3, 10), 15)
    today = date(2026, 3, 10)
    touched = [
        # last touch at local 23:50 on day X (UTC already X+1): due X + cadence
        _local(today - timedelta(days=30), -10),  # due 9 March: overdue
        _local(today - timedelta(days=30), 10),  # due 10 March: not overdue
        _local(today - timedelta(days=31), 600),  # due 9 March: overdue
        None,  # never touched: overdue
    ]
    expected = set()
    for index, last_touch in enumerate(touched):
        account = AccountFactory(owner=kam_user, name=f"Touch {index}")
        Account.objects.filter(pk=account.pk).update(last_touch_at=last_touch)
        if index != 1:
            expected.add(account.pk)
    churned = AccountFactory(owner=kam_user, status="churned", name="Gone")
    Account.objects.filter(pk=churned.pk).update(last_touch_at=None)
    default = DEFAULT_CADENCE  # the configured default (no tier here)
    with time_machine.travel(moment, tick=False):
        client = client_for(kam_user)
        work = client.get(reverse("my_work")).context["work"]
        listed = client.get(reverse("account_list"), {"touch": "overdue"}).context["page"]
        dashboard = client.get(reverse("portfolio")).context["summary"]
        in_functions = (
            {a.pk for a in my_work(kam_user, today, default_cadence_days=default).owed_touch},
            _ids(account_list_rows(kam_user, touch_overdue=True, today=today)),
            portfolio_summary(kam_user, PortfolioFilters(), today=today).touch_overdue.value,
        )
    assert {a.pk for a in work.owed_touch} == expected
    assert {a.pk for a in listed.object_list} == expected
    assert dashboard.touch_overdue.value == len(expected)
    assert in_functions == (expected, expected, len(expected))


people_spec = st.lists(
    st.fixed_dictionaries(
        {
            "role": st.sampled_from(BuyingRole.values),
            "primary": st.booleans(),
            "left": st.booleans(),
        }
    ),
    max_size=5,
)


@RULES
@given(
    accounts=st.lists(
        st.tuples(people_spec, st.one_of(st.none(), near_midnight)), min_size=1, max_size=4
    ),
    clock=st.tuples(st.dates(date(2025, 1, 1), date(2027, 12, 31)), st.integers(-180, 180)),
    days=st.integers(0, 10),
)
def test_departures_and_new_assignments_agree_for_many_rows_and_one(db, accounts, clock, days):
    """AccountQuerySet.open_departure_q and accounts.coverage.open_departures (the playbook
    trigger and My work's flag); owner_assigned_within for many rows and for one."""
    day, minutes = clock
    with time_machine.travel(_local(day, minutes), tick=False), transaction.atomic():
        today = business_date()
        owner = UserFactory(role=Role.KAM)
        for people, assigned in accounts:
            account = AccountFactory(owner=owner)
            if assigned is not None:
                moment = _local(today + timedelta(days=assigned[0] // 4), assigned[1])
                Account.objects.filter(pk=account.pk).update(owner_assigned_at=moment)
            for index, person in enumerate(people):
                StakeholderFactory(
                    account=account,
                    name=f"P{index}",
                    buying_role=person["role"],
                    is_primary=person["primary"],
                    left_on=today - timedelta(days=index) if person["left"] else None,
                )
        rows = list(Account.objects.filter(owner=owner).prefetch_related("stakeholders"))
        mine = Account.objects.filter(owner=owner)
        assert _ids(mine.with_open_departure()) == {
            a.pk for a in rows if open_departures(list(a.stakeholders.all()))
        }
        assert _ids(mine.owner_assigned_within(today, days)) == {
            a.pk for a in rows if a.owner_assigned_within(today, days)
        }
        transaction.set_rollback(True)


def test_an_accounts_tier_rank_follows_its_tier_and_the_tiers_rank(db):
    """Account.tier_rank (the list's tier sort) is kept by triggers (migration 0042) for
    every writer: a new account, save() with a new tier or with a stale rank in memory, a bulk
    update, and a tier whose rank changes."""
    scoring_defaults_ensure()
    top, second = Tier.objects.order_by("rank")[:2]

    def rank_of(account):
        return Account.objects.values_list("tier_rank", flat=True).get(pk=account.pk)

    account = AccountFactory(tier=top)
    assert rank_of(account) == top.rank
    account.tier = second
    account.save()
    assert rank_of(account) == second.rank
    account.tier_rank = top.rank  # stale in memory: written back, set again from the tier
    account.save()
    assert rank_of(account) == second.rank
    Account.objects.filter(pk=account.pk).update(tier=None)
    assert rank_of(account) is None
    untiered = AccountFactory(tier=None)
    assert rank_of(untiered) is None
    Account.objects.filter(pk=account.pk).update(tier=second)
    second.rank = 9
    second.save()
    assert rank_of(account) == 9
    assert rank_of(AccountFactory(tier=second)) == 9
    assert not Account.objects.exclude(tier=None).exclude(tier_rank=F("tier__rank")).exists()
