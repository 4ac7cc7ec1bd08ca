"""The audit trail: services write who/when/before → after in the same transaction as the
change; admins read it at /configuration/audit/."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import services
from accounts.models import Account, Tier
from accounts.services import scoring_defaults_ensure
from insights import services as insights_services
from kam.dates import business_date
from kam.models import AuditEvent
from plans import services as plan_services
from tests.factories import AccountFactory, RevenueRecordFactory, UserFactory


def _only_event(**filters) -> AuditEvent:
    events = list(AuditEvent.objects.filter(**filters))
    assert len(events) == 1, events
    return events[0]


def test_creating_an_account_records_its_fields(kam_user, team_member):
    account = services.account_create(
        actor=kam_user, team=[team_member], name="Borealis", owner=kam_user, currency="USD"
    )
    event = _only_event(object_type="account", action="created")
    assert (event.actor, event.actor_email, event.object_id) == (
        kam_user,
        kam_user.email,
        account.pk,
    )
    assert event.account_id == account.pk
    assert event.changes["name"] == [None, "Borealis"]
    assert event.changes["owner"] == [None, str(kam_user)]
    assert event.changes["team"] == [None, str(team_member)]


def test_editing_an_account_records_before_and_after_of_changed_fields_only(
    account, kam_user, leader
):
    new_owner = UserFactory(full_name="Nina New")
    services.account_update(
        account=Account.objects.get(pk=account.pk),
        expected_version=1,
        actor=leader,
        name="Acme Group",
        industry=account.industry,  # unchanged: not recorded
        owner=new_owner,
    )
    event = _only_event(object_type="account", action="updated")
    assert event.actor == leader
    assert event.changes == {
        "name": ["Acme Industrial", "Acme Group"],
        "owner": ["Olivia Owner", "Nina New"],
    }


def test_a_save_that_changes_nothing_records_nothing(account, kam_user):
    services.account_update(
        account=Account.objects.get(pk=account.pk),
        expected_version=1,
        actor=kam_user,
        name=account.name,
    )
    assert not AuditEvent.objects.exists()


def test_a_refused_change_leaves_no_audit_row(account, kam_user):
    """Same transaction: the change and its audit row go together or not at all."""
    with pytest.raises(ValidationError):
        services.account_update(
            account=Account.objects.get(pk=account.pk),
            expected_version=1,
            actor=kam_user,
            name="",
        )
    assert not AuditEvent.objects.exists()


def test_a_stale_edit_leaves_no_audit_row(account, kam_user, leader):
    services.account_update(
        account=Account.objects.get(pk=account.pk), expected_version=1, actor=leader, name="A"
    )
    with pytest.raises(services.StaleEdit):
        services.account_update(
            account=Account.objects.get(pk=account.pk), expected_version=1, actor=kam_user, name="B"
        )
    assert AuditEvent.objects.count() == 1


def test_stakeholder_creation_and_edits_are_recorded(account, kam_user):
    stakeholder = services.stakeholder_create(
        account=account, actor=kam_user, name="Carla Chefe", stance="neutral", influence=3
    )
    services.stakeholder_update(stakeholder=stakeholder, actor=kam_user, stance="advocate")
    created, updated = AuditEvent.objects.order_by("pk")
    assert (created.action, created.object_type, created.account_id) == (
        "created",
        "stakeholder",
        account.pk,
    )
    assert created.changes["name"] == [None, "Carla Chefe"]
    assert updated.changes == {"stance": ["neutral", "advocate"]}
    assert updated.object_label == "Carla Chefe"


def test_plan_changes_are_recorded_under_their_plan(account, kam_user, now):
    plan = plan_services.plan_create(
        account=account,
        actor=kam_user,
        title="Acme 2026",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    plan_services.plan_update(plan=plan, expected_version=plan.version, actor=kam_user, title="B")
    plan_services.objective_create(
        plan=plan,
        actor=kam_user,
        description="Cut downtime",
        metric="h",
        baseline=Decimal("40"),
        target=Decimal("20"),
    )
    plan_services.plan_activate(plan=plan, actor=kam_user)
    events = list(AuditEvent.objects.order_by("pk"))
    assert [(e.object_type, e.action) for e in events] == [
        ("plan", "created"),
        ("plan", "updated"),
        ("objective", "created"),
        ("plan", "status"),
    ]
    assert {e.object_id for e in events} == {plan.pk}
    assert {e.account_id for e in events} == {account.pk}
    assert events[1].changes == {"title": ["Acme 2026", "B"]}
    assert events[2].changes["description"] == [None, "Cut downtime"]
    assert events[3].changes["status"] == ["draft", "active"]


@pytest.fixture
def two_tiers(kam_user):
    today = business_date()
    big = AccountFactory(name="Big", owner=kam_user)
    small = AccountFactory(name="Small", owner=kam_user)
    for account, amount in ((big, 900_000), (small, 10_000)):
        RevenueRecordFactory(account=account, booked_on=today - timedelta(days=30), amount=amount)
    return big, small


def test_initial_tiers_from_the_nightly_job_are_recorded_without_an_actor(two_tiers):
    insights_services.tiers_recompute()
    events = AuditEvent.objects.filter(action="tier")
    assert events.count() == 2
    assert all(e.actor is None and e.changes["tier"][0] is None for e in events)


def test_a_tier_decision_records_from_to_and_reason(two_tiers, leader):
    big, _small = two_tiers
    insights_services.tiers_recompute()
    lowest = Tier.objects.order_by("-rank").first()
    Account.objects.filter(pk=big.pk).update(tier=lowest, recommendation_reviewed=False)
    big.refresh_from_db()
    services.tier_recommendation_review(
        account=big, actor=leader, accept=False, tier=big.recommended_tier, reason="Board call"
    )
    event = AuditEvent.objects.filter(action="tier", actor=leader).get()
    assert event.changes["tier"] == [lowest.name, big.recommended_tier.name]
    assert event.changes["reason"] == [None, "Board call"]


def test_a_configuration_save_records_each_changed_weight_and_policy(db, admin_user):
    config = scoring_defaults_ensure()
    tiers = [dict(t) for t in config.tiers]
    tiers[0]["touch_cadence_days"] += 1
    before_cadence = config.tiers[0]["touch_cadence_days"]
    services.scoring_config_save(
        actor=admin_user,
        based_on_version=config.version,
        tiers=tiers,
        health_weights={**config.health_weights, "engagement": 61},
        tier_weights=dict(config.tier_weights),
        healthy_min=config.healthy_min,
        watch_min=config.watch_min,
        default_touch_cadence_days=config.default_touch_cadence_days,
        pareto_a_pct=config.pareto_a_pct,
        pareto_b_pct=config.pareto_b_pct,
    )
    event = _only_event(object_type="scoring_config")
    assert event.actor == admin_user
    assert event.changes == {
        "health_weights.engagement": [str(config.health_weights["engagement"]), "61"],
        f"{tiers[0]['key']}.touch_cadence_days": [str(before_cadence), str(before_cadence + 1)],
    }


# --- The page ---------------------------------------------------------------------------------


@pytest.fixture
def history(account, kam_user, leader):
    other = AccountFactory(name="Other Co", owner=leader)
    for index in range(3):
        services.account_update(
            account=Account.objects.get(pk=account.pk),
            expected_version=index + 1,
            actor=kam_user,
            name=f"Acme {index}",
        )
    services.stakeholder_create(account=other, actor=leader, name="<b>Bold</b> Boss")
    return account, other


def test_admins_see_the_trail_newest_first_with_before_and_after(client_for, admin_user, history):
    response = client_for(admin_user).get(reverse("audit_log"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Bold") < html.index("Acme 2")  # newest first
    assert "Acme 1 → Acme 2" in " ".join(html.split()).replace("</li>", "")
    assert "&lt;b&gt;Bold&lt;/b&gt; Boss" in html  # user text escaped
    assert "<b>Bold</b>" not in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"object_type": "stakeholder"}, 1),
        ({"object_type": "account"}, 3),
        ({"action": "updated"}, 3),
        ({"actor": "leader"}, 1),
        ({"account": "acme"}, 3),
    ],
)
def test_the_trail_filters(client_for, admin_user, leader, history, query, expected):
    account, _other = history
    params = dict(query)
    if params.get("actor") == "leader":
        params["actor"] = leader.pk
    if params.get("account") == "acme":
        params["account"] = account.pk
    response = client_for(admin_user).get(reverse("audit_log"), params)
    assert len(response.context["rows"]) == expected


def test_the_trail_pages_by_fifty(client_for, admin_user, account, kam_user):
    AuditEvent.objects.bulk_create(
        AuditEvent(actor=kam_user, action="updated", object_type="account", account_id=account.pk)
        for _ in range(51)
    )
    client = client_for(admin_user)
    assert len(client.get(reverse("audit_log")).context["rows"]) == 50
    assert len(client.get(reverse("audit_log"), {"page": 2}).context["rows"]) == 1


@pytest.mark.parametrize("persona", ["kam_user", "leader"])
def test_the_trail_is_for_admins_only(request, client_for, persona, history):
    response = client_for(request.getfixturevalue(persona)).get(reverse("audit_log"))
    assert response.status_code == 403


def test_the_trail_page_runs_a_fixed_number_of_queries(
    client_for, admin_user, kam_user, history, django_assert_num_queries
):
    client = client_for(admin_user)
    client.get(reverse("audit_log"))
    with django_assert_num_queries(6):
        # session, user, count of events, page of events, their accounts' names, unread
        # notifications (nav); the "who" filter is a people picker: no user is read for it
        client.get(reverse("audit_log"))
    with django_assert_num_queries(8):
        # with someone chosen, also: that person checked (the filter) and named (the picker)
        response = client.get(reverse("audit_log"), {"actor": kam_user.pk})
    assert len(response.context["page"].object_list) == 3


def _import_accounts(text: str, actor, *, dry_run: bool = False):
    from dataio.services import import_file

    return import_file(
        entity="accounts", content=text.encode(), filename="a.csv", actor=actor, dry_run=dry_run
    )


def test_imported_accounts_are_in_the_trail_as_coming_from_an_import(admin_user):
    _import_accounts("name,industry\nBorealis,Mining\n", admin_user)
    _import_accounts("name,industry\nBorealis,Energy\n", admin_user)
    created, updated = AuditEvent.objects.order_by("pk")
    account = Account.objects.get(name="Borealis")
    assert (created.action, created.actor, created.object_id) == ("created", admin_user, account.pk)
    assert created.changes["name"] == [None, "Borealis"]
    assert created.changes["source"] == [None, "import"]
    assert updated.changes == {"industry": ["Mining", "Energy"], "source": [None, "import"]}


def test_an_import_dry_run_leaves_no_trail(admin_user):
    _import_accounts("name\nBorealis\n", admin_user, dry_run=True)
    assert not Account.objects.exists()
    assert not AuditEvent.objects.exists()
