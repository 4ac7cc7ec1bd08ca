from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.demo import demo_seed
from demo.large import SCALES, demo_large_seed, refuse_unless_disposable


class Command(BaseCommand):
    help = (
        "Create or refresh the demo data (idempotent: running it twice leaves the same rows). "
        "--scale large replaces every account with a 20,000-account portfolio instead, "
        "--scale xl with a 100,000-account one (demo/large.py, bench/README.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=["normal", *SCALES], default="normal")
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help="normal only: the language of the demo's texts (default: LANGUAGE_CODE)",
        )
        parser.add_argument(
            "--scale-factor",
            type=float,
            default=1.0,
            help="large and xl only: multiply every count (large 0.01 = 200 accounts)",
        )
        parser.add_argument("--seed", type=int, default=42, help="large and xl only")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="large and xl only: replace the accounts of a database whose name lacks 'bench'",
        )

    def handle(
        self, *args, scale="normal", scale_factor=1.0, seed=42, yes=False, language=None, **options
    ):
        if scale in SCALES:
            try:
                refuse_unless_disposable(yes=yes)
            except ValueError as error:
                raise CommandError(str(error)) from error
            counts = demo_large_seed(
                scale_factor=SCALES[scale]["factor"] * scale_factor,
                history_days=SCALES[scale]["history_days"],
                seed=seed,
                out=self.stdout.write,
            )
        else:
            counts = demo_seed(language=language)
        summary = ", ".join(f"{name}: {count}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({summary})."))
