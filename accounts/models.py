from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Currency(models.TextChoices):
    BRL = "BRL", "BRL"
    USD = "USD", "USD"
    EUR = "EUR", "EUR"


class AccountStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Active")
    AT_RISK = "at_risk", _("At risk")
    CHURNED = "churned", _("Churned")


class Account(models.Model):
    """A client company. Revenue figures are derived from RevenueRecord, never typed."""

    name = models.CharField(_("name"), max_length=200)
    legal_name = models.CharField(_("legal name"), max_length=250, blank=True)
    tax_id = models.CharField(_("tax id"), max_length=40, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True, db_index=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    hq_city = models.CharField(_("HQ city"), max_length=100, blank=True)
    hq_country = models.CharField(_("HQ country"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True, db_index=True)
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
    contract_start = models.DateField(_("contract start"), null=True, blank=True)
    renewal_date = models.DateField(_("renewal date"), null=True, blank=True)
    first_purchase_date = models.DateField(_("first purchase date"), null=True, blank=True)
    competitors = models.TextField(_("competitors"), blank=True)
    needs = models.TextField(_("client needs and pain points"), blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    # Kept up to date by activities.services.interaction_log so lists never aggregate.
    last_touch_at = models.DateTimeField(_("last touch"), null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

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
        ]
        indexes = [
            models.Index(fields=["owner", "name"]),
            models.Index(fields=["last_touch_at"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("account_detail", args=[self.pk])

    def days_since_last_touch(self, today: date) -> int | None:
        if self.last_touch_at is None:
            return None
        return (today - timezone.localdate(self.last_touch_at)).days

    def is_on_team(self, user) -> bool:
        """Owner or team member (uses the prefetched team when there is one)."""
        return user.pk == self.owner_id or any(member.pk == user.pk for member in self.team.all())


class Milestone(models.Model):
    """A moment in the relationship's history (first contract, merger, new CEO…)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="milestones")
    happened_on = models.DateField(_("date"))
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

    def __str__(self) -> str:
        return self.title


class RevenueRecord(models.Model):
    """A won deal, order or invoice, in the account's currency."""

    class Kind(models.TextChoices):
        DEAL = "deal", _("Won deal")
        ORDER = "order", _("Order")
        INVOICE = "invoice", _("Invoice")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="revenue_records")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.INVOICE)
    booked_on = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    cost = models.DecimalField(
        _("cost"), max_digits=14, decimal_places=2, null=True, blank=True,
        help_text=_("Optional; gives the margin."),
    )  # fmt: skip
    product = models.CharField(_("product"), max_length=200, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

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
        ]
        indexes = [models.Index(fields=["account", "booked_on"])]

    def __str__(self) -> str:
        return f"{self.account} {self.booked_on} {self.amount}"


class RatingCriterion(models.TextChoices):
    GROWTH_POTENTIAL = "growth_potential", _("Growth potential")
    MARKET_INFLUENCE = "market_influence", _("Market influence")
    STRATEGIC_ALIGNMENT = "strategic_alignment", _("Strategic alignment")
    REFERRAL_VALUE = "referral_value", _("Referral value")


class QualitativeRating(models.Model):
    """A KAM's 1–5 judgement on one criterion. Every change is a new row: history is kept."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="ratings")
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


class Stakeholder(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="stakeholders")
    name = models.CharField(_("name"), max_length=200)
    title = models.CharField(_("title"), max_length=200, blank=True)
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
    left_on = models.DateField(_("left the company on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    # Kept up to date by activities.services.interaction_log.
    last_interaction_at = models.DateTimeField(
        _("last interaction"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

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
        ]
        indexes = [models.Index(fields=["account", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.left_on is None

    @property
    def is_key_contact(self) -> bool:
        return self.is_primary or self.buying_role in KEY_BUYING_ROLES
