"""Deterministic demo data for `manage.py seed_demo`: same rows however often it runs.

Sixty fictional accounts (some grouped under parents) with their org charts, a year of
interactions and next steps, two years of revenue, milestones and ratings, all owned by the
demo users. Dates are relative to today, so the demo never goes stale.

Idempotence: every account has a natural key (`external_id="demo-…"`). An account that
already exists is left alone together with all its history, so a second run adds nothing (and
a run on a later day keeps the history the first run wrote). Randomness comes from one
`random.Random(2026)` that hands every account its own seed, so an account's data does not
depend on which other accounts were created in the same run.

Writes go through the services (they also write the timeline). The services stamp the
timeline with "now" for a stakeholder joining or a commitment being completed; those stamps
are moved back to the demo's own dates afterwards so the timelines read like real history."""

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from math import exp, log

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import (
    Account,
    AccountStatus,
    BuyingRole,
    ExchangeRate,
    HealthScore,
    Milestone,
    QualitativeRating,
    RatingCriterion,
    RevenueRecord,
    SatisfactionEntry,
    Stakeholder,
    Stance,
    Tier,
    TierChange,
    TimelineEntry,
    TimelineKind,
)
from accounts.services import (
    account_create,
    account_revenue_refresh,
    milestone_create,
    rating_set,
    scoring_defaults_ensure,
    stakeholder_create,
    stakeholder_mark_left,
)
from activities.models import (
    ClientRequest,
    Commitment,
    Interaction,
    InteractionCategory,
    InteractionKind,
    PlaybookFiring,
)
from activities.services import (
    NextStep,
    commitment_cancel,
    commitment_complete,
    interaction_log,
)
from demo.plans import demo_plans_seed
from demo.qbrs import demo_qbrs_seed
from demo.requests import demo_requests_seed
from insights.playbooks import playbook_defaults_ensure, playbooks_evaluate
from insights.services import health_recompute, tiers_recompute
from kam.dates import business_date
from kam.models import Role, User

DEMO_PASSWORD = "demo"  # noqa: S105 - demo data only, documented in README
DEMO_USERS = [
    ("kam@example.com", "Karina Almeida", Role.KAM, "pt-br"),
    ("kam2@example.com", "Rafael Souza", Role.KAM, "pt-br"),
    ("kam3@example.com", "Emily Carter", Role.KAM, "en"),
    ("leader@example.com", "Luciana Ferreira", Role.LEADER, "pt-br"),
    ("admin@example.com", "Alex Admin", Role.ADMIN, "en"),
]
DEMO_SEED = 2026
DEMO_PREFIX = "demo-"


@transaction.atomic
def demo_users_seed() -> dict[str, User]:
    users = {}
    # Password hashing is slow on purpose (about a second each here). The demo password is
    # public, so the five users share one hash: one hash to create them, one check to rerun.
    demo_hash = ""
    for email, full_name, role, language in DEMO_USERS:
        user, created = User.objects.update_or_create(
            email=email,
            defaults={"full_name": full_name, "role": role},
            create_defaults={"full_name": full_name, "role": role, "language": language},
        )
        if not demo_hash and not created and user.check_password(DEMO_PASSWORD):
            demo_hash = user.password
        elif user.password != demo_hash or not demo_hash:
            demo_hash = demo_hash or make_password(DEMO_PASSWORD)
            user.password = demo_hash
            user.save(update_fields=["password"])
        users[email] = user
    return users


