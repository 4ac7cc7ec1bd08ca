"""Deals from a CRM export: won deals become revenue, open and lost ones opportunities."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts import services as account_services
from accounts.models import (
    Account,
    RevenueRecord,
)
from dataio.importers.base import (
    ACCOUNT_REFERENCE,
    CHOICE,
    CREATED,
    DATE,
    DECIMAL,
    INT,
    UNCHANGED,
    UPDATED,
    USER,
    Importer,
    Planned,
    _f,
    action_for,
    clean_or_reject,
    diff,
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
from kam.dates import business_date
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

STAGE_ALIASES = {
    "prospecting": "identified",
    "prospect": "identified",
    "lead": "identified",
    "new": "identified",
    "prospeccao": "identified",
    "em_prospeccao": "identified",
    "identificada": "identified",
    "identificado": "identified",
    "oportunidade": "identified",
    "novo": "identified",
    "nova": "identified",
    "contato_inicial": "identified",
    "engaging": "qualified",
    "engaged": "qualified",
    "qualification": "qualified",
    "qualificacao": "qualified",
    "em_qualificacao": "qualified",
    "qualificada": "qualified",
    "qualificado": "qualified",
    "diagnostico": "qualified",
    "discovery": "qualified",
    "proposta": "proposal",
    "proposta_enviada": "proposal",
    "proposta_apresentada": "proposal",
    "orcamento": "proposal",
    "orcamento_enviado": "proposal",
    "cotacao": "proposal",
    "quote": "proposal",
    "negociacao": "negotiation",
    "em_negociacao": "negotiation",
    "negotiating": "negotiation",
    "closed_won": "won",
    "closedwon": "won",
    "ganho": "won",
    "ganha": "won",
    "fechado_ganho": "won",
    "fechada_ganha": "won",
    "fechado_ganha": "won",
    "venda_ganha": "won",
    "vendido": "won",
    "vendida": "won",
    "fechado": "won",
    "closed_lost": "lost",
    "closedlost": "lost",
    "perdido": "lost",
    "perdida": "lost",
    "fechado_perdido": "lost",
    "fechada_perdida": "lost",
    "venda_perdida": "lost",
    "cancelado": "lost",
    "cancelada": "lost",
}
KIND_ALIASES = {
    "venda_adicional": "upsell",
    "expansao": "upsell",
    "venda_cruzada": "cross_sell",
    "renovacao": "renewal",
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
            "id_do_negocio",
            "id_externo",
            "id_da_oportunidade",
            "codigo",
        ),
        ACCOUNT_REFERENCE,
        _f(
            "stage",
            gettext_lazy("stage"),
            "deal_stage",
            "status",
            "etapa",
            "fase",
            "estagio",
            "etapa_do_funil",
            "etapa_da_negociacao",
            "situacao",
            required=True,
            kind=CHOICE,
            choices=OpportunityStage,
            values=STAGE_ALIASES,
        ),
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
            "dono",
            "dono_do_negocio",
            kind=USER,
        ),
        _f("product", gettext_lazy("product"), "product_name", "produto", "item"),
        _f(
            "title",
            gettext_lazy("title"),
            "name",
            "deal_name",
            "opportunity_name",
            "titulo",
            "nome",
            "negocio",
            "nome_do_negocio",
            "oportunidade",
            "nome_da_oportunidade",
        ),
        _f(
            "amount",
            gettext_lazy("amount"),
            "close_value",
            "value",
            "deal_value",
            "valor",
            "revenue",
            "valor_do_negocio",
            "valor_total",
            "valor_r",
            kind=DECIMAL,
        ),
        _f(
            "close_date",
            gettext_lazy("close date"),
            "closed_on",
            "won_date",
            "expected_close",
            "data_fechamento",
            "data_de_fechamento",
            "fechamento_previsto",
            "previsao_de_fechamento",
            "data_prevista_de_fechamento",
            kind=DATE,
        ),
        _f(
            "engage_date",
            gettext_lazy("engage date"),
            "engaged_on",
            "created",
            "created_date",
            "open_date",
            "data_de_criacao",
            "criado_em",
            "data_de_abertura",
            "data_de_inicio",
            kind=DATE,
        ),
        _f(
            "probability",
            gettext_lazy("probability (%)"),
            "probabilidade",
            "win_probability",
            "chance",
            kind=INT,
        ),
        _f(
            "kind",
            gettext_lazy("kind"),
            "type",
            "deal_type",
            "tipo",
            "tipo_de_negocio",
            kind=CHOICE,
            choices=OpportunityKind,
            values=KIND_ALIASES,
        ),
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
            kind = to_choice(values["kind"], labels["kind"], OpportunityKind.choices, KIND_ALIASES)
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
        today = business_date()
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
