"""kam.mail builds every email: text parts without HTML escaping, HTML parts escaped; and no
other module builds or sends one (the walk below)."""

import ast
from pathlib import Path

from django.core import mail
from django.urls import reverse

from kam.mail import email_message
from tests.factories import UserFactory

BASE_DIR = Path(__file__).resolve().parents[2]
APPS = ("kam", "accounts", "activities", "plans", "insights", "api", "dataio", "demo")
NAME = "Ferraz & Filhos <b>"
SENDERS = {"EmailMessage", "EmailMultiAlternatives", "send_mail", "send_mass_mail", "mail_admins"}


def test_text_is_plain_and_the_html_part_is_escaped(settings, tmp_path):
    (tmp_path / "subject.txt").write_text("Hello {{ name }}\n  again")
    (tmp_path / "body.txt").write_text("{{ name }} & co\n")
    (tmp_path / "body.html").write_text("<p>{{ name }}</p>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    message = email_message(
        subject_template="subject.txt",
        body_template="body.txt",
        html_template="body.html",
        context={"name": NAME},
        to=["a@example.com"],
    )
    assert message.subject == f"Hello {NAME} again"  # one line
    assert message.body == f"{NAME} & co\n"
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    assert html == "<p>Ferraz &amp; Filhos &lt;b&gt;</p>"


def test_the_password_reset_email_keeps_the_address_as_written(client):
    user = UserFactory(email="o'brien&co@example.com", full_name=NAME)
    client.post(reverse("password_reset"), {"email": user.email})
    (email,) = mail.outbox
    assert email.to == [user.email]
    assert "o'brien&co@example.com" in email.body
    assert "&amp;" not in email.body and "&#x27;" not in email.body
    assert email.subject == "Reset your KAM password"


def test_only_kam_mail_builds_emails():
    """Every email goes through kam.mail.email_message: no other module imports Django's
    message classes or send functions."""
    builders = set()
    for app in APPS:
        for path in (BASE_DIR / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.ImportFrom)
                    and (node.module or "").startswith("django.core.mail")
                    and {alias.name for alias in node.names} & SENDERS
                ):
                    builders.add(path.relative_to(BASE_DIR).as_posix())
    assert builders == {"kam/mail.py"}
