"""Default tiers (DESIGN.md §2.2) and configuration version 1, so a new install scores at once.
Values are literals on purpose: later changes to code defaults must not rewrite history."""

from django.db import migrations

TIERS = [
    # key, name, rank, min_score, touch days, QBR days, SLA hours, max per KAM, sponsor
    ("strategic", "Strategic", 1, 75, 14, 90, 4, 5, True),
    ("key", "Key", 2, 55, 30, 90, 8, 10, False),
    ("growth", "Growth", 3, 35, 45, 180, 24, 15, False),
    ("maintain", "Maintain", 4, 0, 90, 365, 48, 30, False),
]
HEALTH_WEIGHTS = {
    "engagement": 20,
    "coverage": 15,
    "sentiment": 15,
    "satisfaction": 10,
    "revenue_trend": 15,
    "commitments": 10,
    "qbr": 5,
    "risks": 5,
    "renewal": 5,
}
TIER_WEIGHTS = {
    "revenue": 20,
    "revenue_share": 10,
    "growth": 10,
    "margin": 5,
    "pareto": 25,
    "growth_potential": 10,
    "market_influence": 8,
    "strategic_alignment": 8,
    "referral_value": 4,
}


def create_defaults(apps, schema_editor):
    Tier = apps.get_model("accounts", "Tier")
    ScoringConfig = apps.get_model("accounts", "ScoringConfig")
    policies = []
    for key, name, rank, min_score, touch, qbr, sla, max_accounts, sponsor in TIERS:
        Tier.objects.update_or_create(
            key=key,
            defaults={
                "name": name,
                "rank": rank,
                "min_score": min_score,
                "touch_cadence_days": touch,
                "qbr_cadence_days": qbr,
                "response_sla_hours": sla,
                "max_accounts_per_kam": max_accounts,
                "exec_sponsor_required": sponsor,
            },
        )
        policies.append(
            {
                "key": key,
                "name": name,
                "rank": rank,
                "min_score": min_score,
                "touch_cadence_days": touch,
                "qbr_cadence_days": qbr,
                "response_sla_hours": sla,
                "max_accounts_per_kam": max_accounts,
                "exec_sponsor_required": sponsor,
            }
        )
    if not ScoringConfig.objects.exists():
        ScoringConfig.objects.create(
            version=1,
            health_weights=HEALTH_WEIGHTS,
            tier_weights=TIER_WEIGHTS,
            tiers=policies,
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_tiering_health")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
