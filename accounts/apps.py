from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from accounts.services import departed_contact_details_clear
        from kam.models import RetentionKind
        from kam.retention import register_retention

        register_retention(RetentionKind.DEPARTED_CONTACT_DETAILS, departed_contact_details_clear)
