"""accounts.currency.converted: the reporting currency in SQL, as Rates.convert gives it in
Python, for a field and for an expression, and NULL for a currency without a rate."""

from datetime import date
from decimal import Decimal

from django.db.models import F, Sum

from accounts.currency import Converted, converted, rates_on
from accounts.models import Account, ExchangeRate
from tests.factories import AccountFactory

DAY = date(2026, 6, 1)


def test_converted_amounts_match_the_rates_in_python_and_a_currency_without_a_rate_is_null(db):
    ExchangeRate.objects.create(currency="USD", rate=Decimal("5.1234"), valid_from=date(2026, 1, 1))
    ExchangeRate.objects.create(currency="USD", rate=Decimal("9"), valid_from=date(2026, 7, 1))
    amounts = {
        "BRL": Decimal("1000.50"),
        "USD": Decimal("333.33"),
        "EUR": Decimal("70.00"),  # no EUR rate: left out
    }
    for currency, amount in amounts.items():
        AccountFactory(currency=currency, revenue_last_12m=amount, employees=40)
    rates = rates_on(DAY)
    assert rates.missing == ["EUR"]

    rows = Account.objects.annotate(
        revenue=converted("revenue_last_12m", rates),
        per_head=converted(F("revenue_last_12m") / F("employees"), rates),
        # An amount with parameters of its own, as the weighted pipeline's (amount × probability
        # / 100): they come in its place in each WHEN.
        weighted=converted(F("revenue_last_12m") * F("employees") / 100, rates),
    ).values_list("currency", "revenue", "per_head", "weighted")
    found = {currency: tuple(values) for currency, *values in rows}

    assert found["EUR"] == (None, None, None)
    for currency in ("BRL", "USD"):
        revenue, per_head, weighted = found[currency]
        amount = amounts[currency]
        assert revenue.quantize(Decimal("0.01")) == rates.convert(amount, currency)
        assert per_head.quantize(Decimal("0.01")) == rates.convert(amount / 40, currency)
        assert weighted.quantize(Decimal("0.01")) == rates.convert(amount * 40 / 100, currency)
    # Summed, the currency without a rate adds nothing (NULL), as the dashboard's totals say.
    total = Account.objects.aggregate(total=Sum(converted("revenue_last_12m", rates)))["total"]
    assert total.quantize(Decimal("0.01")) == (
        rates.convert(amounts["BRL"], "BRL") + rates.convert(amounts["USD"], "USD")
    )
    # The rate in force on the day, not a later one.
    assert found["USD"][0] == Decimal("333.33") * Decimal("5.1234")


def test_with_no_rate_at_all_every_amount_is_null(db):
    AccountFactory(currency="BRL", revenue_last_12m=Decimal("10"))
    none = Converted(F("revenue_last_12m"), F("currency"), rates=())
    assert list(Account.objects.annotate(r=none).values_list("r", flat=True)) == [None]
