from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = StringIO()
    call_command("import_data", *args, stdout=out)
    return out.getvalue()


def test_command_prints_counts_and_each_reject_with_its_row(tmp_path, admin_user, kam_user):
    path = tmp_path / "clients.csv"
    path.write_text(
        "Cliente;Dono;Funcionários\nAcme;owner@example.com;10\n"
        "Beta;ghost@example.com;5\nGamma;owner@example.com;many\n",
        encoding="cp1252",
    )
    output = _run("accounts", str(path), "--map", "Dono=owner")
    assert "csv, cp1252, delimiter ';'" in output
    assert "Cliente -> name" in output and "Dono -> owner" in output
    assert "created 1, updated 0, unchanged 0, rejected 2" in output
    assert "row 3: owner KAM: no active user “ghost@example.com”." in output
    assert "row 4: employees: “many” is not a number." in output
    assert Account.objects.get().owner == kam_user


def test_command_dry_run_writes_nothing(tmp_path, admin_user):
    path = tmp_path / "a.csv"
    path.write_text("name\nAcme\n")
    output = _run("accounts", str(path), "--dry-run")
    assert "DRY RUN, nothing written. created 1" in output
    assert not Account.objects.exists()


def test_command_refuses_a_bad_file_before_writing(tmp_path, admin_user):
    path = tmp_path / "a.csv"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match="empty"):
        _run("accounts", str(path))
    with pytest.raises(CommandError, match="COLUMN=FIELD"):
        _run("accounts", str(path), "--map", "oops")


def test_command_needs_someone_to_own_new_accounts(tmp_path, db):
    path = tmp_path / "a.csv"
    path.write_text("name\nAcme\n")
    with pytest.raises(CommandError, match="No active admin"):
        _run("accounts", str(path))
