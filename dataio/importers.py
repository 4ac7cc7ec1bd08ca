"""One importer per kind of row. Each knows its target fields (with the header names that map to
them), loads what it needs to look rows up in a fixed number of queries (`prepare`), turns one
row into a planned write or a RowReject (`resolve`), says whether the planned write creates,
updates or leaves the row unchanged (`compare`), and writes the accepted rows (`write`).

dataio.services runs them; nothing here opens a transaction or decides about dry runs."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts import services as account_services
from accounts.models import (
    Account,
    AccountStatus,
    BuyingRole,
    Currency,
    RevenueRecord,
    Stakeholder,
    Stance,
)
from accounts.selectors import REFUSALS, Access, account_permits
from activities.models import Interaction, InteractionCategory, InteractionKind, Sentiment
from activities.services import FUTURE_TOLERANCE, interaction_log
from dataio.values import (
    RowReject,
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
from kam.audit import audit_record_many, changes_between, created, snapshot
from kam.models import AuditEvent, Role, User
from kam.validation import clean_row
from plans import services as plan_services
from plans.models import (
    AccountPlan,
    Opportunity,
    OpportunityKind,
    OpportunityStage,
    PlanChange,
    PlanStatus,
    Product,
)

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


# --- accounts -------------------------------------------------------------------------------


class AccountImporter(Importer):
    entity = "accounts"
    label = gettext_lazy("Accounts")
    fields = (
        _f("external_id", gettext_lazy("external id"), "id", "account_id", "code", "codigo"),
        _f(
            "name",
            gettext_lazy("name"),
            "account",
            "account_name",
            "company",
            "company_name",
            "client",
            "customer",
            "cliente",
            "empresa",
            "conta",
            "nome",
            required=True,
        ),
        _f("legal_name", gettext_lazy("legal name"), "razao_social", "legal_entity"),
        _f("tax_id", gettext_lazy("tax id"), "cnpj", "vat", "vat_number", "tax_number"),
        _f(
            "industry",
            gettext_lazy("industry"),
            "sector",
            "segment",
            "setor",
            "segmento",
            "industria",
        ),
        _f(
            "employees",
            gettext_lazy("employees"),
            "employee_count",
            "headcount",
            "number_of_employees",
            "funcionarios",
        ),
        _f(
            "annual_revenue_musd",
            gettext_lazy("client's annual revenue (USD millions)"),
            "revenue",
            "annual_revenue",
            "revenue_musd",
            "company_revenue",
        ),
        _f(
            "founded_year",
            gettext_lazy("year established"),
            "year_established",
            "founded",
            "established",
            "year_founded",
            "ano_fundacao",
        ),
        _f("hq_city", gettext_lazy("HQ city"), "city", "cidade", "hq_city"),
        _f(
            "hq_country",
            gettext_lazy("HQ country"),
            "country",
            "office_location",
            "hq",
            "headquarters",
            "pais",
            "hq_location",
        ),
        _f("region", gettext_lazy("region"), "regiao", "territory"),
        _f("website", gettext_lazy("website"), "site", "url", "web"),
        _f(
            "parent",
            gettext_lazy("parent account"),
            "subsidiary_of",
            "parent_account",
            "parent_company",
            "group",
            "grupo",
            "parent_name",
        ),
        _f("currency", gettext_lazy("currency"), "moeda"),
        _f("status", gettext_lazy("status")),
        _f(
            "owner",
            gettext_lazy("owner KAM"),
            "owner_email",
            "kam",
            "account_owner",
            "account_manager",
            "responsavel",
        ),
        _f("contract_start", gettext_lazy("contract start"), "contract_start_date"),
        _f(
            "renewal_date",
            gettext_lazy("renewal date"),
            "renewal",
            "contract_end",
            "contract_end_date",
        ),
        _f(
            "first_purchase_date",
            gettext_lazy("first purchase date"),
            "first_purchase",
            "customer_since",
        ),
        _f("competitors", gettext_lazy("competitors"), "concorrentes"),
        _f("needs", gettext_lazy("client needs and pain points"), "pain_points", "needs"),
    )

    def prepare(self, records) -> None:
        self._load_users()
        self._load_accounts()
        self.existing_by_pk = {
            a.pk: a for a in Account.objects.select_related("parent", "owner").order_by("pk")
        }
        # Names and ids in the file itself: a parent may come after its subsidiaries.
        self.file_keys = set()
        for _row, values in records:
            if not is_null(values.get("external_id")):
                self.file_keys.add(("external_id", text(values["external_id"])))
            if not is_null(values.get("name")):
                self.file_keys.add(("name", normalise(values["name"])))

    def _parent_key(self, value) -> tuple | None:
        if is_null(value):
            return None
        raw = text(value)
        if raw in self.accounts_by_external or ("external_id", raw) in self.file_keys:
            return ("external_id", raw)
        name = normalise(raw)
        if name in self.accounts_by_name or ("name", name) in self.file_keys:
            return ("name", name)
        raise RowReject(
            _("%(field)s: no account “%(value)s”, in the database or in this file.")
            % {"field": _("parent account"), "value": raw}
        )

    @staticmethod
    def key_of(account: Account) -> tuple:
        if account.external_id:
            return ("external_id", account.external_id)
        return ("name", normalise(account.name))

    def _existing(self, external_id: str, name: str) -> Account | None:
        if external_id:
            found = self.accounts_by_external.get(external_id)
            if found is not None:
                return self.existing_by_pk[found.pk]
        matches = [
            a
            for a in self.accounts_by_name.get(normalise(name), [])
            if not a.external_id or a.external_id == external_id
        ]
        if len(matches) > 1:
            raise RowReject(
                _("%(count)s accounts are already called “%(name)s”; add an external id column.")
                % {"count": len(matches), "name": name}
            )
        return self.existing_by_pk[matches[0].pk] if matches else None

    def resolve(self, row, values) -> Planned:
        labels = self.field_labels()
        name = _required_text(values, "name", labels["name"])
        external_id = "" if is_null(values.get("external_id")) else text(values["external_id"])
        attrs: dict = {"name": name}
        if external_id:
            attrs["external_id"] = external_id
        for name_ in (
            "legal_name",
            "tax_id",
            "industry",
            "hq_city",
            "hq_country",
            "region",
            "website",
            "competitors",
            "needs",
        ):
            if name_ in values:
                attrs[name_] = "" if is_null(values[name_]) else text(values[name_])
        for name_ in ("employees", "founded_year"):
            if name_ in values:
                attrs[name_] = to_int(values[name_], labels[name_])
        if "annual_revenue_musd" in values:
            attrs["annual_revenue_musd"] = to_decimal(
                values["annual_revenue_musd"], labels["annual_revenue_musd"]
            )
        for name_ in ("contract_start", "renewal_date", "first_purchase_date"):
            if name_ in values:
                attrs[name_] = to_date(values[name_], labels[name_])
        if "currency" in values and not is_null(values["currency"]):
            attrs["currency"] = to_choice(values["currency"], labels["currency"], Currency.choices)
        if "status" in values and not is_null(values["status"]):
            attrs["status"] = to_choice(
                values["status"],
                labels["status"],
                AccountStatus.choices,
                {
                    "ativo": "active",
                    "prospecto": "prospect",
                    "em_risco": "at_risk",
                    "churn": "churned",
                    "inactive": "churned",
                    "lost": "churned",
                },
            )
        if "owner" in values and not is_null(values["owner"]):
            # Ids, not instances: reading a relation on a copied row queries it, once per row.
            attrs["owner_id"] = self._user(values["owner"], labels["owner"]).pk
        parent_key = self._parent_key(values.get("parent")) if "parent" in values else None

        existing = self._existing(external_id, name)
        if (
            existing is not None
            and attrs.get("owner_id", existing.owner_id) != existing.owner_id
            and not account_permits(self.actor, existing, Access.CHANGE_OWNER)
        ):
            raise RowReject(str(REFUSALS[Access.CHANGE_OWNER]))
        account, changes = instance_for(
            existing,
            attrs,
            lambda: Account(owner=self.actor, currency=self.currency or Currency.BRL),
        )
        if existing is not None and "parent" in values:
            current = self.key_of(existing.parent) if existing.parent else None
            if current != parent_key and not (
                # The same parent named by name while it has an external id, or vice versa.
                existing.parent
                and parent_key
                and parent_key
                in {
                    ("name", normalise(existing.parent.name)),
                    ("external_id", existing.parent.external_id),
                }
            ):
                changes.append("parent")
        action = action_for(existing, changes)
        if parent_key is not None and parent_key in {
            ("name", normalise(name)),
            ("external_id", external_id),
        }:
            raise RowReject(_("An account cannot be its own parent."))
        clean_or_reject(account)
        return Planned(
            row=row,
            key=("external_id", external_id) if external_id else ("name", normalise(name)),
            label=name,
            instance=account,
            action=action,
            changes=changes,
            extra={
                "parent_key": parent_key,
                "parent_mapped": "parent" in values,
                # For the audit trail: the fields a new row got, or the old values of changed ones.
                "audit": list(attrs)
                if existing is None
                else {name_: getattr(existing, name_) for name_ in changes if name_ in attrs},
            },
        )

    def write(self, planned) -> None:
        new = [p.instance for p in planned if p.action == CREATED]
        Account.objects.bulk_create(new)
        changed = [p for p in planned if p.action == UPDATED]
        now = timezone.now()
        for p in changed:
            p.instance.version += 1
            # bulk_update does not run auto_now.
            p.instance.updated_at = now
        names = sorted({n for p in changed for n in p.changes if n != "parent"})
        if changed:
            Account.objects.bulk_update(
                [p.instance for p in changed], [*names, "version", "updated_at"], batch_size=500
            )
        # Parents last: a parent may have been created by a later row of the same file.
        by_key: dict[tuple, int] = {}
        for account in Account.objects.only("pk", "name", "external_id"):
            by_key.setdefault(("name", normalise(account.name)), account.pk)
            if account.external_id:
                by_key[("external_id", account.external_id)] = account.pk
        with_parent = []
        for p in planned:
            if p.extra["parent_mapped"] and (p.action == CREATED or "parent" in p.changes):
                p.instance.parent_id = (
                    by_key[p.extra["parent_key"]] if p.extra["parent_key"] else None
                )
                with_parent.append(p.instance)
        Account.objects.bulk_update(with_parent, ["parent"], batch_size=500)
        _audit_accounts(self.actor, planned)


def _audit_accounts(actor, planned) -> None:
    """Imported accounts in the audit trail (kam.audit), in the import's transaction: one row
    per created or changed account, marked as coming from an import."""
    events = []
    for p in planned:
        if p.action == CREATED:
            action = AuditEvent.Action.CREATED
            changes = created(snapshot(p.instance, p.extra["audit"]))
        elif p.action == UPDATED:
            before = p.extra["audit"]
            action = AuditEvent.Action.UPDATED
            changes = changes_between(before, snapshot(p.instance, before))
        else:
            continue
        events.append(
            AuditEvent(
                actor=actor,
                actor_email=getattr(actor, "email", "") or "",
                action=action,
                object_type="account",
                object_id=p.instance.pk,
                object_label=p.instance.name[:300],
                account_id=p.instance.pk,
                changes={**changes, "source": [None, "import"]},
            )
        )
    audit_record_many(events)


# --- stakeholders ---------------------------------------------------------------------------


class StakeholderImporter(Importer):
    entity = "stakeholders"
    label = gettext_lazy("Stakeholders")
    fields = (
        _f(
            "account",
            gettext_lazy("account"),
            "account_name",
            "company",
            "empresa",
            "conta",
            "cliente",
            "client",
            "account_id",
            required=True,
        ),
        _f("external_id", gettext_lazy("external id"), "id", "contact_id", "stakeholder_id"),
        _f(
            "name",
            gettext_lazy("name"),
            "full_name",
            "contact",
            "contact_name",
            "stakeholder",
            "nome",
            required=True,
        ),
        _f("title", gettext_lazy("job title"), "job_title", "position", "role_title", "cargo"),
        _f("department", gettext_lazy("department"), "dept", "area", "departamento"),
        _f("email", gettext_lazy("email"), "e_mail", "email_address"),
        _f("phone", gettext_lazy("phone"), "telephone", "mobile", "telefone", "celular"),
        _f("buying_role", gettext_lazy("buying role"), "role", "papel"),
        _f("influence", gettext_lazy("influence"), "influencia"),
        _f("stance", gettext_lazy("stance"), "attitude", "posicao"),
        _f("is_primary", gettext_lazy("primary contact"), "primary", "main_contact"),
        _f("left_on", gettext_lazy("left the company on"), "left", "left_date"),
        _f("reports_to", gettext_lazy("reports to"), "manager", "boss", "reporta_a"),
        _f("notes", gettext_lazy("notes"), "comments", "observacoes"),
    )

    def prepare(self, records) -> None:
        self._load_accounts()
        self.existing: dict[tuple, Stakeholder] = {}
        self.by_id: dict[int, Stakeholder] = {}
        for s in Stakeholder.objects.select_related("reports_to").order_by("pk"):
            self.by_id[s.pk] = s
            if s.external_id:
                self.existing[(s.account_id, "external_id", s.external_id)] = s
            self.existing.setdefault((s.account_id, "name", normalise(s.name)), s)
        self.file_names = defaultdict(set)
        for _row, values in records:
            if not is_null(values.get("account")) and not is_null(values.get("name")):
                self.file_names[normalise(values["account"])].add(normalise(values["name"]))

    def resolve(self, row, values) -> Planned:
        labels = self.field_labels()
        account = self._account(values.get("account"), labels["account"])
        name = _required_text(values, "name", labels["name"])
        external_id = "" if is_null(values.get("external_id")) else text(values["external_id"])
        attrs: dict = {"name": name}
        if external_id:
            attrs["external_id"] = external_id
        for name_ in ("title", "department", "email", "phone", "notes"):
            if name_ in values:
                attrs[name_] = "" if is_null(values[name_]) else text(values[name_])
        if "buying_role" in values and not is_null(values["buying_role"]):
            attrs["buying_role"] = to_choice(
                values["buying_role"], labels["buying_role"], BuyingRole.choices
            )
        if "stance" in values and not is_null(values["stance"]):
            attrs["stance"] = to_choice(values["stance"], labels["stance"], Stance.choices)
        if "influence" in values and not is_null(values["influence"]):
            attrs["influence"] = to_int(values["influence"], labels["influence"])
        if "is_primary" in values:
            attrs["is_primary"] = bool(to_bool(values["is_primary"], labels["is_primary"]))
        if "left_on" in values:
            attrs["left_on"] = to_date(values["left_on"], labels["left_on"])
        boss_key = None
        if "reports_to" in values and not is_null(values["reports_to"]):
            boss_key = normalise(values["reports_to"])
            known = {normalise(s.name) for s in self.by_id.values() if s.account_id == account.pk}
            if boss_key not in known | self.file_names[normalise(values["account"])]:
                raise RowReject(
                    _("%(field)s: no stakeholder “%(value)s” at %(account)s.")
                    % {
                        "field": labels["reports_to"],
                        "value": text(values["reports_to"]),
                        "account": account.name,
                    }
                )
            if boss_key == normalise(name):
                raise RowReject(_("A stakeholder cannot report to themselves."))
        existing = None
        if external_id:
            existing = self.existing.get((account.pk, "external_id", external_id))
        if existing is None:
            existing = self.existing.get((account.pk, "name", normalise(name)))
            if (
                existing is not None
                and external_id
                and existing.external_id not in ("", external_id)
            ):
                existing = None
        instance, changes = instance_for(existing, attrs, lambda: Stakeholder(account=account))
        if existing is not None and "reports_to" in values:
            current = normalise(existing.reports_to.name) if existing.reports_to else None
            if current != boss_key:
                changes.append("reports_to")
        action = action_for(existing, changes)
        clean_or_reject(instance)
        key = (
            (account.pk, "external_id", external_id)
            if external_id
            else (account.pk, "name", normalise(name))
        )
        return Planned(
            row=row,
            key=key,
            label=f"{name} ({account.name})",
            instance=instance,
            action=action,
            changes=changes,
            extra={"account": account, "boss_key": boss_key, "boss_mapped": "reports_to" in values},
        )

    def write(self, planned) -> None:
        written = []
        for p in planned:
            fields = {n: getattr(p.instance, n) for n in p.changes if n != "reports_to"}
            if p.action == CREATED:
                data = {
                    f.name: getattr(p.instance, f.name)
                    for f in Stakeholder._meta.concrete_fields
                    if f.name
                    not in {"id", "account", "reports_to", "last_interaction_at", "created_at"}
                }
                p.instance = account_services.stakeholder_create(
                    account=p.extra["account"], actor=self.actor, **data
                )
            elif fields:
                p.instance = account_services.stakeholder_update(
                    stakeholder=self.by_id[p.instance.pk], actor=self.actor, **fields
                )
            written.append(p)
        by_name = {
            (s.account_id, normalise(s.name)): s
            for s in Stakeholder.objects.filter(
                account_id__in={p.extra["account"].pk for p in written}
            ).order_by("-pk")
        }
        for p in written:
            if p.extra["boss_mapped"] and (p.action == CREATED or "reports_to" in p.changes):
                boss = by_name.get((p.extra["account"].pk, p.extra["boss_key"]))
                if p.extra["boss_key"] is None and p.instance.reports_to_id is None:
                    continue
                if boss is not None:
                    # Fresh, with the links set by earlier rows: the service's loop check
                    # walks them.
                    boss = Stakeholder.objects.get(pk=boss.pk)
                try:
                    # Its own savepoint: a refused link (a reporting loop the file makes) is
                    # reported and the rest of the batch still goes in.
                    with transaction.atomic():
                        account_services.stakeholder_update(
                            stakeholder=p.instance, actor=self.actor, reports_to=boss
                        )
                except ValidationError as error:
                    self.notes.append(
                        _("Row %(row)s: “reports to” not set: %(reason)s")
                        % {"row": p.row, "reason": _validation_reason(error)}
                    )


# --- deals ----------------------------------------------------------------------------------

STAGE_ALIASES = {
    "prospecting": "identified",
    "prospect": "identified",
    "lead": "identified",
    "new": "identified",
    "prospeccao": "identified",
    "engaging": "qualified",
    "engaged": "qualified",
    "qualification": "qualified",
    "qualificacao": "qualified",
    "discovery": "qualified",
    "proposta": "proposal",
    "quote": "proposal",
    "negociacao": "negotiation",
    "closed_won": "won",
    "closedwon": "won",
    "ganho": "won",
    "ganha": "won",
    "closed_lost": "lost",
    "closedlost": "lost",
    "perdido": "lost",
    "perdida": "lost",
}
# When the file gives no probability: how likely each stage is to close.
STAGE_PROBABILITY = {
    "identified": 10,
    "qualified": 30,
    "proposal": 50,
    "negotiation": 70,
    "won": 100,
    "lost": 0,
}
IMPORTED_PLAN_TITLE = gettext_lazy("Imported pipeline")


class DealImporter(Importer):
    """Won deals become revenue records (booked on the close date for the close value); open and
    lost deals become opportunities on the account's plan (the active one, else the newest
    draft, else a new draft plan)."""

    entity = "deals"
    label = gettext_lazy("Deals")
    fields = (
        _f(
            "external_id",
            gettext_lazy("external id"),
            "id",
            "opportunity_id",
            "deal_id",
            "opportunity",
            "deal",
        ),
        ACCOUNT_REFERENCE,
        _f("stage", gettext_lazy("stage"), "deal_stage", "status", "etapa", "fase", required=True),
        _f(
            "owner",
            gettext_lazy("owner"),
            "sales_agent",
            "agent",
            "salesperson",
            "sales_rep",
            "rep",
            "owner_email",
            "vendedor",
            "responsavel",
        ),
        _f("product", gettext_lazy("product"), "product_name", "produto", "item"),
        _f("title", gettext_lazy("title"), "name", "deal_name", "opportunity_name", "titulo"),
        _f(
            "amount",
            gettext_lazy("amount"),
            "close_value",
            "value",
            "deal_value",
            "valor",
            "revenue",
        ),
        _f(
            "close_date",
            gettext_lazy("close date"),
            "closed_on",
            "won_date",
            "expected_close",
            "data_fechamento",
        ),
        _f(
            "engage_date",
            gettext_lazy("engage date"),
            "engaged_on",
            "created",
            "created_date",
            "open_date",
        ),
        _f("probability", gettext_lazy("probability (%)"), "probabilidade", "win_probability"),
        _f("kind", gettext_lazy("kind"), "type", "deal_type", "tipo"),
    )

    def prepare(self, records) -> None:
        self._load_users()
        self._load_accounts()
        self.products = {normalise(p.name): p for p in Product.objects.all()}
        self.revenue = {
            (r.account_id, r.external_id): r
            for r in RevenueRecord.objects.exclude(external_id="").order_by("pk")
        }
        self.revenue_plain = {
            (r.account_id, r.booked_on, r.amount, normalise(r.product))
            for r in RevenueRecord.objects.filter(external_id="").only(
                "account_id", "booked_on", "amount", "product"
            )
        }
        self.opportunities: dict[tuple, Opportunity] = {}
        for o in Opportunity.objects.select_related("plan").order_by("pk"):
            if o.external_id:
                self.opportunities[(o.plan.account_id, "external_id", o.external_id)] = o
            self.opportunities.setdefault((o.plan.account_id, "title", normalise(o.title)), o)
        self.team = set(Account.team.through.objects.values_list("account_id", "user_id"))

    def _stage(self, value, label) -> str:
        if is_null(value):
            raise RowReject(_("%(field)s is required.") % {"field": label})
        return to_choice(value, label, OpportunityStage.choices, STAGE_ALIASES)

    def resolve(self, row, values) -> Planned:
        labels = self.field_labels()
        account = self._account(values.get("account"), labels["account"])
        stage = self._stage(values.get("stage"), labels["stage"])
        external_id = "" if is_null(values.get("external_id")) else text(values["external_id"])
        product_text = "" if is_null(values.get("product")) else text(values["product"])
        product = self.products.get(normalise(product_text)) if product_text else None
        product_name = product.name if product else product_text
        amount = to_decimal(values.get("amount"), labels["amount"])
        close_date = to_date(values.get("close_date"), labels["close_date"])
        engage_date = to_date(values.get("engage_date"), labels["engage_date"])
        if close_date and engage_date and close_date < engage_date:
            raise RowReject(_("The close date is before the engage date."))
        owner = self._user(values.get("owner"), labels["owner"])
        if stage == OpportunityStage.WON:
            return self._won(row, account, external_id, product_name, amount, close_date)
        return self._opportunity(
            row,
            values,
            account,
            stage,
            external_id,
            product,
            product_name,
            amount,
            close_date,
            owner,
        )

    def _won(self, row, account, external_id, product_name, amount, close_date) -> Planned:
        if close_date is None:
            raise RowReject(_("A won deal needs its close date."))
        if amount is None or amount < 0:
            raise RowReject(_("A won deal needs its close value (0 or more)."))
        attrs = {
            "kind": RevenueRecord.Kind.DEAL,
            "booked_on": close_date,
            "amount": amount.quantize(Decimal("0.01")),
            "product": product_name[:200],
        }
        label = f"{account.name}: {product_name or _('won deal')} {external_id}".strip()
        if external_id:
            # One key per deal id, whether it is won, open or lost in this file.
            key = ("deal", account.pk, external_id)
            existing = self.revenue.get((account.pk, external_id))
            record, changes = instance_for(
                existing,
                attrs,
                lambda: RevenueRecord(account_id=account.pk, external_id=external_id),
            )
            action = action_for(existing, changes)
        else:
            key = ("revenue", account.pk, close_date, attrs["amount"], normalise(product_name))
            record = RevenueRecord(account_id=account.pk)
            diff(record, attrs)
            action, changes = (UNCHANGED if key[1:] in self.revenue_plain else CREATED), []
        clean_or_reject(record)
        extra = {}
        # A deal imported open earlier and won now: its opportunity is closed as won too.
        earlier = self.opportunities.get((account.pk, "external_id", external_id))
        if external_id and earlier is not None and earlier.stage != OpportunityStage.WON:
            extra["won_opportunity"] = earlier
            changes = [*changes, "stage"]
            if action == UNCHANGED:
                action = UPDATED
        return Planned(
            row=row,
            key=key,
            label=label,
            instance=record,
            action=action,
            changes=changes,
            extra=extra,
        )

    def _opportunity(
        self,
        row,
        values,
        account,
        stage,
        external_id,
        product,
        product_name,
        amount,
        close_date,
        owner,
    ) -> Planned:
        labels = self.field_labels()
        if amount is None or amount < 0:
            # Open deals carry no value yet (`-1` or blank in many exports): the list price.
            amount = product.list_price if product and product.list_price is not None else None
        elif amount == 0 and stage == OpportunityStage.LOST and product and product.list_price:
            # Lost deals are often exported at 0; what was lost is the product's list price.
            amount = product.list_price
        probability = STAGE_PROBABILITY[stage]
        if "probability" in values and not is_null(values["probability"]):
            probability = to_int(values["probability"], labels["probability"])
        kind = None
        if "kind" in values and not is_null(values["kind"]):
            kind = to_choice(values["kind"], labels["kind"], OpportunityKind.choices)
        title = "" if is_null(values.get("title")) else text(values["title"])
        title = title or " ".join(filter(None, [product_name, external_id])) or _("Deal")
        attrs = {
            "title": title[:200],
            "product_id": product.pk if product else None,
            "amount": (amount or Decimal(0)).quantize(Decimal("0.01")),
            "probability": probability,
            "stage": stage,
            # No owner in the file: the account's owner.
            "owner_id": owner.pk if owner else account.owner_id,
            "expected_close": close_date,
        }
        if kind:
            attrs["kind"] = kind
        if external_id:
            key = ("deal", account.pk, external_id)
            existing = self.opportunities.get((account.pk, "external_id", external_id))
        else:
            key = ("opportunity", account.pk, "title", normalise(title))
            existing = self.opportunities.get((account.pk, "title", normalise(title)))
        opportunity, changes = instance_for(
            existing, attrs, lambda: Opportunity(external_id=external_id, currency=account.currency)
        )
        action = action_for(existing, changes)
        clean_or_reject(opportunity)
        label = f"{account.name}: {title}"
        return Planned(
            row=row,
            key=key,
            label=label,
            instance=opportunity,
            action=action,
            changes=changes,
            extra={"account": account},
        )

    def write(self, planned) -> None:
        revenue = [p for p in planned if isinstance(p.instance, RevenueRecord)]
        RevenueRecord.objects.bulk_create(
            [p.instance for p in revenue if p.action == CREATED], batch_size=1000
        )
        changed = [p for p in revenue if p.action == UPDATED and p.instance.pk]
        names = sorted({n for p in changed for n in p.changes if n != "stage"})
        if names:
            RevenueRecord.objects.bulk_update([p.instance for p in changed], names, batch_size=500)
        won = []
        for p in revenue:
            if "won_opportunity" in p.extra:
                opportunity = p.extra["won_opportunity"]
                opportunity.stage = OpportunityStage.WON
                opportunity.probability = 100
                opportunity.amount = p.instance.amount
                opportunity.expected_close = p.instance.booked_on
                opportunity.version += 1
                won.append(
                    Planned(
                        row=p.row, key=p.key, label=p.label, instance=opportunity, action=UPDATED
                    )
                )
        Opportunity.objects.bulk_update(
            [p.instance for p in won],
            ["stage", "probability", "amount", "expected_close", "version"],
            batch_size=500,
        )
        self._record_plan_changes(won)
        if any(p.action in (CREATED, UPDATED) for p in revenue):
            # The revenue windows the lists and the dashboard read (else stale until tonight).
            account_services.account_revenue_refresh()

        opportunities = [p for p in planned if isinstance(p.instance, Opportunity)]
        if not opportunities:
            return
        # The deal's owner joins the account team: an opportunity owner must be on it, and the
        # KAM then sees the account.
        missing = {
            (p.extra["account"].pk, p.instance.owner_id)
            for p in opportunities
            if p.instance.owner_id != p.extra["account"].owner_id
            and (p.extra["account"].pk, p.instance.owner_id) not in self.team
        }
        Account.team.through.objects.bulk_create(
            [Account.team.through(account_id=a, user_id=u) for a, u in sorted(missing)],
            ignore_conflicts=True,
        )
        if missing:
            self.notes.append(
                ngettext(
                    "%(count)s deal owner joined an account team.",
                    "%(count)s deal owners joined an account team.",
                    len(missing),
                )
                % {"count": len(missing)}
            )
        plans = self._plans({p.extra["account"].pk for p in opportunities if p.action == CREATED})
        for p in opportunities:
            if p.action == CREATED:
                p.instance.plan = plans[p.extra["account"].pk]
        Opportunity.objects.bulk_create(
            [p.instance for p in opportunities if p.action == CREATED], batch_size=1000
        )
        changed = [p for p in opportunities if p.action == UPDATED]
        for p in changed:
            p.instance.version += 1
        names = sorted({n for p in changed for n in p.changes})
        if names:
            Opportunity.objects.bulk_update(
                [p.instance for p in changed], [*names, "version"], batch_size=500
            )
        self._record_plan_changes(opportunities)

    def _plans(self, account_ids: set[int]) -> dict[int, AccountPlan]:
        """Each account's plan for imported opportunities, creating a draft where none is."""
        plans: dict[int, AccountPlan] = {}
        for plan in (
            AccountPlan.objects.filter(account_id__in=account_ids)
            .exclude(status=PlanStatus.ARCHIVED)
            .order_by("account_id", "-period_start", "-pk")
        ):
            current = plans.get(plan.account_id)
            if current is None or (plan.is_active and not current.is_active):
                plans[plan.account_id] = plan
        today = timezone.localdate()
        accounts = Account.objects.in_bulk(account_ids - plans.keys())
        for account_id in sorted(account_ids - plans.keys()):
            plans[account_id] = plan_services.plan_create(
                account=accounts[account_id],
                actor=self.actor,
                title=str(IMPORTED_PLAN_TITLE),
                period_start=date(today.year, 1, 1),
                period_end=date(today.year, 12, 31),
            )
        return plans

    def _record_plan_changes(self, opportunities: list[Planned]) -> None:
        """One history entry per plan and verb: `Imported: 40 opportunities`."""
        counts: dict[tuple[int, str], int] = defaultdict(int)
        for p in opportunities:
            if p.action in (CREATED, UPDATED):
                verb = PlanChange.Verb.CREATED if p.action == CREATED else PlanChange.Verb.UPDATED
                counts[(p.instance.plan_id, verb)] += 1
        if not counts:
            return
        plan_ids = {plan_id for plan_id, _verb in counts}
        AccountPlan.objects.filter(pk__in=plan_ids).update(
            version=F("version") + 1, updated_at=timezone.now()
        )
        versions = dict(AccountPlan.objects.filter(pk__in=plan_ids).values_list("pk", "version"))
        PlanChange.objects.bulk_create(
            PlanChange(
                plan_id=plan_id,
                user=self.actor,
                entity=PlanChange.Entity.OPPORTUNITY,
                verb=verb,
                version=versions[plan_id],
                label=ngettext(
                    "Import: %(count)s opportunity", "Import: %(count)s opportunities", count
                )
                % {"count": count},
            )
            for (plan_id, verb), count in sorted(counts.items())
        )


