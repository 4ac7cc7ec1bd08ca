"""The portfolio dashboard's summary rows (insights.portfolio_slices, docs/portfolio.md).

Each row is what `insights.portfolio_slices.account_group_rows` answers for the accounts of one
*slice* of the portfolio (every account, one KAM's, one industry's or one region's, or the
accounts a user is on the team of without owning them), grouped by
tier, health band, Pareto class and currency, for one business day. Sums stay in each currency; the
page converts them with the day's rates. The rows are kept current as data changes: database
triggers *mark* the slices whose accounts changed (no rule is written in SQL), and the marked
slices are computed again by the same query the page used to run over every account.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SliceDimension(models.TextChoices):
    # Every account: the sums of the KAM slices (one KAM per account).
    PORTFOLIO = "portfolio", _("whole portfolio")
    OWNER = "owner", _("KAM")
    INDUSTRY = "industry", _("industry")
    REGION = "region", _("region")
    # The accounts a user is on the team of and does not own: with their KAM slice, every
    # account a KAM sees (the two never share an account).
    TEAM = "team", _("account team")


# A mark with this dimension asks for every slice (a tier's cadence or the scoring
# configuration changed: every account's figures may move).
EVERY_SLICE = "*"
# A mark with this dimension asks for the slices of one account (its id), as they are when the
# mark is taken: what a QBR, opportunity, plan, commitment or client request written marks.
ACCOUNT = "account"
# A mark with this dimension asks for the Pareto curves (PortfolioParetoBucket).
PARETO = "pareto"
# A mark with this dimension asks for one month of the health trend (PortfolioTrendCount);
# its value is the month's first day.
TREND = "trend"


class SliceRow(models.Model):
    """What every kind of slice row has: its business day, its slice and the account tier its
    figures are of."""

    day = models.DateField()
    dimension = models.CharField(max_length=10, choices=SliceDimension.choices)
    # The owner's or team member's id as text, or the industry or region ("" for accounts
    # without one, and for the whole portfolio).
    value = models.CharField(max_length=100)
    # Plain ids and values, no foreign keys: a deleted tier marks every slice instead.
    tier_id = models.IntegerField(null=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.day} {self.dimension}={self.value}"


class PortfolioSlice(SliceRow):
    health_band = models.CharField(max_length=10)
    pareto_class = models.CharField(max_length=1)
    currency = models.CharField(max_length=3)
    # Every account of the group, whatever its status: the accounts list's count without a
    # status filter (insights.selectors.account_list_count_stored). NULL in a row the code of
    # the release before it wrote while the web machines reloaded: the list then counts.
    accounts = models.IntegerField(null=True)
    # The accounts of the group with an open pipeline (AccountQuerySet.open_pipeline_q),
    # whatever their status: the list's count of that filter. NULL as `accounts` is.
    pipeline_accounts = models.IntegerField(null=True)
    # The accounts of the group in each status (accounts.models.AccountStatus): the list's
    # count of a status filter (insights.portfolio_slices.STATUS_COUNTS). NULL as `accounts` is.
    prospect_accounts = models.IntegerField(null=True)
    active_accounts = models.IntegerField(null=True)
    at_risk_accounts = models.IntegerField(null=True)
    churned_accounts = models.IntegerField(null=True)
    live_accounts = models.IntegerField()
    live_revenue = models.DecimalField(max_digits=20, decimal_places=2, null=True)
    touch = models.IntegerField()
    qbr = models.IntegerField()
    renewals = models.IntegerField()
    renewals_revenue = models.DecimalField(max_digits=20, decimal_places=2, null=True)
    cohort_base = models.DecimalField(max_digits=20, decimal_places=2, null=True)
    cohort_current = models.DecimalField(max_digits=20, decimal_places=2, null=True)
    cohort_kept = models.DecimalField(max_digits=20, decimal_places=2, null=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["day", "dimension", "value", "tier_id"], name="portfolio_slice_lookup"
            ),
        ]


class PortfolioLoadSlice(SliceRow):
    """The live accounts of one KAM slice and day per account tier (`load_group_rows`; kept for
    the KAM slices only): what the dashboard's load per KAM reads, a row per KAM and tier where
    PortfolioSlice splits each further by band, Pareto class and currency (5,400 rows instead
    of 37,600 at 100,000 accounts: bench/README.md)."""

    live_accounts = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["day", "dimension", "value", "tier_id"],
                include=["live_accounts"],
                name="portfolio_load_lookup",
            ),
        ]


class PortfolioPipelineSlice(SliceRow):
    """The open pipeline of one slice and day (`plans.selectors.open_opportunities` of its
    accounts) per account tier and opportunity currency: amount × probability summed (the
    weighted amount × 100) and the opportunities counted."""

    currency = models.CharField(max_length=3)
    weighted = models.DecimalField(max_digits=24, decimal_places=2)
    open = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["day", "dimension", "value"], name="portfolio_pipeline_lookup"),
        ]


class PortfolioCommitmentSlice(SliceRow):
    """The overdue commitments (`Commitment.objects.overdue`) of one slice's accounts and day,
    per account tier, and the accounts that have any."""

    overdue = models.IntegerField()
    accounts = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["day", "dimension", "value"], name="portfolio_commitment_lookup"),
        ]


class PortfolioSlaSlice(SliceRow):
    """The settled part of the SLA compliance counts (insights.sla.sla_settled_group_rows) of
    one slice's client requests and business day, per account tier and KAM: per window
    (insights.sla.WINDOWS, 30 and 90 days), the requests, and the first-response and resolution
    clocks met and missed. The page adds what can move during the day, read live."""

    kam_id = models.IntegerField()
    w30_requests = models.IntegerField()
    w30_fr_met = models.IntegerField()
    w30_fr_missed = models.IntegerField()
    w30_res_met = models.IntegerField()
    w30_res_missed = models.IntegerField()
    w90_requests = models.IntegerField()
    w90_fr_met = models.IntegerField()
    w90_fr_missed = models.IntegerField()
    w90_res_met = models.IntegerField()
    w90_res_missed = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["day", "dimension", "value"], name="portfolio_sla_lookup"),
        ]


class PortfolioSlaDueSlice(SliceRow):
    """The open clocks of one slice's settled requests (insights.sla.sla_settled_group_rows)
    that fall due during the business day (insights.sla.sla_falling_due_group_rows), per
    account tier, KAM and due moment: per window, the first-response and resolution clocks. Each
    is missed from its due moment on, so the page counts those due before `now` without reading
    the requests (or their accounts for the tier and KAM)."""

    kam_id = models.IntegerField()
    due_at = models.DateTimeField()
    w30_fr_due = models.IntegerField()
    w30_res_due = models.IntegerField()
    w90_fr_due = models.IntegerField()
    w90_res_due = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["day", "dimension", "value"], name="portfolio_sla_due_lookup"),
        ]


class PortfolioParetoBucket(models.Model):
    """One bar of the dashboard's Pareto curve for one day: the live accounts ranked by revenue
    (converted with the day's rates) cut into buckets of equal count. Not a slice: a rank needs
    every account, so the curve is computed whole, for the whole portfolio (tier_id None) and
    for each tier, when an account's revenue, status, currency or tier or a rate changed."""

    day = models.DateField()
    tier_id = models.IntegerField(null=True)
    bucket = models.IntegerField()
    accounts = models.IntegerField()
    revenue = models.DecimalField(max_digits=24, decimal_places=2)
    first = models.IntegerField()  # the ranks of the bucket's first and last account
    last = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.day} {self.tier_id} {self.bucket}"


