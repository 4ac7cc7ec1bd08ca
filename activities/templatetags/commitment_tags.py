"""The rows of agreed items and client requests, and their buttons, drawn in Python: the lists
draw dozens of them a page (My work, the account page, the commitments and requests tabs), where
the template language spent most of the page's time (bench/README.md, "My work"). Each tag
gives the HTML its template gave, each value escaped once, the sentences the catalogue's."""

from datetime import date

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.template.defaultfilters import floatformat
from django.utils import formats
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from activities.models import Commitment, CommitmentStatus
from kam.templatetags.kam_tags import (
    DASH,
    badge,
    drawn_date,
    escaped,
    pk_path,
    translated_once,
)

register = template.Library()


@register.filter
def overdue_on(commitment, today):
    """{% if commitment|overdue_on:today %} — Commitment.is_overdue, for templates (the
    commitments digest e-mail), so no template writes the rule again."""
    return commitment.is_overdue(today)


# The in-place changes an open agreed item offers, in the order of its buttons.
FOLLOW_UP_MODES = (
    ("commitment_reschedule", _("Reschedule")),
    ("commitment_reassign", _("Reassign")),
    ("commitment_edit", _("Edit")),
    ("commitment_cancel", _("Cancel")),
)


@translated_once
def words() -> dict:
    """The rows' fixed words, translated once per language, not ten times a row (a lazy label
    was translated twice each time it was escaped; gettext was half of an item's row). The
    sentences keep their placeholders."""
    return {
        "modes": tuple((url_name, escaped(label)) for url_name, label in FOLLOW_UP_MODES),
        "done": escaped(pgettext("button", "Done")),
        "undo": escaped(gettext("Undo")),
        "reopen": escaped(gettext("Reopen")),
        "history": escaped(gettext("History")),
        "answered": escaped(pgettext("button", "Answered")),
        "resolved": escaped(pgettext("button", "Resolved")),
        "client": gettext("%(name)s (client)"),
        "overdue_since": gettext("overdue since %(date)s"),
        "due": gettext("due %(date)s"),
        "received": gettext("received %(date)s"),
        "first_response": gettext("First response"),
        "resolution": gettext("Resolution"),
        "overdue_by": gettext("overdue by %(hours)s business hours"),
        "hours_left": gettext("%(hours)s business hours left"),
        "resolved_on": gettext("resolved %(date)s"),
        "in_time": escaped(gettext("answered in time")),
        "late": escaped(gettext("answered late")),
    }


def follow_up_links(commitment, row=None, show_account=False) -> str:
    """An open agreed item's follow-up buttons (FOLLOW_UP_MODES) in commitment_controls, each
    a link to its form that htmx opens in the item's panel. Built in Python: drawn with the
    template language, the four links of each of My work's 50-odd items were a third of the
    page's template time (bench/README.md, "Templates"); joined as text, each value escaped
    once, the paths from `pk_path` (reverse() took 30 µs a call, four per item)."""
    row = escaped(row or "")
    extra = "&amp;show_account=1" if show_account else ""
    pk = commitment.pk
    title = escaped(commitment.title)
    links = []
    for url_name, label in words()["modes"]:
        url = pk_path(url_name, pk)
        links.append(
            f'<a class="btn btn-outline-secondary btn-sm" href="{url}?row={row}" '
            f'hx-get="{url}?row={row}{extra}" hx-target="#follow-up-{pk}" hx-swap="innerHTML">'
            f'{label}<span class="visually-hidden"> “{title}”</span></a>'
        )
    return mark_safe("\n  ".join(links))  # noqa: S308  # nosec B308 B703 - each value escaped


@register.simple_tag(takes_context=True)
def commitment_row(context, commitment, today, show_account=False, row=None, undo=False) -> str:
    """{% commitment_row commitment today show_account row undo %}: one agreed item as a list
    row (every list of agreed items calls it, and activities/partials/commitment_row.html, the
    fragment of a changed row the views render): what, for which account, who owns
    it, due or overdue since when, where it came from, its status once closed, and its
    controls (commitment_controls). Built in Python like them: drawn with the template
    language, the rows of My work's fifty-odd items took a quarter of its template time
    (bench/README.md, "My work"). Each value is escaped once; the sentences are the
    catalogue's."""
    pk = commitment.pk
    status = commitment.status
    done = status == CommitmentStatus.DONE
    struck = "text-decoration-line-through text-body-secondary" if done else ""
    parts = []
    if show_account:
        link = pk_path("account_detail", commitment.account_id)
        parts.append(f'<a href="{link}">{escaped(commitment.account.name)}</a> · ')
    if commitment.is_ours:
        parts.append(escaped(commitment.owner_user))
    else:
        parts.append(words()["client"] % {"name": escaped(commitment.owner_stakeholder.name)})
    due = drawn_date(commitment.due_date, "SHORT_DATE_FORMAT")
    if commitment.is_overdue(today):
        when = (
            '<span class="text-danger fw-semibold">'
            + words()["overdue_since"] % {"date": due}
            + "</span>"
        )
    else:
        when = words()["due"] % {"date": due}
    parts.append(f"\n      · {when}\n      · {escaped(commitment.get_source_display())}")
    if status != CommitmentStatus.OPEN:
        tone = "success" if done else "secondary"
        parts.append("\n      · " + badge(tone, commitment.get_status_display()))
    controls = commitment_controls(context, commitment, row, show_account, undo)
    return mark_safe(  # noqa: S308  # nosec B308 B703 - each value escaped
        f'<li class="list-group-item commitment-row d-flex flex-wrap gap-2 align-items-center" '
        f'id="commitment-{pk}">\n  <div class="me-auto">\n'
        f'    <span class="{struck}">{escaped(commitment.title)}</span>\n'
        f'    <div class="small text-body-secondary">\n      {"".join(parts)}\n    </div>\n'
        f"  </div>\n  {controls}\n</li>"
    )


