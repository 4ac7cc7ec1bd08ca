"""The account timeline's entries drawn in Python: the account page, the timeline page, the quick
log's answer and the stakeholder panel draw twenty of them, where the template language spent
a third of the timeline page's template time (bench/README.md, "My work"). The HTML is what
activities/partials/timeline_items.html drew entry by entry, each value escaped once, the
sentences the catalogue's."""

from django import template
from django.template.defaultfilters import linebreaksbr, truncatewords
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from kam.dates import business_date
from kam.templatetags.kam_tags import badge, drawn_date, escaped, pk_path

register = template.Library()


class _Missing:
    """What an entry's linked row reads as once the row is gone (its link set to null), as the
    template language read it: every attribute, call and string empty, false as a condition."""

    def __getattr__(self, name):
        return self

    def __call__(self, *args, **kwargs):
        return self

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return ""


MISSING = _Missing()


def _linked(row):
    return MISSING if row is None else row


def _interaction(entry) -> str:
    interaction = _linked(entry.interaction)
    html = (
        f"{badge('primary', interaction.get_kind_display())}\n"
        f"      <strong>{escaped(interaction.summary)}</strong>\n"
        f'      <span class="badge sentiment-{escaped(interaction.sentiment)}">'
        f"{escaped(interaction.get_sentiment_display())}</span>\n"
        f'      <span class="small text-body-secondary">'
        f"{escaped(interaction.get_category_display())}</span>\n      </div>"
    )
    if entry.people:  # accounts.timeline.with_people
        names = ", ".join(escaped(name) for name in entry.people)
        html += f'\n      <div class="small">{escaped(gettext("With"))} {names}</div>'
    if interaction.notes:
        collapsible = ""
        if interaction.notes_are_long:
            collapsible = (
                f' data-collapsible-notes data-more="{escaped(gettext("Show more"))}"'
                f' data-less="{escaped(gettext("Show less"))}"'
            )
        notes = linebreaksbr(interaction.notes, autoescape=True)
        html += (
            f'\n      <div class="small text-body-secondary" id="notes-{escaped(interaction.pk)}"'
            f"{collapsible}>{notes}</div>"
        )
    if interaction.logged_by:
        html += _line(gettext("Logged by %(name)s") % {"name": escaped(interaction.logged_by)})
    return html


def _head(tone: str, label, body: str) -> str:
    """The entry's first line after its time: a badge, what happened (HTML), the line's end."""
    return f"{badge(tone, label)}\n      {body}\n      </div>"


def _line(html: str, classes: str = "small text-body-secondary") -> str:
    """A line under the first."""
    return f'\n      <div class="{classes}">{html}</div>'


def _commitment_created(entry) -> str:
    commitment = _linked(entry.commitment)
    owner_due = gettext("Owner %(owner)s, due %(due)s") % {
        "owner": escaped(commitment.owner),
        "due": drawn_date(commitment.due_date, "SHORT_DATE_FORMAT"),
    }
    return _head(
        "warning", gettext("Commitment"), f"<span>{escaped(commitment.title)}</span>"
    ) + _line(f"{owner_due} · {escaped(commitment.get_status_display())}")


def _commitment_done(entry) -> str:
    title = escaped(_linked(entry.commitment).title)
    html = _head("success", gettext("Completed"), f"<span>{title}</span>")
    if entry.actor:
        html += _line(gettext("Marked done by %(name)s") % {"name": escaped(entry.actor)})
    return html


def _stakeholder_joined(entry) -> str:
    person = _linked(entry.stakeholder)
    joined = gettext("%(name)s added to the map as %(role)s") % {
        "name": escaped(person.name),
        "role": escaped(person.get_buying_role_display()),
    }
    title = f" ({escaped(person.title)})" if person.title else ""
    return _head("info", gettext("Stakeholder"), f"<span>{joined}{title}</span>")


def _stakeholder_left(entry) -> str:
    name = escaped(_linked(entry.stakeholder).name)
    left = gettext("%(name)s left the company") % {"name": name}
    return _head("danger", gettext("Departure"), f"<span>{left}</span>")


def _milestone(entry) -> str:
    milestone = _linked(entry.milestone)
    html = _head("dark", gettext("Milestone"), f"<strong>{escaped(milestone.title)}</strong>")
    if milestone.description:
        html += _line(escaped(milestone.description), "small")
    return html


