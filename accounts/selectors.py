"""Reads shared by views, jobs and the API. Access is decided here and only here."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from django.conf import settings
from django.contrib.postgres.aggregates import ArrayAgg
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import (
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import revenue
from accounts.business_hours import BusinessCalendar, package_holidays_between
from accounts.defaults import default_tier_policies
from accounts.health_text import component_label, reason_text
from accounts.models import (
    Account,
    AccountStatus,
    CompanyHoliday,
    HealthScore,
    QualitativeRating,
    RatingCriterion,
    RevenueRefresh,
    SatisfactionEntry,
    SavedView,
    ScoringConfig,
    Stakeholder,
    TierChange,
    WorkingCalendar,
)
from accounts.scoring import DEFAULT_HEALTH_WEIGHTS, DEFAULT_TIER_WEIGHTS
from kam.audit import OBJECT_TYPES
from kam.models import AuditEvent, User
from kam.sorting import Sort, Sorting, SortKey

ZERO = Decimal("0")
TENTH = Decimal("0.1")


class Access(StrEnum):
    """What a user may do to an account and to the rows hanging off it (stakeholders,
    interactions, commitments, QBRs, plans and their rows, whitespace)."""

    VIEW = "view"
    # The profile fields but the owner and the team, and every row hanging off the account:
    # adding, changing and removing them (a plan row's removal is an edit of the plan).
    EDIT = "edit"
    CHANGE_TEAM = "change_team"
    CHANGE_OWNER = "change_owner"
    # The account itself (no route deletes one yet).
    DELETE = "delete"


class _Link(StrEnum):
    """How a user is tied to an account."""

    EVERY = "every"  # the role reaches every account
    OWNER = "owner"
    TEAM = "team"


# The rule, once (docs/architecture.md, "One permission check"). Leaders and admins may do
# everything to every account. For anyone else, the links to the account that allow each action:
# a KAM sees and works on the accounts they own or are on the team of; only the owner changes
# the team; handing an account over and deleting one are for leaders and admins.
KAM_GRANTS: dict[Access, frozenset[_Link]] = {
    Access.VIEW: frozenset({_Link.OWNER, _Link.TEAM}),
    Access.EDIT: frozenset({_Link.OWNER, _Link.TEAM}),
    Access.CHANGE_TEAM: frozenset({_Link.OWNER}),
    Access.CHANGE_OWNER: frozenset(),
    Access.DELETE: frozenset(),
}


def _granting_links(user, action: Access) -> frozenset[_Link]:
    """The links to an account that allow `user` to do `action` on it."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.sees_all_accounts:
        return frozenset({_Link.EVERY})
    return KAM_GRANTS[Access(action)]


def accounts_for_user(user, action: Access = Access.VIEW) -> QuerySet[Account]:
    """Every account `user` may do `action` on (by default: see). The same rule as
    account_permits, as a queryset."""
    links = _granting_links(user, action)
    if _Link.EVERY in links:
        return Account.objects.all()
    return accounts_linked_to(user, owner=_Link.OWNER in links, team=_Link.TEAM in links)


def accounts_linked_to(user, *, owner: bool = True, team: bool = True) -> QuerySet[Account]:
    """The accounts `user` owns (`owner`) or is on the team of (`team`), whatever their role.
    One id set (owned UNION ALL on the team), probed by primary key: "owner = user OR
    EXISTS(team row)" cannot use an index and read all 20,000 accounts for every query of a
    KAM's page (bench/README.md)."""
    ids = _linked_account_ids(user, owner=owner, team=team)
    if ids is None:
        return Account.objects.none()
    return Account.objects.filter(pk__in=ids)


def _linked_account_ids(user, *, owner: bool, team: bool) -> QuerySet | None:
    """The ids of accounts_linked_to as one set (owned UNION ALL on the team); None for none."""
    ids = []
    if owner:
        ids.append(Account.objects.filter(owner=user).values("pk"))
    if team:
        ids.append(Account.team.through.objects.filter(user=user).values("account_id"))
    if not ids:
        return None
    return ids[0].union(*ids[1:], all=True)


