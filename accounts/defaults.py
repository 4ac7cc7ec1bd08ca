"""Installation defaults for tiering and health (DESIGN.md §2.2, §2.3): the four default tiers
with their service policy. Weights come from accounts.scoring."""

DEFAULT_TIERS = [
    # key, name, rank, min_score, touch days, QBR days, SLA hours, max per KAM, sponsor,
    # escalation grace days (an overdue agreed item reaches the leader after these)
    ("strategic", "Strategic", 1, 75, 14, 90, 4, 5, True, 1),
    ("key", "Key", 2, 55, 30, 90, 8, 10, False, 2),
    ("growth", "Growth", 3, 35, 45, 180, 24, 15, False, 3),
    ("maintain", "Maintain", 4, 0, 90, 365, 48, 30, False, 5),
]

TIER_POLICY_FIELDS = (
    "key",
    "name",
    "rank",
    "min_score",
    "touch_cadence_days",
    "qbr_cadence_days",
    "response_sla_hours",
    "max_accounts_per_kam",
    "exec_sponsor_required",
    "escalation_grace_days",
)


def default_tier_policies() -> list[dict]:
    """The default tiers as Tier.policy() dicts (what a configuration version stores)."""
    return [dict(zip(TIER_POLICY_FIELDS, row, strict=True)) for row in DEFAULT_TIERS]
