"""Hosted inbound mail: django-anymail's inbound webhooks for Mailgun and Postmark, into the same
pipeline as the SMTP receiver (capture.services.message_receive, via "webhook").

Public endpoints: the caller is the mail provider, authenticated by its check (anymail's
validate_request) — Mailgun's HMAC-SHA256 signature of each post with the webhook signing key,
Postmark's basic auth in the webhook URL (ANYMAIL["WEBHOOK_SECRET"]). An endpoint whose check is
not configured answers 404: it is off, never open. A bad signature is refused by anymail (400)
before anything is stored. The raw MIME is taken as the provider sent it (Mailgun's
"inbound_mime" route field `body-mime`, Postmark's `RawEmail` with "Include raw email content"
on); only without it is the message rebuilt from anymail's parsed AnymailInboundMessage.
"""

from __future__ import annotations

import logging

from anymail.inbound import AnymailInboundMessage
from anymail.signals import AnymailInboundEvent, inbound
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.dispatch import receiver
from django.http import Http404
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt

from capture.parsing import MAX_RECIPIENTS
from capture.services import logging_token, message_receive

logger = logging.getLogger(__name__)


def _anymail(name: str):
    return (getattr(settings, "ANYMAIL", None) or {}).get(name)


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class MailgunInbound(MailgunInboundWebhookView):
    """Mailgun route `forward("https://…/anymail/mailgun/inbound_mime/")`."""

    def dispatch(self, request, *args, **kwargs):
        if not _anymail("MAILGUN_WEBHOOK_SIGNING_KEY"):
            raise Http404("Mailgun inbound is not configured")
        return super().dispatch(request, *args, **kwargs)


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class PostmarkInbound(PostmarkInboundWebhookView):
    """Postmark inbound stream webhook `https://user:password@…/anymail/postmark/inbound/`."""

    warn_if_no_basic_auth = False  # off (404) rather than open when there is no secret

    def dispatch(self, request, *args, **kwargs):
        if not _anymail("WEBHOOK_SECRET"):
            raise Http404("Postmark inbound is not configured")
        return super().dispatch(request, *args, **kwargs)


def raw_mime(event: AnymailInboundEvent) -> bytes:
    """The message as the provider received it. Mailgun posts it as a form field and Postmark
    inside JSON, both as text: its bytes are the UTF-8 of that text (anymail parses it so)."""
    esp_event = event.esp_event
    post = getattr(esp_event, "POST", None)
    if post is not None and "body-mime" in post:  # Mailgun's raw-MIME forward
        return post["body-mime"].encode("utf-8", "surrogateescape")
    if isinstance(esp_event, dict) and esp_event.get("RawEmail"):  # Postmark
        return esp_event["RawEmail"].encode("utf-8", "surrogateescape")
    message: AnymailInboundMessage = event.message
    return message.as_bytes()


def _recipients(event: AnymailInboundEvent) -> list[str]:
    found = (event.message.envelope_recipient or "").split(",")
    return [r.strip() for r in found if logging_token(r)][:MAX_RECIPIENTS]


@receiver(inbound, dispatch_uid="capture_inbound_webhook")
def inbound_received(sender, event: AnymailInboundEvent, esp_name: str, **kwargs) -> None:
    """Store what a provider posted; a database error propagates (5xx: the provider retries)."""
    recipients = _recipients(event)
    if not recipients:  # what the SMTP receiver answers 550 to
        logger.info("Capture webhook (%s): no logging address among the recipients", esp_name)
        return
    raw = raw_mime(event)
    if len(raw) > settings.CAPTURE_MAX_MESSAGE_BYTES:
        logger.warning("Capture webhook (%s): %d bytes over the limit, refused", esp_name, len(raw))
        return
    message_receive(
        raw=raw,
        via="webhook",
        envelope_from=event.message.envelope_sender or "",
        envelope_to=recipients,
    )
