"""Writing to and reading from the account timeline (TimelineEntry)."""

from datetime import datetime

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection, transaction
from django.db.models import OuterRef, Q, QuerySet

from accounts.models import TIMELINE_FILTERS, Account, Stakeholder, TimelineEntry, TimelineKind

PAGE_SIZE = 20

# The columns activities/partials/timeline_items.html draws, of the entry and each row it links
# (str() of a user reads full_name or email; a playbook's display_name and trigger_text read
# key, name, trigger, band and days). Every column of the eleven joined tables made the
# statement return about 180 columns a row; the query count test renders every kind of entry,
# so a column the template reads and this leaves out fails it (one query per row).
ENTRY_COLUMNS = (
    "account_id", "kind", "occurred_at",
    "actor__full_name", "actor__email",
    "interaction__kind", "interaction__summary", "interaction__sentiment",
    "interaction__category", "interaction__notes",
    "interaction__logged_by__full_name", "interaction__logged_by__email",
    "commitment__title", "commitment__due_date", "commitment__status",
    "commitment__owner_user__full_name", "commitment__owner_user__email",
    "commitment__owner_stakeholder__name",
    "stakeholder__name", "stakeholder__buying_role", "stakeholder__title",
    "milestone__title", "milestone__description",
    "qbr__scheduled_on", "qbr__rating", "qbr__outcome",
    "client_request__subject", "client_request__channel", "client_request__priority",
    "playbook_firing__playbook__key", "playbook_firing__playbook__name",
    "playbook_firing__playbook__trigger", "playbook_firing__playbook__band",
    "playbook_firing__playbook__days",
)  # fmt: skip


def timeline_record(
    *,
    account: Account,
    kind: TimelineKind,
    occurred_at: datetime,
    actor=None,
    interaction=None,
    commitment=None,
    stakeholder=None,
    milestone=None,
    qbr=None,
    client_request=None,
    playbook_firing=None,
) -> TimelineEntry:
    return TimelineEntry.objects.create(
        account=account,
        kind=kind,
        occurred_at=occurred_at,
        actor=actor,
        interaction=interaction,
        commitment=commitment,
        stakeholder=stakeholder,
        milestone=milestone,
        qbr=qbr,
        client_request=client_request,
        playbook_firing=playbook_firing,
    )


def timeline_record_many(entries: list[dict]) -> list[TimelineEntry]:
    """timeline_record for many rows (each dict holds its keywords), in batched INSERTs."""
    return TimelineEntry.objects.bulk_create(
        [TimelineEntry(**entry) for entry in entries], batch_size=1000
    )


def timeline_page(
    account: Account, *, kind_filter: str = "", before: tuple[datetime, int] | None = None
) -> tuple[list[TimelineEntry], tuple[datetime, int] | None]:
    """One page, newest first, and the cursor for the next page (None when there is none).

    One query whatever the history: the entries with their linked rows and the names of the
    people at each interaction (with_people)."""
    entries: QuerySet[TimelineEntry] = TimelineEntry.objects.filter(account=account)
    if kind_filter in TIMELINE_FILTERS:
        entries = entries.filter(kind__in=TIMELINE_FILTERS[kind_filter])
    if before is not None:
        occurred_at, pk = before
        entries = entries.filter(
            Q(occurred_at__lt=occurred_at) | Q(occurred_at=occurred_at, pk__lt=pk)
        )
    rows = _in_written_join_order(
        entries.select_related(
            "actor",
            "interaction",
            "interaction__logged_by",
            "commitment",
            "commitment__owner_user",
            "commitment__owner_stakeholder",
            "stakeholder",
            "milestone",
            "qbr",
            "client_request",
            "playbook_firing__playbook",
        )
        .only(*ENTRY_COLUMNS)
        .annotate(people=with_people())
        .order_by("-occurred_at", "-pk")[: PAGE_SIZE + 1]
    )
    has_more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    cursor = (rows[-1].occurred_at, rows[-1].pk) if has_more else None
    return rows, cursor


def with_people() -> ArraySubquery:
    """The names of the people present at an entry's interaction, by name (`people`, which
    activities.templatetags.timeline_tags draws): an array column of the entries' statement,
    where prefetching the interactions' stakeholders was a second statement on every page of
    the timeline (1 ms of the account page's, timeline's and quick log's, bench/README.md)."""
    return ArraySubquery(
        Stakeholder.objects.filter(interactions=OuterRef("interaction_id"))
        .order_by("name", "pk")
        .values("name")
    )


def _in_written_join_order(queryset: QuerySet) -> list:
    """The rows of `queryset`, planned with its joins in the order written.

    The page's entries come with eleven LEFT JOINs to the rows they link (each entry links at
    most one row of each): PostgreSQL spent 10 ms searching join orders for a statement that
    runs in under 1 ms, on every account page, timeline page and quick log. Entries first,
    then what they point at by primary key, is the only sensible order, so the search is
    switched off for this statement alone (join_collapse_limit = 1: 1.1 ms of planning). SET
    LOCAL ends with the transaction; RESET ends it at once when a caller's transaction goes
    on. No savepoint: a failure here aborts the caller's transaction, setting included."""
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute("SET LOCAL join_collapse_limit = 1")
        rows = list(queryset)
        cursor.execute("RESET join_collapse_limit")
    return rows


PERSON_INTERACTIONS = 5


def stakeholder_last_interactions(
    stakeholder: Stakeholder, limit: int = PERSON_INTERACTIONS
) -> list[TimelineEntry]:
    """The timeline's interaction entries the person was present at, newest first (one query:
    the entries with their interaction, who logged it and everyone present, with_people)."""
    return list(
        TimelineEntry.objects.filter(
            account_id=stakeholder.account_id,
            kind=TimelineKind.INTERACTION,
            interaction__stakeholders=stakeholder,
        )
        .select_related("interaction", "interaction__logged_by")
        .annotate(people=with_people())
        .order_by("-occurred_at", "-pk")[:limit]
    )
