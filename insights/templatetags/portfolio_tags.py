from django import template
from django.template.defaultfilters import floatformat
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag
def sla_cells(row) -> str:
    """{% sla_cells row %}: the dashboard's SLA table cells of one tier or KAM (an
    insights.portfolio.SlaRow), each window's first response then resolution: the share on
    time, the met and missed counts, the missed ones linked to their accounts. Built in Python,
    not with a template loop: the 25 rows' 100 cells, two translated phrases each, were about a
    third of the cached dashboard's template time (bench/README.md, "Templates")."""
    return format_html_join(
        "\n",
        '<td class="text-end">{}<div class="small text-body-secondary">{} · {}</div></td>',
        (
            (
                "—" if clock.pct is None else f"{floatformat(clock.pct, '-1')} %",
                gettext("%(met)s met") % {"met": localize(clock.met)},
                _missed(clock.missed, missed_url),
            )
            for window, missed_url in row.window_cells
            for clock in window.clocks
        ),
    )


def _missed(count: int, url: str) -> str:
    text = gettext("%(missed)s missed") % {"missed": localize(count)}
    return format_html('<a href="{}">{}</a>', url, text) if url and count else text
