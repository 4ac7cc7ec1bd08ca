from django.core.management.base import BaseCommand

from accounts.services import account_revenue_refresh
from insights.services import health_months_rebuild
from kam.dates import business_date


class Command(BaseCommand):
    help = (
        "Refresh what the portfolio dashboard reads: the accounts' revenue windows as of today "
        "(as the nightly job does: the accounts whose windows moved are written) and, with "
        "--health-months, the monthly health rows rebuilt from the daily scores (after loading "
        "scores in bulk)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--health-months", action="store_true")

    def handle(self, *args, health_months: bool = False, **options):
        day = business_date()
        changed = account_revenue_refresh(day=day)
        self.stdout.write(f"Revenue windows as of {day}: {changed} accounts' windows changed.")
        if health_months:
            rows = health_months_rebuild()
            self.stdout.write(f"{rows} monthly health rows rebuilt.")
