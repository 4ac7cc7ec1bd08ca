"""Reads of the capture pages."""

from django.db.models import QuerySet

from capture.models import InboundMessage, LoggingAddress

LOG_PAGE_SIZE = 50


def capture_log(user) -> QuerySet[InboundMessage]:
    """The user's capture log, newest first, with what the rows link to (one query)."""
    return (
        InboundMessage.objects.filter(user=user)
        .select_related("account", "interaction", "client_request")
        .defer("raw", "text", "summary_text", "calendars")
        .order_by("-received_at", "-pk")
    )


def live_logging_address(user) -> LoggingAddress | None:
    return LoggingAddress.objects.filter(user=user, revoked_at__isnull=True).first()
