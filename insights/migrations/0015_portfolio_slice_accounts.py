"""Every account of a summary row's group, whatever its status (PortfolioSlice.accounts): the
accounts list without a status filter counts from the rows instead of reading every account.
The days built have no such count: the next read or refresh builds the day again. Rows the code
of the release before writes while the web machines reload (a dashboard view brings its rows up
to date) leave it NULL, and the list counts its accounts instead of reading a sum that lacks
them (insights.portfolio_slices: _RowSet.added, count_stored); the next day's build, a rebuild
(`portfolio_slices --rebuild`, docs/deploy.md) or the nightly check fills them."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0014_portfolio_load_kam_slices_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="portfolioslice",
            name="accounts",
            field=models.IntegerField(null=True),
        ),
        migrations.RunSQL("DELETE FROM insights_portfolioslicebuild", migrations.RunSQL.noop),
    ]
