"""The global search ("find anything", Ctrl/⌘-K and /search/): accounts, stakeholders, plans,
interactions and client requests the user may see, ranked by full-text relevance.

How a text becomes a query and how the stored vectors are built: kam/search.py. One
statement per search, whatever the data size: for each kind, the rows of the accounts
`accounts_for_user` returns (the one access rule, compiled once into the statement) that
match, ranked with ts_rank, with the matched words highlighted by ts_headline on the
returned rows only; the five kinds joined with UNION ALL.

Why one hand-assembled statement rather than five ORM querysets: compiling five querysets
with their rank, headline, account-name subquery and access subquery cost 6–12 ms of Python
a search, as much as the SQL itself (bench/README.md, "Global search"). The pieces that carry
rules still come from their one place: the tsquery is `kam.search.search_query` compiled by
Django, the visible accounts are `accounts_for_user`'s queryset compiled by Django.

Speed: ranking reads every matching row's vector, and a frequent word matches a large share
of a million interactions. So each kind ranks at most `CANDIDATES` matching rows: the first
the GIN index gives, or, for a word PostgreSQL knows to be frequent, the first met reading
rows in order (`SCAN_KINDS`); a query that matches fewer (a name, most phrases) is ranked over
all its matches. `bench/web.py --only search` measures it at 20,000 accounts."""

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Stakeholder
from accounts.selectors import accounts_for_user
from activities.models import ClientRequest, Interaction, InteractionKind
from kam.search import (
    MIN_LENGTH,
    PORTUGUESE,
    START,
    STOP,
    marked,
    query_words,
    search_query,
)
from plans.models import AccountPlan

# Matching rows ranked per kind (see the module's docstring).
CANDIDATES = 200


@dataclass(frozen=True)
class SearchHit:
    kind: str
    pk: int
    title: SafeString  # the matched words in <mark>
    detail: str
    url: str
    rank: float


@dataclass
class SearchGroup:
    kind: str
    label: str
    hits: list[SearchHit] = field(default_factory=list)


@dataclass(frozen=True)
class SearchKind:
    key: str
    label: str
    model: type
    title_field: str
    # The last word is a prefix from this many characters on. Names are found from two
    # letters; in the long texts of interactions and requests two letters start words of
    # most rows (a prefix scan of ~400,000 index entries at the large demo), so they take
    # the prefix from three and match a two-letter word whole.
    prefix_from: int = MIN_LENGTH
    # Whether its words meet by chance (a first name and a surname), rather than as phrases
    # of a text ("reunião trimestral"): how _frequent_kinds estimates several words' share.
    words_apart: bool = False


KINDS = [
    SearchKind("accounts", _("Accounts"), Account, "name"),
    SearchKind("stakeholders", _("Stakeholders"), Stakeholder, "name", words_apart=True),
    SearchKind("plans", _("Account plans"), AccountPlan, "title"),
    SearchKind("interactions", _("Interactions"), Interaction, "summary", prefix_from=3),
    SearchKind("requests", _("Client requests"), ClientRequest, "subject", prefix_from=3),
]
KIND_KEYS = [kind.key for kind in KINDS]


# What each kind shows under its title, in the statement's common columns: three texts, a
# moment and two days (NULL where a kind has none).
_DETAIL_COLUMNS = {
    "accounts": ("t.legal_name", "t.tax_id", "t.hq_city", "NULL", "NULL", "NULL"),
    "stakeholders": ("t.title", "NULL", "NULL", "NULL", "NULL", "NULL"),
    "plans": ("NULL", "NULL", "NULL", "NULL", "t.period_start", "t.period_end"),
    "interactions": ("t.kind", "NULL", "NULL", "t.occurred_at", "NULL", "NULL"),
    "requests": ("NULL", "NULL", "NULL", "t.received_at", "NULL", "NULL"),
}
_SLOTS = ("text1", "text2", "text3", "moment", "day1", "day2")
_SLOT_TYPES = ("text", "text", "text", "timestamptz", "date", "date")
_HEADLINE_OPTIONS = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"


