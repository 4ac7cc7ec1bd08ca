"""Demo account plans and whitespace for `seed_demo` (called from kam/demo.py). Deterministic
and idempotent: an account that already has a plan is left as it is."""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Account
from kam.models import User
from plans import services as plan_services
from plans.models import AccountPlan, PlanStatus, Product

PRODUCTS = [
    (
        gettext_noop("Platform subscription"),
        gettext_noop("Platform"),
        Decimal("4800"),
    ),
    (gettext_noop("Premium support"), gettext_noop("Services"), Decimal("1200")),
    (gettext_noop("Analytics add-on"), gettext_noop("Platform"), Decimal("2500")),
    (
        gettext_noop("Implementation services"),
        gettext_noop("Services"),
        Decimal("9000"),
    ),
    (
        gettext_noop("Spare parts and consumables"),
        gettext_noop("Supplies"),
        Decimal("300"),
    ),
]
UNITS = [
    gettext_noop("Operations"),
    gettext_noop("Finance"),
    gettext_noop("Supply chain"),
    gettext_noop("Regional stores"),
]
OBJECTIVES = [
    (
        gettext_noop("Cut unplanned downtime"),
        gettext_noop("Downtime per month"),
        "h",
        Decimal("40"),
        Decimal("10"),
    ),
    (
        gettext_noop("Shorten order-to-delivery time"),
        gettext_noop("Order-to-delivery"),
        gettext_noop("days"),
        Decimal("9"),
        Decimal("5"),
    ),
    (
        gettext_noop("Raise first-contact resolution"),
        gettext_noop("First-contact resolution"),
        "%",
        Decimal("62"),
        Decimal("85"),
    ),
    (
        gettext_noop("Reduce inventory write-offs"),
        gettext_noop("Write-offs per quarter"),
        "k",
        Decimal("480"),
        Decimal("250"),
    ),
]
RISKS = [
    (gettext_noop("Budget freeze announced by the new CFO"), 4, 3),
    (gettext_noop("Competitor pilot running in a regional unit"), 5, 2),
    (gettext_noop("Integration delays hurt the renewal case"), 3, 3),
    (gettext_noop("Champion stretched across two programmes"), 2, 3),
]
STALE_KEYS = {"ferraz-super", "helvetia-br", "serra-azul"}


def demo_plans_seed(*, accounts: dict[str, Account], today: date) -> None:
    products = []
    for name, series, price in PRODUCTS:
        product, _created = Product.objects.get_or_create(
            name=_(name), defaults={"series": _(series), "list_price": price}
        )
        products.append(product)
    tiers_with_plans = {"strategic", "key"}
    for key, account in sorted(accounts.items()):
        account.refresh_from_db(fields=["tier", "status"])
        if not account.is_live or account.tier is None:
            continue
        if (
            account.tier.key not in tiers_with_plans
            or AccountPlan.objects.filter(account=account).exists()
        ):
            continue
        _plan_for(account, key=key, today=today, products=products)


def _plan_for(account: Account, *, key: str, today: date, products: list[Product]) -> None:
    rng = random.Random(f"demo-plan-{key}")
    owner: User = account.owner
    year = today.year
    plan = plan_services.plan_create(
        account=account,
        actor=owner,
        status=PlanStatus.ACTIVE,
        title=f"{account.name} — {year}",
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        swot_strengths=_("Trusted by operations; integrated with their ERP."),
        swot_weaknesses=_("Little contact with finance; single sponsor."),
        swot_opportunities=_("Regional expansion; analytics demand from the board."),
        swot_threats=_("Price pressure from a low-cost competitor."),
        governance_rhythm=_(
            "Monthly operations review; quarterly business review with the sponsor."
        ),
        qbr_cadence_note=_("Quarterly"),
    )
    objectives = _objectives(plan, owner=owner, rng=rng, year=year, currency=account.currency)
    risk, opportunities = _risk_and_opportunities(
        plan, account=account, owner=owner, rng=rng, today=today, products=products
    )
    _actions(plan, owner=owner, today=today, links=(objectives[0], risk, opportunities[0]))
    _whitespace(account, owner=owner, rng=rng, products=products, opportunity=opportunities[0])
    # Most plans were reviewed recently; a few were left to go stale.
    reviewed = today - timedelta(days=120 if key in STALE_KEYS else rng.randint(3, 40))
    AccountPlan.objects.filter(pk=plan.pk).update(
        last_reviewed_at=timezone.make_aware(
            timezone.datetime.combine(reviewed, timezone.datetime.min.time())
        ),
        reviewed_by=owner,
        created_at=timezone.make_aware(timezone.datetime(year, 1, 5)),
    )


