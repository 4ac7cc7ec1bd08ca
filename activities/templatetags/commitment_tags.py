from datetime import date

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse
from django.utils import formats
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from activities.models import Commitment, CommitmentStatus

register = template.Library()


@register.filter
def overdue_on(commitment, today):
    """{% if commitment|overdue_on:today %} — Commitment.is_overdue, for templates, so no
    template writes the rule again."""
    return commitment.is_overdue(today)


# The in-place changes an open agreed item offers, in the order of its buttons.
FOLLOW_UP_MODES = (
    ("commitment_reschedule", _("Reschedule")),
    ("commitment_reassign", _("Reassign")),
    ("commitment_edit", _("Edit")),
    ("commitment_cancel", _("Cancel")),
)


@register.simple_tag
def follow_up_links(commitment, row=None, show_account=False) -> str:
    """{% follow_up_links commitment row show_account %}: an open agreed item's follow-up
    buttons (FOLLOW_UP_MODES), each a link to its form that htmx opens in the item's panel
    (commitment_controls.html). Built in Python: drawn with the template language, the four
    links of each of My work's 50-odd items were a third of the page's template time
    (bench/README.md, "Templates")."""
    row = row or ""
    return format_html_join(
        "\n  ",
        '<a class="btn btn-outline-secondary btn-sm" href="{url}?row={row}" '
        'hx-get="{url}?row={row}{extra}" hx-target="#follow-up-{pk}" hx-swap="innerHTML">'
        '{label}<span class="visually-hidden"> “{title}”</span></a>',
        (
            {
                "url": reverse(url_name, args=[commitment.pk]),
                "row": row,
                "extra": "&show_account=1" if show_account else "",  # escaped to &amp;
                "pk": commitment.pk,
                "label": label,
                "title": commitment.title,
            }
            for url_name, label in FOLLOW_UP_MODES
        ),
    )


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
