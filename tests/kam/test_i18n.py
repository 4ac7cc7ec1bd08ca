import os
import shutil
import subprocess
import sys
from pathlib import Path

import django
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.template.loader import render_to_string
from django.utils import translation

from accounts.health_text import reason_text
from accounts.models import Account, Stakeholder
from dataio.exports import opportunity_rows
from insights.sla import Compliance
from plans.forms import WhitespaceCellForm
from plans.models import AccountPlan, Opportunity
from tests.factories import AccountFactory

BASE_DIR = Path(__file__).resolve().parents[2]
PO_FILE = BASE_DIR / "locale" / "pt_BR" / "LC_MESSAGES" / "django.po"


def _catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle, locale="pt_BR")


def _is_translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings)


def test_portuguese_catalog_has_no_empty_or_fuzzy_entry():
    catalog = _catalog(PO_FILE)
    untranslated = [m.id for m in catalog if m.id and not _is_translated(m)]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []
    assert not catalog.fuzzy


def _need_xgettext():
    if shutil.which("xgettext"):
        return
    if os.environ.get("CI"):
        pytest.fail("xgettext (GNU gettext) is required in CI to check the message catalogue")
    pytest.skip("xgettext (GNU gettext) is not installed; CI installs it and runs this check")


def test_every_marked_string_is_in_the_portuguese_catalog(tmp_path):
    """Run makemessages on a copy of the code: nothing marked may be missing from the .po."""
    _need_xgettext()
    # Every app package (so settings import), the templates and the catalogue.
    apps = [p.parent.name for p in BASE_DIR.glob("*/apps.py")]
    for folder in [*apps, "kam", "templates", "locale"]:
        if (tmp_path / folder).exists():
            continue
        shutil.copytree(BASE_DIR / folder, tmp_path / folder, ignore=shutil.ignore_patterns("*.mo"))
    shutil.copy(BASE_DIR / "manage.py", tmp_path / "manage.py")
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "pt_BR", "--no-location"],
        cwd=tmp_path,
        env={**os.environ, "DJANGO_DEBUG": "true", "PYTHONPATH": str(tmp_path)},
        check=True,
        capture_output=True,
    )
    fresh = {m.id for m in _catalog(tmp_path / "locale/pt_BR/LC_MESSAGES/django.po") if m.id}
    committed = {m.id for m in _catalog(PO_FILE) if m.id and _is_translated(m)}
    assert sorted(map(str, fresh - committed)) == []


# The glossary (docs/glossary-pt-br.md): entries that have gone wrong before.


def _in_portuguese(text) -> str:
    with translation.override("pt-br"):
        return str(text)


def test_a_plan_or_opportunity_title_is_a_titulo_and_a_stakeholder_title_a_cargo(kam_user):
    plan_title = AccountPlan._meta.get_field("title").verbose_name
    opportunity_title = Opportunity._meta.get_field("title").verbose_name
    job_title = Stakeholder._meta.get_field("title").verbose_name
    assert _in_portuguese(plan_title) == "título"
    assert _in_portuguese(opportunity_title) == "título"
    assert _in_portuguese(job_title) == "cargo"
    with translation.override("pt-br"):
        headers, _rows = opportunity_rows(kam_user)
    assert "título" in headers and "cargo" not in headers


def test_a_touch_is_an_interacao_and_contato_is_kept_for_people():
    catalog = _catalog(PO_FILE)
    touches = [m for m in catalog if m.id and "touch" in str(m.id).lower()]
    assert len(touches) > 10
    assert [m.id for m in touches if "contat" in str(m.string).lower()] == []
    assert "contato" in catalog.get("Primary contact").string.lower()
    assert _in_portuguese(Account._meta.get_field("tax_id").verbose_name) == "CNPJ"


# Django's own words: a string of Django's English catalogue that its Brazilian Portuguese one
# lacks is shown to a user in English unless this project translates it.
DJANGO_LOCALE = Path(django.__file__).parent / "conf" / "locale"
# Those this project never shows: the 404 page draws its own words, not the exception's; no
# binary field is edited in a form.
NEVER_SHOWN = {"No %s matches the given query.", "“%(value)s” is not a valid binary value."}


