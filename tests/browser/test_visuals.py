"""Look instead of read (issue 16, point 11) in a real Chromium, in English and Portuguese:
the opportunity board (drag and keyboard moves, weighted totals per column), the whitespace heat
map and the relationship map."""

import re
from datetime import date, timedelta
from decimal import Decimal
from functools import partial

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activities.services import interaction_log
from kam.dates import business_date
from plans import services as plan_services
from plans.models import Opportunity
from tests.browser.conftest import screenshot, wait_for
from tests.browser.labels import t
from tests.factories import PASSWORD, AccountFactory, StakeholderFactory, UserFactory
from tests.plans.factories import ProductFactory

LANGUAGES = ["en", "pt-br"]


def _plan(account, owner):
    year = business_date().year
    return plan_services.plan_create(
        account=account, actor=owner, status="active", title="Acme plan",
        period_start=date(year, 1, 1), period_end=date(year, 12, 31),
    )  # fmt: skip


def _deal(plan, owner, title, amount, probability, stage):
    return plan_services.opportunity_create(
        plan=plan, actor=owner, title=title, amount=Decimal(amount), probability=probability,
        stage=stage, currency="BRL", owner=owner,
    )  # fmt: skip


def _column(page, _, stage: str):
    return page.get_by_role("region", name=re.compile(rf"^{re.escape(_(stage))}\b"))


@pytest.mark.parametrize("ui_language", LANGUAGES)
def test_a_card_dragged_or_moved_with_the_keyboard_changes_stage_and_the_totals_follow(
    page, login, transactional_db, ui_language
):
    _ = partial(t, ui_language)
    owner = UserFactory(email="karina@example.com", language=ui_language)
    account = AccountFactory(name="Acme Brasil", owner=owner)
    plan = _plan(account, owner)
    sensors = _deal(plan, owner, "Line 3 sensors", "100000", 40, "qualified")
    _deal(plan, owner, "Spare parts", "20000", 50, "proposal")
    login("karina@example.com", PASSWORD)
    page.goto(f"/accounts/{account.pk}/")
    page.get_by_role("link", name=_("Opportunities"), exact=True).click()
    page.wait_for_url(re.compile(rf"/accounts/{account.pk}/opportunities/$"))

    qualified, proposal = _column(page, _, "Qualified"), _column(page, _, "Proposal")
    money = {"en": ("R$40,000.00", "R$10,000.00", "R$50,000.00"),
             "pt-br": ("R$ 40.000,00", "R$ 10.000,00", "R$ 50.000,00")}[ui_language]  # fmt: skip
    expect(qualified.locator("[data-total]")).to_contain_text(money[0])
    expect(proposal.locator("[data-total]")).to_contain_text(money[1])

    # Drag: the card lands in Proposal, whose weighted total now counts it.
    card = page.locator(f"#opportunity-card-{sensors.pk}")
    card.drag_to(proposal.locator("[data-drop-stage]"))
    expect(proposal.get_by_role("listitem", name="Line 3 sensors")).to_be_visible()
    expect(proposal.locator("[data-total]")).to_contain_text(money[2])
    expect(qualified.locator("[data-total]")).to_contain_text("—")
    expect(page.get_by_role("status").filter(has_text="Line 3 sensors")).to_have_count(1)
    screenshot(page, f"opportunity-board-{ui_language}")
    sensors.refresh_from_db()
    assert sensors.stage == "proposal"

    # Keyboard: focus the card's “Move to” field and choose Negotiation with the arrow keys.
    move = page.get_by_label(_("Move “{title}” to", title="Line 3 sensors"))
    move.focus()
    page.keyboard.press("ArrowDown")  # Proposal → Negotiation (Chromium selects without opening)
    negotiation = _column(page, _, "Negotiation")
    expect(negotiation.get_by_role("listitem", name="Line 3 sensors")).to_be_visible()
    expect(page.get_by_label(_("Move “{title}” to", title="Line 3 sensors"))).to_be_focused()
    sensors.refresh_from_db()
    assert sensors.stage == "negotiation"


@pytest.mark.parametrize("ui_language", LANGUAGES)
def test_a_move_over_someone_elses_save_is_refused_and_the_card_stays(
    page, login, transactional_db, ui_language
):
    _ = partial(t, ui_language)
    owner = UserFactory(email="karina@example.com", language=ui_language)
    account = AccountFactory(name="Acme Brasil", owner=owner)
    deal = _deal(_plan(account, owner), owner, "Line 3 sensors", "100000", 40, "qualified")
    login("karina@example.com", PASSWORD)
    page.goto(f"/accounts/{account.pk}/opportunities/")
    plan_services.opportunity_update(opportunity=deal, actor=owner, probability=60)  # elsewhere
    page.locator(f"#opportunity-card-{deal.pk}").drag_to(
        _column(page, _, "Won").locator("[data-drop-stage]")
    )
    expect(page.get_by_role("alert")).to_contain_text(_("was changed by someone else"))
    expect(
        _column(page, _, "Qualified").get_by_role("listitem", name="Line 3 sensors")
    ).to_be_visible()
    assert Opportunity.objects.get(pk=deal.pk).stage == "qualified"