def demo_seed(*, language: str | None = None) -> dict[str, int]:
    """Seed the demo with its texts in `language` (default: the installation's, LANGUAGE_CODE).
    The texts below are English msgids translated while seeding (locale/…/django.po)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return _demo_seed()


@transaction.atomic
def _demo_seed() -> dict[str, int]:
    users = demo_users_seed()
    today = business_date()
    now = timezone.now()
    master = random.Random(DEMO_SEED)
    accounts: dict[str, Account] = {}
    revenue: list[RevenueRecord] = []
    for spec in ACCOUNT_SPECS:
        # Drawn whether or not the account is created, so each account keeps its own stream.
        rng = random.Random(master.getrandbits(64))
        external_id = DEMO_PREFIX + spec.key
        existing = Account.objects.filter(external_id=external_id).first()
        if existing is not None:
            accounts[spec.key] = existing
            continue
        seeder = _AccountSeeder(spec, rng, users=users, accounts=accounts, today=today, now=now)
        accounts[spec.key] = seeder.run()
        revenue.extend(seeder.revenue)
    # Deterministic external ids + ON CONFLICT DO NOTHING: a rerun can never double a record.
    RevenueRecord.objects.bulk_create(revenue, batch_size=1000, ignore_conflicts=True)
    _scoring_seed(users=users, accounts=accounts, today=today)
    return demo_counts()


# Accounts a leader once kept on another tier: their recommendation now waits on Tier review.
REVIEW_CASES = {
    "ferraz-atacado": (
        "maintain",
        gettext_noop("Kept low while the 2025 contract was renegotiated."),
    ),
    "datavale": (
        "strategic",
        gettext_noop("Promised executive attention during their ERP migration."),
    ),
}
HISTORY_DAYS = 180


def _scoring_seed(*, users: dict[str, User], accounts: dict[str, Account], today) -> None:
    """Tiers, satisfaction answers, a pending tier review and 180 days of health history.
    Idempotent: each step is keyed (tier changes by reason, answers per account, scores by
    (account, day) updated in place)."""
    satisfaction = []
    for key, account in sorted(accounts.items()):
        if account.status == "prospect" or account.satisfaction.exists():
            continue
        rng = random.Random(f"{DEMO_SEED}-satisfaction-{key}")
        base = {"at_risk": 2, "churned": 4}.get(account.status, 8)
        for months_ago in (10, 4, 1):
            kind = "nps" if rng.random() < 0.7 else "csat"
            nps = max(0, min(10, base + rng.randint(-2, 2) - (months_ago == 1 and base < 8)))
            satisfaction.append(
                SatisfactionEntry(
                    account=account,
                    kind=kind,
                    score=nps if kind == "nps" else max(1, min(5, round(nps / 2))),
                    recorded_on=today - timedelta(days=30 * months_ago + rng.randint(0, 9)),
                    recorded_by=account.owner,
                )
            )
    SatisfactionEntry.objects.bulk_create(satisfaction)

    tiers_recompute(day=today)
    leader = users["leader@example.com"]
    tiers = {tier.key: tier for tier in Tier.objects.all()}
    for key, (tier_key, reason) in REVIEW_CASES.items():
        reason = _(reason)
        account = accounts.get(key)
        if account is None or account.tier_changes.filter(reason=reason).exists():
            continue
        account.refresh_from_db()
        kept = tiers[tier_key]
        if kept.pk == account.recommended_tier_id:
            continue  # the recommendation already agrees: nothing to review
        # The story: the first recommendation was applied long ago, a leader overrode it 200
        # days ago and today's recommendation awaits review. The history must read in that
        # order, so the first tier (applied just now by tiers_recompute) is dated before it.
        account.tier_changes.filter(source=TierChange.Source.INITIAL).update(
            changed_at=timezone.now() - timedelta(days=400)
        )
        TierChange.objects.create(
            account=account,
            from_tier=account.tier,
            to_tier=kept,
            recommended_tier=account.tier,
            source=TierChange.Source.OVERRIDE,
            reason=reason,
            changed_by=leader,
            changed_at=timezone.now() - timedelta(days=200),
        )
        Account.objects.filter(pk=account.pk).update(tier=kept, recommendation_reviewed=False)

    demo_plans_seed(accounts=accounts, today=today)
    demo_qbrs_seed(accounts=accounts, today=today)
    demo_requests_seed(accounts=accounts, now=timezone.now())

    config = scoring_defaults_ensure()
    ids = sorted(account.pk for account in accounts.values() if account.is_live)
    scored_days = set(
        HealthScore.objects.filter(account_id__in=ids, day__gt=today - timedelta(days=HISTORY_DAYS))
        .values("day")
        .annotate(accounts=Count("pk"))
        .filter(accounts=len(ids))
        .values_list("day", flat=True)
    )
    for days_ago in range(HISTORY_DAYS - 1, -1, -1):
        day = today - timedelta(days=days_ago)
        if day not in scored_days:  # a rerun only scores the days still missing
            health_recompute(account_ids=ids, day=day, config=config)
    # Before the daily history, one score at the end of each month, so the portfolio's
    # 12-month health trend is full.
    month_end = (today - timedelta(days=HISTORY_DAYS)).replace(day=1) - timedelta(days=1)
    for _month in range(TREND_BACKFILL_MONTHS):
        if not HealthScore.objects.filter(account_id__in=ids, day=month_end).exists():
            health_recompute(account_ids=ids, day=month_end, config=config)
        month_end = month_end.replace(day=1) - timedelta(days=1)
    _exchange_rates_seed(users=users, today=today)
    account_revenue_refresh(day=today)
    # The shipped playbooks run over the demo as the nightly job would: the accounts at risk,
    # with a champion gone or a renewal near get their items (a rerun fires nothing twice).
    playbook_defaults_ensure()
    playbooks_evaluate(today=today)


TREND_BACKFILL_MONTHS = 6
# What one unit is worth in BRL; the rates stored are relative to the reporting currency.
DEMO_BRL_VALUE = {"BRL": Decimal("1"), "USD": Decimal("5.35"), "EUR": Decimal("5.80")}


def _exchange_rates_seed(*, users: dict[str, User], today: date) -> None:
    """A rate for each foreign currency from the start of the year (once: a currency that
    already has a rate is left to the admins)."""

    reporting = settings.REPORTING_CURRENCY
    for currency, brl_value in DEMO_BRL_VALUE.items():
        if currency == reporting or ExchangeRate.objects.filter(currency=currency).exists():
            continue
        ExchangeRate.objects.create(
            currency=currency,
            rate=(brl_value / DEMO_BRL_VALUE[reporting]).quantize(Decimal("0.000001")),
            valid_from=today.replace(month=1, day=1),
            set_by=users["admin@example.com"],
        )


def demo_counts() -> dict[str, int]:
    demo_accounts = Account.objects.filter(external_id__startswith=DEMO_PREFIX)
    emails = [email for email, *_ in DEMO_USERS]
    return {
        "users": User.objects.filter(email__in=emails).count(),
        "accounts": demo_accounts.count(),
        "stakeholders": Stakeholder.objects.filter(account__in=demo_accounts).count(),
        "interactions": Interaction.objects.filter(account__in=demo_accounts).count(),
        "commitments": Commitment.objects.filter(account__in=demo_accounts).count(),
        "playbook_firings": PlaybookFiring.objects.filter(account__in=demo_accounts).count(),
        "revenue_records": RevenueRecord.objects.filter(account__in=demo_accounts).count(),
        "milestones": Milestone.objects.filter(account__in=demo_accounts).count(),
        "ratings": QualitativeRating.objects.filter(account__in=demo_accounts).count(),
        "client_requests": ClientRequest.objects.filter(account__in=demo_accounts).count(),
    }


# --- The accounts ----------------------------------------------------------------------------

KAM1, KAM2, KAM3 = "kam@example.com", "kam2@example.com", "kam3@example.com"

MANUFACTURING = gettext_noop("Manufacturing")
RETAIL = gettext_noop("Retail")
HEALTHCARE = gettext_noop("Healthcare")
LOGISTICS = gettext_noop("Logistics")
FINANCIAL = gettext_noop("Financial services")
AGRIBUSINESS = gettext_noop("Agribusiness")
ENERGY = gettext_noop("Energy")
TECHNOLOGY = gettext_noop("Technology")
TELECOM = gettext_noop("Telecom")

BRAZIL = gettext_noop("Brazil")
# Written translated (Account.hq_country, .region); listed so that makemessages finds them.
PLACE_NAMES = (
    gettext_noop("Switzerland"), gettext_noop("Mexico"), gettext_noop("Germany"),
    gettext_noop("Colombia"), gettext_noop("Canada"), gettext_noop("Chile"),
    gettext_noop("United States"), gettext_noop("Spain"), gettext_noop("Portugal"),
    gettext_noop("Peru"), gettext_noop("Europe"), gettext_noop("North America"),
)  # fmt: skip
ACTIVE, AT_RISK = AccountStatus.ACTIVE, AccountStatus.AT_RISK
PROSPECT, CHURNED = AccountStatus.PROSPECT, AccountStatus.CHURNED


@dataclass(frozen=True)
class AccountSpec:
    key: str
    name: str
    industry: str
    region: str
    city: str
    country: str
    currency: str
    status: str
    tier: str  # key, large, mid, small, prospect: drives size, revenue and activity
    owner: str
    parent: str = ""
    team: tuple[str, ...] = ()
    renew_in: int | None = None  # days to the renewal, for the ones that must come up soon
    new: bool = False  # first contract signed about a year ago
    quiet_days: int | None = None  # last touch that many days ago: owed a touch
    departure: str = ""  # "champion" or "champion_primary" left a few weeks ago, no successor
    replaced: bool = False  # the champion left months ago and a successor took over
    former_user: bool = False  # a non-key contact left


S = AccountSpec
# Parents come before their subsidiaries.
ACCOUNT_SPECS = [
    # Grupo Ferraz: a São Paulo retail group.
    S("ferraz", "Grupo Ferraz", RETAIL, "Sudeste", "São Paulo", BRAZIL, "BRL", ACTIVE, "mid",
      KAM1),
    S("ferraz-super", "Supermercados Ferraz", RETAIL, "Sudeste", "São Paulo", BRAZIL, "BRL",
      ACTIVE, "key", KAM1, parent="ferraz", team=(KAM2,)),
    S("ferraz-atacado", "Ferraz Atacadista", RETAIL, "Sudeste", "Guarulhos", BRAZIL, "BRL",
      ACTIVE, "large", KAM1, parent="ferraz", renew_in=48),
    S("ferraz-drogarias", "Drogarias Ferraz", RETAIL, "Sudeste", "Santos", BRAZIL, "BRL",
      ACTIVE, "mid", KAM2, parent="ferraz"),
    S("ferraz-digital", "Ferraz Digital", TECHNOLOGY, "Sudeste", "São Paulo", BRAZIL, "BRL",
      PROSPECT, "prospect", KAM2, parent="ferraz"),
    # Grupo Vale Verde: grain, seeds and the trucks that move them.
    S("valeverde", "Grupo Vale Verde", AGRIBUSINESS, "Centro-Oeste", "Cuiabá", BRAZIL, "BRL",
      ACTIVE, "small", KAM2),
    S("vv-graos", "Vale Verde Grãos", AGRIBUSINESS, "Centro-Oeste", "Sorriso", BRAZIL, "BRL",
      ACTIVE, "key", KAM2, parent="valeverde", team=(KAM1,), renew_in=62),
    S("vv-sementes", "Vale Verde Sementes", AGRIBUSINESS, "Centro-Oeste", "Rio Verde", BRAZIL,
      "BRL", ACTIVE, "mid", KAM2, parent="valeverde"),
    S("vv-log", "Vale Verde Logística", LOGISTICS, "Centro-Oeste", "Sorriso", BRAZIL, "BRL",
      ACTIVE, "mid", KAM2, parent="valeverde", new=True),
    # Nortelink: a northeastern telecom holding.
    S("nortelink", "Nortelink Participações", TELECOM, "Nordeste", "Fortaleza", BRAZIL, "BRL",
      ACTIVE, "small", KAM3),
    S("nortelink-fibra", "Nortelink Fibra", TELECOM, "Nordeste", "Fortaleza", BRAZIL, "BRL",
      ACTIVE, "key", KAM3, parent="nortelink", team=(KAM2,)),
    S("nortelink-movel", "Nortelink Móvel", TELECOM, "Norte", "Manaus", BRAZIL, "BRL", AT_RISK,
      "mid", KAM3, parent="nortelink", renew_in=33),
    # Helvetia: a Swiss pharma group and its Latin American arms.
    S("helvetia", "Helvetia Pharma Group", HEALTHCARE, "Europe", "Basel", "Switzerland", "EUR",
      ACTIVE, "mid", KAM3),
    S("helvetia-br", "Helvetia Pharma Brasil", HEALTHCARE, "Sudeste", "São Paulo", BRAZIL,
      "BRL", ACTIVE, "key", KAM3, parent="helvetia", team=(KAM1,)),
    S("helvetia-mx", "Helvetia Diagnósticos México", HEALTHCARE, "LATAM", "Ciudad de México",
      "Mexico", "USD", ACTIVE, "mid", KAM3, parent="helvetia", replaced=True),
    # Karina's (kam@) own accounts.
    S("serra-azul", "Siderúrgica Serra Azul", MANUFACTURING, "Sudeste", "Ipatinga", BRAZIL,
      "BRL", ACTIVE, "key", KAM1, team=(KAM3,), renew_in=75),
    S("atlantica", "Metalúrgica Atlântica", MANUFACTURING, "Sul", "Joinville", BRAZIL, "BRL",
      ACTIVE, "large", KAM1, departure="champion"),
    S("acacias", "Hospital Jardim das Acácias", HEALTHCARE, "Sudeste", "Campinas", BRAZIL,
      "BRL", ACTIVE, "mid", KAM1, departure="champion_primary"),
    S("pampa", "Cooperativa de Crédito Pampa", FINANCIAL, "Sul", "Porto Alegre", BRAZIL, "BRL",
      ACTIVE, "mid", KAM1, departure="champion"),
    S("datavale", "Datavale Sistemas", TECHNOLOGY, "Sudeste", "São José dos Campos", BRAZIL,
      "BRL", ACTIVE, "mid", KAM1, quiet_days=52),
    S("plastiform", "Plastiform Embalagens", MANUFACTURING, "Sudeste", "Sorocaba", BRAZIL,
      "BRL", ACTIVE, "small", KAM1, quiet_days=78),
    S("mare-alta", "Lojas Maré Alta", RETAIL, "Nordeste", "Recife", BRAZIL, "BRL", AT_RISK,
      "small", KAM1, renew_in=26, quiet_days=200),
    S("solaris", "Solaris Geração Distribuída", ENERGY, "Sudeste", "Belo Horizonte", BRAZIL,
      "BRL", PROSPECT, "prospect", KAM1),
    S("santa-clara", "Têxtil Santa Clara", MANUFACTURING, "Sul", "Blumenau", BRAZIL, "BRL",
      CHURNED, "small", KAM1),
    # Rafael's (kam2@).
    S("capibaribe", "Banco Capibaribe", FINANCIAL, "Nordeste", "Recife", BRAZIL, "BRL", ACTIVE,
      "key", KAM2, team=(KAM1,)),
    S("transcerrado", "TransCerrado Logística", LOGISTICS, "Centro-Oeste", "Rondonópolis",
      BRAZIL, "BRL", ACTIVE, "key", KAM2, team=(KAM3,), renew_in=84),
    S("ventos", "Energia dos Ventos Potiguar", ENERGY, "Nordeste", "Natal", BRAZIL, "BRL",
      ACTIVE, "key", KAM2, former_user=True),
    S("bortolini", "Bortolini Autopeças", MANUFACTURING, "Sul", "Caxias do Sul", BRAZIL, "BRL",
      ACTIVE, "large", KAM2, replaced=True),
    S("vitalis", "Rede Vitalis Saúde", HEALTHCARE, "Nordeste", "Salvador", BRAZIL, "BRL",
      ACTIVE, "large", KAM2, replaced=True),
    S("horizonte", "Horizonte Seguros", FINANCIAL, "Sudeste", "Rio de Janeiro", BRAZIL, "BRL",
      ACTIVE, "large", KAM2, new=True),
    S("terra-roxa", "Cooperativa Agrícola Terra Roxa", AGRIBUSINESS, "Sul", "Cascavel", BRAZIL,
      "BRL", ACTIVE, "large", KAM2, former_user=True),
    S("ceramica-ipe", "Cerâmica Ipê", MANUFACTURING, "Sudeste", "Santa Gertrudes", BRAZIL,
      "BRL", AT_RISK, "mid", KAM2, renew_in=57),
    S("vidraria", "Vidraria Amazônia", MANUFACTURING, "Norte", "Manaus", BRAZIL, "BRL", ACTIVE,
      "mid", KAM2),
    S("passo-firme", "Calçados Passo Firme", RETAIL, "Sul", "Novo Hamburgo", BRAZIL, "BRL",
      ACTIVE, "mid", KAM2),
    S("jacaranda", "Casa Jacarandá Móveis", RETAIL, "Sul", "Curitiba", BRAZIL, "BRL", ACTIVE,
      "small", KAM2, quiet_days=61),
    S("aurora", "Moda Aurora", RETAIL, "Nordeste", "Fortaleza", BRAZIL, "BRL", CHURNED, "small",
      KAM2),
    S("biocenter", "Laboratório Biocenter", HEALTHCARE, "Centro-Oeste", "Goiânia", BRAZIL,
      "BRL", ACTIVE, "small", KAM2),
    S("sorriso-pleno", "Clínicas Sorriso Pleno", HEALTHCARE, "Sudeste", "Rio de Janeiro",
      BRAZIL, "BRL", PROSPECT, "prospect", KAM2),
    S("rota-norte", "Rota Norte Transportes", LOGISTICS, "Norte", "Belém", BRAZIL, "BRL",
      AT_RISK, "mid", KAM2, renew_in=19),
    S("logmar", "LogMar Armazéns Gerais", LOGISTICS, "Sudeste", "Vitória", BRAZIL, "BRL",
      ACTIVE, "small", KAM2, quiet_days=95),
    S("fluvial", "Amazônia Fluvial Navegação", LOGISTICS, "Norte", "Manaus", BRAZIL, "BRL",
      ACTIVE, "small", KAM2),
    S("agropantanal", "AgroPantanal", AGRIBUSINESS, "Centro-Oeste", "Campo Grande", BRAZIL,
      "BRL", AT_RISK, "small", KAM2, quiet_days=67),
    S("campo-limpo", "Frigorífico Campo Limpo", AGRIBUSINESS, "Centro-Oeste", "Dourados",
      BRAZIL, "BRL", ACTIVE, "mid", KAM2),
    S("petrocosta", "Petrocosta Distribuidora", ENERGY, "Sudeste", "Macaé", BRAZIL, "BRL",
      ACTIVE, "mid", KAM2),
    S("rio-claro", "Hidrelétrica Rio Claro", ENERGY, "Norte", "Porto Velho", BRAZIL, "BRL",
      CHURNED, "mid", KAM2),
    S("conecta", "Conecta Mais Telecom", TELECOM, "Sudeste", "Uberlândia", BRAZIL, "BRL",
      ACTIVE, "mid", KAM2),
    # Emily's (kam3@): most of the international book.
    S("santa-rita", "Usina Santa Rita Açúcar e Etanol", AGRIBUSINESS, "Sudeste",
      "Ribeirão Preto", BRAZIL, "BRL", ACTIVE, "large", KAM3),
    S("kronberg", "Kronberg Maschinenbau", MANUFACTURING, "Europe", "Stuttgart", "Germany",
      "EUR", ACTIVE, "large", KAM3),
    S("andina", "Andina Telecom", TELECOM, "LATAM", "Bogotá", "Colombia", "USD", ACTIVE,
      "large", KAM3, replaced=True),
    S("maplewood", "Maplewood Home Stores", RETAIL, "North America", "Toronto", "Canada", "USD",
      ACTIVE, "mid", KAM3),
    S("andes-cargo", "Andes Cargo Logistics", LOGISTICS, "LATAM", "Santiago", "Chile", "USD",
      ACTIVE, "mid", KAM3),
    S("northbridge", "Northbridge Capital Partners", FINANCIAL, "North America", "Boston",
      "United States", "USD", ACTIVE, "mid", KAM3),
    S("brightwave", "Brightwave Analytics", TECHNOLOGY, "North America", "Austin",
      "United States", "USD", ACTIVE, "mid", KAM3, new=True),
    S("iberluz", "Iberluz Renovables", ENERGY, "Europe", "Madrid", "Spain", "EUR", ACTIVE, "mid",
      KAM3, new=True),
    S("lusitana", "Lusitana Alimentos", MANUFACTURING, "Europe", "Porto", "Portugal", "EUR",
      ACTIVE, "small", KAM3, quiet_days=58),
    S("pacifico", "Pacífico Retail Group", RETAIL, "LATAM", "Lima", "Peru", "USD", AT_RISK,
      "small", KAM3, departure="champion_primary"),
    S("nuvem", "Nuvem Tropical", TECHNOLOGY, "Nordeste", "Recife", BRAZIL, "BRL", ACTIVE,
      "small", KAM3),
    S("quantica", "Quântica Software", TECHNOLOGY, "Sul", "Florianópolis", BRAZIL, "BRL",
      ACTIVE, "small", KAM3, new=True),
    S("paguei", "Paguei Pagamentos", FINANCIAL, "Sudeste", "São Paulo", BRAZIL, "BRL", PROSPECT,
      "prospect", KAM3),
    S("sertao", "Sertão Tech", TECHNOLOGY, "Nordeste", "Campina Grande", BRAZIL, "BRL",
      PROSPECT, "prospect", KAM3),
]  # fmt: skip
del S

# Revenue over the last 12 months, in BRL, drawn log-uniformly: a Pareto-shaped book where the
# eight key accounts carry most of it.
TIER_REVENUE_BRL = {
    "key": (6_000_000, 24_000_000),
    "large": (1_200_000, 3_000_000),
    "mid": (250_000, 900_000),
    "small": (50_000, 250_000),
}
BRL_PER = {"BRL": 1.0, "USD": 5.0, "EUR": 5.5}  # rough, to size foreign-currency accounts
TIER_EMPLOYEES = {
    "key": (4_000, 30_000),
    "large": (1_200, 8_000),
    "mid": (250, 2_500),
    "small": (40, 400),
    "prospect": (60, 1_500),
}
# Sized to keep the seed fast: every row goes through a service that validates it.
TIER_STAKEHOLDERS = {"key": (8, 11), "large": (7, 10), "mid": (5, 8), "small": (5, 6)}
TIER_INTERACTIONS = {"key": (18, 28), "large": (10, 16), "mid": (7, 11), "small": (6, 8)}
TIER_STAKEHOLDERS["prospect"] = (5, 6)
TIER_INTERACTIONS["prospect"] = (6, 7)
BIG_TIERS = ("key", "large")

LEGAL_SUFFIX = {
    BRAZIL: "S.A.",
    "Germany": "GmbH",
    "Switzerland": "AG",
    "Spain": "S.L.",
    "Portugal": "Lda.",
    "United States": "Inc.",
    "Canada": "Ltd.",
    "Mexico": "S.A. de C.V.",
    "Chile": "SpA",
    "Colombia": "S.A.S.",
    "Peru": "S.A.C.",
}
PHONE_PREFIX = {
    "Germany": "+49 711",
    "Switzerland": "+41 61",
    "Spain": "+34 91",
    "Portugal": "+351 22",
    "Mexico": "+52 55",
    "Chile": "+56 2",
    "Colombia": "+57 601",
    "Peru": "+51 1",
}
NORTH_AMERICAN_AREA = {"Toronto": "416", "Boston": "617", "Austin": "512"}
BRAZIL_DDD = {
    "São Paulo": "11", "Guarulhos": "11", "Santos": "13", "Campinas": "19", "Sorocaba": "15",
    "São José dos Campos": "12", "Ribeirão Preto": "16", "Santa Gertrudes": "19",
    "Ipatinga": "31", "Belo Horizonte": "31", "Uberlândia": "34", "Rio de Janeiro": "21",
    "Macaé": "22", "Vitória": "27", "Curitiba": "41", "Cascavel": "45", "Joinville": "47",
    "Blumenau": "47", "Florianópolis": "48", "Porto Alegre": "51", "Novo Hamburgo": "51",
    "Caxias do Sul": "54", "Recife": "81", "Salvador": "71", "Fortaleza": "85", "Natal": "84",
    "Campina Grande": "83", "Goiânia": "62", "Cuiabá": "65", "Rondonópolis": "66",
    "Sorriso": "66", "Rio Verde": "64", "Campo Grande": "67", "Dourados": "67", "Belém": "91",
    "Manaus": "92", "Porto Velho": "69",
}  # fmt: skip

COMPETITORS = [
    "Vortex Solutions",
    "Nexa Serviços",
    "Tecnova",
    "Prisma Integradores",
    "Altamira Tecnologia",
    "Norden Systems",
    "Cobalt Partners",
    "Solvix",
    "Brasilis Serviços",
    "Meridian Group",
]
NEEDS = {
    MANUFACTURING: [
        gettext_noop("Unplanned downtime on critical lines"),
        gettext_noop("Energy cost per tonne keeps rising"),
        gettext_noop("Traceability demanded by automotive customers"),
        gettext_noop("Ageing maintenance team; knowledge walks out the door"),
        gettext_noop("Spare-parts inventory tying up working capital"),
    ],
    RETAIL: [
        gettext_noop("Stock-outs in the regional stores"),
        gettext_noop("Waste and shrinkage in perishables"),
        gettext_noop("Slow replenishment from the distribution centres"),
        gettext_noop("One inventory view across e-commerce and stores"),
        gettext_noop("Margin pressure from discount chains"),
    ],
    HEALTHCARE: [
        gettext_noop("Bed turnover and discharge delays"),
        gettext_noop("Drug stock control and expiry losses"),
        gettext_noop("Audit readiness for the regulator"),
        gettext_noop("Nursing staff shortage"),
        gettext_noop("Lab results not integrated with the patient record"),
    ],
    LOGISTICS: [
        gettext_noop("Fuel cost and idle time"),
        gettext_noop("Real-time shipment visibility for shippers"),
        gettext_noop("Driver turnover"),
        gettext_noop("Peak capacity in harvest season"),
        gettext_noop("Cargo theft on key routes"),
    ],
    FINANCIAL: [
        gettext_noop("Cost-to-serve in the branch network"),
        gettext_noop("Fraud in digital channels"),
        gettext_noop("Regulatory deadlines for open finance"),
        gettext_noop("Legacy core system slows new products"),
        gettext_noop("Customers moving to digital banks"),
    ],
    AGRIBUSINESS: [
        gettext_noop("Storage losses after harvest"),
        gettext_noop("Freight cost to the ports"),
        gettext_noop("Traceability for export buyers"),
        gettext_noop("Weather risk in crop planning"),
        gettext_noop("Working capital in the off-season"),
    ],
    ENERGY: [
        gettext_noop("Turbine availability below contract"),
        gettext_noop("Curtailment and grid constraints"),
        gettext_noop("O&M cost per MWh"),
        gettext_noop("Regulatory reporting workload"),
        gettext_noop("Field team safety"),
    ],
    TECHNOLOGY: [
        gettext_noop("Cloud costs growing faster than revenue"),
        gettext_noop("Hiring senior engineers"),
        gettext_noop("Enterprise clients demanding SOC 2 / ISO 27001"),
        gettext_noop("Slow onboarding of new customers"),
    ],
    TELECOM: [
        gettext_noop("Network outages in remote areas"),
        gettext_noop("Churn in prepaid plans"),
        gettext_noop("Fibre rollout behind schedule"),
        gettext_noop("Field-service productivity"),
        gettext_noop("Capex pressure from shareholders"),
    ],
}
SITES = {
    MANUFACTURING: [
        gettext_noop("the {city} plant"),
        gettext_noop("the rolling mill"),
        gettext_noop("line 2"),
        gettext_noop("the tool shop"),
    ],
    RETAIL: [
        gettext_noop("the {city} distribution centre"),
        gettext_noop("the flagship store"),
        gettext_noop("the regional stores"),
    ],
    HEALTHCARE: [
        gettext_noop("the main hospital"),
        gettext_noop("the central pharmacy"),
        gettext_noop("the {city} unit"),
    ],
    LOGISTICS: [
        gettext_noop("the {city} terminal"),
        gettext_noop("the cross-docking hub"),
        gettext_noop("the fleet yard"),
    ],
    FINANCIAL: [
        gettext_noop("head office"),
        gettext_noop("the contact centre"),
        gettext_noop("the branch network"),
    ],
    AGRIBUSINESS: [
        gettext_noop("the {city} silos"),
        gettext_noop("the seed processing unit"),
        gettext_noop("the farms in {city}"),
    ],
    ENERGY: [
        gettext_noop("the wind farm"),
        gettext_noop("the control centre"),
        gettext_noop("the {city} substation"),
    ],
    TECHNOLOGY: [
        gettext_noop("head office"),
        gettext_noop("the data centre"),
        gettext_noop("the {city} office"),
    ],
    TELECOM: [
        gettext_noop("the NOC"),
        gettext_noop("the {city} data centre"),
        gettext_noop("the fibre rollout in {city}"),
    ],
}

# What we sell: (kind, margin, relative weight within a month).
PRODUCTS = {
    gettext_noop("Platform subscription"): (RevenueRecord.Kind.INVOICE, 0.72, 3.0),
    gettext_noop("Managed services"): (RevenueRecord.Kind.INVOICE, 0.36, 4.0),
    gettext_noop("Premium support"): (RevenueRecord.Kind.INVOICE, 0.62, 1.0),
    gettext_noop("Analytics add-on"): (RevenueRecord.Kind.INVOICE, 0.70, 1.0),
    gettext_noop("Field equipment"): (RevenueRecord.Kind.ORDER, 0.18, 2.5),
    gettext_noop("Spare parts and consumables"): (RevenueRecord.Kind.ORDER, 0.27, 1.5),
    gettext_noop("Training programme"): (RevenueRecord.Kind.ORDER, 0.52, 0.6),
    gettext_noop("Implementation project"): (RevenueRecord.Kind.DEAL, 0.31, 0.0),
}
RECURRING = [name for name, (kind, *_) in PRODUCTS.items() if kind == RevenueRecord.Kind.INVOICE]
ORDERS = [name for name, (kind, *_) in PRODUCTS.items() if kind == RevenueRecord.Kind.ORDER]
PROJECT = gettext_noop("Implementation project")

# --- People --------------------------------------------------------------------------------

FIRST_NAMES = {
    "pt": (
        ["Ana", "Beatriz", "Camila", "Daniela", "Fernanda", "Gabriela", "Helena", "Isabela",
         "Juliana", "Larissa", "Mariana", "Patrícia", "Renata", "Sofia", "Tatiane", "Vanessa",
         "Luana", "Priscila", "Cláudia", "Adriana", "Aline", "Bianca", "Carla", "Débora"],
        ["André", "Bruno", "Carlos", "Daniel", "Eduardo", "Felipe", "Gustavo", "Henrique",
         "Igor", "João", "Leonardo", "Marcelo", "Nelson", "Otávio", "Paulo", "Ricardo",
         "Rodrigo", "Sérgio", "Thiago", "Vinícius", "Wagner", "Fábio", "Diego", "Mateus"],
    ),
    "en": (
        ["Emma", "Olivia", "Sarah", "Jessica", "Laura", "Rachel", "Megan", "Hannah", "Claire",
         "Natalie", "Grace", "Lauren"],
        ["James", "Michael", "David", "Ryan", "Kevin", "Brian", "Eric", "Mark", "Steven",
         "Andrew", "Jason", "Paul"],
    ),
    "de": (
        ["Anna", "Katrin", "Julia", "Sabine", "Lena", "Miriam", "Claudia", "Petra"],
        ["Jonas", "Markus", "Stefan", "Tobias", "Florian", "Matthias", "Lukas", "Andreas"],
    ),
    "es": (
        ["María", "Lucía", "Carmen", "Valentina", "Camila", "Paula", "Isabel", "Daniela",
         "Andrea", "Natalia"],
        ["Javier", "Alejandro", "Andrés", "Diego", "Santiago", "Pablo", "Mateo", "Sebastián",
         "Felipe", "Tomás"],
    ),
}  # fmt: skip
SURNAMES = {
    "pt": ["Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Carvalho", "Rodrigues",
           "Costa", "Gomes", "Martins", "Araújo", "Barbosa", "Ribeiro", "Rocha", "Cavalcanti",
           "Nogueira", "Teixeira", "Monteiro", "Moreira", "Cardoso", "Mendes", "Freitas",
           "Pinto", "Vieira", "Batista", "Campos", "Queiroz", "Macedo", "Bezerra", "Dias",
           "Farias", "Siqueira", "Tavares", "Prado"],
    "en": ["Miller", "Johnson", "Brooks", "Bennett", "Hughes", "Turner", "Parker", "Reed",
           "Collins", "Foster", "Hayes", "Morgan", "Sullivan", "Ward"],
    "de": ["Becker", "Schneider", "Hoffmann", "Wagner", "Keller", "Brandt", "Vogel", "Schulz",
           "Lehmann", "Krause", "Zimmermann", "Hartmann"],
    "es": ["García", "Rodríguez", "Fernández", "López", "Martínez", "Sánchez", "Ramírez",
           "Torres", "Flores", "Vargas", "Castro", "Morales", "Herrera", "Jiménez", "Rojas"],
}  # fmt: skip
NAME_LOCALE = {
    BRAZIL: "pt",
    "Portugal": "pt",
    "Germany": "de",
    "Switzerland": "de",
    "United States": "en",
    "Canada": "en",
}  # anything else: Spanish-speaking LATAM and Spain


@dataclass(frozen=True)
class Department:
    """Titles as (Portuguese, English); Portuguese in the masculine, see `_feminine`."""

    name: tuple[str, str]
    director: tuple[str, str]
    managers: tuple[tuple[str, str], ...]
    staff: tuple[tuple[str, str], ...]


D = Department
FINANCE = D(
    ("Financeiro", "Finance"),
    ("Diretor Financeiro", "CFO"),
    (("Controller", "Controller"), ("Gerente Financeiro", "Finance Manager")),
    (
        ("Analista Financeiro", "Financial Analyst"),
        ("Analista de Contas a Pagar", "Accounts Payable Analyst"),
    ),
)
PROCUREMENT = D(
    ("Suprimentos", "Procurement"),
    ("Diretor de Suprimentos", "Procurement Director"),
    (("Gerente de Compras", "Purchasing Manager"),),
    (("Comprador Sênior", "Senior Buyer"), ("Analista de Compras", "Purchasing Analyst")),
)
IT = D(
    ("TI", "IT"),
    ("Diretor de Tecnologia", "IT Director"),
    (
        ("Gerente de Infraestrutura", "Infrastructure Manager"),
        ("Gerente de Sistemas", "Applications Manager"),
    ),
    (
        ("Analista de Sistemas", "Systems Analyst"),
        ("Especialista em Integração", "Integration Specialist"),
    ),
)
COMMERCIAL = D(
    ("Comercial", "Commercial"),
    ("Diretor Comercial", "Commercial Director"),
    (("Gerente de Marketing", "Marketing Manager"), ("Gerente de Contas", "Key Account Manager")),
    (
        ("Analista de Pricing", "Pricing Analyst"),
        ("Analista de Inteligência de Mercado", "Market Intelligence Analyst"),
    ),
)
CORE_DEPARTMENTS = {
    MANUFACTURING: D(
        ("Industrial", "Manufacturing"),
        ("Diretor Industrial", "Plant Director"),
        (
            ("Gerente de Manutenção", "Maintenance Manager"),
            ("Gerente de Produção", "Production Manager"),
            ("Coordenador de Qualidade", "Quality Coordinator"),
        ),
        (
            ("Engenheiro de Processos", "Process Engineer"),
            ("Técnico de Manutenção", "Maintenance Technician"),
            ("Supervisor de Produção", "Production Supervisor"),
        ),
    ),
    RETAIL: D(
        ("Operações", "Store Operations"),
        ("Diretor de Operações", "Operations Director"),
        (
            ("Gerente de Logística", "Logistics Manager"),
            ("Gerente de Lojas", "Store Operations Manager"),
            ("Gerente de E-commerce", "E-commerce Manager"),
        ),
        (
            ("Coordenador de CD", "DC Coordinator"),
            ("Analista de Reposição", "Replenishment Analyst"),
        ),
    ),
    HEALTHCARE: D(
        ("Assistencial", "Clinical"),
        ("Diretor Médico", "Medical Director"),
        (
            ("Gerente de Enfermagem", "Nursing Manager"),
            ("Gerente de Farmácia", "Pharmacy Manager"),
            ("Gerente de Qualidade", "Quality Manager"),
        ),
        (
            ("Enfermeiro Supervisor", "Nurse Supervisor"),
            ("Farmacêutico Responsável", "Lead Pharmacist"),
        ),
    ),
    LOGISTICS: D(
        ("Operações", "Operations"),
        ("Diretor de Operações", "Operations Director"),
        (("Gerente de Frota", "Fleet Manager"), ("Gerente de Armazém", "Warehouse Manager")),
        (
            ("Coordenador de Tráfego", "Traffic Coordinator"),
            ("Analista de Roteirização", "Routing Analyst"),
        ),
    ),
    FINANCIAL: D(
        ("Operações", "Operations"),
        ("Diretor de Operações", "COO"),
        (
            ("Gerente de Canais Digitais", "Digital Channels Manager"),
            ("Gerente de Backoffice", "Back-office Manager"),
        ),
        (
            ("Analista de Processos", "Process Analyst"),
            ("Especialista em Prevenção a Fraudes", "Fraud Prevention Specialist"),
        ),
    ),
    AGRIBUSINESS: D(
        ("Agrícola", "Agricultural Operations"),
        ("Diretor Agrícola", "Agricultural Director"),
        (
            ("Gerente de Produção Agrícola", "Farm Operations Manager"),
            ("Gerente de Armazenagem", "Storage Manager"),
        ),
        (("Engenheiro Agrônomo", "Agronomist"), ("Supervisor de Colheita", "Harvest Supervisor")),
    ),
    ENERGY: D(
        ("Operação e Manutenção", "O&M"),
        ("Diretor Técnico", "Technical Director"),
        (("Gerente de O&M", "O&M Manager"), ("Gerente de Ativos", "Asset Manager")),
        (
            ("Engenheiro Eletricista", "Electrical Engineer"),
            ("Técnico de Campo", "Field Technician"),
        ),
    ),
    TECHNOLOGY: D(
        ("Engenharia", "Engineering"),
        ("Diretor de Engenharia", "VP Engineering"),
        (("Gerente de Produto", "Product Manager"), ("Gerente de Plataforma", "Platform Manager")),
        (
            ("Desenvolvedor Sênior", "Senior Developer"),
            ("Arquiteto de Soluções", "Solutions Architect"),
        ),
    ),
    TELECOM: D(
        ("Rede", "Network"),
        ("Diretor de Rede", "Network Director"),
        (
            ("Gerente de Operações de Rede", "NOC Manager"),
            ("Gerente de Implantação", "Rollout Manager"),
        ),
        (("Engenheiro de Rede", "Network Engineer"), ("Analista de NOC", "NOC Analyst")),
    ),
}
del D
TOP_TITLES = (
    ["Diretor-Presidente", "CEO", "Diretor Geral", "Superintendente"],
    ["CEO", "President", "Managing Director", "General Manager"],
)
EXECUTIVE_DEPARTMENT = ("Diretoria", "Executive Board")
FEMININE = {
    "Diretor": "Diretora",
    "Coordenador": "Coordenadora",
    "Supervisor": "Supervisora",
    "Engenheiro": "Engenheira",
    "Comprador": "Compradora",
    "Técnico": "Técnica",
    "Financeiro": "Financeira",
    "Médico": "Médica",
    "Enfermeiro": "Enfermeira",
    "Farmacêutico": "Farmacêutica",
    "Desenvolvedor": "Desenvolvedora",
    "Arquiteto": "Arquiteta",
    "Agrônomo": "Agrônoma",
}

STAKEHOLDER_NOTES = {
    BuyingRole.CHAMPION: [
        gettext_noop("Sponsor of our {product}; prefers WhatsApp to email."),
        gettext_noop("Pushed internally for the last renewal; keep them ahead of surprises."),
        gettext_noop("Wants a case study with their name on it."),
    ],
    BuyingRole.DECISION_MAKER: [
        gettext_noop("Brief quarterly, one page at most."),
        gettext_noop("Decides on anything above the annual budget line."),
    ],
    BuyingRole.ECONOMIC_BUYER: [
        gettext_noop("Signs off every contract; watches payback period closely."),
        gettext_noop("Budget freeze in the second half is usual here."),
    ],
    BuyingRole.GATEKEEPER: [
        gettext_noop("All proposals go through the procurement portal; insists on three quotes."),
        gettext_noop("Controls the meeting calendar with the board."),
    ],
    BuyingRole.BLOCKER: [
        gettext_noop("Prefers {competitor}; worried about switching costs."),
        gettext_noop("Sceptical since the outage last year."),
    ],
}

# --- Interactions and next steps ----------------------------------------------------------

CALL, EMAIL, MEETING = InteractionKind.CALL, InteractionKind.EMAIL, InteractionKind.MEETING
VISIT, NOTE = InteractionKind.VISIT, InteractionKind.NOTE
EVOLUTION = InteractionCategory.EVOLUTION
VALUE_PLAN = InteractionCategory.VALUE_PLAN
INCIDENT = InteractionCategory.INCIDENT

SUMMARIES = {
    EVOLUTION: {
        CALL: [
            gettext_noop("Check-in with {person}: {product} adoption steady, no open issues"),
            gettext_noop("Call with {person} on the {year} budget cycle"),
            gettext_noop("{person} asked for options to extend {product} to {site}"),
            gettext_noop("Talked through the renewal timeline with {person}"),
            gettext_noop("Follow-up with {person} on last month's usage report"),
        ],
        EMAIL: [
            gettext_noop("Sent {person} the monthly {product} usage report"),
            gettext_noop("Emailed a proposal to extend {product} to {site}"),
            gettext_noop("{person} asked for updated pricing on {product}"),
            gettext_noop("Shared the next {product} release notes with {dept}"),
        ],
        MEETING: [
            gettext_noop("Roadmap session with {dept}: shared the {product} release plan"),
            gettext_noop("Pricing discussion for the renewal with {person}"),
            gettext_noop("Technical workshop with {dept} on the integration backlog"),
            gettext_noop("Met {person} to review open requests from {dept}"),
        ],
        VISIT: [
            gettext_noop("Visited {site} with {person}: reviewed the {product} rollout"),
            gettext_noop("On-site at {site} to meet the {dept} team"),
            gettext_noop("Lunch with {person} near {site}; good rapport, asked about {competitor}"),
        ],
        NOTE: [
            gettext_noop("{competitor} is pitching a lower price to {dept}"),
            gettext_noop("Heard that {person} is reorganising {dept}"),
            gettext_noop("{person} mentioned a new project at {site} next quarter"),
            gettext_noop("Prepare the renewal strategy before the {year} budget"),
        ],
    },
    VALUE_PLAN: {
        CALL: [
            gettext_noop("Call with {person} to validate the savings figures in the value plan"),
            gettext_noop("Aligned value plan KPIs with {person}"),
        ],
        EMAIL: [
            gettext_noop("Sent {person} the draft value plan for {year}"),
            gettext_noop("Shared the {quarter} value report with {person}"),
        ],
        MEETING: [
            gettext_noop("Quarterly business review with {person}: value delivered vs. plan"),
            gettext_noop(
                "Account plan workshop with {dept}: agreed three priorities for {quarter}"
            ),
            gettext_noop("Executive review with {person}: {product} savings ahead of target"),
        ],
        VISIT: [
            gettext_noop("Executive visit to {site}: aligned {year} objectives with {person}"),
            gettext_noop("Value workshop at {site} with the {dept} leadership"),
        ],
        NOTE: [
            gettext_noop("Value plan updated: {product} savings tracking ahead of target"),
            gettext_noop("Value plan at risk: {dept} has not adopted {product} yet"),
        ],
    },
    INCIDENT: {
        CALL: [
            gettext_noop("Escalation call: {product} outage hit {dept} for four hours"),
            gettext_noop("{person} raised the late delivery of the last order"),
            gettext_noop("{person} called about repeated failures at {site}"),
        ],
        EMAIL: [
            gettext_noop("{person} complained about a billing error on the last invoice"),
            gettext_noop("Formal complaint from {person} about our response times"),
            gettext_noop("{person} asked for a root-cause report on last week's outage"),
        ],
        MEETING: [
            gettext_noop("Post-incident review with {person} and {dept}"),
            gettext_noop("Presented the service recovery plan to {person}"),
        ],
        VISIT: [
            gettext_noop("On-site at {site} to fix the {product} integration"),
            gettext_noop("Visited {site} after the delivery failure; met {person}"),
        ],
        NOTE: [
            gettext_noop("Support tickets from {dept} over SLA for the second week"),
            gettext_noop("Invoice dispute with {dept} still unresolved"),
        ],
    },
}
PROSPECT_SUMMARIES = {
    CALL: [
        gettext_noop("Discovery call with {person}: current pains in {dept}"),
        gettext_noop("Qualification call with {person}: budget expected in {year}"),
        gettext_noop("Intro call with {person}, referred by a client"),
    ],
    EMAIL: [
        gettext_noop("Sent {person} our {product} overview and a case study"),
        gettext_noop("Sent a proposal for a {product} pilot at {site}"),
        gettext_noop("Followed up with {person} on the pilot proposal"),
    ],
    MEETING: [
        gettext_noop("Intro meeting: presented our {product} offer to {dept}"),
        gettext_noop("Demo of {product} for {dept}"),
        gettext_noop("Pilot scoping workshop with {person}"),
    ],
    VISIT: [
        gettext_noop("First visit to {site} with {person}"),
        gettext_noop("Visited {site} to map the {dept} process"),
    ],
    NOTE: [
        gettext_noop("{competitor} is the incumbent; their contract ends in {year}"),
        gettext_noop("{person} is the likely sponsor; needs the CFO's sign-off"),
    ],
}
# Why the demo's cancelled commitments were dropped (a cancellation carries its reason).

OUR_STEPS = {
    EVOLUTION: [
        gettext_noop("Send revised proposal for {product}"),
        gettext_noop("Share a {industry} case study with {first}"),
        gettext_noop("Send meeting minutes and action plan"),
        gettext_noop("Prepare the {product} usage report for {dept}"),
        gettext_noop("Book a technical workshop with {dept}"),
        gettext_noop("Draft renewal terms"),
        gettext_noop("Send updated price list"),
        gettext_noop("Introduce our implementation lead to {first}"),
    ],
    VALUE_PLAN: [
        gettext_noop("Update the value plan with {quarter} figures"),
        gettext_noop("Schedule the next quarterly business review"),
        gettext_noop("Send ROI estimate for {product}"),
        gettext_noop("Organise a reference call with another client"),
    ],
    INCIDENT: [
        gettext_noop("Send root-cause analysis to {first}"),
        gettext_noop("Issue credit note for the billing error"),
        gettext_noop("Confirm the fix of the {product} integration"),
        gettext_noop("Agree a service recovery plan with {dept}"),
    ],
    PROSPECT: [
        gettext_noop("Send pilot proposal for {product}"),
        gettext_noop("Share a {industry} case study with {first}"),
        gettext_noop("Prepare a demo environment for {dept}"),
        gettext_noop("Send commercial terms for the pilot"),
    ],
}
CLIENT_STEPS = {
    EVOLUTION: [
        gettext_noop("Confirm {year} budget for {product}"),
        gettext_noop("Return the signed amendment"),
        gettext_noop("Share volume forecast for next quarter"),
        gettext_noop("Give feedback on the proposal"),
        gettext_noop("Provide access for the integration test"),
    ],
    VALUE_PLAN: [
        gettext_noop("Validate the savings figures in the value plan"),
        gettext_noop("Name owners for the value plan priorities"),
        gettext_noop("Share baseline KPIs for {dept}"),
    ],
    INCIDENT: [
        gettext_noop("Confirm the fix in production"),
        gettext_noop("Send the list of affected invoices"),
    ],
    PROSPECT: [
        gettext_noop("Confirm pilot scope and sites"),
        gettext_noop("Set up a meeting with the CFO"),
        gettext_noop("Share the end date of the current supplier contract"),
    ],
}
KIND_WEIGHTS = {
    "key": [(CALL, 26), (EMAIL, 24), (MEETING, 26), (VISIT, 14), (NOTE, 10)],
    "other": [(CALL, 30), (EMAIL, 32), (MEETING, 18), (VISIT, 8), (NOTE, 12)],
}
PEOPLE_PRESENT = {CALL: (1, 2), EMAIL: (1, 2), MEETING: (2, 4), VISIT: (2, 4), NOTE: (0, 1)}
NEXT_STEP_CHANCE = {CALL: 0.4, EMAIL: 0.25, MEETING: 0.65, VISIT: 0.6, NOTE: 0.1}
BASE_SENTIMENT = {ACTIVE: 0.6, AT_RISK: -0.3, PROSPECT: 0.4, CHURNED: 0.2}
CATEGORY_SENTIMENT = {EVOLUTION: 0.0, VALUE_PLAN: 0.5, INCIDENT: -1.5}
# Of the commitments due in the last month, how many are still open (overdue); older ones
# were mostly dealt with. The rest were done, bar a few cancelled.
OVERDUE_SHARE = {ACTIVE: 0.3, AT_RISK: 0.45, PROSPECT: 0.3, CHURNED: 0.1}
QUIET_OVERDUE_SHARE = 0.55
CANCELLED_SHARE = 0.04


@dataclass
class Person:
    """A planned stakeholder and when they were around (to pick who attends what)."""

    name: str
    title: str
    department: str
    level: int  # 0 top, 1 director, 2 manager, 3 staff
    reports_to: int | None  # index in the account's list; managers always come first
    joined_on: date
    buying_role: str = BuyingRole.USER
    influence: int = 2
    stance: str = Stance.NEUTRAL
    is_primary: bool = False
    left_on: date | None = None
    notes: str = ""
    stakeholder: Stakeholder | None = None

    @property
    def first_name(self) -> str:
        return self.name.split(" ")[0]

    def active_on(self, day: date) -> bool:
        return self.joined_on <= day and (self.left_on is None or day < self.left_on)


class _AccountSeeder:
    """Creates one account with everything in it. Draws only from its own `rng`."""

    def __init__(self, spec, rng, *, users, accounts, today, now):
        self.spec = spec
        self.rng = rng
        self.users = users
        self.accounts = accounts
        self.today = today
        self.now = now
        self.owner = users[spec.owner]
        self.team = [users[email] for email in spec.team]
        # Job titles in the installation's language (people's names follow their country).
        self.locale = "pt" if translation.get_language().startswith("pt") else "en"
        self.people: list[Person] = []
        self.revenue: list[RevenueRecord] = []
        self.commitments: list[tuple[Commitment, date, datetime]] = []
        self.forced_open: set[int] = set()
        self.quiet = spec.quiet_days is not None

    def run(self) -> Account:
        self._plan_profile()
        self.account = account_create(actor=self.owner, team=self.team, **self.fields)
        self._plan_people()
        self._create_people()
        self._log_history()
        self._settle_commitments()
        self._mark_departures()
        self._plan_revenue()
        self._create_milestones()
        self._rate()
        return self.account

    # -- profile ----------------------------------------------------------------------------

    def _plan_profile(self) -> None:
        spec, rng, today = self.spec, self.rng, self.today
        self.products = self._pick_products()
        self.competitors = rng.sample(COMPETITORS, rng.randint(1, 3))
        self.sites = [_(site).format(city=spec.city) for site in SITES[spec.industry]]
        self.stop_months = rng.randint(4, 8) if spec.status == CHURNED else 0
        contract_start = renewal = first_purchase = None
        if spec.status != PROSPECT:
            if spec.renew_in is not None:
                contract_start = _add_years(
                    today + timedelta(days=spec.renew_in), -rng.randint(2, 6)
                )
            elif spec.new:
                contract_start = today - timedelta(days=rng.randint(300, 470))
            else:
                contract_start = today - timedelta(days=rng.randint(800, 3600))
            renewal = contract_start
            while renewal <= today:
                renewal = _add_years(renewal, 1)
            if spec.status == CHURNED:
                renewal = _month_start(today, self.stop_months)
            first_purchase = contract_start + timedelta(days=rng.randint(5, 45))
            if not spec.new and rng.random() < 0.3:
                first_purchase = contract_start - timedelta(days=rng.randint(60, 700))
        self.contract_start, self.first_purchase = contract_start, first_purchase
        # When the relationship started being tracked: people "joined" then.
        if spec.status == PROSPECT:
            self.tracked_from = today - timedelta(days=rng.randint(120, 240))
        else:
            self.tracked_from = max(contract_start, today - timedelta(days=rng.randint(380, 420)))
        low, high = TIER_EMPLOYEES[spec.tier]
        if not spec.parent and any(s.parent == spec.key for s in ACCOUNT_SPECS):
            low, high = 8_000, 40_000  # a group: the sum of its companies
        domain = spec.key.replace("-", "") + ".example"
        self.domain = domain
        self.fields = {
            "name": spec.name,
            "legal_name": f"{spec.name} {LEGAL_SUFFIX[spec.country]}",
            "tax_id": _cnpj(rng) if spec.country == BRAZIL else "",
            "industry": _(spec.industry),
            "employees": round(rng.randint(low, high), -1),
            "hq_city": spec.city,
            "hq_country": _(spec.country),
            "region": _(spec.region),
            "website": f"https://www.{domain}",
            "parent": self.accounts[spec.parent] if spec.parent else None,
            "currency": spec.currency,
            "status": spec.status,
            "owner": self.owner,
            "contract_start": contract_start,
            "renewal_date": renewal,
            "first_purchase_date": first_purchase,
            "competitors": ", ".join(self.competitors),
            "needs": "\n".join(map(_, rng.sample(NEEDS[spec.industry], rng.randint(2, 3)))),
            "external_id": DEMO_PREFIX + spec.key,
        }

    def _pick_products(self) -> list[str]:
        rng, tier = self.rng, self.spec.tier
        if tier == "key":
            picked = ["Platform subscription", "Managed services", *rng.sample(ORDERS, 2)]
            picked += rng.sample(["Premium support", "Analytics add-on"], rng.randint(1, 2))
        elif tier == "large":
            picked = [rng.choice(RECURRING[:2]), *rng.sample(ORDERS, 2), "Premium support"]
        elif tier == "mid":
            picked = [rng.choice(RECURRING), rng.choice(ORDERS)]
        else:
            picked = [rng.choice(RECURRING[:2])]
            if rng.random() < 0.5:
                picked.append(rng.choice(ORDERS))
        return [*dict.fromkeys(picked), PROJECT]

    # -- stakeholders -----------------------------------------------------------------------

    def _plan_people(self) -> None:
        spec, rng = self.spec, self.rng
        name_locale = NAME_LOCALE.get(spec.country, "es")
        used: set[str] = set()  # first names and surnames already taken in this account

        def person(title_pair, department_pair, level, reports_to, **extra) -> int:
            female = rng.random() < 0.45
            first = _fresh(rng, FIRST_NAMES[name_locale][0 if female else 1], used)
            surname = _fresh(rng, SURNAMES[name_locale], used)
            used.update((first, surname))
            title = self._text(title_pair)
            if self.locale == "pt" and female:
                title = _feminine(title)
            self.people.append(
                Person(
                    name=f"{first} {surname}",
                    title=title,
                    department=self._text(department_pair),
                    level=level,
                    reports_to=reports_to,
                    joined_on=self.tracked_from,
                    **extra,
                )
            )
            return len(self.people) - 1

        low, high = TIER_STAKEHOLDERS[spec.tier]
        size = rng.randint(low, high)
        core = CORE_DEPARTMENTS[spec.industry]
        directors = 2 if size <= 6 else 3 if size <= 9 else 4
        departments = [core]
        if rng.random() < 0.9:
            departments.append(FINANCE)
        extra_departments = [PROCUREMENT, IT, COMMERCIAL]
        rng.shuffle(extra_departments)
        departments += extra_departments[: directors - len(departments)]

        top_title = rng.choice(TOP_TITLES[0 if self.locale == "pt" else 1])
        top = person((top_title, top_title), EXECUTIVE_DEPARTMENT, 0, None)
        heads = {d.name: person(d.director, d.name, 1, top) for d in departments}
        slots = [("manager", d, 0) for d in departments] + [("staff", d, 0) for d in departments]
        slots += [("manager", core, 1), ("staff", core, 1)]
        slots += [("staff", d, 1) for d in departments[1:]]
        managers: dict[tuple[str, str], list[int]] = {}
        for level_name, department, index in slots[: size - 1 - len(departments)]:
            key = department.name
            if level_name == "manager":
                title = department.managers[index % len(department.managers)]
                managers.setdefault(key, []).append(person(title, key, 2, heads[key]))
            else:
                boss = managers.get(key, [heads[key]])
                title = department.staff[index % len(department.staff)]
                person(title, key, 3, boss[index % len(boss)])

        self._assign_roles(top, heads, managers, departments)
        self._plan_leavers(person, heads, core)

    def _assign_roles(self, top, heads, managers, departments) -> None:
        rng, people, spec = self.rng, self.people, self.spec
        core = departments[0]
        influence = {0: (5, 5), 1: (3, 5), 2: (2, 4), 3: (1, 2)}
        for someone in people:
            someone.buying_role = BuyingRole.INFLUENCER if someone.level <= 2 else BuyingRole.USER
            someone.influence = rng.randint(*influence[someone.level])
            someone.stance = self._stance()
        # Early in a sale nobody is sure who signs; a few clients keep it murky too.
        if rng.random() < (0.5 if spec.status == PROSPECT else 0.92):
            people[top].buying_role = BuyingRole.DECISION_MAKER
        if FINANCE.name in heads and rng.random() < 0.88:
            buyer = people[heads[FINANCE.name]]
            buyer.buying_role = BuyingRole.ECONOMIC_BUYER
            buyer.influence = max(buyer.influence, 4)
        core_managers = managers.get(core.name, [])
        champion = None
        if not (spec.departure or spec.replaced) and rng.random() < 0.8:
            choices = [heads[core.name], *core_managers]
            champion = choices[0] if rng.random() < 0.4 else choices[-1]
            people[champion].buying_role = BuyingRole.CHAMPION
            people[champion].stance = Stance.ADVOCATE
            people[champion].influence = max(people[champion].influence, 3)
        procurement = managers.get(PROCUREMENT.name) or (
            [heads[PROCUREMENT.name]] if PROCUREMENT.name in heads else []
        )
        if procurement and rng.random() < 0.6:
            people[procurement[0]].buying_role = BuyingRole.GATEKEEPER
        if rng.random() < 0.25:
            taken = (BuyingRole.DECISION_MAKER, BuyingRole.ECONOMIC_BUYER, BuyingRole.CHAMPION)
            candidates = [
                heads[d.name]
                for d in departments[1:]
                if people[heads[d.name]].buying_role not in taken
            ]
            if candidates:
                blocker = people[rng.choice(candidates)]
                blocker.buying_role = BuyingRole.BLOCKER
                blocker.stance = rng.choice([Stance.SCEPTIC, Stance.OPPONENT])
        # The primary contact is the champion, else the person who runs the core area with us.
        if spec.departure != "champion_primary" and not spec.replaced:
            primary = champion if champion is not None else (core_managers or [heads[core.name]])[0]
            people[primary].is_primary = True
        for someone in people:
            if someone.buying_role in STAKEHOLDER_NOTES and rng.random() < 0.5:
                someone.notes = _(rng.choice(STAKEHOLDER_NOTES[someone.buying_role])).format(
                    product=_(self.products[0]), competitor=self.competitors[0]
                )

    def _plan_leavers(self, person, heads, core) -> None:
        """Appended last and reporting to a director, so nobody reports to someone gone."""
        rng, spec, today = self.rng, self.spec, self.today
        head = heads[core.name]
        taken = {someone.title for someone in self.people}
        title = rng.choice(
            [t for t in core.managers if self._text(t) not in taken] or core.managers
        )
        if spec.departure:
            left = today - timedelta(days=rng.randint(14, 35))
            person(
                title,
                core.name,
                2,
                head,
                buying_role=BuyingRole.CHAMPION,
                stance=Stance.ADVOCATE,
                influence=4,
                left_on=left,
                is_primary=spec.departure == "champion_primary",
                notes=_("Our champion; left for another company."),
            )
        if spec.replaced:
            left = today - timedelta(days=rng.randint(100, 220))
            person(
                title,
                core.name,
                2,
                head,
                buying_role=BuyingRole.CHAMPION,
                stance=Stance.ADVOCATE,
                influence=4,
                left_on=left,
                is_primary=True,
                notes=_("Retired; introduced us to the successor before leaving."),
            )
            successor = person(
                title,
                core.name,
                2,
                head,
                buying_role=BuyingRole.CHAMPION,
                stance=Stance.SUPPORTER,
                influence=3,
                is_primary=True,
                notes=_("Took over as our main contact; still forming a view."),
            )
            self.people[successor].joined_on = left + timedelta(days=rng.randint(7, 30))
        if spec.former_user:
            staff = core.staff[0]
            left = today - timedelta(days=rng.randint(60, 300))
            person(
                staff,
                core.name,
                3,
                head,
                buying_role=BuyingRole.USER,
                influence=2,
                left_on=left,
                notes=_("Moved to a competitor."),
            )
        # A few people joined after tracking started: their arrival shows on the timeline.
        for someone in self.people:
            if someone.left_on is None and someone.level >= 2 and rng.random() < 0.12:
                latest = (today - someone.joined_on).days - 20
                if latest > 30:
                    someone.joined_on += timedelta(days=rng.randint(30, latest))

    def _stance(self) -> str:
        weights = {
            ACTIVE: [8, 32, 42, 14, 4],
            PROSPECT: [4, 26, 52, 14, 4],
            AT_RISK: [3, 16, 36, 30, 15],
            CHURNED: [2, 14, 34, 32, 18],
        }[self.spec.status]
        choices = [Stance.ADVOCATE, Stance.SUPPORTER, Stance.NEUTRAL, Stance.SCEPTIC]
        return self.rng.choices([*choices, Stance.OPPONENT], weights=weights)[0]

    def _create_people(self) -> None:
        rng = self.rng
        for index, someone in enumerate(self.people):
            boss = (
                self.people[someone.reports_to].stakeholder
                if someone.reports_to is not None
                else None
            )
            someone.stakeholder = stakeholder_create(
                account=self.account,
                actor=self.owner,
                name=someone.name,
                title=someone.title,
                department=someone.department,
                email=f"{_ascii(someone.name).replace(' ', '.')}@{self.domain}",
                phone=self._phone() if rng.random() < 0.85 else "",
                buying_role=someone.buying_role,
                influence=someone.influence,
                stance=someone.stance,
                reports_to=boss,
                is_primary=someone.is_primary,
                notes=someone.notes,
                external_id=f"{DEMO_PREFIX}{self.spec.key}-{index + 1:02d}",
            )
            someone.stakeholder.created_at = self._at(someone.joined_on)
        # stakeholder_create stamps "now"; the demo's people joined on their own dates.
        by_day: dict[datetime, list[int]] = {}
        for someone in self.people:
            by_day.setdefault(someone.stakeholder.created_at, []).append(someone.stakeholder.pk)
        for joined_at, pks in by_day.items():
            Stakeholder.objects.filter(pk__in=pks).update(created_at=joined_at)
            TimelineEntry.objects.filter(
                stakeholder__in=pks, kind=TimelineKind.STAKEHOLDER_JOINED
            ).update(occurred_at=joined_at)

    def _mark_departures(self) -> None:
        for someone in self.people:
            if someone.left_on is not None:
                stakeholder_mark_left(
                    stakeholder=someone.stakeholder, left_on=someone.left_on, actor=self.owner
                )

    # -- interactions -----------------------------------------------------------------------

    def _log_history(self) -> None:
        spec, rng, today = self.spec, self.rng, self.today
        low, high = TIER_INTERACTIONS[spec.tier]
        count = rng.randint(low, high)
        start_ago = min(365, (today - self.tracked_from).days)
        if spec.status == CHURNED:
            end_ago = (today - _month_start(today, self.stop_months)).days + rng.randint(0, 20)
        elif self.quiet:
            end_ago = spec.quiet_days
        else:
            end_ago = rng.randint(1, 14)
        days = sorted(
            {
                _workday(today - timedelta(days=rng.randint(end_ago, start_ago)))
                for _ in range(count - 1)
            }
            | {_workday(today - timedelta(days=end_ago))}
        )
        events = [(day, "regular") for day in days]
        for someone in self.people:
            if someone.left_on is not None and someone.buying_role == BuyingRole.CHAMPION:
                if someone.is_primary and spec.replaced:
                    events.append((_workday(someone.left_on, earliest=someone.left_on), "handover"))
                elif not spec.replaced:
                    heard = someone.left_on + timedelta(days=rng.randint(2, 6))
                    events.append((_workday(heard, earliest=someone.left_on), "departure"))
        if spec.status == CHURNED:
            events[len(days) - 1] = (days[-1], "lost")
        events.sort(key=lambda event: event[0])
        # The latest conversation with a live account agreed on something still ahead of us.
        follow_up = spec.status in (ACTIVE, AT_RISK, PROSPECT) and not self.quiet
        last_regular = max(
            position for position, (_, what) in enumerate(events) if what == "regular"
        )
        for position, (day, what) in enumerate(events):
            progress = position / max(1, len(events) - 1)
            if what == "regular":
                self._log_regular(day, progress, follow_up=follow_up and position == last_regular)
            else:
                self._log_special(day, what)

    def _log_regular(self, day: date, progress: float, *, follow_up: bool = False) -> None:
        spec, rng = self.spec, self.rng
        weights = KIND_WEIGHTS["key" if spec.tier in BIG_TIERS else "other"]
        kind = rng.choices([k for k, _ in weights], weights=[w for _, w in weights])[0]
        incident_chance = 0.28 if spec.status in (AT_RISK, CHURNED) else 0.1
        if spec.status == PROSPECT:
            category = VALUE_PLAN if rng.random() < 0.15 else EVOLUTION
        elif rng.random() < incident_chance:
            category = INCIDENT
        elif rng.random() < (0.3 if spec.tier in BIG_TIERS else 0.2):
            category = VALUE_PLAN
        else:
            category = EVOLUTION
        low, high = PEOPLE_PRESENT[kind]
        present = self._present(day, rng.randint(low, high))
        templates = (
            PROSPECT_SUMMARIES[kind] if spec.status == PROSPECT else SUMMARIES[category][kind]
        )
        words = self._words(day, present)
        mood = BASE_SENTIMENT[spec.status] + CATEGORY_SENTIMENT[category]
        if spec.status == AT_RISK:
            mood -= 0.8 * progress
        elif spec.status == CHURNED:
            mood -= 1.6 * progress
        if self.quiet:
            mood -= 0.3
        steps = []
        if follow_up or rng.random() < NEXT_STEP_CHANCE[kind]:
            steps = [self._next_step(day, category, present, words)]
            if rng.random() < 0.3:
                steps.append(self._next_step(day, category, present, words))
        if follow_up:
            step = steps[0]
            due = max(step.due_date, self.today + timedelta(days=rng.randint(3, 20)))
            steps[0] = NextStep(step.title, due, step.owner_user, step.owner_stakeholder)
        self._log(
            day,
            kind=kind,
            category=category,
            summary=_(rng.choice(templates)).format_map(words),
            stakeholders=present,
            sentiment=max(-2, min(2, round(rng.gauss(mood, 0.75)))),
            next_steps=steps,
        )

    def _log_special(self, day: date, what: str) -> None:
        rng = self.rng
        if what == "lost":
            present = self._present(day, 2)
            words = self._words(day, present)
            self._log(
                day,
                kind=MEETING,
                category=INCIDENT,
                summary=_(
                    "{person} confirmed they will not renew; moving to {competitor}"
                ).format_map(words),
                stakeholders=present,
                sentiment=-2,
            )
            return
        gone = next(
            p for p in self.people if p.left_on is not None and p.buying_role == BuyingRole.CHAMPION
        )
        if what == "handover":
            successor = next(
                p for p in self.people if p.left_on is None and p.buying_role == BuyingRole.CHAMPION
            )
            # The successor arrives later; until then the director holds the relationship.
            present = [p.stakeholder for p in self.people if p.level == 1][:1]
            self._log(
                day,
                kind=CALL,
                category=EVOLUTION,
                summary=_("{name} is retiring; {first} will take over as our main contact").format(
                    name=gone.name, first=successor.first_name
                ),
                stakeholders=present,
                sentiment=0,
            )
            return
        present = self._present(day, 1)
        step = NextStep(
            title=_("Find a new champion after {first}'s departure").format(first=gone.first_name),
            due_date=day + timedelta(days=rng.randint(7, 12)),
            owner_user=self.owner,
        )
        self._log(
            day,
            kind=NOTE,
            category=EVOLUTION,
            summary=_("Learned that {name} has left {account}; no successor named yet").format(
                name=gone.name, account=self.spec.name
            ),
            stakeholders=present,
            sentiment=-1,
            next_steps=[step],
        )
        self.forced_open.add(self.commitments[-1][0].pk)  # nobody has found one yet

    def _log(self, day: date, *, next_steps=(), **fields) -> Interaction:
        rng = self.rng
        occurred_at = self._at(day, hour=rng.randint(8, 17), minute=rng.choice([0, 15, 30, 45]))
        actor = self.owner
        if self.team and rng.random() < 0.2:
            actor = rng.choice(self.team)
        interaction = interaction_log(
            account=self.account,
            actor=actor,
            occurred_at=occurred_at,
            next_steps=next_steps,
            **fields,
        )
        if next_steps:
            for commitment in interaction.commitments.all():
                commitment.account = self.account  # saves a query per completion
                self.commitments.append((commitment, day, occurred_at))
        return interaction

    def _present(self, day: date, count: int) -> list[Stakeholder]:
        active = [p for p in self.people if p.active_on(day)]
        if not active or count <= 0:
            return []
        weights = [
            p.influence
            + (4 if p.is_primary else 0)
            + (3 if p.buying_role == BuyingRole.CHAMPION else 0)
            for p in active
        ]
        chosen: list[Person] = []
        while active and len(chosen) < count:
            pick = self.rng.choices(range(len(active)), weights=weights)[0]
            chosen.append(active.pop(pick))
            weights.pop(pick)
        return [p.stakeholder for p in chosen]

    def _words(self, day: date, present: list[Stakeholder]) -> dict[str, str]:
        rng = self.rng
        lead = present[0] if present else next(p.stakeholder for p in self.people if p.level == 0)
        budget_year = day.year + (1 if day.month >= 9 else 0)
        return {
            "person": lead.name,
            "first": lead.name.split(" ")[0],
            "dept": lead.department,
            "product": _(rng.choice(self.products[:-1])),
            "competitor": rng.choice(self.competitors),
            "site": rng.choice(self.sites),
            "year": str(budget_year),
            "quarter": _("Q{number} {year}").format(number=(day.month - 1) // 3 + 1, year=day.year),
            "industry": _(self.spec.industry).lower(),
        }

    def _next_step(self, day, category, present, words) -> NextStep:
        rng = self.rng
        category_key = PROSPECT if self.spec.status == PROSPECT else category
        if rng.random() < 0.6 or not present:
            owner = self.owner
            if self.team and rng.random() < 0.3:
                owner = rng.choice(self.team)
            return NextStep(
                title=_(rng.choice(OUR_STEPS[category_key])).format_map(words),
                due_date=day + timedelta(days=rng.randint(2, 21)),
                owner_user=owner,
            )
        return NextStep(
            title=_(rng.choice(CLIENT_STEPS[category_key])).format_map(words),
            due_date=day + timedelta(days=rng.randint(5, 30)),
            owner_stakeholder=rng.choice(present),
        )

    def _settle_commitments(self) -> None:
        """Most commitments due before today were kept; some are overdue, a few cancelled."""
        rng, today = self.rng, self.today
        overdue_share = QUIET_OVERDUE_SHARE if self.quiet else OVERDUE_SHARE[self.spec.status]
        for commitment, day, occurred_at in self.commitments:
            if commitment.pk in self.forced_open:
                continue
            roll = rng.random()
            if commitment.due_date < today:
                if roll < CANCELLED_SHARE:
                    commitment_cancel(
                        commitment=commitment,
                        actor=self.owner,
                        reason=self._text(("Não é mais necessário", "No longer needed")),
                    )
                    continue
                late_by = (today - commitment.due_date).days
                still_open = overdue_share * (1 if late_by <= 30 else 0.5 if late_by <= 90 else 0.1)
                if roll >= 1 - still_open:
                    continue  # overdue
                latest = min(commitment.due_date + timedelta(days=3), today - timedelta(days=1))
            else:
                if roll >= 0.12:
                    continue  # open, due later
                latest = today - timedelta(days=1)
            earliest = max(day, commitment.due_date - timedelta(days=10))
            earliest = min(earliest, latest)
            done_day = earliest + timedelta(days=rng.randint(0, max(0, (latest - earliest).days)))
            done_at = max(self._at(done_day, hour=rng.randint(8, 18)), occurred_at)
            done_at = min(done_at + timedelta(minutes=30), self.now)
            commitment_complete(commitment=commitment, actor=self.owner)
            # commitment_complete stamps "now"; put the completion back on its own day.
            Commitment.objects.filter(pk=commitment.pk).update(done_at=done_at)
            TimelineEntry.objects.filter(
                commitment=commitment, kind=TimelineKind.COMMITMENT_DONE
            ).update(occurred_at=done_at)

    # -- revenue, milestones, ratings -------------------------------------------------------

    def _plan_revenue(self) -> None:
        spec, rng, today = self.spec, self.rng, self.today
        if spec.status == PROSPECT:
            return
        low, high = TIER_REVENUE_BRL[spec.tier]
        yearly = exp(rng.uniform(log(low), log(high))) / BRL_PER[spec.currency]
        if spec.status == AT_RISK:
            growth = rng.uniform(-0.45, -0.18)
        elif spec.status == CHURNED:
            growth = rng.uniform(-0.3, 0.0)
        else:
            growth = rng.uniform(-0.12, 0.35)
        levels = [(1 + growth) ** (-months_ago / 12) for months_ago in range(25)]
        monthly = yearly / sum(levels[:12])
        horizon = today - timedelta(days=730)
        serial = 0
        for months_ago in range(24, -1, -1):
            if spec.status == CHURNED and months_ago < self.stop_months:
                break
            month = _month_start(today, months_ago)
            last_day = today.day if months_ago == 0 else 28
            target = monthly * levels[months_ago] * self._season(month) * rng.uniform(0.85, 1.15)
            lines = self._month_lines(target)
            for product, amount in lines:
                booked_on = month.replace(day=rng.randint(1, last_day))
                if booked_on <= horizon or booked_on < self.first_purchase or amount < 1:
                    continue
                serial += 1
                self.revenue.append(self._record(serial, booked_on, product, amount))
        # The first purchase is on record when it falls inside the window.
        if self.first_purchase > horizon:
            serial += 1
            amount = monthly * rng.uniform(0.8, 1.6)
            self.revenue.append(self._record(serial, self.first_purchase, PROJECT, amount))

    def _month_lines(self, target: float) -> list[tuple[str, float]]:
        rng, tier = self.rng, self.spec.tier
        lines = []
        for product in self.products[:-1]:
            kind, _margin, weight = PRODUCTS[product]
            chance = 1.0 if kind == RevenueRecord.Kind.INVOICE else 0.45
            if tier == "small":
                chance *= 0.8
            if rng.random() < chance:
                lines.append((product, weight * rng.uniform(0.8, 1.2)))
        total = sum(weight for _, weight in lines) or 1.0
        amounts = [(product, target * weight / total) for product, weight in lines]
        deal_chance = {"key": 0.15, "large": 0.1, "mid": 0.05}.get(tier, 0.0)
        if rng.random() < deal_chance:
            amounts.append((PROJECT, target * rng.uniform(0.8, 2.5)))
        return amounts

    def _season(self, month: date) -> float:
        if self.spec.industry == RETAIL:
            return {11: 1.3, 12: 1.45, 1: 0.85, 2: 0.85}.get(month.month, 1.0)
        if self.spec.industry == AGRIBUSINESS:
            return 1.3 if month.month in (3, 4, 5) else 0.92
        return 1.0

    def _record(self, serial: int, booked_on: date, product: str, amount: float) -> RevenueRecord:
        kind, margin, _weight = PRODUCTS[product]
        if kind == RevenueRecord.Kind.DEAL:
            amount = round(amount, -2)
        cost = None
        if self.rng.random() < 0.8:
            cost = _money(amount * (1 - margin * self.rng.uniform(0.85, 1.15)))
        return RevenueRecord(
            account=self.account,
            kind=kind,
            booked_on=booked_on,
            amount=_money(amount),
            cost=cost,
            product=_(product),
            external_id=f"{DEMO_PREFIX}{self.spec.key}-r{serial:03d}",
        )

    def _create_milestones(self) -> None:
        spec, rng, today = self.spec, self.rng, self.today
        if spec.tier not in BIG_TIERS:
            return
        top = self.people[0]
        start = self.contract_start
        options = [
            (
                gettext_noop("Go-live of {product}"),
                gettext_noop("Rolled out to {site} on schedule."),
            ),
            (
                gettext_noop("Expanded to {site}"),
                gettext_noop("Second site under contract; volumes up about 30%."),
            ),
            (
                gettext_noop("Displaced {competitor} at {site}"),
                gettext_noop("Won the tender on total cost of ownership."),
            ),
            (
                gettext_noop("Executive sponsor programme launched"),
                gettext_noop("Quarterly meeting with {person} agreed."),
            ),
            (
                gettext_noop("Joint innovation pilot"),
                gettext_noop("Pilot of the analytics add-on with the {dept} team."),
            ),
        ]
        if spec.status == AT_RISK:
            options.append(
                (
                    gettext_noop("Price dispute escalated"),
                    gettext_noop("Board asked for a cut of 12% at renewal."),
                )
            )
        if (today - start).days > 3 * 365 + 30:
            options.append(
                (
                    gettext_noop("Contract renewed for three years"),
                    gettext_noop("Renewed with a price index."),
                )
            )
        chosen = rng.sample(options, rng.randint(2, 3))
        recent = max(start + timedelta(days=30), today - timedelta(days=3 * 365))
        dated = []
        for title, text in chosen:
            if title.startswith("Go-live"):
                happened_on = start + timedelta(days=rng.randint(45, 200))
            elif title.startswith("Contract renewed"):
                happened_on = _add_years(start, 3)
            elif title.startswith("Price dispute"):
                happened_on = today - timedelta(days=rng.randint(20, 120))
            else:
                happened_on = recent + timedelta(days=rng.randint(0, (today - recent).days - 14))
            dated.append((happened_on, title, text))
        dated.sort()
        words = self._words(today, [top.stakeholder])
        milestone_create(
            account=self.account,
            actor=self.owner,
            happened_on=start,
            title=_("First contract signed"),
            description=_("{product} agreement signed with {person}.").format(
                product=_(self.products[0]), person=top.name
            ),
        )
        for happened_on, title, text in dated:
            milestone_create(
                account=self.account,
                actor=self.owner,
                happened_on=happened_on,
                title=_(title).format_map(words),
                description=_(text).format_map(words),
            )

    def _rate(self) -> None:
        spec, rng = self.spec, self.rng
        if (spec.tier == "prospect" and rng.random() < 0.6) or (
            spec.tier == "small" and rng.random() < 0.25
        ):
            return
        size = {"key": 4, "large": 3, "mid": 2}.get(spec.tier, 1)
        health = {ACTIVE: 1, PROSPECT: 0, AT_RISK: -1, CHURNED: -2}[spec.status]
        centre = {
            RatingCriterion.GROWTH_POTENTIAL: 3
            + (1 if spec.status == PROSPECT else 0)
            + health // 2,
            RatingCriterion.MARKET_INFLUENCE: 1 + size,
            RatingCriterion.STRATEGIC_ALIGNMENT: 3 + health,
            RatingCriterion.REFERRAL_VALUE: 2 + health + size // 2,
        }
        for criterion, middle in centre.items():
            score = max(1, min(5, middle + rng.choice([-1, 0, 0, 1])))
            if spec.tier == "key" and rng.random() < 0.5:
                # An older judgement first, so the rating history has something to show.
                earlier = rating_set(
                    account=self.account,
                    actor=self.owner,
                    criterion=criterion,
                    score=max(1, min(5, score + rng.choice([-1, 1]))),
                )
                set_at = self.now - timedelta(days=rng.randint(120, 300))
                QualitativeRating.objects.filter(pk=earlier.pk).update(set_at=set_at)
            rating_set(account=self.account, actor=self.owner, criterion=criterion, score=score)

    # -- small helpers ----------------------------------------------------------------------

    def _text(self, pair: tuple[str, str]) -> str:
        return pair[0] if self.locale == "pt" else pair[1]

    def _phone(self) -> str:
        rng, spec = self.rng, self.spec
        if spec.country == BRAZIL:
            ddd = BRAZIL_DDD.get(spec.city, "11")
            return f"+55 {ddd} 9{rng.randint(6000, 9999)}-{rng.randint(0, 9999):04d}"
        if spec.city in NORTH_AMERICAN_AREA:
            # 555-0100…0199 is reserved for fiction.
            return f"+1 {NORTH_AMERICAN_AREA[spec.city]} 555-01{rng.randint(0, 99):02d}"
        return f"{PHONE_PREFIX[spec.country]} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"

    def _at(self, day: date, hour: int = 9, minute: int = 0) -> datetime:
        return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _feminine(title: str) -> str:
    return re.sub(r"\w+", lambda word: FEMININE.get(word[0], word[0]), title)


def _fresh(rng: random.Random, names: list[str], used: set[str]) -> str:
    """A name nobody in the account has yet, while the list lasts."""
    unused = [name for name in names if name not in used]
    return rng.choice(unused or names)


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return plain.lower()


def _money(value: float) -> Decimal:
    return Decimal(f"{max(0.0, value):.2f}")


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _month_start(today: date, months_ago: int) -> date:
    months = today.year * 12 + today.month - 1 - months_ago
    return date(months // 12, months % 12 + 1, 1)


def _workday(day: date, earliest: date | None = None) -> date:
    """Move a weekend day back to Friday, or forward to Monday if that is too early."""
    if day.weekday() < 5:
        return day
    friday = day - timedelta(days=day.weekday() - 4)
    if earliest is None or friday >= earliest:
        return friday
    return day + timedelta(days=7 - day.weekday())


def _cnpj(rng: random.Random) -> str:
    """A well-formed (check digits included), made-up CNPJ."""
    digits = [rng.randint(0, 9) for _ in range(8)] + [0, 0, 0, 1]
    for weights in ([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2], [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]):
        remainder = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        digits.append(0 if remainder < 2 else 11 - remainder)
    text = "".join(map(str, digits))
    return f"{text[:2]}.{text[2:5]}.{text[5:8]}/{text[8:12]}-{text[12:]}"