# --- interactions ---------------------------------------------------------------------------


class InteractionImporter(Importer):
    entity = "interactions"
    label = gettext_lazy("Interactions")
    fields = (
        ACCOUNT_REFERENCE,
        _f("external_id", gettext_lazy("external id"), "id", "activity_id", "interaction_id"),
        _f("kind", gettext_lazy("type"), "type", "activity_type", "channel", "tipo"),
        _f(
            "occurred_at",
            gettext_lazy("date"),
            "date",
            "datetime",
            "when",
            "activity_date",
            "data",
            required=True,
        ),
        _f(
            "summary",
            gettext_lazy("summary"),
            "subject",
            "title",
            "assunto",
            "resumo",
            required=True,
        ),
        _f("notes", gettext_lazy("notes"), "description", "body", "details", "observacoes"),
        _f("sentiment", gettext_lazy("sentiment"), "mood", "sentimento"),
        _f("category", gettext_lazy("category"), "categoria"),
        _f(
            "logged_by",
            gettext_lazy("logged by"),
            "user",
            "owner",
            "author",
            "sales_agent",
            "responsavel",
        ),
        _f(
            "stakeholders",
            gettext_lazy("stakeholders present"),
            "attendees",
            "contacts",
            "participants",
            "participantes",
        ),
    )
    KIND_ALIASES = {
        "phone": "call",
        "phone_call": "call",
        "ligacao": "call",
        "reuniao": "meeting",
        "visita": "visit",
        "e_mail": "email",
        "nota": "note",
        "qbr": "meeting",
    }

    def prepare(self, records) -> None:
        self._load_users()
        self._load_accounts()
        self.existing: dict[tuple, Interaction] = {}
        for i in Interaction.objects.order_by("pk"):
            if i.external_id:
                self.existing[(i.account_id, "external_id", i.external_id)] = i
            self.existing.setdefault(
                (i.account_id, "moment", i.occurred_at, normalise(i.summary)), i
            )
        self.stakeholders = defaultdict(dict)
        for s in Stakeholder.objects.only("pk", "account_id", "name"):
            self.stakeholders[s.account_id][normalise(s.name)] = s

    def resolve(self, row, values) -> Planned:
        labels = self.field_labels()
        account = self._account(values.get("account"), labels["account"])
        occurred_at = to_datetime(values.get("occurred_at"), labels["occurred_at"])
        if occurred_at is None:
            raise RowReject(_("%(field)s is required.") % {"field": labels["occurred_at"]})
        if occurred_at > timezone.now() + FUTURE_TOLERANCE:
            raise RowReject(_("An interaction cannot be more than a day in the future."))
        summary = _required_text(values, "summary", labels["summary"])
        attrs = {"summary": summary, "occurred_at": occurred_at}
        attrs["kind"] = (
            to_choice(values["kind"], labels["kind"], InteractionKind.choices, self.KIND_ALIASES)
            if not is_null(values.get("kind"))
            else InteractionKind.NOTE
        )
        if "notes" in values:
            attrs["notes"] = "" if is_null(values["notes"]) else text(values["notes"])
        if not is_null(values.get("sentiment")):
            raw = values["sentiment"]
            try:
                attrs["sentiment"] = to_int(raw, labels["sentiment"])
            except RowReject:
                attrs["sentiment"] = to_choice(raw, labels["sentiment"], Sentiment.choices)
        if not is_null(values.get("category")):
            attrs["category"] = to_choice(
                values["category"], labels["category"], InteractionCategory.choices
            )
        logged_by = self._user(values.get("logged_by"), labels["logged_by"]) or self.actor
        present = []
        if not is_null(values.get("stakeholders")):
            for name in re.split(r"[;,|]", text(values["stakeholders"])):
                if not name.strip():
                    continue
                found = self.stakeholders[account.pk].get(normalise(name))
                if found is None:
                    raise RowReject(
                        _("%(field)s: no stakeholder “%(value)s” at %(account)s.")
                        % {
                            "field": labels["stakeholders"],
                            "value": name.strip(),
                            "account": account.name,
                        }
                    )
                present.append(found)
        external_id = "" if is_null(values.get("external_id")) else text(values["external_id"])
        if external_id:
            key = (account.pk, "external_id", external_id)
        else:
            key = (account.pk, "moment", occurred_at, normalise(summary))
        existing = self.existing.get(key)
        instance, changes = instance_for(
            existing,
            attrs,
            lambda: Interaction(
                account_id=account.pk, logged_by=logged_by, external_id=external_id
            ),
        )
        action = action_for(existing, changes)
        clean_or_reject(instance)
        return Planned(
            row=row,
            key=key,
            label=f"{account.name}: {summary}",
            instance=instance,
            action=action,
            changes=changes,
            extra={"account": account, "stakeholders": present, "logged_by": logged_by},
        )

    def write(self, planned) -> None:
        accounts = Account.objects.in_bulk({p.extra["account"].pk for p in planned})
        for p in planned:
            if p.action == CREATED:
                i = p.instance
                logged = interaction_log(
                    account=accounts[i.account_id],
                    actor=p.extra["logged_by"],
                    kind=i.kind,
                    occurred_at=i.occurred_at,
                    summary=i.summary,
                    notes=i.notes,
                    sentiment=i.sentiment,
                    category=i.category,
                    stakeholders=p.extra["stakeholders"],
                )
                if i.external_id:
                    Interaction.objects.filter(pk=logged.pk).update(external_id=i.external_id)
        changed = [p for p in planned if p.action == UPDATED]
        names = sorted({n for p in changed for n in p.changes})
        if names:
            Interaction.objects.bulk_update([p.instance for p in changed], names, batch_size=500)


# --- users (sales teams) --------------------------------------------------------------------


class UserImporter(Importer):
    """One row per person; a `manager` column names their sales leader, created (role leader)
    when nobody by that name exists."""

    entity = "users"
    label = gettext_lazy("Users")
    fields = (
        _f(
            "full_name",
            gettext_lazy("full name"),
            "name",
            "sales_agent",
            "agent",
            "user",
            "salesperson",
            "nome",
            required=True,
        ),
        _f("email", gettext_lazy("email"), "e_mail", "email_address", "login"),
        _f("role", gettext_lazy("role"), "papel", "profile"),
        _f("manager", gettext_lazy("manager"), "sales_manager", "leader", "gestor", "reports_to"),
        _f(
            "region",
            gettext_lazy("regional office"),
            "regional_office",
            "office",
            "regiao",
            "territory",
        ),
    )
    ROLE_ALIASES = {
        "agent": "kam",
        "sales_agent": "kam",
        "key_account_manager": "kam",
        "manager": "leader",
        "sales_manager": "leader",
        "gestor": "leader",
    }

    def prepare(self, records) -> None:
        self._load_users()
        self.planned_managers: dict[str, User] = {}
        self.file_names = {normalise(v.get("full_name")) for _r, v in records}

    def _email_for(self, name: str) -> str:
        local = re.sub(r"[^a-z0-9]+", ".", normalise_spaces(name)).strip(".") or "user"
        return f"{local}@{PLACEHOLDER_EMAIL_DOMAIN}"

    def _find(self, email: str, name: str) -> User | None:
        if email:
            found = self.users_by_email.get(email.lower())
            if found is not None:
                return found
        matches = self.users_by_name.get(normalise(name), [])
        if len(matches) > 1:
            raise RowReject(
                _("%(count)s users are already called “%(name)s”; add an email column.")
                % {"count": len(matches), "name": name}
            )
        return matches[0] if matches else None

    def _manager(self, value, label) -> User | None:
        if is_null(value):
            return None
        name = text(value)
        found = self._find("", name) if "@" not in name else self.users_by_email.get(name.lower())
        if found is not None:
            return found
        key = normalise(name)
        if key not in self.planned_managers:
            self.planned_managers[key] = User(
                full_name=name, email=self._email_for(name), role=Role.LEADER
            )
        return self.planned_managers[key]

    def resolve(self, row, values) -> Planned:
        labels = self.field_labels()
        name = _required_text(values, "full_name", labels["full_name"])
        email = "" if is_null(values.get("email")) else text(values["email"]).lower()
        attrs: dict = {"full_name": name}
        if "role" in values and not is_null(values["role"]):
            attrs["role"] = to_choice(
                values["role"], labels["role"], Role.choices, self.ROLE_ALIASES
            )
        if "region" in values:
            attrs["region"] = "" if is_null(values["region"]) else text(values["region"])
        manager = self._manager(values.get("manager"), labels["manager"])
        if manager is not None and normalise(manager.full_name) == normalise(name):
            raise RowReject(_("A user cannot be their own manager."))
        existing = self._find(email, name)
        user, changes = instance_for(
            existing, attrs, lambda: User(email=email or self._email_for(name), role=Role.KAM)
        )
        action = action_for(existing, changes)
        if "manager" in values and existing is not None:
            current = normalise(existing.manager.full_name) if existing.manager else None
            if current != (normalise(manager.full_name) if manager else None):
                changes.append("manager")
                action = UPDATED
        try:
            user.full_clean(
                exclude=["password", "manager", "groups", "user_permissions"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as error:
            raise RowReject(_validation_reason(error)) from error
        return Planned(
            row=row,
            key=("user", email or normalise(name)),
            label=name,
            instance=user,
            action=action,
            changes=changes,
            extra={"manager": manager, "manager_mapped": "manager" in values},
        )

    def write(self, planned) -> None:
        managers = [m for m in self.planned_managers.values() if m.pk is None]
        for manager in managers:
            manager.set_unusable_password()
            manager.save()
        if managers:
            self.notes.append(
                ngettext(
                    "%(count)s manager created as a sales leader: %(names)s.",
                    "%(count)s managers created as sales leaders: %(names)s.",
                    len(managers),
                )
                % {"count": len(managers), "names": ", ".join(m.full_name for m in managers)}
            )
        for p in planned:
            user = p.instance
            if p.extra["manager_mapped"]:
                user.manager = p.extra["manager"]
            if p.action == CREATED:
                user.set_unusable_password()
                user.save()
            elif p.action == UPDATED:
                # The role decides Django admin access (User.save): save both with it.
                staff = ["is_staff", "is_superuser"] if "role" in p.changes else []
                user.save(update_fields=[*p.changes, *staff])


def normalise_spaces(name: str) -> str:
    """`Ana Lúcia` → `ana lucia` (for generated email addresses)."""
    import unicodedata

    folded = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()


# --- products -------------------------------------------------------------------------------


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
            required=True,
        ),
        _f("series", gettext_lazy("series"), "family", "line", "product_line", "linha"),
        _f("list_price", gettext_lazy("list price"), "sales_price", "price", "unit_price", "preco"),
        _f("currency", gettext_lazy("currency"), "moeda"),
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
        Product.objects.bulk_create([p.instance for p in planned if p.action == CREATED])
        changed = [p for p in planned if p.action == UPDATED]
        names = sorted({n for p in changed for n in p.changes})
        if names:
            Product.objects.bulk_update([p.instance for p in changed], names)


IMPORTERS: dict[str, type[Importer]] = {
    importer.entity: importer
    for importer in (
        AccountImporter,
        StakeholderImporter,
        DealImporter,
        InteractionImporter,
        UserImporter,
        ProductImporter,
    )
}
