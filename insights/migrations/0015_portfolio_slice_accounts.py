"""Every account of a summary row's group, whatever its status (PortfolioSlice.accounts): the
accounts list without a status filter counts from the rows instead of reading every account.
The days built have no such count: the next read or refresh builds the day again. The column
has a database default, so rows the code before writes while the web machines reload say 0
until the day is rebuilt (docs/deploy.md, "Upgrading": `portfolio_slices --rebuild` once the
last machine is reloaded; the nightly check repairs them otherwise)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0014_portfolio_load_kam_slices_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="portfolioslice",
            name="accounts",
            field=models.IntegerField(db_default=0),
        ),
        migrations.RunSQL("DELETE FROM insights_portfolioslicebuild", migrations.RunSQL.noop),
    ]
