from django.core.management.base import BaseCommand

from accounts.services import account_revenue_refresh
from insights.services import health_months_rebuild


class Command(BaseCommand):
    help = (
        "Refresh what the portfolio dashboard reads: every account's revenue windows (as the "
        "nightly job does) and, with --health-months, the monthly health rows rebuilt from the "
        "daily scores (after loading scores in bulk)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--health-months", action="store_true")

    def handle(self, *args, health_months: bool = False, **options):
        changed = account_revenue_refresh()
        self.stdout.write(f"Revenue windows refreshed on {changed} accounts.")
        if health_months:
            rows = health_months_rebuild()
            self.stdout.write(f"{rows} monthly health rows rebuilt.")
