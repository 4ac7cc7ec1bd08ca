"""No table of the app keeps an index that another of its indexes already covers: every index is
written with each row (the nightly health, imports, the quick log), and a foreign key's own
index (Django's default) is redundant where the column leads a composite index or unique
constraint. Such keys say `db_index=False`, but for the one KEPT below. Django's own
many-to-many tables are left as Django makes them (their first key's index is covered by the
pair's unique constraint; only a through model of our own could drop it)."""

from django.apps import apps
from django.db import connection

# Measured to earn its place beside (owner, name, id): accounts.models, Account.Meta.indexes;
# bench/README.md, "One index per need on the accounts".
KEPT = {("accounts_account", "owner_id")}
APP_TABLE_PREFIXES = (
    "accounts_",
    "activities_",
    "plans_",
    "insights_",
    "capture_",
    "dataio_",
    "kam_",
    "api_",
)

COVERED = """
    WITH idx AS (
        SELECT i.indrelid::regclass::text AS tbl, i.indexrelid::regclass::text AS idx,
               i.indkey::int2[] AS cols, i.indnkeyatts AS keys, i.indisunique AS uniq,
               (SELECT attname FROM pg_attribute
                WHERE attrelid = i.indrelid AND attnum = i.indkey[0]) AS first
        FROM pg_index AS i
        JOIN pg_class AS c ON c.oid = i.indexrelid
        JOIN pg_am AS am ON am.oid = c.relam
        WHERE am.amname = 'btree' AND i.indpred IS NULL AND i.indexprs IS NULL
          AND c.relnamespace = 'public'::regnamespace
    )
    SELECT a.tbl, a.first, a.idx, b.idx
    FROM idx AS a JOIN idx AS b ON a.tbl = b.tbl AND a.idx <> b.idx
    WHERE NOT a.uniq AND cardinality(a.cols) = 1 AND b.keys > 1
      AND b.cols[0] = a.cols[0]
    ORDER BY 1, 2
"""


def test_no_single_column_index_is_covered_by_a_longer_one(db):
    with connection.cursor() as cursor:
        cursor.execute(COVERED)
        rows = cursor.fetchall()
    automatic = {
        m._meta.db_table for m in apps.get_models(include_auto_created=True) if m._meta.auto_created
    }
    assert {row[:2] for row in rows} >= KEPT  # the query finds what it is meant to find
    covered = [
        row
        for row in rows
        if row[0].startswith(APP_TABLE_PREFIXES) and row[0] not in automatic and row[:2] not in KEPT
    ]
    assert covered == []


# The accounts' B-tree indexes that cannot deduplicate, each chosen knowingly: a row rewritten by
# the nightly jobs (a score, a band, the revenue windows) without a HOT update leaves an entry in
# every index, and only a deduplicating index keeps a row's versions in one compact entry until
# vacuum (bench/README.md, "An INCLUDE index does not stay small"). INCLUDE columns rule it out,
# and so does a key column whose type has no "equal image" (numeric: 1.0 and 1.00 are equal but
# stored differently).
NOT_DEDUPLICATED = {
    "account_commitment_due_idx": "INCLUDE (earliest_commitment_due)",
    "account_currency_revenue_idx": "INCLUDE (revenue_last_12m)",
    "account_pareto_idx": "revenue_last_12m, numeric, as a key column",
}
DEDUPLICATION = """
    SELECT c.relname,
           i.indnatts = i.indnkeyatts AND bool_and(proc.oid IS NOT NULL) AS deduplicates
    FROM pg_index AS i
    JOIN pg_class AS c ON c.oid = i.indexrelid
    JOIN pg_am AS am ON am.oid = c.relam AND am.amname = 'btree'
    CROSS JOIN LATERAL unnest(i.indclass::oid[]) AS key (opclass)
    JOIN pg_opclass AS oc ON oc.oid = key.opclass
    LEFT JOIN pg_amproc AS proc
        ON proc.amprocfamily = oc.opcfamily AND proc.amprocnum = 4
        AND proc.amproclefttype = oc.opcintype AND proc.amprocrighttype = oc.opcintype
    WHERE i.indrelid = 'accounts_account'::regclass
    GROUP BY c.relname, i.indnatts, i.indnkeyatts
"""


def test_the_accounts_indexes_deduplicate_but_those_chosen_not_to(db):
    """What PostgreSQL's `bt_metap(index).allequalimage` says (pageinspect, a contrib extension,
    not needed here), read from the catalog: no INCLUDE columns, and every key column's operator
    family has the B-tree "equal image" support function (number 4). The collations are the
    database's deterministic ones."""
    with connection.cursor() as cursor:
        cursor.execute(DEDUPLICATION)
        deduplicates = dict(cursor.fetchall())
    assert "account_name_idx" in deduplicates  # the query reads the accounts' indexes
    assert {name for name, yes in deduplicates.items() if not yes} == set(NOT_DEDUPLICATED)
