"""The accounts with an open pipeline, whatever their status (PortfolioSlice.pipeline_accounts):
the accounts list filtered by an open pipeline counts from the summary rows instead of reading
every such account. The days built have no such count: the next read or refresh builds the day
again. Rows the code of the release before writes while the web machines reload leave it NULL,
and the list counts its accounts (insights.portfolio_slices: _RowSet.added, count_stored), as
for migration 0015."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0017_sla_falling_due_slices"),
    ]

    operations = [
        migrations.AddField(
            model_name="portfolioslice",
            name="pipeline_accounts",
            field=models.IntegerField(null=True),
        ),
        migrations.RunSQL("DELETE FROM insights_portfolioslicebuild", migrations.RunSQL.noop),
    ]
