"""Tier history written before TierChange.recommended_tier, put in step with how the tiers
were applied (issue 16)."""

from django.db import migrations

# Rows written before the field: a first tier and an accepted one applied the recommendation,
# so it was their new tier; what an older override turned down is not on record (left empty:
# the history then says "Override: stays Strategic").
FILL = """
UPDATE accounts_tierchange SET recommended_tier_id = to_tier_id
WHERE recommended_tier_id IS NULL AND source IN ('initial', 'accepted')
"""
# The demo recorded a leader's override dated 200 days back after the nightly job had applied
# the first recommendation "now", so the history read "— → Growth · First recommendation
# applied" as the latest entry while the tier was Strategic. A first tier comes before every
# other change of its account: one dated after one of them moves to just before the earliest.
FIRST_TIER_FIRST = """
UPDATE accounts_tierchange AS f
SET changed_at = o.earliest - interval '1 second'
FROM (
    SELECT account_id, min(changed_at) AS earliest FROM accounts_tierchange
    WHERE source <> 'initial' GROUP BY account_id
) AS o
WHERE f.source = 'initial' AND f.account_id = o.account_id AND f.changed_at > o.earliest
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0022_tier_change_recommended_tier")]

    operations = [
        migrations.RunSQL(FILL, reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(FIRST_TIER_FIRST, reverse_sql=migrations.RunSQL.noop),
    ]