def test_every_django_string_without_portuguese_is_translated_here_or_never_shown():
    ours = {m.id for m in _catalog(PO_FILE) if m.id and _is_translated(m)}
    english = {m.id for m in _catalog(DJANGO_LOCALE / "en/LC_MESSAGES/django.po") if m.id}
    portuguese = _catalog(DJANGO_LOCALE / "pt_BR/LC_MESSAGES/django.po")
    translated = {m.id for m in portuguese if m.id and _is_translated(m)}
    assert sorted(map(str, english - translated - ours - NEVER_SHOWN)) == []


def test_the_empty_choice_of_a_select_is_in_portuguese(kam_user):
    account = AccountFactory(owner=kam_user)
    with translation.override("pt-br"):
        html = str(WhitespaceCellForm(account=account)["product"])
    assert "- Selecione uma opção -" in html
    assert "Select an option" not in html


# Count sentences read singular for 1 in Portuguese too (ngettext / blocktranslate count). The
# Portuguese proposed for them, filling only what the committed catalogue lacks: last in
# LOCALE_PATHS, so once the .po carries an entry, that entry is the one tested.
PROPOSED_PLURALS = {
    (
        "%(met)s met · %(missed)s missed · %(pending)s pending",
        "%(met)s met · %(missed)s missed · %(pending)s pending",
    ): (
        "%(met)s no prazo · %(missed)s fora do prazo · %(pending)s pendente",
        "%(met)s no prazo · %(missed)s fora do prazo · %(pending)s pendentes",
    ),
    (
        "%(kept)s commitment kept in 90 days, %(overdue)s overdue.",
        "%(kept)s commitments kept in 90 days, %(overdue)s overdue.",
    ): (
        "%(kept)s compromisso cumprido em 90 dias, %(overdue)s em atraso.",
        "%(kept)s compromissos cumpridos em 90 dias, %(overdue)s em atraso.",
    ),
}


@pytest.fixture
def proposed_plurals(tmp_path, settings):
    catalog = Catalog(locale="pt_BR")
    for ids, strings in PROPOSED_PLURALS.items():
        catalog.add(ids, strings)
    folder = tmp_path / "pt_BR" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "django.mo").open("wb") as handle:
        write_mo(handle, catalog)
    settings.LOCALE_PATHS = [*settings.LOCALE_PATHS, tmp_path]


@pytest.mark.parametrize(("pending", "said"), [(1, "1 pendente<"), (2, "2 pendentes<")])
def test_the_sla_cell_says_pending_in_the_singular_for_one(proposed_plurals, pending, said):
    with translation.override("pt-br"):
        cell = render_to_string(
            "accounts/partials/sla_cell.html", {"c": Compliance(met=3, missed=1, pending=pending)}
        )
    assert "3 no prazo · 1 fora do prazo · " + said in cell


@pytest.mark.parametrize(
    ("kept", "said"),
    [
        (1, "1 compromisso cumprido em 90 dias, 1 em atraso."),
        (2, "2 compromissos cumpridos em 90 dias, 1 em atraso."),
    ],
)
def test_commitments_kept_read_singular_for_one_in_portuguese(proposed_plurals, kept, said):
    with translation.override("pt-br"):
        text = reason_text({"code": "commitments", "params": {"kept": kept, "overdue": 1}})
    assert text == said


def test_a_date_in_words_writes_the_month_in_lower_case_in_portuguese():
    """Brazilian Portuguese writes month names in lower case within a sentence; Django's own
    catalogue capitalises them (kam/words.py)."""
    from datetime import date

    from django.utils.formats import date_format

    with translation.override("pt-br"):
        assert date_format(date(2026, 12, 18)) == "18 de dezembro de 2026"
        assert date_format(date(2026, 3, 2), "E") == "março"
    with translation.override("en"):
        assert date_format(date(2026, 12, 18)) == "Dec. 18, 2026"
