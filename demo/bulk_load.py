"""Bulk loading of a synthetic portfolio: the machinery behind `seed_demo --scale large`
(kam/demo_large.py) and the health benchmark's generator (bench/generate_health.py).

Users and accounts go in through COPY (rows made in Python from a seeded random.Random),
everything else through INSERT ... SELECT over generate_series, with "random" numbers taken
from hashint8extended(row number, seed + salt) (`pg_temp.u`), so the data depend on the seed
and the anchor day only, never on plan or row order. Big tables are inserted in time order
(the order the app writes them in), so one account's rows are spread over the heap as in
production rather than clustered.

Every loader takes one parameter dict `p` (see `load_params`). Loading is fast because the
caller runs it with the foreign-key triggers off (`session_replication_role = replica`, then
`check_foreign_keys`) and the secondary indexes dropped (`drop_secondary_indexes`, then
`recreate_indexes`): see `loading_session`."""

from __future__ import annotations

import csv
import io
import random
import time
from datetime import date, datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.models import NOT_PROVIDED

BENCH_EMAIL_DOMAIN = "bench.example"
INDUSTRIES = [
    "Retail",
    "Banking",
    "Insurance",
    "Energy",
    "Telecom",
    "Health",
    "Logistics",
    "Agribusiness",
    "Manufacturing",
    "Education",
    "Public sector",
    "Software",
]
REGIONS = ["South", "Southeast", "Northeast", "North", "Centre-West", "LATAM", "Europe"]
CITIES = [
    "São Paulo",
    "Rio de Janeiro",
    "Belo Horizonte",
    "Curitiba",
    "Porto Alegre",
    "Recife",
    "Salvador",
    "Brasília",
    "Campinas",
    "Florianópolis",
]
# (tier key or None, share of accounts)
TIER_MIX = [("strategic", 0.02), ("key", 0.08), ("growth", 0.25), ("maintain", 0.55), (None, 0.10)]
STATUS_MIX = [("active", 0.85), ("at_risk", 0.08), ("prospect", 0.07)]


# Words for the generated texts, so the global search meets real Portuguese and English text
# (accents, plurals, stop words) and real name frequencies instead of one word per table.
FIRST_NAMES = [
    "Ana",
    "João",
    "Maria",
    "José",
    "Antônio",
    "Francisca",
    "Carlos",
    "Paulo",
    "Lúcia",
    "Marcos",
    "Fernanda",
    "Luís",
    "Patrícia",
    "Rafael",
    "Juliana",
    "Gustavo",
    "Camila",
    "Rodrigo",
    "Letícia",
    "Bruno",
]
SURNAMES = [
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Rodrigues",
    "Ferreira",
    "Alves",
    "Pereira",
    "Lima",
    "Gomes",
    "Ribeiro",
    "Carvalho",
    "Araújo",
    "Conceição",
    "Gonçalves",
    "Magalhães",
    "Nascimento",
    "Simões",
    "Brandão",
    "Assunção",
    "Monteiro",
    "Cardoso",
    "Teixeira",
    "Barbosa",
    "Rocha",
    "Dias",
    "Mendes",
    "Castro",
    "Vieira",
    "Nogueira",
]
JOB_TITLES = [
    "Diretor de Compras",
    "Gerente de TI",
    "Head of Procurement",
    "Diretora Financeira",
    "Coordenadora de Logística",
    "Analista de Suprimentos",
    "Operations Manager",
    "Gerente de Operações",
]
INTERACTION_SUMMARIES = [
    "Negociação do contrato de renovação",
    "Reunião de alinhamento trimestral",
    "Visita técnica à fábrica de São Paulo",
    "Apresentação da proposta comercial",
    "Ligação sobre atraso na entrega",
    "Revisão de preços e condições de pagamento",
    "Treinamento da equipe de operações",
    "Follow-up da cotação enviada",
    "Reclamação sobre qualidade do produto",
    "Discussão do plano de expansão",
    "Almoço com o diretor financeiro",
    "Call about volume forecast for next quarter",
    "Quarterly business review preparation",
    "Pricing discussion with procurement",
    "Implementação do novo módulo logístico",
    "Auditoria de conformidade e segurança",
    "Negociações de reajuste anual",
    "Reunião com o comitê de inovação",
    "Demonstração da plataforma em Curitiba",
    "Feedback sobre o atendimento pós-venda",
    "Alinhamento de metas de sustentabilidade",
    "Kick-off do projeto de integração",
    "Escalonamento de incidente crítico",
    "Pesquisa de satisfação (NPS)",
]
REQUEST_SUBJECTS = [
    "Segunda via de boleto",
    "Atraso na entrega do pedido",
    "Cotação de peças de reposição",
    "Dúvida sobre nota fiscal",
    "Solicitação de visita técnica",
    "Alteração de endereço de entrega",
    "Reajuste de preço contratual",
    "Certificado de análise do lote",
    "Invoice correction request",
    "Access to the customer portal",
    "Devolução de mercadoria avariada",
    "Prazo de pagamento estendido",
]
TEXTS = {
    "first_names": FIRST_NAMES,
    "n_first": len(FIRST_NAMES),
    "surnames": SURNAMES,
    "n_sur": len(SURNAMES),
    "titles": JOB_TITLES,
    "n_titles": len(JOB_TITLES),
    "summaries": INTERACTION_SUMMARIES,
    "n_summaries": len(INTERACTION_SUMMARIES),
    "subjects": REQUEST_SUBJECTS,
    "n_subjects": len(REQUEST_SUBJECTS),
}


def log(message: str) -> None:
    print(message, flush=True)


class Step:
    """Times one loading step and prints it (through `out`, print by default)."""

    timings: list[tuple[str, float]] = []

    def __init__(self, name: str, out=None):
        self.name = name
        self.out = out or log

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        elapsed = time.perf_counter() - self.start
        Step.timings.append((self.name, elapsed))
        self.out(f"  {self.name:<44} {elapsed:7.1f} s")


def weighted(rng: random.Random, mix):
    roll, total = rng.random(), 0.0
    for value, share in mix:
        total += share
        if roll < total:
            return value
    return mix[-1][0]


