from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API")

    def ready(self):
        # Registers the schema's token auth scheme; connects to the core's signals.
        from api import schema, signals  # noqa: F401
