from django.db import migrations

# The scoring tasks moved from accounts.tasks to insights.tasks: background tasks that waited in
# the outbox (kam.outbox) when the upgrade started are sent under their new names.
RENAMED = {
    "accounts.tasks.health_chunk": "insights.tasks.health_chunk",
    "accounts.tasks.tiers_recompute": "insights.tasks.tiers_recompute",
    "accounts.tasks.nightly_scoring": "insights.tasks.nightly_scoring",
    "accounts.tasks.portfolio_warm": "insights.tasks.portfolio_warm",
}


def rename(apps, schema_editor, names=RENAMED):
    outbox_task = apps.get_model("kam", "OutboxTask")
    for old, new in names.items():
        outbox_task.objects.filter(task=old).update(task=new)


def rename_back(apps, schema_editor):
    rename(apps, schema_editor, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [("kam", "0004_outbox")]

    operations = [migrations.RunPython(rename, rename_back)]
