from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Account, RevenueRecord, Stakeholder, TimelineEntry
from activities.models import Interaction
from dataio import importers
from dataio.parsing import ImportFileError
from kam.models import Role, User
from plans.models import AccountPlan, Opportunity, PlanChange, Product
from tests.factories import AccountFactory, StakeholderFactory, UserFactory

pytestmark = pytest.mark.django_db

ACCOUNTS = """external_id,name,industry,employees,owner,parent,renewal_date,website
A1,Acme Holding,Retail,1200,owner@example.com,,2026-10-01,https://acme.example
A2,Acme Brasil,Retail,300,Olivia Owner,Acme Holding,01/11/2026,
A3,Beta SA,Banking,abc,owner@example.com,,,
A4,Gamma,Energy,10,nobody@example.com,,,
A5,Delta,Energy,10,owner@example.com,,2026-13-45,
A6,Epsilon,Energy,10,owner@example.com,Nowhere Ltd,,
"""


def test_account_rows_go_in_and_bad_rows_are_rejected_with_row_and_reason(run_import, kam_user):
    result = run_import("accounts", ACCOUNTS)
    assert result.counts == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 4}
    reasons = {r["row"]: r["reason"] for r in result.rejects}
    assert "employees" in reasons[4] and "not a number" in reasons[4]
    assert "no active user “nobody@example.com”" in reasons[5]
    assert "not a date" in reasons[6]
    assert "no account “Nowhere Ltd”" in reasons[7]
    holding = Account.objects.get(external_id="A1")
    child = Account.objects.get(external_id="A2")
    assert child.parent == holding
    assert child.owner == kam_user
    assert child.renewal_date == date(2026, 11, 1)
    assert holding.employees == 1200


def test_reimporting_the_same_file_changes_nothing(run_import, kam_user):
    run_import("accounts", ACCOUNTS)
    before = list(Account.objects.order_by("pk").values())
    again = run_import("accounts", ACCOUNTS)
    assert again.counts == {"created": 0, "updated": 0, "unchanged": 2, "rejected": 4}
    assert list(Account.objects.order_by("pk").values()) == before


def test_a_changed_cell_updates_the_row_and_names_the_field(run_import, kam_user):
    run_import("accounts", ACCOUNTS)
    changed = ACCOUNTS.replace("A1,Acme Holding,Retail,1200", "A1,Acme Holding,Retail,1300")
    result = run_import("accounts", changed)
    assert result.counts["updated"] == 1
    [updated] = [o for o in result.outcomes if o["action"] == "updated"]
    assert updated["row"] == 2 and updated["changes"] == ["employees"]
    account = Account.objects.get(external_id="A1")
    assert account.employees == 1300
    assert account.version == 2


def test_without_external_id_the_key_is_the_normalised_name(run_import, kam_user):
    AccountFactory(name="São Paulo Ltda.", owner=kam_user, industry="")
    result = run_import("accounts", "name,industry\nSAO PAULO LTDA,Retail\n")
    assert result.counts["updated"] == 1
    assert Account.objects.get().industry == "Retail"


def test_a_parent_later_in_the_file_is_linked(run_import):
    result = run_import("accounts", "account,subsidiary_of\nChild,Parent Co\nParent Co,NULL\n")
    assert result.counts["created"] == 2
    assert Account.objects.get(name="Child").parent.name == "Parent Co"
    assert Account.objects.get(name="Parent Co").parent is None


def test_dry_run_writes_nothing_but_reports_the_same(run_import, db_rows):
    before = db_rows()
    preview = run_import("accounts", ACCOUNTS, dry_run=True)
    assert db_rows() == before
    real = run_import("accounts", ACCOUNTS)
    assert [(o["row"], o["action"]) for o in preview.outcomes] == [
        (o["row"], o["action"]) for o in real.outcomes
    ]


