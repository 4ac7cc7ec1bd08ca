import logging
from pathlib import Path

import jinja2
import markupsafe
from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordResetForm as BasePasswordResetForm
from django.forms.renderers import DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist
from django.utils.choices import BaseChoiceIterator
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from kam.audit import OBJECT_TYPES
from kam.dates import DATE_INPUT_ATTRS, DATETIME_INPUT_ATTRS, date_in_range, datetime_in_range
from kam.mail import email_message
from kam.models import AuditEvent
from kam.params import BIGINT_MAX
from kam.people import PersonField


class FormRenderer(Jinja2):
    """FORM_RENDERER: every form, field and widget drawn by Jinja2. A field is laid out for
    Bootstrap 5 by `kam/forms/field.html` (`{{ form.name.as_field_group }}`), a whole form by
    `kam/forms/form.html` (`{{ form }}`), both in `kam/jinja2/`; the widgets are Django's own
    templates in their Jinja2 versions, which Django ships alongside the template-language ones
    (django/forms/jinja2). Through crispy-forms' template-language layout, the quick log form's
    fields took about a third of the timeline's template time (bench/README.md, "Templates").
    The few widget templates other apps ship only for the template language (the admin's) are
    drawn by Django's default renderer."""

    form_template_name = "kam/forms/form.html"
    field_template_name = "kam/forms/field.html"
    # Django's widget templates that do their work through includes, each an include a widget
    # (an input through its type's template, input.html and attrs.html) or an option (a select
    # includes select_option.html and attrs.html per option): drawn instead by one template of
    # kam/jinja2/kam/forms/widgets each, the attributes written by widget_attrs, the same HTML
    # (tests/kam/test_settings.py compares every widget with Django's templates). A Jinja2
    # include costs a new context: the quick log form rendered 53 templates, 4.95 ms.
    inlined_widget_templates = {
        **{
            f"django/forms/widgets/{name}.html": "kam/forms/widgets/input.html"
            for name in (
                "input", "checkbox", "color", "date", "datetime", "email", "file", "hidden",
                "number", "password", "search", "tel", "text", "time", "url",
            )
        },
        **{
            f"django/forms/widgets/{name}.html": "kam/forms/widgets/input_option.html"
            for name in ("input_option", "checkbox_option", "radio_option")
        },
        "django/forms/widgets/select.html": "kam/forms/widgets/select.html",
        "django/forms/widgets/textarea.html": "kam/forms/widgets/textarea.html",
    }  # fmt: skip

    def get_template(self, template_name):
        template_name = self.inlined_widget_templates.get(template_name, template_name)
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return self._template_language.get_template(template_name)

    @cached_property
    def engine(self):
        return self.backend(
            {
                "APP_DIRS": True,
                "DIRS": [Path(forms.__file__).parent / self.backend.app_dirname],
                "NAME": "djangoforms",
                "OPTIONS": {"environment": "kam.forms.jinja2_environment"},
            }
        )

    @cached_property
    def _template_language(self) -> DjangoTemplates:
        return DjangoTemplates()


class FlatChoices(BaseChoiceIterator):
    """Choices a field keeps as they are given: (value, label) pairs, no groups. A list set as a
    field's `choices` is normalised by Django pair by pair every time a form is built (4 ms for
    a list of 1,400 pairs, bench/README.md): My work's accounts to log against."""

    def __init__(self, pairs):
        self.pairs = list(pairs)

    def __iter__(self):
        return iter(self.pairs)


def jinja2_environment(**options) -> jinja2.Environment:
    """The form renderer's Jinja2 environment, escaping always (as Django's backend does by
    default), with what kam/forms/field.html needs of Python."""
    options.pop("autoescape", None)
    environment = jinja2.Environment(autoescape=True, **options)
    environment.globals.update(
        widget_class=widget_class,
        choice_input=choice_input,
        has_choice_inputs=has_choice_inputs,
        widget_attrs=widget_attrs,
    )
    return environment


def widget_attrs(attrs: dict) -> markupsafe.Markup:
    """What Django's django/forms/widgets/attrs.html writes of a widget's attributes: each as
    ` name="value"`, escaped, a True one as its bare name, a False one left out."""
    escape = markupsafe.escape
    return markupsafe.Markup(  # noqa: S704  # nosec B704 - each name and value escaped
        "".join(
            f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
            for name, value in attrs.items()
            if value is not False
        )
    )


def widget_class(field) -> str:
    """The Bootstrap 5 classes of a bound field's widget, after those the widget sets itself:
    form-select, form-check-input or form-control, and is-invalid when the field has errors."""
    widget = field.field.widget
    if isinstance(widget, forms.Select):
        base = "form-select"
    elif isinstance(widget, (forms.CheckboxInput, forms.RadioSelect)):  # and their options
        base = "form-check-input"
    else:
        base = "form-control"
    classes = widget.attrs.get("class", "").split()
    if base not in classes:
        classes.append(base)
    if field.errors:
        classes.append("is-invalid")
    return " ".join(classes)