def copy_rows(table: str, columns: list[str], rows) -> int:
    """COPY rows (tuples; None = NULL) into table from an in-memory CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    count = 0
    for row in rows:
        writer.writerow(["\\N" if value is None else value for value in row])
        count += 1
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
            buffer,
        )
    return count


def execute(sql: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def scalar(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def reset() -> None:
    # Everything hanging off the accounts goes with them (stakeholders, interactions,
    # commitments, scores, notifications, timeline, ...); configuration and tiers stay.
    execute("TRUNCATE accounts_account RESTART IDENTITY CASCADE")
    execute(
        "DELETE FROM kam_user WHERE email LIKE %s AND id NOT IN "
        "(SELECT created_by_id FROM accounts_scoringconfig WHERE created_by_id IS NOT NULL)",
        [f"%@{BENCH_EMAIL_DOMAIN}"],
    )
    # Number the users from where the remaining ones stop, so a rerun gives the same ids.
    execute(
        "SELECT setval(pg_get_serial_sequence('kam_user', 'id'), "
        "coalesce((SELECT max(id) FROM kam_user), 0) + 1, false)"
    )


def load_users(rng: random.Random, kams: int, now: datetime) -> list[int]:
    rows = []
    for i in range(kams):
        rows.append(("kam", f"kam{i:04d}@{BENCH_EMAIL_DOMAIN}", f"KAM {i:04d}"))
    for i in range(max(1, kams // 30)):
        rows.append(("leader", f"leader{i:03d}@{BENCH_EMAIL_DOMAIN}", f"Leader {i:03d}"))
    copy_rows(
        "kam_user",
        [
            "password",
            "is_superuser",
            "email",
            "full_name",
            "role",
            "language",
            "time_zone",
            "is_active",
            "is_staff",
            "date_joined",
        ],
        (
            ("!bench-unusable", "f", email, name, role, "en", settings.TIME_ZONE, "t", "f", now)
            for role, email, name in rows
        ),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM kam_user WHERE email LIKE %s AND role = 'kam' ORDER BY email",
            [f"kam%@{BENCH_EMAIL_DOMAIN}"],
        )
        return [row[0] for row in cursor.fetchall()]


def load_accounts(
    rng: random.Random, scored: int, churned: int, kam_ids: list[int], today: date, now: datetime
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, id, rank FROM accounts_tier")
        tiers = {key: (pk, rank) for key, pk, rank in cursor.fetchall()}

    def rows():
        # Churned accounts are interleaved (every k-th row), as they would be in real life.
        total = scored + churned
        churn_every = total / churned if churned else None
        next_churn = churn_every / 2 if churn_every else None
        for i in range(total):
            status = weighted(rng, STATUS_MIX)
            if next_churn is not None and i >= next_churn:
                status = "churned"
                next_churn += churn_every
            tier_key = weighted(rng, TIER_MIX)
            renewal = today + timedelta(days=rng.randint(-60, 420)) if rng.random() < 0.85 else None
            start = renewal - timedelta(days=365 * rng.randint(1, 3)) if renewal else None
            created = now - timedelta(days=rng.randint(0, 1500), seconds=rng.randint(0, 86399))
            yield (
                f"Account {i:06d}",
                f"Account {i:06d} Ltda",
                "",
                rng.choice(INDUSTRIES),
                int(rng.paretovariate(1.2) * 50),
                rng.choice(CITIES),
                "Brazil",
                rng.choice(REGIONS),
                "",
                "BRL" if rng.random() < 0.8 else rng.choice(["USD", "EUR"]),
                status,
                start,
                renewal,
                start,
                "",
                "",
                f"bench-{i:06d}",
                1,
                created,
                created,
                kam_ids[min(len(kam_ids) - 1, int(len(kam_ids) * rng.random() ** 1.3))],
                "",
                "",
                "f",
                # The rank too: the loader writes with triggers off (migration accounts/0042).
                *(tiers[tier_key] if tier_key else (None, None)),
            )

    columns = [
        "name",
        "legal_name",
        "tax_id",
        "industry",
        "employees",
        "hq_city",
        "hq_country",
        "region",
        "website",
        "currency",
        "status",
        "contract_start",
        "renewal_date",
        "first_purchase_date",
        "competitors",
        "needs",
        "external_id",
        "version",
        "created_at",
        "updated_at",
        "owner_id",
        "health_band",
        "pareto_class",
        "recommendation_reviewed",
        "tier_id",
        "tier_rank",
    ]
    copy_rows("accounts_account", columns, rows())


def set_column_defaults(tables: list[str]) -> list[tuple[str, str]]:
    """Give every NOT NULL column of `tables` its model default in the database (Django
    applies defaults in Python), so the loaders need to name only the columns they fill,
    including columns added after they were written. Returns what drop_column_defaults()
    removes again."""
    done = []
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if table not in tables:
            continue
        for field in model._meta.concrete_fields:
            if field.null or field.primary_key or field.generated:
                continue
            if field.db_default is not NOT_PROVIDED:
                continue
            default = field.get_default()
            if default is None:
                continue
            value = field.get_db_prep_save(default, connection)
            execute(f'ALTER TABLE {table} ALTER COLUMN "{field.column}" SET DEFAULT %s', [value])
            done.append((table, field.column))
    return done


def drop_column_defaults(columns: list[tuple[str, str]]) -> None:
    for table, column in columns:
        execute(f'ALTER TABLE {table} ALTER COLUMN "{column}" DROP DEFAULT')


def define_helpers(seed: int) -> None:
    # u(i, salt): a uniform [0, 1) number that depends on (i, salt, seed) only.
    execute(
        f"""
        CREATE OR REPLACE FUNCTION pg_temp.u(i bigint, salt int) RETURNS double precision
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT (hashint8extended(i, {int(seed)} * 1000 + salt) & 4503599627370495)::float8
                   / 4503599627370496.0
        $$
        """
    )
    execute("DROP TABLE IF EXISTS bench_acc")
    execute(
        """
        CREATE TEMP TABLE bench_acc AS
        SELECT (row_number() OVER (ORDER BY id) - 1)::int AS idx, id, owner_id, status,
               NULL::bigint AS first_sh, NULL::int AS n_sh
        FROM accounts_account
        """
    )
    execute("ALTER TABLE bench_acc ADD PRIMARY KEY (idx)")
    execute("CREATE UNIQUE INDEX ON bench_acc (id)")
    execute("ANALYZE bench_acc")


def load_stakeholders(p: dict) -> int:
    # stakeholders_min + 0..stakeholders_spread-1 per account (default 5–11, 8 on average).
    # #1 is usually the decision maker, #2 usually the champion and the primary contact;
    # about 7 % have left the company.
    rows = execute(
        """
        INSERT INTO accounts_stakeholder
            (name, title, department, email, phone, buying_role, influence, stance, is_primary,
             left_on, notes, external_id, created_at, account_id, version)
        SELECT (%(first_names)s::text[])
                   [1 + floor(pg_temp.u(a.idx * 16 + s, 19) * %(n_first)s)::int]
               || ' ' || (%(surnames)s::text[])
                   [1 + floor(pg_temp.u(a.idx * 16 + s, 9) * %(n_sur)s)::int],
               (%(titles)s::text[])[1 + floor(pg_temp.u(a.idx * 16 + s, 8) * %(n_titles)s)::int],
               '', '', '',
               CASE
                 WHEN s = 1 AND pg_temp.u(a.idx, 11) < 0.85 THEN 'decision_maker'
                 WHEN s = 2 AND pg_temp.u(a.idx, 12) < 0.75 THEN 'champion'
                 ELSE (ARRAY['economic_buyer', 'influencer', 'user', 'user', 'gatekeeper',
                             'blocker', 'champion'])
                      [1 + floor(pg_temp.u(a.idx * 16 + s, 13) * 7)::int]
               END,
               1 + floor(pg_temp.u(a.idx * 16 + s, 14) * 5)::int,
               (ARRAY['advocate', 'supporter', 'neutral', 'neutral', 'sceptic', 'opponent'])
                   [1 + floor(pg_temp.u(a.idx * 16 + s, 15) * 6)::int],
               s = 2,
               CASE WHEN pg_temp.u(a.idx * 16 + s, 16) < 0.07
                    THEN %(today)s - (1 + floor(pg_temp.u(a.idx * 16 + s, 17) * 700)::int)
               END,
               '', '', %(anchor)s - pg_temp.u(a.idx * 16 + s, 18) * interval '1000 days', a.id,
               1
        FROM bench_acc a
        CROSS JOIN LATERAL generate_series(
            1, %(stakeholders_min)s + floor(pg_temp.u(a.idx, 10) * %(stakeholders_spread)s)::int) s
        ORDER BY a.idx, s
        """,
        {**p, **TEXTS},
    )
    execute(
        """
        UPDATE bench_acc b SET first_sh = s.first, n_sh = s.n
        FROM (SELECT account_id, min(id) AS first, count(*) AS n
              FROM accounts_stakeholder GROUP BY account_id) s
        WHERE s.account_id = b.id
        """
    )
    return rows


def load_revenue(p: dict) -> int:
    # A Pareto-shaped (alpha 1.16, the 80/20 rule) monthly base per account, a yearly trend
    # between -35 % and +45 %, ±20 % noise, one month in ten without an invoice, 8 % of
    # accounts new in the last year, costs on 60 % of accounts; prospects have no revenue;
    # churned accounts stopped buying 1–12 months ago.
    return execute(
        """
        INSERT INTO accounts_revenuerecord
            (kind, booked_on, amount, cost, product, external_id, created_at, account_id)
        SELECT 'invoice', r.booked_on, r.amount,
               CASE WHEN pg_temp.u(r.idx, 46) < 0.6
                    THEN round((r.amount * (0.55 + 0.3 * pg_temp.u(r.k, 47)))::numeric, 2)
               END,
               '', '', r.booked_on::timestamp AT TIME ZONE %(tz)s, r.id
        FROM (
            SELECT a.idx, a.id, m, a.idx * 24 + m AS k,
                   least(%(today)s - 1, (date_trunc('month', %(today)s::date)
                         - m * interval '1 month')::date
                         + floor(pg_temp.u(a.idx * 24 + m, 42) * 28)::int) AS booked_on,
                   round(least(5e6, 500 * greatest(pg_temp.u(a.idx, 40), 1e-9) ^ (-1 / 1.16))
                         * (0.65 + 0.8 * pg_temp.u(a.idx, 41)) ^ (-m / 12.0)
                         * (0.8 + 0.4 * pg_temp.u(a.idx * 24 + m, 43)))::numeric(14, 2)
                         AS amount
            FROM bench_acc a CROSS JOIN generate_series(0, 23) m
            WHERE a.status <> 'prospect'
              AND pg_temp.u(a.idx * 24 + m, 44) >= 0.1
              AND (a.status <> 'churned' OR m >= 1 + floor(pg_temp.u(a.idx, 49) * 12)::int)
              AND m <= CASE WHEN pg_temp.u(a.idx, 45) < 0.08
                            THEN floor(pg_temp.u(a.idx, 48) * 12)::int ELSE 23 END
        ) r
        ORDER BY r.booked_on, r.idx
        """,
        p,
    )


def load_interactions(p: dict) -> int:
    # Spread uniformly over the two years before --today; busier accounts at low idx
    # (u ^ 1.3); sentiment around a per-account mood.
    return execute(
        """
        INSERT INTO activities_interaction
            (kind, occurred_at, summary, notes, sentiment, category, external_id, created_at,
             account_id, logged_by_id)
        SELECT (ARRAY['call', 'meeting', 'visit', 'email', 'note'])
                   [1 + floor(pg_temp.u(t.g, 21) * 5)::int],
               t.occurred_at,
               (%(summaries)s::text[])[1 + floor(pg_temp.u(t.g, 27) * %(n_summaries)s)::int], '',
               greatest(-2, least(2, round((pg_temp.u(a.idx, 30) - 0.4) * 2
                   + (pg_temp.u(t.g, 23) + pg_temp.u(t.g, 24) + pg_temp.u(t.g, 25) - 1.5) * 1.6
               )))::smallint,
               (ARRAY['value_plan', 'evolution', 'evolution', 'incident'])
                   [1 + floor(pg_temp.u(t.g, 26) * 4)::int],
               '', t.occurred_at, a.id, a.owner_id
        FROM (
            SELECT g,
                   floor(%(accounts)s * pg_temp.u(g, 20) ^ 1.3)::int AS idx,
                   %(anchor)s - pg_temp.u(g, 22) * interval '730 days' AS occurred_at
            FROM generate_series(1, %(interactions)s) g
        ) t
        JOIN bench_acc a ON a.idx = t.idx
        ORDER BY t.occurred_at, t.g
        """,
        {**p, **TEXTS},
    )


def load_interaction_stakeholders(p: dict) -> int:
    # 45 % of interactions name one stakeholder of the account, a third of those a second.
    rows = execute(
        """
        INSERT INTO activities_interaction_stakeholders (interaction_id, stakeholder_id)
        SELECT i.id, a.first_sh + (floor(pg_temp.u(i.id, 31) * a.n_sh)::int + k) %% a.n_sh
        FROM activities_interaction i
        JOIN bench_acc a ON a.id = i.account_id
        CROSS JOIN generate_series(0, 1) k
        WHERE pg_temp.u(i.id, 32) < 0.45 AND (k = 0 OR pg_temp.u(i.id, 33) < 0.33)
        ORDER BY i.id, k
        """,
        p,
    )
    execute(
        """
        UPDATE accounts_stakeholder s SET last_interaction_at = m.last
        FROM (SELECT link.stakeholder_id, max(i.occurred_at) AS last
              FROM activities_interaction_stakeholders link
              JOIN activities_interaction i ON i.id = link.interaction_id
              GROUP BY link.stakeholder_id) m
        WHERE s.id = m.stakeholder_id
        """
    )
    return rows


def load_commitments(p: dict) -> int:
    # Due from 400 days ago to 60 days ahead. Past due: 70 % done, 20 % still open (overdue),
    # 10 % cancelled; not yet due: 85 % open. 90 % ours (owner_user = the account owner),
    # 10 % owned by a client stakeholder.
    return execute(
        """
        INSERT INTO activities_commitment
            (source, version, title, due_date, status, done_at, created_at, account_id,
             created_by_id, owner_stakeholder_id, owner_user_id, source_interaction_id)
        SELECT 'manual', 1, 'Commitment ' || c.g, c.due_date, c.status,
               CASE WHEN c.status = 'done'
                    THEN least(%(anchor)s - interval '1 hour',
                               (c.due_date - floor(pg_temp.u(c.g, 55) * 10)::int)::timestamp
                               AT TIME ZONE %(tz)s + interval '14 hours')
               END,
               least(%(anchor)s - interval '1 hour',
                     (c.due_date - 14)::timestamp AT TIME ZONE %(tz)s), a.id, a.owner_id,
               CASE WHEN c.ours THEN NULL ELSE a.first_sh END,
               CASE WHEN c.ours THEN a.owner_id END,
               NULL
        FROM (
            SELECT d.*,
                   CASE WHEN d.due_date < %(today)s
                        THEN CASE WHEN pg_temp.u(d.g, 53) < 0.7 THEN 'done'
                                  WHEN pg_temp.u(d.g, 53) < 0.9 THEN 'open'
                                  ELSE 'cancelled' END
                        ELSE CASE WHEN pg_temp.u(d.g, 53) < 0.85 THEN 'open' ELSE 'done' END
                   END AS status
            FROM (
                SELECT g, floor(%(accounts)s * pg_temp.u(g, 50) ^ 1.2)::int AS idx,
                       %(today)s - 400 + floor(pg_temp.u(g, 51) * 461)::int AS due_date,
                       pg_temp.u(g, 52) < 0.9 AS ours
                FROM generate_series(1, %(commitments)s) g
            ) d
        ) c
        JOIN bench_acc a ON a.idx = c.idx
        ORDER BY c.due_date - 14, c.g
        """,
        p,
    )


def load_requests(p: dict) -> int:
    # Client requests received over the last 60 days in working hours, from the account's
    # first stakeholder, owned by its owner: 85 % answered (within two days), three in four of
    # those resolved (within five more). The due moments are first set in calendar hours
    # (24 h to answer, 72 h to resolve); the nightly step recomputes every clock, the stopped
    # ones too, in business hours with the real targets (requests_deadlines_refresh(stopped=True)),
    # so the answer and resolution moments above fall in time or late against those.
    return execute(
        """
        INSERT INTO activities_clientrequest
            (account_id, requester_id, channel, subject, details, priority, received_at,
             owner_id, first_response_at, first_response_interaction_id, resolved_at,
             first_response_due_at, first_response_warning_at, resolution_due_at,
             resolution_warning_at, created_by_id, created_at, updated_at, version)
        SELECT a.id, a.first_sh,
               (ARRAY['email', 'phone', 'whatsapp', 'meeting', 'portal'])
                   [1 + floor(pg_temp.u(r.g, 72) * 5)::int],
               (%(subjects)s::text[])[1 + floor(pg_temp.u(r.g, 79) * %(n_subjects)s)::int], '',
               (ARRAY['low', 'normal', 'normal', 'high', 'urgent'])
                   [1 + floor(pg_temp.u(r.g, 73) * 5)::int],
               r.received, a.owner_id,
               CASE WHEN r.answered
                    THEN least(r.received + r.answer_after, %(anchor)s - interval '1 minute')
               END,
               NULL,
               CASE WHEN r.answered AND r.resolved
                    THEN least(r.received + r.answer_after + r.resolve_after,
                               %(anchor)s - interval '1 minute')
               END,
               r.received + interval '24 hours', r.received + interval '18 hours',
               r.received + interval '72 hours', r.received + interval '54 hours',
               a.owner_id, r.received, r.received, 1
        FROM (
            SELECT g, floor(%(accounts)s * pg_temp.u(g, 70) ^ 1.2)::int AS idx,
                   ((%(today)s - 1 - floor(pg_temp.u(g, 71) * 60)::int)::timestamp
                     + make_interval(mins => 540 + floor(pg_temp.u(g, 74) * 480)::int))
                     AT TIME ZONE %(tz)s AS received,
                   pg_temp.u(g, 75) < 0.85 AS answered,
                   pg_temp.u(g, 76) < 0.75 AS resolved,
                   make_interval(mins => floor(pg_temp.u(g, 77) * 2880)::int) AS answer_after,
                   make_interval(mins => floor(pg_temp.u(g, 78) * 7200)::int) AS resolve_after
            FROM generate_series(1, %(requests)s) g
        ) r
        JOIN bench_acc a ON a.idx = r.idx
        ORDER BY r.received, r.g
        """,
        {**p, **TEXTS},
    )


def load_satisfaction(p: dict) -> int:
    # 60 % of accounts have 1–4 answers over two years, NPS or CSAT.
    return execute(
        """
        INSERT INTO accounts_satisfactionentry
            (kind, score, recorded_on, comment, created_at, account_id, recorded_by_id,
             stakeholder_id)
        SELECT s.kind,
               CASE WHEN s.kind = 'nps' THEN floor(pg_temp.u(s.k, 63) ^ 0.6 * 11)::int
                    ELSE 1 + floor(pg_temp.u(s.k, 63) ^ 0.7 * 5)::int END,
               s.recorded_on, '', s.recorded_on::timestamp AT TIME ZONE %(tz)s, s.id, s.owner_id,
               CASE WHEN pg_temp.u(s.k, 64) < 0.5 THEN s.first_sh END
        FROM (
            SELECT a.*, a.idx * 8 + n AS k,
                   CASE WHEN pg_temp.u(a.idx * 8 + n, 61) < 0.6 THEN 'nps' ELSE 'csat' END
                       AS kind,
                   %(today)s - (1 + floor(pg_temp.u(a.idx * 8 + n, 62) * 700)::int)
                       AS recorded_on
            FROM bench_acc a
            CROSS JOIN LATERAL generate_series(1, 1 + floor(pg_temp.u(a.idx, 60) * 4)::int) n
            WHERE pg_temp.u(a.idx, 65) < 0.6
        ) s
        ORDER BY s.recorded_on, s.idx
        """,
        p,
    )


def load_ratings(p: dict) -> int:
    # 30 % of accounts carry the four qualitative ratings used by tiering.
    return execute(
        """
        INSERT INTO accounts_qualitativerating (criterion, score, set_at, account_id, set_by_id)
        SELECT c, 1 + floor(pg_temp.u(a.idx * 4 + n, 71) * 5)::int,
               %(anchor)s - pg_temp.u(a.idx * 4 + n, 72) * interval '400 days', a.id, a.owner_id
        FROM bench_acc a
        CROSS JOIN unnest(ARRAY['growth_potential', 'market_influence', 'strategic_alignment',
                                'referral_value']) WITH ORDINALITY AS r(c, n)
        WHERE pg_temp.u(a.idx, 70) < 0.3
        """,
        p,
    )


def load_qbrs(p: dict) -> int:
    # Held QBRs of active and at-risk accounts over two years, one per tier QBR cadence,
    # a quarter of them skipped, dates ± 10 days.
    held = execute(
        """
        INSERT INTO activities_qbr
            (scheduled_on, status, agenda, outcome, rating, held_at, created_at, account_id,
             created_by_id)
        SELECT q.day, 'held', '', '', 1 + floor(pg_temp.u(q.k, 92) * 5)::int,
               q.day::timestamp AT TIME ZONE %(tz)s + interval '10 hours',
               (q.day - 21)::timestamp AT TIME ZONE %(tz)s, q.id, q.owner_id
        FROM (
            SELECT a.idx, a.id, a.owner_id, a.idx * 32 + k AS k,
                   %(today)s - k * t.qbr_cadence_days
                       + floor(pg_temp.u(a.idx * 32 + k, 91) * 21)::int - 10 AS day
            FROM bench_acc a
            JOIN accounts_account acc ON acc.id = a.id
            JOIN accounts_tier t ON t.id = acc.tier_id
            CROSS JOIN LATERAL generate_series(1, 730 / t.qbr_cadence_days) k
            WHERE a.status IN ('active', 'at_risk') AND pg_temp.u(a.idx * 32 + k, 90) < 0.75
        ) q
        WHERE q.day < %(today)s
        ORDER BY q.day, q.idx
        """,
        p,
    )
    # What activities.services.qbr_hold keeps on the account.
    execute(
        """
        UPDATE accounts_account a SET last_qbr_held_at = h.held_at
        FROM (SELECT account_id, max(held_at) AS held_at
              FROM activities_qbr WHERE status = 'held' GROUP BY account_id) h
        WHERE a.id = h.account_id
        """
    )
    return held


def load_last_touch() -> int:
    return execute(
        """
        UPDATE accounts_account a SET last_touch_at = t.last
        FROM (SELECT account_id, max(occurred_at) AS last
              FROM activities_interaction GROUP BY account_id) t
        WHERE a.id = t.account_id
        """
    )


HISTORY_COMPONENTS = [
    ("engagement", 20.0),
    ("coverage", 15.0),
    ("sentiment", 15.0),
    ("satisfaction", 10.0),
    ("revenue_trend", 15.0),
    ("commitments", 10.0),
    ("qbr", 5.0),
    ("risks", 5.0),
    ("renewal", 5.0),
]


def load_history(p: dict) -> int:
    """What earlier nightly runs would have left: one score per scored account (and churned
    ones too when p["history_churned"]) per day for p["history_days"] days before p["today"],
    oldest day first (as the nightly job writes them).
    Synthetic (a per-account level ± daily noise; nine components near the account's level,
    reason code "bench_history", built once per account and reused every day), but of the real
    shape and size (about 1.1 kB of JSON), so the previous-score lookup reads a realistic
    table."""
    if not p["history_days"]:
        return 0
    components = ", ".join(
        f"jsonb_build_object('key', '{key}', 'score', greatest(0, least(100, a.level - 20 "
        f"+ floor(pg_temp.u(a.idx * 16 + {n}, 83) * 41)::int)), 'weight', {weight}, "
        f"'reason', jsonb_build_object('code', 'bench_history', "
        f"'params', jsonb_build_object('days', {n}, 'count', a.idx %% 40)))"
        for n, (key, weight) in enumerate(HISTORY_COMPONENTS, 1)
    )
    execute("DROP TABLE IF EXISTS bench_history")
    execute(
        f"""
        CREATE TEMP TABLE bench_history AS
        SELECT a.idx, a.id, a.level, jsonb_build_array({components}) AS components
        FROM (SELECT idx, id, floor(25 + 65 * pg_temp.u(idx, 80))::int AS level
              FROM bench_acc WHERE %(history_churned)s OR status <> 'churned') a
        ORDER BY a.idx
        """,  # noqa: S608 (components is made above from constants)  # nosec B608
        p,
    )
    rows = 0
    for d in range(p["history_days"], 0, -1):
        rows += execute(
            """
            INSERT INTO accounts_healthscore
                (day, score, band, components, previous_score, movers, computed_at,
                 account_id, config_id)
            SELECT h.day, h.score,
                   -- accounts.scoring.band_for, with the thresholds of the configuration
                   -- the scores point at (not fixed numbers).
                   CASE WHEN h.score >= c.healthy_min THEN 'healthy'
                        WHEN h.score >= c.watch_min THEN 'watch'
                        ELSE 'at_risk' END,
                   h.components, NULL, '[]'::jsonb,
                   h.day::timestamp AT TIME ZONE %(tz)s + interval '2 hours', h.id, %(config_id)s
            FROM (
                SELECT b.id, b.components, %(today)s - %(d)s AS day,
                       greatest(0, least(100, b.level
                           + floor(16 * pg_temp.u(b.idx::bigint * 1024 + %(d)s, 81) - 8)::int))
                           AS score
                FROM bench_history b
            ) h
            JOIN accounts_scoringconfig c ON c.id = %(config_id)s
            """,
            {**p, "d": d},
        )
    execute("DROP TABLE bench_history")
    return rows


def load_account_team(p: dict) -> int:
    # Half of the strategic and key accounts and 8 % of the others have one or two other
    # KAMs on their team.
    execute("DROP TABLE IF EXISTS bench_kam")
    execute(
        """
        CREATE TEMP TABLE bench_kam AS
        SELECT (row_number() OVER (ORDER BY id) - 1)::int AS idx, id
        FROM kam_user WHERE role = 'kam' AND is_active
        """
    )
    return execute(
        """
        INSERT INTO accounts_account_team (account_id, user_id)
        SELECT DISTINCT a.id, k.id
        FROM bench_acc a
        JOIN accounts_account acc ON acc.id = a.id
        LEFT JOIN accounts_tier t ON t.id = acc.tier_id
        CROSS JOIN generate_series(1, 2) n
        JOIN bench_kam k
          ON k.idx = floor(pg_temp.u(a.idx * 4 + n, 101)
                           * (SELECT count(*) FROM bench_kam))::int
        WHERE pg_temp.u(a.idx, 100) < CASE WHEN t.key IN ('strategic', 'key') THEN 0.5
                                           ELSE 0.08 END
          AND (n = 1 OR pg_temp.u(a.idx, 102) < 0.4)
          AND k.id <> a.owner_id
        """,
        p,
    )


def load_products(p: dict) -> int:
    # A catalogue of products (kept across loads: other data may point at them).
    execute(
        """
        INSERT INTO plans_product (name, series, list_price, currency)
        SELECT 'Bench product ' || lpad(n::text, 2, '0'),
               (ARRAY['Platform', 'Analytics', 'Services', 'Support'])[1 + n %% 4],
               round((2000 + 48000 * pg_temp.u(n, 110))::numeric, 2), 'BRL'
        FROM generate_series(1, %(products)s) n
        ON CONFLICT (name) DO NOTHING
        """,
        p,
    )
    execute("DROP TABLE IF EXISTS bench_product")
    return execute(
        """
        CREATE TEMP TABLE bench_product AS
        SELECT (row_number() OVER (ORDER BY id) - 1)::int AS idx, id
        FROM plans_product WHERE name LIKE 'Bench product %%'
        """
    )


def load_plans(p: dict) -> int:
    # An active plan for strategic and key accounts, 80 % of growth and 25 % of maintain
    # accounts (a tenth of them still drafts); strategic and key accounts also keep last
    # year's archived plan; churned accounts only an archived one.
    rows = execute(
        """
        INSERT INTO plans_accountplan
            (title, period_start, period_end, status, swot_strengths, swot_weaknesses,
             swot_opportunities, swot_threats, governance_rhythm, qbr_cadence_note,
             last_reviewed_at, version, created_at, updated_at, account_id, created_by_id,
             reviewed_by_id)
        SELECT 'Account plan ' || extract(year FROM x.start)::int, x.start, x.start + 365,
               x.status, '', '', '', '', '', '',
               CASE WHEN pg_temp.u(x.k, 123) < 0.7
                    THEN least(%(anchor)s - interval '1 day',
                               x.start::timestamp AT TIME ZONE %(tz)s
                               + pg_temp.u(x.k, 124) * interval '300 days') END,
               1, x.start::timestamp AT TIME ZONE %(tz)s,
               x.start::timestamp AT TIME ZONE %(tz)s, x.id, x.owner_id, NULL
        FROM (
            SELECT a.idx, a.id, a.owner_id, a.idx * 2 + v.n AS k,
                   CASE WHEN v.n = 1 OR a.status = 'churned' THEN 'archived'
                        WHEN pg_temp.u(a.idx, 121) < 0.1 THEN 'draft'
                        ELSE 'active' END AS status,
                   %(today)s - floor(pg_temp.u(a.idx, 122) * 300)::int - 365 * v.n AS start
            FROM bench_acc a
            JOIN accounts_account acc ON acc.id = a.id
            JOIN accounts_tier t ON t.id = acc.tier_id
            CROSS JOIN generate_series(0, 1) v(n)
            WHERE a.status <> 'prospect'
              AND CASE t.key WHEN 'strategic' THEN true WHEN 'key' THEN true
                             WHEN 'growth' THEN pg_temp.u(a.idx, 120) < 0.8
                             ELSE pg_temp.u(a.idx, 120) < 0.25 END
              AND (v.n = 0 OR t.key IN ('strategic', 'key'))
              AND NOT (v.n = 0 AND a.status = 'churned')
        ) x
        ORDER BY x.start, x.idx
        """,
        p,
    )
    # Current plans first, the most important accounts first: opportunities and risks are
    # drawn towards the top of this list.
    execute("DROP TABLE IF EXISTS bench_plan")
    execute(
        """
        CREATE TEMP TABLE bench_plan AS
        SELECT (row_number() OVER (ORDER BY pl.status = 'archived', t.rank, pl.id) - 1)::int
                   AS idx,
               pl.id, pl.status, pl.period_start, acc.owner_id, acc.currency
        FROM plans_accountplan pl
        JOIN accounts_account acc ON acc.id = pl.account_id
        JOIN accounts_tier t ON t.id = acc.tier_id
        """
    )
    execute("ALTER TABLE bench_plan ADD PRIMARY KEY (idx)")
    return rows


def load_opportunities(p: dict) -> int:
    # Skewed towards the plans of the most important accounts (u ^ 1.6 over bench_plan);
    # archived plans' opportunities are closed (won or lost); open ones close from a month
    # ago (late) to ten months ahead; Pareto-shaped amounts in the account's currency.
    return execute(
        """
        INSERT INTO plans_opportunity
            (kind, title, amount, currency, probability, stage, expected_close, version,
             owner_id, plan_id, product_id)
        SELECT (ARRAY['upsell', 'upsell', 'cross_sell', 'cross_sell', 'renewal'])
                   [1 + floor(pg_temp.u(o.g, 131) * 5)::int],
               'Opportunity ' || o.g,
               round(least(2e6, 4000 * greatest(pg_temp.u(o.g, 132), 1e-9) ^ (-1 / 1.3)))
                   ::numeric(14, 2),
               o.currency,
               CASE o.stage WHEN 'identified' THEN 10 WHEN 'qualified' THEN 25
                            WHEN 'proposal' THEN 50 WHEN 'negotiation' THEN 75
                            WHEN 'won' THEN 100 ELSE 0 END,
               o.stage,
               CASE WHEN o.stage IN ('won', 'lost')
                    THEN least(%(today)s, o.period_start + floor(pg_temp.u(o.g, 134) * 365)::int)
                    ELSE %(today)s - 30 + floor(pg_temp.u(o.g, 134) * 330)::int END,
               1, o.owner_id, o.plan_id,
               bp.id
        FROM (
            SELECT o0.g, pl.id AS plan_id, pl.period_start, pl.owner_id, pl.currency,
                   CASE WHEN pl.status = 'archived'
                        THEN CASE WHEN o0.roll < 0.35 THEN 'won' ELSE 'lost' END
                        WHEN o0.roll < 0.25 THEN 'identified'
                        WHEN o0.roll < 0.45 THEN 'qualified'
                        WHEN o0.roll < 0.60 THEN 'proposal'
                        WHEN o0.roll < 0.70 THEN 'negotiation'
                        WHEN o0.roll < 0.88 THEN 'won'
                        ELSE 'lost' END AS stage
            FROM (
                SELECT g, floor(%(plans)s * pg_temp.u(g, 130) ^ 1.6)::int AS pidx,
                       pg_temp.u(g, 133) AS roll
                FROM generate_series(1, %(opportunities)s) g
            ) o0
            JOIN bench_plan pl ON pl.idx = o0.pidx
        ) o
        LEFT JOIN bench_product bp
          ON pg_temp.u(o.g, 135) < 0.7
         AND bp.idx = floor(pg_temp.u(o.g, 136) * %(product_count)s)::int
        ORDER BY o.g
        """,
        {
            **p,
            "plans": scalar("SELECT count(*) FROM bench_plan"),
            "product_count": scalar("SELECT count(*) FROM bench_product"),
        },
    )


def load_risks(p: dict) -> int:
    # Risks on the current plans: 0–4 per plan, severity and likelihood 1–5 (high ones rarer),
    # 60 % open.
    return execute(
        """
        INSERT INTO plans_risk
            (title, severity, likelihood, mitigation, status, version, owner_id, plan_id)
        SELECT 'Risk ' || pl.idx || '-' || n,
               1 + floor(pg_temp.u(pl.idx * 8 + n, 141) ^ 1.4 * 5)::int,
               1 + floor(pg_temp.u(pl.idx * 8 + n, 142) * 5)::int, '',
               CASE WHEN pg_temp.u(pl.idx * 8 + n, 143) < 0.6 THEN 'open'
                    WHEN pg_temp.u(pl.idx * 8 + n, 143) < 0.85 THEN 'mitigated'
                    ELSE 'closed' END,
               1, pl.owner_id, pl.id
        FROM bench_plan pl
        CROSS JOIN LATERAL generate_series(1, floor(pg_temp.u(pl.idx, 140) * 5)::int) n
        WHERE pl.status <> 'archived'
        ORDER BY pl.id, n
        """,
        p,
    )


def load_planned_qbrs(p: dict) -> int:
    # The next QBR is on the calendar for 40 % of active and at-risk accounts with a tier:
    # from three weeks ago (held but not yet recorded) to three months ahead; a few of the
    # past ones were cancelled.
    return execute(
        """
        INSERT INTO activities_qbr
            (scheduled_on, scheduled_time, status, agenda, outcome, rating, held_at,
             created_at, account_id, created_by_id)
        SELECT q.day, time '10:00',
               CASE WHEN q.day < %(today)s AND pg_temp.u(q.idx, 152) < 0.2 THEN 'cancelled'
                    ELSE 'planned' END,
               '', '', NULL, NULL, (least(q.day, %(today)s) - 30)::timestamp AT TIME ZONE %(tz)s,
               q.id, q.owner_id
        FROM (
            SELECT a.idx, a.id, a.owner_id,
                   %(today)s - 21 + floor(pg_temp.u(a.idx, 151) * 111)::int AS day
            FROM bench_acc a JOIN accounts_account acc ON acc.id = a.id
            WHERE a.status IN ('active', 'at_risk') AND acc.tier_id IS NOT NULL
              AND pg_temp.u(a.idx, 150) < 0.4
        ) q
        ORDER BY q.idx
        """,
        p,
    )


def load_timeline(p: dict) -> int:
    # What the services write to the timeline as they go: an entry per interaction, per
    # commitment made and completed, per stakeholder who joined or left and per QBR held,
    # in time order.
    return execute(
        """
        INSERT INTO activities_timelineentry
            (kind, occurred_at, created_at, account_id, actor_id, commitment_id,
             interaction_id, milestone_id, stakeholder_id, qbr_id)
        SELECT kind, occurred_at, occurred_at, account_id, actor_id, commitment_id,
               interaction_id, NULL, stakeholder_id, qbr_id
        FROM (
            SELECT 'interaction' AS kind, occurred_at, account_id, logged_by_id AS actor_id,
                   NULL::bigint AS commitment_id, id AS interaction_id,
                   NULL::bigint AS stakeholder_id, NULL::bigint AS qbr_id
            FROM activities_interaction
            UNION ALL
            SELECT 'commitment_created', created_at, account_id, created_by_id, id, NULL, NULL,
                   NULL
            FROM activities_commitment
            UNION ALL
            SELECT 'commitment_done', done_at, account_id, owner_user_id, id, NULL, NULL, NULL
            FROM activities_commitment WHERE status = 'done'
            UNION ALL
            SELECT 'stakeholder_joined', created_at, account_id, NULL, NULL, NULL, id, NULL
            FROM accounts_stakeholder
            UNION ALL
            SELECT 'stakeholder_left', left_on::timestamp AT TIME ZONE %(tz)s
                       + interval '9 hours', account_id, NULL, NULL, NULL, id, NULL
            FROM accounts_stakeholder WHERE left_on IS NOT NULL
            UNION ALL
            SELECT 'qbr_held', held_at, account_id, created_by_id, NULL, NULL, NULL, id
            FROM activities_qbr WHERE status = 'held'
        ) e
        ORDER BY occurred_at
        """,
        p,
    )


def load_health_latest(day: date) -> int:
    """Each live account shows its score of `day` (what the nightly job copies onto it)."""
    return execute(
        """
        UPDATE accounts_account a SET health_score = h.score, health_band = h.band
        FROM accounts_healthscore h
        WHERE h.account_id = a.id AND h.day = %s AND a.status <> 'churned'
        """,
        [day],
    )


LOADED_TABLES = [
    "accounts_account",
    "accounts_stakeholder",
    "accounts_revenuerecord",
    "activities_interaction",
    "activities_interaction_stakeholders",
    "activities_commitment",
    "accounts_satisfactionentry",
    "accounts_qualitativerating",
    "accounts_healthscore",
    "activities_qbr",
]
# What the large demo loads on top (kam/demo_large.py).
LARGE_TABLES = [
    "accounts_account_team",
    "activities_timelineentry",
    "plans_accountplan",
    "plans_opportunity",
    "plans_risk",
    "activities_clientrequest",
]


def restore_saved_indexes() -> None:
    """Recreate the indexes and unique constraints an interrupted earlier run dropped (kept in
    bench_saved_indexes)."""
    if scalar("SELECT to_regclass('bench_saved_indexes') IS NULL"):
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, definition FROM bench_saved_indexes")
        saved = cursor.fetchall()
    for name, definition in saved:
        if scalar("SELECT to_regclass(%s) IS NULL", [name]):
            execute(definition)
    execute("DROP TABLE bench_saved_indexes")


def drop_secondary_indexes(tables: list[str]) -> list[str]:
    """Drop the indexes of `tables` but their primary keys, unique constraints included:
    building them once after the load is several times faster than updating them row by
    row (a unique (account, day) index updated in day order touches a different page for
    every row). Their definitions are kept in a table until recreate_indexes() has run."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text,
                   CASE WHEN c.oid IS NULL THEN pg_get_indexdef(i.indexrelid)
                        ELSE format('ALTER TABLE %%I ADD CONSTRAINT %%I %%s', t.relname,
                                    c.conname, pg_get_constraintdef(c.oid))
                   END,
                   c.oid IS NOT NULL
            FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
            LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.contype = 'u'
            WHERE t.relname = ANY(%s) AND t.relnamespace = 'public'::regnamespace
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                              WHERE k.conindid = i.indexrelid AND k.contype <> 'u')
            ORDER BY 1
            """,
            [tables],
        )
        indexes = cursor.fetchall()
    execute("CREATE TABLE bench_saved_indexes (name text NOT NULL, definition text NOT NULL)")
    for name, definition, _constraint in indexes:
        execute("INSERT INTO bench_saved_indexes VALUES (%s, %s)", [name, definition])
    for name, _definition, constraint in indexes:
        if constraint:
            table = scalar(
                "SELECT indrelid::regclass::text FROM pg_index WHERE indexrelid = %s::regclass",
                [name],
            )
            execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        else:
            execute(f"DROP INDEX {name}")
    return [definition for _name, definition, _constraint in indexes]


def recreate_indexes(definitions: list[str]) -> None:
    for definition in definitions:
        execute(definition)
    execute("DROP TABLE bench_saved_indexes")


FOREIGN_KEYS = [
    ("accounts_account", "owner_id", "kam_user"),
    ("accounts_account", "tier_id", "accounts_tier"),
    ("accounts_stakeholder", "account_id", "accounts_account"),
    ("accounts_revenuerecord", "account_id", "accounts_account"),
    ("activities_interaction", "account_id", "accounts_account"),
    ("activities_interaction", "logged_by_id", "kam_user"),
    ("activities_interaction_stakeholders", "interaction_id", "activities_interaction"),
    ("activities_interaction_stakeholders", "stakeholder_id", "accounts_stakeholder"),
    ("activities_commitment", "account_id", "accounts_account"),
    ("activities_commitment", "owner_user_id", "kam_user"),
    ("activities_commitment", "owner_stakeholder_id", "accounts_stakeholder"),
    ("accounts_satisfactionentry", "account_id", "accounts_account"),
    ("accounts_satisfactionentry", "stakeholder_id", "accounts_stakeholder"),
    ("accounts_qualitativerating", "account_id", "accounts_account"),
    ("accounts_healthscore", "account_id", "accounts_account"),
    ("accounts_healthscore", "config_id", "accounts_scoringconfig"),
    ("activities_qbr", "account_id", "accounts_account"),
    ("accounts_account_team", "account_id", "accounts_account"),
    ("accounts_account_team", "user_id", "kam_user"),
    ("activities_timelineentry", "account_id", "accounts_account"),
    ("activities_timelineentry", "actor_id", "kam_user"),
    ("activities_timelineentry", "interaction_id", "activities_interaction"),
    ("activities_timelineentry", "commitment_id", "activities_commitment"),
    ("activities_timelineentry", "stakeholder_id", "accounts_stakeholder"),
    ("activities_timelineentry", "qbr_id", "activities_qbr"),
    ("plans_accountplan", "account_id", "accounts_account"),
    ("plans_opportunity", "plan_id", "plans_accountplan"),
    ("plans_opportunity", "owner_id", "kam_user"),
    ("plans_opportunity", "product_id", "plans_product"),
    ("plans_risk", "plan_id", "plans_accountplan"),
    ("plans_risk", "owner_id", "kam_user"),
]


def check_foreign_keys(tables: list[str]) -> None:
    """The loads ran without the foreign-key triggers: prove every key of `tables` resolves."""
    for table, column, target in FOREIGN_KEYS:
        if table not in tables:
            continue
        orphans = scalar(
            # Table and column names come from the FOREIGN_KEYS constant above.
            f"SELECT count(*) FROM {table} t LEFT JOIN {target} r ON r.id = t.{column} "  # noqa: S608  # nosec B608
            f"WHERE t.{column} IS NOT NULL AND r.id IS NULL"
        )
        if orphans:
            raise RuntimeError(f"{orphans} rows of {table}.{column} point at no {target} row")
