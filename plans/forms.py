from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from activities.models import Commitment
from kam.forms import DateInput, UnixNewlinesMixin
from kam.models import User
from plans.models import (
    AccountPlan,
    BusinessUnit,
    Objective,
    Opportunity,
    OpportunityStage,
    Product,
    Risk,
    ValueHypothesis,
    WhitespaceState,
)
from plans.services import ITEM_FIELDS, PLAN_FIELDS


class PlanForm(UnixNewlinesMixin, forms.ModelForm):
    """The plan's own fields. `version` travels with the form so a concurrent save is caught."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = AccountPlan
        fields = list(PLAN_FIELDS)
        widgets = {
            "period_start": DateInput(),
            "period_end": DateInput(),
            "swot_strengths": forms.Textarea(attrs={"rows": 3}),
            "swot_weaknesses": forms.Textarea(attrs={"rows": 3}),
            "swot_opportunities": forms.Textarea(attrs={"rows": 3}),
            "swot_threats": forms.Textarea(attrs={"rows": 3}),
            "governance_rhythm": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["version"] = self.instance.version

    # The period's order and range: AccountPlan.clean and the fields' validators.

    def plan_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in PLAN_FIELDS}


class PlanItemForm(UnixNewlinesMixin, forms.ModelForm):
    """Base of the forms for a plan's rows. Choices are limited to the plan and its account:
    owners are the account owner and team; links point at rows of the same plan."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, plan: AccountPlan, team: list, default_owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        for owner in ("owner", "owner_user"):
            if owner in self.fields:
                self.fields[owner].queryset = User.objects.filter(
                    pk__in=[member.pk for member in team]
                ).order_by("full_name")
                if not self.instance.pk and default_owner is not None:
                    self.initial.setdefault(owner, default_owner.pk)
        for name, model in (("objective", Objective), ("opportunity", Opportunity), ("risk", Risk)):
            if name in self.fields:
                self.fields[name].queryset = model.objects.filter(plan=plan).order_by("pk")
        if "product" in self.fields:
            self.fields["product"].queryset = Product.objects.order_by("series", "name")
        if self.instance.pk:
            self.initial["version"] = self.instance.version
        else:
            del self.fields["version"]

    def item_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in ITEM_FIELDS[self._meta.model]}


class ObjectiveForm(PlanItemForm):
    class Meta:
        model = Objective
        fields = list(ITEM_FIELDS[Objective])
        widgets = {"due_date": DateInput()}

    def clean(self):
        cleaned = super().clean()
        baseline, target = cleaned.get("baseline"), cleaned.get("target")
        if baseline is not None and target is not None and baseline == target:
            self.add_error("target", _("The target must differ from the baseline."))
        return cleaned


class HypothesisForm(PlanItemForm):
    class Meta:
        model = ValueHypothesis
        fields = list(ITEM_FIELDS[ValueHypothesis])
        widgets = {"hypothesis": forms.Textarea(attrs={"rows": 2})}


class RiskForm(PlanItemForm):
    class Meta:
        model = Risk
        fields = list(ITEM_FIELDS[Risk])
        widgets = {
            "mitigation": forms.Textarea(attrs={"rows": 2}),
            "severity": forms.NumberInput(attrs={"min": 1, "max": 5}),
            "likelihood": forms.NumberInput(attrs={"min": 1, "max": 5}),
        }


class OpportunityForm(PlanItemForm):
    class Meta:
        model = Opportunity
        fields = list(ITEM_FIELDS[Opportunity])
        widgets = {
            "expected_close": DateInput(),
            "probability": forms.NumberInput(attrs={"min": 0, "max": 100}),
        }


class ActionForm(PlanItemForm):
    """A plan action: an agreed item owned by one of us. Moving its date asks why."""

    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=500,
        help_text=_(
            "Needed when the due date moves or the action is cancelled; kept on its history."
        ),
    )

    class Meta:
        model = Commitment
        fields = list(ITEM_FIELDS[Commitment])
        # As the model fields' names read on a form (Django capitalises a verbose_name, not a
        # label given here).
        labels = {"owner_user": capfirst(_("owner")), "title": capfirst(_("action"))}
        widgets = {"due_date": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_user"].required = True
        if not self.instance.pk:
            del self.fields["reason"]

    def item_fields(self) -> dict:
        fields = super().item_fields()
        if "reason" in self.fields:
            fields["reason"] = self.cleaned_data.get("reason", "")
        return fields


class BusinessUnitForm(forms.ModelForm):
    class Meta:
        model = BusinessUnit
        fields = ["name"]


class WhitespaceCellForm(forms.Form):
    business_unit = forms.ModelChoiceField(queryset=BusinessUnit.objects.none())
    product = forms.ModelChoiceField(queryset=Product.objects.all())
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Not assessed")), *WhitespaceState.choices],
    )
    opportunity = forms.ModelChoiceField(
        label=_("Opportunity"), required=False, queryset=Opportunity.objects.none()
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business_unit"].queryset = account.business_units.all()
        self.fields["opportunity"].queryset = Opportunity.objects.filter(plan__account=account)


class OpportunityMoveForm(forms.Form):
    """A card moved on the opportunity board: the stage it goes to and the version the board
    showed, so a move over someone else's newer save is refused."""

    stage = forms.ChoiceField(label=_("Move to"), choices=OpportunityStage.choices)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
