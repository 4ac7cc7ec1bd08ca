"""The two text search configurations the search vectors are built with (kam/search.py).

`pt_unaccent`: PostgreSQL's `portuguese` configuration with `unaccent` in front of the
Portuguese stemmer, so "negociação" and "negociacao" give the same lexeme. `simple_unaccent`:
`simple` (no stemming, no stop words) with `unaccent`, for names, e-mail addresses, tax ids,
English words and type-ahead prefixes of whole words. Both are immutable through
`to_tsvector(regconfig, text)`, so the vectors can be stored generated columns with a GIN
index (`unaccent()` the function is only stable and could not be used there)."""

from django.db import migrations

WORD_TOKENS = "asciiword, asciihword, hword_asciipart, word, hword, hword_part"

DROP = """
DROP TEXT SEARCH CONFIGURATION IF EXISTS pt_unaccent;
DROP TEXT SEARCH CONFIGURATION IF EXISTS simple_unaccent;
"""


def create_sql(with_unaccent: bool) -> str:
    """The two configurations; without the `unaccent` extension (the embedded PostgreSQL of
    `make run` has none) the same names without it, so the schema is the same and search
    matches accents exactly there (kam.devservices says so)."""
    unaccent = "unaccent, " if with_unaccent else ""
    # Dropped first: a database brought back to an older schema by dropping its tables (a test
    # migrator's reset) keeps its text search configurations, and this must still apply there.
    return (
        DROP
        + f"""
CREATE TEXT SEARCH CONFIGURATION pt_unaccent (COPY = pg_catalog.portuguese);
ALTER TEXT SEARCH CONFIGURATION pt_unaccent
    ALTER MAPPING FOR {WORD_TOKENS} WITH {unaccent}portuguese_stem;
CREATE TEXT SEARCH CONFIGURATION simple_unaccent (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION simple_unaccent
    ALTER MAPPING FOR {WORD_TOKENS} WITH {unaccent}simple;
"""
    )


def unaccent_available(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'")
        return cursor.fetchone() is not None


def create(apps, schema_editor):
    with_unaccent = unaccent_available(schema_editor.connection)
    if with_unaccent:
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    schema_editor.execute(create_sql(with_unaccent))


def drop(apps, schema_editor):
    schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("kam", "0004_outbox"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
