"""The accounts of each status (PortfolioSlice.prospect_accounts, active_accounts,
at_risk_accounts, churned_accounts): the accounts list filtered by a status counts from the
summary rows instead of reading every account of that status. The days built have no such
counts: the next read or refresh builds the day again. Rows the code of the release before
writes while the web machines reload leave them NULL, and the list counts its accounts
(insights.portfolio_slices: _RowSet.added, count_stored), as for migrations 0015 and 0018."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0018_portfolio_slice_pipeline_accounts"),
    ]

    operations = [
        migrations.AddField(
            model_name="portfolioslice",
            name="active_accounts",
            field=models.IntegerField(null=True),
        ),
        migrations.AddField(
            model_name="portfolioslice",
            name="at_risk_accounts",
            field=models.IntegerField(null=True),
        ),
        migrations.AddField(
            model_name="portfolioslice",
            name="churned_accounts",
            field=models.IntegerField(null=True),
        ),
        migrations.AddField(
            model_name="portfolioslice",
            name="prospect_accounts",
            field=models.IntegerField(null=True),
        ),
        migrations.RunSQL("DELETE FROM insights_portfolioslicebuild", migrations.RunSQL.noop),
    ]
