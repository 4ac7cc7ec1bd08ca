"""The dashboard's summary rows (insights.portfolio_slices) against the accounts they sum: after
any sequence of writes (single rows and bulk updates, moves between KAMs, industries and regions,
QBRs planned and dropped, client requests received, answered and resolved, a tier's cadence
changed, accounts added and deleted), read between the writes as a leader would, every slice
equals the same query run over its accounts (the SLA figures at any moment of the day), the
dashboard's figures equal the accounts list's counts behind their links, and the nightly check
finds nothing to repair. Then the check's drift report, the marks, a new day, the command and
the tasks."""

import gc
import threading
from collections import Counter, defaultdict
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.currency import rates_on
from accounts.models import Account, AccountStatus, ExchangeRate, HealthBand, HealthMonth, Tier
from accounts.selectors import LIVE, accounts_for_user, current_config
from accounts.services import scoring_defaults_ensure
from activities.models import (
    QBR,
    ClientRequest,
    Commitment,
    CommitmentStatus,
    QBRStatus,
    request_window_start,
)
from activities.selectors import commitments_overdue_q
from insights import portfolio_slices, tasks
from insights.account_rollups import account_rollups_drift
from insights.models import (
    PortfolioLoadSlice,
    PortfolioSlaSlice,
    PortfolioSlice,
    PortfolioSliceBuild,
    PortfolioSliceMark,
)
from insights.portfolio import (
    PortfolioFilters,
    portfolio_options,
    portfolio_summary,
    view_slices,
)
from insights.portfolio_slices import (
    AMOUNTS,
    COUNTS,
    GROUP_FIELDS,
    RENEWAL_DAYS,
    account_group_rows,
    account_marks_taken,
    commitment_slice_rows,
    health_month_counts,
    live_revenue_stored,
    pareto_bucket_rows,
    pareto_slice_rows,
    pipeline_slice_rows,
    portfolio_slices_check,
    portfolio_slices_forget,
    portfolio_slices_refresh,
    sla_slice_rows,
    slice_rows,
    trend_slice_rows,
)
from insights.selectors import account_list_count_stored, account_list_rows
from insights.sla import sla_breakdown, sla_day_bounds
from kam.dates import business_date
from kam.models import Role
from kam.runtime import gc_paused
from plans.models import AccountPlan, Opportunity
from plans.selectors import open_opportunities, open_pipeline_q
from tests.database import connect, release_and_close
from tests.factories import AccountFactory, CommitmentFactory, UserFactory
from tests.insights.sla_data import make_request
from tests.plans.factories import AccountPlanFactory, OpportunityFactory

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
MOMENT = datetime(2026, 3, 10, 14, 0, tzinfo=SAO_PAULO)
INDUSTRIES = ["", "Retail", "Energia", "Saúde"]
REGIONS = ["", "Sul", "Nordeste"]
SLICES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def tiers(db):
    scoring_defaults_ensure()
    return list(Tier.objects.order_by("rank")[:3])


@pytest.fixture
def kams(db):
    return [UserFactory(role=Role.KAM, full_name=f"KAM {index}") for index in range(3)]


