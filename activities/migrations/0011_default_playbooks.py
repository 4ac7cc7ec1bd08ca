"""The three shipped playbooks. Names, descriptions and step titles are stored in English and
shown in the reader's language until an admin edits them (activities.models
DEFAULT_PLAYBOOK_NAMES, DEFAULT_STEP_TITLES); admins may edit or disable them. The same
definitions (activities.defaults) back insights.playbooks.playbook_defaults_ensure."""

from django.db import migrations

from activities.defaults import DEFAULT_PLAYBOOKS as DEFAULTS


def add_defaults(apps, schema_editor):
    Playbook = apps.get_model("activities", "Playbook")
    PlaybookStep = apps.get_model("activities", "PlaybookStep")
    for spec in DEFAULTS:
        if Playbook.objects.filter(key=spec["key"]).exists():
            continue
        fields = {k: v for k, v in spec.items() if k != "steps"}
        playbook = Playbook.objects.create(**fields)
        PlaybookStep.objects.bulk_create(
            PlaybookStep(
                playbook=playbook, order=order, title=title, owner_role=role, due_offset_days=days
            )
            for order, (title, role, days) in enumerate(spec["steps"], start=1)
        )


def remove_defaults(apps, schema_editor):
    Playbook = apps.get_model("activities", "Playbook")
    Playbook.objects.filter(key__in=[spec["key"] for spec in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("activities", "0010_playbooks")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
