"""Every email the app sends is built here: subject and plain-text body from templates rendered
without HTML escaping (a subject is not HTML: `Ferraz & Filhos` must not arrive as
`Ferraz &amp; Filhos`), an HTML part, when there is one, rendered with escaping as any page.

Text templates need no `{% autoescape off %}`: `render_text` switches escaping off for the whole
template, so a template cannot forget it.
"""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.template import Context, engines
from django.template.loader import render_to_string


def render_text(template_name: str, context: dict) -> str:
    """A template of the project's Django engine as plain text: no HTML escaping."""
    template = engines["django"].engine.get_template(template_name)
    return template.render(Context(context, autoescape=False))


def email_message(
    *,
    subject_template: str,
    body_template: str,
    context: dict,
    to: list[str],
    html_template: str | None = None,
    from_email: str | None = None,
) -> EmailMultiAlternatives:
    """The message, ready to `.send()`. The subject is one line (line breaks in a name would
    make an invalid header), the body ends with one newline."""
    subject = " ".join(render_text(subject_template, context).split())
    body = render_text(body_template, context).strip() + "\n"
    message = EmailMultiAlternatives(subject=subject, body=body, from_email=from_email, to=to)
    if html_template:
        message.attach_alternative(render_to_string(html_template, context), "text/html")
    return message
