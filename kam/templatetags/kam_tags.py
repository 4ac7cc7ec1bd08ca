from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, format_decimal
from django import template
from django.utils.translation import get_language, to_locale

register = template.Library()


@register.filter
def next_touch_due(account, default_cadence_days: int):
    """{{ account|next_touch_due:default_cadence }} — the model fact, for templates."""
    return account.next_touch_due(default_cadence_days)


@register.filter
def money(amount, currency: str):
    """{{ amount|money:currency }} — an amount in the reader's language, with the currency's
    symbol where that language puts it: `R$ 1.234,56` in Portuguese, `R$1,234.56` in English,
    `US$ 1.234,56` for dollars in Portuguese. No amount shows a dash; no currency, the number."""
    if amount is None or amount == "":
        return "—"
    try:
        number = Decimal(str(amount))
    except InvalidOperation:
        return amount
    locale = to_locale(get_language() or "en")
    if not currency:
        return format_decimal(number, format="#,##0.00", locale=locale)
    return format_currency(number, currency, locale=locale)
