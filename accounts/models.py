import functools
import operator
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import (
    DateField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    Value,
)
from django.db.models.functions import Coalesce, Concat, Lower, Upper
from django.db.models.lookups import LessThan
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts import revenue
from accounts.business_hours import BusinessCalendar
from kam.dates import (
    business_date,
    business_date_of,
    business_tz,
    date_in_range,
    date_range_check,
    datetime_range_check,
)
from kam.models import Role
from kam.search import search_vector


class Currency(models.TextChoices):
    BRL = "BRL", "BRL"
    USD = "USD", "USD"
    EUR = "EUR", "EUR"


class AccountStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Active")
    # Set by the KAM; not the health band (HealthBand.AT_RISK, "Health at risk"). Each has its
    # own label and context in both languages ("Sinalizada em risco" / "Saúde: em risco").
    AT_RISK = "at_risk", pgettext_lazy("account status", "Flagged at risk")
    CHURNED = "churned", _("Churned")


class HealthBand(models.TextChoices):
    HEALTHY = "healthy", _("Healthy")
    WATCH = "watch", _("Watch")
    AT_RISK = "at_risk", pgettext_lazy("health band", "Health at risk")
    UNKNOWN = "unknown", _("Not enough data")


# "Live": under management, i.e. every status but churned. What the dashboard counts, the
# accounts list's status=live, My work and the touch and renewal rules read.
LIVE_STATUSES = (AccountStatus.PROSPECT, AccountStatus.ACTIVE, AccountStatus.AT_RISK)
# Accounts whose QBRs are tracked: prospects have none yet, churned ones no more.
QBR_TRACKED_STATUSES = (AccountStatus.ACTIVE, AccountStatus.AT_RISK)
# Between the two names in Account.name_search: a search box's text has no line break.
NAME_SEARCH_SEPARATOR = "\n"
# When an account has no tier, a QBR is due this many days after the last one. ScoringConfig
# carries no QBR cadence of its own, so this is the one default (the "maintain"-style tiers in
# accounts.defaults run 90 to 365 days; 90 keeps untiered accounts from being forgotten).
DEFAULT_QBR_CADENCE_DAYS = 90
# Client requests (activities.ClientRequest): the SLA targets of an account without a tier. Like
# the QBR cadence above, ScoringConfig carries none of its own, so these constants are the one
# default: the first response within a working day and a half, and a resolution target per
# priority (business hours, activities.sla).
DEFAULT_RESPONSE_SLA_HOURS = 24
REQUEST_PRIORITIES = ("low", "normal", "high", "urgent")
DEFAULT_RESOLUTION_HOURS = {"urgent": 24, "high": 48, "normal": 90, "low": 180}
# activities.QBRStatus.PLANNED: QBRs live in a higher layer, read here through the reverse
# relation `Account.qbrs` without importing them.
_QBR_PLANNED = "planned"


@dataclass(frozen=True)
class QbrDue:
    """Where an account's QBR clock stands: when the next QBR is due and what the clock counts
    from. Before the first QBR is held there is no "last QBR" to be overdue since: the pages,
    reminders, emails and health reasons say "No QBR held yet" and name the contract start (or
    the account's creation) the clock runs from."""

    LAST_QBR = "last_qbr"
    CONTRACT_START = "contract_start"
    CREATED = "created"

    due_on: date
    counted_from: date
    basis: str  # LAST_QBR, CONTRACT_START or CREATED

    @property
    def never_held(self) -> bool:
        return self.basis != self.LAST_QBR

    def days_overdue(self, today: date) -> int:
        return (today - self.due_on).days

    def days_left(self, today: date) -> int:
        return (self.due_on - today).days

    def as_params(self) -> dict:
        """For a notice or an email (JSON): the basis and the date the clock counts from."""
        return {"basis": self.basis, "counted_from": self.counted_from.isoformat()}


def qbr_due(
    *, last_held_on: date | None, contract_start: date | None, created_on: date, cadence_days
) -> QbrDue:
    """THE QBR due rule: a cadence (the tier's, else DEFAULT_QBR_CADENCE_DAYS) after the last
    QBR held; before the first, after the contract start, else the account's creation.
    Account.qbr_due and AccountQuerySet.with_qbr_due apply it; health inputs apply it as of
    a past day."""
    if last_held_on is not None:
        basis, baseline = QbrDue.LAST_QBR, last_held_on
    elif contract_start is not None:
        basis, baseline = QbrDue.CONTRACT_START, contract_start
    else:
        basis, baseline = QbrDue.CREATED, created_on
    due_on = baseline + timedelta(days=cadence_days or DEFAULT_QBR_CADENCE_DAYS)
    return QbrDue(due_on=due_on, counted_from=baseline, basis=basis)


def qbr_due_from(
    *, last_held_on: date | None, contract_start: date | None, created_on: date, cadence_days
) -> date:
    """The due date of qbr_due."""
    return qbr_due(
        last_held_on=last_held_on,
        contract_start=contract_start,
        created_on=created_on,
        cadence_days=cadence_days,
    ).due_on


