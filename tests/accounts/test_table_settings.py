"""The accounts table's own autovacuum threshold (migration accounts/0046): a night rewrites
2-12 % of the accounts, below the stock 20 % that starts a vacuum, and until one runs every
index-only read of the accounts (the list's counts and pages) also reads the heap page of each
row rewritten (bench/README.md, "Vacuumed after a night")."""

from django.db import connection


def _options(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = %s::regclass", [table])
        (options,) = cursor.fetchone()
    return dict(option.split("=", 1) for option in options or [])


def test_autovacuum_visits_the_accounts_after_one_percent_of_them_changed(db):
    options = _options("accounts_account")
    assert float(options["autovacuum_vacuum_scale_factor"]) == 0.01
    assert int(options["autovacuum_vacuum_threshold"]) == 500
    # At 100,000 accounts: a vacuum once 1,500 rows are rewritten (a night rewrites about
    # 11,000), where the stock settings waited for 20,050.
    # The room left on each page for HOT updates (migration accounts/0006) stays.
    assert options["fillfactor"] == "70"
