"""The three shipped playbooks. Names, descriptions and step titles are stored in English and
shown in the reader's language until an admin edits them (activities.models
DEFAULT_PLAYBOOK_NAMES, DEFAULT_STEP_TITLES); admins may edit or disable them."""

from django.db import migrations

DEFAULTS = [
    {
        "key": "at_risk_recovery",
        "name": "At-risk recovery",
        "description": "At-risk recovery: the account's health fell to at risk.",
        "trigger": "health_band",
        "band": "at_risk",
        "days": None,
        "steps": [
            ("Call the sponsor to understand the drop", "account_owner", 2),
            ("Agree a recovery plan with the leader", "leader", 5),
            ("Review the account plan's risks", "account_owner", 7),
        ],
    },
    {
        "key": "champion_departure",
        "name": "Champion departure",
        "description": "A champion or the primary contact left the client.",
        "trigger": "key_contact_left",
        "band": "",
        "days": None,
        "steps": [
            ("Identify and meet the new contact", "account_owner", 3),
            ("Update the stakeholder map", "account_owner", 5),
            ("Leader call with the executive sponsor", "leader", 10),
        ],
    },
    {
        "key": "renewal_preparation",
        "name": "Renewal preparation",
        "description": "The renewal is 120 days away or less.",
        "trigger": "renewal_within",
        "band": "",
        "days": 120,
        "steps": [
            ("Prepare the renewal proposal", "account_owner", 14),
            ("Review value delivered for the renewal", "account_owner", 21),
            ("Leader approval of renewal terms", "leader", 30),
        ],
    },
]


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
    dependencies = [("activities", "0007_playbooks")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
