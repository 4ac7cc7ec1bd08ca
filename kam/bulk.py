"""Many rows of one model written in one statement, each row sent as its own JSON document,
one a line of one text: what the nightly and bulk paths use (summary rows, the health job's
scores and notices, captured mail, the client requests' clocks) instead of bulk_create and
bulk_update, which prepare every value of every row in Python, and for bulk_update build a
CASE WHEN per row and field that PostgreSQL then evaluates per row too (a day build of the
summary rows took 5.9 s at 20,000 accounts with bulk_create, 3.3 s so; the 40,000 clocks of
the 20,000-account demo 48.8 s with bulk_update, 13.7 s so: bench/README.md). Forms, services
writing a few rows and the importers' batches keep the ORM's.

    rows_inserted(Model, unsaved_instances)           # INSERT … SELECT FROM typed_rows(…)
    rows_updated(Model, saved_instances, ["field"])   # UPDATE … FROM typed_rows(…)

Values go through JSON: dates and times as ISO text, decimals as text, JSON fields as nested
JSON; PostgreSQL casts each to its column's type (`Field.db_type`). One document per row, not
one for the batch: PostgreSQL parsed a chunk of 1,000 health scores (1.2 MB) into one jsonb
value in 35–41 ms and the same rows as 1,000 small documents in 21 (bench/README.md)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import orjson
from django.db import connection

BATCH = 5000  # rows per statement: a few MB of documents at most


def documents(rows: Iterable[dict]) -> str:
    """Each row as its own JSON document, written by orjson (several times faster than the
    standard library's json, bench/README.md); what it does not know (decimals, lazy text) as
    text. The documents go one per line in one text, the statement's parameter for
    typed_rows: a JSON document written in one line has no line break of its own (JSON
    escapes one inside a string; no orjson option that indents, nor an orjson.Fragment, which
    it copies as it is, may be used here), and one text is one value to quote and send, where
    a list of 1,000 documents was adapted element by element in Python (the nightly chunk's
    scores: 3.9 → 1.7 ms of Python in the statement's execute, bench/README.md)."""
    return b"\n".join([orjson.dumps(row, default=str) for row in rows]).decode()


def typed_rows(columns: str, parameter: str = "%s") -> str:
    """The FROM items that turn `parameter` (documents(rows): one JSON document a line) into
    rows `r` with the columns and types of `columns` (record(fields): "id bigint, score
    smallint, …")."""
    return (
        f"unnest(string_to_array({parameter}, chr(10))) AS d, "
        f"jsonb_to_record(d::jsonb) AS r ({columns})"
    )


def _written(sql: str, rows: Sequence, fields) -> int:
    """Run `sql` (one %s: the rows' documents) for each BATCH of `rows`, each row sent as
    {column: value} of `fields`. Returns the rows the statements wrote."""
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            batch = [
                {field.column: getattr(row, field.attname) for field in fields}
                for row in rows[start : start + BATCH]
            ]
            cursor.execute(sql, [documents(batch)])
            written += cursor.rowcount
    return written


def record(fields) -> str:
    """The columns of `fields` with their types, for typed_rows."""
    quote = connection.ops.quote_name
    return ", ".join(f"{quote(field.column)} {field.db_type(connection)}" for field in fields)


def rows_inserted(model, rows: Sequence) -> int:
    """Insert the unsaved `rows` (instances of `model`, primary keys left to the database),
    their auto_now and auto_now_add dates set as bulk_create sets them. Returns the rows
    inserted."""
    fields = [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and not field.generated
    ]
    stamped = [
        f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    if stamped:
        for row in rows:
            for field in stamped:
                field.pre_save(row, add=True)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608 - names from the model  # nosec B608
        f"SELECT {columns} FROM {typed_rows(record(fields))}"
    )
    return _written(sql, rows, fields)


def rows_updated(model, rows: Sequence, field_names: Sequence[str]) -> int:
    """Save `field_names` of the saved `rows` (instances of `model`), matched by primary key.
    Returns the rows updated."""
    fields = [model._meta.get_field(name) for name in field_names]
    pk = model._meta.pk
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = r.{quote(f.column)}" for f in fields)
    sql = (
        f"UPDATE {quote(model._meta.db_table)} AS m SET {assignments} "  # noqa: S608 - names from the model  # nosec B608
        f"FROM {typed_rows(record([pk, *fields]))} "
        f"WHERE m.{quote(pk.column)} = r.{quote(pk.column)}"
    )
    return _written(sql, rows, [pk, *fields])
