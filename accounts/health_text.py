"""Plain-language reasons for health components, rendered in the reader's language from the
codes and parameters that accounts.scoring stores with each score."""

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

COMPONENT_LABELS = {
    "engagement": _("Engagement recency"),
    "coverage": _("Stakeholder coverage"),
    "sentiment": _("Sentiment (90 days)"),
    "satisfaction": _("Satisfaction (NPS/CSAT)"),
    "revenue_trend": _("Revenue trend"),
    "commitments": _("Commitments kept"),
    "qbr": _("QBR on cadence"),
    "risks": _("High-severity risks"),
    "renewal": _("Renewal proximity"),
    "sla": _("Response times (SLA)"),
}

TEMPLATES = {
    # A reason with a count reads singular for 1 (ngettext_lazy: the named parameter picks the
    # form). With two counts, the one that can be 1 picks it: a late touch is at least two
    # days old (it is later than a cadence of at least one day).
    "engagement_never": ngettext_lazy(
        "No interaction logged yet; this tier expects one every %(cadence)s day.",
        "No interaction logged yet; this tier expects one every %(cadence)s days.",
        "cadence",
    ),
    "engagement_on_cadence": ngettext_lazy(
        "Last interaction %(days)s day ago; this tier expects one every %(cadence)s days.",
        "Last interaction %(days)s days ago; this tier expects one every %(cadence)s days.",
        "days",
    ),
    "engagement_late": ngettext_lazy(
        "No interaction for %(days)s days; this tier expects one every %(cadence)s day.",
        "No interaction for %(days)s days; this tier expects one every %(cadence)s days.",
        "cadence",
    ),
    "coverage_none": _("No active stakeholders are mapped."),
    "coverage_ok": _("Decision maker and champion named; %(engaged)s people engaged in 90 days."),
    "coverage_single_thread": ngettext_lazy(
        "Single-threaded: %(engaged)s person engaged in 90 days.",
        "Single-threaded: %(engaged)s people engaged in 90 days.",
        "engaged",
    ),
    "sentiment": ngettext_lazy(
        "Average sentiment %(average)s over %(count)s interaction in 90 days.",
        "Average sentiment %(average)s over %(count)s interactions in 90 days.",
        "count",
    ),
    "sentiment_no_data": _("Left out: no interactions in the last 90 days to read sentiment from."),
    "satisfaction": _("Latest satisfaction %(score)s/100."),
    "satisfaction_no_data": _("Left out: no NPS or CSAT recorded in the last year."),
    "revenue_trend": _("Revenue of the last 12 months %(change_pct)s %% against the 12 before."),
    "revenue_new": _("Left out: revenue only in the last 12 months, nothing to compare with."),
    "revenue_no_data": _("Left out: no revenue recorded in the last two years."),
    "commitments": ngettext_lazy(
        "%(kept)s commitment kept in 90 days, %(overdue)s overdue.",
        "%(kept)s commitments kept in 90 days, %(overdue)s overdue.",
        "kept",
    ),
    "commitments_no_data": _("Left out: no commitments due in the last 90 days."),
    "qbr_not_tracked": _("Left out: QBRs are held with active accounts only."),
    "qbr_on_cadence": ngettext_lazy(
        "QBRs on cadence; the next is due in %(days)s day.",
        "QBRs on cadence; the next is due in %(days)s days.",
        "days",
    ),
    "qbr_overdue": ngettext_lazy(
        "QBR overdue by %(days)s day.", "QBR overdue by %(days)s days.", "days"
    ),
    # Before the first QBR: (reason code, clock basis) in reason_text.
    ("qbr_first_due", "contract_start"): ngettext_lazy(
        "No QBR held yet; counted from the contract start, the first is due in %(days)s day.",
        "No QBR held yet; counted from the contract start, the first is due in %(days)s days.",
        "days",
    ),
    ("qbr_first_due", "created"): ngettext_lazy(
        "No QBR held yet; counted from the account's creation, the first is due in %(days)s day.",
        "No QBR held yet; counted from the account's creation, the first is due in %(days)s days.",
        "days",
    ),
    ("qbr_first_overdue", "contract_start"): ngettext_lazy(
        "No QBR held yet; counted from the contract start, the first is %(days)s day overdue.",
        "No QBR held yet; counted from the contract start, the first is %(days)s days overdue.",
        "days",
    ),
    ("qbr_first_overdue", "created"): ngettext_lazy(
        "No QBR held yet; counted from the account's creation, the first is %(days)s day overdue.",
        "No QBR held yet; counted from the account's creation, the first is %(days)s days overdue.",
        "days",
    ),
    "risks_no_plan": _("Left out: no active account plan to read risks from."),
    "risks_none": _("No open high-severity risks."),
    "risks_open": ngettext_lazy(
        "%(count)s open high-severity risk.", "%(count)s open high-severity risks.", "count"
    ),
    "renewal_no_date": _("Left out: no renewal date."),
    "renewal_passed": ngettext_lazy(
        "Renewal date passed %(days)s day ago.", "Renewal date passed %(days)s days ago.", "days"
    ),
    "renewal_close": ngettext_lazy("Renewal in %(days)s day.", "Renewal in %(days)s days.", "days"),
    "renewal_far": ngettext_lazy("Renewal in %(days)s day.", "Renewal in %(days)s days.", "days"),
    "sla": ngettext_lazy(
        "%(late)s of %(responses)s request answered late and %(late_resolved)s of "
        "%(resolutions)s resolved late in 90 days (%(pct)s %% on time; targets from the tier).",
        "%(late)s of %(responses)s requests answered late and %(late_resolved)s of "
        "%(resolutions)s resolved late in 90 days (%(pct)s %% on time; targets from the tier).",
        "responses",
    ),
    "sla_pending": ngettext_lazy(
        "Left out: %(count)s request in the last 90 days, still within its targets.",
        "Left out: %(count)s requests in the last 90 days, all still within their targets.",
        "count",
    ),
    "sla_no_data": _("Left out: no client requests in the last 90 days."),
}


def reason_text(reason: dict) -> str:
    code, params = reason.get("code", ""), dict(reason.get("params") or {})
    if code == "coverage_missing":
        roles = set(params.get("roles", []))
        if roles >= {"decision_maker", "champion"}:
            return str(_("Neither a decision maker nor a champion among active stakeholders."))
        if "champion" in roles:
            return str(_("No champion among active stakeholders."))
        return str(_("No decision maker among active stakeholders."))
    if code == "coverage_departure":
        count = params.get("count", 1)
        return ngettext(
            "A key contact left and has not been replaced.",
            "%(count)s key contacts left and have not been replaced.",
            count,
        ) % {"count": count}
    if code in ("qbr_first_due", "qbr_first_overdue"):
        code = (code, params.pop("basis", "contract_start"))
    template = TEMPLATES.get(code)
    if template is None:
        return code
    sign = "+" if params.get("change_pct", 0) > 0 else ""
    # Decimals in the reader's format ("0,8" in Portuguese).
    params = {k: number_format(v) if isinstance(v, float) else v for k, v in params.items()}
    if sign:
        params["change_pct"] = sign + params["change_pct"]
    return str(template % params)


def component_label(key: str) -> str:
    return str(COMPONENT_LABELS.get(key, key))
