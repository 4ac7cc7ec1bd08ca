import os
from pathlib import Path

import pytest

from dataio.services import import_file

REPOSITORY = Path(__file__).resolve().parents[2]


def checkouts() -> list[Path]:
    """This checkout; when it is a git worktree, the main checkout it belongs to; when it is a
    clone of a checkout on this machine (CI clones one), that checkout."""
    places = [REPOSITORY]
    git = REPOSITORY / ".git"
    if git.is_file():  # a worktree's .git reads "gitdir: <main checkout>/.git/worktrees/<name>"
        places.append(Path(git.read_text().split(":", 1)[1].strip()).parents[2])
    config = git / "config"
    if config.is_file():
        for line in config.read_text().splitlines():
            key, _sep, value = line.partition("=")
            origin = Path(value.strip())
            if key.strip() == "url" and origin.is_absolute() and origin.is_dir():
                places.append(origin)
    return places


# The shared data set sits next to the checkout (../shared), or where KAM_MAVEN_DIR says.
MAVEN_PLACES = [
    Path(os.environ["KAM_MAVEN_DIR"]) if os.environ.get("KAM_MAVEN_DIR") else None,
    *(checkout.parent / "shared" / "datasets" / "maven-crm" for checkout in checkouts()),
]


def maven_dir() -> Path:
    """The Maven sample; its tests may skip only outside CI."""
    for place in MAVEN_PLACES:
        if place is not None and (place / "sales_pipeline.csv").exists():
            return place
    tried = ", ".join(str(place) for place in MAVEN_PLACES if place)
    if os.environ.get("CI"):
        pytest.fail(f"Maven data set not found (tried {tried}); CI requires it")
    pytest.skip(f"Maven data set not found (tried {tried}); set KAM_MAVEN_DIR")


@pytest.fixture
def maven():
    return maven_dir()


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
