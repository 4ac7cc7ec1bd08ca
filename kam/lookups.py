"""Lookups the ORM does not write the way the bulk paths need, and the one way they send a
list of integers."""

from collections.abc import Iterable

from django.db.models import Lookup


def int_array(values: Iterable[int | None]) -> str:
    """Integers as one PostgreSQL array literal, '{1,2,NULL}': the parameter of every
    `%s::bigint[]` (smallint[], integer[]) a statement is sent. psycopg2 sends a Python list
    as ARRAY[1,2,…], adapting each element in Python (0.8 ms for 1,000 ids, in each of a
    nightly chunk's dozen statements that take the chunk's ids), and PostgreSQL then parses as
    many constants; the literal is built in 0.1 ms and read as one value (bench/README.md,
    "Nightly health at 100,000 accounts"). int() keeps anything but an integer out of it."""
    return "{" + ",".join("NULL" if value is None else str(int(value)) for value in values) + "}"


class InArray(Lookup):
    """`column = ANY(%s)` with the ids as one array parameter, for a chunk's queries:
    `account_id__in=ids` prepares and sends each of the 1,000 ids as its own parameter, in
    Python, in every query (bench/README.md). Same rows, same plans.
    Use it as a filter: InArray(F("account_id"), ids). The nightly health reads every
    chunk of accounts with it (insights.health_inputs, plans.selectors)."""

    lookup_name = "in_array"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", (*lhs_params, int_array(self.rhs))
