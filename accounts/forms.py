from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, AccountStatus, RatingCriterion, Stakeholder
from kam.models import Role, User


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class AccountForm(forms.ModelForm):
    """Profile fields. `version` travels with the form so a concurrent save is detected."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Account
        fields = [
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
        widgets = {
            "contract_start": DateInput(),
            "renewal_date": DateInput(),
            "first_purchase_date": DateInput(),
            "competitors": forms.Textarea(attrs={"rows": 2}),
            "needs": forms.Textarea(attrs={"rows": 4}),
            "team": forms.SelectMultiple(attrs={"size": 5}),
        }

    def __init__(self, *args, user, parents, **kwargs):
        super().__init__(*args, **kwargs)
        people = User.objects.filter(is_active=True).order_by("full_name")
        self.fields["owner"].queryset = people.filter(role=Role.KAM) | people.filter(
            pk=getattr(self.instance, "owner_id", None)
        )
        self.fields["team"].queryset = people
        self.fields["parent"].queryset = parents.exclude(pk=self.instance.pk)
        if not user.sees_all_accounts:
            # A KAM creates accounts for themselves; handing one over is a leader's call.
            self.fields["owner"].disabled = True
            if not self.instance.pk:
                self.initial["owner"] = user.pk
        if self.instance.pk:
            self.initial["version"] = self.instance.version

    def clean(self):
        cleaned = super().clean()
        start, renewal = cleaned.get("contract_start"), cleaned.get("renewal_date")
        if start and renewal and renewal < start:
            self.add_error(
                "renewal_date", _("The renewal date cannot be before the contract start.")
            )
        return cleaned


class AccountFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *AccountStatus.choices]
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), required=False, queryset=User.objects.none(), empty_label=_("Any owner")
    )
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("name", _("Name (A–Z)")),
            ("-name", _("Name (Z–A)")),
            ("-last_touch", _("Last touch (newest)")),
            ("last_touch", _("Last touch (oldest)")),
            ("renewal", _("Renewal (soonest)")),
        ],
    )

    def __init__(self, *args, owners, industries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["industry"].choices = [("", _("Any industry"))] + [(i, i) for i in industries]


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

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reports_to"].queryset = account.stakeholders.exclude(pk=self.instance.pk)
        self.fields["left_on"].help_text = _("Set when the person leaves the company.")


class RatingForm(forms.Form):
    criterion = forms.ChoiceField(label=_("Criterion"), choices=RatingCriterion.choices)
    score = forms.TypedChoiceField(
        label=_("Score"), coerce=int, choices=[(i, str(i)) for i in range(1, 6)]
    )


class MilestoneForm(forms.Form):
    happened_on = forms.DateField(label=_("Date"), widget=DateInput())
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
