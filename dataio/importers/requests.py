"""Client requests from a file (a helpdesk or inbox export), recorded through
activities.services: their SLA clocks start at `received_at` with the account's tier targets
and working calendar; an answer or resolution moment in the file stamps it. A request is the
same one again when its account, arrival moment and subject match (re-importing a file changes
nothing)."""

from __future__ import annotations

from collections import defaultdict

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account, Stakeholder
from activities.models import ClientRequest, RequestChannel, RequestPriority
from activities.services import request_create, request_resolve, request_respond
from dataio.importers.base import (
    ACCOUNT_REFERENCE,
    CHOICE,
    CREATED,
    DATETIME,
    UNCHANGED,
    USER,
    Importer,
    Planned,
    _f,
    _required_text,
    clean_or_reject,
)
from dataio.values import RowReject, is_null, normalise, text, to_choice, to_datetime

CHANNEL_ALIASES = {
    "e_mail": "email",
    "mail": "email",
    "telefone": "phone",
    "call": "phone",
    "ligacao": "phone",
    "zap": "whatsapp",
    "reuniao": "meeting",
    "web": "portal",
    "site": "portal",
}
PRIORITY_ALIASES = {
    "baixa": "low",
    "media": "normal",
    "medium": "normal",
    "alta": "high",
    "urgente": "urgent",
    "critical": "urgent",
    "critica": "urgent",
}