account_spec = st.fixed_dictionaries(
    {
        "owner": st.integers(0, 2),
        "tier": st.one_of(st.none(), st.integers(0, 2)),
        "industry": st.sampled_from(INDUSTRIES),
        "region": st.sampled_from(REGIONS),
        "status": st.sampled_from(AccountStatus.values),
        "band": st.sampled_from([*HealthBand.values, ""]),
        "pareto": st.sampled_from(["A", "B", "C", ""]),
        "currency": st.sampled_from(["BRL", "USD", "EUR"]),
        "last_12m": st.integers(0, 90_000),
        "prev_12m": st.integers(0, 90_000),
        "touched_days_ago": st.one_of(st.none(), st.integers(0, 120)),
        "renewal_in": st.one_of(st.none(), st.integers(-10, 120)),
        # The KAMs on its team (its owner may be one of them).
        "team": st.lists(st.integers(0, 2), max_size=2, unique=True),
    }
)
# What a write changes on one account (`index` picks it among those that exist).
write = st.one_of(
    st.tuples(st.just("owner"), st.integers(0, 50), st.integers(0, 2)),
    st.tuples(st.just("industry"), st.integers(0, 50), st.sampled_from(INDUSTRIES)),
    st.tuples(st.just("region"), st.integers(0, 50), st.sampled_from(REGIONS)),
    st.tuples(st.just("tier"), st.integers(0, 50), st.one_of(st.none(), st.integers(0, 2))),
    st.tuples(st.just("band"), st.integers(0, 50), st.sampled_from([*HealthBand.values, ""])),
    st.tuples(st.just("pareto"), st.integers(0, 50), st.sampled_from(["A", "B", "C", ""])),
    st.tuples(st.just("status"), st.integers(0, 50), st.sampled_from(AccountStatus.values)),
    st.tuples(st.just("currency"), st.integers(0, 50), st.sampled_from(["BRL", "USD", "EUR"])),
    st.tuples(st.just("revenue"), st.integers(0, 50), st.integers(0, 90_000)),
    st.tuples(st.just("touch"), st.integers(0, 50), st.one_of(st.none(), st.integers(0, 120))),
    st.tuples(st.just("renewal"), st.integers(0, 50), st.one_of(st.none(), st.integers(-10, 120))),
    st.tuples(st.just("plan_qbr"), st.integers(0, 50), st.integers(-5, 30)),
    st.tuples(st.just("drop_qbrs"), st.integers(0, 50), st.none()),
    st.tuples(st.just("delete"), st.integers(0, 50), st.none()),
    st.tuples(st.just("bulk_band"), st.integers(0, 2), st.sampled_from(HealthBand.values)),
    st.tuples(st.just("cadence"), st.integers(0, 2), st.integers(1, 60)),
    # What an account's QBR due date reads (the list's stored Account.qbr_due_date).
    st.tuples(st.just("qbr_cadence"), st.integers(0, 2), st.integers(1, 400)),
    st.tuples(st.just("held"), st.integers(0, 50), st.one_of(st.none(), st.integers(0, 400))),
    st.tuples(st.just("contract"), st.integers(0, 50), st.one_of(st.none(), st.integers(11, 400))),
    st.tuples(st.just("new"), account_spec, st.none()),
    st.tuples(
        st.just("opportunity"),
        st.integers(0, 50),
        st.tuples(
            st.sampled_from(["BRL", "USD", "EUR"]),
            st.integers(0, 90_000),
            st.integers(0, 100),
            st.sampled_from(["identified", "proposal", "won", "lost"]),
        ),
    ),
    st.tuples(st.just("close_opportunities"), st.integers(0, 50), st.sampled_from(["won", "lost"])),
    st.tuples(st.just("archive_plan"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("commitment"), st.integers(0, 50), st.integers(-20, 20)),
    st.tuples(st.just("rate"), st.sampled_from(["USD", "EUR"]), st.integers(1, 9)),
    st.tuples(
        st.just("health_month"),
        st.integers(0, 50),
        st.tuples(
            st.integers(0, 13),
            st.one_of(st.none(), st.integers(0, 100)),
            st.sampled_from(HealthBand.values),
        ),
    ),
    st.tuples(st.just("close_commitments"), st.integers(0, 50), st.none()),
    st.tuples(st.just("reopen_commitments"), st.integers(0, 50), st.none()),
    st.tuples(st.just("commitments_due"), st.integers(0, 50), st.integers(-20, 20)),
    # Every opportunity of one account moved to the plan of another (both accounts change).
    st.tuples(st.just("move_opportunities"), st.integers(0, 50), st.integers(0, 50)),
    # A client request: received so many hours before the moment (around today and the edges
    # of the 30- and 90-day windows, or anywhere), its clocks due and answered or resolved so
    # many hours after receipt (None: still open).
    st.tuples(
        st.just("request"),
        st.integers(0, 50),
        st.tuples(
            st.one_of(
                st.integers(-3, 30),
                st.integers(29 * 24 - 30, 30 * 24 + 30),
                st.integers(89 * 24 - 30, 90 * 24 + 30),
                st.integers(0, 95 * 24),
            ),
            st.integers(1, 72),
            st.one_of(st.none(), st.integers(0, 96)),
            st.integers(1, 30 * 24),
            st.one_of(st.none(), st.integers(0, 40 * 24)),
        ),
    ),
    st.tuples(st.just("answer_requests"), st.integers(0, 50), st.integers(0, 96)),
    st.tuples(st.just("resolve_requests"), st.integers(0, 50), st.integers(0, 40 * 24)),
    # A KAM joins or leaves an account's team (joining the team of an account they own is
    # allowed: it is in their KAM slice only).
    st.tuples(st.just("join_team"), st.integers(0, 50), st.integers(0, 2)),
    st.tuples(st.just("leave_team"), st.integers(0, 50), st.integers(0, 2)),
    st.tuples(
        st.just("read"),
        st.sampled_from(["portfolio", "owner", "industry", "region", "kam"]),
        st.none(),
    ),
)


def _create(spec, kams, tiers, today) -> Account:
    account = AccountFactory(
        owner=kams[spec["owner"]],
        tier=None if spec["tier"] is None else tiers[spec["tier"]],
        industry=spec["industry"],
        region=spec["region"],
        status=spec["status"],
        currency=spec["currency"],
        health_band=spec["band"],
        pareto_class=spec["pareto"],
        renewal_date=None if spec["renewal_in"] is None else today + timedelta(spec["renewal_in"]),
    )
    account.team.set([kams[index] for index in spec.get("team", [])])
    touched = spec["touched_days_ago"]
    Account.objects.filter(pk=account.pk).update(
        revenue_last_12m=spec["last_12m"],
        revenue_prev_12m=spec["prev_12m"],
        revenue_as_of=today,
        last_touch_at=None if touched is None else MOMENT - timedelta(days=touched),
    )
    return account


def _apply(step, kams, tiers, today, leader) -> None:
    kind, target, value = step
    if kind == "new":
        _create(target, kams, tiers, today)
        return
    if kind == "read":
        _read(target, kams, leader, today)
        return
    if kind == "rate":
        ExchangeRate.objects.update_or_create(
            currency=target,
            valid_from=today,
            defaults={"rate": Decimal(value) + Decimal("0.12345678")},
        )
        return
    if kind == "bulk_band":
        Account.objects.filter(owner=kams[target]).update(health_band=value)
        return
    if kind == "cadence":
        Tier.objects.filter(pk=tiers[target].pk).update(touch_cadence_days=value)
        return
    if kind == "qbr_cadence":
        Tier.objects.filter(pk=tiers[target].pk).update(qbr_cadence_days=value)
        return
    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    if not ids:
        return
    rows = Account.objects.filter(pk=ids[target % len(ids)])
    changes = {
        "owner": lambda: {"owner": kams[value]},
        "industry": lambda: {"industry": value},
        "region": lambda: {"region": value},
        "tier": lambda: {"tier": None if value is None else tiers[value]},
        "band": lambda: {"health_band": value},
        "pareto": lambda: {"pareto_class": value},
        "status": lambda: {"status": value},
        "currency": lambda: {"currency": value},
        "revenue": lambda: {"revenue_last_12m": value},
        "touch": lambda: {
            "last_touch_at": None if value is None else MOMENT - timedelta(days=value)
        },
        "renewal": lambda: {"renewal_date": None if value is None else today + timedelta(value)},
        "held": lambda: {
            "last_qbr_held_at": None if value is None else MOMENT - timedelta(days=value)
        },
        # At least 11 days back: a renewal is never before the contract start.
        "contract": lambda: {"contract_start": None if value is None else today - timedelta(value)},
    }
    if kind in changes:
        rows.update(**changes[kind]())
    elif kind == "plan_qbr":
        QBR.objects.create(
            account=rows.get(), scheduled_on=today + timedelta(value), status=QBRStatus.PLANNED
        )
    elif kind == "drop_qbrs":
        QBR.objects.filter(account__in=rows).delete()
    elif kind == "opportunity":
        currency, amount, probability, stage = value
        plan = AccountPlan.objects.filter(account__in=rows).first() or AccountPlanFactory(
            account=rows.get()
        )
        OpportunityFactory(
            plan=plan, currency=currency, amount=amount, probability=probability, stage=stage
        )
    elif kind == "health_month":
        months_back, score, band = value
        month = (today.replace(day=1) - timedelta(days=31 * months_back)).replace(day=1)
        HealthMonth.objects.update_or_create(
            account=rows.get(),
            month=month,
            defaults={"score": score, "band": band},
        )
    elif kind == "commitment":
        CommitmentFactory(account=rows.get(), due_date=today + timedelta(value))
    elif kind == "request":
        hours_ago, response_due, response_after, resolution_due, resolved_after = value
        make_request(
            rows.get(),
            received_at=MOMENT - timedelta(hours=hours_ago),
            response_due_h=response_due,
            response_after_h=response_after,
            resolution_due_h=resolution_due,
            resolved_after_h=resolved_after,
        )
    elif kind == "answer_requests":
        ClientRequest.objects.filter(account__in=rows, first_response_at__isnull=True).update(
            first_response_at=F("received_at") + timedelta(hours=value)
        )
    elif kind == "resolve_requests":
        resolved = F("received_at") + timedelta(hours=value)
        ClientRequest.objects.filter(account__in=rows, resolved_at__isnull=True).update(
            resolved_at=resolved, first_response_at=Coalesce("first_response_at", resolved)
        )
    elif kind == "close_commitments":
        Commitment.objects.filter(account__in=rows).update(status=CommitmentStatus.CANCELLED)
    elif kind == "reopen_commitments":
        Commitment.objects.filter(account__in=rows).update(status=CommitmentStatus.OPEN)
    elif kind == "commitments_due":
        Commitment.objects.filter(account__in=rows).update(due_date=today + timedelta(value))
    elif kind == "move_opportunities":
        other = Account.objects.get(pk=ids[value % len(ids)])
        plan = AccountPlan.objects.filter(account=other).first() or AccountPlanFactory(
            account=other
        )
        Opportunity.objects.filter(plan__account__in=rows).update(plan=plan)
    elif kind == "close_opportunities":
        Opportunity.objects.filter(plan__account__in=rows).update(stage=value)
    elif kind == "archive_plan":
        AccountPlan.objects.filter(account__in=rows).update(
            status="archived" if value else "active"
        )
    elif kind == "join_team":
        rows.get().team.add(kams[value])
    elif kind == "leave_team":
        rows.get().team.remove(kams[value])
    elif kind == "delete":
        QBR.objects.filter(account__in=rows).delete()
        Commitment.objects.filter(account__in=rows).delete()
        Opportunity.objects.filter(plan__account__in=rows).delete()
        AccountPlan.objects.filter(account__in=rows).delete()
        rows.delete()


def _read(dimension, kams, leader, today) -> None:
    """What a leader's page reads, or a KAM's own ("kam"), which brings the slices it reads up
    to date."""
    if dimension == "kam":
        portfolio_summary(kams[0], PortfolioFilters(), today=today)
        return
    filters = {
        "portfolio": PortfolioFilters(),
        "owner": PortfolioFilters(owner_id=kams[0].pk),
        "industry": PortfolioFilters(industry="Retail"),
        "region": PortfolioFilters(region="Sul"),
    }[dimension]
    portfolio_summary(leader, filters, today=today)


def _grouped(rows) -> list[tuple]:
    """The rows by their group fields; the rows of one group from several slices (a KAM's and
    their team slice) added up as SQL adds the accounts (a sum of nothing is NULL)."""
    merged = {}
    for row in rows:
        key = tuple(str(row[field]) for field in GROUP_FIELDS)
        row = {name: value for name, value in row.items() if name != "value"}
        into = merged.setdefault(key, row)
        if into is row:
            continue
        for figure in (*COUNTS, *AMOUNTS):
            if row[figure] is not None:
                into[figure] = row[figure] + (into[figure] or 0)
    return sorted(merged.items())


def _views(kams, tiers):
    """(the slices whose rows add up to the view, tier id, the view's accounts)."""
    every = Account.objects.all()
    views = [((("portfolio", ""),), None, every)]
    views += [((("portfolio", ""),), tier.pk, every.filter(tier=tier)) for tier in tiers]
    views += [((("owner", str(kam.pk)),), None, every.filter(owner=kam)) for kam in kams]
    views += [((("industry", value),), None, every.filter(industry=value)) for value in INDUSTRIES]
    views += [((("region", value),), None, every.filter(region=value)) for value in REGIONS]
    views += [
        ((("industry", "Retail"),), tiers[0].pk, every.filter(industry="Retail", tier=tiers[0]))
    ]
    for kam in kams:
        team = every.filter(pk__in=kam.team_accounts.values("pk")).exclude(owner=kam)
        mine = every.filter(pk__in=accounts_for_user(kam).values("pk"))
        views += [
            ((("team", str(kam.pk)),), None, team),
            ((("owner", str(kam.pk)), ("team", str(kam.pk))), None, mine),
        ]
    own = (("owner", str(kams[0].pk)), ("team", str(kams[0].pk)))
    views += [(own, tiers[1].pk, every.filter(pk__in=accounts_for_user(kams[0]), tier=tiers[1]))]
    return views


def _dashboards(kams, tiers, leader):
    """(user, filters, the same accounts as the list's filters) of the views read from summary
    rows: a leader's and each KAM's own."""
    views = [(leader, {})]
    views += [(leader, {"tier_id": tier.pk}) for tier in tiers]
    views += [(leader, {"owner_id": kam.pk}) for kam in kams]
    views += [(leader, {"industry": value}) for value in INDUSTRIES]
    views += [(leader, {"region": value}) for value in REGIONS]
    views += [(leader, {"industry": "Retail", "tier_id": tiers[0].pk})]
    views += [(kam, {}) for kam in kams]
    views += [(kams[0], {"tier_id": tiers[1].pk}), (kams[0], {"owner_id": kams[0].pk})]
    return views


@SLICES
@given(
    accounts=st.lists(account_spec, min_size=1, max_size=10),
    writes=st.lists(write, max_size=12),
    second=st.integers(0, 24 * 3600 - 1),
)
def test_summary_rows_agree_with_their_accounts_and_the_list_after_any_writes(
    tiers, kams, leader, accounts, writes, second
):
    with time_machine.travel(MOMENT, tick=False), transaction.atomic():
        today = business_date()
        for spec in accounts:
            _create(spec, kams, tiers, today)
        portfolio_summary(leader, PortfolioFilters(), today=today)  # the day's rows
        for step in writes:
            _apply(step, kams, tiers, today, leader)

        # The list's pipeline, overdue commitment and QBR overdue filters read the accounts'
        # summary columns, which the list brings up to date first: the same accounts as the
        # rules, on any day (the stored due dates do not move at midnight).
        def listed_ids(**rule):
            return set(
                account_list_rows(leader, today=rule.pop("day", today), **rule).values_list(
                    "pk", flat=True
                )
            )

        # QBR overdue first: the first list read takes the marks the writes left.
        for day in (today - timedelta(days=21), today, today + timedelta(days=90)):
            assert listed_ids(qbr_overdue=True, day=day) == set(
                Account.objects.qbr_overdue(day).values_list("pk", flat=True)
            ), day
        assert listed_ids(open_pipeline=True) == set(
            Account.objects.filter(open_pipeline_q()).values_list("pk", flat=True)
        )
        for day in (
            today - timedelta(days=21),
            today,
            today + timedelta(days=1),
            today + timedelta(days=21),
        ):
            assert listed_ids(commitments_overdue=True, day=day) == set(
                Account.objects.filter(commitments_overdue_q(day)).values_list("pk", flat=True)
            ), day
        assert account_rollups_drift() == []

        config = current_config()
        for slices, tier_id, accounts_in_view in _views(kams, tiers):
            computed = account_group_rows(
                accounts_in_view,
                today,
                default_cadence_days=config.default_touch_cadence_days,
                tiers=Tier.objects.all(),
            )
            read = slice_rows(slices, today=today, tier_id=tier_id)
            assert _grouped(read) == _grouped(computed), (slices, tier_id)
            pipeline = (
                open_opportunities()
                .filter(plan__account__in=accounts_in_view)
                .values_list("currency")
                .annotate(weighted=Sum(F("amount") * F("probability")), count=Count("pk"))
            )
            per_currency = defaultdict(lambda: [0, 0])
            for row in pipeline_slice_rows(slices, today=today, tier_id=tier_id):
                per_currency[row["currency"]][0] += row["weighted"]
                per_currency[row["currency"]][1] += row["open"]
            assert sorted((currency, *sums) for currency, sums in per_currency.items()) == (
                sorted(pipeline)
            ), (slices, tier_id)
            if slices == (("portfolio", ""),) and tier_id is None:
                since = today.replace(day=1) - timedelta(days=366)
                assert sorted(trend_slice_rows(today=today, since=since)) == sorted(
                    health_month_counts(HealthMonth.objects.all(), since=since)
                )
            if slices == (("portfolio", ""),):
                assert pareto_slice_rows(today=today, tier_id=tier_id) == pareto_bucket_rows(
                    accounts_in_view.live(), rates_on(today)
                ), ("pareto", tier_id)
            # SLA compliance: the stored part plus what is read live equals one query over the
            # window, at any moment of the day (its first and last, the test's, a random one)
            requests = ClientRequest.objects.filter(account__in=accounts_in_view)
            day_start, day_end = sla_day_bounds(today)
            for now in (
                day_start,
                MOMENT.astimezone(UTC),
                day_start + timedelta(seconds=second),
                day_end - timedelta(microseconds=1),
            ):
                stored = sla_slice_rows(slices, today=today, tier_id=tier_id)
                assert sla_breakdown(requests, now, stored=stored) == sla_breakdown(
                    requests, now
                ), ("sla", slices, tier_id, now)
            overdue = Commitment.objects.overdue(today).filter(account__in=accounts_in_view)
            stored = commitment_slice_rows(slices, today=today, tier_id=tier_id)
            assert {
                "overdue": sum(row["overdue"] for row in stored),
                "accounts": sum(row["accounts"] for row in stored),
            } == {
                "overdue": overdue.count(),
                "accounts": overdue.values("account_id").distinct().count(),
            }, (slices, tier_id)

        for user, narrowed in _dashboards(kams, tiers, leader):
            filters = PortfolioFilters(
                owner_id=narrowed.get("owner_id"),
                tier_id=narrowed.get("tier_id"),
                industry=narrowed.get("industry", ""),
                region=narrowed.get("region", ""),
            )
            summary = portfolio_summary(user, filters, today=today)

            def listed(narrowed=narrowed, user=user, **rule):
                return account_list_rows(
                    user,
                    today=today,
                    default_cadence_days=config.default_touch_cadence_days,
                    **narrowed,
                    **rule,
                ).count()

            assert summary.accounts.value == listed(status=LIVE)
            # The list's count read from the summary rows the dashboard has just brought up to
            # date is the count of its rows, for each figure alone and narrowed by any band
            # and Pareto class (a tier is in `narrowed`).
            if view_slices(user, filters) is not None:
                narrowers = [{}, *({"band": band} for band in HealthBand.values)]
                narrowers += [{"pareto_class": cls} for cls in ("A", "B", "C")]
                narrowers.append({"band": HealthBand.AT_RISK, "pareto_class": "A"})
                for rule in (
                    {},  # every account, whatever its status
                    {"status": LIVE},
                    {"touch_overdue": True},
                    {"qbr_overdue": True},
                    {"renewal_within_days": RENEWAL_DAYS},
                    {"open_pipeline": True},  # whatever the status
                    *({"status": status} for status in AccountStatus.values),
                ):
                    for narrower in narrowers:
                        stored = account_list_count_stored(
                            user, {**narrowed, **rule, **narrower}, today=today
                        )
                        assert stored == listed(**rule, **narrower), (user, narrowed, rule)
                # The accounts with an overdue agreed item: rows per tier, no band or class.
                overdue = {"commitments_overdue": True}
                assert account_list_count_stored(
                    user, {**narrowed, **overdue}, today=today
                ) == listed(**overdue), (user, narrowed)
                for narrower in narrowers[1:]:
                    filters = {**narrowed, **overdue, **narrower}
                    assert account_list_count_stored(user, filters, today=today) is None
            assert summary.at_risk.value == listed(status=LIVE, band=HealthBand.AT_RISK)
            assert summary.touch_overdue.value == listed(touch_overdue=True)
            assert summary.qbr_overdue.value == listed(qbr_overdue=True)
            assert summary.renewals.value == listed(renewal_within_days=RENEWAL_DAYS)
            for cls, figure in summary.pareto_classes.items():
                assert figure.accounts == listed(status=LIVE, pareto_class=cls)
            for row in summary.tiers:
                if row.tier_id and "tier_id" not in narrowed:
                    assert row.accounts.value == listed(status=LIVE, tier_id=row.tier_id)
            assert sum(row.accounts.value for row in summary.load) == summary.accounts.value
            # The load per KAM and tier: each KAM's live accounts in view, per tier and in all.
            live_in_view = account_list_rows(user, today=today, **narrowed, status=LIVE)
            assert {
                (row.owner_id, cell.tier_id): cell.accounts.value
                for row in summary.load
                for cell in row.cells
                if cell.accounts.value
            } == Counter(live_in_view.exclude(tier=None).values_list("owner_id", "tier_id")), (
                user,
                narrowed,
            )
            assert {row.owner_id: row.accounts.value for row in summary.load} == Counter(
                live_in_view.values_list("owner_id", flat=True)
            ), (user, narrowed)
            assert summary.commitments_overdue.accounts == listed(commitments_overdue=True)
            assert summary.pipeline_open == (
                open_opportunities()
                .filter(
                    plan__account__in=account_list_rows(user, today=today, **narrowed).values("pk")
                )
                .count()
            )

        assert portfolio_slices_check(today=today).drift == []
        transaction.set_rollback(True)


@pytest.fixture
def book(now, tiers, kams):
    today = business_date()
    for index in range(6):
        _create(
            {
                "owner": index % 3,
                "tier": index % 3,
                "industry": INDUSTRIES[index % 4],
                "region": REGIONS[index % 3],
                "status": "active",
                "band": HealthBand.HEALTHY,
                "pareto": "A",
                "currency": "BRL",
                "last_12m": 1000 * (index + 1),
                "prev_12m": 900,
                "touched_days_ago": index * 10,
                "renewal_in": 30,
            },
            kams,
            tiers,
            today,
        )
    portfolio_slices_refresh()
    return today


def _marked_by(write) -> set:
    """The marks `write` leaves, from none."""
    PortfolioSliceMark.objects.all().delete()
    write()
    return set(PortfolioSliceMark.objects.values_list("dimension", "value"))


def test_a_write_marks_the_old_and_new_slices_of_every_row_it_changes(book, kams, tiers):
    account = Account.objects.filter(owner=kams[0], industry="").get()
    Account.objects.filter(pk=account.pk).update(
        owner=kams[1], industry="Retail", region=account.region
    )
    marks = set(PortfolioSliceMark.objects.values_list("dimension", "value"))
    assert marks == {
        ("owner", str(kams[0].pk)),
        ("owner", str(kams[1].pk)),
        ("industry", ""),
        ("industry", "Retail"),
        ("region", account.region),
    }
    QBR.objects.create(account=account, scheduled_on=book, status=QBRStatus.PLANNED)
    # The rows of an account's own tables mark the account; its slices are looked up when the
    # mark is taken, as they are then.
    assert PortfolioSliceMark.objects.filter(dimension="account", value=str(account.pk)).exists()
    Tier.objects.filter(rank=1).update(qbr_cadence_days=45)
    assert PortfolioSliceMark.objects.filter(dimension="*").exists()

    slices = {("account", str(account.pk))}
    plan = AccountPlanFactory(account=account)
    opportunity = OpportunityFactory(plan=plan)
    assert _marked_by(lambda: OpportunityFactory(plan=plan)) == slices
    assert (
        _marked_by(lambda: Opportunity.objects.filter(pk=opportunity.pk).update(stage="won"))
        == slices
    )
    assert (
        _marked_by(lambda: AccountPlan.objects.filter(pk=plan.pk).update(status="archived"))
        == slices
    )
    assert _marked_by(lambda: Opportunity.objects.filter(plan=plan).delete()) == slices
    assert _marked_by(lambda: CommitmentFactory(account=account)) == slices
    request = make_request(account, received_at=timezone.now())
    assert (
        _marked_by(
            lambda: ClientRequest.objects.filter(pk=request.pk).update(
                first_response_at=F("received_at")
            )
        )
        == slices
    )
    assert _marked_by(lambda: ClientRequest.objects.filter(pk=request.pk).delete()) == slices
    assert _marked_by(lambda: make_request(account, received_at=timezone.now())) == slices
    # The Pareto curves: by what they read only.
    touched = _marked_by(lambda: Account.objects.filter(pk=account.pk).update(last_touch_at=None))
    assert ("pareto", "") not in touched
    for change in ({"revenue_last_12m": 7}, {"status": "churned"}, {"currency": "USD"}):
        assert ("pareto", "") in _marked_by(
            lambda change=change: Account.objects.filter(pk=account.pk).update(**change)
        )
    # No tier stays no tier (NULLs compare equal); a tier given or taken is a change. Every
    # account at once, as the nightly jobs write them.
    Account.objects.filter(pk=account.pk).update(tier=None)
    every = Account.objects.all()
    assert ("pareto", "") not in _marked_by(lambda: every.filter(pk=account.pk).update(tier=None))
    assert ("pareto", "") not in _marked_by(
        lambda: every.update(revenue_last_12m=F("revenue_last_12m"))
    )
    assert ("pareto", "") in _marked_by(lambda: every.filter(pk=account.pk).update(tier=tiers[0]))
    assert _marked_by(
        lambda: ExchangeRate.objects.create(currency="EUR", rate=6, valid_from=book)
    ) == {("pareto", "")}
    month = book.replace(day=1)
    assert _marked_by(
        lambda: HealthMonth.objects.create(
            account=account, month=month, score=40, band=HealthBand.WATCH
        )
    ) == {("trend", month.isoformat())}
    assert _marked_by(
        lambda: Commitment.objects.filter(account=account).update(status="cancelled")
    ) == (slices)


def test_what_a_qbr_due_date_reads_marks_the_account_and_nothing_else_does(book, tiers):
    """Account.qbr_due_date is kept by insights.account_rollups: the accounts' trigger marks an
    account whose last QBR, contract start, creation or tier a statement changes (and every
    account inserted), the tiers' trigger the accounts of a tier whose QBR cadence changes.
    The nightly health's and revenue windows' updates mark none."""
    portfolio_slices_refresh()

    def marked() -> set[int]:
        return {
            int(value)
            for value in PortfolioSliceMark.objects.filter(dimension="account").values_list(
                "value", flat=True
            )
        }

    first, second = Account.objects.order_by("pk")[:2]
    Account.objects.update(health_score=F("pk") % 100, revenue_last_12m=5, pareto_class="A")
    assert marked() == set()
    Account.objects.filter(pk=first.pk).update(contract_start=book - timedelta(days=400))
    Account.objects.filter(pk=second.pk).update(last_qbr_held_at=timezone.now())
    assert marked() == {first.pk, second.pk}
    PortfolioSliceMark.objects.all().delete()
    Account.objects.filter(pk=first.pk).update(tier=tiers[2])
    assert marked() == {first.pk}
    PortfolioSliceMark.objects.all().delete()
    Tier.objects.filter(pk=tiers[2].pk).update(name="Renamed")
    assert marked() == set()
    Tier.objects.filter(pk=tiers[2].pk).update(qbr_cadence_days=7)
    assert marked() == set(Account.objects.filter(tier=tiers[2]).values_list("pk", flat=True))
    assert first.pk in marked()
    new = AccountFactory()
    assert new.pk in marked()

    portfolio_slices_refresh()
    assert account_rollups_drift() == []
    due = dict(Account.objects.with_qbr_due().values_list("pk", "next_qbr_due_on"))
    assert dict(Account.objects.values_list("pk", "qbr_due_date")) == due


def test_a_team_change_marks_the_member_and_an_account_write_marks_its_team(book, kams):
    """A member added or removed marks their team slice; a write to an account marks the team
    slices of its members as well as its own slices (an owner change moves it in or out of a
    member's team slice); an account's mark stands for its members' team slices when taken."""
    account = Account.objects.filter(owner=kams[0]).first()

    assert _marked_by(lambda: account.team.add(kams[1], kams[2])) == {
        ("team", str(kams[1].pk)),
        ("team", str(kams[2].pk)),
    }
    own = {
        ("owner", str(kams[0].pk)),
        ("industry", account.industry),
        ("region", account.region),
    }
    members = {("team", str(kams[1].pk)), ("team", str(kams[2].pk))}
    assert (
        _marked_by(lambda: Account.objects.filter(pk=account.pk).update(last_touch_at=None))
        == own | members
    )
    assert _marked_by(
        lambda: Account.objects.filter(pk=account.pk).update(owner=kams[1])
    ) == own | members | {("owner", str(kams[1].pk))}
    assert _marked_by(lambda: account.team.remove(kams[2])) == {("team", str(kams[2].pk))}
    # What an account's own tables mark (its account) becomes its members' marks too.
    _marked_by(lambda: CommitmentFactory(account=account, due_date=book - timedelta(days=1)))
    account_marks_taken()
    assert ("team", str(kams[1].pk)) in set(
        PortfolioSliceMark.objects.values_list("dimension", "value")
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first", ["write", "join"])
def test_a_kam_joining_the_team_of_an_account_while_it_is_written_is_counted(book, kams, first):
    """A member added while another transaction writes the account, on two real connections.
    The write first: the member's mark waits for it (a share lock on the account), so the
    refresh that takes the mark reads it. The member first: the write waits for the member's
    transaction and its trigger, reading a new snapshot, marks the member itself."""
    account = Account.objects.filter(owner=kams[0]).first()
    writer, joiner = connect(), connect()
    statements = {
        writer: (
            "UPDATE accounts_account SET health_band = %s WHERE id = %s",
            [HealthBand.AT_RISK, account.pk],
        ),
        joiner: (
            "INSERT INTO accounts_account_team (account_id, user_id) VALUES (%s, %s)",
            [account.pk, kams[2].pk],
        ),
    }
    ahead, behind = (writer, joiner) if first == "write" else (joiner, writer)
    failed = []

    def run_behind():
        try:
            with behind.cursor() as cursor:
                cursor.execute(*statements[behind])
        except Exception as error:  # reported by the assertion below
            failed.append(error)

    try:
        with ahead.cursor() as cursor:
            cursor.execute(*statements[ahead])
        waiting = threading.Thread(target=run_behind)
        waiting.start()
        waiting.join(timeout=1)
        assert waiting.is_alive()  # waiting for the transaction ahead
        ahead.commit()
        waiting.join(timeout=5)
        assert not waiting.is_alive() and failed == []
        behind.commit()
        portfolio_slices_refresh()
        rows = slice_rows((("team", str(kams[2].pk)),), today=book)
        assert [(row["health_band"], row["live_accounts"]) for row in rows] == [
            (HealthBand.AT_RISK, 1)
        ]
        assert portfolio_slices_check(today=book).drift == []
    finally:
        writer.close()
        joiner.close()


def test_an_accounts_mark_stands_for_its_slices_when_taken(book, kams, leader):
    """A commitment written after its account moved to another KAM (the move's marks already
    taken) counts in the new KAM's rows: the account's mark is looked up when it is taken."""
    account = Account.objects.filter(owner=kams[0]).first()
    Account.objects.filter(pk=account.pk).update(owner=kams[1])
    portfolio_slices_refresh()
    CommitmentFactory(account=account, due_date=book - timedelta(days=3))
    assert set(PortfolioSliceMark.objects.values_list("dimension", "value")) == {
        ("account", str(account.pk))
    }
    moved = portfolio_summary(leader, PortfolioFilters(owner_id=kams[1].pk), today=book)
    assert moved.commitments_overdue.value == 1
    assert portfolio_summary(leader, PortfolioFilters(), today=book).commitments_overdue.value == 1
    assert portfolio_slices_check(today=book).drift == []


def test_a_page_that_took_yesterday_reads_the_accounts_once_today_is_built(book, leader):
    """Around midnight: a request that took its date before midnight does not build that day
    again over the new one; it reads the accounts. The day before's rows stay, older ones go."""
    tomorrow = book + timedelta(days=1)
    portfolio_slices_refresh(today=tomorrow)
    assert set(PortfolioSliceBuild.objects.values_list("day", flat=True)) == {book, tomorrow}
    late = portfolio_summary(leader, PortfolioFilters(), today=book)
    assert late.accounts.value == 6
    assert set(PortfolioSliceBuild.objects.values_list("day", flat=True)) == {book, tomorrow}
    assert portfolio_slices_refresh(today=book) == -1
    portfolio_slices_refresh(today=book + timedelta(days=2))
    assert book not in set(PortfolioSlice.objects.values_list("day", flat=True))


def test_reading_a_slice_takes_its_marks_only_and_refresh_takes_the_rest(book, kams, leader):
    Account.objects.filter(owner=kams[0]).update(health_band=HealthBand.AT_RISK)
    before = PortfolioSliceMark.objects.count()
    summary = portfolio_summary(leader, PortfolioFilters(owner_id=kams[0].pk), today=book)
    assert summary.at_risk.value == 2
    left = set(PortfolioSliceMark.objects.values_list("dimension", flat=True))
    assert left == {"industry", "region"} and PortfolioSliceMark.objects.count() < before
    assert portfolio_slices_refresh() > 0
    assert not PortfolioSliceMark.objects.exists()
    whole = portfolio_summary(leader, PortfolioFilters(), today=book)
    assert whole.at_risk.value == 2
    assert whole.accounts.value == 6


def test_the_check_reports_and_repairs_rows_that_drifted(book, caplog):
    make_request(Account.objects.first(), received_at=timezone.now() - timedelta(days=3))
    portfolio_slices_refresh()
    sla_row = PortfolioSlaSlice.objects.filter(dimension="owner").get()
    PortfolioSlaSlice.objects.filter(pk=sla_row.pk).update(w90_requests=5)
    slice_row = PortfolioSlice.objects.filter(dimension="owner", live_accounts__gt=0).first()
    PortfolioSlice.objects.filter(pk=slice_row.pk).update(live_accounts=99)
    portfolio_row = PortfolioSlice.objects.filter(dimension="portfolio").first()
    portfolio_row.delete()
    load_row = PortfolioLoadSlice.objects.filter(dimension="owner").first()
    PortfolioLoadSlice.objects.filter(pk=load_row.pk).update(live_accounts=77)

    result = portfolio_slices_check()

    assert len(result.drift) == 4
    assert any(
        line.startswith(f"owner={load_row.value} ") and "live_accounts 77 → " in line
        for line in result.drift
    )
    assert any(
        line.startswith(f"owner={slice_row.value} ") and "live_accounts 99 → " in line
        for line in result.drift
    )
    assert f"owner={sla_row.value} {sla_row.tier_id} {sla_row.kam_id}: w90_requests 5 → 1" in (
        result.drift
    )
    assert any(
        line.startswith("portfolio= ") and "live_accounts None → " in line for line in result.drift
    )
    assert "4 drifted and were repaired" in caplog.text
    assert PortfolioSliceBuild.objects.get(day=book).drift == 4
    assert portfolio_slices_check().drift == []
    assert PortfolioSliceBuild.objects.get(day=book).drift == 0


def test_the_refresh_and_the_check_leave_nothing_for_the_paused_collector(book, kams):
    """Both run with the garbage collector paused (kam.runtime.gc_paused), which is safe only
    while they leave no reference cycles behind: counted with the collector still paused, so
    that no collection of its own clears them first. A day's build, marked slices, the check."""
    gc.collect()
    with gc_paused():
        portfolio_slices_forget()
        assert portfolio_slices_refresh() > 0
        assert gc.collect() == 0
        Account.objects.filter(owner=kams[0]).update(health_band=HealthBand.AT_RISK)
        assert portfolio_slices_refresh() > 0
        assert gc.collect() == 0
        portfolio_slices_check()
        assert gc.collect() == 0
    assert gc.isenabled()


def test_a_marked_slice_is_refreshed_by_the_check_not_reported_as_drift(book, kams):
    """A slice a write marked is the refresh's to compute (the check refreshes first)."""
    PortfolioSlice.objects.filter(dimension="owner", value=str(kams[2].pk)).update(live_accounts=0)
    PortfolioSliceMark.objects.create(dimension="owner", value=str(kams[2].pk))
    assert portfolio_slices_check().drift == []


def _requests_at_every_edge(account, day_start, day_end, now) -> None:
    """Requests received at each edge of the stored part (each window's start,
    request_window_start, and the moments a sliding window would start at, an hour off for a
    DST change; today's start) with clocks open, answered or resolved, on time or late,
    falling due just before or after each moment that matters."""
    minute = timedelta(minutes=1)
    received = [day_start - timedelta(days=10), day_start - minute, day_start + minute]
    for days in (30, 90):
        for edge in (
            request_window_start(now, days),  # the window's first moment
            day_end - timedelta(days=days),
            now - timedelta(days=days),
            day_start - timedelta(days=days),
            day_end - timedelta(days=days, hours=1),  # an hour off: a DST change in between
            day_end - timedelta(days=days, hours=-1),
        ):
            received += [edge - minute, edge + minute]
    for received_at in received:
        for due in (day_start - minute, day_start + minute, now - minute, now + minute,
                    day_end - minute, day_end + minute):  # fmt: skip
            hours = (due - received_at).total_seconds() / 3600
            if hours <= 0:
                continue
            for answered, resolved in (
                (None, None),
                (hours / 2, None),
                (hours * 2, None),
                (hours / 2, hours / 2),
                (hours / 2, hours * 2),
            ):
                make_request(
                    account,
                    received_at=received_at,
                    response_due_h=hours,
                    response_after_h=answered,
                    resolution_due_h=hours,
                    resolved_after_h=resolved,
                )


@pytest.mark.parametrize(
    "zone,moment",
    [
        ("America/Sao_Paulo", datetime(2026, 3, 10, 15, 0, tzinfo=UTC)),
        # The clocks went back on 25 October, within the 30-day window; forward on 29 March.
        ("Europe/Lisbon", datetime(2026, 11, 15, 12, 0, tzinfo=UTC)),
        ("Europe/Lisbon", datetime(2026, 10, 25, 12, 0, tzinfo=UTC)),  # the change's own day
        ("Europe/Lisbon", datetime(2026, 4, 15, 12, 0, tzinfo=UTC)),
    ],
)
def test_the_sla_figures_add_up_at_every_edge_of_the_day(tiers, kams, settings, zone, moment):
    """The stored part plus what is read live equals one query over the window at every
    moment that matters and every quarter of an hour of the day, as `timezone.now()` gives it
    (UTC), in a business time zone with or without daylight saving time."""
    settings.TIME_ZONE = zone
    with time_machine.travel(moment, tick=False):
        today = business_date()
        account = AccountFactory(owner=kams[0], tier=tiers[0])
        day_start, day_end = sla_day_bounds(today)
        _requests_at_every_edge(account, day_start, day_end, moment)
        portfolio_slices_refresh()
        requests = ClientRequest.objects.all()
        minute = timedelta(minutes=1)
        moments = {day_start, moment, day_end - timedelta(microseconds=1)}
        moments |= {
            request_moment + delta
            for request_moment in requests.values_list("first_response_due_at", flat=True)
            for delta in (-minute / 2, minute / 2)
        }
        moments |= {day_start + timedelta(minutes=15 * step) for step in range(100)}
        moments = sorted(m for m in moments if day_start <= m < day_end)
        for now in moments:
            live = sla_breakdown(requests, now)
            for slices in ((("portfolio", ""),), (("owner", str(kams[0].pk)),)):
                stored = sla_slice_rows(slices, today=today)
                assert sla_breakdown(requests, now, stored=stored) == live, (slices, now)
        # The figures do move during the day: the moments are not all alike.
        assert sla_breakdown(requests, day_start) != sla_breakdown(requests, day_end - minute)


def test_a_page_that_took_its_date_before_midnight_reads_every_request_after_it(book, leader):
    """The stored SLA part is of one day: a page whose date was taken just before midnight and
    whose `now` is just after it (today's rows not built yet) counts every request live."""
    account = Account.objects.first()
    day_start, day_end = sla_day_bounds(book)
    make_request(account, received_at=day_start - timedelta(days=29, hours=23), response_due_h=4)
    make_request(account, received_at=day_end - timedelta(hours=1), response_due_h=1.5)
    portfolio_slices_refresh()
    with time_machine.travel(day_end + timedelta(seconds=30), tick=False):
        late = portfolio_summary(leader, PortfolioFilters(), today=book)
        live = sla_breakdown(ClientRequest.objects.all(), timezone.now())
    shown = {row.key: row.windows for row in late.sla_tiers}
    assert live.by_tier and all(shown[key] == windows for key, windows in live.by_tier.items())
    assert sum(row.windows[30].requests for row in late.sla_tiers) == 1
    assert sum(row.windows[90].requests for row in late.sla_tiers) == 2


def test_a_new_day_computes_its_rows_in_full(book, leader):
    """Touch overdue moves with the calendar, with no row written: the new day's rows say so."""
    first = portfolio_summary(leader, PortfolioFilters(), today=book)
    later = book + timedelta(days=25)
    with time_machine.travel(datetime.combine(later, time(9), SAO_PAULO), tick=False):
        summary = portfolio_summary(leader, PortfolioFilters(), today=later)
        owed = account_list_rows(
            leader,
            touch_overdue=True,
            today=later,
            default_cadence_days=current_config().default_touch_cadence_days,
        ).count()
    assert PortfolioSliceBuild.objects.get().day == later
    assert set(PortfolioSlice.objects.values_list("day", flat=True)) == {later}
    assert summary.touch_overdue.value == owed > first.touch_overdue.value


def test_a_day_build_leaves_the_planner_statistics_of_its_rows(book):
    """Every summary row of a day is new: the build samples its tables (ANALYZE), so the
    planner estimates the new day's rows instead of the day before's (bench/README.md)."""
    table = PortfolioSlice._meta.db_table

    def sampled() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")  # the statistics of the day before's rows only
    yesterday = PortfolioSlice.objects.count()
    assert sampled() == yesterday
    later = book + timedelta(days=1)
    with time_machine.travel(datetime.combine(later, time(9), SAO_PAULO), tick=False):
        portfolio_slices_refresh()
    # The day before's rows stay beside the new day's; the build's ANALYZE counted both.
    assert sampled() == PortfolioSlice.objects.count() > yesterday


def test_the_command_and_the_tasks_refresh_and_check(book, kams, capsys):
    Account.objects.filter(owner=kams[1]).update(revenue_last_12m=Decimal("5"))
    call_command("portfolio_slices")
    assert "rows written" in capsys.readouterr().out
    assert not PortfolioSliceMark.objects.exists()
    built = PortfolioSliceBuild.objects.get().pk
    call_command("portfolio_slices", "--rebuild")
    assert PortfolioSliceBuild.objects.get().pk != built  # the day forgotten and built again
    PortfolioSlice.objects.filter(dimension="region").update(touch=7)
    with pytest.raises(SystemExit):
        call_command("portfolio_slices", "--check")
    out = capsys.readouterr().out
    assert "drift: region=" in out and "drifted and repaired" in out
    Account.objects.filter(owner=kams[2]).update(health_band=HealthBand.WATCH)
    assert tasks.portfolio_slices_refresh() > 0
    assert tasks.portfolio_slices_check() == 0


def test_a_read_after_writes_costs_the_same_queries_however_many_accounts_changed(
    book, leader, django_assert_num_queries
):
    """Reading the whole portfolio after writes computes the marked KAM slices together (one
    query per kind of row whatever the number of KAMs), sums the whole portfolio again and
    computes the Pareto curves (one query for the whole portfolio and one per tier)."""
    options = portfolio_options(leader)
    portfolio_summary(leader, PortfolioFilters(), today=book, options=options)
    tiers = Tier.objects.count()
    for changed in (1, 5):
        ids = list(Account.objects.order_by("pk").values_list("pk", flat=True)[:changed])
        Account.objects.filter(pk__in=ids).update(revenue_last_12m=F("revenue_last_12m") + 1)
        # 15 as when nothing changed; then a savepoint, the lock, is a later day built, is the
        # day built, is every slice marked, the accounts' marks, the marks, configuration and
        # tiers (9); the rates, the Pareto curves (1 + tiers), their delete and insert; per
        # kind of slice row: compute, delete, insert, sum the KAMs, delete and insert the whole
        # portfolio (the book has no commitments, opportunities or client requests: nothing
        # to insert for those, the SLA's two kinds included; the accounts, 6 + 4 + 4 + 4 + 4);
        # the load, kept for the KAM slices alone: compute, delete, insert (3); the marks
        # deleted, the savepoint released
        queries = 15 + 9 + (1 + (1 + tiers) + 2) + (6 + 4 + 4 + 4 + 4) + 3 + 2
        with django_assert_num_queries(queries):
            summary = portfolio_summary(leader, PortfolioFilters(), today=book, options=options)
        assert summary.accounts.value == 6


def test_the_check_reports_and_repairs_account_columns_that_drifted(book, caplog):
    """The accounts' summary columns (insights.account_rollups) are checked with the rows."""
    first, second = Account.objects.order_by("pk")[:2]
    CommitmentFactory(account=first, due_date=book - timedelta(days=2))
    portfolio_slices_refresh()
    Account.objects.filter(pk=first.pk).update(earliest_commitment_due=None)
    Account.objects.filter(pk=second.pk).update(open_opportunities=7)

    result = portfolio_slices_check()

    assert result.drift == [
        f"account={first.pk}: earliest_commitment_due None → {book - timedelta(days=2)}",
        f"account={second.pk}: open_opportunities 7 → 0",
    ]
    assert account_rollups_drift() == []
    assert portfolio_slices_check().drift == []


def test_many_account_marks_are_taken_as_every_account_and_every_slice(book, monkeypatch):
    """Past BATCH marks (a bulk import, the migration that added the columns) every account's
    columns are computed and every slice is marked, instead of looking up each account."""
    monkeypatch.setattr(portfolio_slices, "BATCH", 2)
    accounts = list(Account.objects.order_by("pk")[:3])
    for account in accounts:
        CommitmentFactory(account=account, due_date=book - timedelta(days=1))

    account_marks_taken()

    dimensions = set(PortfolioSliceMark.objects.values_list("dimension", flat=True))
    assert "*" in dimensions and "account" not in dimensions
    assert set(Account.objects.with_overdue_commitments(book).values_list("pk", flat=True)) == {
        account.pk for account in accounts
    }
    portfolio_slices_refresh()
    assert portfolio_slices_check().drift == []


def test_a_refresh_that_finds_many_account_marks_builds_every_slice(book, monkeypatch):
    """The same past BATCH when the minute refresh (or a dashboard read) is the first to take
    the marks: it marked every slice and then computed that mark as if it were a slice
    (KeyError '*'), so every refresh failed until a list took the marks first."""
    monkeypatch.setattr(portfolio_slices, "BATCH", 2)
    accounts = list(Account.objects.order_by("pk")[:3])
    for account in accounts:
        CommitmentFactory(account=account, due_date=book - timedelta(days=1))

    assert portfolio_slices_refresh() > 0

    assert not PortfolioSliceMark.objects.exists()
    assert set(Account.objects.with_overdue_commitments(book).values_list("pk", flat=True)) == {
        account.pk for account in accounts
    }
    assert portfolio_slices_check().drift == []


@pytest.mark.django_db(transaction=True)
def test_while_a_refresh_holds_the_lock_the_list_reads_the_rules_instead_of_waiting(
    book, client_for, leader
):
    """A day build takes seconds at 100,000 accounts: the list does not wait for it, and does
    not read columns that may be behind either. (Committed transactions: the refresh's lock
    is held by another connection, as by the minute task.)"""
    account = Account.objects.order_by("pk").first()
    CommitmentFactory(account=account, due_date=book - timedelta(days=3))  # marked, not taken
    refresh = connect()
    try:
        with refresh.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [portfolio_slices.LOCK_KEY])
        page = client_for(leader).get(reverse("account_list"), {"commitments": "overdue"})
        assert [row.pk for row in page.context["page"]] == [account.pk]
        assert PortfolioSliceMark.objects.filter(dimension="account").exists()
    finally:
        release_and_close(refresh, portfolio_slices.LOCK_KEY)
    page = client_for(leader).get(reverse("account_list"), {"commitments": "overdue"})
    assert [row.pk for row in page.context["page"]] == [account.pk]
    assert not PortfolioSliceMark.objects.filter(dimension="account").exists()


@pytest.mark.django_db(transaction=True)
def test_while_a_refresh_holds_the_lock_the_dashboard_reads_the_accounts_instead_of_waiting(
    book, kams, leader
):
    """The nightly check holds the lock for seconds at 100,000 accounts: a dashboard whose
    slices are marked meanwhile reads its accounts (the same figures) instead of waiting, and
    the marks stay for the refresh. Committed transactions: another connection holds the lock,
    as the minute task would."""
    Account.objects.filter(owner=kams[0]).update(health_band=HealthBand.AT_RISK)
    views = [(leader, PortfolioFilters()), (kams[0], PortfolioFilters())]
    refresh = connect()
    try:
        with refresh.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [portfolio_slices.LOCK_KEY])
        with connection.cursor() as cursor:  # a page that waited fails instead of hanging
            cursor.execute("SET lock_timeout = '5s'")
        while_locked = [portfolio_summary(user, filters, today=book) for user, filters in views]
        assert PortfolioSliceMark.objects.filter(dimension="owner").exists()
    finally:
        release_and_close(refresh, portfolio_slices.LOCK_KEY)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    after = [portfolio_summary(user, filters, today=book) for user, filters in views]
    assert not PortfolioSliceMark.objects.filter(dimension="owner").exists()
    for locked, read in zip(while_locked, after, strict=True):
        assert (locked.accounts.value, locked.at_risk.value, locked.revenue.value) == (
            read.accounts.value,
            read.at_risk.value,
            read.revenue.value,
        )
    assert after[0].at_risk.value == 2


