"""What the signed-in user may do on an account, for templates: buttons they may not use are
not shown. The answer is accounts.selectors.account_permits, the one rule."""

from django import template

from accounts.selectors import Access, account_permits

register = template.Library()


@register.simple_tag(takes_context=True)
def account_may(context, account, action: str) -> bool:
    """{% account_may account "change_team" as may_change_team %}"""
    return account_permits(context["request"].user, account, Access(action))
