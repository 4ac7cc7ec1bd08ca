from django import template

register = template.Library()


@register.filter
def overdue_on(commitment, today):
    """{% if commitment|overdue_on:today %} — Commitment.is_overdue, for templates, so no
    template writes the rule again."""
    return commitment.is_overdue(today)
