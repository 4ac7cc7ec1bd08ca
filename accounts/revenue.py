"""The revenue rules, decided once (pure: no ORM, no clock). RevenueRecordQuerySet
(accounts.models) applies the same windows to many rows; tests/accounts/test_revenue_rules.py
checks that the two agree.

- The last 12 months as of `day` are (day - 365, day]; the previous 12 months are
  (day - 730, day - 365]. Both bounds always apply: a record booked after `day` (a future-dated
  deal) is in neither window.
- Growth % = (last - previous) / previous * 100, None when there was nothing before.
- Margin % = (amount of the costed records - their cost) / that amount * 100, over the last
  12 months; None when no record of the window has a cost.
- Share of the portfolio % = the account's stored last-12-month revenue
  (Account.revenue_last_12m, kept nightly by accounts.services.account_revenue_refresh) / the
  sum of the same over the live (not churned) accounts in the same currency * 100. Same
  currency rather than converted: the account page shows the share next to amounts in the
  account's currency, and a rate change must not move it; the stored figure rather than the
  records: summing the records read ~400,000 rows per page view at 20,000 accounts
  (bench/README.md). Churned accounts are out of the denominator as they are out of the
  portfolio dashboard's revenue.
"""

from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

ZERO = Decimal(0)
YEAR = timedelta(days=365)
LAST_12_MONTHS = "last"
PREVIOUS_12_MONTHS = "previous"


class Window(NamedTuple):
    """Booked after `start` (exclusive) and up to `end` (inclusive)."""

    start: date
    end: date

    def contains(self, booked_on: date) -> bool:
        return self.start < booked_on <= self.end


class Windows(NamedTuple):
    last: Window
    previous: Window


def windows(day: date) -> Windows:
    """The last 12 months and the 12 before, as of the end of `day`."""
    year_ago = day - YEAR
    return Windows(last=Window(year_ago, day), previous=Window(year_ago - YEAR, year_ago))


def window_of(booked_on: date, day: date) -> str | None:
    """Which window a record booked on `booked_on` counts in as of `day`: LAST_12_MONTHS,
    PREVIOUS_12_MONTHS or None (older, or booked after `day`)."""
    last, previous = windows(day)
    if last.contains(booked_on):
        return LAST_12_MONTHS
    if previous.contains(booked_on):
        return PREVIOUS_12_MONTHS
    return None


def growth_pct(last: Decimal, previous: Decimal) -> Decimal | None:
    if not previous:
        return None
    return (last - previous) / previous * 100


def margin_pct(costed_amount: Decimal | None, cost: Decimal | None) -> Decimal | None:
    """`costed_amount`: the amount of the records that have a cost; `cost`: their cost."""
    if not costed_amount:
        return None
    return (costed_amount - (cost or 0)) / costed_amount * 100


def share_pct(part: Decimal, whole: Decimal | None) -> Decimal | None:
    if not whole:
        return None
    return part / whole * 100
