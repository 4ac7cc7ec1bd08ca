"""Products from a file, through plans.services product_create / product_update."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import (
    Currency,
)
from dataio.importers.base import (
    CHOICE,
    CREATED,
    DECIMAL,
    UPDATED,
    Importer,
    Planned,
    _f,
    _required_text,
    action_for,
    clean_or_reject,
    instance_for,
)
from dataio.values import (
    RowReject,
    is_null,
    normalise,
    text,
    to_choice,
    to_decimal,
)
from plans.models import (
    Product,
)
from plans.services import PRODUCT_FIELDS, product_create, product_update


class ProductImporter(Importer):
    entity = "products"
    label = gettext_lazy("Products")
    fields = (
        _f(
            "name",
            gettext_lazy("name"),
            "product",
            "product_name",
            "produto",
            "item",
            "nome_do_produto",
            "nome",
            required=True,
        ),
        _f(
            "series",
            gettext_lazy("series"),
            "family",
            "line",
            "product_line",
            "linha",
            "familia",
            "serie",
        ),
        _f(
            "list_price",
            gettext_lazy("list price"),
            "sales_price",
            "price",
            "unit_price",
            "preco",
            "preco_de_lista",
            "preco_de_tabela",
            "preco_unitario",
            "valor_unitario",
            kind=DECIMAL,
        ),
        _f("currency", gettext_lazy("currency"), "moeda", kind=CHOICE, choices=Currency),
    )

    def prepare(self, records) -> None:
        self.existing = {normalise(p.name): p for p in Product.objects.all()}

    def resolve(self, row, values) -> Planned:
        labels = self.field_labels()
        name = _required_text(values, "name", labels["name"])
        attrs: dict = {}
        if "series" in values:
            attrs["series"] = "" if is_null(values["series"]) else text(values["series"])
        if "list_price" in values:
            attrs["list_price"] = to_decimal(values["list_price"], labels["list_price"])
            if attrs["list_price"] is not None:
                attrs["list_price"] = attrs["list_price"].quantize(Decimal("0.01"))
                if attrs["list_price"] < 0:
                    raise RowReject(_("The list price cannot be negative."))
        if "currency" in values and not is_null(values["currency"]):
            attrs["currency"] = to_choice(values["currency"], labels["currency"], Currency.choices)
        existing = self.existing.get(normalise(name))
        product, changes = instance_for(
            existing, attrs, lambda: Product(name=name, currency=self.currency or Currency.BRL)
        )
        action = action_for(existing, changes)
        clean_or_reject(product)
        return Planned(
            row=row,
            key=("product", normalise(name)),
            label=name,
            instance=product,
            action=action,
            changes=changes,
        )

    def write(self, planned) -> None:
        # Row by row through the services (a catalogue is a few hundred rows at most): the
        # audit trail gets each product.
        for p in planned:
            if p.action == CREATED:
                values = {name: getattr(p.instance, name) for name in PRODUCT_FIELDS}
                p.instance = product_create(actor=self.actor, **values)
            elif p.action == UPDATED:
                p.instance = product_update(
                    product=self.existing[p.key[1]],
                    actor=self.actor,
                    **{name: getattr(p.instance, name) for name in p.changes},
                )
