"""Imports (STYLE.md: services). `import_table` runs one importer over a parsed table: every row
is checked first (reads only, in a fixed number of queries), then, unless it is a dry run, the
accepted rows are written in one transaction: all of them or, on any database error, none.

The same functions serve `manage.py import_data`, the wizard and the Celery job."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dataio import plausibility
from dataio.importers import ACTIONS, IMPORTERS, REJECTED, UNCHANGED, Importer, Planned
from dataio.importers.base import NUMBER_KINDS, FieldSpec, show_value
from dataio.mapping import autodetect
from dataio.models import ImportJob, ImportStatus
from dataio.parsing import ImportFileError, Table, read_table
from dataio.presets import row_reader
from dataio.values import (
    BRAZILIAN,
    ENGLISH,
    RowReject,
    detect_number_locale,
    is_null,
    text,
)
from kam.outbox import outbox_enqueue

PROGRESS_EVERY = 250
# Longer than the Celery task's hard time limit (dataio.tasks).
ABANDONED_AFTER = timedelta(minutes=31)


@dataclass
class ImportResult:
    outcomes: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Rows had questionable values (dataio.plausibility) and nobody accepted them: nothing
    # was written.
    blocked: bool = False

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(o["action"] for o in self.outcomes)
        return {action: counted.get(action, 0) for action in ACTIONS}

    @property
    def rejects(self) -> list[dict]:
        return [o for o in self.outcomes if o["action"] == REJECTED]


def check_entity_allowed(actor, entity: str) -> None:
    """Users carry roles: only an admin imports them (a leader could otherwise make admins)."""
    if entity == "users" and not (actor is None or actor.is_admin):
        raise ImportFileError(_("Only an admin can import users."))


def check_mapping(entity: str, mapping: dict[str, str], headers: list[str]) -> None:
    """Every mapped column exists, targets a field of `entity` once, and required fields are
    mapped. Raises ImportFileError (nothing is read or written yet)."""
    importer = IMPORTERS[entity]
    names = importer.field_names()
    labels = importer.field_labels()
    used: dict[str, str] = {}
    for column, target in mapping.items():
        if column not in headers:
            raise ImportFileError(_("The file has no column “%(column)s”.") % {"column": column})
        if target not in names:
            raise ImportFileError(
                _("“%(field)s” is not a field of %(entity)s; choose one of: %(fields)s.")
                % {"field": target, "entity": importer.label, "fields": ", ".join(names)}
            )
        if target in used:
            raise ImportFileError(
                _("Columns “%(first)s” and “%(second)s” both map to %(field)s.")
                % {"first": used[target], "second": column, "field": labels[target]}
            )
        used[target] = column
    missing = [
        str(spec.label) for spec in importer.fields if spec.required and spec.name not in used
    ]
    if missing:
        raise ImportFileError(_("Map a column to: %(fields)s.") % {"fields": ", ".join(missing)})


def import_table(
    *,
    entity: str,
    table: Table,
    mapping: dict[str, str],
    actor,
    dry_run: bool,
    currency: str = "",
    value_mapping: dict[str, dict[str, str]] | None = None,
    progress: Callable[[int], None] | None = None,
    accept_warnings: bool = False,
) -> ImportResult:
    """Check every row — every mapped cell by its field's kind, then the row as a whole —, then
    (unless `dry_run`) write the accepted ones in one transaction. A rejected row's reason
    lists every field that is wrong. `value_mapping` ({field: {file value: choice}}) maps the
    values of choice columns; values it leaves out map by `FieldSpec.default_choice`. Rows with
    questionable values (dataio.plausibility) are flagged; with any of them nothing is written
    unless `accept_warnings`."""
    check_entity_allowed(actor, entity)
    check_mapping(entity, mapping, table.headers)
    locale, why = file_number_locale(entity, table, mapping, actor)
    importer: Importer = IMPORTERS[entity](
        actor=actor, currency=currency, locale=locale, value_mapping=value_mapping
    )
    # A recognised CRM export's values converted on the way in (dataio.presets).
    read = row_reader(entity, table.headers, mapping)
    records = [(row, read(cells)) for row, cells in table.records()]
    importer.prepare(records)
    result = ImportResult()
    accepted: list[Planned] = []
    first_row_of_key: dict[tuple, int] = {}
    labels = {name: str(label) for name, label in importer.field_labels().items()}
    for index, (row, values) in enumerate(records, start=1):
        parsed, cell_errors, shown = importer.convert(values)
        errors = list(cell_errors.values())
        failed = [labels[name] for name in cell_errors]
        try:
            planned = importer.resolve(row, parsed)
            if planned.key in first_row_of_key:
                raise RowReject(
                    _("Same record as row %(row)s; only the first is imported.")
                    % {"row": first_row_of_key[planned.key]}
                )
            first_row_of_key[planned.key] = row
        except RowReject as reject:
            errors = _merge_reasons(errors, str(reject), failed)
        if errors:
            result.outcomes.append(
                {
                    "row": row,
                    "action": REJECTED,
                    "label": _row_label(values),
                    "reason": "; ".join(errors),
                    "errors": errors,
                    "parsed": _shown(importer, shown),
                    "values": {
                        column: text(table_value)
                        for column, table_value in zip(
                            table.headers, table.rows[index - 1][1], strict=False
                        )
                    },
                }
            )
        else:
            accepted.append(planned)
            result.outcomes.append(
                {
                    "row": row,
                    "action": planned.action,
                    "label": planned.label,
                    "reason": "",
                    "changes": planned.changes,
                    "parsed": _shown(importer, shown),
                }
            )
        if progress and index % PROGRESS_EVERY == 0:
            progress(index)
    if progress:
        progress(len(records))
    flagged = plausibility.check_rows(entity, accepted)
    for outcome in result.outcomes:
        if outcome["row"] in flagged:
            outcome["warnings"] = flagged[outcome["row"]]
    result.blocked = bool(flagged) and not accept_warnings and not dry_run
    if not dry_run and not result.blocked:
        with transaction.atomic():
            importer.write([p for p in accepted if p.action != UNCHANGED])
    result.notes = [str(note) for note in importer.notes]
    if set(mapping.values()) & set(_number_fields(entity)):
        result.notes.insert(0, _locale_note(locale, why))
    return result


def _merge_reasons(errors: list[str], reason: str, failed: list[str]) -> list[str]:
    """The cells' errors, then the row's own reason unless it repeats one of them (resolve
    meets a bad cell again, or a required one missing)."""
    if reason in errors or any(reason.startswith((f"{label}:", f"{label} ")) for label in failed):
        return errors
    return [*errors, reason]


def _number_fields(entity: str) -> list[str]:
    return [spec.name for spec in IMPORTERS[entity].fields if spec.kind in NUMBER_KINDS]


def file_number_locale(
    entity: str, table: Table, mapping: dict[str, str], actor
) -> tuple[str, str]:
    """How the file writes its numbers (dataio.values.detect_number_locale), from the cells of
    its number columns; the fallback is the language of the person importing."""
    numbers = set(_number_fields(entity))
    columns = [table.headers.index(c) for c, target in mapping.items() if target in numbers]
    language = (getattr(actor, "language", "") or translation.get_language() or "").lower()
    return detect_number_locale(
        (cells[i] for _row, cells in table.rows for i in columns if i < len(cells)),
        delimiter=table.delimiter,
        headers=table.headers,
        default=BRAZILIAN if language == BRAZILIAN else ENGLISH,
    )


def _locale_note(locale: str, why: str) -> str:
    way = (
        _("the Brazilian way (1.500 = 1500; 1.234,56)")
        if locale == BRAZILIAN
        else _("the English way (1,500 = 1500; 1,234.56)")
    )
    reasons = {
        "delimiter": _("the file is separated by semicolons"),
        "numbers": _("the file's other numbers are written that way"),
        "headers": _("the column names are in Portuguese"),
        "language": _("that is your language's way"),
    }
    return _("Numbers read %(way)s: %(why)s.") % {"way": way, "why": reasons[why]}


def _shown(importer: Importer, shown: dict) -> dict[str, list[str]]:
    """{field: [the parsed value as the active language writes it, the cell]} for the preview:
    `1.500` read as 1,500, `03/04/2024` as April 3, 2024 (dates, numbers and choices only)."""
    specs = {spec.name: spec for spec in importer.fields}
    return {name: [show_value(value, specs[name]), raw] for name, (value, raw) in shown.items()}


def _row_label(values: dict) -> str:
    for name in ("name", "full_name", "account", "summary", "external_id"):
        if text(values.get(name)):
            return text(values[name])
    return ""


def import_file(
    *,
    entity: str,
    content: bytes,
    filename: str,
    actor,
    dry_run: bool,
    mapping_overrides: dict[str, str] | None = None,
    currency: str = "",
    value_mapping: dict | None = None,
    accept_warnings: bool = False,
) -> tuple[Table, dict[str, str], ImportResult]:
    """Read, map (auto-detected, then `mapping_overrides` on top; a blank field unmaps the
    column) and import one file: the management command's path. `value_mapping` maps values
    of choice columns ({field: {file value: choice}}); the others map by default."""
    table = read_table(content, filename)
    mapping = autodetect(entity, table.headers)
    for column, target in (mapping_overrides or {}).items():
        if column not in table.headers:
            raise ImportFileError(_("The file has no column “%(column)s”.") % {"column": column})
        mapping = {c: t for c, t in mapping.items() if t != target or c == column}
        if target:
            mapping[column] = target
        else:
            mapping.pop(column, None)
    result = import_table(
        entity=entity,
        table=table,
        mapping=mapping,
        actor=actor,
        dry_run=dry_run,
        currency=currency,
        value_mapping=clean_value_mapping(entity, value_mapping or {}),
        accept_warnings=accept_warnings,
    )
    return table, mapping, result


# --- wizard jobs ------------------------------------------------------------------------------


@transaction.atomic
def import_job_create(
    *, actor, entity: str, filename: str, content: bytes, currency: str = ""
) -> ImportJob:
    """Read the upload (any ImportFileError reaches the form before anything is stored) and keep
    it with the auto-detected mapping."""
    check_entity_allowed(actor, entity)
    table = read_table(content, filename)
    return ImportJob.objects.create(
        created_by=actor,
        entity=entity,
        filename=filename[:255],
        content=content,
        size=len(content),
        kind=table.kind,
        encoding=table.encoding,
        delimiter=table.delimiter,
        headers=table.headers,
        mapping=autodetect(entity, table.headers),
        currency=currency,
        total_rows=len(table.rows),
    )


def _job_table(job: ImportJob, *, sample_rows: int | None = None) -> Table:
    return read_table(bytes(job.content), job.filename, sample_rows=sample_rows)


def import_job_samples(*, job: ImportJob, rows: int = 20) -> dict[str, str]:
    """The first non-blank value of each column (in its first rows), to show while mapping.
    Reads those rows only: the mapping page need not parse the whole file again."""
    samples: dict[str, str] = {}
    for _row, cells in _job_table(job, sample_rows=rows).records():
        for header, value in cells.items():
            if header not in samples and text(value):
                samples[header] = text(value)[:60]
    return samples


# The values step lists at most this many distinct values of one column (a choice column has
# a handful; the rest of a free-text column map by default or reject their rows).
MAX_DISTINCT_VALUES = 100


@dataclass
class ChoiceColumn:
    """A mapped choice column on the values step: each distinct value of the file with the
    choice it maps to (saved, else the default; None when nothing matches)."""

    spec: FieldSpec
    column: str
    values: list[tuple[str, object]]
    more: bool = False


def choice_columns(
    entity: str, table: Table, mapping: dict[str, str], value_mapping: dict | None = None
) -> list[ChoiceColumn]:
    specs = {spec.name: spec for spec in IMPORTERS[entity].choice_fields()}
    saved = value_mapping or {}
    columns = []
    # The values as the importer will see them: a recognised CRM export's codes converted.
    read = row_reader(entity, table.headers, mapping)
    records = [read(cells) for _row, cells in table.records()]
    for column, target in mapping.items():
        if target not in specs:
            continue
        seen: dict[str, None] = {}
        for record in records:
            if not is_null(record.get(target)):
                seen.setdefault(text(record[target]))
        spec = specs[target]
        values = []
        for value in list(seen)[:MAX_DISTINCT_VALUES]:
            if value in saved.get(target, {}):
                values.append((value, saved[target][value] or None))
            else:
                values.append((value, spec.default_choice(value)))
        if values:
            columns.append(ChoiceColumn(spec, column, values, more=len(seen) > MAX_DISTINCT_VALUES))
    return columns


def import_job_choice_columns(*, job: ImportJob, mapping: dict[str, str]) -> list[ChoiceColumn]:
    """The values step of the wizard for `mapping` (empty: no choice column to confirm)."""
    return choice_columns(job.entity, _job_table(job), mapping, job.value_mapping)


@transaction.atomic
def import_job_map_columns(*, job: ImportJob, mapping: dict[str, str]) -> ImportJob:
    """Keep the column mapping; the job waits for its values step (any earlier preview is
    void)."""
    check_mapping(job.entity, mapping, job.headers)
    job.mapping = mapping
    job.status = ImportStatus.UPLOADED
    job.save(update_fields=["mapping", "status"])
    return job


def clean_value_mapping(entity: str, value_mapping: dict) -> dict[str, dict[str, str]]:
    """{field: {file value: choice}} checked against the fields' choices (ImportFileError)."""
    specs = {spec.name: spec for spec in IMPORTERS[entity].choice_fields()}
    cleaned: dict[str, dict[str, str]] = {}
    for name, values in value_mapping.items():
        if name not in specs:
            raise ImportFileError(
                _("“%(field)s” is not a field with choices; choose one of: %(fields)s.")
                % {"field": name, "fields": ", ".join(specs)}
            )
        allowed = {str(value) for value in specs[name].choices.values}
        for file_value, choice in values.items():
            if choice and str(choice) not in allowed:
                raise ImportFileError(
                    _("%(field)s: “%(choice)s” is not one of %(choices)s.")
                    % {
                        "field": specs[name].label,
                        "choice": choice,
                        "choices": ", ".join(sorted(allowed)),
                    }
                )
            cleaned.setdefault(name, {})[str(file_value)] = str(choice or "")
    return cleaned


