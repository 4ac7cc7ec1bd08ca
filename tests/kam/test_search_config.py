"""kam/migrations/0005: the search's text configurations with `unaccent`, and without it where
the extension is missing (the embedded PostgreSQL of `make run`)."""

import importlib

import pytest
from django.db import connection

migration = importlib.import_module("kam.migrations.0005_text_search_configurations")


def _as(sql: str, suffix: str) -> str:
    """The migration's SQL for configurations of other names (the real ones have columns
    depending on them)."""
    return sql.replace("pt_unaccent", f"pt_{suffix}").replace("simple_unaccent", f"simple_{suffix}")


@pytest.mark.needs_contrib("unaccent")
@pytest.mark.parametrize("with_unaccent", [True, False])
def test_the_configurations_apply_with_and_without_unaccent(with_unaccent):
    """Both variants are valid PostgreSQL; only the one with `unaccent` makes an accented
    word and the same word typed without accents one lexeme."""
    assert migration.unaccent_available(connection)  # this database has the extension
    suffix = f"check_{int(with_unaccent)}"
    with connection.cursor() as cursor:
        cursor.execute(_as(migration.create_sql(with_unaccent), suffix))
        for config, accented, plain in [
            (f"pt_{suffix}", "negociação", "negociacao"),
            (f"simple_{suffix}", "São Paulo", "Sao Paulo"),
        ]:
            cursor.execute(
                "SELECT to_tsvector(%s::regconfig, %s) = to_tsvector(%s::regconfig, %s)",
                [config, accented, config, plain],
            )
            assert cursor.fetchone()[0] is with_unaccent
