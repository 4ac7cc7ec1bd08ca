from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KamConfig(AppConfig):
    name = "kam"
    verbose_name = _("KAM")

    def ready(self) -> None:
        from kam.models import RetentionKind
        from kam.retention import audit_trail_apply, register_retention

        register_retention(RetentionKind.AUDIT_TRAIL, audit_trail_apply)
