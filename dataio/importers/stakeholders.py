"""Stakeholders from a file, through the stakeholder services (reporting lines set last)."""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import services as account_services
from accounts.models import (
    BuyingRole,
    Stakeholder,
    Stance,
)
from dataio.importers.base import (
    ACCOUNT,
    BOOL,
    CHOICE,
    CREATED,
    DATE,
    INT,
    Importer,
    Planned,
    _f,
    _required_text,
    _validation_reason,
    action_for,
    clean_or_reject,
    instance_for,
)
from dataio.values import (
    RowReject,
    is_null,
    normalise,
    text,
    to_bool,
    to_choice,
    to_date,
    to_int,
)


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
            "nome_da_empresa",
            "nome_do_cliente",
            required=True,
            kind=ACCOUNT,
        ),
        _f(
            "external_id",
            gettext_lazy("external id"),
            "id",
            "contact_id",
            "stakeholder_id",
            "id_do_contato",
            "id_externo",
            "id_do_contato",
        ),
        _f(
            "name",
            gettext_lazy("name"),
            "full_name",
            "contact",
            "contact_name",
            "stakeholder",
            "nome",
            "nome_completo",
            "contato",
            "nome_do_contato",
            required=True,
        ),
        _f(
            "title",
            gettext_lazy("job title"),
            "job_title",
            "position",
            "role_title",
            "cargo",
            "funcao",
        ),
        _f("department", gettext_lazy("department"), "dept", "area", "departamento", "setor"),
        _f("email", gettext_lazy("email"), "e_mail", "email_address", "endereco_de_email"),
        _f("phone", gettext_lazy("phone"), "telephone", "mobile", "telefone", "celular", "fone"),
        _f(
            "buying_role",
            gettext_lazy("buying role"),
            "role",
            "papel",
            "papel_na_compra",
            kind=CHOICE,
            choices=BuyingRole,
        ),
        _f("influence", gettext_lazy("influence"), "influencia", kind=INT),
        _f(
            "stance",
            gettext_lazy("stance"),
            "attitude",
            "posicao",
            "postura",
            "posicionamento",
            kind=CHOICE,
            choices=Stance,
        ),
        _f(
            "is_primary",
            gettext_lazy("primary contact"),
            "primary",
            "main_contact",
            "contato_principal",
            "principal",
            kind=BOOL,
        ),
        _f(
            "left_on",
            gettext_lazy("left the company on"),
            "left",
            "left_date",
            "saiu_em",
            "data_de_saida",
            "saiu_da_empresa_em",
            kind=DATE,
        ),
        _f(
            "reports_to",
            gettext_lazy("reports to"),
            "manager",
            "boss",
            "reporta_a",
            "reporta_se_a",
            "gestor",
            "chefe",
        ),
        _f("notes", gettext_lazy("notes"), "comments", "observacoes", "anotacoes"),
    )

    def prepare(self, records) -> None:
        self._load_accounts()
        self.existing: dict[tuple, Stakeholder] = {}
        self.by_id: dict[int, Stakeholder] = {}
        self.erased: dict[tuple, Stakeholder] = {}
        for s in Stakeholder.objects.select_related("reports_to").order_by("pk"):
            if s.is_erased:
                # Never matched by name (the label is not a name), only by external id.
                if s.external_id:
                    self.erased[(s.account_id, s.external_id)] = s
                continue
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
        if existing is None and external_id:
            # An erased person keeps the external id so that an old file is recognised here.
            existing = self.erased.get((account.pk, external_id))
        if existing is not None and existing.is_erased:
            raise RowReject(
                _("This contact's personal data was erased on request (LGPD); the row is "
                  "skipped so the record is not filled in again.")
            )  # fmt: skip
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
                    if not f.generated
                    and f.name
                    not in {
                        "id",
                        "account",
                        "reports_to",
                        "last_interaction_at",
                        "created_at",
                        "erased_at",
                        "erased_by",
                    }
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
