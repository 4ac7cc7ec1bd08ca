"""`kam_unaccent(text)`: the text without its accents where PostgreSQL has the `unaccent`
extension (kam/0005 installs it where it is available), the text as it is where it has not
(the embedded PostgreSQL of `make run`), so the statements that ignore accents
(kam.lookups.Unaccented: the people pickers' search) run on both, as the search's text
configurations do. A plain SQL function, which the planner inlines."""

from django.db import migrations


def function_sql(with_unaccent: bool) -> str:
    body = "unaccent($1)" if with_unaccent else "$1"
    return (
        "CREATE OR REPLACE FUNCTION kam_unaccent(text) RETURNS text "
        f"LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT {body} $$"
    )


def unaccent_installed(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'unaccent'")
        return cursor.fetchone() is not None


def create(apps, schema_editor):
    schema_editor.execute(function_sql(unaccent_installed(schema_editor.connection)))


def drop(apps, schema_editor):
    schema_editor.execute("DROP FUNCTION IF EXISTS kam_unaccent(text)")


class Migration(migrations.Migration):
    dependencies = [
        ("kam", "0008_user_name_idx"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
