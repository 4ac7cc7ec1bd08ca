"""The live accounts per slice and tier (insights.models.PortfolioLoadSlice), which the load per
KAM reads. The days built get theirs from their PortfolioSlice rows (the same counts, summed
over band, Pareto class and currency), so the dashboard needs no rebuild; a day the old code
builds or refreshes while the web machines are reloaded is rebuilt by the release's upgrade
step (docs/deploy.md)."""

from django.db import migrations, models

FILL = """
INSERT INTO insights_portfolioloadslice (day, dimension, value, tier_id, live_accounts)
SELECT day, dimension, value, tier_id, SUM(live_accounts)
  FROM insights_portfolioslice
 GROUP BY day, dimension, value, tier_id
HAVING SUM(live_accounts) > 0
"""


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
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
    ]