def test_a_database_failure_midway_writes_nothing(run_import, kam_user, monkeypatch):
    """The batch is one transaction: accounts created before the failure are rolled back."""
    original = Account.objects.bulk_update

    def fail_on_parents(objs, fields, **kwargs):
        if fields == ["parent"]:
            raise RuntimeError("disk full")
        return original(objs, fields, **kwargs)

    monkeypatch.setattr(Account.objects, "bulk_update", fail_on_parents)
    with pytest.raises(RuntimeError):
        run_import("accounts", ACCOUNTS)
    assert not Account.objects.exists()


def test_duplicate_rows_in_one_file_are_rejected_after_the_first(run_import):
    result = run_import("accounts", "name\nAcme\nACME\n")
    assert result.counts["created"] == 1
    assert result.rejects[0]["row"] == 3
    assert "Same record as row 2" in result.rejects[0]["reason"]


def test_map_override_and_unmapping(run_import):
    result = run_import(
        "accounts",
        "Cliente X,Setor\nAcme,Retail\n",
        mapping_overrides={"Cliente X": "name", "Setor": ""},
    )
    assert result.counts["created"] == 1
    assert Account.objects.get().industry == ""


def test_mapping_a_missing_column_is_an_error(run_import):
    with pytest.raises(ImportFileError, match="no column"):
        run_import("accounts", "name\nAcme\n", mapping_overrides={"Nope": "industry"})


# --- stakeholders ---------------------------------------------------------------------------


def test_stakeholders_are_keyed_by_name_within_their_account(run_import, account):
    other = AccountFactory(name="Other Co")
    rows = (
        "account,name,title,buying_role,influence,reports_to\n"
        "Acme Industrial,Maria Silva,CFO,economic buyer,5,\n"
        "Acme Industrial,João Souza,Buyer,user,3,Maria Silva\n"
        "Other Co,Maria Silva,CEO,decision maker,4,\n"
        "Acme Industrial,Ana,CTO,wizard,3,\n"
        "Unknown Co,Ana,CTO,user,3,\n"
    )
    result = run_import("stakeholders", rows)
    assert result.counts == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 2}
    assert "wizard" in result.rejects[0]["reason"]
    assert "no account “Unknown Co”" in result.rejects[1]["reason"]
    joao = Stakeholder.objects.get(name="João Souza")
    assert joao.reports_to.name == "Maria Silva" and joao.reports_to.account == account
    assert Stakeholder.objects.get(account=other).buying_role == "decision_maker"
    # The stakeholder service ran: each joined the account's timeline.
    assert TimelineEntry.objects.filter(kind="stakeholder_joined").count() == 3
    assert run_import("stakeholders", rows).counts["unchanged"] == 3


# --- deals ----------------------------------------------------------------------------------

DEALS = """opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value
D1,Tereza Team,GTXPro,Acme Industrial,Won,2025-10-20,2026-01-05,4514
D2,Tereza Team,GTX Pro,Acme Industrial,Engaging,2025-10-25,,-1
D3,Olivia Owner,MG Special,Acme Industrial,Lost,2025-10-25,2026-01-07,0
D4,Olivia Owner,MG Special,,Prospecting,,,
D5,Nobody Here,MG Special,Acme Industrial,Engaging,2025-10-25,,
D6,Olivia Owner,MG Special,Acme Industrial,Won,2025-10-25,,100
D7,Olivia Owner,MG Special,Acme Industrial,Won,2025-10-25,2026-02-30,100
D8,Olivia Owner,MG Special,Acme Industrial,Won,2025-10-25,2026-02-01,lots
D9,Olivia Owner,MG Special,Acme Industrial,Stalled,2025-10-25,,
"""


@pytest.fixture
def products(db):
    Product.objects.create(name="GTX Pro", series="GTX", list_price=Decimal(4821))
    Product.objects.create(name="MG Special", series="MG", list_price=Decimal(55))


