"""The activities app's answers to the core's signals (imported by ActivitiesConfig.ready)."""

from django.dispatch import receiver

from activities.services import calendar_token_revoke
from kam.signals import password_changed


@receiver(password_changed, dispatch_uid="calendar_feed_ends_with_the_password")
def calendar_feed_ends_with_the_password(sender, *, user, **kwargs):
    """The feed's secret URL is a credential too: whoever copied it with the old password keeps
    reading the user's QBRs and commitments otherwise. The user makes a new one in a click."""
    calendar_token_revoke(user=user)