def has_choice_inputs(field) -> bool:
    """Radio buttons or checkboxes of several choices (CheckboxSelectMultiple is a RadioSelect)."""
    return isinstance(field.field.widget, forms.RadioSelect)


def choice_input(option, classes: str):
    """One choice of a RadioSelect or CheckboxSelectMultiple (a BoundWidget) as its bare
    <input>, with the field's classes, for a Bootstrap form-check."""
    option.data["attrs"] = {**option.data["attrs"], "class": classes}
    return option.tag()


class DateInput(forms.DateInput):
    """A browser date picker limited to the dates the models accept (kam.dates)."""

    input_type = "date"

    def __init__(self, attrs=None, **kwargs):
        super().__init__(attrs={**DATE_INPUT_ATTRS, **(attrs or {})}, format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    """A browser date-and-time picker limited to the dates the models accept (kam.dates)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None, **kwargs):
        super().__init__(
            attrs={**DATETIME_INPUT_ATTRS, **(attrs or {})}, format="%Y-%m-%dT%H:%M", **kwargs
        )


def stale_edit_redrawn(form, version: int, *, field: str = "version") -> None:
    """After a save refused because someone else saved first (StaleEdit): the form, drawn again
    as the user typed it, now carries the version stored since, so saving again is a choice
    made knowing theirs. Its data becomes a copy the caller may change (their values merged)."""
    form.data = form.data.copy()
    form.data[form.add_prefix(field)] = version


def changed_meanwhile(form, name: str, theirs: str) -> None:
    """Flag field `name` of a refused save with the value someone else saved meanwhile."""
    form.add_error(
        name,
        _("Changed meanwhile by someone else to: “%(value)s”. Your value is kept here.")
        % {"value": theirs},
    )


def date_field(**kwargs) -> forms.DateField:
    """A plain form's date field with the models' range (kam.dates)."""
    return forms.DateField(widget=DateInput(), validators=[date_in_range], **kwargs)


def datetime_field(**kwargs) -> forms.DateTimeField:
    """A plain form's date-and-time field with the models' range (kam.dates)."""
    return forms.DateTimeField(widget=DateTimeInput(), validators=[datetime_in_range], **kwargs)


logger = logging.getLogger(__name__)


class EmailAuthenticationForm(AuthenticationForm):
    """Login by email; one generic message whichever of the two was wrong."""

    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        "invalid_login": _("Email or password is not correct."),
        "inactive": _("Email or password is not correct."),
    }


class PasswordResetForm(BasePasswordResetForm):
    """Django's, with the email built by kam.mail like every other (text without escaping)."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        message = email_message(
            subject_template=subject_template_name,
            body_template=email_template_name,
            html_template=html_email_template_name,
            context=context,
            from_email=from_email,
            to=[to_email],
        )
        try:
            message.send()
        except Exception:
            # As Django's: the page answers the same whether or not the email went out.
            logger.exception("Failed to send password reset email to %s", context["user"].pk)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class AuditFilterForm(forms.Form):
    """Filters of the audit page (GET); every field optional."""

    object_type = forms.ChoiceField(label=_("What"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = PersonField(scope="everyone", label=_("Who"), required=False, empty_label=_("All"))
    account = forms.IntegerField(
        label=_("Account id"), required=False, min_value=1, max_value=BIGINT_MAX
    )
    since = date_field(label=_("From"), required=False)
    until = date_field(label=_("To"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        self.fields["object_type"].choices = everything + list(OBJECT_TYPES.items())
        self.fields["action"].choices = everything + AuditEvent.Action.choices
        self.fields["actor"].for_user(user)
        for field in self.fields.values():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if is_select else "form-control form-control-sm"
            )


class UnixNewlinesMixin:
    """Browsers send textarea line breaks as CRLF. Store LF, so a field the user did not touch
    compares equal to what is stored (plan history and conflict checks diff the values)."""

    def clean(self):
        cleaned = super().clean()
        for name, value in cleaned.items():
            if isinstance(value, str) and "\r" in value:
                cleaned[name] = value.replace("\r\n", "\n").replace("\r", "\n")
        return cleaned


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_('What uses it, e.g. "BI export" or "ERP sync".'),
    )


class RetentionPolicyForm(forms.Form):
    """Months to keep each kind of data (kam.retention); empty keeps it forever."""

    def __init__(self, *args, policies, **kwargs):
        super().__init__(*args, **kwargs)
        self.policies = policies
        for policy in policies:
            self.fields[policy.kind] = forms.IntegerField(
                label=policy.get_kind_display(),
                required=False,
                min_value=1,
                max_value=1200,
                initial=policy.months,
                help_text=_("Months; empty keeps it forever."),
            )

    def rows(self):
        return [(policy, self[policy.kind]) for policy in self.policies]
