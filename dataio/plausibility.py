"""Values that parse but are probably wrong: a revenue a thousand times the others, a company
revenue "in USD millions" larger than any company's (currency units, not millions), a
headcount no company has. They are not rejected (they may be right) but questioned: the
preview lists them per row and field, the wizard imports only once someone ticks "Import
anyway", and `import_data` refuses without `--accept-warnings`.

One declarative table of checks per entity; the reference for "a thousand times" is the median
of the column in the file, or of the database when the file has too few values to tell."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from statistics import median

from django.db.models import Aggregate, FloatField
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import Account, RevenueRecord
from dataio.importers import CREATED, UPDATED, Planned
from plans.models import Opportunity

# A value this many times the median of its column is questioned.
RATIO = 1000
# Fewer values than this in the file: the median of the database is the reference.
MIN_SAMPLE = 3


class WarningsNotAccepted(Exception):
    """Rows with questioned values and nobody said to import them anyway."""


@dataclass(frozen=True)
class Check:
    field: str
    label: object
    # Above this the value is questioned whatever the others are, with `ceiling_message`.
    ceiling: Decimal | None = None
    ceiling_message: object = ""
    # A size below zero (deal amounts have their own rule: -1 means "no value yet").
    negative: bool = True


REVENUE_CEILING = Decimal(1_000_000)  # USD 1 trillion in millions: more than any company's
CHECKS: dict[str, tuple[Check, ...]] = {
    "accounts": (
        Check(
            "annual_revenue_musd",
            gettext_lazy("client's annual revenue (USD millions)"),
            REVENUE_CEILING,
            gettext_lazy(
                "%(field)s: %(value)s million is more than any company's revenue; is it in "
                "currency units instead of millions?"
            ),
        ),
        Check(
            "employees",
            gettext_lazy("employees"),
            Decimal(5_000_000),
            gettext_lazy("%(field)s: %(value)s is more than any company employs."),
        ),
    ),
    "deals": (Check("amount", gettext_lazy("amount"), negative=False),),
}


class Median(Aggregate):
    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _stored_median(models, field: str) -> Decimal | None:
    """The median of the positive values the database holds (one query per model)."""
    values = []
    for model in models:
        found = model.objects.filter(**{f"{field}__gt": 0}).aggregate(m=Median(field))["m"]
        if found is not None:
            values.append(Decimal(str(found)))
    return Decimal(str(median(values))) if values else None


STORED = {
    "accounts": (Account,),
    "deals": (RevenueRecord, Opportunity),
}


def _number(value) -> str:
    value = Decimal(value)
    shown = int(value) if value == value.to_integral_value() else value.normalize()
    return number_format(shown, force_grouping=True)


def check_rows(entity: str, planned: list[Planned]) -> dict[int, list[str]]:
    """{row: [what looks wrong]} for the rows that would write a questionable value."""
    flagged: dict[int, list[str]] = {}
    for check in CHECKS.get(entity, ()):
        values = [
            (p, Decimal(getattr(p.instance, check.field)))
            for p in planned
            if getattr(p.instance, check.field, None) is not None
        ]
        positive = [value for _p, value in values if value > 0]
        reference = None
        if len(positive) >= MIN_SAMPLE:
            reference = Decimal(str(median(positive)))
        elif positive:
            reference = _stored_median(STORED[entity], check.field)
        for p, value in values:
            if p.action not in (CREATED, UPDATED) or (
                p.action == UPDATED and check.field not in p.changes
            ):
                continue
            label = str(check.label)
            if check.negative and value < 0:
                message = _("%(field)s: %(value)s is below zero.") % {
                    "field": label,
                    "value": _number(value),
                }
            elif check.ceiling is not None and value > check.ceiling:
                message = str(check.ceiling_message) % {"field": label, "value": _number(value)}
            elif reference and value >= reference * RATIO:
                message = _(
                    "%(field)s: %(value)s is %(times)s times the median of the others "
                    "(%(median)s); is it in the right unit?"
                ) % {
                    "field": label,
                    "value": _number(value),
                    "times": _number(int(value / reference)),
                    "median": _number(reference.normalize()),
                }
            else:
                continue
            flagged.setdefault(p.row, []).append(message)
    return flagged


def flagged_outcomes(outcomes: list[dict]) -> list[dict]:
    """The rows of a preview or result with questioned values."""
    return [outcome for outcome in outcomes if outcome.get("warnings")]


def require_acceptance(outcomes: list[dict], *, accepted: bool) -> None:
    flagged = flagged_outcomes(outcomes)
    if flagged and not accepted:
        raise WarningsNotAccepted(
            ngettext(
                "%(count)s row has values that look wrong. Correct the file, or import anyway "
                "if they are right.",
                "%(count)s rows have values that look wrong. Correct the file, or import "
                "anyway if they are right.",
                len(flagged),
            )
            % {"count": len(flagged)}
        )