def on_accounts_for_user(
    rows: QuerySet, user, action: Access = Access.VIEW, *, via: str = "account"
) -> QuerySet:
    """`rows`, of a model that hangs off an account at `via` ("account", "plan__account"),
    narrowed to those on an account `user` may do `action` on: accounts_for_user's rule on the
    rows' account ids. For who reaches every account, `rows` as they are: `account IN (every
    account)` had PostgreSQL join the accounts for nothing; for a KAM, the id set itself
    (owned UNION ALL on the team) rather than the accounts it selects, one nesting fewer to
    build and to plan in each statement of their pages (bench/README.md)."""
    links = _granting_links(user, action)
    if _Link.EVERY in links:
        return rows
    ids = _linked_account_ids(user, owner=_Link.OWNER in links, team=_Link.TEAM in links)
    if ids is None:
        return rows.none()
    return rows.filter(**{f"{via}_id__in": ids})


def account_permits(user, account: Account, action: Access) -> bool:
    """May `user` do `action` on `account`? The same rule as accounts_for_user, for one row
    (an unsaved account counts as having no team). At most one query, for the team, and none
    when the account came from get_account_for_user or with its team prefetched."""
    links = _granting_links(user, action)
    if _Link.EVERY in links:
        return True
    if _Link.OWNER in links and account.owner_id is not None and account.owner_id == user.pk:
        return True
    return _Link.TEAM in links and _on_team(user, account)


def _on_team(user, account: Account) -> bool:
    if account.pk is None:
        return False
    # Set by the read that loaded the row (get_account_for_user, get_row_for_user) or by the
    # first answer: it is not updated by a team change later in the same request, so after one
    # ask accounts_for_user again (accounts.views.account_edit does).
    known = getattr(account, "_access_on_team", None)
    if known is not None and known[0] == user.pk:
        return known[1]
    prefetched = getattr(account, "_prefetched_objects_cache", {}).get("team")
    if prefetched is not None:
        on_team = any(member.pk == user.pk for member in prefetched)
    else:
        on_team = Account.team.through.objects.filter(account_id=account.pk, user=user).exists()
    account._access_on_team = (user.pk, on_team)
    return on_team


def ensure_permitted(user, account: Account, action: Access) -> None:
    """Raise PermissionDenied (the 403 page, or a 403 from the API) unless `user` may do
    `action` on `account`. For rows reached through a queryset of what `user` sees, so a
    refusal means "yours to see, not to change" and never reveals a row."""
    if not account_permits(user, account, action):
        raise PermissionDenied(REFUSALS.get(action, _("You may not do this on this account.")))


REFUSALS = {
    Access.CHANGE_TEAM: gettext_lazy(
        "Only the account's owner, leaders and admins change its team."
    ),
    Access.CHANGE_OWNER: gettext_lazy(
        "Only leaders and admins hand an account over to another owner."
    ),
}


def account_change_refusals(user, account: Account, *, owner=None, team=None) -> dict[str, str]:
    """The owner and team changes in an edit of `account` that `user` may not make, as
    {field: reason}. `owner` and `team` are the values asked for; None means "not asked"."""
    refused = {}
    if (
        owner is not None
        and owner.pk != account.owner_id
        and not account_permits(user, account, Access.CHANGE_OWNER)
    ):
        refused["owner"] = str(REFUSALS[Access.CHANGE_OWNER])
    # team.all(): the prefetched team when there is one (the API's accounts).
    if (
        team is not None
        and {member.pk for member in team} != {member.pk for member in account.team.all()}
        and not account_permits(user, account, Access.CHANGE_TEAM)
    ):
        refused["team"] = str(REFUSALS[Access.CHANGE_TEAM])
    return refused


def get_account_for_user(user, pk: int, *, action: Access = Access.VIEW) -> Account:
    """The account, or 404 when it does not exist or `user` may not see it; 403 when they see
    it but may not do `action` on it. Read by its key with whether `user` is on its team (when
    that can decide it, _asking_team), then judged by account_permits (the rule
    accounts_for_user applies as a queryset): narrowing the read by accounts_for_user's set of
    ids cost a KAM 1.3 ms of building the statement on every page of an account
    (bench/README.md)."""
    queryset, asks_team = _asking_team(
        Account.objects.select_related("owner", "parent", "tier", "recommended_tier"),
        user,
        action,
        via="pk",
    )
    account = get_object_or_404(queryset, pk=pk)
    if asks_team:
        account._access_on_team = (user.pk, account.access_on_team)
    if not account_permits(user, account, Access.VIEW):
        raise Http404
    ensure_permitted(user, account, action)
    return account


