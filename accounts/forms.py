from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.health_text import COMPONENT_LABELS
from accounts.models import (
    ACCOUNT_PROFILE_FIELDS,
    BRAZILIAN_TIME_ZONES,
    MONDAY_TO_FRIDAY,
    Account,
    AccountStatus,
    BrazilianState,
    CompanyHoliday,
    Currency,
    ExchangeRate,
    HealthBand,
    RatingCriterion,
    SatisfactionEntry,
    SavedView,
    Stakeholder,
    Tier,
    Weekday,
    WorkingCalendar,
    known_time_zones,
    weekday_mask,
)
from accounts.scoring import HEALTH_COMPONENTS, TIER_CRITERIA
from accounts.selectors import REFUSALS, Access, account_permits
from kam.forms import DateInput, date_field
from kam.models import User
from kam.params import BIGINT_MAX, parse_int
from kam.people import PeopleSelect, PeopleSelectMultiple, PersonField, people_choosable


def _ids(value) -> set[str]:
    """The ids a choice field's value names (a pk, a row, or a list of either)."""
    values = value if isinstance(value, list | tuple) else [value]
    return {str(getattr(item, "pk", item)) for item in values if item not in (None, "")}


class AccountForm(forms.ModelForm):
    """Profile fields. `version` travels with the form so a concurrent save is detected."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Account
        fields = ACCOUNT_PROFILE_FIELDS
        widgets = {
            "contract_start": DateInput(),
            "renewal_date": DateInput(),
            "first_purchase_date": DateInput(),
            "competitors": forms.Textarea(attrs={"rows": 2}),
            "needs": forms.Textarea(attrs={"rows": 4}),
            "owner": PeopleSelect("kams"),
            "team": PeopleSelectMultiple("active"),
        }

    def __init__(self, *args, user, parents, **kwargs):
        super().__init__(*args, **kwargs)
        # The owner is a KAM (or stays whoever owns it now), the team anyone active: what the
        # pickers' searches offer (kam.people).
        # Those chosen before stay choosable once out of the scope (a person who left the
        # company): kept until someone removes them, not dropped on an unrelated save.
        self.fields["owner"].queryset = people_choosable(
            "kams", user, [getattr(self.instance, "owner_id", None)]
        )
        self.fields["owner"].empty_label = None  # an account always has one: none chosen yet
        team = self.instance.team.values("pk") if self.instance.pk else ()
        self.fields["team"].queryset = people_choosable("active", user, team)
        self.fields["parent"].queryset = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].empty_label = _("No parent account")
        # A new account is asked about as if `user` owned it: a KAM creates accounts for
        # themselves (and picks their team); handing one over is a leader's call.
        subject = self.instance if self.instance.pk else Account(owner=user)
        self.locked = {}
        for name, action in (("owner", Access.CHANGE_OWNER), ("team", Access.CHANGE_TEAM)):
            if not account_permits(user, subject, action):
                self.locked[name] = REFUSALS[action]
                self.fields[name].disabled = True
        if "owner" in self.locked and not self.instance.pk:
            self.initial["owner"] = user.pk
        if self.instance.pk:
            self.initial["version"] = self.instance.version
        # Renewal before start and dates out of range: Account.clean and the fields'
        # validators, which the ModelForm runs.

    @property
    def refused(self) -> bool:
        """A locked field came with a different value: a change the user may not make."""
        return any(name in self.errors for name in self.locked)

    def clean(self):
        cleaned = super().clean()
        for name, reason in self.locked.items():
            # A disabled field keeps its initial value; a browser does not send it at all. One
            # sent with another value is a change refused, said on the field, not ignored.
            key = self.add_prefix(name)
            if key in self.data:
                field = self.fields[name]
                sent = field.widget.value_from_datadict(self.data, self.files, key)
                # Field.has_changed says "unchanged" for every disabled field: compare the ids.
                if _ids(sent) != _ids(self.get_initial_for_field(field, name)):
                    self.add_error(name, reason)
        return cleaned


# The accounts list's columns besides the name, which is always shown; the chooser (`cols`)
# picks among them.
ACCOUNT_LIST_COLUMNS = [
    ("industry", _("Industry")),
    ("owner", _("Owner")),
    ("status", _("Status")),
    ("tier", _("Tier")),
    ("health", _("Health")),
    ("revenue", _("Revenue, last 12 months")),
    ("last_touch", _("Last touch")),
    ("next_touch", _("Next touch due")),
    ("renewal", _("Renewal")),
    ("region", _("Region")),
    ("pareto", _("Pareto class")),
]
DEFAULT_COLUMNS = (
    "industry", "owner", "status", "tier", "health", "revenue", "last_touch", "next_touch",
    "renewal",
)  # fmt: skip

# Renewal windows the list offers (the dashboard links to 90).
RENEWAL_DAYS = (30, 60, 90, 180)


class AccountFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), ("live", _("Any but churned")), *AccountStatus.choices],
    )
    # Whoever owns an account the user sees: a people picker (kam.people).
    owner = PersonField(
        scope="owners",
        label=_("Owner"),
        required=False,
        empty_label=_("Any owner"),
        attrs={"class": "form-select form-select-sm"},
    )
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    tier = forms.ModelChoiceField(
        label=_("Tier"), required=False, queryset=Tier.objects.all(), empty_label=_("Any tier")
    )
    band = forms.ChoiceField(
        label=_("Health"),
        required=False,
        choices=[("", _("Any health")), *HealthBand.choices],
    )
    region = forms.ChoiceField(label=_("Region"), required=False)
    pareto = forms.ChoiceField(
        label=_("Pareto class"),
        required=False,
        choices=[("", _("Any class")), ("A", "A"), ("B", "B"), ("C", "C")],
    )
    # The flags below are what the portfolio dashboard's figures link to.
    touch = forms.ChoiceField(
        label=_("Touch"), required=False, choices=[("", _("Any")), ("overdue", _("Overdue"))]
    )
    qbr = forms.ChoiceField(
        label=_("QBR"), required=False, choices=[("", _("Any")), ("overdue", _("Overdue"))]
    )
    renewal = forms.TypedChoiceField(
        label=_("Renewal"),
        required=False,
        coerce=int,
        empty_value=None,
    )
    commitments = forms.ChoiceField(
        label=_("Commitments"),
        required=False,
        choices=[("", _("Any")), ("overdue", _("Some overdue"))],
    )
    pipeline = forms.ChoiceField(
        label=_("Expansion"),
        required=False,
        choices=[("", _("Any")), ("open", _("Open opportunities"))],
    )
    sla = forms.TypedChoiceField(
        label=_("Response SLA"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", _("Any")),
            ("30", _("Missed in the last 30 days")),
            ("90", _("Missed in the last 90 days")),
        ],
    )
    revenue = forms.ChoiceField(
        label=_("Revenue"),
        required=False,
        choices=[
            ("", _("Any")),
            ("last_12m", _("In the last 12 months")),
            ("prev_12m", _("In the 12 months before (retention base)")),
        ],
    )
    # A key of the list's sort (insights.selectors.account_sorting, `-key` descending); an
    # unknown one sorts by name, as a bookmark from before a column was dropped should.
    sort = forms.CharField(label=_("Sort by"), required=False, max_length=40)
    cols = forms.MultipleChoiceField(
        label=_("Columns"), required=False, choices=ACCOUNT_LIST_COLUMNS
    )
    # Hidden by the list: which saved view the filters came from (accounts.SavedView).
    view = forms.IntegerField(
        label=_("Saved view"), required=False, min_value=1, max_value=BIGINT_MAX
    )

    # Not filters: how the rows are shown, and where they came from.
    DISPLAY_FIELDS = ("sort", "cols", "view")

    def __init__(self, *args, user, industries, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].for_user(user)
        self.fields["industry"].choices = [("", _("Any industry"))] + [(i, i) for i in industries]
        self.fields["region"].choices = [("", _("Any region"))] + [(r, r) for r in regions]
        self.fields["renewal"].choices = [("", _("Any date"))] + [
            (str(days), _("In the next %(days)s days") % {"days": days}) for days in RENEWAL_DAYS
        ]

    def clean(self):
        cleaned = super().clean()
        # A filter of one value sent two (?owner=1&owner=2, an edited link): ignored and named
        # in the list's notice, as the dashboard refuses it, not one of them used unsaid.
        getlist = getattr(self.data, "getlist", None)
        for name, field in self.fields.items():
            if getlist is None or getattr(field.widget, "allow_multiple_selected", False):
                continue
            if len([value for value in getlist(name) if value != ""]) > 1:
                self.add_error(
                    name, _("Only one %(filter)s can be chosen.") % {"filter": field.label}
                )
        return cleaned

    def list_filters(self) -> dict:
        """The cleaned filters as accounts.selectors.account_list_rows arguments; the valid ones
        when some are not (invalid_labels names the others), none when unbound."""
        data = getattr(self, "cleaned_data", {})
        return {
            "search": data.get("q", ""),
            "status": data.get("status", ""),
            "owner_id": data["owner"].pk if data.get("owner") else None,
            "industry": data.get("industry", ""),
            "region": data.get("region", ""),
            "tier_id": data["tier"].pk if data.get("tier") else None,
            "band": data.get("band", ""),
            "pareto_class": data.get("pareto", ""),
            "touch_overdue": data.get("touch") == "overdue",
            "qbr_overdue": data.get("qbr") == "overdue",
            "renewal_within_days": data.get("renewal"),
            "commitments_overdue": data.get("commitments") == "overdue",
            "open_pipeline": data.get("pipeline") == "open",
            "revenue": data.get("revenue", ""),
            "sla_missed_days": data.get("sla"),
            "sort": data.get("sort") or "name",
        }

    def columns(self) -> list[str]:
        """The columns to show, in the list's order: the chosen ones, else the defaults."""
        chosen = set(getattr(self, "cleaned_data", {}).get("cols") or DEFAULT_COLUMNS)
        return [key for key, _label in ACCOUNT_LIST_COLUMNS if key in chosen]

    def filter_fields(self):
        """The bound fields the filter bar shows (the search box and the selects)."""
        return [field for field in self if field.name not in ("q", *self.DISPLAY_FIELDS)]

    def invalid_labels(self) -> list[str]:
        """The labels of the parameters that were ignored because they are not valid here."""
        return [str(self.fields[name].label or name) for name in self.errors]

    @classmethod
    def query_of(cls, query) -> str:
        """The part of `query` (a QueryDict) that is the list's state: its filters, sort and
        columns; no page, no export, no saved view."""
        kept = query.copy()
        for name in list(kept):
            if name not in cls.base_fields or name == "view":
                del kept[name]
        for name in list(kept):
            if not [value for value in kept.getlist(name) if value != ""]:
                del kept[name]
        return kept.urlencode()


