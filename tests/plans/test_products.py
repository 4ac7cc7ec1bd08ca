"""The catalogue is written by plans.services (audit trail) from the admin and the importer;
plans, business units and plan history are read-only in the admin."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dataio.services import import_file
from kam.models import AuditEvent
from plans import services
from plans.models import AccountPlan, PlanChange, Product


def test_product_create_and_update_are_audited(admin_user):
    product = services.product_create(
        actor=admin_user, name="GTX Pro", series="GTX", list_price=Decimal("4821"), currency="USD"
    )
    services.product_update(product=product, actor=admin_user, list_price=Decimal("5000"))
    services.product_update(product=product, actor=admin_user, list_price=Decimal("5000"))
    events = list(AuditEvent.objects.filter(object_type="product").order_by("pk"))
    assert [e.action for e in events] == ["created", "updated"]
    assert events[1].changes == {"list_price": ["4821", "5000"]}


def test_a_negative_price_is_refused(admin_user):
    with pytest.raises(ValidationError):
        services.product_create(actor=admin_user, name="X", list_price=Decimal("-1"))
    assert not Product.objects.exists()


def test_the_admin_saves_and_deletes_products_through_the_services(client_for, admin_user):
    client = client_for(admin_user)
    response = client.post(
        reverse("admin:plans_product_add"),
        {"name": "MG Special", "series": "MG", "list_price": "55", "currency": "BRL"},
    )
    assert response.status_code == 302
    product = Product.objects.get(name="MG Special")
    client.post(
        reverse("admin:plans_product_change", args=[product.pk]),
        {"name": "MG Special", "series": "MG", "list_price": "60", "currency": "BRL"},
    )
    client.post(reverse("admin:plans_product_delete", args=[product.pk]), {"post": "yes"})
    assert not Product.objects.exists()
    actions = list(
        AuditEvent.objects.filter(object_type="product").order_by("pk").values_list("action")
    )
    assert actions == [("created",), ("updated",), ("deleted",)]


def test_imported_products_are_audited(run_import_products):
    result = run_import_products("name,list_price\nGTX Basic,550\n")
    assert result.counts["created"] == 1
    assert AuditEvent.objects.filter(object_type="product", action="created").count() == 1


@pytest.fixture
def run_import_products(admin_user):
    def run(content: str):
        return import_file(
            entity="products",
            content=content.encode(),
            filename="p.csv",
            actor=admin_user,
            dry_run=False,
        )[2]

    return run


@pytest.mark.parametrize("model", [AccountPlan, PlanChange])
def test_plans_and_their_history_are_read_only_in_the_admin(client_for, admin_user, model):
    name = model._meta.model_name
    client = client_for(admin_user)
    assert client.get(reverse(f"admin:plans_{name}_add")).status_code == 403
    changelist = client.get(reverse(f"admin:plans_{name}_changelist"))
    assert changelist.status_code == 200
    assert "delete_selected" not in changelist.content.decode()