def get_row_for_user(
    rows: QuerySet, user, pk: int, *, action: Access = Access.VIEW, via: str = "account"
):
    """A row hanging off an account (a commitment, a QBR, a plan row…) from `rows`, a queryset
    already narrowed to what `user` sees, with its account joined at `via` ("plan__account"):
    404 when it is not there; 403 when `user` may not do `action` on its account."""
    rows, asks_team = _asking_team(rows, user, action, via=via)
    row = get_object_or_404(rows, pk=pk)
    account = row
    for name in via.split("__"):
        account = getattr(account, name)
    if asks_team:
        account._access_on_team = (user.pk, row.access_on_team)
    ensure_permitted(user, account, action)
    return row


def _asking_team(rows: QuerySet, user, action: Access, *, via: str) -> tuple[QuerySet, bool]:
    """`rows` with `access_on_team` (is `user` on the team of the account at `via`) when being
    on the team can decide whether `user` sees the account or does `action` on it, and whether
    it was asked: not for a role that reaches every account, whose reads skip the question
    (0.4 ms of building the statement on every page of an account, bench/README.md)."""
    links = _granting_links(user, Access.VIEW) | _granting_links(user, action)
    if _Link.TEAM not in links:
        return rows, False
    on_team = Account.team.through.objects.filter(account=OuterRef(via), user_id=user.pk)
    return rows.annotate(access_on_team=Exists(on_team)), True


# The list's status filter also takes "live" (accounts.models.LIVE_STATUSES): what the
# portfolio dashboard counts as under management.
LIVE = "live"


def account_choices(accounts: QuerySet[Account]) -> list[tuple[int, str]]:
    """(pk, name) of `accounts` by name: the options of a select of accounts (kam_tags.options
    or a form's choices), read as two columns instead of an account row each."""
    return list(accounts.order_by("name", "pk").values_list("pk", "name"))


def account_owners_for_user(user) -> QuerySet:
    """Whoever owns an account `user` sees, whatever their role now (a KAM made a leader keeps
    their accounts until they are handed over): the people picker scope "owners" (kam.people)
    of the owner filter of the accounts list and of the dashboard. A probe of the owner index
    per user: joining every visible account and de-duplicating the user rows took a full pass
    per query at 20,000 accounts (bench/README.md)."""

    owns = accounts_for_user(user).filter(owner=OuterRef("pk"))
    return User.objects.filter(Exists(owns))


def sees_every_account(user) -> bool:
    """Whether accounts_for_user(user) is every account (the same rule, without a query)."""
    return _Link.EVERY in _granting_links(user, Access.VIEW)


def sees_owned_and_team_accounts(user) -> bool:
    """Whether accounts_for_user(user) is exactly the accounts `user` owns and those they are on
    the team of (the same rule, without a query): a KAM's."""
    return _granting_links(user, Access.VIEW) == {_Link.OWNER, _Link.TEAM}


# Each distinct (industry, region) of every account, by a walk of account_industry_region_idx:
# one index probe per pair (a few dozen) where DISTINCT read every account (7 ms at 20,000
# accounts, 35–80 ms at 100,000, on every accounts list and dashboard view).
_EVERY_INDUSTRY_REGION = """
    WITH RECURSIVE pairs AS (
        (SELECT industry, region FROM accounts_account ORDER BY industry, region LIMIT 1)
        UNION ALL
        SELECT next.industry, next.region FROM pairs, LATERAL (
            SELECT a.industry, a.region FROM accounts_account AS a
            WHERE (a.industry, a.region) > (pairs.industry, pairs.region)
            ORDER BY a.industry, a.region LIMIT 1
        ) AS next
    )
    SELECT industry, region FROM pairs
"""


def industries_and_regions_for_user(user) -> tuple[list[str], list[str]]:
    """The industries and the regions of the accounts `user` sees, for filters: one query."""
    if sees_every_account(user):
        with connection.cursor() as cursor:
            cursor.execute(_EVERY_INDUSTRY_REGION)
            pairs = cursor.fetchall()
    else:
        pairs = accounts_for_user(user).values_list("industry", "region").order_by().distinct()
    industries, regions = set(), set()
    for industry, region in pairs:
        industries.add(industry)
        regions.add(region)
    return sorted(industries - {""}), sorted(regions - {""})


