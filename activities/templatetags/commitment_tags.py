import functools
from datetime import date

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import formats
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from activities.models import Commitment, CommitmentStatus
from kam.templatetags.kam_tags import escaped

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
    (bench/README.md, "Templates"); joined as text, each value escaped once, the paths from
    `_pk_path` (reverse() took 30 µs a call, four per item)."""
    row = escaped(row or "")
    extra = "&amp;show_account=1" if show_account else ""
    pk = commitment.pk
    title = escaped(commitment.title)
    where = (get_script_prefix(), get_urlconf())
    links = []
    for url_name, label in FOLLOW_UP_MODES:
        url = _pk_path(url_name, pk, where)
        links.append(
            f'<a class="btn btn-outline-secondary btn-sm" href="{url}?row={row}" '
            f'hx-get="{url}?row={row}{extra}" hx-target="#follow-up-{pk}" hx-swap="innerHTML">'
            f'{escaped(label)}<span class="visually-hidden"> “{title}”</span></a>'
        )
    return mark_safe("\n  ".join(links))  # noqa: S308  # nosec B308 B703 - each value escaped


_PK_MARK = 987654321


def _pk_path(url_name: str, pk: int, where: tuple) -> str:
    """reverse(url_name, args=[pk]) for a URL whose one argument is an integer id; `where` is
    (the script prefix, the urlconf) of the request, which reverse() depends on."""
    head, tail = _path_around_pk(url_name, where)
    return f"{head}{int(pk)}{tail}"


@functools.cache
def _path_around_pk(url_name: str, where: tuple) -> tuple[str, str]:
    """The path before and after the id, reversed once for where the site is served (the
    key)."""
    head, mark, tail = reverse(url_name, args=[_PK_MARK]).partition(str(_PK_MARK))
    if not mark:
        raise ValueError(f"{url_name} does not take an integer id")
    return head, tail


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
