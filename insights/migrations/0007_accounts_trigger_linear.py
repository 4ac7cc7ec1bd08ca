import importlib

from django.db import migrations

# Migration 0004's test for "did an update change what the Pareto curves read" joined the old
# and new rows of the statement on the account id. PostgreSQL planned that join as a nested
# loop over the two transition tables (it has no statistics for them): every old row against
# every new row, 9 million comparisons for an update of 3,000 accounts (1.7 s), hours for an
# update of every account at 100,000. The same test as a set difference is hashed: linear in
# the rows updated. (Rows are compared as sets, so NULLs compare equal, as IS DISTINCT FROM
# does.)
_0004 = importlib.import_module("insights.migrations.0004_portfolio_pareto_buckets")
PARETO_WHEN = """
    IF TG_OP <> 'UPDATE' THEN{mark}
    ELSIF EXISTS (
        SELECT id, revenue_last_12m, status, currency, tier_id FROM new_rows
        EXCEPT
        SELECT id, revenue_last_12m, status, currency, tier_id FROM old_rows
    ) THEN{mark}
    END IF;"""
LINEAR = _0004.ACCOUNTS_FUNCTION.format(
    old_keys=_0004.KEYS.format(rows="old_rows"),
    new_keys=_0004.KEYS.format(rows="new_rows"),
    pareto=PARETO_WHEN.format(mark=_0004.PARETO_MARK),
)


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0006_portfolio_sla_slices"),
    ]

    operations = [migrations.RunSQL(LINEAR, _0004.WITH_PARETO)]