# The stakeholders table's sortable columns (kam.sorting).
STAKEHOLDER_SORTING = Sorting(
    keys={
        "name": SortKey("name", nullable=False),
        "title": SortKey("title", nullable=False),
        "buying_role": SortKey("buying_role", nullable=False),
        "influence": SortKey("influence", nullable=False),
        "stance": SortKey("stance", nullable=False),
        "last_interaction": SortKey("last_interaction_at"),
    },
    default="name",
    descending_first=frozenset({"influence", "last_interaction"}),
)


def account_page_stakeholders(account: Account, sort: Sort | None = None) -> list[Stakeholder]:
    order = sort.order_by() if sort is not None else ["name", "pk"]
    return list(account.stakeholders.select_related("reports_to").order_by(*order))


@dataclass(frozen=True)
class RevenueSummary:
    currency: str
    last_12_months: Decimal
    previous_12_months: Decimal
    lifetime: Decimal
    records_last_12_months: int
    margin_pct: Decimal | None
    portfolio_share_pct: Decimal | None  # of the accounts in the same currency

    @property
    def trend_pct(self) -> Decimal | None:
        growth = revenue.growth_pct(self.last_12_months, self.previous_12_months)
        return None if growth is None else growth.quantize(TENTH)


def revenue_windows_as_of() -> date | None:
    """The day the accounts' revenue windows are computed as of: the last refresh's (None
    before the first). One query."""
    return (
        RevenueRefresh.objects.order_by("-refreshed_at", "-pk")
        .values_list("day", flat=True)
        .first()
    )


def account_revenue_summary(
    account: Account, today: date, *, portfolio_revenue: Decimal | None = None
) -> RevenueSummary:
    """Derived figures (two queries, one with `portfolio_revenue`): this account's windows
    (accounts.revenue; nothing booked after `today` counts, lifetime included), and the share
    of the portfolio in its currency: of `portfolio_revenue` when the caller has it (the live
    accounts' revenue in the currency, from the dashboard's summary rows:
    insights.portfolio_slices.live_revenue_stored), else summed here. The windows are summed
    here from the account's records (a few dozen), each placed by the windows of
    accounts.revenue, as revenue_window_q places them in SQL: building the six conditional sums
    in the ORM took longer than reading the records (tests/accounts/test_revenue_rules.py checks
    that every reader gives the same figures)."""
    last_window, previous_window = revenue.windows(today)
    last = previous = lifetime = ZERO
    costed = cost = None  # no record of the last window with a cost: no margin
    count = 0
    records = account.revenue_records.filter(booked_on__lte=today).order_by()
    for booked_on, amount, record_cost in records.values_list("booked_on", "amount", "cost"):
        lifetime += amount
        if last_window.contains(booked_on):
            last += amount
            count += 1
            if record_cost is not None:
                costed = (costed or ZERO) + amount
                cost = (cost or ZERO) + record_cost
        elif previous_window.contains(booked_on):
            previous += amount
    portfolio = portfolio_revenue
    if portfolio is None:
        portfolio = (
            Account.objects.live()
            .filter(currency=account.currency)
            .aggregate(total=Coalesce(Sum("revenue_last_12m"), ZERO))["total"]
        )
    margin = revenue.margin_pct(costed, cost)
    share = None
    if account.revenue_as_of is not None and account.status != AccountStatus.CHURNED:
        share = revenue.share_pct(account.revenue_last_12m, portfolio)
    return RevenueSummary(
        currency=account.currency,
        last_12_months=last,
        previous_12_months=previous,
        lifetime=lifetime,
        records_last_12_months=count,
        margin_pct=None if margin is None else margin.quantize(TENTH),
        portfolio_share_pct=None if share is None else share.quantize(TENTH),
    )


def current_ratings(account: Account) -> dict[str, QualitativeRating]:
    """The latest rating per criterion (one query)."""
    latest = (
        account.ratings.select_related("set_by")
        .order_by("criterion", "-set_at", "-pk")
        .distinct("criterion")
    )
    by_criterion = {rating.criterion: rating for rating in latest}
    return {c: by_criterion.get(c) for c in RatingCriterion.values}