def test_deals_won_become_revenue_open_and_lost_become_opportunities(
    run_import, account, kam_user, team_member, products
):
    result = run_import("deals", DEALS)
    assert result.counts == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 6}
    reasons = {r["row"]: r["reason"] for r in result.rejects}
    assert reasons[5] == "account: no account given."
    assert "no active user “Nobody Here”" in reasons[6]
    assert "close date" in reasons[7]
    assert "not a date" in reasons[8]
    assert "not a number" in reasons[9]
    assert "Stalled" in reasons[10]

    revenue = RevenueRecord.objects.get()
    assert (revenue.account, revenue.booked_on, revenue.amount, revenue.product) == (
        account,
        date(2026, 1, 5),
        Decimal("4514.00"),
        "GTX Pro",
    )
    assert revenue.external_id == "D1" and revenue.kind == "deal"

    open_deal = Opportunity.objects.get(external_id="D2")
    assert open_deal.stage == "qualified" and open_deal.is_open
    assert open_deal.product.name == "GTX Pro"
    # -1 means "no value yet": the product's list price stands in.
    assert open_deal.amount == Decimal("4821.00")
    assert open_deal.owner == team_member
    lost = Opportunity.objects.get(external_id="D3")
    assert lost.stage == "lost" and lost.probability == 0 and lost.amount == Decimal("55.00")
    plan = AccountPlan.objects.get(account=account)
    assert plan.status == "draft" and open_deal.plan == plan == lost.plan
    assert PlanChange.objects.filter(plan=plan, entity="opportunity").count() == 1


def test_deal_owner_joins_the_account_team_so_the_opportunity_is_valid(run_import, products):
    owner = UserFactory(full_name="Olivia Owner")
    agent = UserFactory(full_name="Sam Agent")
    account = AccountFactory(name="Solo Co", owner=owner)
    run_import("deals", "account,stage,sales_agent,product\nSolo Co,Prospecting,Sam Agent,GTXPro\n")
    assert agent.pk in account.team_member_ids()
    assert Opportunity.objects.get().owner == agent


def test_deals_reimport_is_idempotent_and_uses_the_existing_active_plan(
    run_import, account, kam_user, team_member, products
):
    from plans.services import plan_create

    plan = plan_create(
        account=account,
        actor=kam_user,
        status="active",
        title="FY",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    run_import("deals", DEALS)
    assert set(Opportunity.objects.values_list("plan", flat=True)) == {plan.pk}
    versions = list(Opportunity.objects.order_by("pk").values_list("version", flat=True))
    again = run_import("deals", DEALS)
    assert again.counts == {"created": 0, "updated": 0, "unchanged": 3, "rejected": 6}
    assert RevenueRecord.objects.count() == 1 and Opportunity.objects.count() == 2
    assert list(Opportunity.objects.order_by("pk").values_list("version", flat=True)) == versions
    moved = DEALS.replace(
        "D2,Tereza Team,GTX Pro,Acme Industrial,Engaging",
        "D2,Tereza Team,GTX Pro,Acme Industrial,Negotiation",
    )
    result = run_import("deals", moved)
    assert result.counts["updated"] == 1
    assert Opportunity.objects.get(external_id="D2").stage == "negotiation"


# --- interactions ---------------------------------------------------------------------------


def test_interactions_go_through_the_quick_log_rules(run_import, account, kam_user, now):
    StakeholderFactory(account=account, name="Maria Silva")
    rows = (
        "id,account,date,type,summary,sentiment,user,attendees\n"
        "I1,Acme Industrial,2026-03-01,meeting,Quarterly,1,owner@example.com,Maria Silva\n"
        "I2,Acme Industrial,2026-04-20,call,From the future,0,owner@example.com,\n"
        "I3,Acme Industrial,2026-03-02,call,Who is that,0,owner@example.com,Mr Nobody\n"
        "I4,Acme Industrial,2026-03-03,smoke signal,Odd,0,owner@example.com,\n"
    )
    result = run_import("interactions", rows)
    assert result.counts == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 3}
    assert "future" in result.rejects[0]["reason"]
    assert "Mr Nobody" in result.rejects[1]["reason"]
    assert "smoke signal" in result.rejects[2]["reason"]
    interaction = Interaction.objects.get()
    assert interaction.external_id == "I1" and interaction.logged_by == kam_user
    assert [s.name for s in interaction.stakeholders.all()] == ["Maria Silva"]
    account.refresh_from_db()
    assert account.last_touch_at == interaction.occurred_at
    assert TimelineEntry.objects.filter(kind="interaction").count() == 1
    assert run_import("interactions", rows).counts["unchanged"] == 1


