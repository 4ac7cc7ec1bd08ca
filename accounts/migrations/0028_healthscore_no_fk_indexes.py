import django.db.models.deletion
from django.db import migrations, models

# Only the two indexes go: AlterField would also drop and re-add both foreign keys, which
# checks every stored score again (millions of rows) for nothing.
INDEXES = {
    "account": "accounts_healthscore_account_id_50648aaf",
    "config": "accounts_healthscore_config_id_fc581774",
}


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0027_stakeholder_email_lower"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="healthscore",
                    name="account",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="health_scores",
                        to="accounts.account",
                    ),
                ),
                migrations.AlterField(
                    model_name="healthscore",
                    name="config",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.scoringconfig",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {name}",
                    f"CREATE INDEX IF NOT EXISTS {name} ON accounts_healthscore ({field}_id)",
                )
                for field, name in INDEXES.items()
            ],
        ),
    ]
