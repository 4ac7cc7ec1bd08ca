"""Upgrading a running installation loses nothing.

The schema is built at the migration heads of the release before the apps were split into
layers (commit 6a104d2), rows are written into every table of the project's apps through the
historical models (what such an installation's database holds), and then the database is
migrated to the latest heads, whatever they are by now: every row must still be there and still
be readable by the current code (a plan's actions are agreed items now: their rows moved from
plans_action into activities_commitment, and are counted there). docs/deploy.md ("Upgrading") is
the procedure this protects.

django-test-migrations drops every table first, so the test runs on a transactional database;
it rebuilds the schema twice and takes a few seconds.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ProjectState
from django.utils import timezone

from accounts.models import Account, TimelineEntry
from activities.models import Commitment, CommitmentSource
from kam.celery import app as celery_app
from kam.models import OutboxTask
from plans.models import AccountPlan

# The migration heads of the previous release (6a104d2).
PREVIOUS_RELEASE = [
    ("kam", "0004_outbox"),
    ("accounts", "0008_account_last_qbr_held_at"),
    ("activities", "0004_health_covering_indexes"),
    ("plans", "0002_opportunity_external_id"),
    ("dataio", "0001_initial"),
    ("api", "0001_initial"),
]
PROJECT_APPS = {
    "kam",
    "accounts",
    "activities",
    "plans",
    "insights",
    "dataio",
    "api",
    "demo",
    "capture",
}
# Tasks that moved module; the outbox may hold them under their old names during an upgrade.
OLD_TASK = "accounts.tasks.health_chunk"
NEW_TASK = "insights.tasks.health_chunk"
UNMOVED_TASK = "activities.tasks.send_reminders"
DAY = date(2026, 6, 1)


def previous_release_targets() -> list[tuple[str, str | None]]:
    """The previous heads, and 'nothing applied' for every app of ours that had no migration
    then (insights): migrating to these undoes whatever came later, in any app."""
    loader = MigrationLoader(connection)
    known = {app for app, _ in PREVIOUS_RELEASE}
    later_apps = {app for app, _ in loader.graph.leaf_nodes() if app in PROJECT_APPS} - known
    return PREVIOUS_RELEASE + [(app, None) for app in sorted(later_apps)]


def applied_project_migrations() -> set[tuple[str, str]]:
    applied = MigrationRecorder(connection).applied_migrations()
    return {key for key in applied if key[0] in PROJECT_APPS}


def migrate_to_the_previous_release(migrator) -> ProjectState:
    """The schema of the previous release, and its models as they were then."""
    loader = MigrationLoader(connection)
    # Django's own apps (sessions, admin, axes…) at their heads: the whole installation.
    others = [node for node in loader.graph.leaf_nodes() if node[0] not in PROJECT_APPS]
    migrator.apply_initial_migration(PREVIOUS_RELEASE + others)
    # The plan up to those heads may take later migrations of other apps along: undo them.
    migrator.apply_tested_migration(previous_release_targets())
    loader = MigrationLoader(connection)  # now knows what is applied
    # The state the migrator returns after undoing migrations across apps can still hold the
    # later models; the loader builds it from the heads alone.
    previous = {key for head in PREVIOUS_RELEASE for key in loader.graph.forwards_plan(head)}
    assert applied_project_migrations() == {key for key in previous if key[0] in PROJECT_APPS}
    return loader.project_state(PREVIOUS_RELEASE + others)


def table_counts(apps) -> dict[str, int]:
    """Row count of every table the given (historical) apps know, join tables included."""
    return row_counts(
        {model._meta.db_table for model in apps.get_models(include_auto_created=True)}
    )


def row_counts(tables) -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in sorted(tables):
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 (names from the ORM)
            counts[table] = cursor.fetchone()[0]
    return counts


def project_tables(apps) -> set[str]:
    return {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in PROJECT_APPS
    }


def write_people(apps) -> dict:
    """Users, their groups and permissions, the content types post_migrate would have made."""
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in apps.get_models():
        content_type.objects.get_or_create(
            app_label=model._meta.app_label, model=model._meta.model_name
        )
    timeline_type = content_type.objects.get(app_label="activities", model="timelineentry")
    permission = apps.get_model("auth", "Permission").objects.create(
        content_type=timeline_type, codename="view_timelineentry", name="Can view timeline entry"
    )
    group = apps.get_model("auth", "Group").objects.create(name="Readers")
    group.permissions.add(permission)
    user = apps.get_model("kam", "User")
    leader = user.objects.create(
        email="leo@example.com", full_name="Leo Leader", role="leader", password="!"
    )
    owner = user.objects.create(
        email="olivia@example.com",
        full_name="Olivia Owner",
        role="kam",
        password="!",
        manager=leader,
        region="South",
    )
    admin = user.objects.create(
        email="ada@example.com",
        full_name="Ada Admin",
        role="admin",
        password="!",
        is_staff=True,
        is_superuser=True,
    )
    owner.groups.add(group)
    owner.user_permissions.add(permission)
    apps.get_model("admin", "LogEntry").objects.create(
        user=admin,
        content_type=timeline_type,
        object_id="1",
        object_repr="timeline entry",
        action_flag=2,
        change_message="[]",
    )
    return {"owner": owner, "leader": leader, "admin": admin, "timeline_type": timeline_type}


def write_accounts(apps, people: dict) -> dict:
    """An account and its subsidiary, with everything the accounts app keeps about them."""
    owner, leader = people["owner"], people["leader"]
    tier = apps.get_model("accounts", "Tier").objects.create(
        key="strategic",
        name="Strategic",
        rank=1,
        min_score=80,
        touch_cadence_days=14,
        qbr_cadence_days=90,
        response_sla_hours=4,
        max_accounts_per_kam=10,
    )
    config = apps.get_model("accounts", "ScoringConfig").objects.create(
        version=1, created_by=leader, health_weights={"recency": 1}, tier_weights={"revenue": 1}
    )
    account_model = apps.get_model("accounts", "Account")
    parent = account_model.objects.create(name="Acme Group", owner=owner)
    account = account_model.objects.create(
        name="Acme Brasil",
        owner=owner,
        parent=parent,
        tier=tier,
        recommended_tier=tier,
        recommendation_config=config,
        contract_start=DAY - timedelta(days=400),
        renewal_date=DAY + timedelta(days=60),
        health_score=72,
        health_band="healthy",
        revenue_last_12m=Decimal("1200.00"),
        external_id="ACME-BR",
    )
    account.team.add(leader)
    stakeholder_model = apps.get_model("accounts", "Stakeholder")
    boss = stakeholder_model.objects.create(
        account=account, name="Bia Boss", buying_role="decision_maker", is_primary=True
    )
    champion = stakeholder_model.objects.create(
        account=account, name="Caio Champion", buying_role="champion", reports_to=boss
    )
    milestone = apps.get_model("accounts", "Milestone").objects.create(
        account=account, happened_on=DAY, title="Contract signed", created_by=owner
    )
    apps.get_model("accounts", "RevenueRecord").objects.create(
        account=account, booked_on=DAY, amount=Decimal("1200.00"), cost=Decimal("700.00")
    )
    apps.get_model("accounts", "QualitativeRating").objects.create(
        account=account, criterion="growth_potential", score=4, set_by=owner
    )
    apps.get_model("accounts", "TierChange").objects.create(
        account=account, to_tier=tier, source="initial", config=config, changed_by=leader
    )
    apps.get_model("accounts", "HealthScore").objects.create(
        account=account, day=DAY, score=72, band="healthy", components={}, config=config
    )
    apps.get_model("accounts", "HealthMonth").objects.create(
        account=account, month=DAY.replace(day=1), day=DAY, score=72, band="healthy"
    )
    apps.get_model("accounts", "SatisfactionEntry").objects.create(
        account=account, kind="nps", score=9, recorded_on=DAY, stakeholder=boss, recorded_by=owner
    )
    apps.get_model("accounts", "ExchangeRate").objects.create(
        currency="USD", rate=Decimal("5.10"), valid_from=DAY, set_by=leader
    )
    return {"account": account, "boss": boss, "champion": champion, "milestone": milestone}


def write_activities(apps, people: dict, rows: dict) -> dict:
    """A logged interaction, a held QBR, commitments from both, their timeline entries, and the
    notices and reminders they caused."""
    owner, leader = people["owner"], people["leader"]
    account, boss, champion = rows["account"], rows["boss"], rows["champion"]
    now = timezone.now()
    interaction = apps.get_model("activities", "Interaction").objects.create(
        account=account, kind="meeting", occurred_at=now, summary="Kick-off", logged_by=owner
    )
    interaction.stakeholders.add(boss, champion)
    # Planned first and held later, as the app does: every moment comes after the row's creation.
    qbr = apps.get_model("activities", "QBR").objects.create(
        account=account, scheduled_on=DAY, created_by=owner
    )
    qbr.status, qbr.held_at, qbr.rating = "held", timezone.now(), 4
    qbr.save()
    qbr.attendees.add(owner)
    qbr.stakeholders.add(boss)
    commitment_model = apps.get_model("activities", "Commitment")
    done = commitment_model.objects.create(
        account=account,
        title="Send the proposal",
        owner_user=owner,
        due_date=DAY,
        source_interaction=interaction,
        created_by=owner,
    )
    done.status, done.done_at = "done", timezone.now()
    done.save()
    commitment_model.objects.create(
        account=account,
        title="Sign the order",
        owner_stakeholder=champion,
        due_date=DAY + timedelta(days=30),
        source_qbr=qbr,
        created_by=owner,
    )
    entry = apps.get_model("activities", "TimelineEntry").objects
    links = {
        "interaction": {"interaction": interaction},
        "commitment_created": {"commitment": done},
        "commitment_done": {"commitment": done},
        "stakeholder_joined": {"stakeholder": champion},
        "milestone": {"milestone": rows["milestone"]},
        "qbr_held": {"qbr": qbr},
    }
    for kind, link in links.items():
        entry.create(account=account, kind=kind, occurred_at=now, actor=owner, **link)
    account.last_touch_at, account.last_qbr_held_at = now, qbr.held_at
    account.save(update_fields=["last_touch_at", "last_qbr_held_at"])
    apps.get_model("activities", "Notification").objects.create(
        user=owner, account=account, kind="qbr_due", params={"days": 7}, day=DAY
    )
    apps.get_model("activities", "Reminder").objects.create(
        kind="qbr_overdue", ref=f"qbr:{account.pk}", due_on=DAY, recipient=leader, account=account
    )
    apps.get_model("activities", "NotificationPreference").objects.create(user=owner, email=False)
    apps.get_model("activities", "CalendarToken").objects.create(user=owner, token="t" * 43)
    return {"interaction": interaction, "qbr": qbr, "commitment": done}


def write_plans(apps, people: dict, rows: dict) -> dict:
    """An active account plan with one of each of its parts, and the whitespace matrix."""
    owner, account = people["owner"], rows["account"]
    product = apps.get_model("plans", "Product").objects.create(name="Sensors", series="S")
    plan = apps.get_model("plans", "AccountPlan").objects.create(
        account=account,
        title="FY26",
        period_start=DAY,
        period_end=DAY + timedelta(days=364),
        status="active",
        created_by=owner,
    )
    objective = apps.get_model("plans", "Objective").objects.create(
        plan=plan, description="Cut downtime", metric="hours", baseline=10, target=5
    )
    apps.get_model("plans", "ValueHypothesis").objects.create(
        plan=plan, objective=objective, hypothesis="Sensors warn early", expected_value=1000
    )
    risk = apps.get_model("plans", "Risk").objects.create(plan=plan, title="Budget", owner=owner)
    opportunity = apps.get_model("plans", "Opportunity").objects.create(
        plan=plan, product=product, title="Sensors for plant 2", amount=500, owner=owner
    )
    action = apps.get_model("plans", "Action").objects.create(
        plan=plan, title="Demo", owner=owner, due_date=DAY + timedelta(days=14), risk=risk
    )
    apps.get_model("plans", "PlanChange").objects.create(
        plan=plan, user=owner, entity="plan", verb="created", version=1
    )
    unit = apps.get_model("plans", "BusinessUnit").objects.create(account=account, name="Plant 2")
    apps.get_model("plans", "WhitespaceCell").objects.create(
        account=account,
        business_unit=unit,
        product=product,
        state="opportunity",
        opportunity=opportunity,
    )
    return {"plan": plan, "risk": risk, "action": action}


def write_jobs(apps, people: dict, rows: dict) -> dict:
    """The audit trail, outbox tasks (one waiting under a name that has moved since), an import
    and an API token."""
    owner = people["owner"]
    apps.get_model("kam", "AuditEvent").objects.create(
        actor=owner,
        actor_email=owner.email,
        action="created",
        object_type="account",
        object_id=rows["account"].pk,
        account_id=rows["account"].pk,
    )
    outbox = apps.get_model("kam", "OutboxTask").objects
    pending = outbox.create(task=OLD_TASK, args=[[rows["account"].pk], DAY.isoformat()])
    sent = outbox.create(task=OLD_TASK, args=[[], DAY.isoformat()], sent_at=timezone.now())
    unmoved = outbox.create(task=UNMOVED_TASK)
    apps.get_model("dataio", "ImportJob").objects.create(
        entity="accounts", filename="accounts.csv", content=b"name\nAcme\n", created_by=owner
    )
    apps.get_model("api", "ApiToken").objects.create(
        user=owner, name="laptop", prefix="kam_abcd", digest="d" * 64
    )
    return {"pending": pending, "sent": sent, "unmoved": unmoved}


def test_upgrade_from_the_previous_release_keeps_every_row(migrator):
    """Every row survives; the timeline entries are read through accounts.TimelineEntry; their
    content type (and the permission and admin log pointing at it) follows the model; a task
    waiting in the outbox under its old name goes out under the new one; a plan's action is
    an agreed item (plans_action is gone: its rows are in activities_commitment)."""
    old_state = migrate_to_the_previous_release(migrator)
    old_apps = old_state.apps
    people = write_people(old_apps)
    rows = write_accounts(old_apps, people)
    activity = write_activities(old_apps, people, rows)
    plan_rows = write_plans(old_apps, people, rows)
    tasks = write_jobs(old_apps, people, rows)
    before = table_counts(old_apps)
    empty = sorted(t for t in project_tables(old_apps) if before[t] == 0)
    assert empty == [], "every table of the previous release holds a row"

    loader = MigrationLoader(connection)
    new_state = migrator.apply_tested_migration(loader.graph.leaf_nodes())

    assert applied_project_migrations() >= {
        key for key in loader.graph.leaf_nodes() if key[0] in PROJECT_APPS
    }
    # Every table of the previous release keeps its rows, but plans_action: its rows became
    # agreed items (activities_commitment), source "plan".
    assert "plans_action" not in connection.introspection.table_names()
    expected = {table: count for table, count in before.items() if table != "plans_action"}
    expected["activities_commitment"] += before["plans_action"]
    assert row_counts(expected) == expected
    assert_actions_became_agreed_items(plan_rows, people, rows, activity)
    assert ("activities", "timelineentry") not in new_state.models
    entries = TimelineEntry.objects.filter(account_id=rows["account"].pk)
    assert entries.count() == 6
    assert entries.get(kind="qbr_held").qbr_id == activity["qbr"].pk
    assert entries.get(kind="interaction").interaction.summary == "Kick-off"
    assert entries.get(kind="milestone").milestone.title == "Contract signed"
    assert_timeline_content_type_moved(people["timeline_type"].pk)
    assert_waiting_tasks_renamed(tasks, account_id=rows["account"].pk)
    # The account carries its tier's rank (migration accounts/0042 filled it in).
    upgraded = Account.objects.select_related("tier").get(pk=rows["account"].pk)
    assert upgraded.tier_rank == upgraded.tier.rank is not None


def assert_actions_became_agreed_items(plan_rows: dict, people: dict, rows: dict, activity):
    """The previous release's action, read by the current code as one of its plan's agreed
    items: its plan, account, risk link, owner and due date; the commitments that were there
    say where they came from."""
    plan, old = plan_rows["plan"], plan_rows["action"]
    action = Commitment.objects.get(source=CommitmentSource.PLAN)
    assert AccountPlan.objects.get(pk=plan.pk).actions.get() == action
    assert (action.account_id, action.plan_id, action.risk_id) == (
        rows["account"].pk, plan.pk, plan_rows["risk"].pk,
    )  # fmt: skip
    assert (action.objective_id, action.opportunity_id) == (None, None)
    assert action.owner_user_id == people["owner"].pk
    assert action.owner_stakeholder_id is None
    assert action.due_date == old.due_date == DAY + timedelta(days=14)
    assert (action.title, action.status, action.version) == ("Demo", "open", 1)
    assert list(action.events.values_list("verb", flat=True)) == ["created"]
    sources = dict(Commitment.objects.exclude(pk=action.pk).values_list("title", "source"))
    assert sources == {"Send the proposal": "interaction", "Sign the order": "qbr"}
    assert Commitment.objects.get(title="Send the proposal").source_interaction_id == (
        activity["interaction"].pk
    )


def assert_timeline_content_type_moved(content_type_id: int) -> None:
    timeline_type = ContentType.objects.get(pk=content_type_id)
    assert (timeline_type.app_label, timeline_type.model) == ("accounts", "timelineentry")
    assert timeline_type.model_class() is TimelineEntry
    assert not ContentType.objects.filter(app_label="activities", model="timelineentry").exists()
    assert Permission.objects.get(codename="view_timelineentry").content_type == timeline_type
    assert LogEntry.objects.get().content_type == timeline_type


def assert_waiting_tasks_renamed(tasks: dict, *, account_id: int) -> None:
    pending = OutboxTask.objects.get(pk=tasks["pending"].pk)
    assert pending.task == NEW_TASK
    assert pending.sent_at is None
    assert pending.args == [[account_id], DAY.isoformat()]
    assert OutboxTask.objects.get(pk=tasks["sent"].pk).task == NEW_TASK
    assert OutboxTask.objects.get(pk=tasks["unmoved"].pk).task == UNMOVED_TASK
    celery_app.autodiscover_tasks(force=True)
    assert {NEW_TASK, UNMOVED_TASK} <= set(celery_app.tasks), "the names are the workers' names"
