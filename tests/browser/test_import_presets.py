"""A Salesforce accounts report through the import wizard, in both languages (issue 16,
point 6): recognised and mapped with no manual work, its revenue converted to millions, an
implausible revenue questioned until someone says it is right, and the parent link kept."""

import re
from functools import partial
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import Account
from kam.models import Role
from tests.browser.conftest import screenshot
from tests.browser.labels import t
from tests.factories import PASSWORD, UserFactory

REPORT = Path(__file__).parents[1] / "dataio" / "fixtures" / "salesforce_accounts.csv"
UMBRELLA = (
    '"0015e00000AbCd3","Umbrella","","Customer - Direct","Pharma","25,000,000,000,000",'
    '"900","Recife","Brazil","","","Ana Souza"\n'
)


@pytest.mark.parametrize("ui_language", ["en", "pt-br"])
def test_a_salesforce_report_is_recognised_questioned_and_imported_with_its_hierarchy(
    page, login, transactional_db, ui_language, tmp_path
):
    _ = partial(t, ui_language)
    UserFactory(email="lia@example.com", full_name="Lia Leader", role=Role.LEADER,
                language=ui_language)  # fmt: skip
    UserFactory(email="ana@example.com", full_name="Ana Souza", role=Role.KAM)
    UserFactory(email="bruno@example.com", full_name="Bruno Lima", role=Role.KAM)
    upload = tmp_path / "report1.csv"
    upload.write_text(REPORT.read_text() + UMBRELLA)

    login("lia@example.com", PASSWORD)
    page.get_by_role("link", name=_("Accounts"), exact=True).click()
    page.get_by_role("link", name=_("Import"), exact=True).click()
    page.get_by_label(_("What the rows are")).select_option("accounts")
    page.get_by_label(_("File")).set_input_files(str(upload))
    page.get_by_role("button", name=_("Upload and map columns")).click()

    export = _("Salesforce accounts report")
    recognised = page.get_by_role("region", name=_("Recognised: {export}", export=export))
    expect(recognised).to_be_visible()
    expect(recognised).to_contain_text(_("{column} converted from units to millions.",
                                         column="Annual Revenue"))  # fmt: skip
    # Every column pre-mapped: nothing to choose.
    expect(page.get_by_label("Parent Account ID")).to_have_value("parent")
    expect(page.get_by_label("Billing Country")).to_have_value("hq_country")
    expect(page.get_by_label("Annual Revenue")).to_have_value("annual_revenue_musd")
    screenshot(page, f"import-preset-mapping-{ui_language}")
    page.get_by_role("button", name=_("Preview (dry run)")).click()
    # The values step: the report's Type values, pre-filled, confirmed as they are.
    values_heading = page.get_by_role(
        "heading", name=_("Map the values of {file}", file=upload.name)
    )
    expect(values_heading).to_be_visible()
    page.get_by_role("button", name=_("Preview (dry run)")).click()

    flagged = page.get_by_role("region", name=_("{count} row has values that look wrong",
                                                count=1))  # fmt: skip
    expect(flagged).to_be_visible()
    expect(flagged.get_by_role("row", name=re.compile("^5 Umbrella"))).to_be_visible()
    screenshot(page, f"import-preset-preview-{ui_language}")
    # Not without saying the value is right.
    page.get_by_role("button", name=_("Confirm and import")).click()
    expect(page.get_by_role("alert")).to_contain_text(_("Correct the file, or import anyway"))
    assert not Account.objects.exists()
    page.get_by_label(_("Import anyway: these values are right")).check()
    page.get_by_role("button", name=_("Confirm and import")).click()
    expect(page.get_by_role("status")).to_contain_text(_("Imported: {created} created", created=4))

    child = Account.objects.get(name="Globex Brasil Ltda")
    assert str(child.annual_revenue_musd) == "12.50"
    page.goto(f"/accounts/{child.pk}/")
    page.get_by_role("link", name="Globex Holding").click()
    expect(page.get_by_role("heading", name="Globex Holding", level=1)).to_be_visible()
