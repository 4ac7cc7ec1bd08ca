"""A month row is written only when its score or band moves (insights.services
_health_months_upsert), so the day it was last written no longer says which day is the month's
latest; the daily scores say it. Django forgets the field; the column stays, nullable, for the
code of the release before, which still writes it while the machines reload (docs/deploy.md,
"Upgrading": a column the old code uses is dropped one release after the code that stopped
using it). Reversed, the rows written since get their month's first day."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0043_foreign_key_indexes_covered"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="healthmonth",
                    name="day",
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE accounts_healthmonth ALTER COLUMN day DROP NOT NULL",
                    reverse_sql=[
                        "UPDATE accounts_healthmonth SET day = month WHERE day IS NULL",
                        "ALTER TABLE accounts_healthmonth ALTER COLUMN day SET NOT NULL",
                    ],
                ),
            ],
        ),
    ]
