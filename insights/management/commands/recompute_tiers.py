from datetime import date

from django.core.management.base import BaseCommand, CommandError

from insights.services import tiers_recompute


class Command(BaseCommand):
    help = "Recommend a tier for every account (Pareto class + tier score); same code as nightly."

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            help="Compute as of this day (YYYY-MM-DD); default today, or the last day with "
            "revenue when there is none in the last 12 months (an imported history).",
        )

    def handle(self, *args, **options):
        day = None
        if options.get("date"):
            try:
                day = date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError(f"--date takes YYYY-MM-DD, not {options['date']!r}") from error
        summary = tiers_recompute(day=day)
        self.stdout.write(
            self.style.SUCCESS(
                f"Tiers recommended for {summary['accounts']} accounts as of {summary['as_of']}: "
                f"{summary['rewritten']} changed, {summary['initial']} got their first tier, "
                f"{summary['mismatches']} await review."
            )
        )