def _compiled(queryset_or_expression, *, model=Account) -> tuple[str, list]:
    """SQL and parameters of a queryset, or of an expression as it would read in a query of
    `model`, compiled by Django (so the rules they carry stay where they are written)."""
    if isinstance(queryset_or_expression, QuerySet):
        query = queryset_or_expression.query
        return query.get_compiler(connection.alias).as_sql()
    query = model.objects.none().query
    compiler = query.get_compiler(connection.alias)
    sql, params = compiler.compile(queryset_or_expression.resolve_expression(query))
    return sql, list(params)


# Large tables where a frequent word's first CANDIDATES matches are found sooner by reading
# rows than through the index: the GIN index hands over a bitmap of every match first (41,000
# interactions for "negociação" at the large demo: 20 ms), while reading rows in order meets
# 200 of them within the first ~5,000 (2 ms). "Frequent" is PostgreSQL's own estimate, from
# its statistics of the most common words, of at least FREQUENT_SHARE of the table; rarer
# words (and words it has no statistics for) go through the index. The stakeholders too: a
# common surname or job title matches a large share of them ("procurement", 125,000 of the
# million stakeholders at 100,000 accounts: the bitmap took 24 ms of a 41 ms search).
SCAN_KINDS = ("stakeholders", "interactions", "requests")
# Kinds of which a KAM's accounts hold thousands of rows (about 4,000 interactions for 70
# accounts): a KAM's search for a word that is not frequent takes their matches from the index
# first (_kind_sql's `index_first`). Their stakeholders are a few hundred, checked row by row
# sooner: from the index, a first name and a surname ("Ana Conceição") took 28 ms at 100,000
# accounts against 14.
INDEX_FIRST_KINDS = ("interactions", "requests")
FREQUENT_SHARE = 0.05
# Rows read in order before the index takes over (~6 ms at the large demo).
SCAN_ROWS = 30_000


def _frequent_kinds(cursor, kinds: list["SearchKind"], text: str) -> set[str]:
    """The kinds among SCAN_KINDS where PostgreSQL estimates `text` matches at least
    FREQUENT_SHARE of the rows (one EXPLAIN, no rows read). In a text, each word on its own:
    for several words PostgreSQL multiplies their shares, as if words of one phrase ("reunião
    trimestral") met by chance. Two frequent words that never meet make the read in order
    go through the whole table (~130 ms at a million interactions): the price of the phrase
    case, which is the common one. In a name (`SearchKind.words_apart`) the words do meet by
    chance, and their shares are multiplied: "Ana Conceição", two frequent words, matches a
    few of the million stakeholders at 100,000 accounts (read in order: 37 ms a search, 23
    through the index)."""
    words = query_words(text)
    parts, params, shape = [], [], []
    apart = {kind.key for kind in kinds if kind.words_apart}
    for kind in kinds:
        if kind.key not in SCAN_KINDS:
            continue
        table = kind.model._meta.db_table
        queries = [
            search_query(word, prefix_from=kind.prefix_from if last else _NEVER)
            for last, word in ((n == len(words) - 1, word) for n, word in enumerate(words))
        ]
        if not words or any(query is None for query in queries):
            continue
        aliases = []
        for query in queries:
            sql, query_params = _compiled(query)
            aliases.append(f"estimate_{len(parts)}")
            parts.append(f"SELECT 1 FROM {table} {aliases[-1]} WHERE search_vector @@ {sql}")  # noqa: S608  # nosec B608
            params += query_params
        aliases.append(f"estimate_{len(parts)}")
        parts.append(f"SELECT 1 FROM {table} {aliases[-1]}")  # noqa: S608  # nosec B608
        shape.append((kind.key, aliases))
    if not parts:
        return set()
    cursor.execute("EXPLAIN (FORMAT JSON) " + " UNION ALL ".join(parts), params)
    plan = cursor.fetchone()[0]
    plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
    # Each part's estimate is on the node that reads its table, named by its alias (the
    # plan's shape around them is the planner's business).
    rows = {}
    nodes = [plan]
    while nodes:
        node = nodes.pop()
        if str(node.get("Alias", "")).startswith("estimate_"):
            rows[node["Alias"]] = node["Plan Rows"]
        nodes.extend(node.get("Plans", ()))
    frequent = set()
    for key, aliases in shape:
        if not all(alias in rows for alias in aliases):
            continue  # an estimate not found: the index, which is always right
        *matching, total = (rows[alias] for alias in aliases)
        if not total:
            continue
        shares = [count / total for count in matching]
        if (math.prod(shares) if key in apart else min(shares)) >= FREQUENT_SHARE:
            frequent.add(key)
    return frequent


