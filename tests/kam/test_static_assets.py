"""What a phone on a slow network downloads before the first paint (issue 16): pages and static
files compressed, static files cached for good, a favicon, only the Bootstrap rules the
templates use, no script that blocks the parser. bench/lighthouse.py measures the result."""

import gzip
import re
import subprocess
import sys
from pathlib import Path

import brotli
import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client, override_settings

from kam import devservices

BASE_DIR = Path(__file__).resolve().parents[2]
VENDOR = BASE_DIR / "static" / "vendor"
PURGED = VENDOR / "vendor.min.css"


def _production_static_storage() -> str:
    """The static files storage the settings pick with DEBUG off (`make run`, production)."""
    env = devservices.quick_start_env({"PATH": "/usr/bin:/bin", "DJANGO_SECRET_KEY": "x" * 50})
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.STORAGES['staticfiles']['BACKEND'])"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "kam.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """Our static files collected with the production storage into a temporary STATIC_ROOT
    (the admin's and the API docs' are left out: tens of MB to compress, none of ours)."""
    backend = _production_static_storage()
    assert backend == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    root = tmp_path_factory.mktemp("staticfiles")
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": backend}}
    with override_settings(STATIC_ROOT=root, STORAGES=storages):
        call_command(
            "collectstatic",
            interactive=False,
            verbosity=0,
            ignore_patterns=["admin", "drf_spectacular_sidecar", "rest_framework", "django_htmx"],
        )
    return root, storages


@pytest.fixture
def production_static(collected, settings):
    """Static files served by WhiteNoise as in production: from STATIC_ROOT, manifest names."""
    root, storages = collected
    settings.STATIC_ROOT = root
    settings.STORAGES = storages
    settings.DEBUG = False
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    return Client()  # a new client loads the middleware, so WhiteNoise reads these settings


def _asset(html: str, suffix: str) -> str:
    return re.search(rf'(?:href|src)="(/static/[^"]+{re.escape(suffix)})"', html).group(1)


def test_static_files_are_served_compressed_and_cached_for_good(production_static):
    page = production_static.get("/login/").content.decode()
    css = _asset(page, ".css")
    assert re.search(r"\.[0-9a-f]{12}\.css$", css), css  # the manifest's hashed name

    brotli_response = production_static.get(css, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert brotli_response.status_code == 200
    assert brotli_response["Content-Encoding"] == "br"
    body = b"".join(brotli_response.streaming_content)
    assert b"* Bootstrap" in brotli.decompress(body)[:100]  # its licence comment
    assert "immutable" in brotli_response["Cache-Control"]
    assert "Accept-Encoding" in brotli_response["Vary"]

    gzip_response = production_static.get(css, HTTP_ACCEPT_ENCODING="gzip")
    assert gzip_response["Content-Encoding"] == "gzip"
    assert b"* Bootstrap" in gzip.decompress(b"".join(gzip_response.streaming_content))[:100]

    script = production_static.get(_asset(page, ".js"), HTTP_ACCEPT_ENCODING="br")
    assert script["Content-Encoding"] == "br"
    plain = production_static.get(css)
    assert "Content-Encoding" not in plain  # a client that cannot decompress gets it plain


def test_pages_are_served_gzipped_when_the_browser_accepts_it(client):
    response = client.get("/login/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert b"<form" in gzip.decompress(response.content)
    assert "Content-Encoding" not in client.get("/login/")


def test_favicon_ico_is_served_and_pages_name_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = client.get("/login/").content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+\.svg)"', page).group(1)
    # Static files are served from collectstatic's output, which a test run does not make: the
    # link must name a file the static finders know.
    assert icon.startswith(settings.STATIC_URL)
    assert finders.find(icon.removeprefix(settings.STATIC_URL)) is not None


def test_no_script_blocks_the_parser_and_one_vendor_stylesheet_loads(client):
    page = client.get("/login/").content.decode()
    head = page.split("</head>")[0]
    scripts = re.findall(r"<script\b[^>]*\bsrc=[^>]*>", head)
    assert scripts
    assert all(" defer" in tag or " async" in tag for tag in scripts), scripts
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', head)
    assert stylesheets == [
        "/static/vendor/vendor.min.css",
        "/static/css/kam.css",
    ]


def _class_names(css: str) -> set[str]:
    return set(re.findall(r"\.(-?[_a-zA-Z][\w-]*)", re.sub(r"url\([^)]*\)", "", css)))


def _words_in_sources() -> set[str]:
    """What bin/purge-css.mjs reads, split the way PurgeCSS's default extractor does."""
    apps = [BASE_DIR / app for app in settings.INSTALLED_APPS if "." not in app]
    sources = [
        *(BASE_DIR / "templates").rglob("*.html"),
        *(BASE_DIR / "static" / "js").rglob("*.js"),
        *(path for app in apps for path in app.rglob("*.py")),
        *(path for app in apps for path in (app / "jinja2").rglob("*.html")),
    ]
    words: set[str] = set()
    for path in sources:
        words.update(re.findall(r"[A-Za-z0-9_-]+", path.read_text(encoding="utf-8")))
    return words


def test_the_purged_bootstrap_keeps_every_class_a_template_uses():
    """Adding a Bootstrap class or icon to a template without `make vendor` would leave it
    unstyled: this names the missing ones."""
    full = _class_names((VENDOR / "bootstrap" / "bootstrap.min.css").read_text())
    full |= _class_names((VENDOR / "bootstrap-icons" / "bootstrap-icons.min.css").read_text())
    purged = _class_names(PURGED.read_text())
    used = _words_in_sources() & full
    assert used - purged == set(), "run `make vendor` (bin/purge-css.mjs) to keep these"
    assert {"btn-warning", "bi-plus-lg", "navbar-collapse", "d-md-none"} <= purged
    assert PURGED.stat().st_size < (VENDOR / "bootstrap" / "bootstrap.min.css").stat().st_size / 2
