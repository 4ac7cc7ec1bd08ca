"""What every importer shares: the field specs, the planned write of one row, the lookups of
users and accounts, and the abstract Importer (prepare / resolve / write)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.formats import get_format, number_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from accounts.models import (
    Account,
)
from dataio.values import (
    RowReject,
    choice_default,
    is_null,
    normalise,
    text,
    to_bool,
    to_choice,
    to_date,
    to_datetime,
    to_decimal,
    to_int,
)
from kam.models import User
from kam.validation import clean_row

CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"
ACTIONS = (CREATED, UPDATED, UNCHANGED, REJECTED)
# Users who come from a file without an email get this reserved, undeliverable domain
# (RFC 2606) so nobody mails a guessed address; an admin sets the real one.
PLACEHOLDER_EMAIL_DOMAIN = "imported.invalid"


# What a column holds, for checking each cell before the row is resolved (Importer.convert).
TEXT, INT, DECIMAL, DATE, DATETIME, BOOL, CHOICE, ACCOUNT, USER = (
    "text", "int", "decimal", "date", "datetime", "bool", "choice", "account", "user"
)  # fmt: skip
NUMBER_KINDS = (INT, DECIMAL)
# Kinds whose parsed value the preview shows next to the cell (text shows as it is).
SHOWN_KINDS = (INT, DECIMAL, DATE, DATETIME, BOOL, CHOICE)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: object
    aliases: tuple[str, ...] = ()
    required: bool = False
    kind: str = TEXT
    # CHOICE: the TextChoices/IntegerChoices class and the file values it knows beyond the
    # choices' values and labels (English and Portuguese synonyms).
    choices: type | None = None
    value_aliases: tuple[tuple[str, str], ...] = ()

    def default_choice(self, value: object):
        """The choice a file value maps to without asking, or None."""
        return choice_default(value, self.choices.choices, dict(self.value_aliases))


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
        **{
            field.attname: getattr(existing, field.attname)
            for field in model._meta.concrete_fields
            if not field.generated
        }
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

    def __init__(
        self,
        *,
        actor,
        currency: str = "",
        locale: str = "",
        value_mapping: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.actor = actor
        self.currency = currency
        # How ambiguous numbers (`1.500`) are read: dataio.values.BRAZILIAN or ENGLISH.
        self.locale = locale
        # {field: {file value: choice value, or "" for "not mapped: reject the row"}}
        self.value_mapping = value_mapping or {}
        self.notes: list[str] = []

    @classmethod
    def choice_fields(cls) -> list[FieldSpec]:
        return [spec for spec in cls.fields if spec.kind == CHOICE]

    def convert(self, values: dict) -> tuple[dict, dict[str, str], dict[str, tuple[object, str]]]:
        """Check every mapped cell of a row by its field's kind: (the values with each good
        cell parsed — a bad one stays as it is, for `resolve` —, {field: its error}, and
        {field: (parsed value, cell)} for the preview). Called after `prepare`."""
        parsed = dict(values)
        errors: dict[str, str] = {}
        shown: dict[str, tuple[object, str]] = {}
        for spec in self.fields:
            if spec.name not in values:
                continue
            raw = values[spec.name]
            label = str(spec.label)
            if is_null(raw):
                if spec.required and spec.kind == ACCOUNT:
                    errors[spec.name] = _("%(field)s: no account given.") % {"field": label}
                elif spec.required:
                    errors[spec.name] = _("%(field)s is required.") % {"field": label}
                continue
            try:
                value = self._convert_cell(spec, raw, label)
            except RowReject as error:
                errors[spec.name] = str(error)
                continue
            if spec.kind in SHOWN_KINDS:
                parsed[spec.name] = value
                shown[spec.name] = (value, text(raw))
        return parsed, errors, shown

    def _convert_cell(self, spec: FieldSpec, raw, label: str):
        if spec.kind == INT:
            return to_int(raw, label, self.locale)
        if spec.kind == DECIMAL:
            return to_decimal(raw, label, self.locale)
        if spec.kind == DATE:
            return to_date(raw, label)
        if spec.kind == DATETIME:
            return to_datetime(raw, label)
        if spec.kind == BOOL:
            return to_bool(raw, label)
        if spec.kind == CHOICE:
            return self._choice(spec, raw, label)
        if spec.kind == ACCOUNT:
            return self._account(raw, label) and raw
        if spec.kind == USER:
            return self._user(raw, label) and raw
        return raw

    def _choice(self, spec: FieldSpec, raw, label: str):
        mapped = self.value_mapping.get(spec.name, {})
        cell = text(raw)
        if cell in mapped:
            if not mapped[cell]:
                raise RowReject(
                    _("%(field)s: “%(value)s” is not mapped to any %(field)s.")
                    % {"field": label, "value": cell}
                )
            return to_choice(mapped[cell], label, spec.choices.choices)
        return to_choice(raw, label, spec.choices.choices, dict(spec.value_aliases))

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


def show_value(value, spec: FieldSpec) -> str:
    """A parsed cell as the active language writes it, unambiguously: dates as dd/mm/aaaa in
    pt-BR and `March 4, 2024` in English (m/d/Y would look like the cell it should check),
    numbers grouped, choices by their label."""
    if value is None:
        return ""
    if spec.kind == CHOICE:
        return str(dict(spec.choices.choices).get(value, value))
    if spec.kind == BOOL:
        return str(_("yes") if value else _("no"))
    if spec.kind == DATETIME:
        moment = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{_show_date(moment)} {moment:%H:%M}"
    if spec.kind == DATE:
        return _show_date(value)
    if spec.kind in NUMBER_KINDS:
        return number_format(value, force_grouping=True)
    return text(value)


def _show_date(day) -> str:
    if get_language() == "pt-br":
        return f"{day:%d/%m/%Y}"
    return date_format(day, get_format("DATE_FORMAT"))


def _f(name, label, *aliases, required=False, kind=TEXT, choices=None, values=None) -> FieldSpec:
    return FieldSpec(
        name, label, aliases, required, kind, choices, tuple(sorted((values or {}).items()))
    )


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
    "nome_da_conta",
    "nome_do_cliente",
    "nome_da_empresa",
    "organizacao",
    required=True,
    kind=ACCOUNT,
)


def _required_text(values: dict, name: str, label) -> str:
    value = text(values.get(name))
    if is_null(value):
        raise RowReject(_("%(field)s is required.") % {"field": label})
    return value
