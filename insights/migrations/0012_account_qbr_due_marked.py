import importlib

from django.db import migrations

# The accounts' stored QBR due date (accounts/0047: Account.qbr_due_date, kept by
# insights.account_rollups) reads the account's own columns and its tier's cadence. The
# accounts' trigger function (migration 0010) also marks the account itself, as the agreed
# items' and plans' triggers do, when a statement inserts it or changes what the due date reads:
# the last QBR held, the contract start, the creation or the tier. As a set difference, hashed
# (migration 0007: a join of the two transition tables was quadratic). A tier whose QBR cadence
# changes marks its accounts the same way (its statement trigger of migration 0002 marks every
# slice, which the minute refresh builds; the list reads the column before that). Every account
# is marked once here, so the next refresh, dashboard or list that reads the column computes it
# from the rule (no rule written again here).
_0004 = importlib.import_module("insights.migrations.0004_portfolio_pareto_buckets")
_0007 = importlib.import_module("insights.migrations.0007_accounts_trigger_linear")
_0008 = importlib.import_module("insights.migrations.0008_account_rollups_marked")
_0010 = importlib.import_module("insights.migrations.0010_team_slices")
ACCOUNT_MARKS = """
    IF TG_OP = 'INSERT' THEN
        INSERT INTO insights_portfolioslicemark (dimension, value)
        SELECT 'account', id::text FROM new_rows;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO insights_portfolioslicemark (dimension, value)
        SELECT 'account', moved.id::text FROM (
            SELECT id, last_qbr_held_at, contract_start, created_at, tier_id FROM new_rows
            EXCEPT
            SELECT id, last_qbr_held_at, contract_start, created_at, tier_id FROM old_rows
        ) AS moved;
    END IF;"""
WITH_ACCOUNT_MARKS = _0004.ACCOUNTS_FUNCTION.format(
    old_keys=_0004.KEYS.format(rows="old_rows"),
    new_keys=_0004.KEYS.format(rows="new_rows") + _0010.TEAM_KEYS,
    pareto=_0007.PARETO_WHEN.format(mark=_0004.PARETO_MARK) + ACCOUNT_MARKS,
)
TIER_CADENCE = """
CREATE OR REPLACE FUNCTION insights_mark_tier_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO insights_portfolioslicemark (dimension, value)
    SELECT 'account', a.id::text FROM accounts_account AS a
    WHERE a.tier_id IN (
        SELECT id FROM (
            SELECT id, qbr_cadence_days FROM new_rows
            EXCEPT
            SELECT id, qbr_cadence_days FROM old_rows
        ) AS moved
    );
    RETURN NULL;
END $$;
CREATE TRIGGER insights_mark_tier_accounts AFTER UPDATE ON accounts_tier
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION insights_mark_tier_accounts();
"""
DROP_TIER_CADENCE = """
DROP TRIGGER insights_mark_tier_accounts ON accounts_tier;
DROP FUNCTION insights_mark_tier_accounts();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0011_portfolio_slice_without_as_of"),
        ("accounts", "0047_account_qbr_due_date"),
    ]

    operations = [
        migrations.RunSQL(WITH_ACCOUNT_MARKS, _0010.WITH_TEAM),
        migrations.RunSQL(TIER_CADENCE, DROP_TIER_CADENCE),
        migrations.RunSQL(_0008.MARK_EVERY_ACCOUNT, migrations.RunSQL.noop),
    ]
