"""SLA compliance of client requests over a window (the last 30 or 90 days), for the account
page, the portfolio dashboard, the QBR prep pack and the health inputs.

One rule, activities.models: a clock is *met* (first_response_met_q / resolution_met_q),
*missed* (first_response_breached_q / resolution_breached_q: late, or open past its due
moment) or *pending* (open inside its target), the same answer as
ClientRequest.first_response_outcome(now) / resolution_outcome(now). Pending clocks are not
counted: the percentage is met ÷ (met + missed), None when nothing is counted. The window is the
requests received in the `days` days up to `now` (request_received_within_q).

Every function is one query, whatever the number of requests, accounts, tiers or KAMs."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, QuerySet

from activities.models import (
    ClientRequest,
    first_response_breached_q,
    first_response_met_q,
    request_open_q,
    request_received_within_q,
    resolution_breached_q,
    resolution_met_q,
)

WINDOWS = (30, 90)


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
        if not self.counted:
            return None
        return round(self.met * 100 / self.counted, 1)


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


def _counts(now: datetime, windows: Iterable[int]) -> dict:
    """Count(...) per window and outcome; the pending ones are the rest of the window."""
    aggregates = {}
    for days in windows:
        window = request_received_within_q(now, days)
        aggregates |= {
            f"w{days}_requests": Count("pk", filter=window),
            f"w{days}_fr_met": Count("pk", filter=window & first_response_met_q()),
            f"w{days}_fr_missed": Count("pk", filter=window & first_response_breached_q(now)),
            f"w{days}_res_met": Count("pk", filter=window & resolution_met_q()),
            f"w{days}_res_missed": Count("pk", filter=window & resolution_breached_q(now)),
        }
    return aggregates


def _compliance(row: Mapping, days: int) -> SlaCompliance:
    total = row.get(f"w{days}_requests") or 0
    fr_met, fr_missed = row.get(f"w{days}_fr_met") or 0, row.get(f"w{days}_fr_missed") or 0
    res_met, res_missed = row.get(f"w{days}_res_met") or 0, row.get(f"w{days}_res_missed") or 0
    return SlaCompliance(
        days=days,
        requests=total,
        first_response=Compliance(fr_met, fr_missed, total - fr_met - fr_missed),
        resolution=Compliance(res_met, res_missed, total - res_met - res_missed),
    )


def _per_window(row: Mapping, windows: tuple) -> dict[int, SlaCompliance]:
    """Each window's SlaCompliance from a row of _counts."""
    return {days: _compliance(row, days) for days in windows}


def _windowed(requests_qs: QuerySet[ClientRequest], now: datetime, windows) -> QuerySet:
    """Only the rows of the longest window are read (the account index on received_at)."""
    return requests_qs.received_within(now, max(windows)).order_by()


def sla_compliance(
    requests_qs: QuerySet[ClientRequest], now: datetime, days: int = 30
) -> SlaCompliance:
    """Compliance of `requests_qs` received in the last `days` days: one query."""
    row = _windowed(requests_qs, now, [days]).aggregate(**_counts(now, [days]))
    return _compliance(row, days)


def sla_compliance_windows(
    requests_qs: QuerySet[ClientRequest], now: datetime, windows: Iterable[int] = WINDOWS
) -> dict[int, SlaCompliance]:
    """sla_compliance for several windows at once: one query."""
    windows = tuple(windows)
    row = _windowed(requests_qs, now, windows).aggregate(**_counts(now, windows))
    return _per_window(row, windows)


def _grouped_counts(
    requests_qs: QuerySet[ClientRequest], now: datetime, fields: list[str], windows: tuple
) -> QuerySet:
    """The counts of _counts per group of `fields`: one row each."""
    return (
        _windowed(requests_qs, now, windows)
        .values(*fields)
        .annotate(**_counts(now, windows))
        .order_by()
    )


def _grouped(
    requests_qs: QuerySet[ClientRequest], now: datetime, fields: list[str], windows
) -> list[tuple[dict, dict[int, SlaCompliance]]]:
    windows = tuple(windows)
    return [
        ({field: row[field] for field in fields}, _per_window(row, windows))
        for row in _grouped_counts(requests_qs, now, fields, windows)
    ]


def _by(requests_qs, now, field, windows) -> dict[int | None, dict[int, SlaCompliance]]:
    return {key[field]: value for key, value in _grouped(requests_qs, now, [field], windows)}


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


@dataclass(frozen=True)
class SlaBreakdown:
    """Per tier and per KAM from one query (the dashboard): each (tier, KAM) pair is counted
    once in SQL and the sums are made here."""

    by_tier: dict[int | None, dict[int, SlaCompliance]]
    by_kam: dict[int, dict[int, SlaCompliance]]


def sla_breakdown(
    requests_qs: QuerySet[ClientRequest], now: datetime, windows: Iterable[int] = WINDOWS
) -> SlaBreakdown:
    """sla_compliance_by_tier and sla_compliance_by_kam together: one query grouped by (tier,
    owner). The counts are summed per tier and per KAM as plain integers and turned into
    SlaCompliance once per tier and KAM (building and adding SlaCompliance for each of the
    query's rows cost more than the query at 20,000 accounts). Two integer keys and no join
    to the users: PostgreSQL hashes the groups, where grouping by the KAM's name too sorted
    every request (on disk at 20,000 accounts); the caller has the names."""
    windows = tuple(windows)
    by_tier: dict[int | None, Counter] = defaultdict(Counter)
    by_kam: dict[int, Counter] = defaultdict(Counter)
    fields = ["account__tier_id", "account__owner_id"]
    for row in _grouped_counts(requests_qs, now, fields, windows):
        counts = {key: value for key, value in row.items() if key not in fields}
        by_tier[row["account__tier_id"]].update(counts)
        by_kam[row["account__owner_id"]].update(counts)
    return SlaBreakdown(
        {tier_id: _per_window(sums, windows) for tier_id, sums in by_tier.items()},
        {owner_id: _per_window(sums, windows) for owner_id, sums in by_kam.items()},
    )


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


def account_sla(account, now: datetime, windows: Iterable[int] = WINDOWS) -> AccountSla:
    """Compliance over each window and the open requests breached now: one query over the
    account's requests."""
    windows = tuple(windows)
    open_now = request_open_q()
    row = ClientRequest.objects.filter(account=account).aggregate(
        **_counts(now, windows),
        open_requests=Count("pk", filter=open_now),
        open_breached=Count(
            "pk",
            filter=open_now & (first_response_breached_q(now) | resolution_breached_q(now)),
        ),
    )
    return AccountSla(
        windows=_per_window(row, windows),
        open_breached=row["open_breached"],
        open_requests=row["open_requests"],
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
