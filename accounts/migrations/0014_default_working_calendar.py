"""The default working calendar: São Paulo, Monday to Friday 09:00–18:00, SP state holidays."""

from datetime import time

from django.db import migrations

MONDAY_TO_FRIDAY_MASK = 0b0011111


def create_default(apps, schema_editor):
    WorkingCalendar = apps.get_model("accounts", "WorkingCalendar")
    if WorkingCalendar.objects.filter(is_default=True).exists():
        return
    WorkingCalendar.objects.get_or_create(
        name="São Paulo",
        defaults={
            "time_zone": "America/Sao_Paulo",
            "opens": time(9),
            "closes": time(18),
            "weekday_mask": MONDAY_TO_FRIDAY_MASK,
            "subdivision": "SP",
            "is_default": True,
        },
    )


def remove_default(apps, schema_editor):
    WorkingCalendar = apps.get_model("accounts", "WorkingCalendar")
    WorkingCalendar.objects.filter(
        name="São Paulo", is_default=True, memberships__isnull=True, company_holidays__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0013_working_calendars")]

    operations = [migrations.RunPython(create_default, remove_default)]
