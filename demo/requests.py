"""Demo client requests for `seed_demo` (called from demo/demo.py once the tiers are set):
requests over the last three weeks on the live accounts of every tier, some answered in time,
some late, some resolved, some still open, a few past their deadline, and a few arrived this
morning, so the Requests tab, My work and the SLA notices show something real after
`make run`. Idempotent: accounts with requests are skipped. Written through the services, so
the due moments come from each account's tier and working calendar."""

import random
from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Account
from activities.models import ClientRequest
from activities.services import request_create, request_resolve, request_respond
from kam.dates import business_date

# The subject (translated while seeding), with the channel and priority it usually comes with.
SUBJECTS = [
    (gettext_noop("Copy of the May invoice"), "email", "normal"),
    (gettext_noop("Delivery of order 4471 is late"), "phone", "urgent"),
    (gettext_noop("Price list for 2027"), "email", "normal"),
    (gettext_noop("Portal access for the new buyer"), "portal", "low"),
    (gettext_noop("EDI integration failing"), "whatsapp", "high"),
    (gettext_noop("Certificate of analysis, batch 22B"), "email", "high"),
    (gettext_noop("Review of the service SLA"), "meeting", "normal"),
    (gettext_noop("Training for the new team"), "email", "low"),
    (gettext_noop("Quote to extend to the southern branch"), "whatsapp", "high"),
]  # fmt: skip
# What happened to each request: answered in time, answered late, resolved in time, resolved
# late, still open (received long enough ago to be late), received this morning.
FATES = ["on_time", "on_time", "late", "resolved", "resolved_late", "open_late", "fresh"]


def demo_requests_seed(*, accounts: dict[str, Account], now: datetime) -> None:
    for key, account in sorted(accounts.items()):
        account.refresh_from_db(fields=["tier", "status"])
        if not account.is_live or ClientRequest.objects.filter(account=account).exists():
            continue
        rng = random.Random(f"demo-requests-{key}")
        # Strategic and key accounts ask more; a third of the others ask nothing.
        tier_key = account.tier.key if account.tier else ""
        count = rng.randint(2, 4) if tier_key in ("strategic", "key") else rng.randint(0, 2)
        people = list(account.stakeholders.filter(left_on__isnull=True).order_by("name"))
        for index in range(count):
            _request(account, rng, people, now, fate=FATES[(index + len(key)) % 7])


def _at(day, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _request(account, rng, people, now, *, fate: str) -> None:
    subject, channel, priority = rng.choice(SUBJECTS)
    today = business_date(now)
    if fate == "fresh":
        received = min(now - timedelta(minutes=30), _at(today, 9, rng.choice([0, 15, 40])))
    else:
        received = _at(today - timedelta(days=rng.randint(3, 20)), rng.randint(8, 17), 10)
    owner = account.owner
    request = request_create(
        account=account,
        actor=owner,
        subject=_(subject),
        received_at=received,
        channel=channel,
        priority=priority,
        requester=rng.choice(people) if people else None,
    )

    def moment(due, late: bool) -> datetime:
        # Before the due moment (a few hours after arrival), or a day or two after it.
        at = (
            due + timedelta(hours=rng.randint(20, 50))
            if late
            else (received + (due - received) * rng.uniform(0.2, 0.8))
        )
        return min(at, now)

    if fate in ("on_time", "late", "resolved", "resolved_late"):
        request_respond(
            client_request=request,
            at=moment(request.first_response_due_at, late=fate == "late"),
            actor=owner,
        )
    if fate in ("resolved", "resolved_late"):
        at = moment(request.resolution_due_at, late=fate == "resolved_late")
        request_resolve(client_request=request, at=max(at, request.first_response_at), actor=owner)
