import django.db.models.deletion
from django.db import migrations, models

# The foreign key's own index goes; stakeholder_account_idx leads with the account. AlterField
# would also drop and re-add the foreign key, which checks every stakeholder again (as in 0028).
FK_INDEX = "accounts_stakeholder_account_id_68668c56"


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0036_account_indexes_not_duplicated"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="stakeholder",
            name="accounts_st_account_4092ae_idx",
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="stakeholder",
                    name="account",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="stakeholders",
                        to="accounts.account",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {FK_INDEX}",
                    f"CREATE INDEX IF NOT EXISTS {FK_INDEX} ON accounts_stakeholder (account_id)",
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="stakeholder",
            index=models.Index(
                fields=["account", "name"],
                include=("left_on", "buying_role", "is_primary", "last_interaction_at"),
                name="stakeholder_account_idx",
            ),
        ),
    ]
