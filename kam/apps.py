from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class KamConfig(AppConfig):
    name = "kam"
    verbose_name = _("KAM")

    def ready(self) -> None:
        from kam.models import RetentionKind
        from kam.retention import audit_trail_apply, register_retention

        register_retention(RetentionKind.AUDIT_TRAIL, audit_trail_apply)

        # The option of no choice in a select Django draws (a model field with choices, a
        # ModelChoiceField without its own empty_label). Django 6.1's label has no Brazilian
        # Portuguese in Django's catalogue, so it is ours to translate; Django reads it from
        # this attribute each time it draws one, and lets an app's ready() set it.
        from django.db.models import fields

        fields.BLANK_CHOICE_LABEL = pgettext_lazy(
            "the empty choice of a select", "- Select an option -"
        )
