"""One importer per kind of row, a module each. Each knows its target fields (with the header
names that map to them), loads what it needs to look rows up in a fixed number of queries
(`prepare`), turns one row into a planned write or a RowReject (`resolve`), and writes the
accepted rows (`write`).

dataio.services runs them; nothing here opens a transaction or decides about dry runs."""

from dataio.importers.accounts import AccountImporter
from dataio.importers.base import (
    ACTIONS,
    CREATED,
    REJECTED,
    UNCHANGED,
    UPDATED,
    FieldSpec,
    Importer,
    Planned,
)
from dataio.importers.deals import DealImporter
from dataio.importers.interactions import InteractionImporter
from dataio.importers.products import ProductImporter
from dataio.importers.requests import RequestImporter
from dataio.importers.stakeholders import StakeholderImporter
from dataio.importers.users import UserImporter

IMPORTERS: dict[str, type[Importer]] = {
    importer.entity: importer
    for importer in (
        AccountImporter,
        StakeholderImporter,
        DealImporter,
        InteractionImporter,
        UserImporter,
        ProductImporter,
        RequestImporter,
    )
}

__all__ = [
    "ACTIONS",
    "CREATED",
    "IMPORTERS",
    "REJECTED",
    "UNCHANGED",
    "UPDATED",
    "AccountImporter",
    "DealImporter",
    "FieldSpec",
    "Importer",
    "InteractionImporter",
    "Planned",
    "ProductImporter",
    "RequestImporter",
    "StakeholderImporter",
    "UserImporter",
]
