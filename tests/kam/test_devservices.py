"""kam.devservices: what `make run`, `make dev` and `make test` start is stopped with them."""

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

CHILD = "import os, time; print('child', os.getpid(), flush=True); time.sleep(120)"


def _lines(stream) -> queue.Queue:
    """The stream's lines as they come, read on a thread so that the test can time out."""
    lines: queue.Queue = queue.Queue()

    def read() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    return lines


def _wait_for(lines: queue.Queue, prefix: str) -> str:
    while True:
        line = lines.get(timeout=30)
        if line.startswith(prefix):
            return line


def test_sigterm_stops_the_command_and_the_embedded_redis_it_started(tmp_path):
    """`kill`, `timeout` or a service manager stopping `python -m kam.devservices` ends the
    command it runs and the embedded Redis it started, as Ctrl-C does, instead of leaving
    them running with their ports held. A real embedded Redis and a real child process."""
    script = (
        "import sys; from pathlib import Path; from kam import devservices;"
        f"devservices.DATA_DIR = Path({str(tmp_path)!r});"
        f"sys.exit(devservices.main(['exec', '--', sys.executable, '-c', {CHILD!r}]))"
    )
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env["DATABASE_URL"] = "postgres://unused@127.0.0.1:1/unused"  # set: no embedded PostgreSQL
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = _lines(process.stdout)
        redis_url = _wait_for(lines, "Embedded Redis at ").split()[-1]
        port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
        child = int(_wait_for(lines, "child ").split()[1])
        socket.create_connection(("127.0.0.1", port), timeout=2).close()  # Redis is up

        process.send_signal(signal.SIGTERM)

        assert process.wait(timeout=30) == 130
    finally:
        if process.poll() is None:
            process.kill()
    with pytest.raises(ProcessLookupError):  # the command is gone
        os.kill(child, 0)
    with pytest.raises(OSError):  # so is the embedded Redis
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
