from datetime import date

from django.core.management.base import BaseCommand, CommandError

from kam.dates import business_date
from kam.retention import retention_apply


class Command(BaseCommand):
    help = (
        "Remove or clear the data past its retention policy (Configuration → Data retention); "
        "the same code Celery beat runs every night."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", help="Apply as of this ISO date (default: today).")

    def handle(self, *args, **options):
        try:
            today = date.fromisoformat(options["today"]) if options["today"] else None
        except ValueError as error:
            raise CommandError(f"--today: {error}") from error
        done = retention_apply(today=today or business_date())
        if not done:
            self.stdout.write("No retention limit is set.")
        for kind, rows in done.items():
            self.stdout.write(f"{kind}: {rows} row(s).")
