"""How fast this machine runs Python at the moment, printed by bench/web.py and
bench/health_recompute.py at the start and at the end of a run. Machines of one kind differ,
and one machine's speed drifts within the hour (bench/README.md, "How much a run varies"): two
runs' figures compare only alongside this."""

import platform
import sys
import sysconfig
import time

LOOP = 10_000_000


def python_loop_seconds() -> float:
    """Seconds a pure-Python loop of ten million additions takes (0.25-0.3 s on a fast hour of
    a 2-core machine of the kind bench/README.md describes, 0.4-1.1 s on slow ones; less on an
    optimised build of Python than on a plain one: compare runs on the same interpreter)."""
    started = time.perf_counter()
    total = 0
    for number in range(LOOP):
        total += number
    return time.perf_counter() - started


def interpreter() -> str:
    """This Python and the build options that make it faster (bench/README.md, "The
    interpreter"): profile-guided optimisation (--enable-optimizations) and link-time
    optimisation (--with-lto), as the python:3.12-slim image and the distributions' packages are
    built, and a plain `pyenv install` is not. Read from the options CPython was configured
    with; a distribution that optimises by other means (Debian's own build steps) shows as
    "configured without them"."""
    options = sysconfig.get_config_var("CONFIG_ARGS") or ""
    built = [flag for flag in ("--enable-optimizations", "--with-lto") if flag in options]
    how = f"configured with {' '.join(built)}" if built else "configured without PGO or LTO"
    name = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{name} ({how}) from {sys.base_prefix}"


def speed_line() -> str:
    return (
        f"machine speed: a Python loop of ten million additions {python_loop_seconds():.2f} s; "
        f"{interpreter()}"
    )
