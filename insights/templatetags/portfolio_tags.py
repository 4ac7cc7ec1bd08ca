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