class AccountQuerySet(models.QuerySet):
    """The account rules for many rows. Each condition sits next to the Account method that
    answers it for one row (tests/accounts/test_rules.py checks that the two agree); the
    `*_q` builders give the same condition for aggregates (`Count(filter=...)`)."""

    # -- live / QBR tracked ----------------------------------------------------------------
    @staticmethod
    def live_q() -> Q:
        return Q(status__in=LIVE_STATUSES)

    def live(self) -> "AccountQuerySet":
        return self.filter(self.live_q())

    def qbr_tracked(self) -> "AccountQuerySet":
        return self.filter(status__in=QBR_TRACKED_STATUSES)

    # -- name --------------------------------------------------------------------------------
    def name_contains(self, text: str) -> "AccountQuerySet":
        """The accounts whose name or legal name holds `text` anywhere, whatever its case: the
        one rule of the accounts list's search, the API's `q` and the account picker of "Log
        interaction". Tested on `name_search` (both names upper-cased once, when they change),
        where testing UPPER() of each name on every row made a text in every name ("Ltda") cost
        three times as much to count (bench/README.md). PostgreSQL upper-cases `text` as it did
        the names. A text with the separator in it matches nothing (it would match across the
        two names)."""
        if NAME_SEARCH_SEPARATOR in text:
            return self.none()
        return self.filter(name_search__contains=Upper(Value(text)))

    # -- touch -----------------------------------------------------------------------------
    @staticmethod
    def touch_overdue_q(today: date, default_cadence_days: int, *, tiers=None) -> Q:
        """Account.touch_overdue as a condition: local date of the last touch + cadence <
        today, i.e. the last touch happened before the start of (today - cadence) in the
        business time zone. The database compares timestamps instead of converting each
        account's last touch to a local date.

        With `tiers` (each with `touch_cadence_days`, as the dashboard has them) the cut-offs
        are constants, one per tier, which the last-touch index can use; without, the same
        cut-off is worked out per row from the tier joined, at no extra query."""
        zone = business_tz()
        never = Q(last_touch_at__isnull=True)
        if tiers is None:
            cadence = Coalesce(F("tier__touch_cadence_days"), Value(default_cadence_days))
            due_day = ExpressionWrapper(Value(today) - cadence, output_field=DateField())
            cutoff = Func(
                Value(str(zone)),
                Func(due_day, template="(%(expressions)s)::timestamp"),
                function="timezone",
                output_field=DateTimeField(),
            )
            return AccountQuerySet.live_q() & (never | Q(LessThan(F("last_touch_at"), cutoff)))

        def cutoff_at(cadence_days: int) -> datetime:
            return datetime.combine(today - timedelta(days=cadence_days), time.min, zone)

        late = Q(tier__isnull=True, last_touch_at__lt=cutoff_at(default_cadence_days))
        for tier in tiers:
            late |= Q(tier_id=tier.pk, last_touch_at__lt=cutoff_at(tier.touch_cadence_days))
        return AccountQuerySet.live_q() & (never | late)

    def touch_overdue(
        self, today: date, default_cadence_days: int, tiers=None
    ) -> "AccountQuerySet":
        return self.filter(self.touch_overdue_q(today, default_cadence_days, tiers=tiers))

    # -- QBR -------------------------------------------------------------------------------
    @staticmethod
    def qbr_due_expression() -> ExpressionWrapper:
        """qbr_due_from in SQL, from the account row (last_qbr_held_at is kept by
        activities.services.qbr_hold): no aggregate over every QBR."""
        baseline = Coalesce(
            business_date_of("last_qbr_held_at"),
            F("contract_start"),
            business_date_of("created_at"),
            output_field=DateField(),
        )
        cadence = Coalesce(F("tier__qbr_cadence_days"), Value(DEFAULT_QBR_CADENCE_DAYS))
        return ExpressionWrapper(baseline + cadence, output_field=DateField())

    def with_qbr_due(self) -> "AccountQuerySet":
        """Each account with `next_qbr_due_on` (Account.qbr_due_on)."""
        return self.annotate(next_qbr_due_on=self.qbr_due_expression())

    @staticmethod
    def qbrs_planned_ahead(today: date) -> models.QuerySet:
        """The QBRs planned for today or later: what "a QBR is planned" means everywhere."""
        qbrs = Account._meta.get_field("qbrs").related_model.objects
        return qbrs.filter(status=_QBR_PLANNED, scheduled_on__gte=today)

    @classmethod
    def qbr_planned_ahead_q(cls, today: date, *, among: models.QuerySet | None = None) -> Q:
        """A QBR planned for today or later. An uncorrelated set of account ids (hashed once
        per query) rather than a subquery per account, so it is cheap inside aggregates.
        `among`: the accounts the condition is tested on, when they are a few (a dashboard
        view with filters combined): the set then holds their planned QBRs alone, read by
        index, instead of every planned QBR of the portfolio (26,438 at 100,000 accounts; the
        view's figures 8 → 1 ms of SQL). Same answer for the rows of `among`, and only for
        them: on any other row a planned QBR would read as none."""
        planned = cls.qbrs_planned_ahead(today)
        if among is not None:
            planned = planned.filter(account__in=among.values("pk"))
        return Q(pk__in=planned.values("account_id"))

    @classmethod
    def qbr_overdue_q(
        cls, today: date, *, stored: bool = False, among: models.QuerySet | None = None
    ) -> Q:
        """Account.qbr_overdue as a condition. `stored`: the due date from the column the
        rollups keep (`qbr_due_date`, qbr_due_expression's value) instead of the expression;
        read after insights.portfolio_slices.account_marks_taken, as with_open_pipeline.
        `among`: as qbr_planned_ahead_q's."""
        due = F("qbr_due_date") if stored else cls.qbr_due_expression()
        return (
            Q(status__in=QBR_TRACKED_STATUSES)
            & ~cls.qbr_planned_ahead_q(today, among=among)
            & Q(LessThan(due, Value(today)))
        )

    def qbr_overdue(self, today: date) -> "AccountQuerySet":
        return self.filter(self.qbr_overdue_q(today))

    def with_qbr_overdue(self, today: date) -> "AccountQuerySet":
        """qbr_overdue from the stored due date (`qbr_due_date`, kept by
        insights.account_rollups): the accounts list's filter, whose count and page read
        account_qbr_due_idx in the list's order instead of working out every live account's
        due date."""
        return self.filter(self.qbr_overdue_q(today, stored=True))

    def qbr_unscheduled(self, today: date) -> "AccountQuerySet":
        """QBR-tracked accounts with nothing planned from `today` on, with `next_qbr_due_on`: the
        reminders and My work pick those due soon or overdue. NOT EXISTS, which PostgreSQL
        plans as an anti-join either way round: My work's 70 accounts probe the QBR index, where
        the hashed id set of qbr_planned_ahead_q read every account (64 ms at 100,000)."""
        return self.filter(self.qbr_unscheduled_q(today)).with_qbr_due()

    @classmethod
    def qbr_unscheduled_q(cls, today: date) -> Q:
        """qbr_unscheduled as a condition (My work reads it as a flag of each account)."""
        planned = cls.qbrs_planned_ahead(today).filter(account_id=OuterRef("pk"))
        return Q(status__in=QBR_TRACKED_STATUSES) & ~Q(Exists(planned))

    # -- pipeline and agreed items (columns kept by insights.account_rollups) ---------------
    @staticmethod
    def open_pipeline_q() -> Q:
        """With an open opportunity in a plan that is not archived (plans.selectors
        .open_pipeline_q), from the column the rollups keep: with_open_pipeline, and the
        dashboard's summary rows that count those accounts for the list."""
        return Q(open_opportunities__gt=0)

    def with_open_pipeline(self) -> "AccountQuerySet":
        """Accounts with an open opportunity in a plan that is not archived
        (plans.selectors.open_pipeline_q), from the column the rollups keep; read after
        insights.portfolio_slices.account_marks_taken (tests/insights/test_account_rollups.py
        checks that the two agree)."""
        return self.filter(self.open_pipeline_q())

    def with_overdue_commitments(self, today: date) -> "AccountQuerySet":
        """Accounts with an overdue agreed item (activities.selectors.commitments_overdue_q),
        from the earliest open due date the rollups keep: as with_open_pipeline."""
        return self.filter(earliest_commitment_due__lt=today)

    # -- renewal ---------------------------------------------------------------------------
    @staticmethod
    def renewal_within_q(today: date, days: int) -> Q:
        """Account.renews_within as a condition."""
        return AccountQuerySet.live_q() & Q(
            renewal_date__gte=today, renewal_date__lte=today + timedelta(days=days)
        )

    def renewal_within(self, today: date, days: int) -> "AccountQuerySet":
        return self.filter(self.renewal_within_q(today, days))

    # -- key contacts gone / owner newly assigned ------------------------------------------
    @staticmethod
    def open_departure_q() -> Q:
        """accounts.coverage.open_departures as a condition: a key contact (champion, decision
        maker) left and no active stakeholder holds their role, or the primary contact left and
        no active stakeholder is primary. open_departures answers it for one account's loaded
        stakeholders (tests/accounts/test_rules.py checks that they agree)."""
        active = Stakeholder.objects.filter(account=OuterRef("account"), left_on__isnull=True)
        gone = Stakeholder.objects.filter(left_on__isnull=False).filter(
            (
                Q(buying_role__in=KEY_BUYING_ROLES)
                & ~Exists(active.filter(buying_role=OuterRef("buying_role")))
            )
            | (Q(is_primary=True) & ~Exists(active.filter(is_primary=True)))
        )
        return Q(pk__in=gone.values("account_id"))

    def with_open_departure(self) -> "AccountQuerySet":
        return self.filter(self.open_departure_q())

    @staticmethod
    def owner_assigned_within_q(today: date, days: int) -> Q:
        """Account.owner_assigned_within as a condition: the current owner got the account on
        one of the `days` days up to `today` (business time zone), `today` included."""
        zone = business_tz()
        since = datetime.combine(today - timedelta(days=max(days - 1, 0)), time.min, zone)
        until = datetime.combine(today + timedelta(days=1), time.min, zone)
        return Q(owner_assigned_at__gte=since, owner_assigned_at__lt=until)

    def owner_assigned_within(self, today: date, days: int) -> "AccountQuerySet":
        return self.filter(self.owner_assigned_within_q(today, days))

    # -- health band / Pareto class --------------------------------------------------------
    @staticmethod
    def band_values(band: str) -> list[str]:
        """The stored values of a band: "unknown" includes accounts not scored yet ("")."""
        return [HealthBand.UNKNOWN, ""] if band == HealthBand.UNKNOWN else [band]

    def in_band(self, band: str) -> "AccountQuerySet":
        """Accounts in the health band accounts.scoring.band_for gave them (Account.band)."""
        return self.filter(health_band__in=self.band_values(band))

    def in_pareto_class(self, pareto_class: str) -> "AccountQuerySet":
        """Stored by insights.services.tiers_recompute."""
        return self.filter(pareto_class=pareto_class)


# What a person edits on an account (the form and the API); the rest is computed or kept by
# the services.
ACCOUNT_PROFILE_FIELDS = [
    "name",
    "legal_name",
    "tax_id",
    "industry",
    "employees",
    "website",
    "hq_city",
    "hq_country",
    "region",
    "parent",
    "currency",
    "status",
    "owner",
    "team",
    "contract_start",
    "renewal_date",
    "first_purchase_date",
    "competitors",
    "needs",
]


PARENT_LOOP_MESSAGE = _("An account cannot be its own parent or ancestor.")


def parent_makes_loop(
    child: Hashable, parent: Hashable | None, parent_of: Callable[[Hashable], Hashable | None]
) -> bool:
    """Whether making `parent` the parent of `child` closes a loop of any length. `parent_of`
    gives a node's current parent (None at the top): the account service walks the database,
    the importer a map of the database and the file. A loop already stored above `parent`
    counts as one too, so the walk always ends."""
    seen = {child}
    node = parent
    while node is not None:
        if node in seen:
            return True
        seen.add(node)
        node = parent_of(node)
    return False


# The tax id's digits alone, so a CNPJ is found typed with or without its punctuation.
TAX_ID_DIGITS = Func(F("tax_id"), Value(r"\D"), Value(""), Value("g"), function="regexp_replace")


