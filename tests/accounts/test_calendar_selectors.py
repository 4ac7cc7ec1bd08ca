"""Which calendar an account's business hours are counted in (accounts/selectors.py)."""

from datetime import date, time
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.db import IntegrityError

from accounts.business_hours import BusinessCalendar
from accounts.models import (
    Account,
    CalendarMembership,
    CompanyHoliday,
    WorkingCalendar,
    weekday_mask,
)
from accounts.selectors import (
    calendar_for_account,
    calendars_for_users,
    calendars_of,
    fallback_calendar,
    holidays_ahead,
)
from kam.models import Role
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def default_calendar(default_working_calendar):
    return default_working_calendar


@pytest.fixture
def manaus(db):
    return WorkingCalendar.objects.create(
        name="Manaus",
        time_zone="America/Manaus",
        opens=time(8),
        closes=time(17),
        weekday_mask=weekday_mask({0, 1, 2, 3, 4, 5}),
        subdivision="AM",
    )


def test_the_data_migration_creates_the_sao_paulo_default_once():
    create_default = import_module("accounts.migrations.0014_default_working_calendar")
    WorkingCalendar.objects.all().delete()
    create_default.create_default(django_apps, None)
    create_default.create_default(django_apps, None)
    calendar = WorkingCalendar.objects.get()
    assert (calendar.name, calendar.is_default) == ("São Paulo", True)
    assert calendar.as_business_calendar() == BusinessCalendar(
        time_zone="America/Sao_Paulo", subdivision="SP"
    )


def test_an_owner_in_a_calendar_gets_it_with_its_and_everyones_company_holidays(
    account, kam_user, manaus
):
    CalendarMembership.objects.create(calendar=manaus, user=kam_user)
    CompanyHoliday.objects.create(calendar=manaus, date=date(2026, 10, 24), name="Manaus day")
    CompanyHoliday.objects.create(calendar=None, date=date(2026, 12, 24), name="Christmas Eve")
    calendar = calendar_for_account(account)
    assert calendar.time_zone == "America/Manaus"
    assert calendar.weekdays == frozenset({0, 1, 2, 3, 4, 5})
    assert (calendar.opens, calendar.closes, calendar.subdivision) == (time(8), time(17), "AM")
    assert calendar.extra_holidays == {date(2026, 10, 24), date(2026, 12, 24)}


def test_an_owner_in_no_calendar_gets_the_default(account, default_calendar, manaus):
    CompanyHoliday.objects.create(calendar=manaus, date=date(2026, 10, 24), name="Manaus day")
    CompanyHoliday.objects.create(
        calendar=default_calendar, date=date(2026, 1, 2), name="Bridge day"
    )
    calendar = calendar_for_account(account)
    assert calendar.time_zone == "America/Sao_Paulo"
    assert calendar.subdivision == "SP"
    assert calendar.extra_holidays == {date(2026, 1, 2)}


def test_without_a_default_calendar_the_fallback_is_national_in_the_business_zone(
    account, settings
):
    WorkingCalendar.objects.all().delete()
    CompanyHoliday.objects.create(calendar=None, date=date(2026, 12, 24), name="Christmas Eve")
    assert calendar_for_account(account) == BusinessCalendar(
        time_zone=settings.TIME_ZONE, extra_holidays=frozenset({date(2026, 12, 24)})
    )
    assert fallback_calendar().subdivision is None


def test_calendars_of_accounts_read_takes_two_queries_whatever_their_number(
    django_assert_num_queries, default_calendar, manaus
):
    in_manaus = UserFactory.create_batch(3, role=Role.KAM)
    elsewhere = UserFactory.create_batch(3, role=Role.KAM)
    for user in in_manaus:
        CalendarMembership.objects.create(calendar=manaus, user=user)
    CompanyHoliday.objects.create(calendar=manaus, date=date(2026, 10, 24), name="Manaus day")
    manaus_accounts = [AccountFactory(owner=user).pk for user in in_manaus for _ in range(4)]
    other_accounts = [AccountFactory(owner=user).pk for user in elsewhere for _ in range(4)]
    accounts = list(
        Account.objects.filter(pk__in=[*manaus_accounts, *other_accounts]).only("owner_id")
    )

    # 1: the calendars with their members; 2: the company holidays.
    with django_assert_num_queries(2):
        found = calendars_of(accounts)

    assert set(found) == {*manaus_accounts, *other_accounts}
    assert {found[pk].time_zone for pk in manaus_accounts} == {"America/Manaus"}
    assert {found[pk].extra_holidays for pk in manaus_accounts} == {frozenset({date(2026, 10, 24)})}
    assert {found[pk] for pk in other_accounts} == {default_calendar.as_business_calendar()}
    with django_assert_num_queries(2):
        calendars_of(accounts[:1])
    with django_assert_num_queries(0):
        assert calendars_of([]) == {}


def test_calendars_for_users_keys_the_default_as_none(kam_user, manaus, default_calendar):
    CalendarMembership.objects.create(calendar=manaus, user=kam_user)
    found = calendars_for_users([kam_user.pk, None])
    assert found[kam_user.pk].time_zone == "America/Manaus"
    assert found[None] == default_calendar.as_business_calendar()


def test_a_user_is_in_one_calendar_at_most(kam_user, manaus, default_calendar):
    CalendarMembership.objects.create(calendar=manaus, user=kam_user)
    with pytest.raises(IntegrityError):
        CalendarMembership.objects.create(calendar=default_calendar, user=kam_user)


def test_the_next_holidays_merge_the_states_and_the_companys(default_calendar):
    CompanyHoliday.objects.create(
        calendar=default_calendar, date=date(2026, 7, 10), name="Bridge day"
    )
    CompanyHoliday.objects.create(calendar=None, date=date(2026, 12, 24), name="Christmas Eve")
    ahead = holidays_ahead(default_calendar, since=date(2026, 6, 1), language_code="en")
    assert len(ahead) == 10
    assert ahead[:3] == [
        (date(2026, 6, 4), "Corpus Christi"),
        (date(2026, 7, 9), "Constitutionalist Revolution"),
        (date(2026, 7, 10), "Bridge day"),
    ]
    assert (date(2026, 12, 24), "Christmas Eve") in ahead
