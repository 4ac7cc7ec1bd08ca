import functools

from django import template
from django.template.defaultfilters import floatformat
from django.utils.formats import localize
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext

from kam.templatetags.kam_tags import escaped

register = template.Library()


@functools.lru_cache(maxsize=16)
def _words(language: str | None) -> dict:
    """The cells' sentences in `language` (the active one when asked: the key), translated once
    per language, not twice a cell."""
    return {"met": gettext("%(met)s met"), "missed": gettext("%(missed)s missed")}


@register.simple_tag
def sla_cells(row) -> str:
    """{% sla_cells row %}: the dashboard's SLA table cells of one tier or KAM (an
    insights.portfolio.SlaRow), each window's first response then resolution: the share on
    time, the met and missed counts, the missed ones linked to their accounts. Built in Python,
    not with a template loop: the 25 rows' 100 cells, two translated phrases each, were about a
    third of the cached dashboard's template time (bench/README.md, "Templates"); joined as
    text, each value escaped once (kam_tags.escaped), as the rows drawn by the dozen are
    (docs/architecture.md), not through format_html per cell."""
    words = _words(get_language())
    cells = []
    for window, missed_url in row.window_cells:
        for clock in window.clocks:
            share = "—" if clock.pct is None else f"{escaped(floatformat(clock.pct, '-1'))} %"
            met = escaped(words["met"] % {"met": localize(clock.met)})
            missed = escaped(words["missed"] % {"missed": localize(clock.missed)})
            if missed_url and clock.missed:
                missed = f'<a href="{escaped(missed_url)}">{missed}</a>'
            cells.append(
                f'<td class="text-end">{share}'
                f'<div class="small text-body-secondary">{met} · {missed}</div></td>'
            )
    return mark_safe("\n".join(cells))  # noqa: S308  # nosec B308 B703 - every value escaped above


def _figure_link(figure) -> str:
    """A Figure's value, linked to its accounts when it has a link."""
    value = escaped(localize(figure.value))
    return f'<a href="{escaped(figure.url)}">{value}</a>' if figure.url else value


@register.simple_tag
def load_row(row) -> str:
    """{% load_row row %}: one KAM's row of the dashboard's load table (an
    insights.portfolio.LoadRow): the name, flagged when over the tier policy, the accounts and
    each tier's count, the ones above the tier's maximum in red. Joined as text like sla_cells:
    the 20 rows' 160 cells drawn with the template language cost as much as the SLA tables."""
    flag = ""
    if row.over_policy:
        flag = f' <span class="badge text-bg-danger">{escaped(gettext("over policy"))}</span>'
    cells = "".join(
        f'<td class="text-end{" text-danger fw-semibold" if cell.over else ""}">'
        f"{_figure_link(cell.accounts)}</td>"
        for cell in row.cells
    )
    return mark_safe(  # noqa: S308  # nosec B308 B703 - every value escaped above
        f'<tr><th scope="row">{escaped(row.name)}{flag}</th>'
        f'<td class="text-end"><a href="{escaped(row.accounts.url)}">'
        f"{escaped(localize(row.accounts.value))}</a></td>{cells}</tr>"
    )
