from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from insights.services import HEALTH_THREADS, health_recompute_all
from kam.dates import business_date


class Command(BaseCommand):
    help = "Compute the health score of every account (or one) for a day; reruns update in place."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD (default: today)")
        parser.add_argument("--account", type=int, help="only this account id")
        parser.add_argument(
            "--threads",
            type=int,
            default=HEALTH_THREADS,
            help=f"chunks scored at once, each on its own connection (default {HEALTH_THREADS})",
        )

    def handle(self, *args, **options):
        try:
            day = date.fromisoformat(options["date"]) if options["date"] else business_date()
        except ValueError as error:
            raise CommandError(f"--date: expected YYYY-MM-DD, got {options['date']!r}") from error
        try:
            if options["threads"] < 1:
                raise CommandError("--threads: expected 1 or more")
            count = health_recompute_all(
                day=day, account_id=options["account"], threads=options["threads"]
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(self.style.SUCCESS(f"Health scored for {count} accounts on {day}."))
