import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Account
from dataio import services
from dataio.models import ImportJob, ImportStatus
from dataio.tasks import import_job_task
from kam.models import OutboxTask
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ACCOUNTS = b"account,sector,owner\nAcme,retail,owner@example.com\n=HYPERLINK(1),x,ghost\n"


def _upload(client, content=ACCOUNTS, name="accounts.csv", entity="accounts"):
    return client.post(
        reverse("import_start"),
        {"entity": entity, "file": SimpleUploadedFile(name, content), "currency": ""},
    )


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("import_start"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("persona", ["kam_user", "team_member", "outsider"])
def test_kams_get_403(client_for, request, persona):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("import_start")).status_code == 403
    assert _upload(client).status_code == 403
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("persona", ["leader", "admin_user"])
def test_leaders_and_admins_open_the_wizard(client_for, request, persona):
    response = client_for(request.getfixturevalue(persona)).get(reverse("import_start"))
    assert response.status_code == 200
    assert b"Upload and map columns" in response.content


def test_wizard_upload_map_preview_confirm_result(client_for, admin_user, kam_user):
    client = client_for(admin_user)
    response = _upload(client)
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("import_mapping", args=[job.pk])
    assert job.mapping == {"account": "name", "sector": "industry", "owner": "owner"}

    page = client.get(reverse("import_mapping", args=[job.pk]))
    assert page.status_code == 200
    assert b'<option value="industry" selected>' in page.content
    assert b'<td class="text-body-secondary small">retail</td>' in page.content  # an example

    # Edit the mapping: ignore the sector column.
    response = client.post(
        reverse("import_mapping", args=[job.pk]), {"col_0": "name", "col_1": "", "col_2": "owner"}
    )
    assert response["Location"] == reverse("import_preview", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED
    assert job.counts == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    assert not Account.objects.exists()

    preview = client.get(reverse("import_preview", args=[job.pk]))
    assert b"Dry run, nothing written yet" in preview.content
    assert "no active user “ghost”" in preview.content.decode()

    response = client.post(reverse("import_preview", args=[job.pk]))
    assert response["Location"] == reverse("import_job", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    account = Account.objects.get()
    assert account.owner == kam_user and account.industry == ""

    result = client.get(reverse("import_job", args=[job.pk]))
    assert b"1 created, 0 updated, 0 unchanged, 1 rejected" in result.content
    assert reverse("import_rejects", args=[job.pk, "csv"]).encode() in result.content

    # A second confirm is a no-op.
    client.post(reverse("import_preview", args=[job.pk]))
    assert Account.objects.count() == 1


def test_rejects_download_has_row_reason_and_original_cells_neutralised(
    client_for, admin_user, kam_user
):
    client = client_for(admin_user)
    _upload(client)
    job = ImportJob.objects.get()
    client.post(
        reverse("import_mapping", args=[job.pk]),
        {"col_0": "name", "col_1": "industry", "col_2": "owner"},
    )
    client.post(reverse("import_preview", args=[job.pk]))
    response = client.get(reverse("import_rejects", args=[job.pk, "csv"]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["row", "reason", "account", "sector", "owner"]
    assert rows[1][0] == "3" and "ghost" in rows[1][1]
    assert rows[1][2] == "'=HYPERLINK(1)"
    xlsx = client.get(reverse("import_rejects", args=[job.pk, "xlsx"]))
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get(reverse("import_rejects", args=[job.pk, "pdf"])).status_code == 404


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "a.csv", "empty"),
        (b"name\nAcme\n", "a.pdf", "Upload a CSV or XLSX"),
        (b"\x00\x01\x02\x03", "a.csv", "encoding"),
    ],
)
def test_bad_files_get_a_form_error_and_nothing_is_stored(
    client_for, leader, content, name, message
):
    response = _upload(client_for(leader), content, name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_mapping_without_a_required_field_is_refused(client_for, admin_user):
    client = client_for(admin_user)
    _upload(client)
    job = ImportJob.objects.get()
    response = client.post(
        reverse("import_mapping", args=[job.pk]), {"col_0": "", "col_1": "industry"}
    )
    assert response.status_code == 200
    assert "Map a column to: name" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED


def test_a_leader_does_not_see_another_leaders_import(client_for, leader, admin_user):
    job = services.import_job_create(
        actor=admin_user, entity="accounts", filename="a.csv", content=ACCOUNTS
    )
    client = client_for(leader)
    for name in ("import_mapping", "import_preview", "import_job"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert client.get(reverse("import_rejects", args=[job.pk, "csv"])).status_code == 404


def _big_file(rows: int) -> bytes:
    return ("name\n" + "".join(f"Account {n}\n" for n in range(rows))).encode()


def test_a_large_file_is_queued_for_a_worker_and_the_bar_polls(client_for, admin_user):
    client = client_for(admin_user)
    _upload(client, _big_file(services.INLINE_MAX_ROWS + 1), "big.csv")
    job = ImportJob.objects.get()
    client.post(reverse("import_mapping", args=[job.pk]), {"col_0": "name"})
    client.post(reverse("import_preview", args=[job.pk]))
    # Queued through the outbox, sent to the broker after the commit (kam/outbox.py).
    queued = OutboxTask.objects.get()
    assert (queued.task, queued.args) == ("dataio.tasks.import_job_task", [job.pk])
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED and not Account.objects.exists()

    page = client.get(reverse("import_job", args=[job.pk]))
    assert b'hx-trigger="every 1s"' in page.content and b'role="progressbar"' in page.content
    poll = client.get(
        reverse("import_job", args=[job.pk]),
        headers={"HX-Request": "true", "HX-Target": "import-progress"},
    )
    assert b"Waiting for a worker" in poll.content and "HX-Refresh" not in poll

    # The Celery task, called directly, runs the import.
    assert import_job_task(job.pk)["created"] == services.INLINE_MAX_ROWS + 1
    assert Account.objects.count() == services.INLINE_MAX_ROWS + 1
    poll = client.get(
        reverse("import_job", args=[job.pk]),
        headers={"HX-Request": "true", "HX-Target": "import-progress"},
    )
    assert poll["HX-Refresh"] == "true" and b'aria-valuenow="100"' in poll.content
    # Running the task again does nothing more (the job is done).
    assert import_job_task(job.pk)["created"] == services.INLINE_MAX_ROWS + 1
    assert Account.objects.count() == services.INLINE_MAX_ROWS + 1


def test_a_failing_job_is_marked_failed_and_writes_nothing(admin_user, monkeypatch):
    job = services.import_job_create(
        actor=admin_user, entity="accounts", filename="a.csv", content=_big_file(3)
    )
    services.import_job_preview(job=job, mapping={"name": "name"})
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)

    def boom(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Account.objects, "bulk_create", boom)
    with pytest.raises(RuntimeError):
        import_job_task(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "went away" in job.error
    assert not Account.objects.exists()


def test_preview_queries_do_not_grow_with_the_rows(admin_user, django_assert_num_queries):
    owner = UserFactory(email="o@example.com")
    for rows in (5, 50):
        content = (
            "name,owner,parent\n"
            + "".join(f"Acc {n},o@example.com,{'Acc 0' if n else ''}\n" for n in range(rows))
        ).encode()
        job = services.import_job_create(
            actor=admin_user, entity="accounts", filename="a.csv", content=content
        )
        # 1 savepoint, 2 users (owner lookup), 3 accounts by name/external id, 4 accounts with
        # their parent and owner (what each row compares with), 5 save the preview,
        # 6 release savepoint
        with django_assert_num_queries(6):
            services.import_job_preview(
                job=job, mapping={"name": "name", "owner": "owner", "parent": "parent"}
            )
        assert job.counts["created"] == rows
    assert owner.owned_accounts.count() == 0


def test_a_leader_cannot_import_users(client_for, leader):
    client = client_for(leader)
    assert b'value="users"' not in client.get(reverse("import_start")).content
    response = _upload(client, b"name\nEve\n", entity="users")
    assert response.status_code == 200 and not ImportJob.objects.exists()


def test_preview_of_a_reimport_does_not_query_per_row(admin_user, django_assert_num_queries):
    """Existing rows compare by ids: no query for each row's owner, product or plan."""
    from decimal import Decimal

    from plans.models import Product
    from tests.factories import AccountFactory

    agent = UserFactory(email="agent@example.com", full_name="Sam Agent")
    Product.objects.create(name="GTX Pro", list_price=Decimal(10))
    for rows in (3, 30):
        account = AccountFactory(owner=agent)
        content = ("id,account,stage,sales_agent,product\n" + "".join(
            f"{account.pk}-{n},{account.name},Engaging,Sam Agent,GTXPro\n" for n in range(rows)
        )).encode()  # fmt: skip
        job = services.import_job_create(
            actor=admin_user, entity="deals", filename="d.csv", content=content
        )
        services.import_table(entity="deals", table=services._job_table(job),
                              mapping=job.mapping, actor=admin_user, dry_run=False)  # fmt: skip
        # 1 savepoint, 2 users, 3 accounts, 4 products, 5 revenue records with an external id,
        # 6 revenue records without, 7 opportunities with their plan, 8 team memberships,
        # 9 save the preview, 10 release savepoint
        with django_assert_num_queries(10):
            services.import_job_preview(job=job, mapping=job.mapping)
        job.refresh_from_db()
        assert job.counts["unchanged"] == rows


def test_a_file_over_the_limit_is_refused_by_the_form_before_it_is_read(
    client_for, admin_user, monkeypatch
):
    def never(upload):
        raise AssertionError("the view read a file over the limit")

    monkeypatch.setattr("dataio.parsing.MAX_BYTES", 1024 * 1024)
    monkeypatch.setattr("dataio.views.read_upload", never)
    response = _upload(client_for(admin_user), b"name\n" + b"x" * 1024 * 1024)
    assert "The file is 1.1 MB; the limit is 1 MB" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_run_abandoned_by_a_dead_worker_is_taken_over_but_a_live_one_is_not(admin_user):
    from datetime import timedelta

    from django.utils import timezone

    job = services.import_job_create(
        actor=admin_user, entity="accounts", filename="a.csv", content=_big_file(2)
    )
    services.import_job_preview(job=job, mapping={"name": "name"})
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, started_at=timezone.now()
    )
    import_job_task(job.pk)  # someone is running it: nothing happens
    assert not Account.objects.exists()
    ImportJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(hours=1))
    assert import_job_task(job.pk)["created"] == 2


def test_a_worker_writes_the_reasons_in_the_language_of_who_imports(admin_user):
    from django.utils import translation

    admin_user.language = "pt-br"
    admin_user.save(update_fields=["language"])
    job = services.import_job_create(
        actor=admin_user, entity="accounts", filename="a.csv", content=b"account,sector\n,retail\n"
    )
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    assert import_job_task(job.pk)["rejected"] == 1
    job.refresh_from_db()
    with translation.override("pt-br"):
        expected = translation.gettext("%(field)s is required.") % {
            "field": translation.gettext("Name")
        }
    reasons = [outcome["reason"] for outcome in job.outcomes if outcome.get("reason")]
    assert [reason.lower() for reason in reasons] == [expected.lower()]
