from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from api import services
from api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Admins see who holds which tokens and can revoke one that leaked; nobody makes or reads
    a token here (the secret exists only in the response that created it)."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "user__email", "user__full_name", "prefix"]
    fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        count = services.api_tokens_revoke(
            actor=request.user, token_ids=queryset.values_list("pk", flat=True)
        )
        self.message_user(
            request,
            ngettext("%(count)s token revoked.", "%(count)s tokens revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )
