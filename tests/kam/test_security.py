"""Browser-facing hardening: Content-Security-Policy with no inline script or style, login
throttling (django-axes) keyed on the email, password validators, escaping of user text."""

import html
import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from activities import services as activity_services
from kam.dates import business_date
from plans import services as plan_services
from tests.factories import PASSWORD, StakeholderFactory, UserFactory

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.IGNORECASE | re.DOTALL)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)
STYLE_TAG = re.compile(r"<style\b", re.IGNORECASE)


def inline_code(html: str) -> list[str]:
    """Everything in a page that a strict CSP would block: inline scripts (data blocks of type
    application/json are not run, so they pass), event-handler attributes, style attributes and
    <style> elements."""
    found = []
    for attributes, body in SCRIPT_TAG.findall(html):
        if "src=" in attributes:
            if body.strip():
                found.append(f"script with src and a body: {body[:60]}")
            continue
        if 'type="application/json"' not in attributes:
            found.append(f"inline script: {body.strip()[:60]}")
    found += [f"event handler: {m[:80]}" for m in EVENT_HANDLER.findall(html)]
    found += [f"style attribute: {m[:80]}" for m in STYLE_ATTRIBUTE.findall(html)]
    found += [f"style element: {m}" for m in STYLE_TAG.findall(html)]
    return found


@pytest.fixture
def pages(account, kam_user, now):
    """One of each kind of page, with data in it (objective progress bars included)."""
    plan = plan_services.plan_create(
        account=account,
        actor=kam_user,
        status="active",
        title="Acme 2026",
        period_start=now.date().replace(month=1, day=1),
        period_end=now.date().replace(month=12, day=31),
    )
    plan_services.objective_create(
        plan=plan,
        actor=kam_user,
        description="Cut downtime",
        metric="Downtime",
        baseline=40,
        target=20,
        current_value=30,
        unit="h",
        status="on_track",
    )
    StakeholderFactory(account=account, name="Carla Chefe")
    pk = account.pk
    return [
        reverse("my_work"),
        reverse("account_list"),
        reverse("account_detail", args=[pk]),
        reverse("account_stakeholders", args=[pk]),
        reverse("account_timeline", args=[pk]),
        reverse("account_commitments", args=[pk]),
        reverse("account_qbrs", args=[pk]),
        reverse("interaction_create", args=[pk]),
        reverse("account_plan", args=[pk]),
        reverse("plan_detail", args=[pk, plan.pk]),
        reverse("account_whitespace", args=[pk]),
        reverse("portfolio"),
        reverse("configuration"),
        reverse("tier_review"),
        reverse("product_list"),
        reverse("notification_list"),
        reverse("calendar_settings"),
        reverse("profile"),
        reverse("audit_log"),
        reverse("exchange_rates"),
        reverse("import_start"),
        reverse("api_docs"),
        reverse("admin:index"),
        reverse("admin:kam_user_change", args=[kam_user.pk]),
    ]


def test_key_pages_send_a_strict_csp_and_hold_no_inline_code(client_for, admin_user, pages):
    client = client_for(admin_user)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy, url
        assert "style-src 'self'" in policy, url
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, url
        assert "frame-ancestors 'none'" in policy, url
        assert inline_code(response.content.decode()) == [], url


def test_the_login_page_sends_the_csp_and_holds_no_inline_code(client, db):
    response = client.get(reverse("login"))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert inline_code(response.content.decode()) == []


def test_the_inline_code_detector_finds_what_csp_would_block():
    html = (
        '<script>alert(1)</script><script src="/a.js"></script>'
        '<script type="application/json" id="d">{"a": 1}</script>'
        '<a href="#" onclick="x()">x</a><div style="width: 5%"></div><style>a{}</style>'
    )
    found = inline_code(html)
    assert len(found) == 4
    assert found[0] == "inline script: alert(1)"


# --- Login throttling -----------------------------------------------------------------------


def _login(client, email, password):
    return client.post(reverse("login"), {"username": email, "password": password})


