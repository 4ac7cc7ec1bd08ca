"""Working calendars and company holidays in the configuration (admins): pages and services."""

from datetime import date, time

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse
from django.utils import translation

from accounts import services
from accounts.models import CalendarMembership, CompanyHoliday, WorkingCalendar, weekday_mask
from accounts.selectors import calendar_for_account
from kam.models import AuditEvent, Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sao_paulo(default_working_calendar):
    return default_working_calendar


def calendar_post(**overrides) -> dict:
    return {
        "name": "Manaus",
        "time_zone": "America/Manaus",
        "opens": "08:00",
        "closes": "17:00",
        "weekdays": ["0", "1", "2", "3", "4", "5"],
        "subdivision": "AM",
        "members": [],
        **overrides,
    }


def test_the_configuration_page_links_to_the_calendars(client_for, admin_user):
    response = client_for(admin_user).get(reverse("configuration"))
    assert reverse("working_calendar_list").encode() in response.content


@pytest.mark.parametrize(
    ("persona", "status"), [("kam_user", 403), ("leader", 403), ("admin_user", 200)]
)
def test_only_admins_open_the_calendars(request, client_for, persona, status, sao_paulo):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("working_calendar_list")).status_code == status
    assert client.get(reverse("working_calendar_edit", args=[sao_paulo.pk])).status_code == status
    created = client.post(reverse("working_calendar_create"), calendar_post())
    assert created.status_code == (302 if status == 200 else status)
    assert WorkingCalendar.objects.filter(name="Manaus").exists() is (status == 200)


def test_the_list_shows_the_default_calendar(client_for, admin_user, sao_paulo):
    response = client_for(admin_user).get(reverse("working_calendar_list"))
    assert response.status_code == 200
    assert "São Paulo" in response.content.decode()
    assert list(response.context["calendars"]) == [sao_paulo]


def test_admin_creates_a_calendar_with_members_and_their_accounts_use_it(
    client_for, admin_user, account, kam_user
):
    response = client_for(admin_user).post(
        reverse("working_calendar_create"), calendar_post(members=[str(kam_user.pk)])
    )
    calendar = WorkingCalendar.objects.get(name="Manaus")
    assert response.status_code == 302
    assert response.url == reverse("working_calendar_edit", args=[calendar.pk])
    assert calendar.weekdays == frozenset({0, 1, 2, 3, 4, 5})
    assert (calendar.opens, calendar.closes) == (time(8), time(17))
    assert list(calendar.members.all()) == [kam_user]
    assert calendar_for_account(account).time_zone == "America/Manaus"
    event = AuditEvent.objects.get(object_type="working_calendar")
    assert event.action == "created"
    assert event.changes["members"] == [None, kam_user.email]
    assert event.changes["weekdays"] == [None, "0, 1, 2, 3, 4, 5"]


def test_admin_edits_a_calendar_moves_a_member_and_takes_the_default_flag(
    client_for, admin_user, kam_user, team_member, sao_paulo
):
    CalendarMembership.objects.create(calendar=sao_paulo, user=kam_user)
    manaus = services.working_calendar_save(
        actor=admin_user, name="Manaus", time_zone="America/Manaus", opens=time(8),
        closes=time(17), weekdays=[0, 1, 2, 3, 4], subdivision="AM", members=[team_member],
    )  # fmt: skip
    url = reverse("working_calendar_edit", args=[manaus.pk])
    page = client_for(admin_user).get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["members"] == [team_member.pk]
    assert page.context["form"].initial["weekdays"] == [0, 1, 2, 3, 4]

    response = client_for(admin_user).post(
        url, calendar_post(members=[str(kam_user.pk)], is_default="on", closes="16:30")
    )

    assert response.status_code == 302
    manaus.refresh_from_db()
    sao_paulo.refresh_from_db()
    assert manaus.is_default and not sao_paulo.is_default
    assert manaus.closes == time(16, 30)
    # kam_user moved from São Paulo; team_member, left out, is in no calendar any more.
    assert list(manaus.members.all()) == [kam_user]
    assert not sao_paulo.members.exists()
    assert not CalendarMembership.objects.filter(user=team_member).exists()
    event = AuditEvent.objects.filter(object_type="working_calendar", action="updated").get()
    assert event.changes["closes"] == ["17:00:00", "16:30:00"]
    assert event.changes["is_default"] == ["False", "True"]
    assert event.changes["members"] == [team_member.email, kam_user.email]


