"""The SLA compliance windows count whole business days (activities.models
.request_window_start): the stored part of a day's SLA figures (PortfolioSlaSlice) now holds
one more day than the rows built with the rolling window did. The days built are forgotten, so
the next read or refresh builds the day again with the new part."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0015_portfolio_slice_accounts"),
    ]

    operations = [
        migrations.RunSQL("DELETE FROM insights_portfolioslicebuild", migrations.RunSQL.noop),
    ]
