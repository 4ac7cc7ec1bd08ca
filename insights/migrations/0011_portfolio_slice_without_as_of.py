"""The summary rows no longer carry the day the revenue windows are as of (accounts/0041 keeps
it once per refresh). Django forgets the field; the column stays, nullable, for the code of the
release before, which still reads it while the machines reload (docs/deploy.md, "Upgrading": a
column the old code reads is dropped one release after the code that stopped reading it)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0010_team_slices"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="portfolioslice",
                    name="as_of",
                ),
            ],
        ),
    ]
