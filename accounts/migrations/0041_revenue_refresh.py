from django.db import migrations, models
from django.db.models import Max
from django.utils import timezone


def last_refresh(apps, schema_editor):
    """The refresh the accounts already hold, so the dashboard keeps saying its day: before
    this, every account carried it (revenue_as_of, the same day on every account)."""
    Account = apps.get_model("accounts", "Account")
    day = Account.objects.aggregate(day=Max("revenue_as_of"))["day"]
    if day is not None:
        apps.get_model("accounts", "RevenueRefresh").objects.create(
            day=day,
            refreshed_at=timezone.now(),
            accounts_changed=Account.objects.filter(revenue_as_of=day).count(),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0040_account_name_trigram_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="RevenueRefresh",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(unique=True, verbose_name="date")),
                ("refreshed_at", models.DateTimeField(verbose_name="refreshed at")),
                ("accounts_changed", models.PositiveIntegerField(verbose_name="accounts changed")),
            ],
            options={
                "verbose_name": "revenue refresh",
                "verbose_name_plural": "revenue refreshes",
            },
        ),
        migrations.RunPython(last_refresh, migrations.RunPython.noop),
    ]
