"""Every download names its file through kam.downloads, and user text (an uploaded file's name,
an account name, a query parameter) never breaks out of the `filename` parameter.

`test_every_download_view_is_tested_here` walks the project's code: a view that sets a
Content-Disposition (through `name_download` or the export writer) without a test below fails it.
Each header is parsed back with the standard library's MIME parser, which must find one
disposition and one `filename`, and that file name must be a plain slug with our extension.
"""

from __future__ import annotations

import ast
import re
from datetime import date
from email.message import Message
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from activities.services import calendar_token_regenerate, qbr_schedule
from dataio.services import import_job_create
from kam.downloads import download_filename, name_download
from tests.factories import AccountFactory, StakeholderFactory

BASE_DIR = Path(__file__).resolve().parents[2]
APPS = ("kam", "accounts", "activities", "plans", "insights", "api", "dataio", "demo")

# User text shaped to end the quoted file name and start another parameter, header or path.
HOSTILE = [
    "rej\"; filename*=UTF-8''evil.exe; x=\"",
    'a\r\nSet-Cookie: session=stolen; x="',
    "año; filename=evil.exe",
    "..\\..\\Windows\\evil.exe",
    "\u202etxt.exe",  # right-to-left override: shows as "exe.txt"
    'x\\"; inline; filename="evil.exe',
    "Cotação “Q1” 日本\t",  # (a NUL never gets this far: Django drops it from upload names)
]
SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")


def only_filename(header: str, disposition: str, extension: str) -> str:
    """The one file name in `header`, asserting there is nothing else a browser could use."""
    assert "\r" not in header and "\n" not in header
    message = Message()
    message["Content-Disposition"] = header
    params = message.get_params(header="content-disposition")
    assert params[0] == (disposition, "")
    assert [name for name, _value in params[1:]] == ["filename"], header
    filename = message.get_filename()
    stem, dot, ext = filename.rpartition(".")
    assert dot and ext == extension and SLUG.fullmatch(stem), filename
    return filename


# --- the helper -------------------------------------------------------------------------------


@given(st.text(max_size=300))
def test_any_text_makes_one_plain_file_name(text):
    header = name_download(HttpResponse(), text, "csv")["Content-Disposition"]
    filename = only_filename(header, "attachment", "csv")
    assert len(filename) <= 64


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ("Clientes Março", "clientes-marco.csv"),
        (
            "rej\"; filename*=UTF-8''evil.exe; x=\"-rejects",
            "rej-filenameutf-8evilexe-x-rejects.csv",
        ),
        ("日本", "download.csv"),
        ("portfolio-at-risk-2026-03-10", "portfolio-at-risk-2026-03-10.csv"),
    ],
)
def test_each_part_becomes_an_ascii_slug(parts, expected):
    assert download_filename(parts, "csv") == expected


def test_the_extension_is_never_user_text():
    with pytest.raises(ValueError):
        download_filename("x", 'csv"; filename=evil.exe')


# --- the walk ---------------------------------------------------------------------------------

DOWNLOAD_CALLS = {"name_download", "table_response", "csv_response", "xlsx_response"}
# Every function of the project that answers with a named file, and the test below for it.
DOWNLOAD_VIEWS = {
    "dataio.views.import_rejects": "test_the_rejects_download_keeps_the_uploaded_name_inside",
    "dataio.views.export_table": "test_list_exports_name_the_file_after_the_list",
    "insights.views.account_list": "test_the_account_list_export_has_a_fixed_name",
    "insights.list_views.account_bulk": "test_the_selection_export_has_a_fixed_name",
    "insights.views.portfolio_export": "test_dashboard_tables_are_named_after_the_table",
    "insights.views.qbr_prep_pdf": "test_the_prep_pack_pdf_keeps_the_account_name_inside",
    "activities.views.calendar_feed": "test_the_calendar_feed_is_an_inline_kam_ics",
    "insights.privacy_views.stakeholder_personal_data_json": (
        "test_the_personal_data_export_is_named_by_the_contact_id_not_the_name"
    ),
    "api.schema.SchemaView.finalize_response": "test_the_api_schema_ignores_a_hostile_version",
}


