"""SLA compliance of client requests over a window (the last 30 or 90 days), for the account
page, the portfolio dashboard, the QBR prep pack and the health inputs.

One rule, activities.models: a clock is *met* (first_response_met_q / resolution_met_q),
*missed* (first_response_breached_q / resolution_breached_q: late, or open past its due
moment) or *pending* (open inside its target), the same answer as
ClientRequest.first_response_outcome(now) / resolution_outcome(now). Pending clocks are not
counted: the percentage is met ÷ (met + missed), None when nothing is counted. The window is the
requests received in the `days` whole business days before `now`'s and today up to `now`
(request_received_within_q, request_window_start).

Every function is one query, whatever the number of requests, accounts, tiers or KAMs.

The dashboard's breakdown per tier and KAM is split in two for its summary rows
(insights.portfolio_slices): what stays put during a business day (`sla_settled_group_rows`,
stored per day) and what can move with the clock, read live (`sla_breakdown(settled=...)`). For
the day that runs from `day_start` to `day_end`, whatever the moment `now` inside it:
- a request received in the window's whole days, from the start of the day `window` days
  before to `day_start`, is in the window all day; its closed clocks are met or missed for
  good, and so is an open clock due before `day_start`. An open clock due later is pending at
  `day_start`, and stays pending all day unless it falls due before `day_end`
  (`first_response_falls_due_q`): those are stored too, with their due moment
  (`sla_falling_due_group_rows`), and counted as missed once `now` has passed it.
- the rest of the window, read live: the requests received from `day_start` on. The window's
  start is a day's start, so it does not move during the day.
A clock answered or resolved during the day is a row written: the summary rows of its account
are computed again (insights.portfolio_slices), and it leaves the clocks falling due.
The two parts are counted with the same rules and add up to what one query over the window
answers (tests/insights/test_portfolio_slices.py checks it on random requests and moments)."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet

from activities.models import (
    ClientRequest,
    SlaOutcome,
    first_response_breached_q,
    first_response_falls_due_q,
    first_response_met_q,
    request_open_q,
    request_received_within_q,
    request_window_start_on,
    resolution_breached_q,
    resolution_falls_due_q,
    resolution_met_q,
)
from kam.dates import business_date, business_day_end, business_day_start

WINDOWS = (30, 90)
# The counts of one window, as figure_names names them after their "w<days>_" prefix.
COUNTS = ("requests", "fr_met", "fr_missed", "res_met", "res_missed")


@functools.cache
def figure_names(windows: tuple[int, ...]) -> tuple[str, ...]:
    """The counts of `windows` by name ("w30_requests", …), window by window, COUNTS each.
    Named once per set of windows: it names each row's counts (the nightly health reads a
    thousand rows a chunk)."""
    return tuple(f"w{days}_{count}" for days in windows for count in COUNTS)


# Every window's counts, in the order the dashboard's summary rows and SlaBreakdown keep them.
FIGURES = figure_names(WINDOWS)
# Where each window's first responses met and missed stand in FIGURES.
_FIRST_RESPONSE_AT = {
    days: (FIGURES.index(f"w{days}_fr_met"), FIGURES.index(f"w{days}_fr_missed"))
    for days in WINDOWS
}


@dataclass(frozen=True)
class Compliance:
    """One clock over a window: met, missed and pending requests."""

    met: int = 0
    missed: int = 0
    pending: int = 0

    @property
    def counted(self) -> int:
        return self.met + self.missed

    @property
    def pct(self) -> float | None:
        """Share met of the counted ones, one decimal; None when nothing is counted."""
        return met_pct(self.met, self.missed)


def met_pct(met: int, missed: int) -> float | None:
    """Compliance.pct of a clock's counts, without building it."""
    if not met + missed:
        return None
    return round(met * 100 / (met + missed), 1)


