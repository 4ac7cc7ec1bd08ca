import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from insights.playbooks import playbooks_evaluate
from kam.dates import business_date


class Command(BaseCommand):
    help = (
        "Evaluate every active playbook for every account: start the episodes whose trigger "
        "holds (creating their items once) and clear those that ended; same code as nightly."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Evaluate as of this day (YYYY-MM-DD); default today.")

    def handle(self, *args, **options):
        today = business_date()
        if options.get("date"):
            try:
                today = date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError(f"--date takes YYYY-MM-DD, not {options['date']!r}") from error
        started = time.monotonic()
        counts = playbooks_evaluate(today=today)
        self.stdout.write(
            self.style.SUCCESS(
                f"Playbooks evaluated as of {today.isoformat()} ({counts['playbooks']} active): "
                f"{counts['fired']} started with {counts['items']} items, "
                f"{counts['cleared']} cleared, in {time.monotonic() - started:.1f} s."
            )
        )