def test_an_interaction_summary_over_300_characters_is_rejected_naming_the_column(
    run_import, account, kam_user, now
):
    """Issue 16: the importer refuses the row (naming the field), it never cuts the text."""
    long = "y" * 301
    rows = (
        "account,date,type,summary,user\n"
        f"Acme Industrial,2026-03-01,meeting,{long},owner@example.com\n"
    )
    result = run_import("interactions", rows)
    assert result.counts["rejected"] == 1 and result.counts["created"] == 0
    assert "summary" in result.rejects[0]["reason"].lower()
    assert "300" in result.rejects[0]["reason"]
    assert not Interaction.objects.exists()


# --- users and products ---------------------------------------------------------------------


def test_users_with_managers_become_kams_and_leaders(run_import):
    rows = (
        "sales_agent,manager,regional_office\nAna Lúcia,Bruno Boss,Central\nCid,Bruno Boss,East\n"
    )
    result = run_import("users", rows)
    assert result.counts["created"] == 2
    assert "Bruno Boss" in result.notes[0]
    from kam.models import User

    ana = User.objects.get(full_name="Ana Lúcia")
    assert ana.role == Role.KAM and ana.region == "Central"
    assert ana.email == "ana.lucia@imported.invalid" and not ana.has_usable_password()
    assert ana.manager.full_name == "Bruno Boss" and ana.manager.role == Role.LEADER
    assert run_import("users", rows).counts == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "rejected": 0,
    }


def test_products_match_name_variants_and_reject_bad_prices(run_import):
    result = run_import("products", "product,series,sales_price\nGTX Pro,GTX,4821\nX,Y,-5\n")
    assert result.counts["created"] == 1 and "negative" in result.rejects[0]["reason"]
    result = run_import("products", "product,series,sales_price\nGTXPro,GTX,5000\n")
    assert result.counts["updated"] == 1
    assert Product.objects.get().list_price == Decimal(5000)


def test_importers_are_registered_for_every_entity():
    assert set(importers.IMPORTERS) == {
        "accounts",
        "stakeholders",
        "deals",
        "interactions",
        "users",
        "products",
        "requests",
    }


def test_an_open_deal_won_in_a_later_file_closes_its_opportunity(
    run_import, account, team_member, products
):
    run_import("deals", DEALS)
    won_now = DEALS.replace(
        "D2,Tereza Team,GTX Pro,Acme Industrial,Engaging,2025-10-25,,-1",
        "D2,Tereza Team,GTX Pro,Acme Industrial,Won,2025-10-25,2026-02-10,5000",
    )
    result = run_import("deals", won_now)
    assert result.counts["created"] == 1  # the revenue record
    opportunity = Opportunity.objects.get(external_id="D2")
    assert (opportunity.stage, opportunity.probability, opportunity.amount) == (
        "won",
        100,
        Decimal("5000.00"),
    )
    assert RevenueRecord.objects.get(external_id="D2").booked_on == date(2026, 2, 10)
    assert run_import("deals", won_now).counts["created"] == 0
    assert run_import("deals", won_now).counts["updated"] == 0


def test_only_an_admin_imports_users(run_import, leader):
    with pytest.raises(ImportFileError, match="Only an admin"):
        run_import("users", "name,role\nEve,admin\n", actor=leader)
    assert not User.objects.filter(full_name="Eve").exists()