class SavedViewForm(forms.ModelForm):
    """Name and sharing of a saved view of the accounts list (its query comes from the list)."""

    class Meta:
        model = SavedView
        fields = ["name", "shared"]

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        taken = SavedView.objects.filter(owner=self.owner, name=name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("You already have a view with this name."))
        return name


class IdListField(forms.Field):
    """Ids of rows ticked in a list (repeated parameter): whole numbers only."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Select at least one account."),
        "invalid": _("“%(value)s” is not an account number."),
    }

    def to_python(self, value) -> list[int]:
        ids = []
        for item in value or []:
            number = parse_int(str(item))
            if number is None:
                raise forms.ValidationError(
                    self.error_messages["invalid"], code="invalid", params={"value": item}
                )
            ids.append(number)
        return ids


class AccountBulkForm(forms.Form):
    """An action on the accounts ticked on the list."""

    REASSIGN, TIER_REVIEW, EXPORT = "reassign", "tier_review", "export"
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            (REASSIGN, _("Reassign owner")),
            (TIER_REVIEW, _("Ask for a tier review")),
            (EXPORT, _("Export selection")),
        ],
    )
    accounts = IdListField(label=_("Accounts"))
    owner = PersonField(
        scope="kams",
        label=_("New owner"),
        required=False,
        empty_label=_("Choose the new owner"),
        attrs={"class": "form-select form-select-sm"},
    )

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("auto_id", "bulk-%s")  # beside the filter form's fields on the list
        super().__init__(*args, **kwargs)
        self.fields["owner"].for_user(user)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == self.REASSIGN and not cleaned.get("owner"):
            self.add_error("owner", _("Choose the new owner."))
        return cleaned


class StakeholderForm(forms.ModelForm):
    class Meta:
        model = Stakeholder
        fields = [
            "name",
            "title",
            "department",
            "email",
            "phone",
            "buying_role",
            "influence",
            "stance",
            "reports_to",
            "is_primary",
            "left_on",
            "notes",
        ]
        widgets = {
            "left_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "influence": forms.NumberInput(attrs={"min": 1, "max": 5}),
        }

    # The version the form was drawn with (an edit's): a save made meanwhile is not overwritten.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reports_to"].queryset = account.stakeholders.exclude(pk=self.instance.pk)
        self.fields["left_on"].help_text = _("Set when the person leaves the company.")
        if self.instance.pk:
            self.initial.setdefault("version", self.instance.version)

    def person_fields(self) -> dict:
        """The person's fields as cleaned, without the version (the service's check)."""
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class RatingForm(forms.Form):
    criterion = forms.ChoiceField(label=_("Criterion"), choices=RatingCriterion.choices)
    score = forms.TypedChoiceField(
        label=_("Score"), coerce=int, choices=[(i, str(i)) for i in range(1, 6)]
    )


class MilestoneForm(forms.Form):
    happened_on = date_field(label=_("Date"))
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SatisfactionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Survey"), choices=SatisfactionEntry.Kind.choices)
    score = forms.IntegerField(label=_("Score"), min_value=0, max_value=10)
    recorded_on = date_field(label=_("Date"))
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500)

    def clean(self):
        cleaned = super().clean()
        score = cleaned.get("score")
        if (
            cleaned.get("kind") == SatisfactionEntry.Kind.CSAT
            and score is not None
            and not 1 <= score <= 5
        ):
            self.add_error("score", _("A CSAT score is from 1 to 5."))
        return cleaned


class TierReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("Accept")), ("override", _("Override"))])
    tier = forms.ModelChoiceField(label=_("Tier"), queryset=Tier.objects.all(), required=False)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=1000)


def _weight_field(label):
    return forms.IntegerField(label=label, min_value=0, max_value=1000)


class ScoringConfigForm(forms.Form):
    """Tiers, weights and cut-offs on one page; saving makes a new configuration version."""

    based_on_version = forms.IntegerField(widget=forms.HiddenInput)
    healthy_min = forms.IntegerField(label=_("Healthy from (score)"), min_value=0, max_value=100)
    watch_min = forms.IntegerField(label=_("Watch from (score)"), min_value=0, max_value=100)
    default_touch_cadence_days = forms.IntegerField(
        label=_("Touch cadence for accounts without a tier (days)"), min_value=1, max_value=365
    )
    pareto_a_pct = forms.DecimalField(
        label=_("Class A ends at this cumulative share of revenue (percent)"),
        min_value=1,
        max_value=100,
        decimal_places=2,
    )
    pareto_b_pct = forms.DecimalField(
        label=_("Class B ends at this cumulative share of revenue (percent)"),
        min_value=1,
        max_value=100,
        decimal_places=2,
    )

    TIER_FIELDS = (
        ("name", forms.CharField, {"max_length": 60}, _("Name")),
        (
            "min_score",
            forms.IntegerField,
            {"min_value": 0, "max_value": 100},
            _("Minimum tier score"),
        ),
        (
            "touch_cadence_days",
            forms.IntegerField,
            {"min_value": 1, "max_value": 365},
            _("Touch every (days)"),
        ),
        (
            "qbr_cadence_days",
            forms.IntegerField,
            {"min_value": 1, "max_value": 730},
            _("QBR every (days)"),
        ),
        (
            "response_sla_hours",
            forms.IntegerField,
            {"min_value": 1, "max_value": 720},
            _("Response SLA (hours)"),
        ),
        (
            "max_accounts_per_kam",
            forms.IntegerField,
            {"min_value": 1, "max_value": 500},
            _("Max accounts per KAM"),
        ),
        (
            "escalation_grace_days",
            forms.IntegerField,
            {"min_value": 0, "max_value": 365},
            _("Escalate overdue items after (days)"),
        ),
        ("exec_sponsor_required", forms.BooleanField, {"required": False}, _("Executive sponsor")),
        (
            "resolution_urgent_hours",
            forms.IntegerField,
            {"min_value": 1, "max_value": 2000},
            _("Resolve urgent requests in (business hours)"),
        ),
        (
            "resolution_high_hours",
            forms.IntegerField,
            {"min_value": 1, "max_value": 2000},
            _("Resolve high-priority requests in (business hours)"),
        ),
        (
            "resolution_normal_hours",
            forms.IntegerField,
            {"min_value": 1, "max_value": 2000},
            _("Resolve normal requests in (business hours)"),
        ),
        (
            "resolution_low_hours",
            forms.IntegerField,
            {"min_value": 1, "max_value": 2000},
            _("Resolve low-priority requests in (business hours)"),
        ),
    )

    def __init__(self, *args, config, tiers, **kwargs):
        super().__init__(*args, **kwargs)

        self.tiers = list(tiers)
        self.initial.update(
            based_on_version=config.version,
            healthy_min=config.healthy_min,
            watch_min=config.watch_min,
            default_touch_cadence_days=config.default_touch_cadence_days,
            pareto_a_pct=config.pareto_a_pct,
            pareto_b_pct=config.pareto_b_pct,
        )
        for key in HEALTH_COMPONENTS:
            self.fields[f"health_{key}"] = _weight_field(COMPONENT_LABELS[key])
            self.initial[f"health_{key}"] = config.health_weights.get(key, 0)
        for key in TIER_CRITERIA:
            self.fields[f"tier_{key}"] = _weight_field(TIER_CRITERION_LABELS[key])
            self.initial[f"tier_{key}"] = config.tier_weights.get(key, 0)
        for tier in self.tiers:
            for name, field_class, options, label in self.TIER_FIELDS:
                field_name = f"tier_{tier.key}_{name}"
                self.fields[field_name] = field_class(label=label, **options)
                self.initial[field_name] = getattr(tier, name)

    def health_fields(self):
        return [self[f"health_{key}"] for key in HEALTH_COMPONENTS]

    def tier_weight_fields(self):
        return [self[f"tier_{key}"] for key in TIER_CRITERIA]

    def tier_rows(self):
        return [
            (tier, [self[f"tier_{tier.key}_{name}"] for name, *_rest in self.TIER_FIELDS])
            for tier in self.tiers
        ]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "based_on_version": data["based_on_version"],
            "health_weights": {k: data[f"health_{k}"] for k in HEALTH_COMPONENTS},
            "tier_weights": {k: data[f"tier_{k}"] for k in TIER_CRITERIA},
            "healthy_min": data["healthy_min"],
            "watch_min": data["watch_min"],
            "default_touch_cadence_days": data["default_touch_cadence_days"],
            "pareto_a_pct": data["pareto_a_pct"],
            "pareto_b_pct": data["pareto_b_pct"],
            "tiers": [
                {"key": t.key, "rank": t.rank}
                | {name: data[f"tier_{t.key}_{name}"] for name, *_rest in self.TIER_FIELDS}
                for t in self.tiers
            ],
        }


TIER_CRITERION_LABELS = {
    "revenue": _("Revenue, last 12 months"),
    "revenue_share": _("Share of portfolio revenue"),
    "growth": _("12-month growth"),
    "margin": _("Margin"),
    "pareto": _("Pareto class (A/B/C)"),
    "growth_potential": _("Growth potential (KAM rating)"),
    "market_influence": _("Market influence (KAM rating)"),
    "strategic_alignment": _("Strategic alignment (KAM rating)"),
    "referral_value": _("Referral value (KAM rating)"),
}


class ExchangeRateForm(forms.ModelForm):
    """A rate from a date on. Errors name the field they are about."""

    class Meta:
        model = ExchangeRate
        fields = ["currency", "rate", "valid_from"]
        widgets = {"valid_from": DateInput()}

    def __init__(self, *args, reporting_currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.reporting_currency = reporting_currency
        self.fields["currency"].choices = [
            (code, label) for code, label in Currency.choices if code != reporting_currency
        ]

    def clean_rate(self):
        rate = self.cleaned_data["rate"]
        if rate is not None and rate <= 0:
            raise forms.ValidationError(_("The rate must be greater than zero."))
        return rate

    def clean(self):
        cleaned = super().clean()
        currency, valid_from = cleaned.get("currency"), cleaned.get("valid_from")
        if currency and valid_from:
            taken = ExchangeRate.objects.filter(currency=currency, valid_from=valid_from)
            if taken.exists():
                self.add_error(
                    "valid_from",
                    _("%(currency)s already has a rate from this date; delete it first.")
                    % {"currency": currency},
                )
        return cleaned

    def validate_constraints(self):
        # The field errors above already say what is wrong in the user's words.
        if not self._errors:
            super().validate_constraints()


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None, **kwargs):
        super().__init__(attrs=attrs, format="%H:%M", **kwargs)


class WorkingCalendarForm(forms.ModelForm):
    """A working calendar: its hours, days, zone, state, default flag and members."""

    time_zone = forms.ChoiceField(label=_("Time zone"))
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Working days"),
        choices=Weekday.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one working day.")},
    )
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=User.objects.none(),
        required=False,
        widget=PeopleSelectMultiple("active"),
        help_text=_(
            "The users whose accounts this calendar covers. A user in another calendar moves "
            "to this one."
        ),
    )

    class Meta:
        model = WorkingCalendar
        fields = ["name", "time_zone", "opens", "closes", "subdivision", "is_default"]
        widgets = {"opens": TimeInput(), "closes": TimeInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subdivision"].choices = [
            ("", _("None: national holidays only")),
            *BrazilianState.choices,
        ]
        brazil = [zone for zone in BRAZILIAN_TIME_ZONES if zone in known_time_zones()]
        others = sorted(known_time_zones() - set(brazil))
        self.fields["time_zone"].choices = [
            (_("Brazil"), [(zone, zone) for zone in brazil]),
            (_("Other time zones"), [(zone, zone) for zone in others]),
        ]
        members = self.instance.members.values("pk") if self.instance.pk else ()
        self.fields["members"].queryset = people_choosable("active", user, members)
        if self.instance.pk:
            self.initial.setdefault("weekdays", sorted(self.instance.weekdays))
            self.initial.setdefault(
                "members", list(self.instance.members.values_list("pk", flat=True))
            )
        else:
            self.initial.setdefault("weekdays", sorted(MONDAY_TO_FRIDAY))
        self.order_fields(
            ["name", "time_zone", "opens", "closes", "weekdays", "subdivision", "is_default"]
        )

    def _post_clean(self):
        # The weekday bitmask is not a form field: set it before the model's validation runs.
        self.instance.weekday_mask = weekday_mask(self.cleaned_data.get("weekdays") or ())
        super()._post_clean()

    def _get_validation_exclusions(self):
        # Marking this calendar default takes the flag from the current default (the service
        # does it), so "one default at most" is not this form's error.
        return {*super()._get_validation_exclusions(), "is_default"}

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "time_zone": data["time_zone"],
            "opens": data["opens"],
            "closes": data["closes"],
            "weekdays": data["weekdays"],
            "subdivision": data["subdivision"],
            "is_default": data["is_default"],
            "members": list(data["members"]),
        }


class CompanyHolidayForm(forms.ModelForm):
    """A company holiday added from a calendar's page: this calendar, or every calendar."""

    every_calendar = forms.BooleanField(label=_("In every calendar"), required=False)

    class Meta:
        model = CompanyHoliday
        fields = ["date", "name"]
        widgets = {"date": DateInput()}

    def __init__(self, *args, calendar: WorkingCalendar, **kwargs):
        super().__init__(*args, **kwargs)
        self.calendar = calendar

    def clean(self):
        cleaned = super().clean()
        day = cleaned.get("date")
        calendar = None if cleaned.get("every_calendar") else self.calendar
        if day and CompanyHoliday.objects.filter(calendar=calendar, date=day).exists():
            self.add_error("date", _("This day is already a company holiday there."))
        return cleaned

    def _post_clean(self):
        self.instance.calendar = None if self.cleaned_data.get("every_calendar") else self.calendar
        super()._post_clean()

    def service_kwargs(self) -> dict:
        return {
            "calendar": self.instance.calendar,
            "date": self.cleaned_data["date"],
            "name": self.cleaned_data["name"],
        }


class StakeholderEraseForm(forms.Form):
    """The confirmation step of an erasure: why (kept in the audit trail), and the person's
    name typed again so nobody erases the wrong contact by a slip."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Who asked, when and how (for example: email from the contact on 3 May)."),
    )
    confirm_name = forms.CharField(label=_("Type the contact's name to confirm"), max_length=200)

    def __init__(self, *args, stakeholder: Stakeholder, **kwargs):
        super().__init__(*args, **kwargs)
        self.stakeholder = stakeholder

    def clean_confirm_name(self) -> str:
        typed = " ".join(self.cleaned_data["confirm_name"].split())
        if typed.casefold() != " ".join(self.stakeholder.name.split()).casefold():
            raise forms.ValidationError(_("This is not the contact's name."))
        return typed
