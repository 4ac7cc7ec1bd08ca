"""What every importer shares: the field specs, the planned write of one row, the lookups of
users and accounts, and the abstract Importer (prepare / resolve / write)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import (
    Account,
)
from dataio.values import (
    RowReject,
    is_null,
    normalise,
    text,
)
from kam.models import User
from kam.validation import clean_row

CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"
ACTIONS = (CREATED, UPDATED, UNCHANGED, REJECTED)
# Users who come from a file without an email get this reserved, undeliverable domain
# (RFC 2606) so nobody mails a guessed address; an admin sets the real one.
PLACEHOLDER_EMAIL_DOMAIN = "imported.invalid"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: object
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass
class Planned:
    """One accepted row: what it will write and how that compares with the database."""

    row: int
    key: tuple
    label: str
    instance: object = None
    action: str = UNCHANGED
    changes: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


def _validation_reason(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(str(m) for m in messages)}"
            for name, errors in error.error_dict.items()
            for messages in [[m for e in errors for m in e.messages]]
        )
    return " ".join(error.messages)


def clean_or_reject(instance) -> None:
    try:
        clean_row(instance)
    except ValidationError as error:
        raise RowReject(_validation_reason(error)) from error


def instance_for(existing, attrs: dict, new: Callable[[], Model]) -> tuple[Model, list[str]]:
    """The instance a row writes, with `attrs` set, and the fields that change: `new()` when
    nothing exists yet, else a copy of `existing` (which keeps what the database holds, for
    comparisons)."""
    if existing is None:
        instance = new()
        diff(instance, attrs)
        return instance, []
    model = type(existing)
    instance = model(
        **{field.attname: getattr(existing, field.attname) for field in model._meta.concrete_fields}
    )
    return instance, diff(instance, attrs)


def action_for(existing, changes: list[str]) -> str:
    if existing is None:
        return CREATED
    return UPDATED if changes else UNCHANGED


def diff(instance, attrs: dict) -> list[str]:
    """Set `attrs` on `instance`; the names of those that changed."""
    changed = []
    for name, value in attrs.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


class Importer(ABC):
    """One entity's rows: `resolve` plans each row (or rejects it), `write` writes the plan."""

    entity: str = ""
    label: object = ""
    fields: tuple[FieldSpec, ...] = ()

    def __init__(self, *, actor, currency: str = "") -> None:
        self.actor = actor
        self.currency = currency
        self.notes: list[str] = []

    @classmethod
    def field_names(cls) -> list[str]:
        return [spec.name for spec in cls.fields]

    @classmethod
    def field_labels(cls) -> dict[str, object]:
        return {spec.name: spec.label for spec in cls.fields}

    @abstractmethod
    def prepare(self, records: list[tuple[int, dict]]) -> None:
        """Load lookups for the whole file (`records` are the mapped rows)."""

    @abstractmethod
    def resolve(self, row: int, values: dict) -> Planned:
        """What the row becomes (created / updated / unchanged), or RowReject with the reason."""

    @abstractmethod
    def write(self, planned: list[Planned]) -> None:
        """Write the planned rows (inside the caller's transaction)."""

    # --- lookups shared by importers ----------------------------------------------------------

    def _load_users(self) -> None:
        self.users_by_email: dict[str, User] = {}
        self.users_by_name: dict[str, list[User]] = defaultdict(list)
        for user in User.objects.filter(is_active=True).select_related("manager"):
            self.users_by_email[user.email.lower()] = user
            self.users_by_name[normalise(user.full_name)].append(user)

    def _user(self, value, label) -> User | None:
        if is_null(value):
            return None
        raw = text(value)
        user = self.users_by_email.get(raw.lower())
        if user is not None:
            return user
        matches = self.users_by_name.get(normalise(raw), [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise RowReject(
                _("%(field)s: %(count)s users are called “%(value)s”; use the email.")
                % {"field": label, "count": len(matches), "value": raw}
            )
        raise RowReject(
            _("%(field)s: no active user “%(value)s”.") % {"field": label, "value": raw}
        )

    def _load_accounts(self) -> None:
        self.accounts_by_external: dict[str, Account] = {}
        self.accounts_by_name: dict[str, list[Account]] = defaultdict(list)
        for account in Account.objects.only("pk", "name", "external_id", "owner_id", "currency"):
            if account.external_id:
                self.accounts_by_external[account.external_id] = account
            self.accounts_by_name[normalise(account.name)].append(account)

    def _account(self, value, label) -> Account:
        if is_null(value):
            raise RowReject(_("%(field)s: no account given.") % {"field": label})
        raw = text(value)
        account = self.accounts_by_external.get(raw)
        if account is not None:
            return account
        matches = self.accounts_by_name.get(normalise(raw), [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise RowReject(
                _("%(field)s: %(count)s accounts are called “%(value)s”; use the external id.")
                % {"field": label, "count": len(matches), "value": raw}
            )
        raise RowReject(_("%(field)s: no account “%(value)s”.") % {"field": label, "value": raw})


def _f(name, label, *aliases, required=False) -> FieldSpec:
    return FieldSpec(name, label, aliases, required)


# The column that names a row's account (deals, interactions), as people head it.
ACCOUNT_REFERENCE = _f(
    "account",
    gettext_lazy("account"),
    "account_name",
    "company",
    "client",
    "customer",
    "cliente",
    "empresa",
    "conta",
    required=True,
)


def _required_text(values: dict, name: str, label) -> str:
    value = text(values.get(name))
    if is_null(value):
        raise RowReject(_("%(field)s is required.") % {"field": label})
    return value
