"""The account's last touch and last QBR held are derived from interactions and QBRs, which are
held to kam.dates' range since 0010/0006; a value stored before that (or copied by hand) could
still lie outside it and make the cadence arithmetic overflow. Such values are recomputed from
their sources, then the database holds them to the range like every other business date."""

from django.db import migrations

import kam.dates

BOUNDS = [kam.dates.EARLIEST_MOMENT, kam.dates.LATEST_MOMENT]

RECOMPUTE_LAST_TOUCH = """
UPDATE accounts_account a SET last_touch_at = (
    SELECT MAX(i.occurred_at) FROM activities_interaction i WHERE i.account_id = a.id
)
WHERE a.last_touch_at < %s OR a.last_touch_at >= %s
"""

RECOMPUTE_LAST_QBR = """
UPDATE accounts_account a SET last_qbr_held_at = (
    SELECT MAX(q.held_at) FROM activities_qbr q WHERE q.account_id = a.id AND q.status = 'held'
)
WHERE a.last_qbr_held_at < %s OR a.last_qbr_held_at >= %s
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0011_status_and_band_labels"),
        ("activities", "0006_business_date_bounds"),
    ]

    operations = [
        migrations.RunSQL(
            [(RECOMPUTE_LAST_TOUCH, BOUNDS), (RECOMPUTE_LAST_QBR, BOUNDS)],
            migrations.RunSQL.noop,
        ),
        migrations.AddConstraint(
            model_name="account",
            constraint=kam.dates.datetime_range_check(
                "last_touch_at", nullable=True, name="account_last_touch_at_range"
            ),
        ),
        migrations.AddConstraint(
            model_name="account",
            constraint=kam.dates.datetime_range_check(
                "last_qbr_held_at", nullable=True, name="account_last_qbr_held_at_range"
            ),
        ),
    ]