class PortfolioTrendCount(models.Model):
    """The whole portfolio's health trend: accounts per month, band and score of their monthly
    health row (accounts.HealthMonth). Marked per month by the health rows written; a marked
    month is counted again."""

    day = models.DateField()
    month = models.DateField()
    band = models.CharField(max_length=10)
    score = models.IntegerField()
    accounts = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.month} {self.band} {self.score}"


class PortfolioSliceMark(models.Model):
    """A slice whose accounts changed since its rows were computed (written by the triggers of
    migration insights/0002; taken by insights.portfolio_slices).

    Plain inserts, no unique key: an upsert would lock the mark until the writing transaction
    commits, so a long import would hold up every quick log of its industry. A mark becomes
    visible with the change it marks; a refresh computes the slices of the marks it read and
    deletes those marks only, so a change committed meanwhile keeps its own mark."""

    dimension = models.CharField(max_length=10)
    value = models.CharField(max_length=100)

    class Meta:
        indexes = [models.Index(fields=["dimension", "value"], name="portfolio_slice_mark")]

    def __str__(self) -> str:
        return f"{self.dimension}={self.value}"


class PortfolioSliceBuild(models.Model):
    """The business days whose rows were computed in full, and what the last check found."""

    day = models.DateField(unique=True)
    built_at = models.DateTimeField()
    checked_at = models.DateTimeField(null=True)
    # Rows the last check had to repair (added, removed or changed); 0 when all agreed.
    drift = models.IntegerField(null=True)

    def __str__(self) -> str:
        return f"{self.day}"
