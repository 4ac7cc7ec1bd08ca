"""Run the capture SMTP receiver: `manage.py receive_mail --host 127.0.0.1 --port 2525`."""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from capture.smtp import receiver


class Command(BaseCommand):
    help = "Receive mail for the personal logging addresses (SMTP)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)

    def handle(self, *args, host: str, port: int, **options):
        controller = receiver(host=host, port=port)
        controller.start()
        self.stdout.write(
            f"Receiving mail for log+…@{settings.CAPTURE_INBOUND_DOMAIN} on {host}:{port}"
        )
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        try:
            stop.wait()
        finally:
            controller.stop()
