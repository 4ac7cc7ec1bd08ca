"""Capture benchmark: N emails (default 10,000; plain, HTML-only,
ISO-8859-1, Windows-1252, with a small attachment, forwards) sent with smtplib from K parallel
senders to the SMTP receiver (`manage.py receive_mail`, a subprocess on a free port) for the
demo users' logging addresses, processed by W Celery worker processes (`celery -A kam worker`),
until every InboundMessage of the run is processed. Target: all on their timelines in 60 s.

    DJANGO_DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/kam \\
        .venv/bin/python bench/capture_smtp.py                 # 10,000 messages
    .venv/bin/python bench/capture_smtp.py --messages 2000 --senders 8 --workers 2

Needs a demo database (`manage.py seed_demo`, normal or --scale large) and Redis. The receiver
and the workers use a queue of the run's own (CELERY_QUEUE), so a `make run` worker on the same
Redis does not take its tasks. Prints messages/s received and processed, total seconds, the
load average and the CPU used (machine, and each process group); exits 1 over --target
seconds. The run's emails stay on the demo timelines (they are real interactions)."""

from __future__ import annotations

import argparse
import os
import random
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")

KINDS = ("plain", "html", "latin1", "cp1252", "attachment", "forward")


def log(text: str) -> None:
    print(text, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine (/proc/stat)."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def group_cpu(pid: int) -> float:
    """CPU seconds of a process and its children, while they run."""
    import psutil

    try:
        parent = psutil.Process(pid)
        processes = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            continue  # ended between the listing and the reading: its time is gone with it
    return total


# --- The messages ------------------------------------------------------------------------------


def personas() -> list[dict]:
    """Every active user with a logging address and stakeholders with an email on accounts
    they may edit: [{"email", "address", "clients": [emails]}]."""
    from django.contrib.auth import get_user_model

    from accounts.models import Stakeholder
    from accounts.selectors import Access, on_accounts_for_user
    from capture.models import LoggingAddress
    from capture.services import logging_address_regenerate

    found = []
    for user in get_user_model().objects.filter(is_active=True).order_by("pk"):
        clients = list(
            on_accounts_for_user(
                Stakeholder.objects.filter(left_on__isnull=True), user, Access.EDIT
            )
            .exclude(email="")
            .values_list("email", flat=True)[:500]
        )
        if not clients:
            continue
        live = LoggingAddress.objects.filter(user=user, revoked_at__isnull=True).first()
        live = live or logging_address_regenerate(user=user)
        found.append({"email": user.email, "address": live.address, "clients": clients})
    return found


LOREM = (
    "Conforme conversamos, seguem os próximos passos da proposta: revisão do escopo, "
    "cronograma de implantação e condições comerciais. Ação: validar até sexta-feira. "
)


def build(kind: str, *, sender: str, client: str, run: str, index: int, rng) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = client
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = f"<{run}.{index}@bench.example>"
    subject = f"Proposta {index} — revisão de preços"
    body = "\n".join([LOREM] * rng.randint(1, 12)) + "\n\n-- \nKAM\n"
    if kind == "plain":
        message["Subject"] = subject
        message.set_content(body)
    elif kind == "html":
        message["Subject"] = subject
        html = "".join(f"<p>{line}</p>" for line in body.split(". "))
        message.set_content(f"<html><body>{html}<script>x()</script></body></html>", subtype="html")
    elif kind in ("latin1", "cp1252"):
        charset = "iso-8859-1" if kind == "latin1" else "windows-1252"
        message["Subject"] = subject.replace("—", "-")
        text = body + ("“Aspas” – travessão €" if kind == "cp1252" else "Ação, coração, já")
        message.set_content(text, charset=charset)
    elif kind == "attachment":
        message["Subject"] = subject
        message.set_content(body)
        message.add_attachment(
            rng.randbytes(rng.randint(2_000, 40_000)),
            maintype="application",
            subtype="pdf",
            filename=f"proposta-{index}.pdf",
        )
    else:  # a client's email forwarded by the user, the original attached
        original = EmailMessage()
        original["From"] = client
        original["To"] = sender
        original["Subject"] = f"Dúvida sobre o pedido {index}"
        original["Date"] = formatdate(localtime=True)
        original["Message-ID"] = f"<{run}.{index}.orig@client.example>"
        original.set_content("Bom dia,\n\nPodem confirmar o prazo de entrega?\n\nObrigada")
        message["Subject"] = f"Fwd: Dúvida sobre o pedido {index}"
        message.set_content("Para registro.")
        message.add_attachment(original)
    return message.as_bytes(policy=policy.SMTP)  # CRLF line ends, as on the wire


def messages(count: int, people: list[dict], run: str, seed: int):
    rng = random.Random(seed)  # nosec B311 - test data, not a secret
    for index in range(count):
        person = people[index % len(people)]
        client = rng.choice(person["clients"])
        kind = KINDS[index % len(KINDS)]
        raw = build(kind, sender=person["email"], client=client, run=run, index=index, rng=rng)
        yield person["email"], person["address"], raw


# --- The processes -----------------------------------------------------------------------------


class Group:
    """A subprocess in a process group of its own, its output in a log file."""

    def __init__(self, name: str, command: list[str], env: dict, out: Path, ready: str):
        self.log_path = out / f"{name}.log"
        self.log_file = self.log_path.open("w")
        self.process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for _ in range(600):
            if ready in self.log_path.read_text():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        sys.exit(f"{name} did not start; see {self.log_path}")

    def cpu(self) -> float:
        return group_cpu(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log_file.close()


def postgres_cpu(since: dict[int, float] | None = None) -> dict[int, float]:
    """CPU seconds of each postgres process (the server is local), minus `since`: backends
    that exited meanwhile are not counted (the bench's own are still connected)."""
    import psutil

    found = {}
    for process in psutil.process_iter(["name"]):
        if process.info["name"] and process.info["name"].startswith("postgres"):
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            found[process.pid] = times.user + times.system - (since or {}).get(process.pid, 0.0)
    return found


def health_left(since) -> tuple[float, int]:
    """The health rescores the run's batches left to the outbox's drain (capture.tasks): run
    now, in this process, to show what they cost; their rows stay for the drain."""

    from insights.services import health_recompute
    from kam.dates import business_date
    from kam.models import OutboxTask

    rows = OutboxTask.objects.filter(
        task="insights.tasks.health_chunk", sent_at=None, created_at__gte=since
    )
    accounts = sorted({pk for args in rows.values_list("args", flat=True) for pk in args[0]})
    began = time.monotonic()
    if accounts:
        health_recompute(account_ids=accounts, day=business_date())
    return time.monotonic() - began, len(accounts)


# --- The run -----------------------------------------------------------------------------------


def send_all(port: int, batches: list[list[tuple[str, str, bytes]]]) -> list[str]:
    errors: list[str] = []

    def sender(batch):
        client = smtplib.SMTP("127.0.0.1", port, timeout=60)
        try:
            for envelope_from, to, raw in batch:
                try:
                    client.sendmail(envelope_from, [to], raw)
                except smtplib.SMTPException as error:
                    errors.append(f"{error.__class__.__name__}: {error}")
        finally:
            client.quit()

    threads = [threading.Thread(target=sender, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--senders", type=int, default=8, help="parallel smtplib clients")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=1, help="pool size of each worker")
    parser.add_argument("--target", type=float, default=60.0, help="seconds; over it exits 1")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--debug", action="store_true", help="run them with DJANGO_DEBUG=true")
    parser.add_argument("--out", type=Path, default=Path(".data/bench-capture"))
    args = parser.parse_args()

    import django

    django.setup()
    from django.db.models import Max
    from django.utils import timezone

    from accounts.models import TimelineEntry
    from capture.models import InboundMessage, MessageStatus

    args.out.mkdir(parents=True, exist_ok=True)
    people = personas()
    if not people:
        sys.exit("no user with stakeholders: run `manage.py seed_demo` first")
    run = uuid.uuid4().hex[:10]
    log(f"building {args.messages} messages for {len(people)} users …")
    built = list(messages(args.messages, people, run, args.seed))
    sizes = sorted(len(raw) for _f, _t, raw in built)
    log(f"sizes: median {sizes[len(sizes) // 2]} B, max {sizes[-1]} B, "
        f"total {sum(sizes) / 1e6:.1f} MB; kinds: {', '.join(KINDS)} in turn")  # fmt: skip
    batches = [built[i :: args.senders] for i in range(args.senders)]
    first_pk = (InboundMessage.objects.aggregate(last=Max("pk"))["last"] or 0) + 1

    queue = f"bench-capture-{run}"
    env = {**os.environ, "CELERY_QUEUE": queue, "PYTHONUNBUFFERED": "1"}
    if not args.debug:  # as deployed: DEBUG on records every SQL statement in memory
        secret = os.environ.get("DJANGO_SECRET_KEY") or uuid.uuid4().hex * 2
        env.update(DJANGO_DEBUG="false", DJANGO_ALLOWED_HOSTS="localhost")
        env["DJANGO_SECRET_KEY"] = secret
    port = free_port()
    python = sys.executable
    receiver = Group(
        "receiver",
        [python, "manage.py", "receive_mail", "--port", str(port)],
        env,
        args.out,
        "Receiving mail",
    )
    workers = [
        Group(
            f"worker{n}",
            [
                python,
                "-m",
                "celery",
                "-A",
                "kam",
                "worker",
                "--queues",
                queue,
                "--concurrency",
                str(args.concurrency),
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"bench{n}-{run}@%h",
            ],
            env,
            args.out,
            " ready.",
        )
        for n in range(args.workers)
    ]
    try:
        pg_before, busy_before = postgres_cpu(), cpu_times()
        started, own_before = time.monotonic(), time.process_time()
        started_wall = timezone.now()
        errors = send_all(port, batches)
        received_at, senders_cpu = time.monotonic(), time.process_time() - own_before
        ours = InboundMessage.objects.filter(pk__gte=first_pk)
        stored = ours.count()
        seconds = received_at - started
        log(f"received: {stored} stored in {seconds:.1f} s ({stored / seconds:.0f} msg/s), "
            f"{len(errors)} SMTP errors")  # fmt: skip
        deadline = started + max(args.target * 20, 1200)
        while time.monotonic() < deadline:
            if not ours.filter(status=MessageStatus.RECEIVED).exists():
                break
            time.sleep(0.2)
        done_at = time.monotonic()
        busy_after = cpu_times()
        cpu = {
            "receiver": receiver.cpu(),
            "workers": sum(worker.cpu() for worker in workers),
            "postgres": sum(postgres_cpu(pg_before).values()),
            "senders": senders_cpu,
        }
    finally:
        receiver.stop()
        for worker in workers:
            worker.stop()
        import redis
        from django.conf import settings

        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(queue)

    total = done_at - started
    statuses = Counter(ours.values_list("status", flat=True))
    left = statuses.get(MessageStatus.RECEIVED, 0)
    busy = (busy_after[0] - busy_before[0]) / max(busy_after[1] - busy_before[1], 1)
    done = stored - left
    log(f"processed: {done} in {total:.1f} s from the first send "
        f"({done / total:.0f} msg/s end to end); statuses: {dict(statuses)}")  # fmt: skip
    if errors:
        log(f"first SMTP error: {errors[0]}")
    on_timelines = TimelineEntry.objects.filter(
        interaction__in=ours.exclude(interaction=None).values("interaction")
    ).count()
    log(f"on the timelines: {on_timelines} email interactions of the run")
    rescore_seconds, rescored = health_left(started_wall)
    log(f"health: the rescores of the {rescored} accounts logged on wait for the outbox's next "
        f"drain, as one task; run here now, it takes {rescore_seconds:.1f} s")  # fmt: skip
    ok = total <= args.target and not left and stored == on_timelines == args.messages
    log(f"TOTAL {total:.1f} s for {args.messages} messages "
        f"(target {args.target:.0f} s: {'met' if ok else 'NOT met'})")  # fmt: skip
    load = os.getloadavg()
    log(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; machine CPU busy {busy:.0%} "
        f"of {os.cpu_count()} cores; CPU s: receiver {cpu['receiver']:.1f}, workers "
        f"{cpu['workers']:.1f}, PostgreSQL {cpu['postgres']:.1f}, smtplib senders "
        f"{cpu['senders']:.1f}")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
