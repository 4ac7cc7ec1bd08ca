"""Where a page's template time goes, line by line (see bench/README.md, "Templates").

    DJANGO_DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/kam_large_bench \
        .venv/bin/python bench/template_profile.py /accounts/ --as leader@example.com

Renders the page in this process with DEBUG off (the cached template loader, as in
production), a few times to warm up, then --requests times with every template node timed.
Prints the request time (slower than bench/web.py's: every node is timed), the time spent in
templates, each template's share, and the template lines that cost most, their own time
without the nodes inside them. A loop's own time includes what it iterates: a queryset or a
form field's choices are read there. Nothing in the app changes; only this process is timed.
"""

from __future__ import annotations

import argparse
import collections
import gc
import os
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.template import base  # noqa: E402
from django.test import Client  # noqa: E402

from kam.models import User  # noqa: E402

settings.DEBUG = False


class NodeTimer:
    """Wraps Node.render_annotated: each node's own time (its children's taken out), by
    (template, line, node type)."""

    def __init__(self):
        self.own = collections.defaultdict(float)
        self.calls = collections.Counter()
        self.total = 0.0
        self._children = []  # time spent in the children of each node being rendered
        self._render = base.Node.render_annotated

    def install(self) -> None:
        timer, render = self, self._render

        def render_annotated(node, context):
            token = getattr(node, "token", None)
            origin = getattr(node, "origin", None)
            key = (
                getattr(origin, "template_name", None) or "?",
                token.lineno if token else 0,
                type(node).__name__,
            )
            started = time.perf_counter()
            timer._children.append(0.0)
            try:
                return render(node, context)
            finally:
                elapsed = time.perf_counter() - started
                children = timer._children.pop()
                timer.own[key] += elapsed - children
                timer.calls[key] += 1
                if timer._children:
                    timer._children[-1] += elapsed
                else:
                    timer.total += elapsed

        base.Node.render_annotated = render_annotated

    def reset(self) -> None:
        self.own.clear()
        self.calls.clear()
        self.total = 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--as", dest="email", default="leader@example.com")
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--top", type=int, default=25, help="template lines to print")
    args = parser.parse_args()

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(email=args.email))
    timer = NodeTimer()
    timer.install()
    for _ in range(3):
        response = client.get(args.url)
    if response.status_code != 200:
        sys.exit(f"{args.url} as {args.email}: HTTP {response.status_code}")
    # As kam/wsgi.py does in a worker: what is loaded by now leaves the collector's walks.
    # Without it, full collections walking the whole process land in whichever node allocates
    # when one starts (a bare `{% if %}` of base.html took 12 ms a request on the accounts list
    # at 100,000 accounts, 1.5 with the freeze), which a worker does not see.
    gc.collect()
    gc.freeze()
    timer.reset()
    started = time.perf_counter()
    for _ in range(args.requests):
        client.get(args.url)
    per_request = (time.perf_counter() - started) / args.requests * 1000
    n = args.requests
    print(
        f"{args.url} as {args.email}: {per_request:.1f} ms a request with every node timed, "
        f"{timer.total / n * 1000:.1f} ms of it in templates; {len(response.content):,} bytes"
    )
    by_template = collections.defaultdict(float)
    for (name, _line, _kind), seconds in timer.own.items():
        by_template[name] += seconds
    print("\ntemplates (own time of their nodes, ms a request)")
    for name, seconds in sorted(by_template.items(), key=lambda item: -item[1])[:10]:
        print(f"  {seconds / n * 1000:7.2f}  {name}")
    print("\nlines (own time, ms a request; nodes a request)")
    ranked = sorted(timer.own.items(), key=lambda item: -item[1])[: args.top]
    for (name, line, kind), seconds in ranked:
        calls = timer.calls[(name, line, kind)] / n
        print(f"  {seconds / n * 1000:7.2f}  {calls:6.0f}  {name}:{line} {kind}")


if __name__ == "__main__":
    main()
