"""Data retention (kam/retention.py): the admin-edited policy, the registry and the nightly
apply, with the kinds that exist today (departed contacts' email and phone, the audit trail;
the captured mail kinds are tested in tests/capture/test_retention.py)."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Stakeholder
from kam import retention
from kam.models import AuditEvent, RetentionKind, RetentionPolicy
from kam.retention import (
    RetentionFailed,
    months_before,
    register_retention,
    registered_kinds,
    retention_apply,
    retention_policy_save,
)
from kam.tasks import apply_retention
from tests.factories import StakeholderFactory

TODAY = date(2026, 3, 10)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 3, 10), 1, date(2026, 2, 10)),
        (date(2026, 3, 31), 1, date(2026, 2, 28)),
        (date(2024, 3, 31), 1, date(2024, 2, 29)),
        (date(2026, 1, 15), 13, date(2024, 12, 15)),
        (date(2026, 3, 10), 24, date(2024, 3, 10)),
    ],
)
def test_months_before_counts_calendar_months(day, months, expected):
    assert months_before(day, months) == expected


def test_every_kind_defined_today_is_registered():
    assert registered_kinds() == list(RetentionKind.values)


def test_an_unknown_kind_cannot_be_registered():
    with pytest.raises(ValueError, match="chat_transcripts"):
        register_retention("chat_transcripts", lambda *, cutoff: 0)


@pytest.fixture
def departed(db):
    """Three people: left 25 months ago, left 23 months ago, still there."""
    return {
        "long_gone": StakeholderFactory(
            name="Long Gone", email="gone@x.example", phone="1", left_on=date(2024, 2, 1)
        ),
        "recent": StakeholderFactory(
            name="Recent", email="recent@x.example", phone="2", left_on=date(2024, 4, 1)
        ),
        "present": StakeholderFactory(name="Present", email="here@x.example", phone="3"),
    }


def _contact(person) -> tuple[str, str]:
    person.refresh_from_db()
    return person.email, person.phone


def test_nothing_is_applied_without_a_limit(departed):
    assert retention_apply(today=TODAY) == {}
    assert _contact(departed["long_gone"]) == ("gone@x.example", "1")


def test_departed_contacts_lose_email_and_phone_after_their_months(admin_user, departed):
    retention_policy_save(actor=admin_user, kind=RetentionKind.DEPARTED_CONTACT_DETAILS, months=24)
    with time_machine.travel(datetime(2026, 3, 10, 7, tzinfo=UTC), tick=False):
        assert retention_apply(today=TODAY) == {"departed_contact_details": 1}
        # Idempotent: a second run the same night changes nothing.
        assert retention_apply(today=TODAY) == {"departed_contact_details": 0}
    assert _contact(departed["long_gone"]) == ("", "")
    assert departed["long_gone"].name == "Long Gone"
    assert _contact(departed["recent"]) == ("recent@x.example", "2")
    assert _contact(departed["present"]) == ("here@x.example", "3")
    policy = RetentionPolicy.objects.get(kind="departed_contact_details")
    assert policy.last_applied_rows == 0
    assert policy.last_applied_at == datetime(2026, 3, 10, 7, tzinfo=UTC)
    # Two months later the recent one is past the limit too (the task, as beat runs it).
    apply_retention(today="2026-05-10")
    assert _contact(departed["recent"]) == ("", "")
    applied = AuditEvent.objects.filter(object_type="retention_policy", action="erased")
    assert [event.changes["rows"] for event in applied] == [[None, "1"], [None, "1"]]


def test_old_audit_entries_but_erasures_go_when_the_audit_trail_has_a_limit(admin_user, db):
    with time_machine.travel(datetime(2020, 1, 1, 12, tzinfo=UTC), tick=False):
        old = AuditEvent.objects.create(action="updated", object_type="account", object_id=1)
        erasure = AuditEvent.objects.create(action="erased", object_type="stakeholder")
    retention_policy_save(actor=admin_user, kind=RetentionKind.AUDIT_TRAIL, months=60)
    done = retention_apply(today=TODAY)
    assert done == {"audit_trail": 1}
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    # The proof of an erasure stays.
    assert AuditEvent.objects.filter(pk=erasure.pk).exists()
    # The policy change and the run itself are on record.
    assert AuditEvent.objects.filter(object_type="retention_policy").count() == 2


def test_the_command_applies_the_same_service(admin_user, departed, capsys):
    retention_policy_save(actor=admin_user, kind=RetentionKind.DEPARTED_CONTACT_DETAILS, months=1)
    call_command("apply_retention", "--today", "2026-03-10")
    assert "departed_contact_details: 2 row(s)." in capsys.readouterr().out
    assert Stakeholder.objects.exclude(email="").count() == 1


def test_admins_edit_the_policy_and_each_change_is_audited(client_for, admin_user):
    url = reverse("retention_policies")
    client = client_for(admin_user)
    page = client.get(url).content.decode()
    assert "Email and phone of contacts who left their company" in page
    response = client.post(url, {"departed_contact_details": "18", "audit_trail": ""})
    assert response.status_code == 302
    assert RetentionPolicy.objects.get(kind="departed_contact_details").months == 18
    assert RetentionPolicy.objects.get(kind="audit_trail").months is None
    event = AuditEvent.objects.get(object_type="retention_policy")
    assert (event.actor, event.changes) == (admin_user, {"months": [None, "18"]})
    # Saving the same values again records nothing new.
    client.post(url, {"departed_contact_details": "18", "audit_trail": ""})
    assert AuditEvent.objects.filter(object_type="retention_policy").count() == 1


def test_the_policy_refuses_zero_months(client_for, admin_user):
    response = client_for(admin_user).post(
        reverse("retention_policies"), {"departed_contact_details": "0"}
    )
    assert response.status_code == 422
    assert not RetentionPolicy.objects.exists()


@pytest.mark.parametrize("persona", ["kam_user", "leader"])
def test_only_admins_open_the_retention_page(request, client_for, persona):
    user = request.getfixturevalue(persona)
    assert client_for(user).get(reverse("retention_policies")).status_code == 403


def test_a_failing_kind_rolls_back_alone_and_the_run_reports_it(admin_user, departed, monkeypatch):
    def broken(*, cutoff):
        Stakeholder.objects.update(notes="half-written")
        raise RuntimeError("disk full")

    monkeypatch.setitem(retention._REGISTRY, RetentionKind.AUDIT_TRAIL, broken)
    retention_policy_save(actor=admin_user, kind=RetentionKind.AUDIT_TRAIL, months=1)
    retention_policy_save(actor=admin_user, kind=RetentionKind.DEPARTED_CONTACT_DETAILS, months=1)
    with pytest.raises(RetentionFailed, match="audit_trail"):
        retention_apply(today=TODAY)
    assert not Stakeholder.objects.filter(notes="half-written").exists()
    assert _contact(departed["long_gone"]) == ("", "")
