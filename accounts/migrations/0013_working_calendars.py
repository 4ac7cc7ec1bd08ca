# Working calendars, their members (a user in one at most) and company holidays.

import datetime

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import accounts.models
import kam.dates


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0012_derived_moments_in_range"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CalendarMembership",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="calendar_membership",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "calendar member",
                "verbose_name_plural": "calendar members",
            },
        ),
        migrations.CreateModel(
            name="WorkingCalendar",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=80, unique=True, verbose_name="name")),
                (
                    "time_zone",
                    models.CharField(
                        default="America/Sao_Paulo",
                        max_length=64,
                        validators=[accounts.models.time_zone_is_known],
                        verbose_name="time zone",
                    ),
                ),
                ("opens", models.TimeField(default=datetime.time(9, 0), verbose_name="opens at")),
                (
                    "closes",
                    models.TimeField(default=datetime.time(18, 0), verbose_name="closes at"),
                ),
                (
                    "weekday_mask",
                    models.PositiveSmallIntegerField(
                        default=31,
                        validators=[accounts.models.weekday_mask_is_valid],
                        verbose_name="working days",
                    ),
                ),
                (
                    "subdivision",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("AC", "AC – Acre"),
                            ("AL", "AL – Alagoas"),
                            ("AM", "AM – Amazonas"),
                            ("AP", "AP – Amapá"),
                            ("BA", "BA – Bahia"),
                            ("CE", "CE – Ceará"),
                            ("DF", "DF – Distrito Federal"),
                            ("ES", "ES – Espírito Santo"),
                            ("GO", "GO – Goiás"),
                            ("MA", "MA – Maranhão"),
                            ("MG", "MG – Minas Gerais"),
                            ("MS", "MS – Mato Grosso do Sul"),
                            ("MT", "MT – Mato Grosso"),
                            ("PA", "PA – Pará"),
                            ("PB", "PB – Paraíba"),
                            ("PE", "PE – Pernambuco"),
                            ("PI", "PI – Piauí"),
                            ("PR", "PR – Paraná"),
                            ("RJ", "RJ – Rio de Janeiro"),
                            ("RN", "RN – Rio Grande do Norte"),
                            ("RO", "RO – Rondônia"),
                            ("RR", "RR – Roraima"),
                            ("RS", "RS – Rio Grande do Sul"),
                            ("SC", "SC – Santa Catarina"),
                            ("SE", "SE – Sergipe"),
                            ("SP", "SP – São Paulo"),
                            ("TO", "TO – Tocantins"),
                        ],
                        help_text="Its state holidays apply; national holidays always do.",
                        max_length=2,
                        verbose_name="state",
                    ),
                ),
                (
                    "is_default",
                    models.BooleanField(
                        default=False,
                        help_text="Used for accounts whose owner is in no calendar.",
                        verbose_name="default calendar",
                    ),
                ),
                (
                    "members",
                    models.ManyToManyField(
                        blank=True,
                        related_name="working_calendars",
                        through="accounts.CalendarMembership",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="members",
                    ),
                ),
            ],
            options={
                "verbose_name": "working calendar",
                "verbose_name_plural": "working calendars",
                "ordering": ["name"],
            },
        ),
        migrations.CreateModel(
            name="CompanyHoliday",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "date",
                    models.DateField(validators=[kam.dates.date_in_range], verbose_name="date"),
                ),
                ("name", models.CharField(max_length=120, verbose_name="name")),
                (
                    "calendar",
                    models.ForeignKey(
                        blank=True,
                        help_text="Empty: every calendar.",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="company_holidays",
                        to="accounts.workingcalendar",
                        verbose_name="calendar",
                    ),
                ),
            ],
            options={
                "verbose_name": "company holiday",
                "verbose_name_plural": "company holidays",
                "ordering": ["date"],
            },
        ),
        migrations.AddField(
            model_name="calendarmembership",
            name="calendar",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="memberships",
                to="accounts.workingcalendar",
            ),
        ),
        migrations.AddConstraint(
            model_name="workingcalendar",
            constraint=models.CheckConstraint(
                condition=models.Q(("closes__gt", models.F("opens"))),
                name="working_calendar_closes_after_opens",
            ),
        ),
        migrations.AddConstraint(
            model_name="workingcalendar",
            constraint=models.CheckConstraint(
                condition=models.Q(("weekday_mask__gte", 1), ("weekday_mask__lte", 127)),
                name="working_calendar_some_working_day",
            ),
        ),
        migrations.AddConstraint(
            model_name="workingcalendar",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_default", True)),
                fields=("is_default",),
                name="working_calendar_one_default",
            ),
        ),
        migrations.AddConstraint(
            model_name="companyholiday",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("date__range", (datetime.date(1990, 1, 1), datetime.date(2100, 12, 31)))
                ),
                name="company_holiday_date_in_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="companyholiday",
            constraint=models.UniqueConstraint(
                fields=("calendar", "date"),
                name="company_holiday_one_per_calendar_day",
                nulls_distinct=False,
            ),
        ),
    ]
