from datetime import date

from django.core.management.base import BaseCommand

from activities.reminders import reminders_send
from kam.dates import business_date


class Command(BaseCommand):
    help = "Send today's QBR reminders, escalations and commitment digests (safe to rerun)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", dest="day", type=date.fromisoformat, help="Run as of this day (YYYY-MM-DD)."
        )

    def handle(self, *args, day=None, **options):
        sent = reminders_send(today=day or business_date())
        for kind, count in sent.items():
            self.stdout.write(f"{kind}: {count}")
