"""The open clocks falling due during the day are stored with the day's SLA summary rows
(PortfolioSlaDueSlice, insights.sla.sla_falling_due_group_rows) instead of being read live
with their accounts. The days built are forgotten, so the next read or refresh builds the day
again with the new rows."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0016_sla_window_whole_days"),
    ]

    operations = [
        migrations.CreateModel(
            name="PortfolioSlaDueSlice",
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
                ("kam_id", models.IntegerField()),
                ("due_at", models.DateTimeField()),
                ("w30_fr_due", models.IntegerField()),
                ("w30_res_due", models.IntegerField()),
                ("w90_fr_due", models.IntegerField()),
                ("w90_res_due", models.IntegerField()),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["day", "dimension", "value"], name="portfolio_sla_due_lookup"
                    )
                ],
            },
        ),
        migrations.RunSQL("DELETE FROM insights_portfolioslicebuild", migrations.RunSQL.noop),
    ]
