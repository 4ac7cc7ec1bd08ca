from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Currency
from dataio.importers import IMPORTERS
from dataio.models import ImportEntity, ImportJob
from dataio.parsing import (
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_ROWS,
    MEGABYTE,
    ImportFileError,
    check_size,
)
from dataio.services import MAX_DISTINCT_VALUES, ChoiceColumn, check_mapping


class UploadForm(forms.Form):
    entity = forms.ChoiceField(label=_("What the rows are"), choices=ImportEntity.choices)
    file = forms.FileField(label=_("File"))
    currency = forms.ChoiceField(
        label=_("Currency of new accounts and products"),
        choices=[("", _("Default (BRL)")), *Currency.choices],
        required=False,
        help_text=_("Used only when the file has no currency column."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext(
            "CSV (any common encoding; comma, semicolon, tab or pipe) or XLSX, up to "
            "%(size)s MB, %(rows)s rows and %(columns)s columns. The first row holds the column "
            "names."
        ) % {
            "size": number_format(MAX_BYTES // MEGABYTE),
            "rows": number_format(MAX_ROWS, force_grouping=True),
            "columns": number_format(MAX_COLUMNS),
        }
        if not user.is_admin:
            self.fields["entity"].choices = [
                choice for choice in ImportEntity.choices if choice[0] != ImportEntity.USERS
            ]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Before anything reads the file (Django has spooled a large upload to disk).
        try:
            check_size(upload.size)
        except ImportFileError as error:
            raise ValidationError(str(error)) from error
        return upload


class MappingForm(forms.Form):
    """One select per column of the file: the field it feeds, or ignored."""

    def __init__(self, *args, job: ImportJob, samples: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job
        importer = IMPORTERS[job.entity]
        choices = [("", _("— ignore this column —"))]
        choices += [
            (spec.name, f"{spec.label}{' *' if spec.required else ''}") for spec in importer.fields
        ]
        for index, header in enumerate(job.headers):
            if not header:
                continue
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header,
                choices=choices,
                required=False,
                initial=job.mapping.get(header, ""),
                help_text=(samples or {}).get(header, ""),
            )

    def clean(self):
        data = super().clean()
        mapping = {
            self.job.headers[int(name.removeprefix("col_"))]: target
            for name, target in data.items()
            if target
        }
        try:
            check_mapping(self.job.entity, mapping, self.job.headers)
        except ImportFileError as error:
            raise ValidationError(str(error)) from error
        data["mapping"] = mapping
        return data


class ValueMappingForm(forms.Form):
    """One select per distinct value of each mapped choice column: the choice it becomes,
    pre-filled with the default (English or Portuguese name, any case and accents), or none
    (its rows are rejected)."""

    max_values = MAX_DISTINCT_VALUES

    def __init__(self, *args, columns: list[ChoiceColumn], **kwargs):
        super().__init__(*args, **kwargs)
        self.columns = columns
        self.keys: dict[str, tuple[str, str]] = {}
        self.groups = []
        for i, column in enumerate(columns):
            choices = [("", _("— not mapped: reject these rows —"))]
            choices += [(str(value), label) for value, label in column.spec.choices.choices]
            names = []
            for j, (value, default) in enumerate(column.values):
                name = f"v_{i}_{j}"
                self.fields[name] = forms.ChoiceField(
                    label=value,
                    choices=choices,
                    required=False,
                    initial="" if default is None else str(default),
                )
                self.keys[name] = (column.spec.name, value)
                names.append(name)
            self.groups.append((column, [self[name] for name in names]))

    def clean(self):
        data = super().clean()
        value_mapping: dict[str, dict[str, str]] = {}
        for name, (field, value) in self.keys.items():
            value_mapping.setdefault(field, {})[value] = data.get(name) or ""
        data["value_mapping"] = value_mapping
        return data
