import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Every token starts with this, so a leaked one is recognisable (secret scanners, logs).
TOKEN_PREFIX = "kam_"  # noqa: S105 (a label, not a secret)


def token_digest(secret: str) -> str:
    """SHA-256 of the whole token. Tokens carry 256 random bits, so a fast hash is enough: what
    matters is that the database never holds a token that works."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    """A named personal token for the REST API. Only its digest is stored; the token itself is
    shown once, when it is created. Revoking keeps the row (revoked_at) for the record."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    # The first characters of the token, shown in the list so people can tell tokens apart.
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                condition=Q(revoked_at__isnull=True),
                name="api_token_live_name_unique",
                violation_error_message=_("You already have a token with this name."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None