@dataclass(frozen=True)
class SlaCompliance:
    """Both clocks of the requests received in one window."""

    days: int
    requests: int = 0
    first_response: Compliance = Compliance()
    resolution: Compliance = Compliance()

    @property
    def clocks(self) -> tuple[Compliance, Compliance]:
        """First response, then resolution (the order of the tables' columns)."""
        return (self.first_response, self.resolution)


def _compliance_of(
    days: int, total: int, fr_met: int, fr_missed: int, res_met: int, res_missed: int
) -> SlaCompliance:
    """A window's SlaCompliance from its COUNTS (a count of nothing may be None)."""
    total, fr_met, fr_missed = total or 0, fr_met or 0, fr_missed or 0
    res_met, res_missed = res_met or 0, res_missed or 0
    return SlaCompliance(
        days=days,
        requests=total,
        first_response=Compliance(fr_met, fr_missed, total - fr_met - fr_missed),
        resolution=Compliance(res_met, res_missed, total - res_met - res_missed),
    )


def _received(
    requests_qs: QuerySet[ClientRequest], now: datetime, windows: tuple, by: Mapping[str, str]
) -> tuple[str, list]:
    """`_flagged` of the requests received in each window up to `now`: `by`'s values, then
    each window's COUNTS, one row per group (one row in all without `by`)."""
    return _flagged(
        # Only the rows of the longest window are read (the account index on received_at).
        requests_qs.received_within(now, max(windows)),
        now,
        {days: request_received_within_q(now, days) for days in windows},
        by=by,
    )


def _fetched(statement: Callable[[], tuple[str, list]]) -> list[tuple]:
    """The rows of a `_flagged` statement; none for a `.none()` queryset."""
    try:
        sql, params = statement()
    except EmptyResultSet:  # .none(): nothing to count
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def sla_compliance(
    requests_qs: QuerySet[ClientRequest], now: datetime, days: int = 30
) -> SlaCompliance:
    """Compliance of `requests_qs` received in the last `days` days: one query."""
    return sla_compliance_windows(requests_qs, now, (days,))[days]


def sla_compliance_windows(
    requests_qs: QuerySet[ClientRequest], now: datetime, windows: Iterable[int] = WINDOWS
) -> dict[int, SlaCompliance]:
    """sla_compliance for several windows at once: one query."""
    windows = tuple(windows)
    rows = _fetched(lambda: _received(requests_qs, now, windows, {}))
    return _windows_of(rows[0] if rows else (0,) * len(figure_names(windows)), windows)


def _by(requests_qs, now, field, windows) -> dict[int | None, dict[int, SlaCompliance]]:
    windows = tuple(windows)
    return {
        key: _windows_of(counts, windows)
        for key, *counts in _fetched(lambda: _received(requests_qs, now, windows, {"key": field}))
    }


def sla_compliance_by_account(
    requests_qs: QuerySet[ClientRequest], now: datetime, windows: Iterable[int] = WINDOWS
) -> dict[int, dict[int, SlaCompliance]]:
    """{account id: {days: SlaCompliance}}, accounts with requests in the window: one query."""
    return _by(requests_qs, now, "account_id", windows)


def sla_compliance_by_tier(
    requests_qs: QuerySet[ClientRequest], now: datetime, windows: Iterable[int] = WINDOWS
) -> dict[int | None, dict[int, SlaCompliance]]:
    """{tier id (None: no tier): {days: SlaCompliance}}, by the account's tier: one query."""
    return _by(requests_qs, now, "account__tier_id", windows)


def sla_compliance_by_kam(
    requests_qs: QuerySet[ClientRequest], now: datetime, windows: Iterable[int] = WINDOWS
) -> dict[int, dict[int, SlaCompliance]]:
    """{user id: {days: SlaCompliance}}, by the account's owner (the KAM): one query."""
    return _by(requests_qs, now, "account__owner_id", windows)


