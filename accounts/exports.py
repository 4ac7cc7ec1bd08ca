"""The accounts list as a file: the headings and rows of what /accounts/ shows (written by
kam.exports.table_response)."""

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import Account

CHUNK = 2000


def account_rows(accounts: QuerySet[Account]) -> tuple[list[str], Iterator[list]]:
    """The accounts list as filtered on /accounts/ (the view passes its queryset)."""
    headers = [
        _("id"),
        _("name"),
        _("external id"),
        _("industry"),
        _("owner"),
        _("status"),
        _("tier"),
        _("Pareto class"),
        _("health"),
        _("health band"),
        _("last touch"),
        _("renewal date"),
        _("currency"),
        _("HQ country"),
        _("parent account"),
        _("employees"),
        _("client's annual revenue (USD millions)"),
    ]
    rows = (
        [
            a.pk,
            a.name,
            a.external_id,
            a.industry,
            a.owner.email,
            a.get_status_display(),
            a.tier.name if a.tier else "",
            a.pareto_class,
            a.health_score,
            a.get_health_band_display() if a.health_band else "",
            a.last_touch_at,
            a.renewal_date,
            a.currency,
            a.hq_country,
            a.parent.name if a.parent else "",
            a.employees,
            a.annual_revenue_musd,
        ]
        for a in accounts.select_related("owner", "tier", "parent").iterator(chunk_size=CHUNK)
    )
    return headers, rows