# A word's prefix from this many characters: never (the words before the last match whole).
_NEVER = 10**6


def _kind_sql(
    kind: "SearchKind",
    text: str,
    visible: tuple[str, list] | None,
    limit: int,
    *,
    scan: bool,
    index_first: bool = False,
):
    """One kind's part of the statement: at most `limit` of its best matches among the
    CANDIDATES first ones, with their headline, rank, account and details.

    With `scan` (a frequent word, every account visible), the candidates are the first
    matching rows among the first SCAN_ROWS read in order (`ts_match_vq` is `@@` written as a
    function, which no index answers); when those hold fewer than CANDIDATES matches (words
    that are frequent but seldom together), the index's, as without `scan`. PostgreSQL runs
    the index's subquery only in that case (an InitPlan of the CASE branch taken).

    With `index_first` (a KAM's search for a word that is not frequent), the matches come from
    the index and are then kept to the KAM's accounts, instead of checking every row of their
    accounts (~4,000 interactions, 10–15 ms); `+ 0` keeps PostgreSQL off the account index."""
    table = kind.model._meta.db_table
    query, query_params = _compiled(search_query(text, prefix_from=kind.prefix_from))
    account_column = "id" if kind.model is Account else "account_id"
    where = f"c.search_vector @@ {query}"
    where_params = list(query_params)
    if visible is not None:
        steer = " + 0" if index_first else ""
        where += f" AND c.{account_column}{steer} IN ({visible[0]})"
        where_params += visible[1]
    indexed = f"ARRAY(SELECT c.id FROM {table} c WHERE {where} LIMIT {CANDIDATES})"  # noqa: S608  # nosec B608
    details = ", ".join(
        f"{column}::{kind_type} AS {slot}"
        for column, kind_type, slot in zip(
            _DETAIL_COLUMNS[kind.key], _SLOT_TYPES, _SLOTS, strict=True
        )
    )
    # Only table and column names of the models and SQL compiled by Django are interpolated;
    # every value is a parameter.
    select = (
        f"SELECT %s AS kind, t.id, a.id AS account_id, a.name AS account_name, "  # noqa: S608  # nosec B608
        f"ts_headline(%s::regconfig, t.{kind.title_field}, {query}, %s) AS headline, "
        f"ts_rank(t.search_vector, {query}) AS rank, {details} "
        f"FROM {table} t JOIN {Account._meta.db_table} a ON a.id = t.{account_column} "
    )
    select_params = [kind.key, PORTUGUESE, *query_params, _HEADLINE_OPTIONS, *query_params]
    order = "ORDER BY rank DESC, t.id LIMIT %s"
    if not scan:
        sql = f"({select}WHERE t.id = ANY({indexed}) {order})"
        return sql, [*select_params, *where_params, limit]
    assert visible is None  # a KAM's search starts from their accounts' rows
    sql = (
        f"(WITH scanned AS MATERIALIZED (SELECT ARRAY(SELECT c.id FROM "  # noqa: S608  # nosec B608
        f"(SELECT id, search_vector FROM {table} LIMIT {SCAN_ROWS}) c "
        f"WHERE ts_match_vq(c.search_vector, {query}) LIMIT {CANDIDATES}) AS ids) "
        f"{select}WHERE t.id = ANY(CASE WHEN (SELECT cardinality(ids) FROM scanned) "
        f">= {CANDIDATES} THEN (SELECT ids FROM scanned) ELSE {indexed} END) {order})"
    )
    return sql, [*query_params, *select_params, *where_params, limit]