def test_five_wrong_passwords_lock_the_email_out_with_a_message(client, kam_user, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _attempt in range(4):
        assert _login(client, "owner@example.com", "wrong").status_code == 200
    locked = _login(client, "Owner@Example.com", "wrong")  # case makes no other person
    assert locked.status_code == 429
    body = locked.content.decode()
    assert "Too many failed sign-ins for this email. Try again in 15 minutes" in body
    # Even the right password is refused while locked out.
    right = _login(client, "owner@example.com", PASSWORD)
    assert right.status_code == 429
    assert not right.wsgi_request.user.is_authenticated


def test_a_lockout_ends_after_the_cool_off(client, kam_user):
    for _attempt in range(5):
        _login(client, "owner@example.com", "wrong")
    later = timezone.now() + timedelta(minutes=16)
    with time_machine.travel(later, tick=False):
        response = _login(client, "owner@example.com", PASSWORD)
    assert response.status_code == 302


def test_a_lockout_is_per_email_so_others_still_sign_in(client, kam_user):
    other = UserFactory(email="other@example.com")
    for _attempt in range(5):
        _login(client, "owner@example.com", "wrong")
    response = _login(client, "other@example.com", PASSWORD)
    assert response.status_code == 302
    assert response.wsgi_request.user == other


def test_a_good_login_resets_the_failure_count(client, kam_user):
    for _attempt in range(4):
        _login(client, "owner@example.com", "wrong")
    assert _login(client, "owner@example.com", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _attempt in range(4):
        assert _login(client, "owner@example.com", "wrong").status_code == 200


# --- Passwords ------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["demo", "password123", "12345678901", "owner@example"])
def test_weak_passwords_are_refused(kam_user, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=kam_user)


def test_a_long_uncommon_password_passes(kam_user):
    validate_password("Quarterly review in Curitiba 2026", user=kam_user)


# --- User text is escaped ---------------------------------------------------------------------

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_user_text_is_escaped_on_every_page_that_shows_it(client_for, account, kam_user, now):
    stakeholder = account_services.stakeholder_create(
        account=account, actor=kam_user, name=PAYLOAD, title=PAYLOAD, notes=PAYLOAD
    )
    activity_services.interaction_log(
        account=account,
        actor=kam_user,
        kind="meeting",
        occurred_at=timezone.now(),
        summary=PAYLOAD,
        notes=PAYLOAD,
        stakeholders=[stakeholder],
    )
    plan = plan_services.plan_create(
        account=account,
        actor=kam_user,
        status="active",
        title=PAYLOAD,
        period_start=now.date().replace(month=1, day=1),
        period_end=now.date().replace(month=12, day=31),
        swot_strengths=PAYLOAD,
    )
    account_services.milestone_create(
        account=account, actor=kam_user, happened_on=now.date(), title=PAYLOAD
    )
    client = client_for(kam_user)
    pk = account.pk
    for url in [
        reverse("account_detail", args=[pk]),
        reverse("account_stakeholders", args=[pk]),
        reverse("account_timeline", args=[pk]),
        reverse("plan_detail", args=[pk, plan.pk]),
        reverse("account_plan", args=[pk]),
    ]:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
        assert "&lt;script&gt;alert(" in html, url


def test_only_the_justified_check_is_silenced(settings):
    """check --deploy runs clean (tests/kam/test_settings.py) with one check silenced, on purpose
    and explained in kam/settings.py; silencing another needs the same care."""
    assert settings.SILENCED_SYSTEM_CHECKS == ["axes.W006"]


# --- Upload limits --------------------------------------------------------------------------


def _upload(client, name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("import_start"),
        {"entity": "accounts", "file": SimpleUploadedFile(name, content)},
    )


def test_an_import_file_over_20_mb_is_refused_before_it_is_read(client_for, leader):
    from dataio.models import ImportJob

    response = _upload(client_for(leader), "big.csv", b"name\n" + b"x" * (20 * 1024 * 1024))
    assert "the limit is 20 MB" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_that_is_not_a_table_is_refused(client_for, leader):
    from dataio.models import ImportJob

    fake_xlsx = b"PK\x03\x04 not really a workbook"
    response = _upload(client_for(leader), "accounts.xlsx", fake_xlsx)
    assert response.status_code in (200, 422)
    assert not ImportJob.objects.exists()


def test_a_form_body_over_the_limit_is_refused(client_for, kam_user, settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    client = client_for(kam_user)
    client.raise_request_exception = False
    response = client.post(
        reverse("account_create"), {"name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}
    )
    # Said as what it is and what to do, in the user's page: a 413 with the page around it.
    assert response.status_code == 413
    page = html.unescape(response.content.decode())
    assert "This is too large to save: go back and shorten the longest text" in page
    assert 'id="messages"' in page and "data-request-too-large" in page


def test_script_posted_through_the_quick_log_comes_back_escaped(client_for, account, kam_user, now):
    stakeholder = StakeholderFactory(account=account, name="Carla Chefe")
    client = client_for(kam_user)
    due = (business_date() + timedelta(days=3)).isoformat()
    response = client.post(
        reverse("interaction_create", args=[account.pk]),
        {
            "log-kind": "meeting",
            "log-occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "log-stakeholders": [stakeholder.pk],
            "log-summary": PAYLOAD,
            "log-notes": PAYLOAD,
            "log-sentiment": "0",
            "log-category": "evolution",
            "next_steps-TOTAL_FORMS": "1",
            "next_steps-INITIAL_FORMS": "0",
            "next_steps-MIN_NUM_FORMS": "0",
            "next_steps-MAX_NUM_FORMS": "1000",
            "next_steps-0-title": PAYLOAD,
            "next_steps-0-owner": f"u{kam_user.pk}",
            "next_steps-0-due_date": due,
        },
    )
    assert response.status_code == 302
    for url in [
        reverse("account_timeline", args=[account.pk]),
        reverse("account_detail", args=[account.pk]),
        reverse("account_commitments", args=[account.pk]),
        reverse("my_work"),
    ]:
        html = client.get(url).content.decode()
        assert "&lt;script&gt;alert(" in html, url
        assert "<script>alert" not in html and "<img src=x" not in html, url


def test_setting_a_new_password_from_the_emailed_link_lifts_the_lockout(client, kam_user):
    from django.core import mail

    for _attempt in range(5):
        _login(client, "owner@example.com", "wrong")
    assert _login(client, "owner@example.com", PASSWORD).status_code == 429

    client.post(reverse("password_reset"), {"email": "owner@example.com"})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password-reset/" in line)
    form_page = client.get(link.split("testserver", 1)[1], follow=True)
    new_password = "A fresh pass 2026!"
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done.status_code == 302
    assert _login(client, "owner@example.com", new_password).status_code == 302
