"""Upload amplification benchmark (issue 14): files built to cost far more than their size, and
honest big files for scale, each read by `dataio.parsing.read_table` and by
`manage.py import_data products FILE --dry-run` (which reads and checks every row, writes
nothing). Each measure runs in a fresh subprocess:

* time: wall seconds of the read (or the command) alone;
* RSS peak: the process's peak resident memory (ru_maxrss) after the read, and before it
  (the baseline: Django, openpyxl and the file's bytes already loaded);
* traced peak: the peak of Python allocations tracemalloc sees, in a second run of its own
  (tracing slows Python down, so its time is not reported).

    DJANGO_DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/kam \\
        .venv/bin/python bench/upload.py                       # every file, both ways
    .venv/bin/python bench/upload.py --only declares-A1:XFD3000 --way read_table

import_data needs the database (any migrated one: nothing is written); read_table does not.
The files are built by tests/dataio/crafted.py, the same the tests read."""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")

WAYS = ("read_table", "import_data")


def honest_xlsx(rows: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["name", "series", "list_price", "note", "a", "b", "c", "d", "e", "f"])
    for index in range(rows):
        sheet.append([f"Product {index}", "GTX", index * 1.5, "São Paulo", 1, 2, 3, "x", "y", "z"])
    from io import BytesIO

    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def honest_csv(rows: int) -> bytes:
    lines = ["name;series;list_price;note;a;b;c;d;e;f"]
    lines += [f"Product {i};GTX;{i},50;São Paulo;1;2;3;x;y;z" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def cases() -> dict[str, tuple[str, bytes]]:
    """name: (file name, content)."""
    from tests.dataio import crafted

    return {
        "declares-A1:XFD3000": ("crafted.xlsx", crafted.declared_dimension()),
        "declares-A1:XFD1048576": (
            "crafted.xlsx",
            crafted.declared_dimension("A1:XFD1048576", 3000),
        ),
        "declares-A1:XFD1048576-last-row": (
            "crafted.xlsx",
            crafted.declared_dimension("A1:XFD1048576", 1_048_576),
        ),
        "whole-sheet-formatted": ("formatted.xlsx", crafted.whole_sheet_formatted(1000)),
        "zip-bomb-50-MB": ("bomb.xlsx", crafted.zip_bomb(50 * crafted.MEGABYTE)),
        "csv-field-200-KB": ("long.csv", crafted.long_csv_cell(200_000)),
        "csv-20-MB-empty-lines": ("empty.csv", b"name\nAcme\n" + b"\n" * (20 * 2**20 - 20)),
        "honest-xlsx-5000x10": ("honest.xlsx", honest_xlsx(5_000)),
        "honest-csv-50000x10": ("honest.csv", honest_csv(50_000)),
    }


def child(way: str, path: str, trace: bool) -> dict:
    """One measure, in this process (a fresh one)."""
    import django

    django.setup()
    import tracemalloc
    from io import StringIO

    import openpyxl  # noqa: F401 - loaded before the measure, like Django
    from django.core.management import CommandError, call_command

    from dataio.parsing import ImportFileError, read_table

    content = Path(path).read_bytes()

    def run() -> str:
        try:
            if way == "read_table":
                return f"{len(read_table(content, Path(path).name).rows)} rows"
            out = StringIO()
            call_command("import_data", "products", path, "--dry-run", stdout=out)
            return out.getvalue().splitlines()[0].split(": ", 1)[1]
        except (ImportFileError, CommandError) as error:
            return f"refused: {str(error)[:60]}"

    if trace:
        tracemalloc.start()
        outcome = run()
        return {"outcome": outcome, "traced_mb": tracemalloc.get_traced_memory()[1] / 2**20}
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    outcome = run()
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "outcome": outcome,
        "seconds": seconds,
        "rss_mb": after / 1024,
        "base_mb": before / 1024,
    }


def measure(way: str, path: Path, trace: bool) -> dict:
    command = [sys.executable, __file__, "--child", way, str(path)] + (["--trace"] if trace else [])
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)
    if result.returncode:
        return {"outcome": f"crashed: {result.stderr.strip().splitlines()[-1]}"}
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", help="a case name (repeatable)")
    parser.add_argument("--way", choices=WAYS, action="append", help="default: both")
    parser.add_argument("--child", nargs=2, metavar=("WAY", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child, args.trace)))
        return
    import django

    django.setup()
    built = cases()
    names = args.only or list(built)
    header = (
        f"{'file':31} {'bytes':>10}  {'way':11} {'time':>7} {'RSS peak':>8} {'(base)':>7} "
        f"{'traced':>8}  outcome"
    )
    print(header)
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            filename, content = built[name]
            path = Path(folder) / name / filename
            path.parent.mkdir()
            path.write_bytes(content)
            for way in args.way or WAYS:
                timed = measure(way, path, trace=False)
                traced = measure(way, path, trace=True)
                print(
                    f"{name:31} {len(content):>10,}  {way:11} "
                    f"{timed.get('seconds', 0):>6.2f}s {timed.get('rss_mb', 0):>6.0f}MB "
                    f"{timed.get('base_mb', 0):>5.0f}MB {traced.get('traced_mb', 0):>6.1f}MB  "
                    f"{timed['outcome'][:50]}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