@pytest.mark.parametrize(
    ("post", "field"),
    [
        pytest.param(calendar_post(closes="07:00"), "closes", id="closes-before-opens"),
        pytest.param(calendar_post(closes="08:00"), "closes", id="closes-at-opening"),
        pytest.param(calendar_post(weekdays=[]), "weekdays", id="no-working-day"),
        pytest.param(calendar_post(weekdays=["7"]), "weekdays", id="day-seven"),
        pytest.param(calendar_post(time_zone="Mars/Olympus"), "time_zone", id="unknown-zone"),
        pytest.param(calendar_post(subdivision="XX"), "subdivision", id="unknown-state"),
        pytest.param(calendar_post(opens="25:00"), "opens", id="impossible-time"),
        pytest.param(calendar_post(name="São Paulo"), "name", id="name-taken"),
        pytest.param(calendar_post(members=["999999999"]), "members", id="unknown-member"),
    ],
)
def test_bad_calendar_input_is_refused_naming_the_field(
    client_for, admin_user, sao_paulo, post, field
):
    response = client_for(admin_user).post(reverse("working_calendar_create"), post)
    assert response.status_code == 422
    assert list(response.context["form"].errors) == [field]
    assert WorkingCalendar.objects.count() == 1
    assert not AuditEvent.objects.exists()