def test_xlsx_deals_with_real_dates_and_numbers(run_import, account, products):
    import io
    from datetime import datetime

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Deal ID", "Account", "Stage", "Close date", "Value"])
    sheet.append(["X1", "Acme Industrial", "Closed Won", datetime(2026, 2, 1), 1234.5])
    sheet.append(["X2", "Acme Industrial", "Closed Won", "not a date", 10])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = run_import("deals", buffer.getvalue(), "deals.xlsx")
    assert result.counts["created"] == 1 and result.rejects[0]["row"] == 3
    record = RevenueRecord.objects.get()
    assert (record.external_id, record.booked_on, record.amount) == (
        "X1",
        date(2026, 2, 1),
        Decimal("1234.50"),
    )


def test_won_deals_refresh_the_accounts_revenue_windows(run_import, account, products, now):
    run_import(
        "deals", "id,account,stage,close_date,amount\nW1,Acme Industrial,won,2026-02-01,900\n"
    )
    account.refresh_from_db()
    assert account.revenue_last_12m == Decimal(900)


def test_a_role_change_keeps_django_admin_access_consistent(run_import, admin_user):
    boss = UserFactory(email="boss2@example.com", full_name="Bo Boss", role=Role.ADMIN)
    result = run_import("users", "email,name,role\nboss2@example.com,Bo Boss,kam\n")
    assert result.counts["updated"] == 1
    boss.refresh_from_db()
    assert (boss.role, boss.is_staff, boss.is_superuser) == (Role.KAM, False, False)


def test_a_reporting_loop_in_the_file_is_reported_and_the_rest_goes_in(run_import, account):
    rows = ("account,name,reports_to\nAcme Industrial,Ana,Bia\nAcme Industrial,Bia,Ana\n"
            "Acme Industrial,Caio,Ana\n")  # fmt: skip
    result = run_import("stakeholders", rows)
    assert result.counts["created"] == 3
    assert "Row 3: “reports to” not set" in result.notes[0] and "loop" in result.notes[0]
    assert Stakeholder.objects.get(name="Ana").reports_to.name == "Bia"
    assert Stakeholder.objects.get(name="Caio").reports_to.name == "Ana"
    assert Stakeholder.objects.get(name="Bia").reports_to is None


# --- client requests --------------------------------------------------------------------------


def test_client_requests_start_their_sla_clocks_and_reimport_changes_nothing(
    run_import, account, kam_user, outsider, now
):
    from activities.models import ClientRequest

    StakeholderFactory(account=account, name="Maria Silva")
    rows = (
        "account,subject,received at,channel,priority,requester,owner,first response,resolved at\n"
        "Acme Industrial,Invoice copy,2026-03-02 10:00,e-mail,alta,Maria Silva,"
        "owner@example.com,2026-03-02 11:00,2026-03-03 09:30\n"
        "Acme Industrial,Price list,2026-03-04 15:00,telefone,,,,,\n"
        "Acme Industrial,Answered first,2026-03-05 10:00,email,normal,,,2026-03-05 09:00,\n"
        "Acme Industrial,Not our person,2026-03-05 10:00,email,normal,,"
        "outsider@example.com,,\n"
        "Acme Industrial,Odd channel,2026-03-05 10:00,pigeon,normal,,,,\n"
    )
    result = run_import("requests", rows)
    assert result.counts == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 3}
    reasons = [reject["reason"] for reject in result.rejects]
    assert "before the request was received" in reasons[0]
    assert "not on the account team" in reasons[1]
    assert "pigeon" in reasons[2]
    answered = ClientRequest.objects.get(subject="Invoice copy")
    assert (answered.channel, answered.priority, answered.owner) == ("email", "high", kam_user)
    assert answered.first_response_at is not None and answered.resolved_at is not None
    assert answered.first_response_due_at > answered.received_at
    waiting = ClientRequest.objects.get(subject="Price list")
    assert (waiting.channel, waiting.first_response_at) == ("phone", None)
    assert run_import("requests", rows).counts["unchanged"] == 2
