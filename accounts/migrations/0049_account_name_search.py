"""The accounts' search on one stored text: `name_search`, the name and the legal name
upper-cased (AccountQuerySet.name_contains). The search tested `UPPER(name) LIKE … OR
UPPER(legal_name) LIKE …` on every account it read, which for a text in every name ("Ltda")
was three times the cost of reading them (bench/README.md). The list's name index carries the
new column instead of the legal name, and one trigram index on it replaces the two on the
upper-cased names (accounts/migrations/0040), where PostgreSQL has `pg_trgm`: one index fewer
for every account update to write."""

import importlib

import django.db.models.functions.text
from django.db import migrations, models

# The two trigram indexes on the upper-cased names, made and dropped as 0040 does.
_0040 = importlib.import_module("accounts.migrations.0040_account_name_trigram_indexes")


def create_new(apps, schema_editor):
    """The trigram index on name_search where PostgreSQL has pg_trgm (as 0040); then ANALYZE:
    the rewritten table has no statistics of the new column, and autovacuum does not analyze
    after a rewrite, while the planner needs them to tell a rare text from one in every name."""
    if _0040.trigram_available(schema_editor.connection):
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS account_name_search_trgm_idx ON accounts_account "
            "USING gin (name_search gin_trgm_ops)"
        )
    schema_editor.execute("ANALYZE accounts_account")


def drop_new(apps, schema_editor):
    schema_editor.execute("DROP INDEX IF EXISTS account_name_search_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0048_account_name_idx_legal_name"),
    ]

    operations = [
        # The old trigram indexes go before the column is added (adding it rewrites the table
        # and every index on it); the new one is dropped before the column on the way back.
        migrations.RunPython(_0040.drop, _0040.create),
        migrations.RemoveIndex(
            model_name="account",
            name="account_name_idx",
        ),
        migrations.AddField(
            model_name="account",
            name="name_search",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.text.Concat(
                    django.db.models.functions.text.Upper("name"),
                    models.Value("\n"),
                    django.db.models.functions.text.Upper("legal_name"),
                    output_field=models.TextField(),
                ),
                output_field=models.TextField(),
            ),
        ),
        migrations.AddIndex(
            model_name="account",
            index=models.Index(fields=["name", "id", "name_search"], name="account_name_idx"),
        ),
        migrations.RunPython(create_new, drop_new),
    ]
