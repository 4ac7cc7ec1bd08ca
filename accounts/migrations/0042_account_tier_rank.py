"""Each account carries its tier's rank (Account.tier_rank), kept by two triggers, so the
accounts list sorted by tier reads account_tier_rank_idx (or its descending twin) in order: at
100,000 accounts its page 500 joined the tiers and sorted every account (57 ms of SQL; 1.5 ms
from the index, bench/README.md).

- An account's row takes its tier's rank whenever it is inserted or its tier is written
  (`UPDATE OF tier_id`: Django's save() writes every column, so a stale rank written back
  with it is set again). The tier's row is read `FOR SHARE`, so a rank changing at the same
  moment is waited for rather than missed.
- A tier whose rank changes passes it to its accounts. No page changes a tier's rank today
  (the configuration page edits the tiers' thresholds and policies); the admin, a shell or a
  later page may.

Triggers rather than the services: every writer of an account's tier (the services, the
importer, the API, a bulk update) and of a tier's rank is covered, and the column can never
disagree with the join it replaces. The demo and benchmark loaders, which write accounts with
triggers off, write the rank themselves (demo/bulk_load.py)."""

from django.db import migrations, models

FORWARD = """
UPDATE accounts_account AS a SET tier_rank = t.rank
FROM accounts_tier AS t WHERE t.id = a.tier_id;

CREATE OR REPLACE FUNCTION accounts_account_tier_rank() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.tier_rank := (SELECT rank FROM accounts_tier WHERE id = NEW.tier_id FOR SHARE);
    RETURN NEW;
END
$$;
CREATE TRIGGER accounts_account_tier_rank
    BEFORE INSERT OR UPDATE OF tier_id, tier_rank ON accounts_account
    FOR EACH ROW EXECUTE FUNCTION accounts_account_tier_rank();

CREATE OR REPLACE FUNCTION accounts_tier_rank_to_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE accounts_account SET tier_rank = NEW.rank
    WHERE tier_id = NEW.id AND tier_rank IS DISTINCT FROM NEW.rank;
    RETURN NULL;
END
$$;
CREATE TRIGGER accounts_tier_rank_to_accounts
    AFTER UPDATE OF rank ON accounts_tier
    FOR EACH ROW WHEN (OLD.rank IS DISTINCT FROM NEW.rank)
    EXECUTE FUNCTION accounts_tier_rank_to_accounts();
"""

BACKWARD = """
DROP TRIGGER accounts_tier_rank_to_accounts ON accounts_tier;
DROP FUNCTION accounts_tier_rank_to_accounts();
DROP TRIGGER accounts_account_tier_rank ON accounts_account;
DROP FUNCTION accounts_account_tier_rank();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0041_revenue_refresh"),
    ]

    operations = [
        migrations.AddField(
            model_name="account",
            name="tier_rank",
            field=models.PositiveSmallIntegerField(
                blank=True, editable=False, null=True, verbose_name="tier rank"
            ),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.AddIndex(
            model_name="account",
            index=models.Index(fields=["tier_rank", "name", "id"], name="account_tier_rank_idx"),
        ),
        migrations.AddIndex(
            model_name="account",
            index=models.Index(
                models.F("tier_rank").desc(nulls_last=True),
                models.F("name"),
                models.F("id"),
                name="account_tier_rank_desc_idx",
            ),
        ),
    ]