def sla_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The first moment of business day `day` and of the next (24 hours but on a DST change),
    in UTC."""
    return business_day_start(day).astimezone(UTC), business_day_end(day).astimezone(UTC)


def _settled_range(day: date, days: int) -> Q:
    """The requests in the `days` window all day long on business day `day`, whatever the
    moment in the day: its whole days (request_window_start_on)."""
    return Q(
        received_at__gte=request_window_start_on(day, days), received_at__lt=business_day_start(day)
    )


# The columns the dashboard's SLA counts are grouped by: the account's tier and KAM.
TIER_AND_KAM = {"tier_id": "account__tier_id", "kam_id": "account__owner_id"}


def sla_settled_group_rows(
    requests_qs: QuerySet[ClientRequest], day: date, *, by: tuple[str, ...] = ()
) -> list[dict]:
    """The settled part of business day `day`'s counts (module docstring) per account tier and
    KAM ("tier_id", "kam_id"), and per `by` account fields first ("account__<field>"): one
    query. Stored per day by the dashboard's summary rows. The settled requests' clocks are
    met or missed as they stand at the day's start (a clock still pending then is not
    counted here)."""
    day_start = business_day_start(day)
    groups = {f"account__{field}": f"account__{field}" for field in by} | TIER_AND_KAM
    rows = _fetched(
        lambda: _flagged(
            requests_qs.filter(_settled_range(day, max(WINDOWS))),
            day_start,
            {days: _settled_range(day, days) for days in WINDOWS},
            by=groups,
        )
    )
    names = (*groups, *FIGURES)
    return [dict(zip(names, row, strict=True)) for row in rows]


# Each window's open clocks falling due, as the summary rows name them: first responses, then
# resolutions.
CLOCKS = ("fr", "res")
FALLING_DUE = tuple(f"w{days}_{clock}_due" for days in WINDOWS for clock in CLOCKS)


def sla_falling_due_group_rows(
    requests_qs: QuerySet[ClientRequest], day: date, *, by: tuple[str, ...] = ()
) -> list[dict]:
    """The open clocks of the settled requests that fall due during business day `day`
    (module docstring), grouped as sla_settled_group_rows groups (per `by` account fields,
    then "tier_id" and "kam_id") and by due moment ("due_at"): per window, the first-response
    and resolution clocks (FALLING_DUE). One query. Stored per day by the dashboard's summary
    rows; sla_breakdown counts those due before `now` as missed, as resolution_breached_q
    does an open clock past due."""
    day_start, day_end = sla_day_bounds(day)
    groups = {f"account__{field}": f"account__{field}" for field in by} | TIER_AND_KAM
    clocks = {
        "fr": (first_response_falls_due_q(day_start, day_end), "first_response_due_at"),
        "res": (resolution_falls_due_q(day_start, day_end), "resolution_due_at"),
    }
    flags = {f"f_{clock}": falls for clock, (falls, _due_at) in clocks.items()}
    flags |= {f"f_in{days}": _settled_range(day, days) for days in WINDOWS}
    columns = {f"g{i}": F(path) for i, path in enumerate(groups.values())}
    columns |= {f"at_{clock}": F(due_at) for clock, (_falls, due_at) in clocks.items()}
    try:
        inner, params = (
            requests_qs.filter(_settled_range(day, max(WINDOWS)))
            .filter(functools.reduce(operator.or_, (falls for falls, _due_at in clocks.values())))
            .values(**columns)
            .order_by()
            .annotate(
                **{
                    name: ExpressionWrapper(condition, output_field=BooleanField())
                    for name, condition in flags.items()
                }
            )
            .query.sql_with_params()
        )
    except EmptyResultSet:  # .none(): nothing to count
        return []
    quote = connection.ops.quote_name
    counts = [
        f"COUNT(*) FILTER (WHERE c.clock = '{clock}' AND f_in{days})::integer"
        f" AS w{days}_{clock}_due"
        for days in WINDOWS
        for clock in clocks
    ]
    keys = [f"g{i}" for i in range(len(groups))]
    select = [f"g{i} AS {quote(name)}" for i, name in enumerate(groups)] + ["c.due_at", *counts]
    clock_rows = ", ".join(f"('{clock}', at_{clock}, f_{clock})" for clock in clocks)
    with connection.cursor() as cursor:
        # The names and clock keys are this function's; the inner query is the ORM's SQL.
        cursor.execute(
            f"SELECT {', '.join(select)} FROM ({inner}) AS flagged "  # noqa: S608  # nosec B608
            f"CROSS JOIN LATERAL (VALUES {clock_rows}) AS c (clock, due_at, due) "
            f"WHERE c.due GROUP BY {', '.join([*keys, 'c.due_at'])}",
            params,
        )
        rows = cursor.fetchall()
    names = (*groups, "due_at", *FALLING_DUE)
    return [dict(zip(names, row, strict=True)) for row in rows]


def _flagged(
    requests_qs: QuerySet[ClientRequest],
    now: datetime,
    windows: Mapping[int, Q],
    *,
    by: Mapping[str, str],
) -> tuple[str, list]:
    """SQL and parameters of `requests_qs` counted per group of `by` (a column name for each
    ClientRequest field path it groups by, in order; no GROUP BY without one, so one row
    whatever the rows): the group's columns, then each window's COUNTS, as figure_names names
    them (a rule that cannot tell, NULL, counts as not met). `windows` says which requests
    each window counts. Every SLA count of this module is made here: each rule is a column
    of an inner query, compiled once, and the counts are made of those columns; with a
    condition per count the ORM compiled each rule up to four times (6 ms of Python a
    statement for the dashboard's, bench/README.md)."""
    flags = {
        "f_fr_met": first_response_met_q(),
        "f_fr_missed": first_response_breached_q(now),
        "f_res_met": resolution_met_q(),
        "f_res_missed": resolution_breached_q(now),
    }
    counts = []
    for days, window in windows.items():
        flags[f"f_in{days}"] = window
        counts += [
            f"f_in{days}",
            f"f_in{days} AND f_fr_met",
            f"f_in{days} AND f_fr_missed",
            f"f_in{days} AND f_res_met",
            f"f_in{days} AND f_res_missed",
        ]
    # The group columns as g0, g1…: a field path is no column name (account__tier_id). Without
    # any, the key alone (.values() would select every column of the request).
    groups = {f"g{i}": F(path) for i, path in enumerate(by.values())}
    inner, params = (
        (requests_qs.values(**groups) if groups else requests_qs.values("pk"))
        .order_by()
        .annotate(
            **{
                name: ExpressionWrapper(condition, output_field=BooleanField())
                for name, condition in flags.items()
            }
        )
        .query.sql_with_params()
    )
    quote = connection.ops.quote_name
    groups = [f"g{i} AS {quote(name)}" for i, name in enumerate(by)]
    columns = ", ".join(
        groups
        + [
            f"COUNT(*) FILTER (WHERE {count})::integer AS {name}"
            for count, name in zip(counts, figure_names(tuple(windows)), strict=True)
        ]
    )
    group_by = f" GROUP BY {', '.join(f'g{i}' for i in range(len(by)))}" if by else ""
    # The names are this module's and its callers'; the inner query is the ORM's compiled SQL.
    return (
        f"SELECT {columns} FROM ({inner}) AS flagged{group_by}",  # noqa: S608  # nosec B608
        params,
    )


def _received_today(requests_qs: QuerySet[ClientRequest], now: datetime) -> tuple[str, list]:
    """_flagged of what the stored rows leave out (module docstring): the requests received
    from the start of `now`'s business day, read by index, in full. Joined to the accounts as
    the stored part is. Looking each account up with a correlated subquery instead reads fewer
    rows, but its estimated cost crossed PostgreSQL's stock jit_above_cost at 100,000
    accounts, and compiling the counts took 53 ms of a 90 ms statement (bench/README.md)."""
    day_start = business_day_start(business_date(now))
    return _flagged(
        requests_qs.received_within(now, max(WINDOWS)).filter(received_at__gte=day_start),
        now,
        {days: request_received_within_q(now, days) for days in WINDOWS},
        by=TIER_AND_KAM,
    )


def _fallen_due(falling_due: QuerySet, now: datetime) -> tuple[str, list]:
    """The stored clocks falling due today (SlaStored.falling_due) that `now` has passed, as
    missed, in the columns of _flagged's counts per tier and KAM."""
    sql, params = falling_due.filter(due_at__lt=now).query.sql_with_params()
    missed = {
        f"w{days}_{clock}_missed": f"w{days}_{clock}_due" for days in WINDOWS for clock in CLOCKS
    }
    columns = ", ".join(f"{missed.get(name, '0')} AS {name}" for name in FIGURES)
    # The names are this module's; the inner query is the ORM's compiled SQL.
    return f"SELECT tier_id, kam_id, {columns} FROM ({sql}) AS due", params  # noqa: S608  # nosec B608


@dataclass(frozen=True)
class SlaStored:
    """The dashboard's stored SLA rows of one view and business day (module docstring;
    insights.portfolio_slices.sla_slice_rows), each a query: `settled`, of "tier_id", "kam_id"
    and FIGURES (sla_settled_group_rows); `falling_due`, of "tier_id", "kam_id", "due_at" and
    FALLING_DUE (sla_falling_due_group_rows)."""

    settled: QuerySet
    falling_due: QuerySet


@dataclass(frozen=True)
class SlaBreakdown:
    """Per tier and per KAM from one query (the dashboard): each (tier, KAM) pair is counted
    once in SQL and the sums are made here. Each KAM's counts are kept as they came
    (`kam_counts`, in FIGURES order): the page draws 20 KAMs of 1,400 at 100,000
    accounts, and building every KAM's figures took 11 of this function's 37 ms there
    (bench/README.md); `kam_windows` builds one KAM's."""

    by_tier: dict[int | None, dict[int, SlaCompliance]]
    kam_counts: dict[int, Sequence[int | None]]

    def kam_windows(self, kam_id: int) -> dict[int, SlaCompliance]:
        return _windows_of(self.kam_counts[kam_id], WINDOWS)

    def kam_first_response_pct(self, kam_id: int, days: int) -> float | None:
        """kam_windows(kam_id)[days].first_response.pct, from the counts alone."""
        counts = self.kam_counts[kam_id]
        met, missed = _FIRST_RESPONSE_AT[days]
        return met_pct(counts[met] or 0, counts[missed] or 0)


def _windows_of(counts: Sequence[int | None], windows: tuple) -> dict[int, SlaCompliance]:
    """Each window's SlaCompliance from its counts in order (COUNTS for each window)."""
    return {
        days: _compliance_of(days, *counts[i * len(COUNTS) : (i + 1) * len(COUNTS)])
        for i, days in enumerate(windows)
    }


def sla_breakdown(
    requests_qs: QuerySet[ClientRequest],
    now: datetime,
    *,
    stored: SlaStored | None = None,
) -> SlaBreakdown:
    """Compliance per account tier and per KAM over each window (WINDOWS): one query. With
    `stored`, the summary rows of `now`'s business day (SlaStored), it reads only what they
    leave out, the requests received today (module docstring), and adds them, with the clocks
    falling due today that `now` has passed. The requests read are counted per (tier, KAM)
    (`_flagged`: each rule a column, the counts made of the columns), and those counts and the
    summary rows are summed per tier and per KAM by PostgreSQL (GROUPING SETS, which the ORM
    does not write): a few hundred rows reach Python instead of every (tier, KAM) pair.
    Integer keys and no join to the users: PostgreSQL hashes the groups, where grouping by the
    KAM's name too sorted every request (on disk at 20,000 accounts); the caller has the
    names."""
    if stored is None:
        parts = [lambda: _received(requests_qs, now, WINDOWS, TIER_AND_KAM)]
    else:
        parts = [
            lambda: _received_today(requests_qs, now),
            stored.settled.query.sql_with_params,
            lambda: _fallen_due(stored.falling_due, now),
        ]
    sql, params = [], []
    for part in parts:
        try:
            part_sql, part_params = part()
        except EmptyResultSet:  # .none(): nothing to count
            continue
        sql.append(f"({part_sql})")
        params += part_params
    sums = ", ".join(f"SUM({name})::integer" for name in FIGURES)
    by_tier: dict[int | None, dict[int, SlaCompliance]] = {}
    kam_counts: dict[int, Sequence[int | None]] = {}
    if not sql:
        return SlaBreakdown(by_tier, kam_counts)
    with connection.cursor() as cursor:
        # The names are this module's constants and the parts the ORM's compiled SQL; the values
        # are parameters.
        cursor.execute(
            f"SELECT GROUPING(tier_id), tier_id, kam_id, {sums} "  # noqa: S608  # nosec B608
            f"FROM ({' UNION ALL '.join(sql)}) AS counts "
            "GROUP BY GROUPING SETS ((tier_id), (kam_id))",
            params,
        )
        for per_kam, tier_id, kam_id, *counts in cursor.fetchall():
            if per_kam:
                kam_counts[kam_id] = counts
            else:
                by_tier[tier_id] = _windows_of(counts, WINDOWS)
    return SlaBreakdown(by_tier, kam_counts)


@dataclass(frozen=True)
class AccountSla:
    """The account page's SLA card."""

    windows: dict[int, SlaCompliance]
    open_breached: int  # open requests with a clock past due now, whenever received
    open_requests: int

    @property
    def window_list(self) -> list[SlaCompliance]:
        return [self.windows[days] for days in sorted(self.windows)]

    @property
    def has_requests(self) -> bool:
        return self.open_requests > 0 or any(w.requests for w in self.windows.values())


# What account_sla reads of a request: the moments its clocks are judged by.
SLA_FIELDS = (
    "received_at", "first_response_at", "first_response_due_at", "resolved_at",
    "resolution_due_at",
)  # fmt: skip


def account_sla(account, now: datetime, windows: Iterable[int] = WINDOWS) -> AccountSla:
    """Compliance over each window and the open requests breached now: one query over the
    account's requests (open, or received in the longest window), counted here with the
    request's own rules (ClientRequest.received_within, first_response_outcome,
    resolution_outcome, is_breached), which the SQL conditions of the other functions answer
    the same (tests/insights/test_sla.py compares the two on random requests). One account has
    a few dozen such requests; building ten conditional counts in the ORM took ten times the
    statement (11.7 ms against 1.0 ms of SQL, bench/README.md, "Where a page is above its
    floor")."""
    windows = tuple(windows)
    longest = max(windows)
    rows = ClientRequest.objects.filter(account=account).filter(
        request_open_q() | request_received_within_q(now, longest)
    )
    counts = {days: dict.fromkeys(COUNTS, 0) for days in windows}
    open_requests = open_breached = 0
    for request in rows.only(*SLA_FIELDS).order_by():
        if request.is_open:
            open_requests += 1
            open_breached += request.is_breached(now)
        first_response = request.first_response_outcome(now)
        resolution = request.resolution_outcome(now)
        for days in windows:
            if request.received_within(now, days):
                window = counts[days]
                window["requests"] += 1
                window["fr_met"] += first_response == SlaOutcome.MET
                window["fr_missed"] += first_response == SlaOutcome.MISSED
                window["res_met"] += resolution == SlaOutcome.MET
                window["res_missed"] += resolution == SlaOutcome.MISSED
    return AccountSla(
        windows={days: _compliance_of(days, *counts[days].values()) for days in windows},
        open_breached=open_breached,
        open_requests=open_requests,
    )


def breached_requests(requests_qs: QuerySet[ClientRequest], now: datetime, *, since: datetime):
    """Requests received since `since` with either clock missed at `now` (ClientRequest
    .is_breached), oldest first, with their owner: one query."""
    return list(
        requests_qs.filter(received_at__gte=since, received_at__lte=now)
        .breached(now)
        .select_related("owner", "requester")
        .order_by("received_at", "pk")
    )
