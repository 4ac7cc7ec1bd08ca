"""Print each active user's logging address (`--create`: issue one to those who have none)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from capture.models import LoggingAddress
from capture.services import logging_address_regenerate


class Command(BaseCommand):
    help = "Print the personal logging address of each active user."

    def add_arguments(self, parser):
        parser.add_argument("--create", action="store_true", help="Issue missing addresses.")

    def handle(self, *args, create: bool, **options):
        live = {row.user_id: row for row in LoggingAddress.objects.filter(revoked_at__isnull=True)}
        for user in get_user_model().objects.filter(is_active=True).order_by("email"):
            row = live.get(user.pk)
            if row is None and create:
                row = logging_address_regenerate(user=user)
            if row is not None:
                self.stdout.write(f"{user.email}: {row.address}")
