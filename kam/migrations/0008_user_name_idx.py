"""The people in name order from an index: the people pickers' search stops at its first
SEARCH_LIMIT matches of the scope instead of reading and sorting them all (kam.people)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("kam", "0007_email_retention_kinds"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="user",
            index=models.Index(fields=["full_name", "email"], name="user_name_idx"),
        ),
    ]