def _qbr_held(entry) -> str:
    qbr = _linked(entry.qbr)
    held = gettext("QBR of %(date)s held") % {
        "date": drawn_date(qbr.scheduled_on, "SHORT_DATE_FORMAT")
    }
    html = (
        f"{badge('success', gettext('QBR'))}\n"
        f'      <a href="{pk_path("qbr_detail", entry.qbr_id)}">{held}</a>'
    )
    if qbr.rating:
        rated = gettext("rated %(rating)s/5") % {"rating": escaped(qbr.rating)}
        html += f'\n      <span class="small">{rated}</span>'
    html += "\n      </div>"
    if qbr.outcome:
        html += _line(linebreaksbr(truncatewords(qbr.outcome, 40), autoescape=True))
    return html


def _request_link(entry) -> str:
    link = pk_path("account_requests", entry.account_id)
    subject = escaped(_linked(entry.client_request).subject)
    return f'<a href="{link}">#{escaped(entry.client_request_id)} {subject}</a>'


def _request_received(entry) -> str:
    asked = _linked(entry.client_request)
    return (
        f"{badge('secondary', gettext('Request'))}\n      {_request_link(entry)}\n"
        f'      <span class="small text-body-secondary">{escaped(asked.get_channel_display())}'
        f" · {escaped(asked.get_priority_display())}</span>\n      </div>"
    )


def _request_resolved(entry) -> str:
    return (
        f"{badge('success', gettext('Request resolved'))}\n      {_request_link(entry)}\n"
        "      </div>"
    )


def _playbook_fired(entry) -> str:
    playbook = _linked(entry.playbook_firing).playbook
    started = gettext("Playbook “%(name)s” started: its steps are now agreed items") % {
        "name": escaped(playbook.display_name)
    }
    return (
        f"{badge('secondary', gettext('Playbook'))}\n      <span>{started}</span>\n      </div>\n"
        f'      <div class="small text-body-secondary">{escaped(playbook.trigger_text())}</div>'
    )


# What each kind of entry (accounts.models.TimelineKind) draws after its time.
KIND_HTML = {
    "interaction": _interaction,
    "commitment_created": _commitment_created,
    "commitment_done": _commitment_done,
    "stakeholder_joined": _stakeholder_joined,
    "stakeholder_left": _stakeholder_left,
    "milestone": _milestone,
    "qbr_held": _qbr_held,
    "request_received": _request_received,
    "request_resolved": _request_resolved,
    "playbook_fired": _playbook_fired,
}


# Entries of a day, not of a moment (a milestone's day, a departure's): placed at the day's
# start in the business time zone and drawn as that day, which a viewer's zone would shift.
DAY_KINDS = frozenset({"milestone", "stakeholder_left"})


def _when(entry) -> tuple[str, str]:
    """The entry's time element: its datetime attribute and the text drawn."""
    if entry.kind in DAY_KINDS:
        day = business_date(entry.occurred_at)
        return day.isoformat(), drawn_date(day, "SHORT_DATE_FORMAT")
    return drawn_date(entry.occurred_at, "c"), drawn_date(
        entry.occurred_at, "SHORT_DATETIME_FORMAT"
    )


@register.simple_tag
def timeline_entries(entries) -> str:
    """{% timeline_entries entries %}: each entry of a timeline page (accounts.timeline
    .timeline_page, which reads the columns drawn here) as a list item: when, what kind, and
    what it links to."""
    items = []
    for entry in entries:
        kind = entry.kind
        anchor = (
            f' id="interaction-{escaped(entry.interaction_id)}"' if kind == "interaction" else ""
        )
        draw = KIND_HTML.get(kind)
        iso, drawn = _when(entry)
        items.append(
            f'<li class="timeline-entry list-group-item" data-kind="{escaped(kind)}"{anchor}>\n'
            '  <div class="d-flex flex-wrap gap-2 align-items-baseline">\n'
            f'    <time class="small text-body-secondary" datetime="{iso}">'
            f"{drawn}</time>\n"
            f"      {draw(entry) if draw else '</div>'}\n</li>"
        )
    return mark_safe("\n".join(items))  # noqa: S308  # nosec B308 B703 - each value escaped
