from django.urls import path

from capture import views, webhooks

urlpatterns = [
    path("capture/", views.capture_log_page, name="capture_log"),
    path("capture/address/", views.logging_address_page, name="logging_address"),
    path(
        "capture/address/regenerate/",
        views.logging_address_regenerate,
        name="logging_address_regenerate",
    ),
    path("capture/address/revoke/", views.logging_address_revoke, name="logging_address_revoke"),
    path("capture/<int:pk>/request/", views.message_request_open, name="capture_request_open"),
    path("capture/<int:pk>/assign/", views.message_assign, name="capture_assign"),
    path("capture/<int:pk>/discard/", views.message_discard, name="capture_discard"),
    path(
        "accounts/<int:pk>/email-domains/",
        views.account_email_domains,
        name="account_email_domains",
    ),
    path(
        "accounts/<int:pk>/email-upload/", views.account_email_upload, name="account_email_upload"
    ),
    # Hosted inbound mail (capture/webhooks.py): public, authenticated by the provider's check.
    path(
        "anymail/mailgun/inbound_mime/",
        webhooks.MailgunInbound.as_view(),
        name="capture_mailgun_inbound",
    ),
    path(
        "anymail/postmark/inbound/",
        webhooks.PostmarkInbound.as_view(),
        name="capture_postmark_inbound",
    ),
]
