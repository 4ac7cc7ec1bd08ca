from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from capture.models import AccountEmailDomain, InboundMessage, LoggingAddress, SenderAlias


@admin.register(SenderAlias)
class SenderAliasAdmin(admin.ModelAdmin):
    """Aliases are verified here by an admin (there is no verification-by-email flow)."""

    list_display = ["email", "user", "verified_at"]
    list_filter = [("verified_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "user__email"]
    autocomplete_fields = ["user"]
    actions = ["verify"]

    @admin.action(description=_("Verify the selected aliases"))
    def verify(self, request, queryset):
        queryset.filter(verified_at__isnull=True).update(verified_at=timezone.now())


@admin.register(LoggingAddress)
class LoggingAddressAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "revoked_at"]
    readonly_fields = ["token"]
    search_fields = ["user__email"]


@admin.register(AccountEmailDomain)
class AccountEmailDomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "account"]
    search_fields = ["domain", "account__name"]


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ["received_at", "user", "status", "subject", "from_email", "account"]
    list_filter = ["status", "via"]
    search_fields = ["subject", "from_email", "message_id"]
    exclude = ["raw"]
    readonly_fields = ["interaction", "client_request", "account", "user"]
