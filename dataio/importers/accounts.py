"""Accounts from a file: profile fields, owner and parent (which may come later in the file)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import (
    PARENT_LOOP_MESSAGE,
    Account,
    AccountStatus,
    Currency,
    parent_makes_loop,
)
from accounts.selectors import REFUSALS, Access, account_permits
from dataio.importers.base import (
    CHOICE,
    CREATED,
    DATE,
    DECIMAL,
    INT,
    UPDATED,
    USER,
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
    to_date,
    to_decimal,
    to_int,
)
from kam.audit import audit_record_many, changes_between, created, snapshot
from kam.models import AuditEvent

STATUS_ALIASES = {
    "ativo": "active",
    "ativa": "active",
    "cliente": "active",
    "prospecto": "prospect",
    "prospect": "prospect",
    "lead": "prospect",
    "em_risco": "at_risk",
    "risco": "at_risk",
    "at_risk": "at_risk",
    "churn": "churned",
    "inactive": "churned",
    "inativo": "churned",
    "inativa": "churned",
    "lost": "churned",
    "perdido": "churned",
    "cancelado": "churned",
}


class AccountImporter(Importer):
    entity = "accounts"
    label = gettext_lazy("Accounts")
    fields = (
        _f(
            "external_id",
            gettext_lazy("external id"),
            "id",
            "account_id",
            "code",
            "codigo",
            "id_externo",
            "codigo_do_cliente",
        ),
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
            "nome_da_conta",
            "nome_do_cliente",
            "nome_da_empresa",
            "nome_fantasia",
            required=True,
        ),
        _f("legal_name", gettext_lazy("legal name"), "razao_social", "legal_entity", "nome_legal"),
        _f(
            "tax_id",
            gettext_lazy("tax id"),
            "cnpj",
            "vat",
            "vat_number",
            "tax_number",
            "cpf_cnpj",
            "identificacao_fiscal",
        ),
        _f(
            "industry",
            gettext_lazy("industry"),
            "sector",
            "segment",
            "setor",
            "segmento",
            "industria",
            "ramo",
            "ramo_de_atividade",
        ),
        _f(
            "employees",
            gettext_lazy("employees"),
            "employee_count",
            "headcount",
            "number_of_employees",
            "funcionarios",
            "numero_de_funcionarios",
            "n_de_funcionarios",
            "qtd_funcionarios",
            "colaboradores",
            kind=INT,
        ),
        _f(
            "annual_revenue_musd",
            gettext_lazy("client's annual revenue (USD millions)"),
            "revenue",
            "annual_revenue",
            "revenue_musd",
            "company_revenue",
            "faturamento_anual_musd",
            "receita_anual_musd",
            "receita_anual_do_cliente_milhoes_de_usd",
            kind=DECIMAL,
        ),
        _f(
            "founded_year",
            gettext_lazy("year established"),
            "year_established",
            "founded",
            "established",
            "year_founded",
            "ano_fundacao",
            "ano_de_fundacao",
            "fundacao",
            kind=INT,
        ),
        _f(
            "hq_city",
            gettext_lazy("HQ city"),
            "city",
            "cidade",
            "hq_city",
            "cidade_sede",
            "cidade_da_sede",
            "municipio",
        ),
        _f(
            "hq_country",
            gettext_lazy("HQ country"),
            "country",
            "office_location",
            "hq",
            "headquarters",
            "pais",
            "hq_location",
            "pais_sede",
            "pais_da_sede",
        ),
        _f("region", gettext_lazy("region"), "regiao", "territory", "territorio"),
        _f("website", gettext_lazy("website"), "site", "url", "web", "pagina"),
        _f(
            "parent",
            gettext_lazy("parent account"),
            "subsidiary_of",
            "parent_account",
            "parent_company",
            "group",
            "grupo",
            "parent_name",
            "conta_pai",
            "conta_mae",
            "empresa_mae",
            "controladora",
            "matriz",
        ),
        _f("currency", gettext_lazy("currency"), "moeda", kind=CHOICE, choices=Currency),
        _f(
            "status",
            gettext_lazy("status"),
            "situacao",
            kind=CHOICE,
            choices=AccountStatus,
            values=STATUS_ALIASES,
        ),
        _f(
            "owner",
            gettext_lazy("owner KAM"),
            "owner_email",
            "kam",
            "account_owner",
            "account_manager",
            "responsavel",
            "dono",
            "gerente_de_contas",
            "gerente_da_conta",
            "kam_responsavel",
            kind=USER,
        ),
        _f(
            "contract_start",
            gettext_lazy("contract start"),
            "contract_start_date",
            "inicio_do_contrato",
            "inicio_contrato",
            "data_de_inicio",
            "data_inicio",
            "inicio_da_vigencia",
            kind=DATE,
        ),
        _f(
            "renewal_date",
            gettext_lazy("renewal date"),
            "renewal",
            "contract_end",
            "contract_end_date",
            "data_de_renovacao",
            "data_renovacao",
            "renovacao",
            "fim_do_contrato",
            "fim_contrato",
            "termino_do_contrato",
            "vencimento_do_contrato",
            kind=DATE,
        ),
        _f(
            "first_purchase_date",
            gettext_lazy("first purchase date"),
            "first_purchase",
            "customer_since",
            "data_da_primeira_compra",
            "primeira_compra",
            "cliente_desde",
            kind=DATE,
        ),
        _f("competitors", gettext_lazy("competitors"), "concorrentes", "concorrencia"),
        _f(
            "needs",
            gettext_lazy("client needs and pain points"),
            "pain_points",
            "needs",
            "necessidades",
            "dores",
            "necessidades_e_dores_do_cliente",
        ),
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
        self._prepare_parent_map(records)

    def _prepare_parent_map(self, records) -> None:
        """The hierarchy as the database holds it, for parent_makes_loop over the whole file:
        each account is one node, whether a row names it by external id or by name, and each
        accepted row's parent replaces the stored one as the rows are read."""
        self.node_of: dict[tuple, tuple] = {}
        self.parent_of: dict[tuple, tuple | None] = {}
        for account in self.existing_by_pk.values():
            node = ("pk", account.pk)
            self.parent_of[node] = ("pk", account.parent_id) if account.parent_id else None
            if account.external_id:
                self.node_of[("external_id", account.external_id)] = node
            self.node_of.setdefault(("name", normalise(account.name)), node)
        for _row, values in records:
            if is_null(values.get("name")):
                continue
            external_id = "" if is_null(values.get("external_id")) else text(values["external_id"])
            name_key = ("name", normalise(values["name"]))
            id_key = ("external_id", external_id) if external_id else None
            node = self.node_of.get(id_key) or self.node_of.get(name_key) or id_key or name_key
            if id_key:
                self.node_of.setdefault(id_key, node)
            self.node_of.setdefault(name_key, node)
        self.parent_rows: set[tuple] = set()

    def _check_parent_loop(self, key: tuple, existing: Account | None, parent_key) -> None:
        """Refuse a parent that closes a loop with the database or the rows accepted so far (a
        2-cycle across two rows is refused at the second row)."""
        node = ("pk", existing.pk) if existing is not None else self.node_of.get(key, key)
        if node in self.parent_rows:
            return  # a repeated row; dataio.services rejects it
        parent = self.node_of.get(parent_key, parent_key) if parent_key else None
        if parent_makes_loop(node, parent, self.parent_of.get):
            raise RowReject(f"{_('parent account')}: {PARENT_LOOP_MESSAGE}")
        self.parent_rows.add(node)
        self.parent_of[node] = parent

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

    def _row_attrs(self, values, labels, *, name: str, external_id: str) -> tuple[dict, object]:
        """The account fields a row sets, parsed and named by their column, and its owner."""
        owner = None
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
                STATUS_ALIASES,
            )
        if "owner" in values and not is_null(values["owner"]):
            # Ids, not instances: reading a relation on a copied row queries it, once per row.
            owner = self._user(values["owner"], labels["owner"])
            attrs["owner_id"] = owner.pk
        return attrs, owner

    def _parent_changed(self, existing: Account, parent_key) -> bool:
        current = self.key_of(existing.parent) if existing.parent else None
        return current != parent_key and not (
            # The same parent named by name while it has an external id, or vice versa.
            existing.parent
            and parent_key
            and parent_key
            in {
                ("name", normalise(existing.parent.name)),
                ("external_id", existing.parent.external_id),
            }
        )

    def resolve(self, row, values) -> Planned:
        labels = self.field_labels()
        name = _required_text(values, "name", labels["name"])
        external_id = "" if is_null(values.get("external_id")) else text(values["external_id"])
        attrs, owner = self._row_attrs(values, labels, name=name, external_id=external_id)
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
        if (
            existing is not None
            and "parent" in values
            and self._parent_changed(existing, parent_key)
        ):
            changes.append("parent")
        action = action_for(existing, changes)
        if "owner_id" in attrs and not (existing or Account()).may_be_owned_by(owner):
            raise RowReject(f"{labels['owner']}: {_('The owner must be a key account manager.')}")
        # The same rules as every other write: field validators (dates in range), Account.clean
        # (renewal not before start), then the parent loop over the whole file.
        clean_or_reject(account)
        key = ("external_id", external_id) if external_id else ("name", normalise(name))
        if "parent" in values:
            self._check_parent_loop(key, existing, parent_key)
        return Planned(
            row=row,
            key=key,
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
                parent_key = p.extra["parent_key"]
                if parent_key and parent_key not in by_key:
                    # The parent's own row was rejected (a loop, a bad value): no parent.
                    self.notes.append(
                        _("Row %(row)s: parent not set: its row was not imported.") % {"row": p.row}
                    )
                    continue
                p.instance.parent_id = by_key[parent_key] if parent_key else None
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
