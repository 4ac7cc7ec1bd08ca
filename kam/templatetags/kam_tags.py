from django import template

register = template.Library()


@register.filter
def next_touch_due(account, default_cadence_days: int):
    """{{ account|next_touch_due:default_cadence }} — the model fact, for templates."""
    return account.next_touch_due(default_cadence_days)
