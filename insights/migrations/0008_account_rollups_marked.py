from django.db import migrations

# The accounts' new summary columns (accounts/0034: open opportunities, earliest open commitment
# due) start at their defaults: every account is marked, so the next refresh, dashboard or
# list that reads them computes them from the rules (insights.account_rollups), with no rule
# written again here.
MARK_EVERY_ACCOUNT = """
INSERT INTO insights_portfolioslicemark (dimension, value)
SELECT 'account', id::text FROM accounts_account
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0034_account_rollups"),
        ("insights", "0007_accounts_trigger_linear"),
    ]

    operations = [migrations.RunSQL(MARK_EVERY_ACCOUNT, migrations.RunSQL.noop)]
