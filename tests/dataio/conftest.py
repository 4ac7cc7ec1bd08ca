from pathlib import Path

import pytest

from dataio.services import import_file

MAVEN = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "maven-crm"


@pytest.fixture
def maven():
    if not MAVEN.exists():
        pytest.skip(f"Maven data set not found at {MAVEN}")
    return MAVEN


@pytest.fixture
def run_import(admin_user):
    """run_import(entity, text_or_bytes, filename="f.csv", **kwargs) → ImportResult."""

    def run(entity, content, filename="rows.csv", *, dry_run=False, actor=None, **kwargs):
        if isinstance(content, str):
            content = content.encode()
        _table, _mapping, result = import_file(
            entity=entity,
            content=content,
            filename=filename,
            actor=actor or admin_user,
            dry_run=dry_run,
            **kwargs,
        )
        return result

    return run


def maven_import(folder: Path, actor) -> dict[str, dict]:
    """The four Maven files in the documented order; {file: counts}."""
    counts = {}
    for entity, name in (
        ("users", "sales_teams.csv"),
        ("products", "products.csv"),
        ("accounts", "accounts.csv"),
        ("deals", "sales_pipeline.csv"),
    ):
        _table, _mapping, result = import_file(
            entity=entity,
            content=(folder / name).read_bytes(),
            filename=name,
            actor=actor,
            dry_run=False,
        )
        counts[name] = {**result.counts, "rejects": result.rejects}
    return counts