def test_the_account_pages_share_reads_the_rows_only_while_they_are_current(book, kams):
    """live_revenue_stored (the account page's portfolio revenue in a currency) is the sum of
    the accounts' while the rows are current; once an account changes, until they are brought
    up to date, it says it does not know (None) and the page sums the accounts."""
    live_brl = Account.objects.live().filter(currency="BRL")
    summed = live_brl.aggregate(total=Sum("revenue_last_12m"))["total"]
    assert live_revenue_stored("BRL", book) == summed == Decimal(21000)
    assert live_revenue_stored("USD", book) is None  # no row of the currency: the page sums
    assert live_revenue_stored("BRL", book + timedelta(days=1)) is None  # that day not built
    Account.objects.filter(pk=live_brl.first().pk).update(revenue_last_12m=Decimal(5))
    assert live_revenue_stored("BRL", book) is None  # marked
    portfolio_slices_refresh()
    assert live_revenue_stored("BRL", book) == live_brl.aggregate(t=Sum("revenue_last_12m"))["t"]


def test_the_lists_count_reads_the_rows_only_while_they_are_current(book, client_for, leader):
    """The accounts list's count of a dashboard figure (account_list_count_stored) is the
    summary rows' while they are current: the page runs as many statements as before (the
    rows' sum instead of the COUNT) and shows the rows' number. Once an account changes it
    says it does not know (None) and the page counts its rows: one statement more."""
    query = {"touch": "overdue"}
    overdue = account_list_rows(leader, today=book, touch_overdue=True).count()
    assert overdue == 3  # touched 30, 40 and 50 days ago
    touch = {"touch_overdue": True, "sort": "-health"}
    assert account_list_count_stored(leader, touch, today=book) == overdue
    assert account_list_count_stored(leader, {**touch, "band": "at_risk"}, today=book) == 0
    # No filter: every account, whatever its status (the leader's list as it opens).
    every = account_list_rows(leader, today=book).count()
    assert account_list_count_stored(leader, {"sort": "name"}, today=book) == every
    # One status: the rows' count of that status.
    churned = account_list_rows(leader, today=book, status="churned").count()
    assert account_list_count_stored(leader, {"status": "churned"}, today=book) == churned
    # Not one figure, or another filter, or not a view the rows are kept for: no query, the
    # page counts.
    for filters in (
        {"status": "churned", "touch_overdue": True},
        {**touch, "search": "x"},
        {**touch, "qbr_overdue": True},
        {**touch, "a_filter_added_later": "x"},
        {"status": LIVE, "industry": INDUSTRIES[1], "region": REGIONS[1]},
        {"renewal_within_days": 30},
    ):
        with CaptureQueriesContext(connection) as queries:
            assert account_list_count_stored(leader, filters, today=book) is None, filters
        assert len(queries) == 0
    client = client_for(leader)
    with CaptureQueriesContext(connection) as current:
        response = client.get("/accounts/", query)
    assert response.context["page"].paginator.count == overdue
    assert not any('COUNT(*) AS "__count" FROM "accounts_account"' in q["sql"] for q in current)
    Account.objects.filter(pk=Account.objects.order_by("pk").first().pk).update(last_touch_at=None)
    assert account_list_count_stored(leader, touch, today=book) is None  # marked
    with CaptureQueriesContext(connection) as marked:
        response = client.get("/accounts/", query)
    assert response.context["page"].paginator.count == overdue + 1
    assert len(marked) == len(current) + 1


