from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from activities.reminders import sla_check


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = (
        "Send the SLA warnings and breach notices of client requests due now (safe to rerun: "
        "each goes out once)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--at",
            type=str,
            help="Run as of this moment (ISO 8601, e.g. 2026-03-10T10:30; local time if no "
            "offset).",
        )

    def handle(self, *args, at=None, **options):
        try:
            now = _moment(at) if at else timezone.now()
        except ValueError as error:
            raise CommandError(f"--at: {error}") from error
        for kind, count in sla_check(now=now).items():
            self.stdout.write(f"{kind}: {count}")
