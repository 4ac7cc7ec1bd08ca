"""What each list exports: the column headings and the rows, read through the access selectors
(accounts_for_user / get_account_for_user) so an export never holds more than its page shows.
Files are written by kam.exports.table_response."""

from __future__ import annotations

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Stakeholder
from accounts.selectors import on_accounts_for_user
from activities.models import (
    ClientRequest,
    Commitment,
    CommitmentEvent,
    CommitmentStatus,
    Interaction,
)
from activities.selectors import REQUEST_FILTERS
from plans.models import Opportunity

CHUNK = 2000


def _scope(rows: QuerySet, user, account: Account | None, via: str = "account") -> QuerySet:
    """`rows` on the accounts `user` sees, or on the one of them asked for (access decided by
    the selector either way)."""
    visible = on_accounts_for_user(rows, user, via=via)
    return visible.filter(**{f"{via}_id": account.pk}) if account else visible


def stakeholder_rows(user, *, account: Account | None = None):
    headers = [
        _("id"),
        _("account"),
        _("name"),
        _("job title"),
        _("department"),
        _("email"),
        _("phone"),
        _("buying role"),
        _("influence"),
        _("stance"),
        _("reports to"),
        _("primary contact"),
        _("left the company on"),
        _("last interaction"),
        _("external id"),
    ]
    stakeholders = (
        _scope(Stakeholder.objects.all(), user, account)
        .select_related("account", "reports_to")
        .order_by("account__name", "name", "pk")
    )
    rows = (
        [
            s.pk,
            s.account.name,
            s.name,
            s.title,
            s.department,
            s.email,
            s.phone,
            s.get_buying_role_display(),
            s.influence,
            s.get_stance_display(),
            s.reports_to.name if s.reports_to else "",
            s.is_primary,
            s.left_on,
            s.last_interaction_at,
            s.external_id,
        ]
        for s in stakeholders.iterator(chunk_size=CHUNK)
    )
    return headers, rows


def interaction_rows(user, *, account: Account | None = None, kind: str = ""):
    headers = [
        _("id"),
        _("account"),
        _("date"),
        _("type"),
        _("summary"),
        _("notes"),
        _("sentiment"),
        _("category"),
        _("logged by"),
        _("stakeholders present"),
        _("external id"),
    ]
    interactions = (
        _scope(Interaction.objects.all(), user, account)
        .select_related("account", "logged_by")
        .prefetch_related(
            Prefetch("stakeholders", queryset=Stakeholder.objects.order_by("name").only("name"))
        )
        .order_by("-occurred_at", "-pk")
    )
    if kind:
        interactions = interactions.filter(kind=kind)
    rows = (
        [
            i.pk,
            i.account.name,
            i.occurred_at,
            i.get_kind_display(),
            i.summary,
            i.notes,
            i.get_sentiment_display(),
            i.get_category_display(),
            i.logged_by.email if i.logged_by else "",
            "; ".join(s.name for s in i.stakeholders.all()),
            i.external_id,
        ]
        for i in interactions.iterator(chunk_size=CHUNK)
    )
    return headers, rows


def commitment_rows(user, *, account: Account | None = None, status: str = ""):
    headers = [
        _("id"),
        _("account"),
        _("what"),
        _("owner"),
        _("due date"),
        _("status"),
        _("client side"),
        _("source"),
        _("from interaction"),
        _("account plan"),
        _("done at"),
        _("last reason given"),
    ]
    # Every agreed item (commitments, plan actions, QBR next steps, playbook steps), with the
    # reason of its latest reschedule or cancellation.
    last_reason = (
        CommitmentEvent.objects.filter(commitment=OuterRef("pk"))
        .exclude(reason="")
        .filter(verb__in=["rescheduled", "cancelled", "reopened"])
        .order_by("-at", "-pk")
        .values("reason")[:1]
    )
    commitments = (
        _scope(Commitment.objects.all(), user, account)
        .select_related("account", "owner_user", "owner_stakeholder", "source_interaction", "plan")
        .annotate(last_reason=Subquery(last_reason))
        .order_by("due_date", "pk")
    )
    if status in CommitmentStatus.values:
        commitments = commitments.filter(status=status)
    rows = (
        [
            c.pk,
            c.account.name,
            c.title,
            str(c.owner_user or c.owner_stakeholder or ""),
            c.due_date,
            c.get_status_display(),
            _("yes") if c.owner_stakeholder_id else _("no"),
            c.get_source_display(),
            c.source_interaction.summary if c.source_interaction else "",
            c.plan.title if c.plan else "",
            c.done_at,
            c.last_reason or "",
        ]
        for c in commitments.iterator(chunk_size=CHUNK)
    )
    return headers, rows


def opportunity_rows(user, *, account: Account | None = None, plan_id: int | None = None):
    headers = [
        _("id"),
        _("account"),
        _("plan"),
        _("title"),
        _("kind"),
        _("product"),
        _("amount"),
        _("currency"),
        _("probability (%)"),
        _("weighted value"),
        _("stage"),
        _("owner"),
        _("expected close"),
        _("external id"),
    ]
    opportunities = (
        _scope(Opportunity.objects.all(), user, account, via="plan__account")
        .select_related("plan__account", "product", "owner")
        .order_by("plan__account__name", "expected_close", "pk")
    )
    if plan_id:
        opportunities = opportunities.filter(plan_id=plan_id)
    rows = (
        [
            o.pk,
            o.plan.account.name,
            o.plan.title,
            o.title,
            o.get_kind_display(),
            o.product.name if o.product else "",
            o.amount,
            o.currency,
            o.probability,
            o.weighted_value,
            o.get_stage_display(),
            o.owner.email,
            o.expected_close,
            o.external_id,
        ]
        for o in opportunities.iterator(chunk_size=CHUNK)
    )
    return headers, rows


def request_rows(user, *, account: Account | None = None, status: str = ""):
    """Client requests with their SLA clocks; `status` as the Requests tab's filter (open,
    awaiting, answered, resolved; anything else: all)."""
    headers = [
        _("id"),
        _("account"),
        _("subject"),
        _("requested by"),
        _("channel"),
        _("priority"),
        _("received at"),
        _("owner"),
        _("status"),
        _("first response due"),
        _("first response at"),
        _("first response on time"),
        _("resolution due"),
        _("resolved at"),
        _("resolved on time"),
        _("SLA breached"),
    ]
    now = timezone.now()
    requests = (
        _scope(ClientRequest.objects.all(), user, account)
        .select_related("account", "owner", "requester")
        .order_by("-received_at", "-pk")
    )
    if status == "open":
        requests = requests.open()
    elif status in REQUEST_FILTERS and status != "all":
        requests = requests.in_status(status)
    rows = (
        [
            r.pk,
            r.account.name,
            r.subject,
            r.requester.name if r.requester else "",
            r.get_channel_display(),
            r.get_priority_display(),
            r.received_at,
            r.owner.email,
            r.get_status_display(),
            r.first_response_due_at,
            r.first_response_at,
            r.first_response_met if r.first_response_at else None,
            r.resolution_due_at,
            r.resolved_at,
            r.resolution_met if r.resolved_at else None,
            r.is_breached(now),
        ]
        for r in requests.iterator(chunk_size=CHUNK)
    )
    return headers, rows
