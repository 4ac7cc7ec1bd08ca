"""Per-account summary columns copied from other tables (docs/portfolio.md, "Summary rows"):
`Account.open_opportunities` (its open opportunities in plans that are not archived,
plans.selectors.open_opportunities) and `Account.earliest_commitment_due` (the earliest due
date of its open agreed items, Commitment.objects.open). The accounts list filters on them
(AccountQuerySet.with_open_pipeline, with_overdue_commitments) instead of joining every open
opportunity and commitment.

They are computed here from those rules and nothing else, set-based: one UPDATE over the
accounts given (or every account). When they are computed: an opportunity, plan or commitment
written marks its account (the triggers of migration insights/0003); whoever takes account
marks (insights.portfolio_slices: the minute refresh, a dashboard read, a list read that uses
the columns) computes those accounts first; a full day build computes every account; the
nightly check compares every account with the rules and repairs and reports what differs.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, F, Min

from activities.models import Commitment
from kam.lookups import InArray
from plans.selectors import open_opportunities

COLUMNS = ("open_opportunities", "earliest_commitment_due")


def _computed_sql(account_ids: list[int] | None) -> tuple[str, list]:
    """SELECT id, open_opportunities, earliest_commitment_due of the accounts (every account
    when `account_ids` is None), computed from the rules: two grouped subqueries joined to the
    accounts, each built by the ORM from its rule's queryset."""
    opportunities = open_opportunities()
    commitments = Commitment.objects.open()
    where, where_params = "", []
    if account_ids is not None:
        opportunities = opportunities.filter(InArray(F("plan__account_id"), account_ids))
        commitments = commitments.filter(InArray(F("account_id"), account_ids))
        where, where_params = "WHERE x.id = ANY(%s::bigint[])", [list(account_ids)]
    open_sql, open_params = (
        opportunities.values(for_account=F("plan__account_id"))
        .annotate(n=Count("pk"))
        .order_by()
        .query.sql_with_params()
    )
    due_sql, due_params = (
        commitments.values(for_account=F("account_id"))
        .annotate(due=Min("due_date"))
        .order_by()
        .query.sql_with_params()
    )
    sql = f"""
        SELECT x.id, COALESCE(o.n, 0) AS open_opportunities, c.due AS earliest_commitment_due
        FROM accounts_account AS x
        LEFT JOIN ({open_sql}) AS o ON o.for_account = x.id
        LEFT JOIN ({due_sql}) AS c ON c.for_account = x.id
        {where}
    """  # noqa: S608 - the subqueries are Django's, their parameters passed separately  # nosec B608
    return sql, [*open_params, *due_params, *where_params]


def account_rollups_update(account_ids: list[int] | None = None) -> int:
    """Compute the columns of the accounts (every account when None) and write those that
    differ: one statement. Returns the accounts changed."""
    if account_ids is not None and not account_ids:
        return 0
    computed, params = _computed_sql(account_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE accounts_account AS a
            SET open_opportunities = v.open_opportunities,
                earliest_commitment_due = v.earliest_commitment_due
            FROM ({computed}) AS v
            WHERE a.id = v.id
              AND (a.open_opportunities, a.earliest_commitment_due)
                  IS DISTINCT FROM (v.open_opportunities, v.earliest_commitment_due)
            """,  # noqa: S608 - _computed_sql's SQL, with its parameters  # nosec B608
            params,
        )
        return cursor.rowcount


def account_rollups_drift() -> list[tuple[int, tuple, tuple]]:
    """Every account whose stored columns differ from the rules: (id, stored, computed), in
    COLUMNS order. One statement."""
    computed, params = _computed_sql(None)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT a.id, a.open_opportunities, a.earliest_commitment_due,
                   v.open_opportunities, v.earliest_commitment_due
            FROM accounts_account AS a JOIN ({computed}) AS v ON v.id = a.id
            WHERE (a.open_opportunities, a.earliest_commitment_due)
                  IS DISTINCT FROM (v.open_opportunities, v.earliest_commitment_due)
            ORDER BY a.id
            """,  # noqa: S608 - _computed_sql's SQL, with its parameters  # nosec B608
            params,
        )
        return [
            (pk, (stored_open, stored_due), (open_now, due_now))
            for pk, stored_open, stored_due, open_now, due_now in cursor.fetchall()
        ]
