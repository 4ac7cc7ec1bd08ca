"""The import wizard in a real Chromium with a real Celery worker (issue 7, 'Done when'):
sales_pipeline.csv is uploaded, mapped, previewed, confirmed, and the progress bar runs until
the result lists the rejected rows."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from dataio.services import import_file
from kam.models import Role
from plans.models import Opportunity
from tests.browser.conftest import screenshot
from tests.browser.labels import t
from tests.dataio.brazilian import ACCOUNTS, DEALS, cp1252
from tests.dataio.conftest import maven_dir
from tests.factories import PASSWORD, UserFactory

# Upload and dry run read the 8,800 rows inside the request, and a click waits for the page it
# submits to: on a loaded machine that takes longer than the usual 10 s.
WHOLE_FILE_MS = 60_000


@pytest.fixture
def maven_base(transactional_db):
    """Users, products and accounts in, as `import_data` would; the deals are the test."""
    maven = maven_dir()
    admin = UserFactory(email="admin@example.com", full_name="Ada Admin", role=Role.ADMIN)
    for entity, name in (("users", "sales_teams.csv"), ("products", "products.csv"),
                         ("accounts", "accounts.csv")):  # fmt: skip
        import_file(entity=entity, content=(maven / name).read_bytes(), filename=name,
                    actor=admin, dry_run=False)  # fmt: skip
    return admin


def test_admin_imports_the_maven_pipeline_with_preview_and_progress(
    page, login, maven_base, celery_worker_process, settings
):
    # The live server runs in this process: the outbox sends the job to the test worker's
    # own queue (kam/outbox.py sends to CELERY_TASK_DEFAULT_QUEUE).
    settings.CELERY_TASK_DEFAULT_QUEUE = celery_worker_process
    login("admin@example.com", PASSWORD)
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Accounts"
    ).click()
    page.get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", name="Import data")).to_be_visible()

    page.get_by_label("What the rows are").select_option(label="Deals (revenue and opportunities)")
    page.get_by_label("File").set_input_files(str(maven_dir() / "sales_pipeline.csv"))
    page.get_by_role("button", name="Upload and map columns").click(timeout=WHOLE_FILE_MS)

    expect(page.get_by_role("heading", name=re.compile("Map the columns"))).to_be_visible()
    expect(page.get_by_text("8800 rows of Deals")).to_be_visible()
    expect(page.get_by_label("deal_stage")).to_have_value("stage")
    expect(page.get_by_label("close_value")).to_have_value("amount")
    expect(page.get_by_label("sales_agent")).to_have_value("owner")
    screenshot(page, "import-mapping")
    page.get_by_role("button", name="Preview (dry run)").click(timeout=WHOLE_FILE_MS)
    # The stages of the file, each pre-filled with the stage it becomes (issue 16).
    expect(page.get_by_label("Engaging")).to_have_value("qualified")
    expect(page.get_by_label("Prospecting")).to_have_value("identified")
    expect(page.get_by_label("Won")).to_have_value("won")
    page.get_by_role("button", name="Preview (dry run)").click(timeout=WHOLE_FILE_MS)

    status = page.get_by_role("status")
    expect(status).to_contain_text("7375 to create, 0 to update, 0 unchanged, 1425 rejected")
    page.get_by_role("link", name=re.compile(r"^Rejected")).click()
    # The first page of every row has rejected ones too: wait for the rejected rows' page.
    page.wait_for_url(re.compile(r"[?&]show=rejected"))
    expect(page.get_by_role("cell", name="account: no account given.").first).to_be_visible()
    screenshot(page, "import-preview")

    page.get_by_role("button", name="Confirm and import").click()
    bar = page.get_by_role("progressbar")
    expect(bar).to_be_visible()
    # Named by the label of the step the job is at (any of them: the worker runs meanwhile).
    expect(bar).to_have_accessible_name(
        re.compile(r"^(Waiting for a worker|Checking rows: \d+ of \d+|Writing the rows|Done)")
    )
    screenshot(page, "import-progress")
    # The bar polls in place; when the job is done the page reloads with the result.
    expect(page.get_by_role("status")).to_contain_text(
        "Imported: 7375 created, 0 updated, 0 unchanged, 1425 rejected", timeout=120_000
    )
    expect(bar).to_have_attribute("aria-valuenow", "100")
    expect(page.get_by_role("button", name="Rejected rows")).to_be_visible()
    # The result opens on the rejected rows, each with its row number and reason.
    expect(
        page.get_by_role("row", name=re.compile(r"^11 Rejected .*no account given"))
    ).to_be_visible()
    screenshot(page, "import-result")


@pytest.mark.parametrize("ui_language", ["en", "pt-br"])
def test_a_brazilian_file_imports_with_only_confirming_and_shows_what_it_read(
    page, login, transactional_db, ui_language, tmp_path
):
    """Issue 16, 'Done when': the semicolon-delimited cp1252 file with `R$ 1.234,56`, `1.500`,
    dd/mm/aaaa dates, Portuguese headers and stage names: the columns and the stage values are
    pre-filled, the preview shows each value as read next to the cell, and confirming imports
    it."""
    admin = UserFactory(
        email="ada@example.com", full_name="Ada Admin", role=Role.ADMIN, language=ui_language
    )
    UserFactory(email="owner@example.com", full_name="Olivia Owner", role=Role.KAM)
    import_file(entity="accounts", content=cp1252(ACCOUNTS), filename="clientes.csv",
                actor=admin, dry_run=False)  # fmt: skip
    path = tmp_path / "negocios.csv"
    path.write_bytes(cp1252(DEALS))
    login("ada@example.com", PASSWORD)
    page.goto("/import/")
    page.get_by_label(t(ui_language, "What the rows are")).select_option(
        label=t(ui_language, "Deals (revenue and opportunities)")
    )
    page.get_by_label(t(ui_language, "File")).set_input_files(str(path))
    page.get_by_role("button", name=t(ui_language, "Upload and map columns")).click()

    # The columns are mapped from their Portuguese names: nothing to change.
    expect(page.get_by_label("Etapa", exact=True)).to_have_value("stage")
    expect(page.get_by_label("Data de fechamento")).to_have_value("close_date")
    expect(page.get_by_label("Valor", exact=True)).to_have_value("amount")
    page.get_by_role("button", name=t(ui_language, "Preview (dry run)")).click()

    # The values step: each stage of the file, pre-filled with the stage it becomes.
    expect(
        page.get_by_role(
            "heading", name=t(ui_language, "Map the values of {file}", file="negocios.csv")
        )
    ).to_be_visible()
    for value, stage in (("Em negociação", "Negotiation"), ("Fechado ganho", "Won"),
                         ("Proposta enviada", "Proposal"), ("Perdida", "Lost")):  # fmt: skip
        expect(page.get_by_label(value)).to_have_value(stage.lower())
        expect(page.get_by_label(value).locator("option:checked")).to_have_text(
            t(ui_language, stage)
        )
    screenshot(page, f"import-values-{ui_language}")
    page.get_by_role("button", name=t(ui_language, "Preview (dry run)")).click()

    # The preview shows what each cell was read as: day/month order and numbers checkable.
    first = page.get_by_role("row").filter(has_text="Renovação 2026")
    read = {"en": ("March 5, 2026", "1,234.56"), "pt-br": ("05/03/2026", "1.234,56")}
    for shown in (*read[ui_language], t(ui_language, "Negotiation")):
        expect(first.locator(".parsed-value", has_text=shown)).to_be_visible()
    expect(first.get_by_text("(R$ 1.234,56)")).to_be_visible()
    # The cell itself is in the value's tooltip too.
    expect(first.locator(".parsed-value").first).to_have_attribute(
        "title", re.compile("Em negociação$")
    )
    screenshot(page, f"import-parsed-preview-{ui_language}")
    page.get_by_role("button", name=t(ui_language, "Confirm and import")).click()
    expect(page.get_by_role("status")).to_contain_text(
        t(ui_language, "Imported: {created} created", created=4)
    )
    opportunity = Opportunity.objects.get(external_id="D-1")
    assert (opportunity.stage, opportunity.amount) == ("negotiation", Decimal("1234.56"))
    assert Opportunity.objects.get(external_id="D-3").amount == Decimal("1500.00")
