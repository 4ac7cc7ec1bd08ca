"""Lookups the ORM does not write the way the bulk paths need, and the one way they send a
list of integers."""

from collections.abc import Iterable
from operator import index

from django.core.exceptions import EmptyResultSet
from django.db.models import Func, Lookup, TextField


def int_array(values: Iterable[int | None]) -> str:
    """Integers as one PostgreSQL array literal, '{1,2,NULL}': the parameter of every
    `%s::bigint[]` (smallint[], integer[]) a statement is sent. psycopg2 sends a Python list
    as ARRAY[1,2,…], adapting each element in Python (0.8 ms for 1,000 ids, in each of a
    nightly chunk's dozen statements that take the chunk's ids), and PostgreSQL then parses as
    many constants; the literal is built in 0.1 ms and read as one value (bench/README.md,
    "Nightly health at 100,000 accounts"). Integers only (operator.index: a float, decimal,
    text or bool is refused, not rounded or parsed), so nothing else can enter the text."""
    values = list(values)
    if bool in map(type, values):
        raise TypeError("int_array takes integers, not booleans")
    return "{" + ",".join(["NULL" if v is None else str(index(v)) for v in values]) + "}"


class InArray(Lookup):
    """`column = ANY(%s::bigint[])` with the ids as one array literal (int_array), for a
    chunk's queries: `account_id__in=ids` prepares and sends each of the 1,000 ids as its own
    parameter, in Python, in every query (bench/README.md). Same rows, same plans. Use it as a
    filter: InArray(F("account_id"), ids). The nightly health reads every chunk of accounts
    with it (insights.health_inputs, plans.selectors)."""

    lookup_name = "in_array"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        ids = int_array(self.rhs)
        if ids == "{}":
            raise EmptyResultSet  # as `__in=[]` does: nothing can match, no statement is sent
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", (*lhs_params, ids)


class Unaccented(Func):
    """A text without its accents, for a match that ignores them (the people pickers' search):
    `kam_unaccent`, the unaccent extension's `unaccent()` where PostgreSQL has it, the text as
    it is where it has not (migration kam/0009; the embedded PostgreSQL of `make run` has no
    contrib extensions), so the same statement runs on both, as the search's text
    configurations do (kam/0005). Django's own `__unaccent` lookup calls `unaccent()` itself,
    which does not exist there."""

    function = "kam_unaccent"
    output_field = TextField()
