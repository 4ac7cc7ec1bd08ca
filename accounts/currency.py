"""Amounts in several currencies shown in one reporting currency (settings.REPORTING_CURRENCY),
with the exchange rates admins set under Configuration (accounts.ExchangeRate)."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import DecimalField, F, Func
from django.db.models.expressions import Combinable

from accounts.models import Currency, ExchangeRate

ONE = Decimal("1")


def reporting_currency() -> str:
    return settings.REPORTING_CURRENCY


@dataclass(frozen=True)
class RateInUse:
    currency: str
    rate: Decimal
    valid_from: date | None  # None for the reporting currency itself (always 1)


@dataclass(frozen=True)
class Rates:
    """The rate in force on `day` for every currency that has one; `missing` lists the
    currencies without a rate (their amounts are left out of the totals, and said so)."""

    reporting_currency: str
    day: date
    in_use: dict[str, RateInUse] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        return [c for c in Currency.values if c not in self.in_use]

    @property
    def shown(self) -> list[RateInUse]:
        """The rates other than the reporting currency's own, for the page footer."""
        return [r for c, r in sorted(self.in_use.items()) if c != self.reporting_currency]

    def convert(self, amount: Decimal, currency: str) -> Decimal | None:
        rate = self.in_use.get(currency)
        return None if rate is None else (amount * rate.rate).quantize(Decimal("0.01"))


def rates_on(day: date) -> Rates:
    """One query: the latest rate valid on `day` for each currency."""
    reporting = reporting_currency()
    latest = (
        ExchangeRate.objects.filter(valid_from__lte=day)
        .exclude(currency=reporting)
        .order_by("currency", "-valid_from")
        .distinct("currency")
        .values_list("currency", "rate", "valid_from")
    )
    in_use = {reporting: RateInUse(reporting, ONE, None)}
    for currency, rate, valid_from in latest:
        in_use[currency] = RateInUse(currency, rate, valid_from)
    return Rates(reporting_currency=reporting, day=day, in_use=in_use)


MONEY = DecimalField(max_digits=24, decimal_places=2)


class Converted(Func):
    """`amount` times the rate of its row's currency, as one expression node:
    `CASE currency WHEN 'EUR' THEN (amount) * 1.08 … ELSE NULL END`. The same CASE built of
    `When` and `Value` nodes is copied, resolved, hashed and compiled node by node wherever a
    query uses it (the dashboard builds five, the list's revenue sort one): 0.9 → 0.45 ms
    to build a list query sorted by it with three rates (bench/README.md, "Where a page is
    above its floor"). `rates` is a tuple of (currency, rate) pairs, hashable as an
    expression's arguments must be."""

    output_field = MONEY

    def __init__(self, amount, currency, *, rates: tuple[tuple[str, Decimal], ...]):
        super().__init__(amount, currency)
        self.rates = rates

    def as_sql(self, compiler, connection, **extra_context):
        if not self.rates:  # no currency to convert (a CASE needs a WHEN)
            return "NULL", ()
        amount, currency = self.get_source_expressions()
        amount_sql, amount_params = compiler.compile(amount)
        currency_sql, currency_params = compiler.compile(currency)
        sql, params = [f"CASE {currency_sql}"], [*currency_params]
        for code, rate in self.rates:
            sql.append(f"WHEN %s THEN ({amount_sql}) * %s")
            params += [code, *amount_params, rate]
        sql.append("ELSE NULL END")
        return " ".join(sql), tuple(params)


def converted(amount: str | Combinable, rates: Rates, *, currency_field: str = "currency"):
    """SQL: `amount` (a field name or expression) in the reporting currency; NULL (left out of
    sums) for a currency without a rate."""
    amount = F(amount) if isinstance(amount, str) else amount
    pairs = tuple((rate.currency, rate.rate) for rate in rates.in_use.values())
    return Converted(amount, F(currency_field), rates=pairs)
