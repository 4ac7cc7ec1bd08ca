from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from accounts.selectors import account_owners_for_user
        from accounts.services import departed_contact_details_clear
        from kam.models import RetentionKind
        from kam.people import register_scope
        from kam.retention import register_retention

        register_retention(RetentionKind.DEPARTED_CONTACT_DETAILS, departed_contact_details_clear)
        # The people pickers' scope of the lists' and the dashboard's owner filter.
        register_scope("owners", account_owners_for_user)
