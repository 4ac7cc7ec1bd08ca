from django.core.management.base import BaseCommand

from insights.portfolio_slices import (
    portfolio_slices_check,
    portfolio_slices_forget,
    portfolio_slices_refresh,
)


class Command(BaseCommand):
    help = (
        "Bring the portfolio dashboard's summary rows up to date (the slices writes marked; "
        "the day's rows in full on a new day), as beat does every minute. With --rebuild, "
        "compute the day's rows in full (after a bulk load that bypassed the triggers, or a new "
        "REPORTING_CURRENCY). With --check, also compute every row again from the accounts, "
        "compare, repair and list the rows that had drifted, as the nightly check does; exits "
        "with status 1 when any had."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true")
        parser.add_argument("--rebuild", action="store_true")

    def handle(self, *args, check: bool = False, rebuild: bool = False, **options):
        if rebuild:
            portfolio_slices_forget()
        if not check:
            written = portfolio_slices_refresh()
            self.stdout.write(f"Summary rows brought up to date: {written} rows written.")
            return
        result = portfolio_slices_check()
        for line in result.drift:
            self.stdout.write(f"drift: {line}")
        self.stdout.write(
            f"Summary rows of {result.day}: {result.rows} compared, {len(result.drift)} drifted "
            "and repaired."
        )
        if result.drift:
            raise SystemExit(1)
