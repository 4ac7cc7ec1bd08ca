from django import template
from django.template.defaultfilters import floatformat
from django.utils.formats import localize
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from kam.templatetags.kam_tags import (
    DASH,
    drawn_date,
    escaped,
    health_badge,
    pk_path,
    translated_once,
    whole_amount,
)

register = template.Library()


@translated_once
def _words() -> dict:
    """The cells' sentences, translated once per language, not twice a cell."""
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
    words = _words()
    cells = []
    for window, missed_url in row.window_cells:
        for clock in window.clocks:
            share = DASH if clock.pct is None else f"{escaped(floatformat(clock.pct, '-1'))} %"
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


def _account_cell(account, after_owner: str = "") -> str:
    """The account linked to its page, its owner (and `after_owner`) below."""
    return (
        f'<td><a href="{pk_path("account_detail", account.pk)}">{escaped(account.name)}</a>'
        f'<div class="small text-body-secondary">{escaped(account.owner)}{after_owner}</div></td>'
    )


@register.simple_tag
def at_risk_row(row) -> str:
    """{% at_risk_row row %}: an account of the dashboard's at-risk table (AtRiskRow) with its
    owner, tier, score, revenue and weakest components. The three tables' rows are drawn in
    Python like load_row."""
    account = row.account
    tier = f" · {escaped(account.tier)}" if account.tier else ""
    reasons = "".join(
        f"<li><strong>{escaped(reason['label'])}</strong>: {escaped(reason['reason'])}</li>"
        for reason in row.reasons
    )
    return mark_safe(  # noqa: S308  # nosec B308 B703 - every value escaped above
        f"<tr>{_account_cell(account, tier)}"
        f'<td class="text-end"><span class="badge band-at_risk">'
        f"{escaped(account.health_score) if account.health_score else DASH}</span></td>"
        f'<td class="text-end">{whole_amount(row.revenue)}</td>'
        f'<td class="small"><ul class="list-unstyled mb-0">{reasons}</ul></td></tr>'
    )


@register.simple_tag
def renewal_row(row) -> str:
    """{% renewal_row row %}: an account of the next renewals (RenewalRow)."""
    account = row.account
    return mark_safe(  # noqa: S308  # nosec B308 B703 - every value escaped above
        f"<tr>{_account_cell(account)}"
        f"<td>{drawn_date(account.renewal_date, 'SHORT_DATE_FORMAT')}</td>"
        f"<td>{health_badge(account)}</td>"
        f'<td class="text-end">{whole_amount(row.revenue)}</td></tr>'
    )


@register.simple_tag
def opportunity_row(row) -> str:
    """{% opportunity_row row %}: one of the largest open opportunities (OpportunityRow)."""
    opportunity = row.opportunity
    account = opportunity.plan.account
    return mark_safe(  # noqa: S308  # nosec B308 B703 - every value escaped above
        f'<tr><td>{escaped(opportunity.title)}<div class="small">'
        f'<a href="{pk_path("account_detail", opportunity.plan.account_id)}">'
        f"{escaped(account.name)}</a> · {floatformat(opportunity.amount, '0g')} "
        f"{escaped(opportunity.currency)}</div></td>"
        f"<td>{escaped(opportunity.get_stage_display())}</td>"
        f'<td class="text-end">{escaped(localize(opportunity.probability))} %</td>'
        f'<td class="text-end">{whole_amount(row.weighted)}</td></tr>'
    )