@register.simple_tag(takes_context=True)
def commitment_controls(context, commitment, row=None, show_account=False, undo=False) -> str:
    """{% commitment_controls commitment row show_account undo %}: the follow-through buttons of
    one agreed item (an open one: Done and follow_up_links; a done or cancelled one: Reopen,
    or Undo right after it was done), its History link and the panel they open. `row` says
    where it is drawn ("plan": the plan's table, whose cell the buttons replace). Built in
    Python like follow_up_links: drawn with the template language (a form, a URL and nine
    variables an item), the controls were a quarter of My work's template time
    (bench/README.md, "My work")."""
    pk = commitment.pk
    title = escaped(commitment.title)
    row_value = escaped(row or "")
    hidden = _form_inputs(context, show_account=show_account, row=row)
    mark = f'<span class="visually-hidden"> “{title}”</span>'
    if commitment.status == CommitmentStatus.OPEN:
        action = pk_path("commitment_complete", pk)
        button = _button("success", words()["done"], mark, icon="bi-check-lg")
        after = "\n  " + follow_up_links(commitment, row, show_account)
    else:
        action = pk_path("commitment_reopen", pk)
        button = _button("outline-secondary", words()["undo" if undo else "reopen"], mark)
        after = ""
    # On the plan's table the buttons replace their cell, elsewhere the row.
    form = _row_form(action, hidden, button, target="this" if row == "plan" else "closest li")
    history = pk_path("commitment_history", pk)
    return mark_safe(  # noqa: S308  # nosec B308 B703 - each value escaped
        '<div class="d-flex flex-wrap gap-1 align-items-center follow-up-controls">\n'
        f"  {form}{after}\n"
        f'  <a class="btn btn-link btn-sm" href="{history}?row={row_value}" '
        f'hx-get="{history}?row={row_value}" hx-target="#follow-up-{pk}" hx-swap="innerHTML">'
        f"{words()['history']}{mark}</a>\n"
        "</div>\n"
        f'<div id="follow-up-{pk}" class="follow-up-panel w-100" aria-live="polite"></div>'
    )


def _form_inputs(context, *, show_account=False, row=None) -> str:
    """The hidden inputs of a row's POST form: the CSRF token (as {% csrf_token %} draws it),
    where to go back to without JavaScript, and what the row's fragment needs to be drawn
    again."""
    csrf = str(context.get("csrf_token", ""))
    path = escaped(context["request"].get_full_path())
    return (
        (f'<input type="hidden" name="csrfmiddlewaretoken" value="{escaped(csrf)}">'
         if csrf and csrf != "NOTPROVIDED" else "")
        + f'<input type="hidden" name="next" value="{path}">'
        + ('<input type="hidden" name="show_account" value="1">' if show_account else "")
        + (f'<input type="hidden" name="row" value="{escaped(row)}">' if row else "")
    )  # fmt: skip


def _row_form(action: str, hidden: str, button: str, *, target: str = "closest li") -> str:
    """A one-button POST form that htmx sends and whose answer replaces `target` (the row)."""
    return (
        f'<form method="post" action="{action}" hx-post="{action}" hx-target="{target}" '
        f'hx-swap="outerHTML">\n    {hidden}\n    {button}\n  </form>'
    )


