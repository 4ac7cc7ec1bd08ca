"""Which column feeds which field: guessed from the header names, editable in the wizard and
with `--map COLUMN=FIELD` on the command."""

from __future__ import annotations

from dataio.importers import IMPORTERS
from dataio.presets import detect, preset_mapping
from dataio.values import normalise


def autodetect(entity: str, headers: list[str], *, presets: bool = True) -> dict[str, str]:
    """{header: field} for the headers that name a field (by its name, label or an alias).
    Exact field names win over aliases, and each field takes one column (the first).
    The export of a known CRM (dataio.presets) is mapped as its preset says, and its other
    columns (custom fields) by name."""
    preset = detect(entity, headers) if presets else None
    if preset is not None:
        mapping = preset_mapping(preset, headers)
        others = [header for header in headers if normalise(header) not in preset.known]
        by_name = autodetect(entity, others, presets=False)
        return mapping | {h: f for h, f in by_name.items() if f not in mapping.values()}
    importer = IMPORTERS[entity]
    exact = {normalise(spec.name): spec.name for spec in importer.fields}
    alias = {}
    for spec in importer.fields:
        for name in (str(spec.label), *spec.aliases):
            alias.setdefault(normalise(name), spec.name)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for lookup in (exact, alias):
        for header in headers:
            target = lookup.get(normalise(header))
            if header in mapping or not header or target is None or target in taken:
                continue
            mapping[header] = target
            taken.add(target)
    return mapping
