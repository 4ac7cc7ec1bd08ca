from django.db import migrations


def sources_from_their_origin(apps, schema_editor):
    """Commitments made before agreed items had a source took the default ("manual", added by
    hand) when the column came (0007_agreed_items). Those that came from a QBR's or an
    interaction's next steps say so, as new ones do (activities.services: a QBR's step is "qbr"
    even when an interaction is linked too)."""
    commitment = apps.get_model("activities", "Commitment")
    defaulted = commitment.objects.filter(source="manual", plan__isnull=True)
    defaulted.filter(source_qbr__isnull=False).update(source="qbr")
    defaulted.filter(source_qbr__isnull=True, source_interaction__isnull=False).update(
        source="interaction"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0012_playbook_trigger_sla_breached"),
    ]

    operations = [
        migrations.RunPython(sources_from_their_origin, migrations.RunPython.noop),
    ]
