from django.core.management.base import BaseCommand

from kam.demo import demo_seed


class Command(BaseCommand):
    help = "Create or refresh the demo data (idempotent: running it twice leaves the same rows)."

    def handle(self, *args, **options):
        counts = demo_seed()
        summary = ", ".join(f"{name}: {count}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({summary})."))
