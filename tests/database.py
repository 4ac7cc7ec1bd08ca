"""A connection of its own to the test database (or another database of the same server), for
tests that need a second session: to hold a lock while the code under test runs, or to look at
a database the suite does not use."""

import psycopg2
from django.conf import settings


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
