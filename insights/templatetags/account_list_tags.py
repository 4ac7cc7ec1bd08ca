"""The accounts list's rows drawn in Python: 25 a page, each with up to twelve columns, where
the template language spent most of the page's time (bench/README.md, "Templates"). The one
way such rows are drawn (docs/architecture.md): `account_row` gives the HTML the list's template
gave, each value escaped once, the sentences the catalogue's, the fixed words translated once
per language."""

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
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
    """The row's fixed words, translated once per language."""
    return {
        "select": gettext("Select %(name)s"),
        "review": escaped(gettext("review asked")),
        "never": escaped(gettext("never")),
        "now": escaped(gettext("now")),
        "overdue_since": gettext("overdue since %(date)s"),
    }


def _cell(text: str, classes: str = "") -> str:
    return f'<td class="{classes}">{text}</td>' if classes else f"<td>{text}</td>"


def _or_dash(value) -> str:
    return escaped(value) if value else DASH


def _tier(account, columns, words) -> str:
    text = _or_dash(account.tier)
    if account.pareto_class and "pareto" not in columns:
        text += f' <span class="small text-body-secondary">({escaped(account.pareto_class)})</span>'
    if account.tier_review_requested_at:
        text += f' <span class="badge text-bg-light border">{words["review"]}</span>'
    return text


def _last_touch(account, words) -> str:
    touched = account.last_touch_at
    if not touched:
        return f'<span class="text-body-secondary">{words["never"]}</span>'
    return (
        f'<time datetime="{drawn_date(touched, "c")}">'
        f"{drawn_date(touched, 'SHORT_DATE_FORMAT')}</time> "
        f'<span class="text-body-secondary small">({escaped(naturaltime(touched))})</span>'
    )


def _next_touch(account, today, default_cadence, words) -> str:
    """The touch rule's answer (Account.next_touch_due / touch_overdue) for a live account."""
    if not account.is_live:
        return DASH
    due = account.next_touch_due(default_cadence)
    if not account.touch_overdue(today, default_cadence):
        return drawn_date(due, "SHORT_DATE_FORMAT")
    text = (
        words["overdue_since"] % {"date": drawn_date(due, "SHORT_DATE_FORMAT")}
        if due
        else words["now"]
    )
    return f'<span class="text-danger fw-semibold">{text}</span>'


@register.simple_tag
def account_row(account, columns, today, default_cadence) -> str:
    """{% account_row account columns today default_cadence %}: one row of the accounts list,
    its cells those of `columns` (the chosen columns, in the list's order)."""
    words = _words()
    name = escaped(account.name)
    select = words["select"] % {"name": name}
    cells = [
        f'<td><input class="form-check-input" type="checkbox" name="accounts" '
        f'value="{int(account.pk)}" aria-label="{select}"></td>',
        f'<td class="account-name"><a href="{pk_path("account_detail", account.pk)}">{name}</a>'
        "</td>",
    ]
    if "industry" in columns:
        cells.append(_cell(_or_dash(account.industry)))
    if "owner" in columns:
        cells.append(_cell(escaped(account.owner)))
    if "status" in columns:
        cells.append(_cell(escaped(account.get_status_display())))
    if "tier" in columns:
        cells.append(_cell(_tier(account, columns, words)))
    if "health" in columns:
        cells.append(_cell(health_badge(account)))
    if "revenue" in columns:
        cells.append(_cell(whole_amount(account.revenue_converted), "text-end"))
    if "last_touch" in columns:
        cells.append(_cell(_last_touch(account, words)))
    if "next_touch" in columns:
        cells.append(_cell(_next_touch(account, today, default_cadence, words)))
    if "renewal" in columns:
        cells.append(_cell(drawn_date(account.renewal_date, "SHORT_DATE_FORMAT") or DASH))
    if "region" in columns:
        cells.append(_cell(_or_dash(account.region)))
    if "pareto" in columns:
        cells.append(_cell(_or_dash(account.pareto_class)))
    # Every value above is escaped (escaped, drawn_date, whole_amount's safe number).
    return mark_safe(f"<tr>{''.join(cells)}</tr>")  # noqa: S308  # nosec B308 B703