def test_the_lists_count_of_commitments_overdue_counts_accounts_not_items(book, leader):
    """The list of accounts with an overdue agreed item counts from the commitment rows'
    accounts (not their items), per tier only: with a band or Pareto class it counts."""
    first, second = Account.objects.order_by("pk")[:2]
    for account, items in ((first, 2), (second, 1)):
        for _ in range(items):
            CommitmentFactory(account=account, due_date=book - timedelta(days=3))
    portfolio_slices_refresh()
    overdue = {"commitments_overdue": True}
    listed = account_list_rows(leader, today=book, **overdue).count()
    assert listed >= 2
    assert Commitment.objects.overdue(book).count() > listed
    assert account_list_count_stored(leader, overdue, today=book) == listed
    tier = first.tier_id
    assert account_list_count_stored(leader, {**overdue, "tier_id": tier}, today=book) == (
        account_list_rows(leader, today=book, tier_id=tier, **overdue).count()
    )
    assert account_list_count_stored(leader, {**overdue, "band": "at_risk"}, today=book) is None


def test_rows_lacking_the_accounts_count_are_not_summed_for_the_list(book, kams, leader):
    """A summary row the code of the release before wrote (while the web machines reloaded)
    lacks the count of every account (NULL): the list counts its rows instead of showing a
    partial sum, the whole portfolio's sum of a lacking KAM row is NULL too, and the nightly
    check fills them."""
    portfolio_slices_refresh()
    every = account_list_rows(leader, today=book).count()
    owner = {"owner_id": kams[0].pk}
    assert account_list_count_stored(leader, {}, today=book) == every
    assert account_list_count_stored(leader, owner, today=book) == (
        account_list_rows(leader, today=book, **owner).count()
    )
    PortfolioSlice.objects.filter(day=book, dimension="owner", value=str(kams[0].pk)).update(
        accounts=None
    )
    assert account_list_count_stored(leader, owner, today=book) is None
    # Another KAM's slice computed again sums the whole portfolio again, with the lacking row.
    Account.objects.filter(owner=kams[1]).update(name="Renamed")
    portfolio_slices_refresh()
    assert PortfolioSlice.objects.filter(day=book, dimension="portfolio", accounts=None).exists()
    assert account_list_count_stored(leader, {}, today=book) is None
    assert portfolio_slices_check().drift
    assert account_list_count_stored(leader, {}, today=book) == every
    assert account_list_count_stored(leader, owner, today=book) is not None
