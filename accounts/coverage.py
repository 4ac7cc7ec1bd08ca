"""Facts about an account's set of stakeholders: buying-role coverage, single-threading and
key-contact departures. Pure functions over already-loaded rows (no queries, no clock)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils.translation import gettext_lazy as _

from accounts.models import KEY_BUYING_ROLES, BuyingRole

# Roles whose absence weakens an account; "blocker" is tracked but not something to cover.
COVERED_ROLES = (
    BuyingRole.DECISION_MAKER,
    BuyingRole.ECONOMIC_BUYER,
    BuyingRole.CHAMPION,
    BuyingRole.INFLUENCER,
    BuyingRole.USER,
)
THREAD_WINDOW_DAYS = 90


@dataclass(frozen=True)
class RoleCoverage:
    role: BuyingRole
    people: tuple[str, ...]

    @property
    def covered(self) -> bool:
        return bool(self.people)


@dataclass(frozen=True)
class Coverage:
    roles: tuple[RoleCoverage, ...]
    active_count: int
    recently_engaged: int  # active stakeholders with an interaction in the last 90 days

    @property
    def missing(self) -> list[BuyingRole]:
        return [r.role for r in self.roles if not r.covered]

    @property
    def single_threaded(self) -> bool:
        """Only one active person heard from in 90 days: the relationship hangs on a thread."""
        return self.recently_engaged == 1


@dataclass(frozen=True)
class Departure:
    name: str
    left_on: date
    role_label: str


def stakeholder_coverage(stakeholders: Iterable, now: datetime) -> Coverage:
    active = [s for s in stakeholders if s.left_on is None]
    since = now - timedelta(days=THREAD_WINDOW_DAYS)
    roles = tuple(
        RoleCoverage(role, tuple(s.name for s in active if s.buying_role == role))
        for role in COVERED_ROLES
    )
    engaged = sum(
        1 for s in active if s.last_interaction_at is not None and s.last_interaction_at >= since
    )
    return Coverage(roles=roles, active_count=len(active), recently_engaged=engaged)


def open_departures(stakeholders: Sequence) -> list[Departure]:
    """Key contacts (champion, decision maker, primary contact) who left and whose role no
    active stakeholder holds yet — the account stays flagged until someone does."""
    active = [s for s in stakeholders if s.left_on is None]
    departures = []
    for person in stakeholders:
        if person.left_on is None:
            continue
        if person.buying_role in KEY_BUYING_ROLES:
            replaced = any(s.buying_role == person.buying_role for s in active)
            if not replaced:
                departures.append(
                    Departure(person.name, person.left_on, BuyingRole(person.buying_role).label)
                )
                continue
        if person.is_primary and not any(s.is_primary for s in active):
            departures.append(Departure(person.name, person.left_on, str(_("Primary contact"))))
    return sorted(departures, key=lambda d: d.left_on, reverse=True)
