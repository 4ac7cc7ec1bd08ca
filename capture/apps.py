from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaptureConfig(AppConfig):
    name = "capture"
    verbose_name = _("Capture")

    def ready(self) -> None:
        from capture import webhooks  # noqa: F401  (connects the anymail inbound signal)
        from capture.privacy import KEY, captured_emails_erase, captured_emails_export
        from capture.services import email_attachments_drop, email_bodies_trim, raw_emails_drop
        from insights.privacy import register_personal_data
        from kam.models import RetentionKind
        from kam.retention import register_retention

        register_retention(RetentionKind.RAW_EMAIL_MESSAGES, raw_emails_drop)
        register_retention(RetentionKind.EMAIL_BODIES, email_bodies_trim)
        register_retention(RetentionKind.EMAIL_ATTACHMENTS, email_attachments_drop)
        register_personal_data(KEY, export=captured_emails_export, erase=captured_emails_erase)