@transaction.atomic
def import_job_preview(
    *, job: ImportJob, mapping: dict[str, str], value_mapping: dict | None = None
) -> ImportJob:
    """Save the mappings (columns, and the values of choice columns) and the dry run's
    row-by-row outcome."""
    table = _job_table(job)
    check_mapping(job.entity, mapping, table.headers)
    if value_mapping is not None:
        job.value_mapping = clean_value_mapping(job.entity, value_mapping)
    result = import_table(
        entity=job.entity,
        table=table,
        mapping=mapping,
        actor=job.created_by,
        dry_run=True,
        currency=job.currency,
        value_mapping=job.value_mapping,
    )
    job.mapping = mapping
    job.outcomes = result.outcomes
    job.counts = result.counts
    job.notes = result.notes
    job.status = ImportStatus.PREVIEWED
    job.save(update_fields=["mapping", "value_mapping", "outcomes", "counts", "notes", "status"])
    return job


# Files up to this many rows are imported while the browser waits; bigger ones by a worker.
INLINE_MAX_ROWS = 1000


def import_job_confirm(*, job: ImportJob, accept_warnings: bool = False) -> bool:
    """Start the previewed import: small files now, large ones on a Celery worker (queued after
    commit). False when the job was not waiting for confirmation (a second click).
    WarningsNotAccepted when the preview flagged rows and `accept_warnings` is not set."""
    plausibility.require_acceptance(job.outcomes, accepted=accept_warnings)
    with transaction.atomic():
        claimed = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PREVIEWED).update(
            status=ImportStatus.QUEUED, processed_rows=0
        )
        if claimed and job.total_rows > INLINE_MAX_ROWS:
            # Through the outbox: with Redis down the job waits and is sent once it is back,
            # instead of an error page and a job queued forever (kam/outbox.py).
            outbox_enqueue("dataio.tasks.import_job_task", job.pk)
    if claimed and job.total_rows <= INLINE_MAX_ROWS:
        import_job_run(job_id=job.pk)
    return bool(claimed)


