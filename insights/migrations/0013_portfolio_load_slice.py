"""The live accounts per slice and tier (insights.models.PortfolioLoadSlice), which the load per
KAM reads. The days built have none: they are forgotten, and the next read or refresh builds
the day in full (as migration 0003 did for the pipeline and commitment rows)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0012_account_qbr_due_marked"),
    ]

    operations = [
        migrations.CreateModel(
            name="PortfolioLoadSlice",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                (
                    "dimension",
                    models.CharField(
                        choices=[
                            ("portfolio", "whole portfolio"),
                            ("owner", "KAM"),
                            ("industry", "industry"),
                            ("region", "region"),
                            ("team", "account team"),
                        ],
                        max_length=10,
                    ),
                ),
                ("value", models.CharField(max_length=100)),
                ("tier_id", models.IntegerField(null=True)),
                ("live_accounts", models.IntegerField()),
            ],
        ),
        migrations.RemoveIndex(
            model_name="portfolioslice",
            name="portfolio_slice_load",
        ),
        migrations.AddIndex(
            model_name="portfolioslice",
            index=models.Index(
                fields=["day", "dimension", "value", "tier_id"], name="portfolio_slice_lookup"
            ),
        ),
        migrations.AddIndex(
            model_name="portfolioloadslice",
            index=models.Index(
                fields=["day", "dimension", "value", "tier_id"],
                include=("live_accounts",),
                name="portfolio_load_lookup",
            ),
        ),
        migrations.RunSQL("DELETE FROM insights_portfolioslicebuild", migrations.RunSQL.noop),
    ]