def account_health(account: Account, today: date, days: int = 180) -> dict:
    """The latest score with its explanation, the trend for the chart, the tier history and the
    latest satisfaction answers: three queries. The latest score is read as a row, the trend's
    days and scores as two arrays of it: read as 180 rows with their configuration, this took
    14.3 ms of the account page at 20,000 accounts, now 7.6 (bench/README.md)."""

    window = HealthScore.objects.filter(account=account, day__gt=today - timedelta(days=days))
    by_day = window.order_by("day")
    latest = (
        window.select_related("config")
        .annotate(
            trend_days=ArraySubquery(by_day.values("day")),
            trend_scores=ArraySubquery(by_day.values("score")),
        )
        .order_by("-day")
        .first()
    )
    trend = (
        [{"day": day.isoformat(), "score": score}
         for day, score in zip(latest.trend_days, latest.trend_scores, strict=True)]
        if latest
        else []
    )  # fmt: skip
    components = []
    if latest:
        for component in latest.components:
            components.append(
                {
                    "label": component_label(component["key"]),
                    "score": component["score"],
                    "weight": component["weight"],
                    "reason": reason_text(component["reason"]),
                }
            )
        # Weakest first; components left out for lack of data at the end.
        components.sort(key=lambda c: (c["score"] is None, c["score"] or 0))
    movers = [
        {"label": component_label(m["key"]), "from": m["from"], "to": m["to"]}
        for m in (latest.movers if latest else [])
    ]
    return {
        "latest": latest,
        "components": components,
        "movers": movers,
        "trend": trend,
        "tier_changes": list(
            TierChange.objects.filter(account=account)
            .select_related("from_tier", "to_tier", "recommended_tier", "changed_by")
            .order_by("-changed_at", "-pk")[:10]
        ),
        "satisfaction": list(
            SatisfactionEntry.objects.filter(account=account).select_related("stakeholder")[:5]
        ),
    }


def tier_review_rows(user) -> QuerySet[Account]:
    """Accounts whose tier and recommendation disagree and no leader has reviewed yet, and those
    someone asked a leader to review (accounts.services.tier_review_request)."""
    mismatch = Q(recommended_tier__isnull=False, recommendation_reviewed=False) & ~Q(
        tier=F("recommended_tier")
    )
    return (
        accounts_for_user(user)
        .filter(mismatch | Q(tier_review_requested_at__isnull=False))
        .select_related("tier", "recommended_tier", "owner")
        .order_by("-tier_score", "name")
    )


def current_config() -> ScoringConfig:
    """The configuration version in force. Before the first one is saved (the first scoring run
    or configuration save creates it, accounts.services.scoring_defaults_ensure) the defaults,
    unsaved: a read never writes."""
    config = ScoringConfig.objects.order_by("-version").first()
    if config is not None:
        return config
    return ScoringConfig(
        version=1,
        health_weights=dict(DEFAULT_HEALTH_WEIGHTS),
        tier_weights=dict(DEFAULT_TIER_WEIGHTS),
        tiers=default_tier_policies(),
    )


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    type_label: str
    account_name: str | None
    changes: list[tuple[str, str | None, str | None]]


