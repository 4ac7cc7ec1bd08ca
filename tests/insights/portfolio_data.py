"""A small hand-made portfolio whose every dashboard figure is worked out by hand
(tests/accounts/test_portfolio*.py). Call inside the frozen clock (the `now` fixture):
today is 2026-03-10.

| account | owner    | status  | tier      | band/score | class | cur | last 12m | before |
|---------|----------|---------|-----------|------------|-------|-----|---------:|-------:|
| Alpha   | kam_user | active  | strategic | healthy 80 | A     | BRL |    1,000 |    800 |
| Bravo   | kam_user | at_risk | key       | at_risk 30 | B     | USD |      100 |    200 |
| Charlie | kam_user | active  | key       | watch 50   | C     | BRL |        0 |    300 |
| Delta   | kam_user | churned | growth    | at_risk 20 |       | BRL |        0 |    500 |
| Echo    | outsider | active  | maintain  | at_risk 35 |       | EUR |   10,000 |      0 |

USD is worth 5 BRL (an older rate of 4 and a future one of 6 are not in force); EUR has no
rate. team_member is on Alpha's team. The key tier allows 1 account per KAM."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Account, ExchangeRate, HealthMonth, HealthScore, Tier
from accounts.services import account_revenue_refresh, scoring_defaults_ensure
from activities.models import QBR
from kam.dates import business_date
from tests.factories import AccountFactory, CommitmentFactory, RevenueRecordFactory
from tests.plans.factories import AccountPlanFactory, OpportunityFactory

TODAY = date(2026, 3, 10)


def build_portfolio(*, kam_user, outsider, team_member, leader) -> dict:
    scoring_defaults_ensure()  # the default tiers
    tiers = {tier.key: tier for tier in Tier.objects.all()}
    Tier.objects.filter(key="key").update(max_accounts_per_kam=1)
    now = timezone.now()
    today = business_date()
    assert today == TODAY

    def account(name, **fields):
        return AccountFactory(name=name, contract_start=today - timedelta(days=700), **fields)

    alpha = account(
        "Alpha",
        owner=kam_user,
        tier=tiers["strategic"],
        health_score=80,
        health_band="healthy",
        pareto_class="A",
        industry="Retail",
        region="Sul",
        last_touch_at=now - timedelta(days=1),
        renewal_date=today + timedelta(days=30),
    )
    alpha.team.add(team_member)
    bravo = account(
        "Bravo",
        owner=kam_user,
        status="at_risk",
        tier=tiers["key"],
        health_score=30,
        health_band="at_risk",
        pareto_class="B",
        currency="USD",
        industry="Energy",
        region="Norte",
        renewal_date=today + timedelta(days=120),
    )
    charlie = account(
        "Charlie",
        owner=kam_user,
        tier=tiers["key"],
        health_score=50,
        health_band="watch",
        pareto_class="C",
        industry="Retail",
        region="Norte",
        last_touch_at=now - timedelta(days=200),
        renewal_date=today,
    )
    delta = account(
        "Delta",
        owner=kam_user,
        status="churned",
        tier=tiers["growth"],
        health_score=20,
        health_band="at_risk",
        industry="Retail",
        region="Sul",
        renewal_date=today + timedelta(days=10),
    )
    echo = AccountFactory(
        name="Echo",
        owner=outsider,
        tier=tiers["maintain"],
        health_score=35,
        health_band="at_risk",
        currency="EUR",
        industry="Energy",
        region="Sul",
        last_touch_at=now - timedelta(days=1),
    )
    # Revenue: this year's window is (2025-03-10, 2026-03-10], the one before the year before.
    for acct, last, previous in [
        (alpha, 1000, 800),
        (bravo, 100, 200),
        (charlie, 0, 300),
        (delta, 0, 500),
        (echo, 10000, 0),
    ]:
        if last:
            RevenueRecordFactory(account=acct, amount=last, booked_on=today - timedelta(days=30))
        if previous:
            RevenueRecordFactory(
                account=acct, amount=previous, booked_on=today - timedelta(days=400)
            )
    RevenueRecordFactory(account=alpha, amount=99999, booked_on=today - timedelta(days=800))
    account_revenue_refresh(day=today)

    ExchangeRate.objects.create(currency="USD", rate=Decimal("4"), valid_from=date(2025, 1, 1))
    ExchangeRate.objects.create(currency="USD", rate=Decimal("5"), valid_from=date(2026, 1, 1))
    ExchangeRate.objects.create(currency="USD", rate=Decimal("6"), valid_from=date(2026, 4, 1))

    # QBRs: Alpha held one 10 days ago; Charlie has one planned; Bravo none since its contract
    # started 700 days ago (overdue); Echo's contract start is unknown and it was created today.
    QBR.objects.create(
        account=alpha,
        scheduled_on=today - timedelta(days=10),
        status="held",
        held_at=now - timedelta(days=10),
    )
    # What activities.services.qbr_hold keeps on the account (the QBR is made directly here).
    Account.objects.filter(pk=alpha.pk).update(last_qbr_held_at=now - timedelta(days=10))
    QBR.objects.create(account=charlie, scheduled_on=today + timedelta(days=5))

    # Commitments: 3 overdue and open on 2 accounts.
    CommitmentFactory(account=alpha, due_date=today - timedelta(days=1))
    CommitmentFactory(account=alpha, due_date=today - timedelta(days=5), status="done", done_at=now)
    CommitmentFactory(account=bravo, due_date=today - timedelta(days=3))
    CommitmentFactory(account=bravo, due_date=today - timedelta(days=30))
    CommitmentFactory(account=echo, due_date=today + timedelta(days=3))

    # Opportunities: 1,000 BRL at 50 % and 100 USD at 20 % are open.
    alpha_plan = AccountPlanFactory(account=alpha)
    OpportunityFactory(plan=alpha_plan, title="Alpha upsell", amount=1000, probability=50)
    OpportunityFactory(plan=alpha_plan, title="Alpha won", amount=5000, stage="won")
    OpportunityFactory(
        plan=AccountPlanFactory(account=bravo),
        title="Bravo cross-sell",
        amount=100,
        probability=20,
        currency="USD",
    )
    OpportunityFactory(
        plan=AccountPlanFactory(account=charlie, status="archived"),
        title="Charlie stale",
        amount=7000,
    )

    # Monthly health: February 80/30/50 (one at risk of three), March 70/20 (one of two).
    for acct, month, score, band in [
        (alpha, date(2026, 2, 1), 80, "healthy"),
        (bravo, date(2026, 2, 1), 30, "at_risk"),
        (charlie, date(2026, 2, 1), 50, "watch"),
        (charlie, date(2026, 3, 1), None, "unknown"),
        (alpha, date(2026, 3, 1), 70, "healthy"),
        (bravo, date(2026, 3, 1), 20, "at_risk"),
        (echo, date(2026, 3, 1), 35, "at_risk"),
        (alpha, date(2025, 2, 1), 10, "at_risk"),  # 13 months ago: out of the trend
    ]:
        HealthMonth.objects.create(account=acct, month=month, score=score, band=band)
    # Bravo's latest score explains itself: engagement and commitments are weakest.
    HealthScore.objects.create(
        account=bravo,
        day=today,
        score=30,
        band="at_risk",
        config=scoring_defaults_ensure(),
        components=[
            {"key": "coverage", "score": 90, "weight": 20, "reason": {"code": "coverage_none"}},
            {
                "key": "engagement",
                "score": 10,
                "weight": 30,
                "reason": {"code": "engagement_never", "params": {"cadence": 30}},
            },
            {
                "key": "commitments",
                "score": 20,
                "weight": 20,
                "reason": {"code": "commitments", "params": {"kept": 0, "overdue": 2}},
            },
            {"key": "sentiment", "score": None, "weight": 10, "reason": {"code": "x"}},
        ],
    )
    return {
        "alpha": alpha,
        "bravo": bravo,
        "charlie": charlie,
        "delta": delta,
        "echo": echo,
        "tiers": tiers,
    }
