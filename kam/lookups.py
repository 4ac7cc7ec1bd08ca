"""Lookups the ORM does not write the way the bulk paths need."""

from django.db.models import Lookup


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
        return f"{lhs} = ANY(%s::bigint[])", (*lhs_params, list(self.rhs))