def _objectives(plan, *, owner, rng, year: int, currency: str) -> list:
    objectives = []
    for description, metric, unit, baseline, target in rng.sample(OBJECTIVES, 2):
        progress = Decimal(str(round(rng.uniform(0.1, 0.8), 2)))
        objectives.append(
            plan_services.objective_create(
                plan=plan,
                actor=owner,
                description=_(description),
                metric=_(metric),
                unit=_(unit),
                baseline=baseline,
                target=target,
                current_value=(baseline + (target - baseline) * progress).quantize(Decimal("0.1")),
                due_date=date(year, 12, 1),
                status=rng.choice(["on_track", "on_track", "at_risk"]),
            )
        )
    plan_services.hypothesis_create(
        plan=plan,
        actor=owner,
        objective=objectives[0],
        hypothesis=_("Predictive maintenance alerts remove half the unplanned stops."),
        expected_value=Decimal(rng.randrange(80, 400) * 1000),
        realised_value=Decimal(rng.randrange(10, 80) * 1000),
        currency=currency,
    )
    return objectives


def _risk_and_opportunities(plan, *, account, owner, rng, today: date, products: list) -> tuple:
    title, severity, likelihood = RISKS[0] if account.status == "at_risk" else rng.choice(RISKS[1:])
    risk = plan_services.risk_create(
        plan=plan,
        actor=owner,
        title=_(title),
        severity=severity,
        likelihood=likelihood,
        mitigation=_("Executive meeting with the sponsor; show realised value."),
        owner=owner,
    )
    opportunities = []
    for kind, product, stage, probability in [
        ("upsell", products[2], "proposal", 50),
        ("cross_sell", products[3], "qualified", 30),
    ]:
        opportunities.append(
            plan_services.opportunity_create(
                plan=plan,
                actor=owner,
                kind=kind,
                product=product,
                title=_("{product} for {account}").format(
                    product=product.name, account=account.name
                ),
                amount=Decimal(rng.randrange(20, 300) * 1000),
                currency=account.currency,
                probability=probability,
                stage=stage,
                owner=owner,
                expected_close=today + timedelta(days=rng.randint(20, 150)),
            )
        )
    return risk, opportunities


def _actions(plan, *, owner, today: date, links: tuple) -> None:
    objective, risk, opportunity = links
    for title, days, link in [
        (gettext_noop("Share the downtime report with operations"), -5, {"objective": objective}),
        (gettext_noop("Book the executive meeting on the budget risk"), 10, {"risk": risk}),
        (gettext_noop("Send the analytics proposal"), 21, {"opportunity": opportunity}),
    ]:
        plan_services.action_create(
            plan=plan,
            actor=owner,
            title=_(title),
            owner_user=owner,
            due_date=today + timedelta(days=days),
            **link,
        )


def _whitespace(account, *, owner, rng, products: list, opportunity) -> None:
    units = [
        plan_services.business_unit_create(account=account, actor=owner, name=_(name))
        for name in rng.sample(UNITS, 3)
    ]
    for unit in units:
        for product in products:
            state = rng.choice(
                ["current", "current", "opportunity", "not_a_fit", "in_progress", ""]
            )
            if state:
                plan_services.whitespace_cell_set(
                    account=account,
                    actor=owner,
                    business_unit=unit,
                    product=product,
                    state=state,
                    opportunity=opportunity
                    if state == "opportunity" and product == products[2]
                    else None,
                )
