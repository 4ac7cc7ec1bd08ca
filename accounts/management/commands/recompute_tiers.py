from django.core.management.base import BaseCommand

from accounts.services import tiers_recompute


class Command(BaseCommand):
    help = "Recommend a tier for every account (Pareto class + tier score); same code as nightly."

    def handle(self, *args, **options):
        summary = tiers_recompute()
        self.stdout.write(
            self.style.SUCCESS(
                f"Tiers recommended for {summary['accounts']} accounts: "
                f"{summary['initial']} got their first tier, {summary['mismatches']} await review."
            )
        )
