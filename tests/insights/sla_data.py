"""Client requests with chosen clocks, written straight to the table (the compliance readers do
not care how the due moments were worked out; tests/activities/test_requests.py covers that)."""

from datetime import datetime, timedelta

from activities.models import ClientRequest


def make_request(
    account,
    *,
    received_at: datetime,
    response_due_h: float = 4,
    response_after_h: float | None = None,
    resolution_due_h: float = 24,
    resolved_after_h: float | None = None,
    subject: str = "Request",
) -> ClientRequest:
    """A request received at `received_at`, due and answered/resolved so many hours later
    (None: not yet). A resolved request is answered at the latest when resolved."""
    if resolved_after_h is not None and (
        response_after_h is None or response_after_h > resolved_after_h
    ):
        response_after_h = resolved_after_h

    def later(hours):
        return None if hours is None else received_at + timedelta(hours=hours)

    return ClientRequest.objects.create(
        account=account,
        owner=account.owner,
        subject=subject,
        received_at=received_at,
        first_response_due_at=later(response_due_h),
        first_response_warning_at=later(response_due_h * 0.75),
        first_response_at=later(response_after_h),
        resolution_due_at=later(resolution_due_h),
        resolution_warning_at=later(resolution_due_h * 0.75),
        resolved_at=later(resolved_after_h),
    )
