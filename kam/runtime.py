"""Process-wide switches for batch work."""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run a batch without Python's cyclic garbage collector; it runs again once the last
    batch of the process ends (nested and concurrent batches share one pause).

    A batch that builds many small containers (the nightly health: a dozen dicts, tuples and
    dataclasses per account) sets off a collection every few hundred allocations, and the
    full ones walk everything the process holds: at 20,000 accounts that was a third of the
    scoring's Python time (bench/README.md, "Nightly health at 100,000 accounts").

    Only for a batch that leaves no reference cycles, so that reference counting frees all it
    builds as it goes and the pause cannot grow the process: the health chunk and the
    dashboard's summary rows (their tests count what the collector finds afterwards: nothing).
    The playbooks' evaluation leaves cycles (80,000 objects at 20,000 accounts) and runs with
    the collector on. Nothing else may switch the collector during a pause: the last pause to
    end switches it back on if it was on when the first began."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
