"""The api app's answers to the core's signals (imported by ApiConfig.ready)."""

from django.dispatch import receiver

from api.services import api_tokens_revoke_all
from kam.signals import password_changed


@receiver(password_changed, dispatch_uid="api_tokens_end_with_the_password")
def api_tokens_end_with_the_password(sender, *, user, **kwargs):
    """A new password locks out whoever knew the old one; a token made with it would not
    (docs/api.md, "Authentication")."""
    api_tokens_revoke_all(user=user)
