from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.services import health_recompute_all


class Command(BaseCommand):
    help = "Compute the health score of every account (or one) for a day; reruns update in place."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD (default: today)")
        parser.add_argument("--account", type=int, help="only this account id")

    def handle(self, *args, **options):
        try:
            day = date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as error:
            raise CommandError(f"--date: expected YYYY-MM-DD, got {options['date']!r}") from error
        try:
            count = health_recompute_all(day=day, account_id=options["account"])
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(self.style.SUCCESS(f"Health scored for {count} accounts on {day}."))
