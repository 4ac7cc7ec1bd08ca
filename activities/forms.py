from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activities.models import (
    Interaction,
    InteractionCategory,
    InteractionKind,
    NotificationPreference,
    RequestChannel,
    RequestPriority,
    Sentiment,
)
from kam.dates import business_date
from kam.forms import FlatChoices, date_field, datetime_field
from kam.models import User


def owner_choices(account, team: list[User], stakeholders) -> list:
    """One select for both sides: our team ("u<pk>") and the client's people ("s<pk>")."""
    return [
        (_("Our team"), [(f"u{user.pk}", str(user)) for user in team]),
        (_("Client"), [(f"s{person.pk}", person.name) for person in stakeholders]),
    ]


def resolve_owner(value: str, team: list[User], stakeholders) -> tuple[User | None, object]:
    kind, pk = value[:1], value[1:]
    if kind == "u":
        return next((u for u in team if str(u.pk) == pk), None), None
    if kind == "s":
        return None, next((s for s in stakeholders if str(s.pk) == pk), None)
    return None, None


SUMMARY_MAX = Interaction._meta.get_field("summary").max_length
# A summary cut at a word ends no more than this many characters short of the limit.
WORD_CUT_SLACK = 60


def split_summary(text: str, limit: int = SUMMARY_MAX) -> tuple[str, str]:
    """A summary longer than `limit`: the part that fits (cut between words where one ends
    near the limit, and marked "…") and the rest (marked "…" where it picks up)."""
    if len(text) <= limit:
        return text, ""
    cut = limit - 1  # room for the "…"
    space = text.rfind(" ", 0, cut + 1)
    if space >= cut - WORD_CUT_SLACK:
        cut = space
    return text[:cut].rstrip() + "…", "…" + text[cut:].lstrip()


class QuickLogForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Type"), choices=InteractionKind.choices, initial=InteractionKind.MEETING
    )
    occurred_at = datetime_field(label=_("Date"))
    stakeholders = forms.MultipleChoiceField(
        label=_("Stakeholders present"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    # No max_length: the browser would cut what is typed or pasted at the limit without a word
    # (maxlength). A longer summary keeps what fits and the rest moves to the notes (clean).
    summary = forms.CharField(
        label=_("Summary"),
        help_text=_("Up to 300 characters; anything longer moves to the start of the notes."),
        widget=forms.TextInput(attrs={"data-char-limit": SUMMARY_MAX}),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    sentiment = forms.TypedChoiceField(
        label=_("Sentiment"), coerce=int, choices=Sentiment.choices, initial=Sentiment.NEUTRAL
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=InteractionCategory.choices,
        initial=InteractionCategory.EVOLUTION,
    )

    answers_request = forms.ChoiceField(label=_("This answers request"), required=False)
    resolves_request = forms.BooleanField(label=_("…and resolves it"), required=False)

    def __init__(self, *args, stakeholders, open_requests=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.request_rows = list(open_requests)
        self.fields["answers_request"].choices = [("", "—")] + [
            (str(r.pk), f"#{r.pk} {r.subject}") for r in self.request_rows
        ]
        self.stakeholder_rows = list(stakeholders)
        self.fields["stakeholders"].choices = [
            (str(s.pk), f"{s.name} · {s.title}" if s.title else s.name)
            for s in self.stakeholder_rows
        ]
        self.initial.setdefault(
            "occurred_at", timezone.localtime().replace(second=0, microsecond=0)
        )

    def clean_occurred_at(self):
        """The default is "now" to the minute; kept as that minute, a log made now would sort
        below things that happened seconds earlier, so the current minute means now."""
        value = self.cleaned_data["occurred_at"]
        now = timezone.now()
        if value.replace(second=0, microsecond=0) == now.replace(second=0, microsecond=0):
            return now
        return value

    def clean_stakeholders(self):
        chosen = set(self.cleaned_data["stakeholders"])
        return [s for s in self.stakeholder_rows if str(s.pk) in chosen]

    def clean_answers_request(self):
        chosen = self.cleaned_data["answers_request"]
        return next((r for r in self.request_rows if str(r.pk) == chosen), None)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("resolves_request") and not cleaned.get("answers_request"):
            self.add_error("answers_request", _("Choose the request this resolves."))
        summary = cleaned.get("summary") or ""
        self.summary_moved = 0  # how many characters of the summary went to the notes
        if len(summary) > SUMMARY_MAX:
            cleaned["summary"], rest = split_summary(summary)
            notes = (cleaned.get("notes") or "").strip()
            cleaned["notes"] = f"{rest}\n\n{notes}" if notes else rest
            self.summary_moved = len(rest)
        return cleaned


class NextStepForm(forms.Form):
    """A next step row. Blank rows are ignored; a half-filled row is an error."""

    title = forms.CharField(label=_("Next step"), max_length=300, required=False)
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    due_date = date_field(label=_("Due"), required=False)

    def __init__(self, *args, owner_choices, default_owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = owner_choices
        self.initial.setdefault("owner", default_owner)
        self.initial.setdefault("due_date", business_date() + timedelta(days=7))

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("title"):
            return cleaned
        if not cleaned.get("owner"):
            self.add_error("owner", _("Choose who owns this next step."))
        if not cleaned.get("due_date"):
            self.add_error("due_date", _("Give the next step a due date."))
        return cleaned


class NextStepFormSet(forms.BaseFormSet):
    def steps_forms(self) -> list[NextStepForm]:
        """The filled rows, in order (the service numbers its errors by this order)."""
        return [f for f in self.forms if f.cleaned_data.get("title")]

    def steps(self) -> list[dict]:
        return [f.cleaned_data for f in self.steps_forms()]


# absolute_max: a posted TOTAL_FORMS is believed up to this many rows (Django's default, 1,010,
# builds and renders a thousand forms for one hostile number).
NextSteps = forms.formset_factory(
    NextStepForm,
    formset=NextStepFormSet,
    extra=1,
    max_num=10,
    absolute_max=10,
    validate_max=True,
)


class CommitmentForm(forms.Form):
    title = forms.CharField(label=_("What"), max_length=300)
    owner = forms.ChoiceField(label=_("Owner"))
    due_date = date_field(label=_("Due date"))

    def __init__(self, *args, owner_choices, default_owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = owner_choices
        self.initial.setdefault("owner", default_owner)


# --- inline follow-through on one agreed item (My work, account, plan, QBR) -------------------


class CompactForm(forms.Form):
    """The small inline forms under an item's row use Bootstrap's small controls."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs.setdefault("class", f"{css} {css}-sm")


class FollowUpForm(CompactForm):
    """A change to one agreed item from under its row: it carries the item's version as the
    user saw it, so a save after someone else's change is refused instead of applied over it
    (activities.services.StaleEdit)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


class RescheduleForm(FollowUpForm):
    due_date = date_field(label=_("New due date"))
    reason = forms.CharField(label=_("Why it moves"), max_length=500)


class ReassignForm(FollowUpForm):
    owner = forms.ChoiceField(label=_("New owner"))
    reason = forms.CharField(label=_("Note (optional)"), max_length=500, required=False)

    def __init__(self, *args, owner_choices, current, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = owner_choices
        self.initial.setdefault("owner", current)


class ItemEditForm(FollowUpForm):
    title = forms.CharField(label=_("What"), max_length=300)


class CancelForm(FollowUpForm):
    reason = forms.CharField(label=_("Why it is cancelled"), max_length=500)


class ReopenForm(CompactForm):
    reason = forms.CharField(label=_("Note (optional)"), max_length=500, required=False)


class AgreedItemForm(CompactForm):
    """My work's quick add: something I agreed to do for one of my accounts."""

    # (pk, name) pairs (accounts.selectors.account_choices); the view loads the chosen account
    # through the access check.
    account = forms.TypedChoiceField(label=_("Account"), coerce=int, empty_value=None)
    title = forms.CharField(label=_("What"), max_length=300)
    due_date = date_field(label=_("Due date"))

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = FlatChoices([("", _("Choose an account")), *accounts])


FOLLOW_UP_FORMS = {
    "reschedule": RescheduleForm,
    "reassign": ReassignForm,
    "edit": ItemEditForm,
    "cancel": CancelForm,
}


class PeopleChoiceMixin:
    """Checkbox lists of our people and the client's, mapped back to the loaded rows."""

    def _people_fields(self, *, people, stakeholders) -> None:
        self.people_rows = list(people)
        self.stakeholder_rows = list(stakeholders)
        self.fields["attendees"].choices = [(str(u.pk), str(u)) for u in self.people_rows]
        self.fields["stakeholders"].choices = [
            (str(s.pk), f"{s.name} · {s.title}" if s.title else s.name)
            for s in self.stakeholder_rows
        ]

    def clean_attendees(self):
        chosen = set(self.cleaned_data["attendees"])
        return [u for u in self.people_rows if str(u.pk) in chosen]

    def clean_stakeholders(self):
        chosen = set(self.cleaned_data["stakeholders"])
        return [s for s in self.stakeholder_rows if str(s.pk) in chosen]


def _checkboxes():
    return forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})


class QBRScheduleForm(PeopleChoiceMixin, forms.Form):
    scheduled_on = date_field(label=_("Date"))
    scheduled_time = forms.TimeField(
        label=_("Time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Leave empty for an all-day entry."),
    )
    attendees = forms.MultipleChoiceField(
        label=_("Our attendees"), required=False, widget=_checkboxes()
    )
    stakeholders = forms.MultipleChoiceField(
        label=_("Client attendees"), required=False, widget=_checkboxes()
    )
    agenda = forms.CharField(
        label=_("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, people, stakeholders, **kwargs):
        super().__init__(*args, **kwargs)
        self._people_fields(people=people, stakeholders=stakeholders)


RATING_CHOICES = [("", "—"), *((str(n), str(n)) for n in range(1, 6))]


class QBRHoldForm(PeopleChoiceMixin, forms.Form):
    held_at = datetime_field(label=_("Held on"))
    attendees = forms.MultipleChoiceField(
        label=_("Our attendees"), required=False, widget=_checkboxes()
    )
    stakeholders = forms.MultipleChoiceField(
        label=_("Client attendees"), required=False, widget=_checkboxes()
    )
    outcome = forms.CharField(
        label=_("Outcome notes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    rating = forms.TypedChoiceField(
        label=_("Client rating (1–5)"),
        choices=RATING_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(self, *args, qbr, people, stakeholders, **kwargs):
        super().__init__(*args, **kwargs)
        self._people_fields(people=people, stakeholders=stakeholders)
        moment = qbr.starts_at()
        now = timezone.localtime().replace(second=0, microsecond=0)
        self.initial.setdefault("held_at", moment if moment and moment <= now else now)
        self.initial.setdefault("attendees", [str(u.pk) for u in qbr.attendees.all()])
        self.initial.setdefault("stakeholders", [str(s.pk) for s in qbr.stakeholders.all()])


class NotificationPreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = [
            "qbr_due",
            "qbr_overdue",
            "commitments_digest",
            "item_escalated",
            "client_item_chase",
            "sla_warning",
            "sla_breach",
            "email",
        ]


class ClientRequestForm(forms.Form):
    """A new client request: who asked, how, what, how urgent, when it arrived, and who on our
    side owns the answer (the account's team; the owner by default)."""

    subject = forms.CharField(label=_("Subject"), max_length=300)
    requester = forms.ChoiceField(label=_("Requested by"), required=False)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=RequestChannel.choices, initial=RequestChannel.EMAIL
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=RequestPriority.choices, initial=RequestPriority.NORMAL
    )
    received_at = datetime_field(label=_("Received at"))
    owner = forms.ChoiceField(label=_("Owner"))
    details = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, team: list[User], stakeholders, default_owner: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = list(team)
        self.stakeholder_rows = list(stakeholders)
        self.fields["owner"].choices = [(str(user.pk), str(user)) for user in self.team]
        self.fields["requester"].choices = [("", "—")] + [
            (str(s.pk), f"{s.name} · {s.title}" if s.title else s.name)
            for s in self.stakeholder_rows
        ]
        self.initial.setdefault("owner", str(default_owner.pk))
        self.initial.setdefault(
            "received_at", timezone.localtime().replace(second=0, microsecond=0)
        )

    def clean_owner(self):
        return next(u for u in self.team if str(u.pk) == self.cleaned_data["owner"])

    def clean_requester(self):
        chosen = self.cleaned_data["requester"]
        return next((s for s in self.stakeholder_rows if str(s.pk) == chosen), None)


class RequestMomentForm(forms.Form):
    """When a request was answered or resolved (now by default)."""

    at = datetime_field(label=_("When"), required=False)

    def clean_at(self):
        return self.cleaned_data["at"] or timezone.now()


class InviteUploadForm(forms.Form):
    """A calendar invite (.ics) to add as a planned meeting; its text is `text` once clean."""

    MAX_BYTES = 1024 * 1024

    file = forms.FileField(
        label=_("Calendar invite (.ics)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".ics,text/calendar"}),
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB: not a calendar invite.")
                % {"size": self.MAX_BYTES // (1024 * 1024)}
            )
        raw = upload.read()
        try:
            cleaned["text"] = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            cleaned["text"] = raw.decode("latin-1")  # older Outlook exports
        return cleaned
