"""The global search ("find anything", Ctrl/⌘-K and /search/): accounts, stakeholders, plans,
interactions and client requests the user may see, ranked by full-text relevance.

How a text becomes a query and how the stored vectors are built: kam/search.py. One query
per kind, whatever the data size: the rows of the accounts `accounts_for_user` returns (the
one access rule) that match, ranked with ts_rank, with the matched words highlighted by
ts_headline on the returned rows only.

Speed: ranking reads every matching row's vector, and a short prefix ("ne") matches a large
share of a million interactions. So each kind ranks at most `CANDIDATES` matching rows,
the first the GIN index gives; a query that matches fewer (any query of two words or more,
or a name) is ranked over all its matches. bench/search.py measures it at 20,000 accounts."""

from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Stakeholder
from accounts.selectors import accounts_for_user
from activities.models import ClientRequest, Interaction
from kam.search import PORTUGUESE, START, STOP, marked, search_query
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


KINDS = [
    SearchKind("accounts", _("Accounts"), Account, "name"),
    SearchKind("stakeholders", _("Stakeholders"), Stakeholder, "name"),
    SearchKind("plans", _("Account plans"), AccountPlan, "title"),
    SearchKind("interactions", _("Interactions"), Interaction, "summary"),
    SearchKind("requests", _("Client requests"), ClientRequest, "subject"),
]
KIND_KEYS = [kind.key for kind in KINDS]


def _ranked(kind: SearchKind, visible: QuerySet, query: SearchQuery, limit: int) -> QuerySet:
    model = kind.model
    if model is Account:
        rows = visible
    elif visible.query.has_filters():
        rows = model.objects.filter(account__in=visible)
    else:
        # Leaders and admins see every account: nothing to check row by row.
        rows = model.objects.all()
    candidates = rows.filter(search_vector=query).order_by().values("pk")[:CANDIDATES]
    ranked = model.objects.filter(pk__in=candidates).annotate(
        rank=SearchRank(F("search_vector"), query),
        # Computed by PostgreSQL after the sort, for the returned rows only.
        headline=SearchHeadline(
            kind.title_field,
            query,
            config=PORTUGUESE,
            start_sel=START,
            stop_sel=STOP,
            highlight_all=True,
        ),
    )
    if model is not Account:
        ranked = ranked.annotate(
            account_name=Subquery(Account.objects.filter(pk=OuterRef("account_id")).values("name"))
        )
    fields = ("pk", kind.title_field, *_DETAIL_FIELDS[kind.key])
    return ranked.only(*fields).order_by("-rank", "pk")[:limit]


_DETAIL_FIELDS = {
    "accounts": ("legal_name", "tax_id", "hq_city"),
    "stakeholders": ("account_id", "title"),
    "plans": ("account_id", "period_start", "period_end"),
    "interactions": ("account_id", "kind", "occurred_at"),
    "requests": ("account_id", "received_at"),
}


def _hit(kind: str, row) -> SearchHit:
    if kind == "accounts":
        detail = [row.legal_name, row.tax_id, row.hq_city]
        url = reverse("account_detail", args=[row.pk])
    elif kind == "stakeholders":
        detail = [row.title, row.account_name]
        url = reverse("account_stakeholders", args=[row.account_id])
    elif kind == "plans":
        period = f"{date_format(row.period_start, 'SHORT_DATE_FORMAT')} – "
        period += date_format(row.period_end, "SHORT_DATE_FORMAT")
        detail = [row.account_name, period]
        url = reverse("plan_detail", args=[row.account_id, row.pk])
    elif kind == "interactions":
        detail = [
            row.account_name,
            row.get_kind_display(),
            date_format(row.occurred_at, "SHORT_DATE_FORMAT"),
        ]
        url = reverse("account_timeline", args=[row.account_id])
    else:
        detail = [row.account_name, date_format(row.received_at, "SHORT_DATE_FORMAT")]
        url = reverse("account_requests", args=[row.account_id]) + f"#request-{row.pk}"
    return SearchHit(
        kind=kind,
        pk=row.pk,
        title=marked(row.headline),
        detail=" · ".join(str(part) for part in detail if part),
        url=url,
        rank=row.rank,
    )


def global_search(user, text: str, *, per_kind: int = 5, kinds=None) -> list[SearchGroup]:
    """What `user` may see that matches `text`, grouped by kind (accounts, stakeholders,
    plans, interactions, requests, in that order), each group ranked best first, at most
    `per_kind` each; empty groups are left out. One query per kind searched (and one to set
    the plan's rule); none when the text has nothing to look for."""
    query = search_query(text)
    if query is None:
        return []
    visible = accounts_for_user(user)
    groups = []
    with transaction.atomic(), connection.cursor() as cursor:
        # PostgreSQL cannot estimate how many rows a prefix query matches and, under the
        # candidates' LIMIT, guesses a sequential scan finds them sooner than the GIN index:
        # 90 ms to read 40,000 requests that match nothing (bench/README.md). A search always
        # starts from its index (or, for a KAM, from their accounts' rows).
        cursor.execute("SET LOCAL enable_seqscan = off")
        for kind in KINDS:
            if kinds is not None and kind.key not in kinds:
                continue
            hits = [_hit(kind.key, row) for row in _ranked(kind, visible, query, per_kind)]
            if hits:
                groups.append(SearchGroup(kind=kind.key, label=kind.label, hits=hits))
    return groups
