"""Demo QBRs for `seed_demo` (called from kam/demo.py): a year of held QBRs with ratings for
the strategic and key accounts, one or two coming up, and a few overdue or due soon so the
reminders and escalations have something to say. Idempotent: accounts with QBRs are skipped."""

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Account
from activities.models import QBR
from activities.services import NextStep, qbr_hold, qbr_schedule

# Accounts whose QBR is overdue (no QBR for well over a cadence) or due within two weeks.
OVERDUE = {"datavale", "mare-alta", "serra-azul"}
DUE_SOON = {"ferraz-atacado", "helvetia-br"}
OUTCOMES = [
    gettext_noop("Reviewed results against the plan; agreed the priorities for next quarter."),
    gettext_noop("Good session with the sponsor; pricing for next year to be discussed."),
    gettext_noop("Tense review: service incidents dominated; recovery plan agreed."),
    gettext_noop("Presented the roadmap; the client asked for an analytics pilot."),
]


def demo_qbrs_seed(*, accounts: dict[str, Account], today: date) -> None:
    for key, account in sorted(accounts.items()):
        account.refresh_from_db(fields=["tier", "status"])
        if account.status not in ("active", "at_risk") or account.tier is None:
            continue
        if (
            account.tier.key not in ("strategic", "key")
            or QBR.objects.filter(account=account).exists()
        ):
            continue
        _history(account, key=key, today=today)


def _history(account: Account, *, key: str, today: date) -> None:
    rng = random.Random(f"demo-qbr-{key}")
    cadence = account.tier.qbr_cadence_days
    people = list(
        account.stakeholders.filter(left_on__isnull=True).order_by("-influence", "name")[:3]
    )
    owner = account.owner
    # How long ago the latest QBR was held decides where the account stands today.
    if key in OVERDUE:
        last_ago = cadence + rng.randint(20, 45)
    elif key in DUE_SOON:
        last_ago = cadence - rng.randint(4, 10)
    else:
        last_ago = rng.randint(20, cadence - 20)
    held_days = [last_ago + cadence * n for n in range(4) if last_ago + cadence * n < 365]
    for days_ago in sorted(held_days, reverse=True):
        day = today - timedelta(days=days_ago)
        planned = qbr_schedule(
            account=account,
            actor=owner,
            scheduled_on=day,
            scheduled_time=time(10, 0),
            agenda=_("Results against objectives; delivery review; next quarter's priorities."),
            attendees=[owner],
            stakeholders=people,
        )
        steps = []
        if days_ago == last_ago and day + timedelta(days=30) > today:
            steps = [
                NextStep(
                    _("Send the QBR minutes and the agreed priorities"),
                    today + timedelta(days=5),
                    owner_user=owner,
                )
            ]
        qbr_hold(
            qbr=planned,
            actor=owner,
            held_at=timezone.make_aware(datetime.combine(day, time(11, 30))),
            outcome=_(rng.choice(OUTCOMES)),
            rating=rng.choice([3, 4, 4, 5]) if account.status == "active" else rng.choice([2, 3]),
            attendees=[owner],
            stakeholders=people,
            next_steps=steps,
        )
    if key not in OVERDUE | DUE_SOON:
        qbr_schedule(
            account=account,
            actor=owner,
            scheduled_on=today + timedelta(days=cadence - last_ago),
            scheduled_time=time(10, 0),
            agenda=_("Quarterly business review"),
            attendees=[owner],
            stakeholders=people,
        )
