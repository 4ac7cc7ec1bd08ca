from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0037_stakeholder_account_index_covers_coverage"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="account",
            index=models.Index(
                condition=models.Q(
                    ("status", "prospect"),
                    ("status", "active"),
                    ("status", "at_risk"),
                    _connector="OR",
                ),
                fields=["renewal_date", "name", "id"],
                name="account_live_renewal_idx",
            ),
        ),
    ]
