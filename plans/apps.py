from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = _("Plans")

    def ready(self):
        from plans import signals  # noqa: F401  (connects the receivers)
