"""The health reasons read right for a count of 1 and of more (accounts.health_text): every
reason with a count picks its singular or plural form from that count."""

import pytest
from django.utils import translation

from accounts.health_text import reason_text

COUNT = object()  # the count that picks the form: 1, then 2


# (reason code, its parameters, the text for a count of 1, for 2)
REASONS = [
    (
        "engagement_never",
        {"cadence": COUNT},
        "No interaction logged yet; this tier expects one every 1 day.",
        "No interaction logged yet; this tier expects one every 2 days.",
    ),
    (
        "engagement_on_cadence",
        {"days": COUNT, "cadence": 30},
        "Last interaction 1 day ago; this tier expects one every 30 days.",
        "Last interaction 2 days ago; this tier expects one every 30 days.",
    ),
    (
        "engagement_late",
        {"days": 5, "cadence": COUNT},
        "No interaction for 5 days; this tier expects one every 1 day.",
        "No interaction for 5 days; this tier expects one every 2 days.",
    ),
    (
        "coverage_single_thread",
        {"engaged": COUNT},
        "Single-threaded: 1 person engaged in 90 days.",
        "Single-threaded: 2 people engaged in 90 days.",
    ),
    (
        "sentiment",
        {"average": 1.5, "count": COUNT},
        "Average sentiment 1.5 over 1 interaction in 90 days.",
        "Average sentiment 1.5 over 2 interactions in 90 days.",
    ),
    (
        "commitments",
        {"kept": COUNT, "overdue": 1},
        "1 commitment kept in 90 days, 1 overdue.",
        "2 commitments kept in 90 days, 1 overdue.",
    ),
    (
        "qbr_on_cadence",
        {"days": COUNT},
        "QBRs on cadence; the next is due in 1 day.",
        "QBRs on cadence; the next is due in 2 days.",
    ),
    ("qbr_overdue", {"days": COUNT}, "QBR overdue by 1 day.", "QBR overdue by 2 days."),
    (
        "qbr_first_due",
        {"days": COUNT, "basis": "contract_start"},
        "No QBR held yet; counted from the contract start, the first is due in 1 day.",
        "No QBR held yet; counted from the contract start, the first is due in 2 days.",
    ),
    (
        "qbr_first_due",
        {"days": COUNT, "basis": "created"},
        "No QBR held yet; counted from the account's creation, the first is due in 1 day.",
        "No QBR held yet; counted from the account's creation, the first is due in 2 days.",
    ),
    (
        "qbr_first_overdue",
        {"days": COUNT, "basis": "contract_start"},
        "No QBR held yet; counted from the contract start, the first is 1 day overdue.",
        "No QBR held yet; counted from the contract start, the first is 2 days overdue.",
    ),
    (
        "qbr_first_overdue",
        {"days": COUNT, "basis": "created"},
        "No QBR held yet; counted from the account's creation, the first is 1 day overdue.",
        "No QBR held yet; counted from the account's creation, the first is 2 days overdue.",
    ),
    (
        "risks_open",
        {"count": COUNT},
        "1 open high-severity risk.",
        "2 open high-severity risks.",
    ),
    (
        "renewal_passed",
        {"days": COUNT},
        "Renewal date passed 1 day ago.",
        "Renewal date passed 2 days ago.",
    ),
    ("renewal_close", {"days": COUNT}, "Renewal in 1 day.", "Renewal in 2 days."),
    ("renewal_far", {"days": COUNT}, "Renewal in 1 day.", "Renewal in 2 days."),
    (
        "sla",
        {"late": 1, "responses": COUNT, "late_resolved": 0, "resolutions": 1, "pct": 50},
        "1 of 1 request answered late and 0 of 1 resolved late in 90 days "
        "(50 % on time; targets from the tier).",
        "1 of 2 requests answered late and 0 of 1 resolved late in 90 days "
        "(50 % on time; targets from the tier).",
    ),
    (
        "sla_pending",
        {"count": COUNT},
        "Left out: 1 request in the last 90 days, still within its targets.",
        "Left out: 2 requests in the last 90 days, all still within their targets.",
    ),
]


@pytest.mark.parametrize(
    ("code", "params", "one", "two"),
    REASONS,
    ids=[" ".join([code, params.get("basis", "")]).strip() for code, params, *_ in REASONS],
)
def test_a_reason_with_a_count_reads_singular_for_one(code, params, one, two):
    def text(count: int) -> str:
        filled = {key: count if value is COUNT else value for key, value in params.items()}
        return reason_text({"code": code, "params": filled})

    with translation.override("en"):
        assert text(1) == one
        assert text(2) == two