def test_admin_adds_and_removes_a_company_holiday(client_for, admin_user, sao_paulo, account):
    client = client_for(admin_user)
    response = client.post(
        reverse("company_holiday_add", args=[sao_paulo.pk]),
        {"date": "2026-12-24", "name": "Christmas Eve"},
    )
    assert response.status_code == 302
    holiday = CompanyHoliday.objects.get()
    assert (holiday.calendar, holiday.date, holiday.name) == (
        sao_paulo,
        date(2026, 12, 24),
        "Christmas Eve",
    )
    assert date(2026, 12, 24) in calendar_for_account(account).extra_holidays
    page = client.get(reverse("working_calendar_edit", args=[sao_paulo.pk]))
    assert "Christmas Eve" in page.content.decode()

    response = client.post(
        reverse("company_holiday_delete", args=[holiday.pk]),
        {"next": reverse("working_calendar_edit", args=[sao_paulo.pk])},
    )
    assert response.status_code == 302
    assert response.url == reverse("working_calendar_edit", args=[sao_paulo.pk])
    assert not CompanyHoliday.objects.exists()
    assert list(
        AuditEvent.objects.filter(object_type="company_holiday")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["created", "deleted"]


def test_a_holiday_in_every_calendar_has_no_calendar(client_for, admin_user, sao_paulo):
    client_for(admin_user).post(
        reverse("company_holiday_add", args=[sao_paulo.pk]),
        {"date": "2026-12-31", "name": "New Year's Eve", "every_calendar": "on"},
    )
    assert CompanyHoliday.objects.get().calendar is None
    response = client_for(admin_user).get(reverse("working_calendar_list"))
    assert "New Year&#x27;s Eve" in response.content.decode()


@pytest.mark.parametrize(
    ("post", "field"),
    [
        pytest.param({"date": "2026-12-24", "name": ""}, "name", id="no-name"),
        pytest.param({"date": "24/12", "name": "Eve"}, "date", id="not-a-date"),
        pytest.param({"date": "2200-01-01", "name": "Far"}, "date", id="out-of-range"),
        pytest.param({"date": "2026-01-02", "name": "Again"}, "date", id="day-taken"),
    ],
)
def test_bad_holiday_input_is_refused_naming_the_field(
    client_for, admin_user, sao_paulo, post, field
):
    CompanyHoliday.objects.create(calendar=sao_paulo, date=date(2026, 1, 2), name="Bridge")
    response = client_for(admin_user).post(
        reverse("company_holiday_add", args=[sao_paulo.pk]), post
    )
    assert response.status_code == 422
    assert list(response.context["holiday_form"].errors) == [field]
    assert CompanyHoliday.objects.count() == 1


def test_the_edit_page_previews_the_next_ten_holidays_in_the_readers_language(
    client_for, admin_user, sao_paulo
):
    admin_user.language = "pt-br"
    admin_user.save()
    with translation.override("pt-br"):
        response = client_for(admin_user).get(
            reverse("working_calendar_edit", args=[sao_paulo.pk]), HTTP_ACCEPT_LANGUAGE="pt-br"
        )
    ahead = response.context["holidays_ahead"]
    assert len(ahead) == 10
    assert all(day >= response.context["today"] for day, _name in ahead)
    assert [day for day, _name in ahead] == sorted(day for day, _name in ahead)
    assert "Próximos 10 feriados" in response.content.decode()


def test_the_service_refuses_a_second_calendar_with_the_same_name(admin_user, sao_paulo):
    with pytest.raises(ValidationError) as error:
        services.working_calendar_save(
            actor=admin_user, name="São Paulo", time_zone="America/Sao_Paulo",
            opens=time(9), closes=time(18), weekdays=[0, 1, 2, 3, 4],
        )  # fmt: skip
    assert "name" in error.value.error_dict


def test_the_database_keeps_one_default_and_closing_after_opening(sao_paulo):
    with pytest.raises(IntegrityError):
        WorkingCalendar.objects.create(name="Second", is_default=True)


def test_the_database_refuses_closing_before_opening(db):
    with pytest.raises(IntegrityError):
        WorkingCalendar.objects.create(name="Night", opens=time(18), closes=time(9))


def test_the_database_refuses_a_calendar_without_working_days(db):
    with pytest.raises(IntegrityError):
        WorkingCalendar.objects.create(name="Never", weekday_mask=0)


def test_the_database_keeps_one_company_holiday_per_day_in_every_calendar(db):
    CompanyHoliday.objects.create(calendar=None, date=date(2026, 12, 24), name="Eve")
    with pytest.raises(IntegrityError):
        CompanyHoliday.objects.create(calendar=None, date=date(2026, 12, 24), name="Eve again")


def test_the_weekday_mask_reads_back(db):
    calendar = WorkingCalendar.objects.create(name="Weekend", weekday_mask=weekday_mask({5, 6}))
    assert calendar.weekdays == frozenset({5, 6})
    assert calendar.as_business_calendar().weekdays == frozenset({5, 6})


def test_a_member_of_no_calendar_is_counted_in_the_default(account, kam_user, sao_paulo):
    UserFactory(role=Role.KAM)
    assert calendar_for_account(account) == sao_paulo.as_business_calendar()


def test_a_member_no_longer_active_stays_in_the_calendar_through_an_edit(
    client_for, admin_user, team_member
):
    """Who left the company is still shown among the members, and an edit of the hours keeps
    them (kam.people.people_choosable)."""
    manaus = services.working_calendar_save(
        actor=admin_user, name="Manaus", time_zone="America/Manaus", opens=time(8),
        closes=time(17), weekdays=[0, 1, 2, 3, 4], subdivision="AM", members=[team_member],
    )  # fmt: skip
    team_member.is_active = False
    team_member.save(update_fields=["is_active"])
    url = reverse("working_calendar_edit", args=[manaus.pk])
    drawn = client_for(admin_user).get(url).content.decode()
    assert f'<option value="{team_member.pk}" selected>' in drawn

    saved = client_for(admin_user).post(
        url, calendar_post(members=[str(team_member.pk)], closes="16:00")
    )
    assert saved.status_code == 302
    manaus.refresh_from_db()
    assert manaus.closes == time(16)
    assert list(manaus.members.all()) == [team_member]
