"""Exchange rates are written by insights.services (audit trail, dashboard cache reset after the
commit), and the admin page goes through them."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import ExchangeRate
from insights import services
from insights.portfolio import GENERATION_KEY
from kam.models import AuditEvent


def _generation():
    return caches["shared"].get(GENERATION_KEY)


def test_setting_a_rate_is_audited_and_resets_the_dashboard_cache_after_the_commit(
    admin_user, django_capture_on_commit_callbacks
):
    before = _generation()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rate = services.exchange_rate_set(
            actor=admin_user, currency="USD", rate=Decimal("5.1"), valid_from=date(2026, 1, 1)
        )
    assert len(callbacks) == 1
    assert _generation() != before
    event = AuditEvent.objects.get(object_type="exchange_rate")
    assert (event.action, event.object_id, event.actor) == ("created", rate.pk, admin_user)
    assert event.changes["rate"] == [None, "5.1"]
    assert rate.set_by == admin_user


def test_a_rate_out_of_the_date_range_is_refused_and_nothing_is_written(admin_user):
    with pytest.raises(ValidationError) as refused:
        services.exchange_rate_set(
            actor=admin_user, currency="USD", rate=Decimal("5"), valid_from=date(9999, 12, 31)
        )
    assert "valid_from" in refused.value.error_dict
    assert not ExchangeRate.objects.exists()
    assert not AuditEvent.objects.exists()


def test_deleting_a_rate_is_audited_and_resets_the_cache(
    admin_user, django_capture_on_commit_callbacks
):
    rate = services.exchange_rate_set(
        actor=admin_user, currency="EUR", rate=Decimal("6"), valid_from=date(2026, 1, 1)
    )
    before = _generation()
    with django_capture_on_commit_callbacks(execute=True):
        services.exchange_rate_delete(actor=admin_user, exchange_rate=rate)
    assert _generation() != before
    assert not ExchangeRate.objects.exists()
    deleted = AuditEvent.objects.get(action="deleted")
    assert deleted.changes["currency"] == ["EUR", None]


def test_the_rates_page_writes_through_the_service(client_for, admin_user):
    client = client_for(admin_user)
    response = client.post(
        reverse("exchange_rates"), {"currency": "USD", "rate": "5", "valid_from": "2026-02-01"}
    )
    assert response.status_code == 302
    rate = ExchangeRate.objects.get()
    assert AuditEvent.objects.filter(object_type="exchange_rate", object_id=rate.pk).exists()
    refused = client.post(
        reverse("exchange_rates"), {"currency": "USD", "rate": "5", "valid_from": "1900-01-01"}
    )
    assert refused.status_code == 422
    assert list(refused.context["form"].errors) == ["valid_from"]
    client.post(reverse("exchange_rate_delete", args=[rate.pk]))
    assert AuditEvent.objects.filter(object_type="exchange_rate", action="deleted").count() == 1
