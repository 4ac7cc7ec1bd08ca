"""`Authorization: Bearer <token>` with a personal API token (api.models.ApiToken)."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from api.models import TOKEN_PREFIX, ApiToken, token_digest

KEYWORDS = (b"bearer", b"token")
# last_used_at is a hint for people cleaning up tokens, not an audit log: writing it on every
# request would add an UPDATE to each call.
LAST_USED_PRECISION = timedelta(minutes=5)


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid Authorization header: give the token after the word Bearer.")
            )
        try:
            secret = parts[1].decode()
        except UnicodeError as error:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from error
        if not secret.startswith(TOKEN_PREFIX):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token = (
            ApiToken.objects.select_related("user")
            .filter(digest=token_digest(secret), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