@pytest.mark.parametrize("ui_language", LANGUAGES)
def test_a_heat_map_cell_says_its_state_and_value_and_opens_its_opportunity(
    page, login, transactional_db, ui_language
):
    _ = partial(t, ui_language)
    owner = UserFactory(email="karina@example.com", language=ui_language)
    account = AccountFactory(name="Acme Brasil", owner=owner)
    plan = _plan(account, owner)
    vision = ProductFactory(name="Vision", list_price=Decimal("4000"))
    telemetry = ProductFactory(name="Telemetry", list_price=Decimal("1000"))
    deal = _deal(plan, owner, "Vision for ports", "8000", 30, "proposal")
    ports = plan_services.business_unit_create(account=account, actor=owner, name="Ports")
    for product, state, opportunity in [
        (vision, "opportunity", deal),
        (telemetry, "current", None),
    ]:
        plan_services.whitespace_cell_set(
            account=account, actor=owner, business_unit=ports, product=product, state=state,
            opportunity=opportunity,
        )  # fmt: skip
    login("karina@example.com", PASSWORD)
    page.goto(f"/accounts/{account.pk}/")
    page.get_by_role("link", name="Whitespace", exact=True).click()
    page.wait_for_url(re.compile(rf"/accounts/{account.pk}/whitespace/$"))
    amount = {"en": "R$8,000", "pt-br": "R$ 8.000"}[ui_language]
    cell = page.get_by_role("link", name=re.compile(rf"^{_('Opportunity')} {re.escape(amount)} "))
    expect(cell).to_contain_text("Vision for ports")
    expect(page.locator(f"#heat-{ports.pk}-{telemetry.pk}")).to_contain_text(_("Current"))
    screenshot(page, f"whitespace-heat-map-{ui_language}")
    cell.click()
    page.wait_for_url(re.compile(rf"/plans/{plan.pk}/#opportunities-{deal.pk}$"))
    expect(page.locator(f"#opportunities-{deal.pk}")).to_contain_text("Vision for ports")

    # Editing is one click away, and back.
    page.goto(f"/accounts/{account.pk}/whitespace/")
    page.get_by_role("link", name=_("Edit the matrix")).click()
    expect(
        page.get_by_label(_("{product} in {unit}", product="Vision", unit="Ports"), exact=True)
    ).to_have_value("opportunity")


ZOOM = "Number(document.querySelector('[data-relationship-map]').dataset.zoom)"


def _map_node_click(page, name: str) -> None:
    """Click the person's node on the canvas, where cytoscape drew it."""
    point = page.evaluate(
        """name => {
            const el = document.querySelector("[data-relationship-map]");
            const cy = el._cyreg.cy;
            const node = cy.nodes().filter(n => n.data("label").startsWith(name))[0];
            const box = el.getBoundingClientRect();
            const at = node.renderedPosition();
            return {x: box.left + at.x, y: box.top + at.y};
        }""",
        name,
    )
    page.mouse.click(point["x"], point["y"])


@pytest.mark.parametrize("ui_language", LANGUAGES)
def test_the_relationship_map_reads_at_12px_zooms_and_shows_a_persons_last_interactions(
    page, login, transactional_db, ui_language
):
    _ = partial(t, ui_language)
    owner = UserFactory(email="karina@example.com", language=ui_language)
    account = AccountFactory(name="Acme Brasil", owner=owner)
    boss = StakeholderFactory(account=account, name="Ana Lima", stance="advocate", influence=5)
    StakeholderFactory(account=account, name="Bruno Costa", stance="sceptic", reports_to=boss)
    interaction_log(
        account=account, actor=owner, kind="meeting", summary="Pricing call with Ana",
        stakeholders=[boss], occurred_at=timezone.now() - timedelta(days=2),
    )  # fmt: skip
    login("karina@example.com", PASSWORD)
    page.goto(f"/accounts/{account.pk}/")
    page.get_by_role("link", name="Stakeholders", exact=True).click()
    canvas = page.locator("[data-relationship-map]")
    expect(canvas).to_have_attribute("data-relationship-map-state", "drawn")
    smallest = page.evaluate(
        """() => Math.min(...document.querySelector("[data-relationship-map]")._cyreg.cy
             .nodes().map(n => parseFloat(n.renderedStyle("font-size"))))"""
    )
    assert smallest >= 12, smallest

    before = float(canvas.get_attribute("data-zoom"))
    page.get_by_role("button", name=_("Zoom in")).click()
    wait_for(page, f"z => {ZOOM} > z", "the map zoomed in", before)
    page.get_by_role("button", name=_("Zoom out")).click()
    page.get_by_role("button", name=_("Zoom out")).click()
    wait_for(page, f"z => {ZOOM} < z", "the map zoomed out", before)

    # A click on a person on the map opens the panel with their last interactions.
    page.get_by_role("button", name=_("Fit everyone")).click()
    _map_node_click(page, "Ana Lima")
    panel = page.get_by_role("complementary", name=_("Person on the map"))
    expect(panel).to_contain_text("Pricing call with Ana")
    expect(panel.get_by_role("heading", name="Ana Lima")).to_be_focused()
    screenshot(page, f"relationship-map-{ui_language}")

    # The keyboard reaches everyone through the list under the map: Tab to a person, Enter.
    people = page.get_by_role("list", name=_("People on the map"))
    bruno = people.get_by_role("button", name=re.compile("^Bruno Costa"))
    bruno.focus()
    page.keyboard.press("Enter")
    expect(panel).to_contain_text(_("No interaction with {name} logged yet.", name="Bruno Costa"))
    expect(bruno).to_have_attribute("aria-pressed", "true")

    # Full screen (the Fullscreen API, or the window-filling fallback), and back.
    full = page.get_by_role("button", name=_("Full screen"))
    full.click()
    expect(full).to_have_attribute("aria-pressed", "true")
    full.click()
    expect(full).to_have_attribute("aria-pressed", "false")
