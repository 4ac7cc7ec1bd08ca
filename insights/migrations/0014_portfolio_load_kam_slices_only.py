"""The load rows (insights.models.PortfolioLoadSlice) are kept for the KAM slices only, the ones
the load per KAM reads; migration 0013 filled them for every kind of slice."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0013_portfolio_load_slice"),
    ]

    operations = [
        migrations.RunSQL(
            "DELETE FROM insights_portfolioloadslice WHERE dimension <> 'owner'",
            migrations.RunSQL.noop,
        ),
    ]
