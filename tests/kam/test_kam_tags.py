"""The money filter: amounts in the reader's language (issue 9, Portuguese formatting)."""

from datetime import date
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from kam.dates import business_date
from kam.models import User, user_choices
from kam.templatetags.kam_tags import money, money_whole
from tests.factories import RevenueRecordFactory, UserFactory

NBSP = "\xa0"  # CLDR puts a no-break space between a Portuguese symbol and the amount


@pytest.mark.parametrize(
    ("language", "amount", "currency", "expected"),
    [
        ("pt-br", Decimal("1234.56"), "BRL", f"R${NBSP}1.234,56"),
        ("pt-br", Decimal("1234567.8"), "BRL", f"R${NBSP}1.234.567,80"),
        ("pt-br", Decimal("-99.5"), "BRL", f"-R${NBSP}99,50"),
        ("pt-br", Decimal("1234.56"), "USD", f"US${NBSP}1.234,56"),
        ("pt-br", Decimal("0"), "EUR", f"€{NBSP}0,00"),
        ("pt-br", Decimal("1234.56"), "", "1.234,56"),
        ("en", Decimal("1234.56"), "BRL", "R$1,234.56"),
        ("en", Decimal("1234567.8"), "BRL", "R$1,234,567.80"),
        ("en", Decimal("1234.56"), "USD", "$1,234.56"),
        ("en", Decimal("1234.56"), "EUR", "€1,234.56"),
        ("en", 1234, "BRL", "R$1,234.00"),
        ("en", Decimal("1234.56"), "", "1,234.56"),
    ],
)
def test_money_formats_the_amount_the_way_the_language_writes_it(
    language, amount, currency, expected
):
    with translation.override(language):
        assert money(amount, currency) == expected


@pytest.mark.parametrize(
    ("language", "amount", "currency", "expected"),
    [
        ("pt-br", Decimal("1234567.5"), "BRL", f"R${NBSP}1.234.568"),
        ("pt-br", Decimal("2.5"), "USD", f"US${NBSP}3"),  # halves round up, as floatformat does
        ("pt-br", Decimal("1234.4"), "", "1.234"),
        ("en", Decimal("1234567.5"), "BRL", "R$1,234,568"),
        ("en", Decimal("-2.5"), "USD", "-$3"),
    ],
)
def test_money_whole_rounds_to_whole_units_in_the_languages_pattern(
    language, amount, currency, expected
):
    with translation.override(language):
        assert money_whole(amount, currency) == expected


@pytest.mark.parametrize("empty", [None, ""])
def test_money_shows_a_dash_for_no_amount(empty):
    with translation.override("pt-br"):
        assert money(empty, "BRL") == "—"


def test_money_in_a_template_follows_the_active_language():
    template = Template("{% load kam_tags %}{{ amount|money:currency }}")
    context = Context({"amount": Decimal("1234.56"), "currency": "BRL"})
    with translation.override("pt-br"):
        assert template.render(context) == f"R${NBSP}1.234,56"
    with translation.override("en"):
        assert template.render(context) == "R$1,234.56"


@pytest.mark.parametrize(
    ("language", "revenue", "renewal"),
    [("pt-br", f"R${NBSP}1.234,56", "23/11/2026"), ("en", "R$1,234.56", "11/23/2026")],
)
def test_the_account_page_shows_money_and_dates_in_the_readers_format(
    client_for, kam_user, account, language, revenue, renewal
):
    kam_user.language = language
    kam_user.save()
    account.renewal_date = date(2026, 11, 23)
    account.save()
    RevenueRecordFactory(account=account, booked_on=business_date(), amount=Decimal("1234.56"))
    page = client_for(kam_user).get(reverse("account_detail", args=[account.pk])).content.decode()
    assert revenue in page  # last 12 months and lifetime
    assert renewal in page


def _options(choices, selected) -> str:
    template = Template("{% load kam_tags %}{% options choices selected %}")
    return template.render(Context({"choices": choices, "selected": selected}))


def test_options_marks_the_chosen_value_compared_as_text_and_escapes_the_labels():
    choices = [("", "Any owner"), (7, "Ana <Souza>"), (12, 'Bruno "B" & Co')]
    assert _options(choices, "12") == (
        '<option value="">Any owner</option>'
        '<option value="7">Ana &lt;Souza&gt;</option>'
        '<option value="12" selected>Bruno &quot;B&quot; &amp; Co</option>'
    )
    assert 'value="7" selected' in _options(choices, 7)  # an int is compared as its text
    assert 'value="" selected' in _options(choices, "")  # the empty choice, chosen
    assert " selected" not in _options(choices, None)  # nothing chosen: none marked
    without = Template("{% load kam_tags %}{% options choices %}")  # no value given
    assert " selected" not in without.render(Context({"choices": choices}))
    # As format_html_join did: a lazy translation drawn in the active language, HTML marked
    # safe drawn as it is, and a value escaped too (the tag joins the options as text).
    assert (
        _options([("", gettext_lazy("Any owner"))], None) == '<option value="">Any owner</option>'
    )
    assert _options([(1, format_html("<b>{}</b>", "B&"))], None) == (
        '<option value="1"><b>B&amp;</b></option>'
    )
    assert _options([('x"><script>', "X")], None) == (
        '<option value="x&quot;&gt;&lt;script&gt;">X</option>'
    )


def test_user_choices_name_people_as_they_are_shown_in_the_users_order(db):
    named = UserFactory(full_name="Bia Lima", email="bia@example.com")
    unnamed = UserFactory(full_name="", email="zed@example.com")
    first = UserFactory(full_name="Ana Reis", email="ana@example.com")
    chosen = User.objects.filter(pk__in=[named.pk, unnamed.pk, first.pk])
    assert user_choices(chosen) == [(p.pk, str(p)) for p in chosen.order_by("full_name", "email")]
    assert dict(user_choices(chosen))[unnamed.pk] == "zed@example.com"  # User.__str__