def _project_modules():
    for app in APPS:
        for path in sorted((BASE_DIR / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _functions(tree: ast.Module):
    """(qualified name, node) of every function and method of a module."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    yield f"{node.name}.{item.name}", item


def _download_functions() -> set[str]:
    found = set()
    for path in _project_modules():
        relative = path.relative_to(BASE_DIR)
        if relative.as_posix() in ("kam/downloads.py", "kam/exports.py"):  # the helpers
            continue
        module = ".".join(relative.with_suffix("").parts)
        for name, function in _functions(ast.parse(path.read_text())):
            calls = {
                getattr(call.func, "id", getattr(call.func, "attr", ""))
                for call in ast.walk(function)
                if isinstance(call, ast.Call)
            }
            if calls & DOWNLOAD_CALLS:
                found.add(f"{module}.{name}")
    return found


def test_every_download_view_is_tested_here():
    assert _download_functions() == set(DOWNLOAD_VIEWS)
    tests = {name for name in globals() if name.startswith("test_")}
    assert set(DOWNLOAD_VIEWS.values()) <= tests


# `response["Content-Disposition"] = …` or `headers={"Content-Disposition": …}`
SETS_HEADER = re.compile(r"""(\[\s*|\{\s*)["']content-disposition["']\s*(\]\s*=|:)""", re.I)


def test_only_kam_downloads_writes_the_header():
    writers = [
        path.relative_to(BASE_DIR).as_posix()
        for path in _project_modules()
        if SETS_HEADER.search(path.read_text())
    ]
    assert writers == ["kam/downloads.py"]


# --- each download view -----------------------------------------------------------------------

ACCOUNTS_CSV = b"account,owner\nAcme,nobody@example.com\n"


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_rejects_download_keeps_the_uploaded_name_inside(client_for, admin_user, hostile, fmt):
    job = import_job_create(
        actor=admin_user, entity="accounts", filename=f"{hostile}.csv", content=ACCOUNTS_CSV
    )
    response = client_for(admin_user).get(reverse("import_rejects", args=[job.pk, fmt]))
    assert response.status_code == 200
    filename = only_filename(response["Content-Disposition"], "attachment", fmt)
    assert filename.endswith(f"-rejects.{fmt}")


def test_the_rejects_download_of_the_reported_file_name(client_for, admin_user):
    """The example of issue 14: it used to save as evil.exe."""
    job = import_job_create(
        actor=admin_user,
        entity="accounts",
        filename="rej\"; filename*=UTF-8''evil.exe; x=\".csv",
        content=ACCOUNTS_CSV,
    )
    response = client_for(admin_user).get(reverse("import_rejects", args=[job.pk, "csv"]))
    assert response["Content-Disposition"] == (
        'attachment; filename="rej-filenameutf-8evilexe-x-rejects.csv"'
    )


@pytest.mark.parametrize(
    "entity", ["stakeholders", "interactions", "commitments", "opportunities", "requests"]
)
def test_list_exports_name_the_file_after_the_list(client_for, kam_user, entity):
    account = AccountFactory(name=HOSTILE[0], owner=kam_user)
    client = client_for(kam_user)
    url = reverse("export_table", args=[entity, "csv"])
    whole = client.get(url, {"status": HOSTILE[1], "kind": HOSTILE[0], "plan": "1"})
    assert only_filename(whole["Content-Disposition"], "attachment", "csv") == f"{entity}.csv"
    one = client.get(url, {"account": account.pk})
    assert only_filename(one["Content-Disposition"], "attachment", "csv") == (
        f"{entity}-{account.pk}.csv"
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_account_list_export_has_a_fixed_name(client_for, kam_user, fmt):
    AccountFactory(name=HOSTILE[0], owner=kam_user)
    response = client_for(kam_user).get(reverse("account_list"), {"export": fmt, "q": HOSTILE[0]})
    assert only_filename(response["Content-Disposition"], "attachment", fmt) == f"accounts.{fmt}"


def test_the_selection_export_has_a_fixed_name(client_for, kam_user):
    account = AccountFactory(name=HOSTILE[0], owner=kam_user)
    response = client_for(kam_user).post(
        reverse("account_bulk"), {"action": "export", "accounts": [account.pk]}
    )
    assert only_filename(response["Content-Disposition"], "attachment", "csv") == (
        "accounts-selection.csv"
    )


@pytest.mark.parametrize("table", ["at-risk", "load"])
def test_dashboard_tables_are_named_after_the_table(client_for, leader, kam_user, now, table):
    AccountFactory(name=HOSTILE[0], owner=kam_user)
    response = client_for(leader).get(
        reverse("portfolio_export", args=[table, "csv"]), {"industry": HOSTILE[0]}
    )
    assert only_filename(response["Content-Disposition"], "attachment", "csv") == (
        f"portfolio-{table}-2026-03-10.csv"
    )


def test_the_prep_pack_pdf_keeps_the_account_name_inside(client_for, kam_user, now):
    # Every trick in one name: the PDF takes a second to render.
    account = AccountFactory(name=" ".join(HOSTILE), owner=kam_user)
    qbr = qbr_schedule(account=account, actor=kam_user, scheduled_on=date(2026, 3, 20))
    response = client_for(kam_user).get(reverse("qbr_prep_pdf", args=[qbr.pk]))
    assert response.status_code == 200
    filename = only_filename(response["Content-Disposition"], "attachment", "pdf")
    assert filename.startswith("qbr-rej-filenameutf-8evilexe-x-a")
    assert filename.endswith("-2026-03-20.pdf")  # the date survives a long name


def test_the_calendar_feed_is_an_inline_kam_ics(client, kam_user, now):
    account = AccountFactory(name=HOSTILE[0], owner=kam_user)
    qbr_schedule(account=account, actor=kam_user, scheduled_on=date(2026, 3, 20))
    token = calendar_token_regenerate(user=kam_user)
    response = client.get(reverse("calendar_feed", args=[token.token]))
    assert only_filename(response["Content-Disposition"], "inline", "ics") == "kam.ics"


def test_the_personal_data_export_is_named_by_the_contact_id_not_the_name(client, kam_user):
    person = StakeholderFactory(account=AccountFactory(owner=kam_user), name=HOSTILE[0])
    client.force_login(kam_user)
    url = reverse("stakeholder_personal_data_json", args=[person.account_id, person.pk])
    response = client.get(url)
    expected = f"personal-data-contact-{person.pk}.json"
    assert only_filename(response["Content-Disposition"], "attachment", "json") == expected


# (The schema takes a second to generate: the tricks that matter, once each.)
@pytest.mark.parametrize(
    ("version", "fmt"),
    [(HOSTILE[0], "json"), (HOSTILE[1], "json"), (HOSTILE[2], "yaml"), ("1", "yaml")],
)
def test_the_api_schema_ignores_a_hostile_version(client, version, fmt):
    """drf-spectacular used to write `?version=` into the header as given (a line break: 500)."""
    response = client.get(reverse("api_schema"), {"version": version, "format": fmt})
    assert response.status_code == 200
    assert only_filename(response["Content-Disposition"], "inline", fmt) == f"kam-api.{fmt}"