@register.simple_tag(takes_context=True)
def request_row(context, client_request, show_account=False, error="") -> str:
    """{% request_row client_request show_account error %}: one client request as a list row
    (the lists call it, and activities/partials/request_row.html, the fragment of a changed
    request the views render): number, subject, priority and status, where it came
    from, the clock that runs (activities.selectors.with_clocks set `clock`) or when it was
    resolved, whether it was answered in time, an `error` of the last change, and its buttons
    (request_controls). Built in Python like commitment_row (bench/README.md, "My work")."""
    pk = int(client_request.pk)
    priority = client_request.priority
    badges = ""
    if priority in ("urgent", "high"):
        tone = "danger" if priority == "urgent" else "warning"
        badges = badge(tone, client_request.get_priority_display())
    status = client_request.status
    tone = {"resolved": "success", "answered": "info"}.get(status, "secondary")
    badges += "\n    " + badge(tone, client_request.get_status_display())
    source = ""
    if show_account:
        link = pk_path("account_requests", client_request.account_id)
        source = f'<a href="{link}">{escaped(client_request.account.name)}</a> · '
    if client_request.requester:
        source += f"{escaped(client_request.requester.name)} · "
    source += escaped(client_request.get_channel_display())
    received = words()["received"] % {
        "date": drawn_date(client_request.received_at, "SHORT_DATETIME_FORMAT")
    }
    clock = getattr(client_request, "clock", None)
    if clock:
        which = words()["first_response"] if clock.responding else words()["resolution"]
        due = words()["due"] % {"date": drawn_date(clock.due_at, "SHORT_DATETIME_FORMAT")}
        if clock.overdue:
            hours = escaped(floatformat(clock.hours_overdue, 1))
            left = (
                '<span class="text-danger fw-semibold">'
                + words()["overdue_by"] % {"hours": hours}
                + "</span>"
            )
        else:
            hours = escaped(floatformat(clock.hours_left, 1))
            left = (
                '<span class="text-body-secondary">'
                + words()["hours_left"] % {"hours": hours}
                + "</span>"
            )
        state = f"{which}\n        {due} ·\n        {left}"
    elif client_request.resolved_at:
        resolved = words()["resolved_on"] % {
            "date": drawn_date(client_request.resolved_at, "SHORT_DATETIME_FORMAT")
        }
        state = f'<span class="text-body-secondary">{resolved}</span>'
    else:
        state = ""
    if client_request.first_response_at:
        if client_request.first_response_met:
            state += f' · <span class="text-success">{words()["in_time"]}</span>'
        else:
            state += f' · <span class="text-danger">{words()["late"]}</span>'
    problem = (
        f'\n    <div class="small text-danger" role="alert">{escaped(error)}</div>' if error else ""
    )
    controls = request_controls(context, client_request, show_account)
    subject = escaped(client_request.subject)
    return mark_safe(  # noqa: S308  # nosec B308 B703 - each value escaped
        f'<li class="list-group-item request-row d-flex flex-wrap gap-2 align-items-center" '
        f'id="request-{pk}">\n  <div class="me-auto">\n'
        f'    <span class="fw-semibold">#{pk}</span> {subject}\n    {badges}\n'
        f'    <div class="small text-body-secondary">\n      {source}\n      · {received}\n'
        f"      · {escaped(client_request.owner)}\n    </div>\n"
        f'    <div class="small">\n      {state}\n    </div>{problem}\n'
        f"  </div>\n  {controls}\n</li>"
    )  # fmt: skip


def request_controls(context, client_request, show_account=False) -> str:
    """A client request's buttons in its row (request_row): Answered
    while it awaits a first answer, Resolved while it is open, else Reopen; each a form that
    htmx sends, the row drawn again in its place. In Python like commitment_controls: My work
    draws twenty-odd requests with two forms each."""
    pk = client_request.pk
    hidden = _form_inputs(context, show_account=show_account)
    mark = f'<span class="visually-hidden"> #{int(pk)}</span>'
    buttons = []
    if client_request.is_awaiting_response:
        buttons.append(
            ("request_respond", _button("outline-primary", words()["answered"], mark,
                                        icon="bi-reply"))
        )  # fmt: skip
    if client_request.is_open:
        buttons.append(
            ("request_resolve", _button("success", words()["resolved"], mark,
                                        icon="bi-check-lg"))
        )  # fmt: skip
    else:
        buttons.append(("request_reopen", _button("outline-secondary", words()["reopen"], mark)))
    forms = [_row_form(pk_path(name, pk), hidden, button) for name, button in buttons]
    return mark_safe("\n  ".join(forms))  # noqa: S308  # nosec B308 B703 - each value escaped


def _button(tone: str, label: str, mark: str, *, icon: str = "") -> str:
    """A small submit button: its icon, its label (HTML, escaped already) and `mark`, what it
    acts on for a screen reader."""
    icon_html = f'<i class="bi {icon}" aria-hidden="true"></i> ' if icon else ""
    return f'<button type="submit" class="btn btn-{tone} btn-sm">{icon_html}{label}{mark}</button>'


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
        return DASH
    if field == "due_date":
        try:
            return formats.date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")
        except ValueError:
            return value
    if field == "status":
        return str(dict(CommitmentStatus.choices).get(value, value))
    return value