def import_job_run(*, job_id: int) -> ImportJob:
    """The real run of a confirmed job. Not one transaction on purpose: progress is saved as the
    rows are checked so the page can show it; the writes are one transaction inside
    import_table. Safe to rerun: a job already done is left alone, and the import is
    idempotent anyway."""
    now = timezone.now()
    # A run older than the task's hard time limit died with its worker (its transaction rolled
    # back): a redelivered task takes the job over. A live run is left alone.
    abandoned = Q(status=ImportStatus.RUNNING, started_at__lt=now - ABANDONED_AFTER)
    claimed = (
        ImportJob.objects.filter(pk=job_id)
        .filter(Q(status__in=[ImportStatus.QUEUED, ImportStatus.PREVIEWED]) | abandoned)
        .update(status=ImportStatus.RUNNING, started_at=now, processed_rows=0)
    )
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if not claimed:
        return job

    def progress(rows: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(processed_rows=rows)

    try:
        # Reasons are stored as text: in the language of the person who runs the import (a
        # worker has no request to take it from).
        with translation.override(job.created_by.language if job.created_by else None):
            result = import_table(
                entity=job.entity,
                table=_job_table(job),
                mapping=job.mapping,
                actor=job.created_by,
                dry_run=False,
                currency=job.currency,
                value_mapping=job.value_mapping,
                progress=progress,
                # Confirmed past the preview's warnings (import_job_confirm).
                accept_warnings=True,
            )
    except Exception as error:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED, error=str(error)[:2000], finished_at=timezone.now()
        )
        raise
    job.outcomes = result.outcomes
    job.counts = result.counts
    job.notes = result.notes
    job.status = ImportStatus.DONE
    job.processed_rows = job.total_rows
    job.finished_at = timezone.now()
    job.save(
        update_fields=["outcomes", "counts", "notes", "status", "processed_rows", "finished_at"]
    )
    return job
