"""The dashboard's tables as header + rows (for the CSV/XLSX exports, through kam.exports) and
its charts as JSON-ready data. Both read a PortfolioSummary: the rows are the page's rows."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import HealthBand
from insights.portfolio import BANDS, PortfolioSummary, SlaRow
from insights.sla import WINDOWS

# The tables with a row per KAM: a cached dashboard keeps only the rows the page draws.
KAM_TABLES = ("load", "sla-kams")

PORTFOLIO_TABLES = {
    "tiers": gettext_lazy("Accounts and health by tier"),
    "pareto": gettext_lazy("Revenue concentration"),
    "trend": gettext_lazy("Portfolio health by month"),
    "at-risk": gettext_lazy("At-risk accounts"),
    "renewals": gettext_lazy("Renewals"),
    "opportunities": gettext_lazy("Top opportunities"),
    "load": gettext_lazy("Load per KAM"),
    "sla-tiers": gettext_lazy("SLA compliance by tier"),
    "sla-kams": gettext_lazy("SLA compliance by KAM"),
}


def portfolio_table(summary: PortfolioSummary, table: str) -> tuple[list[str], list[list]]:
    """The headings and rows of one dashboard table (KeyError for an unknown table)."""
    return _TABLE_ROWS[table](summary)


def _tiers_table(summary: PortfolioSummary) -> tuple[list[str], list[list]]:
    money = summary.rates.reporting_currency
    band_labels = dict(HealthBand.choices)
    headers = [
        _("Tier"),
        _("Accounts"),
        *(str(band_labels[band]) for band in BANDS),
        _("Revenue, last 12 months (%(currency)s)") % {"currency": money},
    ]
    rows = [
        [
            row.name,
            row.accounts.value,
            *(row.bands[band].value for band in BANDS),
            row.revenue,
        ]
        for row in summary.tiers
    ]
    return headers, rows


def _pareto_table(summary: PortfolioSummary) -> tuple[list[str], list[list]]:
    money = summary.rates.reporting_currency
    headers = [
        _("Accounts (rank by revenue)"),
        _("Number of accounts"),
        _("Revenue, last 12 months (%(currency)s)") % {"currency": money},
        _("Cumulative share of revenue (%)"),
        _("Class"),
    ]
    rows = [
        [bar.label, bar.accounts, bar.revenue, bar.cumulative_pct, bar.band]
        for bar in summary.pareto
    ]
    return headers, rows


def _trend_table(summary: PortfolioSummary) -> tuple[list[str], list[list]]:
    headers = [_("Month"), _("Median health score"), _("Share at risk (%)"), _("Scored")]
    rows = [
        [point.month.strftime("%Y-%m"), point.median, point.at_risk_pct, point.scored]
        for point in summary.trend
    ]
    return headers, rows


def _at_risk_table(summary: PortfolioSummary) -> tuple[list[str], list[list]]:
    money = summary.rates.reporting_currency
    headers = [
        _("Account"),
        _("Owner"),
        _("Tier"),
        _("Health score"),
        _("Revenue, last 12 months (%(currency)s)") % {"currency": money},
        _("Top reasons"),
    ]
    rows = [
        [
            row.account.name,
            row.account.owner.full_name,
            str(row.account.tier or ""),
            row.account.health_score,
            row.revenue,
            " / ".join(f"{r['label']}: {r['reason']}" for r in row.reasons),
        ]
        for row in summary.at_risk_rows
    ]
    return headers, rows


def _renewals_table(summary: PortfolioSummary) -> tuple[list[str], list[list]]:
    money = summary.rates.reporting_currency
    headers = [
        _("Account"),
        _("Owner"),
        _("Tier"),
        _("Renewal date"),
        _("Health score"),
        _("Revenue, last 12 months (%(currency)s)") % {"currency": money},
    ]
    rows = [
        [
            row.account.name,
            row.account.owner.full_name,
            str(row.account.tier or ""),
            row.account.renewal_date,
            row.account.health_score,
            row.revenue,
        ]
        for row in summary.renewal_rows
    ]
    return headers, rows


def _opportunities_table(summary: PortfolioSummary) -> tuple[list[str], list[list]]:
    money = summary.rates.reporting_currency
    headers = [
        _("Opportunity"),
        _("Account"),
        _("Stage"),
        _("Probability (%)"),
        _("Amount"),
        _("Currency"),
        _("Amount (%(currency)s)") % {"currency": money},
        _("Weighted (%(currency)s)") % {"currency": money},
        _("Expected close"),
    ]
    rows = [
        [
            row.opportunity.title,
            row.opportunity.plan.account.name,
            row.opportunity.get_stage_display(),
            row.opportunity.probability,
            row.opportunity.amount,
            row.opportunity.currency,
            row.amount,
            row.weighted,
            row.opportunity.expected_close,
        ]
        for row in summary.opportunity_rows
    ]
    return headers, rows


def _load_table(summary: PortfolioSummary) -> tuple[list[str], list[list]]:
    tiers = {row.tier_id: row.name for row in summary.tiers if row.tier_id}
    cells = summary.load[0].cells if summary.load else []
    headers = [
        _("KAM"),
        _("Accounts"),
        *(
            _("%(tier)s (max %(max)s)") % {"tier": tiers.get(c.tier_id, ""), "max": c.max}
            for c in cells
        ),
        _("Over the tier policy"),
    ]
    rows = [
        [
            row.name,
            row.accounts.value,
            *(cell.accounts.value for cell in row.cells),
            ", ".join(row.over),
        ]
        for row in summary.load
    ]
    return headers, rows


def _sla_table(first_heading: str, rows: list[SlaRow]) -> tuple[list[str], list[list]]:
    headers = [first_heading]
    for days in WINDOWS:
        values = {"days": days}
        headers += [
            _("Requests, %(days)s days") % values,
            _("First response on time, %(days)s days (%%)") % values,
            _("First responses met, %(days)s days") % values,
            _("First responses missed, %(days)s days") % values,
            _("Resolution on time, %(days)s days (%%)") % values,
            _("Resolutions met, %(days)s days") % values,
            _("Resolutions missed, %(days)s days") % values,
        ]
    table = []
    for row in rows:
        cells = [row.name]
        for window, _url in row.window_cells:
            first, resolution = window.first_response, window.resolution
            cells += [
                window.requests,
                first.pct,
                first.met,
                first.missed,
                resolution.pct,
                resolution.met,
                resolution.missed,
            ]
        table.append(cells)
    return headers, table


def _sla_tiers_table(summary: PortfolioSummary) -> tuple[list[str], list[list]]:
    return _sla_table(_("Tier"), summary.sla_tiers)


def _sla_kams_table(summary: PortfolioSummary) -> tuple[list[str], list[list]]:
    return _sla_table(_("KAM"), summary.sla_kams)


# One function per dashboard table; the key is the table's name in the export URL.
_TABLE_ROWS = {
    "tiers": _tiers_table,
    "pareto": _pareto_table,
    "trend": _trend_table,
    "at-risk": _at_risk_table,
    "renewals": _renewals_table,
    "opportunities": _opportunities_table,
    "load": _load_table,
    "sla-tiers": _sla_tiers_table,
    "sla-kams": _sla_kams_table,
}


def portfolio_chart_data(summary: PortfolioSummary) -> dict:
    """What static/js/portfolio_charts.js draws (numbers as floats, labels translated)."""
    band_labels = dict(HealthBand.choices)
    tiers = summary.tiers
    return {
        "currency": summary.rates.reporting_currency,
        "pareto": {
            "labels": [bar.label for bar in summary.pareto],
            "revenue": [float(bar.revenue) for bar in summary.pareto],
            "cumulative": [bar.cumulative_pct for bar in summary.pareto],
            "bands": [bar.band for bar in summary.pareto],
            "revenue_label": _("Revenue (%(currency)s)")
            % {"currency": summary.rates.reporting_currency},
            "cumulative_label": _("Cumulative share (%)"),
        },
        "tiers": {
            "labels": [row.name for row in tiers],
            "series": [
                {
                    "band": band,
                    "label": str(band_labels[band]),
                    "data": [row.bands[band].value for row in tiers],
                }
                for band in BANDS
            ],
        },
        "trend": {
            "labels": [point.month.strftime("%Y-%m") for point in summary.trend],
            "median": [point.median for point in summary.trend],
            "at_risk": [point.at_risk_pct for point in summary.trend],
            "median_label": _("Median health score"),
            "at_risk_label": _("Share at risk (%)"),
        },
        "sla": {
            "labels": [row.name for row in summary.sla_tiers],
            "series": [
                {
                    "clock": clock,
                    "days": days,
                    "label": label % {"days": days},
                    "data": [getattr(row.windows[days], clock).pct for row in summary.sla_tiers],
                }
                for clock, label in (
                    ("first_response", _("First response on time, %(days)s days (%%)")),
                    ("resolution", _("Resolution on time, %(days)s days (%%)")),
                )
                for days in WINDOWS
            ],
        },
    }
