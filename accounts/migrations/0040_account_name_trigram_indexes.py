"""Trigram indexes for the accounts list's search: `q` finds a part of the name or legal name
anywhere in it (`icontains`, which Django writes `UPPER(column::text) LIKE UPPER('%…%')`), and
a B-tree cannot serve a pattern that starts with a wildcard, so every search read every account
(44 ms for its count alone at 100,000 accounts; bench/README.md). The indexes are on the same
expressions, so the planner uses them for a rare text and keeps reading the table when most
accounts match; ANALYZE then also keeps statistics of the expressions, which gives the planner
the number of accounts a text matches instead of a guess.

`pg_trgm` is a contrib extension, as `unaccent` (kam/migrations/0005): where the PostgreSQL has
none (the embedded server of `make run`) no index is made, and the search runs the same
statement with the same results, reading every account."""

from django.db import migrations

INDEXES = {
    "account_name_trgm_idx": "name",
    "account_legal_name_trgm_idx": "legal_name",
}


def trigram_available(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        return cursor.fetchone() is not None


def create(apps, schema_editor):
    if not trigram_available(schema_editor.connection):
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON accounts_account "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0039_account_industry_region_tier_idx"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
