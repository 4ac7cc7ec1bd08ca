"""SLA clocks of client requests, in business hours of the account's working calendar
(accounts.business_hours; the targets: accounts.models.sla_hours).

Pure: a calendar, moments and hours in, moments out; no ORM, no clock."""

from dataclasses import dataclass
from datetime import datetime

from accounts.business_hours import (
    BusinessCalendar,
    add_business_hours_each,
    business_hours_between,
)

# Warn the owner when this share of a target has elapsed (before the breach).
WARNING_SHARE = 0.75


@dataclass(frozen=True)
class Deadlines:
    first_response_due_at: datetime
    first_response_warning_at: datetime
    resolution_due_at: datetime
    resolution_warning_at: datetime


def request_deadlines(
    calendar: BusinessCalendar,
    received_at: datetime,
    *,
    response_hours: float,
    resolution_hours: float,
) -> Deadlines:
    """When each clock is due and when its warning falls (WARNING_SHARE of the target), counted
    in business hours from `received_at` (a request received outside hours starts its clock
    when the calendar next opens)."""
    response, response_warning, resolution, resolution_warning = add_business_hours_each(
        calendar,
        received_at,
        [
            response_hours,
            response_hours * WARNING_SHARE,
            resolution_hours,
            resolution_hours * WARNING_SHARE,
        ],
    )
    return Deadlines(
        first_response_due_at=response,
        first_response_warning_at=response_warning,
        resolution_due_at=resolution,
        resolution_warning_at=resolution_warning,
    )


def business_hours_left(calendar: BusinessCalendar, due_at: datetime, now: datetime) -> float:
    """Business hours from `now` to `due_at`; negative when overdue (hours since the due
    moment)."""
    if now <= due_at:
        return business_hours_between(calendar, now, due_at)
    return -business_hours_between(calendar, due_at, now)