def _hit(row: dict) -> SearchHit:
    kind = row["kind"]
    account_name = row["account_name"]
    if kind == "accounts":
        detail = [row["text1"], row["text2"], row["text3"]]
        url = reverse("account_detail", args=[row["id"]])
    elif kind == "stakeholders":
        detail = [row["text1"], account_name]
        url = reverse("account_stakeholders", args=[row["account_id"]])
    elif kind == "plans":
        period = f"{_day(row['day1'])} – {_day(row['day2'])}"
        detail = [account_name, period]
        url = reverse("plan_detail", args=[row["account_id"], row["id"]])
    elif kind == "interactions":
        detail = [account_name, InteractionKind(row["text1"]).label, _day(row["moment"])]
        url = reverse("account_timeline", args=[row["account_id"]])
    else:
        detail = [account_name, _day(row["moment"])]
        url = reverse("account_requests", args=[row["account_id"]]) + f"#request-{row['id']}"
    return SearchHit(
        kind=kind,
        pk=row["id"],
        title=marked(row["headline"]),
        detail=" · ".join(str(part) for part in detail if part),
        url=url,
        rank=row["rank"],
    )


def _day(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return date_format(value, "SHORT_DATE_FORMAT")


def global_search(user, text: str, *, per_kind: int = 5, kinds=None) -> list[SearchGroup]:
    """What `user` may see that matches `text`, grouped by kind (accounts, stakeholders,
    plans, interactions, requests, in that order), each group ranked best first, at most
    `per_kind` each; empty groups are left out. One statement (and one to set the plan's
    rule); none when the text has nothing to look for."""
    if search_query(text) is None:
        return []
    visible_accounts = accounts_for_user(user)
    if visible_accounts.query.is_empty():  # an inactive user
        return []
    # Leaders and admins see every account: nothing to check row by row.
    visible = (
        _compiled(visible_accounts.order_by().values("pk"))
        if visible_accounts.query.has_filters()
        else None
    )
    searched = [kind for kind in KINDS if kinds is None or kind.key in kinds]
    with transaction.atomic(), connection.cursor() as cursor:
        # PostgreSQL cannot estimate how many rows a prefix query matches when its words are
        # not among the most common, and under the candidates' LIMIT guesses a sequential scan
        # finds them sooner than the GIN index: 90 ms to read 40,000 requests that match
        # nothing (bench/README.md). A search starts from its index (or, for a KAM, from their
        # accounts' rows) unless the word is known to be frequent (SCAN_KINDS). No JIT: it
        # costs ~80 ms to compile what runs in 2; no parallel workers: they cost more to start
        # than these statements take (and a seqscan made costly invites them).
        cursor.execute(
            "SET LOCAL enable_seqscan = off; SET LOCAL jit = off;"
            " SET LOCAL max_parallel_workers_per_gather = 0"
        )
        frequent = _frequent_kinds(cursor, searched, text)
        # Every account visible: a frequent word is read in order. A KAM's search starts from
        # their accounts' rows for a frequent word, from the index for the others.
        parts = [
            _kind_sql(
                kind,
                text,
                visible,
                per_kind,
                scan=visible is None and kind.key in frequent,
                index_first=visible is not None
                and kind.key in INDEX_FIRST_KINDS
                and kind.key not in frequent,
            )
            for kind in searched
        ]
        sql = " UNION ALL ".join(part for part, _params in parts)
        params = [param for _part, part_params in parts for param in part_params]
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    order = {kind.key: position for position, kind in enumerate(KINDS)}
    rows.sort(key=lambda row: (order[row["kind"]], -row["rank"], row["id"]))
    groups = []
    for kind in searched:
        hits = [_hit(row) for row in rows if row["kind"] == kind.key]
        if hits:
            groups.append(SearchGroup(kind=kind.key, label=kind.label, hits=hits))
    return groups
