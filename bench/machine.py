"""How fast this machine runs Python at the moment, printed by bench/web.py and
bench/health_recompute.py at the start and at the end of a run. Machines of one kind differ,
and one machine's speed drifts within the hour (bench/README.md, "How much a run varies"): two
runs' figures compare only alongside this."""

import time

LOOP = 10_000_000


def python_loop_seconds() -> float:
    """Seconds a pure-Python loop of ten million additions takes (about 1 s on a fast 2-core
    machine of the kind bench/README.md describes, 2 s on a slow one)."""
    started = time.perf_counter()
    total = 0
    for number in range(LOOP):
        total += number
    return time.perf_counter() - started


def speed_line() -> str:
    return f"machine speed: a Python loop of ten million additions {python_loop_seconds():.2f} s"