class RequestImporter(Importer):
    entity = "requests"
    label = gettext_lazy("Client requests")
    fields = (
        ACCOUNT_REFERENCE,
        _f(
            "subject",
            gettext_lazy("subject"),
            "title",
            "summary",
            "ticket_subject",
            "assunto",
            required=True,
        ),
        _f(
            "received_at",
            gettext_lazy("received at"),
            "received",
            "created",
            "created_at",
            "opened_at",
            "date",
            "recebido_em",
            "data",
            "data_de_abertura",
            "aberto_em",
            "data_de_recebimento",
            required=True,
            kind=DATETIME,
        ),
        _f(
            "channel",
            gettext_lazy("channel"),
            "source",
            "via",
            "canal",
            "origem",
            kind=CHOICE,
            choices=RequestChannel,
            values=CHANNEL_ALIASES,
        ),
        _f(
            "priority",
            gettext_lazy("priority"),
            "urgency",
            "prioridade",
            "urgencia",
            kind=CHOICE,
            choices=RequestPriority,
            values=PRIORITY_ALIASES,
        ),
        _f(
            "requester",
            gettext_lazy("requested by"),
            "contact",
            "requester_name",
            "solicitante",
            "solicitado_por",
        ),
        _f(
            "owner",
            gettext_lazy("owner"),
            "assignee",
            "agent",
            "responsavel",
            "atribuido_a",
            kind=USER,
        ),
        _f("details", gettext_lazy("details"), "description", "body", "descricao", "detalhes"),
        _f(
            "first_response_at",
            gettext_lazy("first response"),
            "first_reply_at",
            "responded_at",
            "primeira_resposta",
            "respondido_em",
            kind=DATETIME,
        ),
        _f(
            "resolved_at",
            gettext_lazy("resolved at"),
            "closed_at",
            "solved_at",
            "resolvido_em",
            "fechado_em",
            "data_de_resolucao",
            kind=DATETIME,
        ),
    )

    def prepare(self, records) -> None:
        self._load_users()
        self._load_accounts()
        self.existing: dict[tuple, ClientRequest] = {}
        for r in ClientRequest.objects.only("pk", "account_id", "received_at", "subject"):
            self.existing[(r.account_id, r.received_at, normalise(r.subject))] = r
        self.teams: dict[int, set[int]] = {}
        self.stakeholders = defaultdict(dict)
        for s in Stakeholder.objects.only("pk", "account_id", "name"):
            self.stakeholders[s.account_id][normalise(s.name)] = s

    def _team(self, account: Account) -> set[int]:
        """Who may own a request of `account` (one query per account, remembered)."""
        if account.pk not in self.teams:
            self.teams[account.pk] = Account.objects.get(pk=account.pk).team_member_ids()
        return self.teams[account.pk]

    def _moment(self, values, name, labels, received_at):
        moment = to_datetime(values.get(name), labels[name])
        if moment is None:
            return None
        if moment < received_at:
            raise RowReject(
                _("%(field)s is before the request was received.") % {"field": labels[name]}
            )
        if moment > timezone.now():
            raise RowReject(_("%(field)s is in the future.") % {"field": labels[name]})
        return moment

    def resolve(self, row, values) -> Planned:
        labels = self.field_labels()
        account = self._account(values.get("account"), labels["account"])
        subject = _required_text(values, "subject", labels["subject"])
        received_at = to_datetime(values.get("received_at"), labels["received_at"])
        if received_at is None:
            raise RowReject(_("%(field)s is required.") % {"field": labels["received_at"]})
        if received_at > timezone.now():
            raise RowReject(_("%(field)s is in the future.") % {"field": labels["received_at"]})
        attrs = {
            "subject": subject,
            "received_at": received_at,
            "channel": RequestChannel.EMAIL,
            "priority": RequestPriority.NORMAL,
            "details": "" if is_null(values.get("details")) else text(values["details"]),
        }
        if not is_null(values.get("channel")):
            attrs["channel"] = to_choice(
                values["channel"], labels["channel"], RequestChannel.choices, CHANNEL_ALIASES
            )
        if not is_null(values.get("priority")):
            attrs["priority"] = to_choice(
                values["priority"],
                labels["priority"],
                RequestPriority.choices,
                PRIORITY_ALIASES,
            )
        requester = None
        if not is_null(values.get("requester")):
            requester = self.stakeholders[account.pk].get(normalise(text(values["requester"])))
            if requester is None:
                raise RowReject(
                    _("%(field)s: no stakeholder “%(value)s” at %(account)s.")
                    % {
                        "field": labels["requester"],
                        "value": text(values["requester"]),
                        "account": account.name,
                    }
                )
        owner = self._user(values.get("owner"), labels["owner"])
        if owner is not None and owner.pk not in self._team(account):
            raise RowReject(
                _("%(field)s: %(name)s is not on the account team of %(account)s.")
                % {"field": labels["owner"], "name": owner, "account": account.name}
            )
        responded = self._moment(values, "first_response_at", labels, received_at)
        resolved = self._moment(values, "resolved_at", labels, received_at)
        key = (account.pk, received_at, normalise(subject))
        existing = self.existing.get(key)
        instance = ClientRequest(
            account_id=account.pk,
            owner_id=(owner or account.owner).pk,
            requester=requester,
            **attrs,
        )
        clean_or_reject(instance)
        return Planned(
            row=row,
            key=key,
            label=f"{account.name}: {subject}",
            instance=instance,
            action=UNCHANGED if existing else CREATED,
            changes=[],
            extra={
                "account": account,
                "owner": owner,
                "requester": requester,
                "first_response_at": responded,
                "resolved_at": resolved,
            },
        )

    def write(self, planned) -> None:
        accounts = Account.objects.select_related("owner", "tier").in_bulk(
            {p.extra["account"].pk for p in planned}
        )
        for p in planned:
            if p.action != CREATED:
                continue
            r = p.instance
            recorded = request_create(
                account=accounts[r.account_id],
                actor=self.actor,
                subject=r.subject,
                received_at=r.received_at,
                channel=r.channel,
                priority=r.priority,
                requester=p.extra["requester"],
                details=r.details,
                owner=p.extra["owner"],
            )
            if p.extra["first_response_at"] is not None:
                recorded = request_respond(
                    client_request=recorded, at=p.extra["first_response_at"], actor=self.actor
                )
            if p.extra["resolved_at"] is not None:
                request_resolve(
                    client_request=recorded, at=p.extra["resolved_at"], actor=self.actor
                )