def audit_rows(events) -> list[AuditRow]:
    """The page's rows with their accounts' names: one query for all the accounts."""
    events = list(events)
    ids = {event.account_id for event in events if event.account_id}
    names = dict(Account.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    return [
        AuditRow(
            event=event,
            type_label=OBJECT_TYPES.get(event.object_type, event.object_type),
            account_name=names.get(event.account_id),
            changes=[(field, pair[0], pair[1]) for field, pair in sorted(event.changes.items())],
        )
        for event in events
    ]


# ---------------------------------------------------------------------------------------------
# Saved views of the accounts list


def sales_team_q(user, field: str = "owner") -> Q:
    """Rows whose `field` (a user) is on `user`'s sales team (User.manager, as the sales-team
    import sets it): their manager, their direct reports and the colleagues who share their
    manager. Never `user` themselves."""
    team = Q(**{f"{field}__manager_id": user.pk})
    if user.manager_id is not None:
        team |= Q(**{f"{field}_id": user.manager_id}) | Q(
            **{f"{field}__manager_id": user.manager_id}
        )
    return team & ~Q(**{f"{field}_id": user.pk})


def saved_views_for_user(user) -> QuerySet[SavedView]:
    """The saved views `user` may open: their own, and the shared ones of their sales team
    (sales_team_q); leaders and admins, who review the whole portfolio, every shared one.
    Opening one only fills the list's filters: the rows stay those accounts_for_user gives."""
    if not user.is_authenticated or not user.is_active:
        return SavedView.objects.none()
    shared = Q(shared=True)
    if not user.sees_all_accounts:
        shared &= sales_team_q(user)
    return SavedView.objects.filter(Q(owner=user) | shared).select_related("owner")


def get_saved_view_for_user(user, pk: int, *, change: bool = False) -> SavedView:
    """The saved view, or 404 when `user` may not open it; 403 when `change` (rename, delete)
    and it is not theirs: only its owner changes a view."""
    view = get_object_or_404(saved_views_for_user(user), pk=pk)
    if change and view.owner_id != user.pk:
        raise PermissionDenied(_("Only the person who saved a view renames or deletes it."))
    return view


# ---------------------------------------------------------------------------------------------
# Working calendars: which business hours an account's response SLAs are counted in


def fallback_calendar(extra_holidays: Iterable[date] = ()) -> BusinessCalendar:
    """When no calendar is marked default: Monday to Friday 09:00–18:00 in TIME_ZONE, national
    holidays only."""
    return BusinessCalendar(time_zone=settings.TIME_ZONE, extra_holidays=frozenset(extra_holidays))


def calendars_for_users(user_ids: Iterable[int | None]) -> dict[int | None, BusinessCalendar]:
    """{user id: the calendar their accounts are counted in}, plus the key None for the default
    (or fallback) calendar. Two queries whatever the number of users: the calendars (the users'
    and the default, with the members among `user_ids`), then the company holidays."""
    wanted = sorted({user_id for user_id in user_ids if user_id is not None})
    calendars = list(
        WorkingCalendar.objects.filter(Q(is_default=True) | Q(memberships__user_id__in=wanted))
        .annotate(
            member_ids=ArrayAgg(
                "memberships__user_id",
                filter=Q(memberships__user_id__in=wanted),
                default=Value([]),
            )
        )
        .order_by("pk")
    )
    holidays: dict[int | None, set[date]] = {}
    for calendar_id, day in CompanyHoliday.objects.filter(
        Q(calendar__isnull=True) | Q(calendar__in=[calendar.pk for calendar in calendars])
    ).values_list("calendar_id", "date"):
        holidays.setdefault(calendar_id, set()).add(day)
    everywhere = holidays.get(None, set())
    found: dict[int | None, BusinessCalendar] = {None: fallback_calendar(everywhere)}
    for calendar in calendars:
        business = calendar.as_business_calendar(everywhere | holidays.get(calendar.pk, set()))
        if calendar.is_default:
            found[None] = business
        for user_id in calendar.member_ids:
            found[user_id] = business
    for user_id in wanted:
        found.setdefault(user_id, found[None])
    return found


def calendar_for_user(user_id: int | None) -> BusinessCalendar:
    """The calendar of a user's accounts: theirs, else the default, else the fallback."""
    return calendars_for_users([user_id])[user_id]


def calendar_for_account(account: Account) -> BusinessCalendar:
    """The calendar the account's response SLAs are counted in: its owner's calendar, else the
    default calendar, else the fallback (two queries)."""
    return calendar_for_user(account.owner_id)


def calendars_of(accounts: Iterable[Account]) -> dict[int, BusinessCalendar]:
    """{account id: calendar} for accounts already read (their owner_id is enough): the
    calendars of their owners (calendars_for_users, two queries)."""
    owners = {account.pk: account.owner_id for account in accounts}
    if not owners:
        return {}
    by_user = calendars_for_users(owners.values())
    return {account_id: by_user[owner_id] for account_id, owner_id in owners.items()}


def holidays_ahead(
    calendar: WorkingCalendar, *, since: date, count: int = 10, language_code: str | None = None
) -> list[tuple[date, str]]:
    """The calendar's next `count` holidays from `since` (the package's for its state and the
    company's), names in the reader's language. Two years ahead always holds ten."""
    company = list(
        CompanyHoliday.objects.filter(Q(calendar__isnull=True) | Q(calendar=calendar))
        .filter(date__gte=since)
        .order_by("date")
        .values_list("date", "name")[:count]
    )
    business = calendar.as_business_calendar()
    last = since.replace(year=min(since.year + 2, date.max.year), month=12, day=31)
    package = package_holidays_between(business, since, last, language_code=language_code)
    merged: dict[date, list[str]] = {}
    for day, name in [*package, *company]:
        merged.setdefault(day, []).append(name)
    return [(day, "; ".join(names)) for day, names in sorted(merged.items())[:count]]
