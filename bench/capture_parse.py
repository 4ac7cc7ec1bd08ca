"""Throughput of capture/parsing.py alone (no database, no queue): messages per second over
2,000 generated messages of mixed sizes and charsets, on one core.

    DJANGO_DEBUG=true .venv/bin/python bench/capture_parse.py [--messages 2000] [--seed 1]

The mix: short UTF-8 replies with quoted history, Windows-1252 mail mis-declared as utf-8 or
iso-8859-1, HTML-only newsletters-style bodies (with scripts and styles), a PDF of 50-500 KB,
calendar invites, forwarded messages (attached and inline), and a few 1 MB bodies.
Django is set up only because refusal reasons and warnings are translated with gettext.
"""

import argparse
import os
import random
import sys
import time
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
import django

django.setup()

from capture.parsing import MessageRefused, parse_message  # noqa: E402

WORDS = [
    "proposta",
    "revisão",
    "contrato",
    "reunião",
    "cotação",
    "ação",
    "preço",
    "prazo",
    "entrega",
    "“urgente”",
    "–",
    "€",
    "às",
]


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _headers(message: EmailMessage, rng: random.Random, n: int) -> None:
    message["From"] = f"Cliente {n} <cliente{n}@cliente{n % 50}.com.br>"
    message["To"] = ", ".join(f"kam{k}@nos.com.br" for k in range(rng.randint(1, 5)))
    message["Cc"] = f"gerente{n % 7}@cliente{n % 50}.com.br"
    message["Subject"] = f"Re: {_sentence(rng, 4)}"
    message["Date"] = "Mon, 03 Nov 2025 10:15:00 -0300"
    message["Message-ID"] = f"<m{n}@cliente.com.br>"
    message["In-Reply-To"] = f"<m{n - 1}@nos.com.br>"
    message["References"] = f"<root{n % 100}@nos.com.br> <m{n - 1}@nos.com.br>"


def generate(rng: random.Random, n: int) -> bytes:
    kind = rng.choices(
        ["reply", "cp1252", "html", "pdf", "invite", "forward", "huge"],
        weights=[35, 15, 20, 10, 8, 10, 2],
    )[0]
    body = "\n\n".join(_sentence(rng, rng.randint(5, 30)) for _ in range(rng.randint(1, 6)))
    reply = f"{body}\n\nAtenciosamente,\nCliente\n\nEm seg., 3 de nov., Ana escreveu:\n> {body}"
    if kind == "cp1252":
        declared = rng.choice([b"utf-8", b"iso-8859-1", b"windows-1252"])
        return (
            f"From: Cliente <c{n}@cliente.com.br>\r\nTo: kam@nos.com.br\r\n"
            f"Subject: Cota\xe7\xe3o\r\nMessage-ID: <m{n}@x>\r\nMIME-Version: 1.0\r\n".encode()
            + b"Content-Type: text/plain; charset="
            + declared
            + b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + reply.encode("cp1252").replace(b"\n", b"\r\n")
        )
    message = EmailMessage()
    _headers(message, rng, n)
    if kind == "html":
        paragraphs = "".join(f"<p>{_sentence(rng, 20)}</p>" for _ in range(rng.randint(5, 60)))
        message.set_content(
            f"<html><head><style>p{{margin:0}}</style><script>track()</script></head>"
            f"<body><div><div>{paragraphs}</div><table><tr><td>a</td><td>b</td></tr></table>"
            f"</div></body></html>",
            subtype="html",
        )
    elif kind == "huge":
        message.set_content((body + "\n") * (1_000_000 // (len(body) + 1)))
    else:
        message.set_content(reply)
    if kind == "pdf":
        size = rng.randint(50_000, 500_000)
        message.add_attachment(
            b"%PDF-1.4" + rng.randbytes(size), maintype="application", subtype="pdf",
            filename="Proposta técnica.pdf",
        )  # fmt: skip
    elif kind == "invite":
        message.add_alternative(
            "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:{n}@x\r\n"
            "SUMMARY:Revisão\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            subtype="calendar",
        )
    elif kind == "forward":
        original = EmailMessage()
        _headers(original, rng, n + 1)
        original.set_content(reply)
        message.add_attachment(original)
    return message.as_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    messages = [generate(rng, n) for n in range(1, args.messages + 1)]
    total_bytes = sum(len(raw) for raw in messages)

    refused = 0
    started_cpu, started = time.process_time(), time.perf_counter()
    for raw in messages:
        try:
            parse_message(raw)
        except MessageRefused:
            refused += 1
    wall = time.perf_counter() - started
    cpu = time.process_time() - started_cpu

    print(f"{len(messages)} messages, {total_bytes / 1e6:.1f} MB, {refused} refused")
    print(f"wall {wall:.2f} s, cpu {cpu:.2f} s")
    print(f"{len(messages) / wall:.0f} messages/s, {total_bytes / 1e6 / wall:.1f} MB/s (one core)")


if __name__ == "__main__":
    main()
