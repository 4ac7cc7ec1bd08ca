"""The playbook editor's forms: the playbook itself and its steps (a capped formset)."""

from django import forms
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from accounts.models import Tier
from activities.models import MAX_OFFSET_DAYS, Playbook, StepOwner
from insights.playbooks import StepSpec
from kam.forms import UnixNewlinesMixin
from kam.people import PersonField, name_chosen_once


class PlaybookForm(UnixNewlinesMixin, forms.ModelForm):
    class Meta:
        model = Playbook
        fields = ["name", "description", "trigger", "band", "days", "tiers", "is_active"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "tiers": forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tiers"].queryset = Tier.objects.order_by("rank")
        self.fields["band"].choices = [("", "—"), *self.fields["band"].choices[1:]]

    def playbook_fields(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ("name", "description", "trigger", "band", "days", "is_active")
        }


class PlaybookStepForm(forms.Form):
    """One step. Blank rows are ignored; a named-user step names its user."""

    title = forms.CharField(label=_("Step"), max_length=300, required=False)
    owner_role = forms.ChoiceField(
        label=_("Owner"), choices=StepOwner.choices, initial=StepOwner.ACCOUNT_OWNER
    )
    user = PersonField(scope="active", label=_("Named user"), required=False)
    due_offset_days = forms.IntegerField(
        label=_("Due after (days)"), min_value=0, max_value=MAX_OFFSET_DAYS, initial=0
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].for_user(user, keep=[self.initial.get("user")])

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("title")
            and cleaned.get("owner_role") == StepOwner.NAMED_USER
            and not cleaned.get("user")
        ):
            self.add_error("user", _("Choose the user who owns this step."))
        return cleaned


class PlaybookStepFormSet(forms.BaseFormSet):
    @cached_property
    def forms(self) -> list[PlaybookStepForm]:
        forms_ = super().forms
        name_chosen_once(forms_, "user")  # one query for the named users of every step
        return forms_

    def filled_forms(self) -> list[PlaybookStepForm]:
        """The filled rows, in order (the service numbers its errors by this order)."""
        return [f for f in self.forms if f.cleaned_data.get("title")]

    def steps(self) -> list[StepSpec]:
        return [
            StepSpec(
                title=f.cleaned_data["title"],
                owner_role=f.cleaned_data["owner_role"],
                due_offset_days=f.cleaned_data["due_offset_days"],
                user=f.cleaned_data.get("user")
                if f.cleaned_data["owner_role"] == StepOwner.NAMED_USER
                else None,
            )
            for f in self.filled_forms()
        ]


# absolute_max: a posted TOTAL_FORMS is believed up to this many rows (activities.forms).
MAX_STEPS = 20
PlaybookSteps = forms.formset_factory(
    PlaybookStepForm,
    formset=PlaybookStepFormSet,
    extra=2,
    max_num=MAX_STEPS,
    absolute_max=MAX_STEPS,
    validate_max=True,
)


def step_initial(playbook: Playbook) -> list[dict]:
    return [
        {
            "title": step.title,
            "owner_role": step.owner_role,
            "user": step.user_id,
            "due_offset_days": step.due_offset_days,
        }
        for step in playbook.steps.all()
    ]
