from django.core.management.base import BaseCommand

from kam.outbox import outbox_drain


class Command(BaseCommand):
    help = (
        "Send the background tasks that waited while the broker (Redis) was unavailable; "
        "the same code Celery beat runs every minute."
    )

    def handle(self, *args, **options):
        total = 0
        while sent := outbox_drain():
            total += sent
        self.stdout.write(f"{total} task(s) sent.")
