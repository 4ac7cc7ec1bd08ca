from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dataio.importers import IMPORTERS
from dataio.models import ImportEntity
from dataio.parsing import ImportFileError, read_upload
from dataio.plausibility import flagged_outcomes
from dataio.presets import explain
from dataio.services import choice_columns, import_file
from kam.models import Role, User


class Command(BaseCommand):
    help = (
        "Import a CSV or XLSX file of accounts, stakeholders, deals, interactions, users or "
        "products. Columns are mapped from their headers; --map COLUMN=FIELD corrects that. "
        "Same code as the import wizard (docs/import.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("entity", choices=ImportEntity.values)
        parser.add_argument("file")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="COLUMN=FIELD",
            help="Map a column to a field (FIELD empty to ignore the column). Repeatable.",
        )
        parser.add_argument(
            "--value",
            action="append",
            default=[],
            metavar="FIELD:FILEVALUE=CHOICE",
            help="Map a value of a choice column (stage, status, priority...) to a choice, e.g. "
            "--value 'stage:Em negociação=negotiation' (CHOICE empty: reject its rows). Values "
            "not given map by their English or Portuguese name. Repeatable.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report; write nothing."
        )
        parser.add_argument(
            "--user",
            help="Email of the user the import acts as (owner of new accounts when the file "
            "names none). Default: the first active admin.",
        )
        parser.add_argument("--currency", default="", help="Currency of new accounts/products.")
        parser.add_argument(
            "--accept-warnings",
            action="store_true",
            help="Import rows whose values look wrong (a revenue a thousand times the others, "
            "an amount in another unit) after checking them; without it nothing is written.",
        )

    def handle(
        self, *args, entity, file, map, value, dry_run, user, currency, accept_warnings, **options
    ):
        # Users and products have no owner; everything else needs someone to act as.
        actor = self._actor(user, required=entity not in ("users", "products"))
        overrides = {}
        for item in map:
            column, sep, target = item.partition("=")
            if not sep:
                raise CommandError(f"--map takes COLUMN=FIELD, not {item!r}")
            overrides[column.strip()] = target.strip()
        value_mapping: dict[str, dict[str, str]] = {}
        for item in value:
            field, colon, rest = item.partition(":")
            file_value, sep, choice = rest.rpartition("=")
            if not colon or not sep:
                raise CommandError(f"--value takes FIELD:FILEVALUE=CHOICE, not {item!r}")
            value_mapping.setdefault(field.strip(), {})[file_value.strip()] = choice.strip()
        path = Path(file)
        try:
            # At most one byte over the size limit is read, whatever the file is (a pipe too).
            with path.open("rb") as stream:
                content = read_upload(stream)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from error
        except ImportFileError as error:
            raise CommandError(str(error)) from error
        try:
            table, mapping, result = import_file(
                entity=entity, content=content, filename=path.name, actor=actor,
                dry_run=dry_run, mapping_overrides=overrides, currency=currency,
                value_mapping=value_mapping,
                accept_warnings=accept_warnings,
            )  # fmt: skip
        except ImportFileError as error:
            raise CommandError(str(error)) from error
        labels = IMPORTERS[entity].field_labels()
        self.stdout.write(
            f"{path.name}: {len(table.rows)} rows ({table.kind}"
            + (f", {table.encoding}, delimiter {table.delimiter!r}" if table.kind == "csv" else "")
            + ")"
        )
        left_out = self._explain(entity, table.headers, mapping)
        for column in table.headers:
            target = mapping.get(column)
            shown = f"{target} ({labels[target]})" if target else "(ignored)"
            if column in left_out:
                shown = f"(ignored: {left_out[column]})"
            self.stdout.write(f"  {column} -> {shown}")
        for column in choice_columns(entity, table, mapping, value_mapping):
            self.stdout.write(f"  {column.spec.name} values:")
            for file_value, choice in column.values:
                self.stdout.write(
                    f"    {file_value} -> {choice if choice is not None else '(unmapped)'}"
                )
        for outcome in flagged_outcomes(result.outcomes):
            for warning in outcome["warnings"]:
                self.stdout.write(self.style.WARNING(f"row {outcome['row']}: {warning}"))
        if result.blocked:
            for reject in result.rejects:
                self.stdout.write(f"row {reject['row']}: {reject['reason']}")
            raise CommandError(
                "Nothing written: the rows above have values that look wrong. Correct the file, "
                "or run again with --accept-warnings if they are right."
            )
        counts = result.counts
        prefix = "DRY RUN, nothing written. " if dry_run else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{prefix}created {counts['created']}, updated {counts['updated']}, "
                f"unchanged {counts['unchanged']}, rejected {counts['rejected']}"
            )
        )
        for note in result.notes:
            self.stdout.write(note)
        for reject in result.rejects:
            self.stdout.write(f"row {reject['row']}: {reject['reason']}")

    def _explain(self, entity: str, headers: list[str], mapping: dict[str, str]) -> dict:
        """What the wizard says about the export of a known CRM; {column: why it is left out}."""
        explanation = explain(entity, headers, mapping)
        if explanation is None:
            return {}
        self.stdout.write(f"Recognised: {explanation.preset.label}")
        for conversion in explanation.conversions:
            self.stdout.write(f"  {conversion}")
        return dict(explanation.left_out)

    def _actor(self, email: str | None, *, required: bool) -> User | None:
        if email:
            actor = User.objects.filter(email__iexact=email, is_active=True).first()
            if actor is None:
                raise CommandError(f"No active user {email}.")
            return actor
        actor = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
        if actor is None and required:
            raise CommandError(
                "No active admin to act as: create one (manage.py createsuperuser) or pass --user."
            )
        return actor
