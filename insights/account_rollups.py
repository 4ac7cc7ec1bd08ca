"""Per-account summary columns copied from other tables (docs/portfolio.md, "Summary rows"):
`Account.open_opportunities` (its open opportunities in plans that are not archived,
plans.selectors.open_opportunities), `Account.earliest_commitment_due` (the earliest due
date of its open agreed items, Commitment.objects.open) and `Account.qbr_due_date` (when its
next QBR falls due, AccountQuerySet.qbr_due_expression: its own dates and its tier's cadence).
The accounts list filters on them (AccountQuerySet.with_open_pipeline, with_overdue_commitments,
with_qbr_overdue) instead of joining every open opportunity and commitment, or working out
every account's QBR due date.

They are computed here from those rules and nothing else, set-based: one UPDATE over the
accounts given (or every account). When they are computed: an opportunity, plan or commitment
written marks its account (the triggers of migration insights/0003), and so does an account
inserted, or updated in what its QBR due date reads (migration insights/0012); whoever takes account
marks (insights.portfolio_slices: the minute refresh, a dashboard read, a list read that uses
the columns) computes those accounts first; a full day build computes every account; the
nightly check compares every account with the rules and repairs and reports what differs.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, F, Min

from accounts.models import Account
from activities.models import Commitment
from kam.lookups import InArray, int_array
from plans.selectors import open_opportunities

COLUMNS = ("open_opportunities", "earliest_commitment_due", "qbr_due_date")


def _computed_sql(account_ids: list[int] | None) -> tuple[str, list]:
    """SELECT id and COLUMNS of the accounts (every account when `account_ids` is None),
    computed from the rules: two grouped subqueries and the accounts' due dates joined to the
    accounts, each built by the ORM from its rule's queryset."""
    opportunities = open_opportunities()
    commitments = Commitment.objects.open()
    due_dates = Account.objects.with_qbr_due()
    where, where_params = "", []
    if account_ids is not None:
        opportunities = opportunities.filter(InArray(F("plan__account_id"), account_ids))
        commitments = commitments.filter(InArray(F("account_id"), account_ids))
        due_dates = due_dates.filter(InArray(F("pk"), account_ids))
        where, where_params = "WHERE x.id = ANY(%s::bigint[])", [int_array(account_ids)]
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
    qbr_sql, qbr_params = (
        due_dates.values(for_account=F("pk"), due=F("next_qbr_due_on"))
        .order_by()
        .query.sql_with_params()
    )
    sql = f"""
        SELECT x.id, COALESCE(o.n, 0) AS open_opportunities, c.due AS earliest_commitment_due,
               q.due AS qbr_due_date
        FROM accounts_account AS x
        LEFT JOIN ({open_sql}) AS o ON o.for_account = x.id
        LEFT JOIN ({due_sql}) AS c ON c.for_account = x.id
        LEFT JOIN ({qbr_sql}) AS q ON q.for_account = x.id
        {where}
    """  # noqa: S608 - the subqueries are Django's, their parameters passed separately  # nosec B608
    return sql, [*open_params, *due_params, *qbr_params, *where_params]


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
                earliest_commitment_due = v.earliest_commitment_due,
                qbr_due_date = v.qbr_due_date
            FROM ({computed}) AS v
            WHERE a.id = v.id
              AND (a.open_opportunities, a.earliest_commitment_due, a.qbr_due_date)
                  IS DISTINCT FROM (v.open_opportunities, v.earliest_commitment_due, v.qbr_due_date)
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
            SELECT a.id, a.open_opportunities, a.earliest_commitment_due, a.qbr_due_date,
                   v.open_opportunities, v.earliest_commitment_due, v.qbr_due_date
            FROM accounts_account AS a JOIN ({computed}) AS v ON v.id = a.id
            WHERE (a.open_opportunities, a.earliest_commitment_due, a.qbr_due_date)
                  IS DISTINCT FROM (v.open_opportunities, v.earliest_commitment_due, v.qbr_due_date)
            ORDER BY a.id
            """,  # noqa: S608 - _computed_sql's SQL, with its parameters  # nosec B608
            params,
        )
        width = len(COLUMNS)
        return [
            (row[0], tuple(row[1 : 1 + width]), tuple(row[1 + width :]))
            for row in cursor.fetchall()
        ]
