"""The Maven CRM sample (../shared/datasets/maven-crm): imports with no mapping flags."""

import io
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from accounts.models import Account, RevenueRecord
from kam.models import Role, User
from plans.models import Opportunity, Product
from tests.dataio.conftest import maven_import

pytestmark = pytest.mark.django_db


def test_maven_imports_whole_and_a_second_run_changes_nothing(maven, admin_user):
    first = maven_import(maven, admin_user)

    assert {name: (c["created"], c["rejected"]) for name, c in first.items()} == {
        "sales_teams.csv": (35, 0),
        "products.csv": (7, 0),
        "accounts.csv": (85, 0),
        # 4,238 won + 3,137 open or lost; the 1,425 Prospecting/Engaging rows without an
        # account are rejected, each with its row number.
        "sales_pipeline.csv": (7375, 1425),
    }
    rejects = first["sales_pipeline.csv"]["rejects"]
    assert Counter(r["reason"] for r in rejects) == {"account: no account given.": 1425}
    assert rejects[0]["row"] == 11  # the file's first row with an empty account

    assert Account.objects.count() == 85
    assert Account.objects.filter(parent__isnull=False).count() == 15
    assert Account.objects.get(name="Bluth Company").parent.name == "Acme Corporation"
    acme = Account.objects.get(name="Acme Corporation")
    assert acme.industry == "technolgy"  # kept as found
    assert acme.annual_revenue_musd == Decimal("1100.04")
    assert acme.hq_country == "United States" and acme.founded_year == 1996

    assert User.objects.filter(role=Role.KAM).count() == 35
    assert User.objects.filter(role=Role.LEADER).count() == 6
    assert User.objects.get(full_name="Anna Snelling").manager.full_name == "Dustin Brinkmann"
    assert User.objects.get(full_name="Zane Levy").region == "West"

    assert RevenueRecord.objects.count() == 4238
    # GTXPro in the pipeline is the catalogue's GTX Pro.
    assert not RevenueRecord.objects.filter(product="GTXPro").exists()
    assert Opportunity.objects.filter(product=Product.objects.get(name="GTX Pro")).exists()
    assert Counter(Opportunity.objects.values_list("stage", flat=True)) == {
        "lost": 2473,
        "qualified": 501,
        "identified": 163,
    }
    assert Opportunity.objects.filter(stage="identified", amount__gt=0).count() == 163

    second = maven_import(maven, admin_user)
    for name, counts in second.items():
        assert (counts["created"], counts["updated"]) == (0, 0), name
    assert second["sales_pipeline.csv"]["unchanged"] == 7375


def test_maven_tiers_and_pareto_follow_won_revenue(maven, admin_user):
    maven_import(maven, admin_user)
    # The data set's deals close in 2017: with no revenue in the last 12 months, `recompute_tiers`
    # with no flag tiers as of the last day with revenue.
    out = io.StringIO()
    call_command("recompute_tiers", stdout=out)
    last = RevenueRecord.objects.order_by("-booked_on").values_list("booked_on", flat=True)[0]
    assert last.year == 2017 and f"as of {last.isoformat()}" in out.getvalue()
    revenue = dict(
        RevenueRecord.objects.values("account_id")
        .annotate(total=Sum("amount"))
        .values_list("account_id", "total")
    )
    classes = dict(Account.objects.values_list("pk", "pareto_class"))
    assert set(classes.values()) == {"A", "B", "C"}
    lowest_a = min(revenue[pk] for pk, c in classes.items() if c == "A")
    highest_c = max(revenue.get(pk, 0) for pk, c in classes.items() if c == "C")
    assert lowest_a > highest_c
    top = max(revenue, key=revenue.get)
    assert Account.objects.get(pk=top).tier.key in {"strategic", "key"}
    assert not Account.objects.filter(tier__isnull=True).exists()