class Account(models.Model):
    """A client company. Revenue figures are derived from RevenueRecord, never typed."""

    name = models.CharField(_("name"), max_length=200)
    legal_name = models.CharField(_("legal name"), max_length=250, blank=True)
    tax_id = models.CharField(_("tax id"), max_length=40, blank=True)
    # Filtered on through account_industry_region_idx (its first column), not an index of its own.
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    # The client's own size, not our revenue from them (that is RevenueRecord).
    annual_revenue_musd = models.DecimalField(
        _("client's annual revenue (USD millions)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    founded_year = models.PositiveSmallIntegerField(_("year established"), null=True, blank=True)
    hq_city = models.CharField(_("HQ city"), max_length=100, blank=True)
    hq_country = models.CharField(_("HQ country"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    website = models.URLField(_("website"), blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subsidiaries",
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.BRL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    # The owner's key keeps its own index beside (owner, name, id): with few values it
    # deduplicates to a third of the size, and the filter options probe each KAM's; the tier's
    # own index became (tier, last_touch_at), which the touch filter reads (bench/README.md,
    # "One index per need on the accounts"; tests/kam/test_indexes.py lets the owner's be).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner KAM"),
        on_delete=models.PROTECT,
        related_name="owned_accounts",
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account team"),
        blank=True,
        related_name="team_accounts",
    )
    contract_start = models.DateField(
        _("contract start"), null=True, blank=True, validators=[date_in_range]
    )
    renewal_date = models.DateField(
        _("renewal date"), null=True, blank=True, validators=[date_in_range]
    )
    first_purchase_date = models.DateField(
        _("first purchase date"), null=True, blank=True, validators=[date_in_range]
    )
    competitors = models.TextField(_("competitors"), blank=True)
    needs = models.TextField(_("client needs and pain points"), blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    tier = models.ForeignKey(
        "Tier",
        verbose_name=_("tier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
        db_index=False,  # account_tier_touch_idx and account_tier_idx lead with it (Meta)
    )
    # The tier's rank, copied by database triggers (migration 0042) whenever the account's tier
    # or a tier's rank changes, so the list sorted by tier reads account_tier_rank_idx in
    # order instead of joining the tiers and sorting every account (bench/README.md).
    tier_rank = models.PositiveSmallIntegerField(
        _("tier rank"), null=True, blank=True, editable=False
    )
    # Written by the nightly tiering job (insights.services.tiers_recompute).
    pareto_class = models.CharField(_("Pareto class"), max_length=1, blank=True, editable=False)
    tier_score = models.PositiveSmallIntegerField(
        _("tier score"), null=True, blank=True, editable=False
    )
    # No index on either: nothing looks accounts up by them but the deletion of a tier or a
    # scoring configuration (an admin's rare act, a scan of the accounts then), and every
    # nightly account update that is not HOT would write one more entry for each.
    recommended_tier = models.ForeignKey(
        "Tier",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        db_index=False,
    )
    recommendation_config = models.ForeignKey(
        "ScoringConfig",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        db_index=False,
    )
    recommended_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A leader reviewed the current recommendation (accepted or overrode it); the nightly job
    # clears this when it recommends a different tier.
    recommendation_reviewed = models.BooleanField(default=False, editable=False)
    # Someone asked a leader to review the tier (accounts.services.tier_review_request, the
    # accounts list's bulk action): the account is on the tier review list, whatever the
    # recommendation says, until a leader decides (tier_recommendation_review clears it).
    tier_review_requested_at = models.DateTimeField(
        _("tier review requested"), null=True, blank=True, editable=False
    )
    # The latest HealthScore, copied here so lists sort and filter without a join.
    health_score = models.PositiveSmallIntegerField(
        _("health"), null=True, blank=True, editable=False
    )
    # Both health columns are indexed (account_health_band_idx, account_health_sort_idx and
    # its ascending twin), so the nightly update of an account whose score or band changed is
    # not HOT: it costs the nightly health at 100,000 accounts about 4 s (32 → 36 s, two runs
    # each), and saves the list sorted by health 60–180 ms a page. bench/README.md.
    health_band = models.CharField(
        _("health band"),
        max_length=10,
        blank=True,
        editable=False,
        choices=HealthBand.choices,
    )
    # When the current owner was given the account (accounts.services account_create and
    # account_update): the "new account assigned" playbook trigger reads it.
    owner_assigned_at = models.DateTimeField(
        _("owner assigned"), null=True, blank=True, editable=False
    )
    # Kept up to date by activities.services.interaction_log so lists never aggregate.
    last_touch_at = models.DateTimeField(_("last touch"), null=True, blank=True, editable=False)
    # The latest QBR held, kept by activities.services.qbr_hold, so "QBR overdue" (lists and the
    # dashboard) reads the account row instead of every QBR.
    last_qbr_held_at = models.DateTimeField(
        _("last QBR held"), null=True, blank=True, editable=False
    )
    # Copied from the account's plans and agreed items by insights.account_rollups when they
    # are written (their triggers mark the account; the refresh, or a list that filters on
    # these, takes the marks first), so the list's "open pipeline" and "commitments overdue"
    # filters read the account row instead of every opportunity and commitment. The nightly
    # check compares them with the rules (plans.selectors.open_opportunities,
    # Commitment.objects.overdue) and repairs any drift.
    open_opportunities = models.PositiveIntegerField(default=0, editable=False)
    # The earliest due date among the open agreed items: overdue ones exist when it is before
    # today, so the value does not move at midnight.
    earliest_commitment_due = models.DateField(null=True, blank=True, editable=False)
    # When the next QBR falls due (Account.qbr_due_on, as AccountQuerySet.qbr_due_expression
    # works it out in SQL: the last QBR held, else the contract start, else the creation, plus
    # the tier's cadence), kept the same way: an account inserted, or updated in those columns
    # or its tier, marks the account, and a tier's QBR cadence written marks its accounts (the
    # triggers of migration insights/0012). It does not move at midnight either; a new business
    # time zone moves it (docs/portfolio.md, "The check").
    qbr_due_date = models.DateField(null=True, blank=True, editable=False)
    # Revenue windows in the account's currency, written by the nightly job
    # (accounts.services.account_revenue_refresh) so the portfolio dashboard sums 20,000
    # accounts instead of a million revenue records.
    revenue_last_12m = models.DecimalField(
        _("revenue, last 12 months"), max_digits=16, decimal_places=2, default=0, editable=False
    )
    revenue_prev_12m = models.DecimalField(
        _("revenue, the 12 months before"),
        max_digits=16,
        decimal_places=2,
        default=0,
        editable=False,
    )
    # The day of the refresh that last wrote the windows (computed for the first time, or
    # moved): the refresh leaves an account whose windows did not move alone. The day the
    # windows are as of is the last refresh's (RevenueRefresh), the same for every account.
    revenue_as_of = models.DateField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # What AccountQuerySet.name_contains tests: the name and the legal name upper-cased,
    # recomputed by PostgreSQL on each write of the row (two UPPER()s). account_name_idx holds
    # it beside the name: at most about 2.6 kB an entry with both names at their longest in
    # four-byte characters, under B-tree's 2,704 bytes as long as upper-casing does not lengthen
    # a text (libc collations, the default; check before raising either max_length).
    name_search = models.GeneratedField(
        expression=Concat(
            Upper("name"), Value(NAME_SEARCH_SEPARATOR), Upper("legal_name"),
            output_field=models.TextField(),
        ),
        output_field=models.TextField(),
        db_persist=True,
        editable=False,
    )  # fmt: skip
    # Accounts, stakeholders, plans, interactions and requests are found by the global search
    # (kam/search.py, insights/search.py); recomputed by PostgreSQL when a text changes.
    search_vector = models.GeneratedField(
        expression=search_vector(
            ("A", ("name", "legal_name", "tax_id", TAX_ID_DIGITS)), ("B", ("industry", "hq_city"))
        ),
        output_field=SearchVectorField(),
        db_persist=True,
        editable=False,
    )

    objects = AccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="account_external_id_unique",
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")), name="account_not_own_parent"
            ),
            models.CheckConstraint(
                condition=Q(status__in=AccountStatus.values), name="account_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(currency__in=Currency.values), name="account_currency_valid"
            ),
            date_range_check("contract_start", nullable=True, name="account_contract_start_range"),
            date_range_check("renewal_date", nullable=True, name="account_renewal_date_range"),
            date_range_check(
                "first_purchase_date", nullable=True, name="account_first_purchase_range"
            ),
            # Derived from interactions and QBRs (both in range), held to the range here too:
            # the touch and QBR rules add a cadence to them.
            datetime_range_check(
                "last_touch_at", nullable=True, name="account_last_touch_at_range"
            ),
            datetime_range_check(
                "last_qbr_held_at", nullable=True, name="account_last_qbr_held_at_range"
            ),
            datetime_range_check(
                "owner_assigned_at", nullable=True, name="account_owner_assigned_at_range"
            ),
            # Account.clean says it in words.
            models.CheckConstraint(
                condition=Q(contract_start__isnull=True)
                | Q(renewal_date__isnull=True)
                | Q(renewal_date__gte=models.F("contract_start")),
                name="account_renewal_not_before_start",
            ),
        ]
        # Every index here is written again by each account update that is not HOT, as the
        # nightly health's are once a score changes (the comment on health_band): an index is
        # added for a page that needs it. The owner's own index (its foreign key's) stays beside
        # account_owner_idx: few values deduplicate it to a third of that one's size, which the
        # filter options' probe of each KAM reads (at 100,000 accounts 4 ms without it, 2–3
        # with). The tier's became account_tier_touch_idx (below). An INCLUDE
        # index cannot deduplicate and grows under those updates (bench/README.md, "Nightly
        # health at 100,000 accounts"), nor can one with a numeric key column; the indexes that
        # cannot are listed in tests/kam/test_indexes.py (NOT_DEDUPLICATED).
        indexes = [
            GinIndex(fields=["search_vector"], name="account_search_idx"),
            # A KAM's accounts (accounts_for_user, the owner filter, the owner's PROTECT check)
            # and, for one owner or tier, the list's page in its default order (name, id),
            # index only.
            models.Index(fields=["owner", "name", "id"], name="account_owner_idx"),
            models.Index(fields=["tier", "name", "id"], name="account_tier_idx"),
            # The list's tier sort, each direction (no tier last either way, then name and id),
            # as the health sort's below: 100,000 accounts, page 500, 57 → 1.5 ms of SQL.
            models.Index(fields=["tier_rank", "name", "id"], name="account_tier_rank_idx"),
            models.Index(
                models.F("tier_rank").desc(nulls_last=True),
                models.F("name"),
                models.F("id"),
                name="account_tier_rank_desc_idx",
            ),
            # The list's last-touch sort, each direction (insights.selectors: NULLs last either
            # way, then name and id): page 1 reads 25 entries and page 500 12,500 instead of
            # sorting every account (11 → 1 and 16 → 2 ms at 20,000 accounts). The ascending
            # one also serves the touch-overdue filters' ranges.
            models.Index(fields=["last_touch_at", "name", "id"], name="account_touch_idx"),
            # The touch-overdue filter: a range of last touches per tier, each tier's cut-off
            # (AccountQuerySet.touch_overdue with the tiers read first), where ANDing a bitmap
            # of each tier's accounts with one of every account touched before its cut-off read
            # 70,000 index entries at 100,000 accounts (page 500 of the filter 16.8 → 9.8 ms of
            # SQL, bench/README.md). It replaces the tier's own foreign-key index.
            models.Index(fields=["tier", "last_touch_at"], name="account_tier_touch_idx"),
            models.Index(
                models.F("last_touch_at").desc(nulls_last=True),
                models.F("name"),
                models.F("id"),
                name="account_touch_desc_idx",
            ),
            # The list's health sort, each direction (NULLS last either way, then name and id):
            # page 1 reads 25 entries and page 500 12,500 instead of sorting every account
            # (100,000 accounts: 67 → 2 and 186 → 8 ms). What it costs the nightly health:
            # the comment on health_band.
            models.Index(
                models.F("health_score").desc(nulls_last=True),
                models.F("name"),
                models.F("id"),
                name="account_health_sort_idx",
            ),
            models.Index(
                models.F("health_score").asc(nulls_last=True),
                models.F("name"),
                models.F("id"),
                name="account_health_sort_asc_idx",
            ),
            # The accounts list's default order (name, then id): page 1 reads 25 entries
            # instead of sorting every account (bench/README.md). The upper-cased names too, so
            # that the list's search (name_contains) can be tested on the index's entries in
            # this order: a search that matches most accounts ("Ltda") counts and pages them
            # index only, where PostgreSQL read every account row and sorted the matches by
            # name for page 500 (the trigram index of accounts/migrations/0049 serves a search
            # that matches few). A key column of a deterministic collation, not INCLUDE: the
            # index stays deduplicated (`bt_metap(...).allequalimage` is true).
            models.Index(fields=["name", "id", "name_search"], name="account_name_idx"),
            # The filters' industries and regions for someone who sees every account: one
            # probe per distinct pair (accounts.selectors.industries_and_regions_for_user)
            # instead of reading every account on each list and dashboard view.
            # The first column also serves the industry filter alone; the region filter has its
            # own. The tier after them: the dashboard's and list's industry, region and tier
            # filters together read their accounts from this alone, where ANDing the bitmap of
            # the tier's 28,000 accounts cost each of the dashboard's statements 1–1.7 ms at
            # 100,000 accounts (bench/README.md).
            models.Index(fields=["industry", "region", "tier"], name="account_industry_region_idx"),
            models.Index(fields=["region"], name="account_region_idx"),
            # The dashboard's next renewals (soonest first, then name) and the list's renewal
            # sort read the first rows of this index instead of sorting the window's accounts;
            # its at-risk table and the band filter probe the band instead of reading every
            # account (29 and 26 ms at 100,000 accounts, bench/README.md).
            models.Index(fields=["renewal_date", "name", "id"], name="account_renewal_idx"),
            # The same for the live accounts alone: "renews within N days"
            # (AccountQuerySet.renewal_within, the dashboard's renewals drill-down) counts and
            # pages its window index only, where the index above needs each row's status and
            # PostgreSQL read every account instead (100,000 accounts, the 90-day window, count
            # and page 500: 49 + 49 → 4 + 3 ms). Its columns change in none of the nightly
            # updates. The condition is live_q written as ORs: PostgreSQL proves the filter's
            # IN implies it all the same, and its definition reads back as it was written (an
            # IN's array does not, and the large demo's loader recreates indexes from it).
            models.Index(
                fields=["renewal_date", "name", "id"],
                condition=functools.reduce(
                    operator.or_, (Q(status=status) for status in LIVE_STATUSES)
                ),
                name="account_live_renewal_idx",
            ),
            models.Index(fields=["health_band"], name="account_health_band_idx"),
            # The account page's share of the portfolio sums the live accounts' revenue in its
            # currency (accounts.selectors.account_revenue_summary): an index-only scan of
            # this instead of reading every account row (10 → 2.5 ms at 20,000 accounts).
            models.Index(
                fields=["currency", "status"],
                include=["revenue_last_12m"],
                name="account_currency_revenue_idx",
            ),
            # "QBR overdue" in the list's order (AccountQuerySet.with_qbr_overdue, from the
            # stored due date): page 500 reads the first matches of this in name order and the
            # count every entry, index only, where working out each live account's due date
            # from its dates and tier, then sorting the overdue ones' names, took 47 + 81 ms at
            # 100,000 accounts (bench/README.md). Key columns only, deduplicated (the comment on
            # account_name_idx).
            models.Index(
                fields=["name", "id", "status", "qbr_due_date"], name="account_qbr_due_idx"
            ),
            # The list's "open pipeline" filter (AccountQuerySet.with_open_pipeline): its count
            # is an index-only scan and its first page by name reads 25 entries, instead of
            # joining every open opportunity to its plan twice (bench/README.md).
            models.Index(
                fields=["name", "id"],
                condition=Q(open_opportunities__gt=0),
                name="account_open_pipeline_idx",
            ),
            # "Commitments overdue" (AccountQuerySet.with_overdue_commitments) in the list's
            # order: its page 500 reads about 15,000 entries of this, index only, where a range
            # of the due dates sorted the 82,000 overdue accounts' names (100,000 accounts: 72
            # → 4 ms); its count reads the whole index (8 → 14 ms).
            models.Index(
                fields=["name", "id"],
                include=["earliest_commitment_due"],
                name="account_commitment_due_idx",
            ),
            # A Pareto class (AccountQuerySet.in_pareto_class, the dashboard's Pareto
            # drill-down with revenue > 0) in the list's order: its count and its page read the
            # class's range of this, index only, where PostgreSQL read every account row for
            # each (class A, 25,700 of 100,000 accounts: count 46 → 3 ms, page 500 70 → 4,
            # bench/README.md). All key columns, no INCLUDE; but a numeric key column (the
            # revenue) rules out B-tree deduplication as INCLUDE does (PostgreSQL's
            # `bt_metap(...).allequalimage` is false for this index), so a row's versions each
            # keep an entry here until vacuum removes them.
            models.Index(
                fields=["pareto_class", "name", "id", "revenue_last_12m"],
                name="account_pareto_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("account_detail", args=[self.pk])

    def may_be_owned_by(self, user) -> bool:
        """Who may become the owner: a key account manager, or whoever owns it now (a leader
        who owns an account keeps it through an edit). Asked before the owner changes."""
        return user.role == Role.KAM or (self.owner_id is not None and user.pk == self.owner_id)

    def clean(self) -> None:
        """Rules within the row, for every write path (services, forms, API, importer); the
        database holds the same as the constraints account_not_own_parent and
        account_renewal_not_before_start. Longer parent loops: account_parent_check."""
        super().clean()
        if self.pk is not None and self.parent_id == self.pk:
            raise ValidationError({"parent": PARENT_LOOP_MESSAGE})
        start, renewal = self.contract_start, self.renewal_date
        if isinstance(start, date) and isinstance(renewal, date) and renewal < start:
            raise ValidationError(
                {"renewal_date": _("The renewal date cannot be before the contract start.")}
            )

    def days_since_last_touch(self, today: date) -> int | None:
        if self.last_touch_at is None:
            return None
        return (today - business_date(self.last_touch_at)).days

    @property
    def tier_mismatch(self) -> bool:
        return self.recommended_tier_id is not None and self.recommended_tier_id != self.tier_id

    # -- the account rules for one row (AccountQuerySet has the same for many) ----------------
    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def is_qbr_tracked(self) -> bool:
        return self.status in QBR_TRACKED_STATUSES

    def next_touch_due(self, default_cadence_days: int = 30) -> date | None:
        """When the tier's touch cadence (the configured default without a tier) says the next
        meaningful interaction is due: a date in the business time zone; None if never
        touched."""
        if self.last_touch_at is None:
            return None
        cadence = self.tier.touch_cadence_days if self.tier_id else default_cadence_days
        return business_date(self.last_touch_at) + timedelta(days=cadence)

    def touch_overdue(self, today: date, default_cadence_days: int = 30) -> bool:
        """Live, and never touched or the next touch was due before `today`
        (AccountQuerySet.touch_overdue)."""
        if not self.is_live:
            return False
        due = self.next_touch_due(default_cadence_days)
        return due is None or due < today

    @property
    def qbr_cadence_days(self) -> int:
        return self.tier.qbr_cadence_days if self.tier_id else DEFAULT_QBR_CADENCE_DAYS

    def qbr_due(self) -> QbrDue:
        """When the next QBR is due and what the clock counts from (AccountQuerySet.with_qbr_due
        has the date for many rows)."""
        return qbr_due(
            last_held_on=business_date(self.last_qbr_held_at) if self.last_qbr_held_at else None,
            contract_start=self.contract_start,
            created_on=business_date(self.created_at),
            cadence_days=self.qbr_cadence_days,
        )

    def qbr_due_on(self) -> date:
        """When the next QBR is due (AccountQuerySet.with_qbr_due)."""
        return self.qbr_due().due_on

    def qbr_overdue(self, today: date, qbrs: Iterable | None = None) -> bool:
        """QBR-tracked, no QBR planned from `today` on, and the next one was due before `today`
        (AccountQuerySet.qbr_overdue). `qbrs`: the account's QBRs already loaded; by default
        `self.qbrs.all()` (prefetched or one query)."""
        if not self.is_qbr_tracked:
            return False
        qbrs = self.qbrs.all() if qbrs is None else qbrs
        if any(q.status == _QBR_PLANNED and q.scheduled_on >= today for q in qbrs):
            return False
        return self.qbr_due_on() < today

    def renews_within(self, today: date, days: int) -> bool:
        """Live and renewing from `today` to `days` ahead, inclusive
        (AccountQuerySet.renewal_within)."""
        return (
            self.is_live
            and self.renewal_date is not None
            and today <= self.renewal_date <= today + timedelta(days=days)
        )

    def in_band(self, band: str) -> bool:
        return self.health_band in AccountQuerySet.band_values(band)

    def owner_assigned_within(self, today: date, days: int) -> bool:
        """The owner got the account on one of the `days` days up to `today`
        (AccountQuerySet.owner_assigned_within)."""
        if self.owner_assigned_at is None:
            return False
        assigned_on = business_date(self.owner_assigned_at)
        return today - timedelta(days=max(days - 1, 0)) <= assigned_on <= today

    def team_member_ids(self) -> set[int]:
        """Who may own our side of a commitment, risk or action: the owner and the team."""
        return {self.owner_id, *self.team.values_list("pk", flat=True)}

    def is_on_team(self, user) -> bool:
        """Owner or team member (uses the prefetched team when there is one)."""
        return user.pk == self.owner_id or any(member.pk == user.pk for member in self.team.all())


class Milestone(models.Model):
    """A moment in the relationship's history (first contract, merger, new CEO…)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="milestones")
    happened_on = models.DateField(_("date"), validators=[date_in_range])
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["-happened_on"]
        constraints = [date_range_check("happened_on", name="milestone_happened_on_range")]

    def __str__(self) -> str:
        return self.title


def revenue_window_q(window: revenue.Window) -> Q:
    """Records booked in `window` (accounts.revenue.windows): after its start, up to its end."""
    return Q(booked_on__gt=window.start, booked_on__lte=window.end)


def revenue_window_sums(day: date, *, margin: bool = False) -> dict:
    """Aggregates over revenue records as of `day`: `last` and `previous` (the two 12-month
    windows, 0 when empty) and, with `margin`, `costed` (amount of the last window's records
    that have a cost) and `cost` (their cost), for accounts.revenue.margin_pct."""
    zero = models.Value(revenue.ZERO)
    last, previous = revenue.windows(day)
    sums = {
        "last": models.functions.Coalesce(
            models.Sum("amount", filter=revenue_window_q(last)), zero
        ),
        "previous": models.functions.Coalesce(
            models.Sum("amount", filter=revenue_window_q(previous)), zero
        ),
    }
    if margin:
        costed = revenue_window_q(last) & Q(cost__isnull=False)
        sums["costed"] = models.Sum("amount", filter=costed)
        sums["cost"] = models.Sum("cost", filter=costed)
    return sums


class RevenueRecordQuerySet(models.QuerySet):
    def in_window(self, window: revenue.Window) -> "RevenueRecordQuerySet":
        return self.filter(revenue_window_q(window))

    def in_windows(self, day: date) -> "RevenueRecordQuerySet":
        """Records in either 12-month window as of `day` (none booked after it)."""
        last, previous = revenue.windows(day)
        return self.filter(booked_on__gt=previous.start, booked_on__lte=last.end)

    def window_totals(self, day: date, *, margin: bool = False) -> "RevenueRecordQuerySet":
        """One row per account: account_id, last, previous (and costed, cost with `margin`), as
        revenue_window_sums; RevenueRecord.window answers for one record."""
        return (
            self.in_windows(day)
            .order_by()
            .values("account_id")
            .annotate(**revenue_window_sums(day, margin=margin))
        )


class RevenueRecord(models.Model):
    """A won deal, order or invoice, in the account's currency."""

    class Kind(models.TextChoices):
        DEAL = "deal", _("Won deal")
        ORDER = "order", _("Order")
        INVOICE = "invoice", _("Invoice")

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="revenue_records", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.INVOICE)
    booked_on = models.DateField(_("date"), validators=[date_in_range])
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    cost = models.DecimalField(
        _("cost"), max_digits=14, decimal_places=2, null=True, blank=True,
        help_text=_("Optional; gives the margin."),
    )  # fmt: skip
    product = models.CharField(_("product"), max_length=200, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RevenueRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("revenue record")
        verbose_name_plural = _("revenue records")
        ordering = ["-booked_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "external_id"],
                condition=~Q(external_id=""),
                name="revenue_external_id_unique",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="revenue_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(cost__isnull=True) | Q(cost__gte=0), name="revenue_cost_not_negative"
            ),
            date_range_check("booked_on", name="revenue_booked_on_range"),
        ]
        indexes = [
            # Includes the amount so revenue windows (health, tiering) are index-only scans
            # (bench/README.md).
            models.Index(
                fields=["account", "booked_on"],
                include=["amount"],
                name="revenue_account_booked_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.booked_on} {self.amount}"

    def window(self, day: date) -> str | None:
        """The 12-month window this record counts in as of `day` (accounts.revenue.window_of)."""
        return revenue.window_of(self.booked_on, day)


class RevenueRefresh(models.Model):
    """A run of the accounts' revenue windows (accounts.services.account_revenue_refresh): the
    day the windows were computed as of, once per day, so the dashboard can say it without each
    account being rewritten every night to carry the date."""

    day = models.DateField(_("date"), unique=True)
    refreshed_at = models.DateTimeField(_("refreshed at"))
    accounts_changed = models.PositiveIntegerField(_("accounts changed"))

    class Meta:
        verbose_name = _("revenue refresh")
        verbose_name_plural = _("revenue refreshes")

    def __str__(self) -> str:
        return f"{self.day} ({self.accounts_changed})"


class RatingCriterion(models.TextChoices):
    GROWTH_POTENTIAL = "growth_potential", _("Growth potential")
    MARKET_INFLUENCE = "market_influence", _("Market influence")
    STRATEGIC_ALIGNMENT = "strategic_alignment", _("Strategic alignment")
    REFERRAL_VALUE = "referral_value", _("Referral value")


class QualitativeRating(models.Model):
    """A KAM's 1–5 judgement on one criterion. Every change is a new row: history is kept."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="ratings", db_index=False
    )
    criterion = models.CharField(_("criterion"), max_length=30, choices=RatingCriterion.choices)
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("qualitative rating")
        verbose_name_plural = _("qualitative ratings")
        ordering = ["-set_at"]
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="rating_1_to_5"),
            models.CheckConstraint(
                condition=Q(criterion__in=RatingCriterion.values), name="rating_criterion_valid"
            ),
        ]
        indexes = [models.Index(fields=["account", "criterion", "-set_at"])]

    def __str__(self) -> str:
        return f"{self.get_criterion_display()}: {self.score}"


class BuyingRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    ECONOMIC_BUYER = "economic_buyer", _("Economic buyer")
    CHAMPION = "champion", _("Champion")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", _("User")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")
    BLOCKER = "blocker", _("Blocker")


# Losing one of these (or the primary contact) flags the account until a replacement is named.
KEY_BUYING_ROLES = (BuyingRole.CHAMPION, BuyingRole.DECISION_MAKER)


class Stance(models.TextChoices):
    ADVOCATE = "advocate", _("Advocate")
    SUPPORTER = "supporter", _("Supporter")
    NEUTRAL = "neutral", _("Neutral")
    SCEPTIC = "sceptic", _("Sceptic")
    OPPONENT = "opponent", _("Opponent")


def erased_contact_label(pk: int) -> str:
    """The name an erased stakeholder keeps: neutral, numbered so two erased people on one
    org chart stay apart, stored in the site's language (settings.LANGUAGE_CODE)."""
    with translation.override(settings.LANGUAGE_CODE):
        return translation.gettext("Erased contact #%(id)s") % {"id": pk}


class Stakeholder(models.Model):
    # Looked up through stakeholder_account_idx (its first column), not an index of its own.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="stakeholders", db_index=False
    )
    name = models.CharField(_("name"), max_length=200)
    title = models.CharField(pgettext_lazy("job title", "title"), max_length=200, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    buying_role = models.CharField(
        _("buying role"), max_length=20, choices=BuyingRole.choices, default=BuyingRole.USER
    )
    influence = models.PositiveSmallIntegerField(
        _("influence"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    stance = models.CharField(
        _("stance"), max_length=10, choices=Stance.choices, default=Stance.NEUTRAL
    )
    reports_to = models.ForeignKey(
        "self",
        verbose_name=_("reports to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="direct_reports",
    )
    is_primary = models.BooleanField(_("primary contact"), default=False)
    left_on = models.DateField(
        _("left the company on"), null=True, blank=True, validators=[date_in_range]
    )
    notes = models.TextField(_("notes"), blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    # Kept up to date by activities.services.interaction_log.
    last_interaction_at = models.DateTimeField(
        _("last interaction"), null=True, blank=True, editable=False
    )
    # Bumped by every save (accounts.services.stakeholder_update): an edit opened before
    # another's save is refused, not applied over it.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by insights.services.stakeholder_erase (LGPD erasure on request): the row stays so
    # interactions, org charts and counts keep their shape; its personal data is gone and no
    # form, API call or import may fill it again.
    erased_at = models.DateTimeField(_("erased on"), null=True, blank=True, editable=False)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("erased by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # Accounts, stakeholders, plans, interactions and requests are found by the global search
    # (kam/search.py, insights/search.py); recomputed by PostgreSQL when a text changes.
    search_vector = models.GeneratedField(
        expression=search_vector(
            ("A", ("name", "email")), ("B", ("title", "department")), ("D", ("notes",))
        ),
        output_field=SearchVectorField(),
        db_persist=True,
        editable=False,
    )

    class Meta:
        verbose_name = _("stakeholder")
        verbose_name_plural = _("stakeholders")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(influence__gte=1, influence__lte=5), name="stakeholder_influence_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(buying_role__in=BuyingRole.values), name="stakeholder_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(stance__in=Stance.values), name="stakeholder_stance_valid"
            ),
            models.CheckConstraint(
                condition=~Q(reports_to=models.F("pk")), name="stakeholder_not_own_manager"
            ),
            models.UniqueConstraint(
                fields=["account", "external_id"],
                condition=~Q(external_id=""),
                name="stakeholder_external_id_unique",
            ),
            date_range_check("left_on", nullable=True, name="stakeholder_left_on_range"),
        ]
        indexes = [
            # An account's people by name, and the nightly health's coverage counts of 1,000
            # accounts' people at a time (insights.health_inputs.coverage_inputs) from the
            # index alone instead of each person's row (100,000 accounts: 5.6 → 3.9 s of SQL a
            # night). last_interaction_at changes when a person is logged in an interaction,
            # which is then not a HOT update: one person's row, not a night's.
            models.Index(
                fields=["account", "name"],
                include=["left_on", "buying_role", "is_primary", "last_interaction_at"],
                name="stakeholder_account_idx",
            ),
            GinIndex(fields=["search_vector"], name="stakeholder_search_idx"),
            # Captured email is matched to its people by address, whatever its case.
            models.Index(Lower("email"), name="stakeholder_email_lower"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The database's stakeholder_not_own_manager, worded; loops through others are
        refused by the service (accounts.services._check_reports_to)."""
        super().clean()
        if self.pk is not None and self.reports_to_id == self.pk:
            raise ValidationError({"reports_to": _("A stakeholder cannot report to themselves.")})

    @property
    def is_active(self) -> bool:
        return self.left_on is None

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def is_key_contact(self) -> bool:
        return self.is_primary or self.buying_role in KEY_BUYING_ROLES


# ---------------------------------------------------------------------------------------------
# Tiering and health


# The default tiers; their English names are stored and shown translated until renamed.
DEFAULT_TIER_NAMES = {
    "strategic": ("Strategic", _("Strategic")),
    "key": ("Key", _("Key")),
    "growth": ("Growth", _("Growth")),
    "maintain": ("Maintain", _("Maintain")),
}


class Tier(models.Model):
    """A service level an account is owed. Thresholds map tier scores to tiers (highest rank
    whose `min_score` the score reaches); the lowest tier takes the rest."""

    key = models.SlugField(_("key"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=60)
    rank = models.PositiveSmallIntegerField(
        _("rank"), unique=True, help_text=_("1 is the top tier.")
    )
    min_score = models.PositiveSmallIntegerField(
        _("minimum tier score"), default=0, validators=[MaxValueValidator(100)]
    )
    touch_cadence_days = models.PositiveSmallIntegerField(
        _("touch cadence (days)"), validators=[MinValueValidator(1)]
    )
    qbr_cadence_days = models.PositiveSmallIntegerField(
        _("QBR cadence (days)"), validators=[MinValueValidator(1)]
    )
    response_sla_hours = models.PositiveSmallIntegerField(
        _("response SLA (hours)"), validators=[MinValueValidator(1)]
    )
    max_accounts_per_kam = models.PositiveSmallIntegerField(
        _("maximum accounts per KAM"), validators=[MinValueValidator(1)]
    )
    escalation_grace_days = models.PositiveSmallIntegerField(
        _("escalation grace (days)"),
        default=3,
        validators=[MaxValueValidator(365)],
        help_text=_("Days an agreed item may stay overdue before its account's leader is told."),
    )
    exec_sponsor_required = models.BooleanField(_("executive sponsor required"), default=False)
    # Resolution targets of client requests, per priority, in business hours (the first
    # response target is response_sla_hours). Defaults per tier: accounts.defaults.
    resolution_urgent_hours = models.PositiveSmallIntegerField(
        _("resolution, urgent (hours)"),
        default=DEFAULT_RESOLUTION_HOURS["urgent"],
        validators=[MinValueValidator(1)],
    )
    resolution_high_hours = models.PositiveSmallIntegerField(
        _("resolution, high (hours)"),
        default=DEFAULT_RESOLUTION_HOURS["high"],
        validators=[MinValueValidator(1)],
    )
    resolution_normal_hours = models.PositiveSmallIntegerField(
        _("resolution, normal (hours)"),
        default=DEFAULT_RESOLUTION_HOURS["normal"],
        validators=[MinValueValidator(1)],
    )
    resolution_low_hours = models.PositiveSmallIntegerField(
        _("resolution, low (hours)"),
        default=DEFAULT_RESOLUTION_HOURS["low"],
        validators=[MinValueValidator(1)],
    )

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["rank"]
        constraints = [
            models.CheckConstraint(condition=Q(min_score__lte=100), name="tier_min_score_max_100"),
            models.CheckConstraint(
                condition=Q(touch_cadence_days__gte=1), name="tier_touch_cadence_positive"
            ),
            models.CheckConstraint(
                condition=Q(qbr_cadence_days__gte=1), name="tier_qbr_cadence_positive"
            ),
            models.CheckConstraint(
                condition=Q(
                    response_sla_hours__gte=1,
                    resolution_urgent_hours__gte=1,
                    resolution_high_hours__gte=1,
                    resolution_normal_hours__gte=1,
                    resolution_low_hours__gte=1,
                ),
                name="tier_sla_hours_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """Default tiers follow the reader's language until an admin renames them."""
        english, translated = DEFAULT_TIER_NAMES.get(self.key, (None, None))
        return str(translated) if self.name == english else self.name

    def policy(self) -> dict:
        return {
            "key": self.key,
            "name": self.name,
            "rank": self.rank,
            "min_score": self.min_score,
            "touch_cadence_days": self.touch_cadence_days,
            "qbr_cadence_days": self.qbr_cadence_days,
            "response_sla_hours": self.response_sla_hours,
            "max_accounts_per_kam": self.max_accounts_per_kam,
            "escalation_grace_days": self.escalation_grace_days,
            "exec_sponsor_required": self.exec_sponsor_required,
            **{
                f"resolution_{priority}_hours": self.resolution_hours(priority)
                for priority in REQUEST_PRIORITIES
            },
        }

    def resolution_hours(self, priority: str) -> int:
        """The resolution target of a request of `priority`, in business hours."""
        return getattr(self, f"resolution_{priority}_hours")


def sla_hours(tier: Tier | None, priority: str) -> tuple[int, int]:
    """(first response, resolution) targets in business hours for a request of `priority` on an
    account of `tier`; without a tier, the defaults above."""
    if tier is None:
        return DEFAULT_RESPONSE_SLA_HOURS, DEFAULT_RESOLUTION_HOURS[priority]
    return tier.response_sla_hours, tier.resolution_hours(priority)


class ScoringConfig(models.Model):
    """One immutable version of how accounts are tiered and scored. Saving the configuration
    writes a new version; every score and recommendation points at the version it used."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    health_weights = models.JSONField(_("health component weights"))
    healthy_min = models.PositiveSmallIntegerField(_("healthy from"), default=70)
    watch_min = models.PositiveSmallIntegerField(_("watch from"), default=40)
    default_touch_cadence_days = models.PositiveSmallIntegerField(
        _("touch cadence without a tier (days)"), default=30
    )
    tier_weights = models.JSONField(_("tiering criteria weights"))
    pareto_a_pct = models.DecimalField(
        _("class A: cumulative share of revenue, in percent"),
        max_digits=5,
        decimal_places=2,
        default=80,
    )
    pareto_b_pct = models.DecimalField(
        _("class B: cumulative share of revenue, in percent"),
        max_digits=5,
        decimal_places=2,
        default=95,
    )
    tiers = models.JSONField(_("tier policies"), default=list)

    class Meta:
        verbose_name = _("scoring configuration")
        verbose_name_plural = _("scoring configurations")
        ordering = ["-version"]
        constraints = [
            models.CheckConstraint(
                condition=Q(watch_min__lt=models.F("healthy_min"), healthy_min__lte=100),
                name="config_bands_ordered",
            ),
            models.CheckConstraint(
                condition=Q(
                    pareto_a_pct__gt=0,
                    pareto_a_pct__lt=models.F("pareto_b_pct"),
                    pareto_b_pct__lte=100,
                ),
                name="config_pareto_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class TierChange(models.Model):
    """Every change of an account's tier: who (None = the nightly job), when, from, to, why."""

    class Source(models.TextChoices):
        INITIAL = "initial", _("First recommendation applied")
        ACCEPTED = "accepted", _("Recommendation accepted")
        OVERRIDE = "override", pgettext_lazy("tier change source", "Override")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    # What the recommendation said when the change was made: an override that keeps the tier
    # reads "Recommendation Growth overridden: stays Strategic", not "Strategic → Strategic".
    recommended_tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    reason = models.TextField(_("reason"), blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    config = models.ForeignKey(
        ScoringConfig, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-changed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source="override") | ~Q(reason=""), name="tier_override_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.from_tier_id} → {self.to_tier_id}"

    @property
    def tier_changed(self) -> bool:
        """False for a review that kept the tier (an override choosing the current one): the
        history words it as the tier kept, not as a move from a tier to itself."""
        return self.from_tier_id != self.to_tier_id


BAND_ORDER = {"healthy": 3, "watch": 2, "at_risk": 1, "unknown": 0}


class HealthScore(models.Model):
    """One score per account per day, with its explanation and the version that made it."""

    # No index of their own: the nightly run inserts a row per account (millions of rows a
    # year), and every index is written for each. (account, day) below serves every lookup by
    # account; no scoring configuration is ever deleted, so nothing looks rows up by config.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="health_scores", db_index=False
    )
    day = models.DateField()
    score = models.PositiveSmallIntegerField(null=True)
    band = models.CharField(max_length=10, choices=HealthBand.choices)
    components = models.JSONField()
    previous_score = models.PositiveSmallIntegerField(null=True)
    movers = models.JSONField(default=list)
    config = models.ForeignKey(
        ScoringConfig, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("health score")
        verbose_name_plural = _("health scores")
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["account", "day"], name="health_one_score_per_day"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=100), name="health_score_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day}: {self.score}"

    @property
    def change(self) -> int | None:
        if self.score is None or self.previous_score is None:
            return None
        return self.score - self.previous_score


# NPS: 0–6 detractors, 7–8 passives, 9–10 promoters.
NPS_DETRACTOR_MAX = 6


class SatisfactionEntry(models.Model):
    """An NPS (0–10) or CSAT (1–5) answer from the client."""

    class Kind(models.TextChoices):
        NPS = "nps", _("NPS (0–10)")
        CSAT = "csat", _("CSAT (1–5)")

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="satisfaction", db_index=False
    )
    kind = models.CharField(_("survey"), max_length=4, choices=Kind.choices)
    score = models.PositiveSmallIntegerField(_("score"))
    recorded_on = models.DateField(_("date"), validators=[date_in_range])
    stakeholder = models.ForeignKey(
        Stakeholder,
        verbose_name=_("respondent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("satisfaction entry")
        verbose_name_plural = _("satisfaction entries")
        ordering = ["-recorded_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="nps") & Q(score__lte=10))
                | (Q(kind="csat") & Q(score__gte=1, score__lte=5)),
                name="satisfaction_score_in_scale",
            ),
            date_range_check("recorded_on", name="satisfaction_recorded_on_range"),
        ]
        indexes = [models.Index(fields=["account", "-recorded_on"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.score}"

    @property
    def is_nps_detractor(self) -> bool:
        """An NPS answer of NPS_DETRACTOR_MAX or less (the playbook trigger reads the latest
        answer: insights.playbooks)."""
        return self.kind == self.Kind.NPS and self.score <= NPS_DETRACTOR_MAX

    @classmethod
    def percent_of(cls, kind: str, score: int) -> float:
        """An answer on the 0–100 scale: NPS 0–10 times ten, CSAT 1–5 as 0, 25 … 100. From the
        two columns: the health inputs read them without building the entry."""
        return score * 10.0 if kind == cls.Kind.NPS else (score - 1) * 25.0


class HealthMonth(models.Model):
    """Each account's health at the end of a month (the score of its latest scored day of that
    month), kept by insights.services.health_recompute so the portfolio trend reads 12 rows
    per account instead of 365 daily scores. Written only when the score or band moves: which
    day is the month's latest is read from the daily scores, so a night whose score is
    yesterday's writes nothing here."""

    # No index of its own, as HealthScore's: the nightly run writes the rows that moved, and
    # (account, month) below serves every lookup by account.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="health_months", db_index=False
    )
    month = models.DateField(help_text="First day of the month.")
    score = models.PositiveSmallIntegerField(null=True)
    band = models.CharField(max_length=10, choices=HealthBand.choices)

    class Meta:
        verbose_name = _("monthly health")
        verbose_name_plural = _("monthly health")
        constraints = [
            models.UniqueConstraint(fields=["account", "month"], name="health_one_row_per_month"),
        ]
        indexes = [
            models.Index(
                fields=["month"], include=["score", "band", "account"], name="health_month_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.month:%Y-%m}: {self.score}"


class ExchangeRate(models.Model):
    """What one unit of `currency` is worth in the reporting currency (settings
    REPORTING_CURRENCY) from `valid_from` on, until a later rate for the same currency."""

    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    rate = models.DecimalField(
        _("rate"),
        max_digits=18,
        decimal_places=8,
        help_text=_("Value of one unit of the currency in the reporting currency."),
    )
    valid_from = models.DateField(_("valid from"), validators=[date_in_range])
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "valid_from"], name="exchange_rate_one_per_day"
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchange_rate_positive"),
            models.CheckConstraint(
                condition=Q(currency__in=Currency.values), name="exchange_rate_currency_valid"
            ),
            date_range_check("valid_from", name="exchange_rate_valid_from_range"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate} ({self.valid_from})"


class TimelineKind(models.TextChoices):
    INTERACTION = "interaction", _("Interaction")
    COMMITMENT_CREATED = "commitment_created", _("Commitment made")
    COMMITMENT_DONE = "commitment_done", _("Commitment completed")
    STAKEHOLDER_JOINED = "stakeholder_joined", _("Stakeholder joined")
    STAKEHOLDER_LEFT = "stakeholder_left", _("Stakeholder left")
    MILESTONE = "milestone", _("Milestone")
    QBR_HELD = "qbr_held", _("QBR held")
    REQUEST_RECEIVED = "request_received", _("Client request received")
    REQUEST_RESOLVED = "request_resolved", _("Client request resolved")
    PLAYBOOK_FIRED = "playbook_fired", _("Playbook started")


# What the timeline filter offers; each option covers one or more kinds.
TIMELINE_FILTERS = {
    "interactions": (TimelineKind.INTERACTION,),
    "commitments": (TimelineKind.COMMITMENT_CREATED, TimelineKind.COMMITMENT_DONE),
    "stakeholders": (TimelineKind.STAKEHOLDER_JOINED, TimelineKind.STAKEHOLDER_LEFT),
    "milestones": (TimelineKind.MILESTONE,),
    "qbrs": (TimelineKind.QBR_HELD,),
    "requests": (TimelineKind.REQUEST_RECEIVED, TimelineKind.REQUEST_RESOLVED),
    "playbooks": (TimelineKind.PLAYBOOK_FIRED,),
}


class TimelineEntry(models.Model):
    """One line of an account's timeline, written by the service that made the change.

    A single indexed table (instead of a UNION over every source) keeps the timeline one query
    per page whatever the history size; the text is rendered from `kind` and the linked row so
    it follows the reader's language.

    It lives with the account (the lowest layer that every writer can import); the rows it
    links in activities are named by string, so no import points up."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="timeline", db_index=False
    )
    kind = models.CharField(max_length=30, choices=TimelineKind.choices)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    interaction = models.ForeignKey(
        "activities.Interaction", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    commitment = models.ForeignKey(
        "activities.Commitment", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    stakeholder = models.ForeignKey(
        Stakeholder, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    qbr = models.ForeignKey(
        "activities.QBR", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    client_request = models.ForeignKey(
        "activities.ClientRequest",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    playbook_firing = models.ForeignKey(
        "activities.PlaybookFiring",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Kept from when the model lived in activities: the upgrade moves no rows.
        db_table = "activities_timelineentry"
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=TimelineKind.values), name="timeline_kind_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-occurred_at", "-id"]),
            models.Index(fields=["account", "kind", "-occurred_at", "-id"]),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.occurred_at:%Y-%m-%d}"


# ---------------------------------------------------------------------------------------------
# Working calendars (business hours for response SLAs: accounts/business_hours.py)


class BrazilianState(models.TextChoices):
    """The 27 federative units; their names are proper nouns, the same in both languages."""

    AC = "AC", "AC – Acre"
    AL = "AL", "AL – Alagoas"
    AM = "AM", "AM – Amazonas"
    AP = "AP", "AP – Amapá"
    BA = "BA", "BA – Bahia"
    CE = "CE", "CE – Ceará"
    DF = "DF", "DF – Distrito Federal"
    ES = "ES", "ES – Espírito Santo"
    GO = "GO", "GO – Goiás"
    MA = "MA", "MA – Maranhão"
    MG = "MG", "MG – Minas Gerais"
    MS = "MS", "MS – Mato Grosso do Sul"
    MT = "MT", "MT – Mato Grosso"
    PA = "PA", "PA – Pará"
    PB = "PB", "PB – Paraíba"
    PE = "PE", "PE – Pernambuco"
    PI = "PI", "PI – Piauí"
    PR = "PR", "PR – Paraná"
    RJ = "RJ", "RJ – Rio de Janeiro"
    RN = "RN", "RN – Rio Grande do Norte"
    RO = "RO", "RO – Rondônia"
    RR = "RR", "RR – Roraima"
    RS = "RS", "RS – Rio Grande do Sul"
    SC = "SC", "SC – Santa Catarina"
    SE = "SE", "SE – Sergipe"
    SP = "SP", "SP – São Paulo"
    TO = "TO", "TO – Tocantins"


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


ALL_WEEKDAYS = frozenset(day.value for day in Weekday)
MONDAY_TO_FRIDAY = frozenset({0, 1, 2, 3, 4})
# Working days are stored as a bitmask: bit n set = weekday n (0 = Monday) is a working day.
WEEKDAY_MASK_ALL = 0b1111111


def weekday_mask(weekdays: Iterable[int]) -> int:
    return sum(1 << day for day in set(weekdays))


def weekdays_of(mask: int) -> frozenset[int]:
    return frozenset(day for day in ALL_WEEKDAYS if mask >> day & 1)


def time_zone_is_known(value: str) -> None:
    if value not in known_time_zones():
        raise ValidationError(
            _("%(value)s is not a known time zone."),
            code="unknown_time_zone",
            params={"value": value},
        )


@functools.cache
def known_time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def weekday_mask_is_valid(value: int | None) -> None:
    if value is None or not 1 <= value <= WEEKDAY_MASK_ALL:
        raise ValidationError(_("Choose at least one working day."), code="no_working_day")


# The time zones of Brazil (IANA), offered first on the calendar form.
BRAZILIAN_TIME_ZONES = (
    "America/Sao_Paulo", "America/Araguaina", "America/Bahia", "America/Belem",
    "America/Boa_Vista", "America/Campo_Grande", "America/Cuiaba", "America/Eirunepe",
    "America/Fortaleza", "America/Maceio", "America/Manaus", "America/Noronha",
    "America/Porto_Velho", "America/Recife", "America/Rio_Branco", "America/Santarem",
)  # fmt: skip


class WorkingCalendar(models.Model):
    """When a team works: the hours, days, time zone and state whose holidays apply. Response
    SLAs of an account are counted in its owner's calendar (or the default one)."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="America/Sao_Paulo", validators=[time_zone_is_known]
    )
    opens = models.TimeField(_("opens at"), default=time(9))
    closes = models.TimeField(_("closes at"), default=time(18))
    weekday_mask = models.PositiveSmallIntegerField(
        _("working days"),
        default=weekday_mask(MONDAY_TO_FRIDAY),
        validators=[weekday_mask_is_valid],
    )
    subdivision = models.CharField(
        pgettext_lazy("Brazilian state", "state"),
        max_length=2,
        choices=BrazilianState.choices,
        blank=True,
        help_text=_("Its state holidays apply; national holidays always do."),
    )
    is_default = models.BooleanField(
        _("default calendar"),
        default=False,
        help_text=_("Used for accounts whose owner is in no calendar."),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="CalendarMembership",
        verbose_name=_("members"),
        blank=True,
        related_name="working_calendars",
    )

    class Meta:
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gt=F("opens")), name="working_calendar_closes_after_opens"
            ),
            models.CheckConstraint(
                condition=Q(weekday_mask__gte=1, weekday_mask__lte=WEEKDAY_MASK_ALL),
                name="working_calendar_some_working_day",
            ),
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="working_calendar_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.opens is not None and self.closes is not None and self.closes <= self.opens:
            raise ValidationError(
                {"closes": _("The closing time must be after the opening time.")},
                code="closes_before_opens",
            )

    @property
    def weekdays(self) -> frozenset[int]:
        return weekdays_of(self.weekday_mask)

    @property
    def weekday_labels(self) -> list[str]:
        return [str(Weekday(day).label) for day in sorted(self.weekdays)]

    def as_business_calendar(self, extra_holidays: Iterable[date] = ()) -> BusinessCalendar:
        return BusinessCalendar(
            time_zone=self.time_zone,
            opens=self.opens,
            closes=self.closes,
            weekdays=self.weekdays,
            subdivision=self.subdivision or None,
            extra_holidays=frozenset(extra_holidays),
        )


class CalendarMembership(models.Model):
    """A user whose accounts a calendar covers; a user is in one calendar at most."""

    calendar = models.ForeignKey(
        WorkingCalendar, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_membership"
    )

    class Meta:
        verbose_name = _("calendar member")
        verbose_name_plural = _("calendar members")

    def __str__(self) -> str:
        return f"{self.user} – {self.calendar}"


class CompanyHoliday(models.Model):
    """A day the company closes: in one calendar, or in every calendar when none is set."""

    calendar = models.ForeignKey(
        WorkingCalendar,
        verbose_name=_("calendar"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="company_holidays",
        help_text=_("Empty: every calendar."),
        db_index=False,
    )
    date = models.DateField(_("date"), validators=[date_in_range])
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("company holiday")
        verbose_name_plural = _("company holidays")
        ordering = ["date"]
        constraints = [
            date_range_check("date", name="company_holiday_date_in_range"),
            models.UniqueConstraint(
                fields=["calendar", "date"],
                nulls_distinct=False,
                name="company_holiday_one_per_calendar_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name}"


class SavedView(models.Model):
    """A saved view of the accounts list: its query string (filters, sort, columns), named by
    its owner. Shared, the owner's sales team sees it too (accounts.selectors.saved_views_for_user
    says who that is); applying one is opening the list with its query string."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="saved_views",
        db_index=False,
    )
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    shared = models.BooleanField(_("shared with my team"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_view_name_per_owner"),
        ]

    def __str__(self) -> str:
        return self.name
