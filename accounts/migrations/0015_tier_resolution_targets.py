"""Resolution targets of client requests per tier and priority (business hours), with the
installation defaults for the four default tiers; a tier an admin added keeps the field
defaults (those of an account without a tier) until edited on the configuration page."""

import django.core.validators
from django.db import migrations, models

# accounts.defaults.DEFAULT_RESOLUTION_HOURS as it was when this migration was written.
DEFAULTS = {
    "strategic": {"urgent": 8, "high": 18, "normal": 45, "low": 90},
    "key": {"urgent": 12, "high": 27, "normal": 63, "low": 135},
    "growth": {"urgent": 24, "high": 45, "normal": 90, "low": 180},
    "maintain": {"urgent": 36, "high": 72, "normal": 135, "low": 270},
}


def set_defaults(apps, schema_editor):
    Tier = apps.get_model("accounts", "Tier")
    for key, hours in DEFAULTS.items():
        Tier.objects.filter(key=key).update(
            **{f"resolution_{priority}_hours": value for priority, value in hours.items()}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0014_default_working_calendar"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="timelineentry",
            name="timeline_kind_valid",
        ),
        migrations.AddField(
            model_name="tier",
            name="resolution_high_hours",
            field=models.PositiveSmallIntegerField(
                default=48,
                validators=[django.core.validators.MinValueValidator(1)],
                verbose_name="resolution, high (hours)",
            ),
        ),
        migrations.AddField(
            model_name="tier",
            name="resolution_low_hours",
            field=models.PositiveSmallIntegerField(
                default=180,
                validators=[django.core.validators.MinValueValidator(1)],
                verbose_name="resolution, low (hours)",
            ),
        ),
        migrations.AddField(
            model_name="tier",
            name="resolution_normal_hours",
            field=models.PositiveSmallIntegerField(
                default=90,
                validators=[django.core.validators.MinValueValidator(1)],
                verbose_name="resolution, normal (hours)",
            ),
        ),
        migrations.AddField(
            model_name="tier",
            name="resolution_urgent_hours",
            field=models.PositiveSmallIntegerField(
                default=24,
                validators=[django.core.validators.MinValueValidator(1)],
                verbose_name="resolution, urgent (hours)",
            ),
        ),
        migrations.RunPython(set_defaults, migrations.RunPython.noop),
    ]
