"""One date range (kam.dates) on every write path: the web forms and the API refuse 9999-12-31
and 1900-01-01 with the field named and write nothing (the importer: tests/dataio/
test_importer_rules.py); the database refuses them too; and the largest date allowed breaks no
page, feed or job."""

from datetime import UTC, date, datetime, timedelta
from datetime import timezone as timezone_of

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from accounts.models import Account
from activities.models import QBR, Commitment
from activities.services import calendar_token_regenerate, qbr_schedule
from insights.services import health_recompute_all
from kam.dates import EARLIEST, LATEST, business_date, date_in_range, datetime_in_range
from plans.models import AccountPlan
from tests.factories import CommitmentFactory

OUT_OF_RANGE = ["9999-12-31", "1900-01-01"]


def test_the_range_is_1990_to_2100_inclusive():
    date_in_range(EARLIEST)
    date_in_range(LATEST)
    datetime_in_range(datetime(2100, 12, 31, 12, 0, tzinfo=UTC))
    for day in (date(1989, 12, 31), date(2101, 1, 1)):
        with pytest.raises(ValidationError) as refused:
            date_in_range(day)
        assert "1990-01-01" in refused.value.messages[0]
        assert "2100-12-31" in refused.value.messages[0]


def test_the_database_refuses_a_date_out_of_range_even_without_the_services(account):
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(contract_start=date(9999, 12, 31))


def test_the_database_refuses_a_renewal_before_the_contract_start(account):
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(
            contract_start=date(2026, 1, 1), renewal_date=date(2025, 1, 1)
        )


# --- the web forms --------------------------------------------------------------------------


def _written():
    """What the refused writes would have changed."""
    return (
        list(Account.objects.order_by("pk").values_list("contract_start", "renewal_date")),
        Commitment.objects.count(),
        QBR.objects.count(),
        AccountPlan.objects.count(),
    )


def _account_form(account, **changes) -> dict:
    return {
        "name": account.name,
        "currency": account.currency,
        "status": account.status,
        "owner": account.owner_id,
        "version": account.version,
        **changes,
    }


FORM_CASES = {
    "contract_start": ("account_edit", "form", lambda a: _account_form(a), "contract_start"),
    "renewal_date": ("account_edit", "form", lambda a: _account_form(a), "renewal_date"),
    "commitment due date": (
        "account_commitments",
        "form",
        lambda a: {"title": "Send the deck", "owner": f"u{a.owner_id}"},
        "due_date",
    ),
    "QBR date": ("account_qbrs", "form", lambda a: {}, "scheduled_on"),
    "plan period": (
        "plan_create",
        "form",
        lambda a: {"title": "Plan", "period_start": "2026-01-01", "period_end": "2026-12-31"},
        "period_end",
    ),
}


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("case", FORM_CASES)
def test_a_web_form_refuses_a_date_out_of_range_and_writes_nothing(
    client_for, kam_user, account, now, case, value
):
    url_name, context_name, data, field = FORM_CASES[case]
    before = _written()
    response = client_for(kam_user).post(
        reverse(url_name, args=[account.pk]), {**data(account), field: value}
    )
    assert response.status_code == 422
    errors = response.context[context_name].errors
    assert "1990-01-01" in " ".join(errors[field])
    assert _written() == before


def test_a_web_form_refuses_a_renewal_before_the_contract_start(client_for, kam_user, account):
    response = client_for(kam_user).post(
        reverse("account_edit", args=[account.pk]),
        _account_form(account, contract_start="2026-01-01", renewal_date="2025-12-31"),
    )
    assert response.status_code == 422
    assert response.context["form"].errors["renewal_date"] == [
        "The renewal date cannot be before the contract start."
    ]
    assert Account.objects.get(pk=account.pk).contract_start is None


def test_date_inputs_offer_only_the_range(client_for, kam_user, account):
    page = client_for(kam_user).get(reverse("account_edit", args=[account.pk])).content.decode()
    assert 'name="contract_start"' in page
    assert 'min="1990-01-01"' in page
    assert 'max="2100-12-31"' in page


# --- the API ----------------------------------------------------------------------------------


API_CASES = {
    "contract_start": ("post", "/api/v1/accounts/", lambda a: {"name": "Nova"}, "contract_start"),
    "renewal_date": (
        "patch",
        "/api/v1/accounts/{pk}/",
        lambda a: {"version": a.version},
        "renewal_date",
    ),
    "commitment due date": (
        "post",
        "/api/v1/commitments/",
        lambda a: {"account": a.pk, "title": "Deck", "owner_user": a.owner_id},
        "due_date",
    ),
    "QBR date": ("post", "/api/v1/qbrs/", lambda a: {"account": a.pk}, "scheduled_on"),
    "plan period": (
        "post",
        "/api/v1/plans/",
        lambda a: {"account": a.pk, "title": "P", "period_start": "2026-01-01"},
        "period_end",
    ),
}


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("case", API_CASES)
def test_the_api_refuses_a_date_out_of_range_with_a_400_naming_the_field(
    kam_user, account, now, case, value
):
    method, url, data, field = API_CASES[case]
    api = APIClient()
    api.force_authenticate(kam_user)
    before = _written()
    response = getattr(api, method)(
        url.format(pk=account.pk), {**data(account), field: value}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert "1990-01-01" in " ".join(response.json()[field])
    assert _written() == before


def test_the_api_refuses_a_renewal_before_the_contract_start(kam_user, account):
    api = APIClient()
    api.force_authenticate(kam_user)
    response = api.patch(
        f"/api/v1/accounts/{account.pk}/",
        {"version": account.version, "contract_start": "2026-01-01", "renewal_date": "2025-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "renewal_date": ["The renewal date cannot be before the contract start."]
    }


# --- the largest date allowed -----------------------------------------------------------------


def test_the_last_day_allowed_breaks_no_page_feed_or_job(client, client_for, kam_user, account):
    Account.objects.filter(pk=account.pk).update(contract_start=LATEST, renewal_date=LATEST)
    CommitmentFactory(account=account, owner_user=kam_user, title="Far away", due_date=LATEST)
    qbr_schedule(account=account, actor=kam_user, scheduled_on=LATEST)
    token = calendar_token_regenerate(user=kam_user)

    assert health_recompute_all(day=business_date()) >= 1
    feed = client.get(reverse("calendar_feed", args=[token.token]))
    assert feed.status_code == 200
    assert b"Far away" in feed.content
    kam = client_for(kam_user)
    assert kam.get(reverse("my_work")).status_code == 200
    assert kam.get(reverse("account_qbrs", args=[account.pk])).status_code == 200
    assert kam.get(reverse("account_commitments", args=[account.pk])).status_code == 200
    assert kam.get(reverse("account_detail", args=[account.pk])).status_code == 200


# --- moments at the ends of the calendar ------------------------------------------------------


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(
    moment=st.datetimes(timezones=st.just(UTC)),
    offset_minutes=st.integers(-(24 * 60 - 1), 24 * 60 - 1),
)
def test_a_moment_anywhere_in_the_calendar_is_in_range_or_refused(moment, offset_minutes):
    """A form or the API may parse 9999-12-31T23:59-05:00, which is past the calendar in UTC
    and local time: refused like any date out of range, never an OverflowError."""
    try:
        moment = moment.astimezone(timezone_of(timedelta(minutes=offset_minutes)))
    except OverflowError:
        return
    try:
        datetime_in_range(moment)
    except ValidationError as refused:
        assert refused.code == "date_out_of_range"
    else:
        assert EARLIEST <= business_date(moment) <= LATEST
