"""A connection of its own to the test database (or another database of the same server), for
tests that need a second session: to hold a lock while the code under test runs (and release
it, release_and_close), or to look at a database the suite does not use; the row versions of a
table, to tell which rows a job rewrote; and the plan of a statement with some of the
planner's methods off, to tell which index can serve it."""

import psycopg2
from django.conf import settings
from django.db import connection


def connect(dbname: str | None = None, *, autocommit: bool = False):
    db = settings.DATABASES["default"]
    conn = psycopg2.connect(
        dbname=dbname or db["NAME"],
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        # The quick start's embedded server listens on a socket named in OPTIONS.
        host=db.get("HOST") or db.get("OPTIONS", {}).get("host") or None,
        port=db.get("PORT") or None,
    )
    conn.autocommit = autocommit
    return conn


def row_versions(table: str, *columns: str) -> dict[int, tuple]:
    """{id: (xmin, *columns)} of every row of `table`: a row's version (xmin) changes whenever
    it is written, even with the values it had."""
    selected = ", ".join(("id", "xmin::text", *columns))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {selected} FROM {table}")  # noqa: S608 - names of the tests
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


def plan_without(sql: str, *methods: str) -> str:
    """EXPLAIN of `sql` with the planner's `methods` (enable_sort…) switched off."""
    with connection.cursor() as cursor:
        cursor.execute("; ".join(f"SET {method} = off" for method in methods))
        try:
            cursor.execute(f"EXPLAIN {sql}")
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("; ".join(f"RESET {method}" for method in methods))


def release_and_close(holder, key: int) -> None:
    """End `holder`'s session advisory lock on `key`, then its connection. The unlock first:
    a closed connection's backend lets its locks go only as it ends, which the next statement
    of the test could beat (172 of 200 tries found the lock still held right after close)."""
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
    holder.close()
