"""Migration operations written once for the apps' migrations. Kept stable: a migration that
calls one runs it as it is today, so change one only in a way every caller still wants."""

from django.db import migrations


def key_indexes_dropped(state_operations: list, indexes: list[tuple[str, str, str]]):
    """The foreign keys' own indexes dropped by name, `indexes` as (table, column, index name),
    with `state_operations` (their `AlterField(db_index=False)`) for the models' state; the
    reverse builds them again. Not AlterField itself in the database: it drops every
    single-column index of the column that Meta.indexes does not declare (the unique index of
    a conditional UniqueConstraint too, such as plan_one_active_per_account) and drops and
    re-adds the foreign key, checking every row under an exclusive lock."""
    return migrations.SeparateDatabaseAndState(
        state_operations=state_operations,
        database_operations=[
            migrations.RunSQL(
                [f'DROP INDEX IF EXISTS "{name}"' for _table, _column, name in indexes],
                reverse_sql=[
                    f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")'
                    for table, column, name in indexes
                ],
            ),
        ],
    )
