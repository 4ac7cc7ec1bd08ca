"""Personal API tokens: create (the secret is returned once) and revoke."""

import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import TOKEN_PREFIX, ApiToken, token_digest
from kam.audit import Action, audit_record
from kam.validation import clean_row

MAX_LIVE_TOKENS = 20


@transaction.atomic
def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """A new live token for `user`; returns the row and the secret, which is not stored."""
    name = name.strip()
    # The user's row is the lock: two creates with the same name cannot both pass the check.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    names = {token.name.casefold() for token in live}
    if name.casefold() in names:
        raise ValidationError({"name": _("You already have a token with this name.")})
    if len(names) >= MAX_LIVE_TOKENS:
        raise ValidationError(
            _("You have %(count)s live tokens; revoke one you no longer use first.")
            % {"count": len(names)}
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=name, prefix=secret[: len(TOKEN_PREFIX) + 6], digest=token_digest(secret)
    )
    clean_row(token)
    token.save()
    return token, secret


@transaction.atomic
def api_token_revoke(*, user, token_id: int) -> bool:
    """Revoke one of `user`'s live tokens; False when there is no such live token."""
    return bool(
        ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )


@transaction.atomic
def api_tokens_revoke_all(*, user) -> int:
    """Revoke every live token of `user` (their password changed: api.signals); returns how
    many."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


@transaction.atomic
def api_tokens_revoke(*, actor, token_ids) -> int:
    """An admin revokes tokens of anyone (a leaked one); each revocation is in the audit trail.
    Returns how many live tokens were revoked."""
    tokens = list(
        ApiToken.objects.select_for_update()
        .filter(pk__in=list(token_ids), revoked_at__isnull=True)
        .select_related("user")
    )
    now = timezone.now()
    ApiToken.objects.filter(pk__in=[token.pk for token in tokens]).update(revoked_at=now)
    for token in tokens:
        audit_record(
            actor=actor,
            action=Action.UPDATED,
            object_type="api_token",
            object_id=token.pk,
            label=f"{token.name} ({token.user.email})",
            changes={"revoked_at": [None, now.isoformat()]},
        )
    return len(tokens)
