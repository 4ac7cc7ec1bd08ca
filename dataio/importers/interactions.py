"""Interactions from a file, logged through activities.services.interaction_log."""

from __future__ import annotations

import re
from collections import defaultdict

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import (
    Account,
    Stakeholder,
)
from activities.models import Interaction, InteractionCategory, InteractionKind, Sentiment
from activities.services import FUTURE_TOLERANCE, interaction_log
from dataio.importers.base import (
    ACCOUNT_REFERENCE,
    CHOICE,
    CREATED,
    DATETIME,
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
    to_datetime,
    to_int,
)

KIND_ALIASES = {
    "phone": "call",
    "phone_call": "call",
    "ligacao": "call",
    "telefonema": "call",
    "chamada": "call",
    "reuniao": "meeting",
    "visita": "visit",
    "visita_presencial": "visit",
    "e_mail": "email",
    "nota": "note",
    "anotacao": "note",
    "qbr": "meeting",
}
SENTIMENT_ALIASES = {
    "muito_negativo": -2,
    "negativo": -1,
    "neutro": 0,
    "positivo": 1,
    "muito_positivo": 2,
}


class InteractionImporter(Importer):
    entity = "interactions"
    label = gettext_lazy("Interactions")
    fields = (
        ACCOUNT_REFERENCE,
        _f(
            "external_id",
            gettext_lazy("external id"),
            "id",
            "activity_id",
            "interaction_id",
            "id_da_atividade",
            "id_externo",
        ),
        _f(
            "kind",
            gettext_lazy("type"),
            "type",
            "activity_type",
            "channel",
            "tipo",
            "tipo_de_atividade",
            "tipo_de_interacao",
            kind=CHOICE,
            choices=InteractionKind,
            values=KIND_ALIASES,
        ),
        _f(
            "occurred_at",
            gettext_lazy("date"),
            "date",
            "datetime",
            "when",
            "activity_date",
            "data",
            "data_da_atividade",
            "data_da_interacao",
            "data_e_hora",
            "quando",
            required=True,
            kind=DATETIME,
        ),
        _f(
            "summary",
            gettext_lazy("summary"),
            "subject",
            "title",
            "assunto",
            "resumo",
            "titulo",
            required=True,
        ),
        _f(
            "notes",
            gettext_lazy("notes"),
            "description",
            "body",
            "details",
            "observacoes",
            "anotacoes",
            "descricao",
        ),
        _f(
            "sentiment",
            gettext_lazy("sentiment"),
            "mood",
            "sentimento",
            "humor",
            kind=CHOICE,
            choices=Sentiment,
            values=SENTIMENT_ALIASES,
        ),
        _f(
            "category",
            gettext_lazy("category"),
            "categoria",
            kind=CHOICE,
            choices=InteractionCategory,
        ),
        _f(
            "logged_by",
            gettext_lazy("logged by"),
            "user",
            "owner",
            "author",
            "sales_agent",
            "responsavel",
            "registrado_por",
            "registrada_por",
            "autor",
            kind=USER,
        ),
        _f(
            "stakeholders",
            gettext_lazy("stakeholders present"),
            "attendees",
            "contacts",
            "participants",
            "participantes",
            "contatos",
            "presentes",
            "stakeholders_presentes",
        ),
    )

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
            to_choice(values["kind"], labels["kind"], InteractionKind.choices, KIND_ALIASES)
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
