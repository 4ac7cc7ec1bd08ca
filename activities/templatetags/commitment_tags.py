from datetime import date

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from activities.models import Commitment, CommitmentStatus

register = template.Library()


@register.filter
def overdue_on(commitment, today):
    """{% if commitment|overdue_on:today %} — Commitment.is_overdue, for templates, so no
    template writes the rule again."""
    return commitment.is_overdue(today)


@register.simple_tag
def follow_up_modes():
    """The in-place changes an open agreed item offers, in the order of its buttons."""
    return [
        ("reschedule", "commitment_reschedule", _("Reschedule")),
        ("reassign", "commitment_reassign", _("Reassign")),
        ("edit", "commitment_edit", _("Edit")),
        ("cancel", "commitment_cancel", _("Cancel")),
    ]


@register.filter
def change_label(change) -> str:
    """An agreed item's history row names its field in the reader's language."""
    name = change.get("field") or ""
    try:
        return str(Commitment._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


@register.filter
def change_value(value, field):
    """Dates recorded as ISO text read as local dates; statuses as their labels."""
    if value in (None, ""):
        return "—"
    if field == "due_date":
        try:
            return formats.date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")
        except ValueError:
            return value
    if field == "status":
        return str(dict(CommitmentStatus.choices).get(value, value))
    return value
