"""Playbooks (insights.playbooks): each trigger fires once per episode, clears when its condition
ends and fires again when it recurs; the tier filter; who owns each step's item; reruns and
concurrent runs create nothing twice; the outbox path; a query count independent of the number
of accounts; the shipped defaults."""

import threading
from datetime import date, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from accounts import services as account_services
from accounts.models import Account, SatisfactionEntry, Tier, TimelineEntry, TimelineKind
from accounts.services import scoring_defaults_ensure
from activities.models import (
    Commitment,
    CommitmentSource,
    Playbook,
    PlaybookFiring,
    PlaybookTrigger,
    StepOwner,
)
from insights import tasks
from insights.playbooks import (
    StepSpec,
    playbook_defaults_ensure,
    playbook_save,
    playbooks_evaluate,
)
from insights.services import health_recompute
from kam.dates import business_date
from kam.models import AuditEvent, OutboxTask, Role
from tests.factories import AccountFactory, StakeholderFactory, UserFactory

TASK = "insights.tasks.playbooks_evaluate_accounts"


@pytest.fixture
def defaults(db):
    """The shipped playbooks (migration 0008; put back here after a transactional test emptied
    the database)."""
    playbook_defaults_ensure()


@pytest.fixture
def only_ours(db):
    """The shipped playbooks are switched off so each test sees only the playbook it makes."""
    Playbook.objects.update(is_active=False)


def make_playbook(trigger, *, band="", days=None, tiers=None, steps=None, actor=None):
    return playbook_save(
        actor=actor,
        name=f"Test {trigger}",
        trigger=trigger,
        band=band,
        days=days,
        is_active=True,
        tiers=tiers,
        steps=steps or [StepSpec("Call them", StepOwner.ACCOUNT_OWNER, 2)],
    )


def evaluate(**kwargs):
    return playbooks_evaluate(today=business_date(), **kwargs)


def open_firings(account):
    return PlaybookFiring.objects.filter(account=account, cleared_at__isnull=True)


# --- each trigger: fires, does not refire, clears, refires after recurrence ------------------


def _band(band):
    def apply(account, round_):
        Account.objects.filter(pk=account.pk).update(health_band=band)

    return apply


def _champion_leaves(account, round_):
    """The first round: a champion who leaves; later ones: the replacement leaves too."""
    if round_ == 0:
        StakeholderFactory(account=account, buying_role="champion", name="First champion")
    account.stakeholders.filter(buying_role="champion", left_on__isnull=True).update(
        left_on=business_date()
    )


def _champion_named(account, round_):
    StakeholderFactory(account=account, buying_role="champion", name=f"New champion {round_}")


def _renews_in(days):
    def apply(account, round_):
        Account.objects.filter(pk=account.pk).update(
            renewal_date=business_date() + timedelta(days=days)
        )

    return apply


def _qbr_overdue(account, round_):
    Account.objects.filter(pk=account.pk).update(
        last_qbr_held_at=timezone.now() - timedelta(days=200)
    )


def _qbr_held(account, round_):
    Account.objects.filter(pk=account.pk).update(last_qbr_held_at=timezone.now())


def _touched_days_ago(days):
    def apply(account, round_):
        Account.objects.filter(pk=account.pk).update(
            last_touch_at=timezone.now() - timedelta(days=days)
        )

    return apply


def _nps(score):
    def apply(account, round_):
        SatisfactionEntry.objects.create(
            account=account,
            kind="nps",
            score=score,
            recorded_on=business_date() - timedelta(days=10 - round_),  # newest last
        )

    return apply


def _assigned_days_ago(days):
    def apply(account, round_):
        Account.objects.filter(pk=account.pk).update(
            owner_assigned_at=timezone.now() - timedelta(days=days)
        )

    return apply


HEALTH = PlaybookTrigger.HEALTH_BAND
TRIGGERS = {
    "health band drops to at risk": (
        {"trigger": HEALTH, "band": "at_risk"}, _band("at_risk"), _band("watch")
    ),
    "health band drops to watch (or below)": (
        {"trigger": HEALTH, "band": "watch"}, _band("at_risk"), _band("healthy")
    ),
    "champion leaves": (
        {"trigger": PlaybookTrigger.KEY_CONTACT_LEFT}, _champion_leaves, _champion_named
    ),
    "renewal within 120 days": (
        {"trigger": PlaybookTrigger.RENEWAL_WITHIN, "days": 120}, _renews_in(60), _renews_in(121)
    ),
    "QBR overdue": ({"trigger": PlaybookTrigger.QBR_OVERDUE}, _qbr_overdue, _qbr_held),
    "no touch beyond the cadence by 10 days": (
        {"trigger": PlaybookTrigger.TOUCH_OVERDUE, "days": 10},
        _touched_days_ago(41),  # default cadence 30 + 10 days of slack, passed
        _touched_days_ago(39),  # overdue by the cadence, but within the slack
    ),
    "NPS detractor answer": ({"trigger": PlaybookTrigger.NPS_DETRACTOR}, _nps(6), _nps(9)),
    "new account assigned (7 days)": (
        {"trigger": PlaybookTrigger.ACCOUNT_ASSIGNED, "days": 7},
        _assigned_days_ago(6),
        _assigned_days_ago(7),
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(TRIGGERS))
def test_a_trigger_fires_once_clears_and_fires_again_after_it_recurs(name, only_ours, now):
    spec, start, end = TRIGGERS[name]
    scoring_defaults_ensure()
    playbook = make_playbook(**spec)
    account = AccountFactory(contract_start=date(2025, 1, 1))
    Account.objects.filter(pk=account.pk).update(
        last_touch_at=timezone.now(), last_qbr_held_at=timezone.now(), health_band="healthy"
    )
    other = AccountFactory()  # never meets the condition (except "never touched" ones)
    Account.objects.filter(pk=other.pk).update(
        last_touch_at=timezone.now(), last_qbr_held_at=timezone.now(), health_band="healthy"
    )

    assert evaluate()["fired"] == 0

    start(account, 0)
    first = evaluate()
    assert (first["fired"], first["items"]) == (1, 1)
    firing = open_firings(account).get()
    assert firing.playbook == playbook
    assert not open_firings(other).exists()
    assert evaluate() == {"playbooks": 1, "fired": 0, "cleared": 0, "items": 0}

    end(account, 1)
    assert evaluate()["cleared"] == 1
    firing.refresh_from_db()
    assert firing.cleared_at is not None
    assert evaluate()["fired"] == 0  # cleared, and the condition does not hold

    start(account, 2)
    assert evaluate()["fired"] == 1
    assert PlaybookFiring.objects.filter(account=account).count() == 2
    assert Commitment.objects.filter(account=account, playbook_firing__isnull=False).count() == 2


def test_a_new_owner_is_a_new_assignment_episode(only_ours, now, kam_user, leader):
    make_playbook(PlaybookTrigger.ACCOUNT_ASSIGNED, days=7)
    newcomer = UserFactory(email="new@example.com")
    account = account_services.account_create(actor=leader, name="Fresh", owner=kam_user)
    assert evaluate()["fired"] == 1
    assert open_firings(account).get().episode_key == f"owner:{kam_user.pk}"
    account_services.account_update(
        account=account, expected_version=account.version, actor=leader, owner=newcomer
    )
    counts = evaluate()
    assert (counts["cleared"], counts["fired"]) == (1, 1)
    firing = open_firings(account).get()
    assert firing.episode_key == f"owner:{newcomer.pk}"
    assert firing.items.get().owner_user == newcomer


def test_churned_accounts_start_nothing(only_ours, now):
    make_playbook(PlaybookTrigger.HEALTH_BAND, band="at_risk")
    account = AccountFactory(status="churned")
    Account.objects.filter(pk=account.pk).update(health_band="at_risk")
    assert evaluate()["fired"] == 0


def test_the_tier_filter_limits_the_accounts(only_ours, now):
    scoring_defaults_ensure()
    strategic, key = Tier.objects.get(key="strategic"), Tier.objects.get(key="key")
    make_playbook(PlaybookTrigger.HEALTH_BAND, band="at_risk", tiers=[strategic])
    ours = AccountFactory(tier=strategic)
    not_ours = AccountFactory(tier=key)
    untiered = AccountFactory()
    Account.objects.update(health_band="at_risk")
    assert evaluate()["fired"] == 1
    assert open_firings(ours).exists()
    assert not open_firings(not_ours).exists()
    assert not open_firings(untiered).exists()


def test_a_disabled_playbook_starts_nothing(only_ours, now):
    playbook = make_playbook(PlaybookTrigger.HEALTH_BAND, band="at_risk")
    Playbook.objects.filter(pk=playbook.pk).update(is_active=False)
    account = AccountFactory()
    Account.objects.filter(pk=account.pk).update(health_band="at_risk")
    assert evaluate()["fired"] == 0


# --- the items: owners, due dates, language, timeline, audit -----------------------------------


def test_each_step_becomes_an_item_with_the_owner_its_role_names(only_ours, now, kam_user):
    boss = UserFactory(email="manager@example.com", role=Role.LEADER, full_name="Mia Manager")
    first_leader = UserFactory(email="lead1@example.com", role=Role.LEADER, full_name="Lea")
    named = UserFactory(email="named@example.com", role=Role.KAM, full_name="Nina Named")
    make_playbook(
        PlaybookTrigger.HEALTH_BAND,
        band="at_risk",
        steps=[
            StepSpec("Owner step", StepOwner.ACCOUNT_OWNER, 2),
            StepSpec("Leader step", StepOwner.LEADER, 5),
            StepSpec("Named step", StepOwner.NAMED_USER, 7, user=named),
        ],
    )
    managed = AccountFactory(owner=kam_user)
    managed.team.add(named)
    kam_user.manager = boss
    kam_user.save()
    unmanaged = AccountFactory()  # owner without a manager; the named user is not on its team
    Account.objects.update(health_band="at_risk")

    assert evaluate()["items"] == 6
    today = business_date()
    items = {c.title: c for c in Commitment.objects.filter(account=managed)}
    assert items["Owner step"].owner_user == kam_user
    assert items["Owner step"].due_date == today + timedelta(days=2)
    assert items["Leader step"].owner_user == boss
    assert items["Leader step"].due_date == today + timedelta(days=5)
    assert items["Named step"].owner_user == named
    assert {c.playbook_firing_id for c in items.values()} == {open_firings(managed).get().pk}
    assert {c.source for c in items.values()} == {CommitmentSource.PLAYBOOK}
    others = {c.title: c.owner_user for c in Commitment.objects.filter(account=unmanaged)}
    assert others == {
        "Owner step": unmanaged.owner,
        "Leader step": min([boss, first_leader], key=lambda u: u.pk),
        "Named step": unmanaged.owner,  # not on the team: the account owner takes it
    }


def test_a_firing_is_on_the_timeline_and_audited(only_ours, now, client_for):
    playbook = make_playbook(PlaybookTrigger.HEALTH_BAND, band="at_risk")
    account = AccountFactory()
    Account.objects.filter(pk=account.pk).update(health_band="at_risk")
    evaluate()
    firing = open_firings(account).get()
    entry = TimelineEntry.objects.get(account=account, kind=TimelineKind.PLAYBOOK_FIRED)
    assert entry.playbook_firing == firing
    page = client_for(account.owner).get(
        reverse("account_timeline", args=[account.pk]) + "?kind=playbooks"
    )
    assert "Playbook “Test health_band” started" in page.content.decode()
    event = AuditEvent.objects.get(object_type="playbook_firing")
    assert (event.object_id, event.account_id) == (firing.pk, account.pk)
    assert event.changes["playbook"] == [None, playbook.name]


def test_the_shipped_playbooks_are_there_and_shown_in_the_readers_language(defaults):
    keys = set(Playbook.objects.exclude(key="").values_list("key", flat=True))
    assert keys == {"at_risk_recovery", "champion_departure", "renewal_preparation"}
    playbook = Playbook.objects.get(key="champion_departure")
    assert playbook.trigger == PlaybookTrigger.KEY_CONTACT_LEFT
    assert [s.due_offset_days for s in playbook.steps.all()] == [3, 5, 10]
    with translation.override("pt-br"):
        assert playbook.display_name == "Saída do campeão"
        assert playbook.steps.first().display_title == "Identificar e reunir-se com o novo contato"
    playbook.name = "Our own name"
    assert playbook.display_name == "Our own name"  # renamed: shown as typed


@override_settings(LANGUAGE_CODE="pt-br")
def test_the_default_champion_departure_fires_when_a_champion_is_marked_as_left(
    defaults, now, account, kam_user, leader
):
    champion = account_services.stakeholder_create(
        account=account, actor=kam_user, name="Carla", buying_role="champion"
    )
    OutboxTask.objects.all().delete()
    account_services.stakeholder_mark_left(
        stakeholder=champion, left_on=business_date(), actor=kam_user
    )
    queued = OutboxTask.objects.get(task=TASK)
    assert queued.args == [[account.pk]]

    tasks.playbooks_evaluate_accounts(*queued.args)  # what the worker runs

    firing = open_firings(account).get()
    assert firing.playbook.key == "champion_departure"
    titles = sorted(firing.items.values_list("title", flat=True))
    # Written in the installation's language at creation time.
    assert titles == sorted(
        [
            "Identificar e reunir-se com o novo contato",
            "Atualizar o mapa de stakeholders",
            "Ligação do líder com o patrocinador executivo",
        ]
    )
    assert firing.items.get(due_date=business_date() + timedelta(days=10)).owner_user == leader


# --- once: reruns and two workers at once ---------------------------------------------------


def test_running_twice_creates_nothing_twice(only_ours, now):
    make_playbook(PlaybookTrigger.HEALTH_BAND, band="at_risk")
    accounts = AccountFactory.create_batch(3)
    Account.objects.update(health_band="at_risk")
    assert evaluate()["fired"] == 3
    assert evaluate()["fired"] == 0
    assert PlaybookFiring.objects.count() == 3
    assert Commitment.objects.count() == 3
    assert TimelineEntry.objects.filter(kind=TimelineKind.PLAYBOOK_FIRED).count() == 3
    assert all(open_firings(a).count() == 1 for a in accounts)


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_fire_each_episode_once():
    with time_machine.travel(date(2026, 3, 10), tick=False):
        Playbook.objects.update(is_active=False)
        make_playbook(PlaybookTrigger.HEALTH_BAND, band="at_risk")
        AccountFactory.create_batch(20)
        Account.objects.update(health_band="at_risk")
        start = threading.Barrier(2)
        results, errors = [], []

        def worker():
            try:
                start.wait(timeout=10)
                results.append(playbooks_evaluate(today=date(2026, 3, 10)))
            except Exception as error:  # surfaced below
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert not errors
    assert sum(r["fired"] for r in results) == 20
    assert PlaybookFiring.objects.count() == 20
    assert Commitment.objects.count() == 20
    assert TimelineEntry.objects.filter(kind=TimelineKind.PLAYBOOK_FIRED).count() == 20


# --- the outbox path -----------------------------------------------------------------------


def test_the_services_that_record_an_event_queue_the_evaluation(now, account, kam_user, leader):
    newcomer = UserFactory(email="newcomer@example.com")
    OutboxTask.objects.all().delete()

    def queued():
        ids = [
            args[0] for args in OutboxTask.objects.filter(task=TASK).values_list("args", flat=True)
        ]
        OutboxTask.objects.all().delete()
        return ids

    person = account_services.stakeholder_create(account=account, actor=kam_user, name="Pia")
    assert queued() == [[account.pk]]
    account_services.stakeholder_mark_left(
        stakeholder=person, left_on=business_date(), actor=kam_user
    )
    assert queued() == [[account.pk]]
    account_services.satisfaction_record(
        account=account, actor=kam_user, kind="nps", score=3, recorded_on=business_date()
    )
    assert queued() == [[account.pk]]
    account_services.account_update(
        account=account, expected_version=account.version, actor=leader, owner=newcomer
    )
    assert queued() == [[account.pk]]
    created = account_services.account_create(actor=leader, name="New", owner=newcomer)
    assert queued() == [[created.pk]]


def test_a_band_change_from_the_health_job_queues_the_evaluation(now, account):
    OutboxTask.objects.all().delete()
    health_recompute(account_ids=[account.pk], day=business_date())
    assert OutboxTask.objects.filter(task=TASK, args=[[account.pk]]).exists()
    OutboxTask.objects.all().delete()
    health_recompute(account_ids=[account.pk], day=business_date())  # same band again
    assert not OutboxTask.objects.filter(task=TASK).exists()


def test_the_task_evaluates_only_the_accounts_it_is_given(only_ours, now):
    make_playbook(PlaybookTrigger.HEALTH_BAND, band="at_risk")
    one, two = AccountFactory.create_batch(2)
    Account.objects.update(health_band="at_risk")
    assert tasks.playbooks_evaluate_accounts([one.pk])["fired"] == 1
    assert open_firings(one).exists()
    assert not open_firings(two).exists()


# --- speed: the query count does not grow with the accounts --------------------------------


def _queries_for(count: int) -> int:
    Account.objects.all().delete()
    accounts = AccountFactory.create_batch(count)
    Account.objects.update(health_band="at_risk", renewal_date=business_date())
    evaluate()  # every episode open: the run measured opens nothing and clears two
    Account.objects.filter(pk__in=[a.pk for a in accounts[:2]]).update(health_band="healthy")
    with CaptureQueriesContext(connection) as queries:
        counts = evaluate()
    assert counts["cleared"] == 2 and counts["fired"] == 0
    return len(queries)


def test_the_evaluation_query_count_does_not_depend_on_the_number_of_accounts(only_ours, now):
    scoring_defaults_ensure()
    for trigger, extra in [
        (PlaybookTrigger.HEALTH_BAND, {"band": "at_risk"}),
        (PlaybookTrigger.RENEWAL_WITHIN, {"days": 30}),
        (PlaybookTrigger.KEY_CONTACT_LEFT, {}),
        (PlaybookTrigger.QBR_OVERDUE, {}),
        (PlaybookTrigger.TOUCH_OVERDUE, {"days": 5}),
        (PlaybookTrigger.NPS_DETRACTOR, {}),
        (PlaybookTrigger.ACCOUNT_ASSIGNED, {"days": 7}),
    ]:
        make_playbook(trigger, **extra)
    few, many = _queries_for(3), _queries_for(30)
    # The savepoint and its release; the playbooks, their tiers and steps; the configuration;
    # one per playbook (7); the open firings; one UPDATE clearing the two that ended.
    assert few == many == 2 + 3 + 1 + 7 + 1 + 1


def _queries_to_start(count: int) -> int:
    Account.objects.all().delete()
    AuditEvent.objects.all().delete()
    AccountFactory.create_batch(count)
    Account.objects.update(health_band="at_risk")
    with CaptureQueriesContext(connection) as queries:
        counts = evaluate()
    assert counts["fired"] == count and counts["items"] == 2 * count
    assert Commitment.objects.filter(source=CommitmentSource.PLAYBOOK).count() == 2 * count
    assert TimelineEntry.objects.filter(kind=TimelineKind.PLAYBOOK_FIRED).count() == count
    assert AuditEvent.objects.filter(object_type="playbook_firing").count() == count
    return len(queries)


def test_a_run_that_starts_episodes_costs_the_same_queries_for_3_and_30_accounts(only_ours, now):
    scoring_defaults_ensure()
    make_playbook(
        PlaybookTrigger.HEALTH_BAND,
        band="at_risk",
        steps=[
            StepSpec("Call them", StepOwner.ACCOUNT_OWNER, 2),
            StepSpec("Escalate", StepOwner.LEADER, 5),
        ],
    )
    UserFactory(role=Role.LEADER)
    few, many = _queries_to_start(3), _queries_to_start(30)
    # The savepoint and its release; the playbooks, their tiers and steps; the configuration;
    # the playbook's accounts; the open firings; the INSERT of the firings; the firings with
    # their accounts; the first leader; the savepoint of commitments_create_many and its
    # release, the teams, the items, their events and timeline entries; the firings' timeline
    # entries and audit events.
    assert few == many == 2 + 3 + 1 + 1 + 1 + 1 + 1 + 1 + 2 + 1 + 3 + 2


# --- the command and the beat schedule ----------------------------------------------------


def test_the_command_evaluates_as_of_a_date_and_refuses_a_bad_one(only_ours, now):
    make_playbook(PlaybookTrigger.RENEWAL_WITHIN, days=30)
    account = AccountFactory(renewal_date=date(2026, 6, 1))
    out = StringIO()
    call_command("evaluate_playbooks", "--date", "2026-04-01", stdout=out)  # 61 days ahead
    assert "0 started" in out.getvalue()
    call_command("evaluate_playbooks", "--date", "2026-05-10", stdout=out)  # 22 days ahead
    assert open_firings(account).get().items.get().due_date == date(2026, 5, 12)
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("evaluate_playbooks", "--date", "10/05/2026")


def test_beat_runs_the_evaluation_nightly_after_scoring(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["evaluate-playbooks"]
    assert entry["task"] == "insights.tasks.evaluate_playbooks"
    scoring = (settings.SCORING_NIGHTLY_HOUR, settings.SCORING_NIGHTLY_MINUTE)
    assert scoring < (settings.PLAYBOOKS_NIGHTLY_HOUR, settings.PLAYBOOKS_NIGHTLY_MINUTE)


# --- SLA breached -----------------------------------------------------------------------------


def test_sla_breached_fires_while_a_request_is_past_its_target_and_clears_when_resolved(
    only_ours, kam_user, leader, now
):
    from activities.reminders import sla_check
    from activities.services import request_create, request_resolve

    scoring_defaults_ensure()
    account = AccountFactory(owner=kam_user, tier=Tier.objects.get(key="strategic"))
    playbook = make_playbook(PlaybookTrigger.SLA_BREACHED)
    request = request_create(
        account=account,
        actor=kam_user,
        subject="Invoice copy",
        received_at=timezone.now() - timedelta(days=6),
    )
    assert request.is_first_response_breached(timezone.now())

    # check_sla sends the breach notice and asks for the account's playbooks at once.
    sla_check(now=timezone.now())
    queued = OutboxTask.objects.filter(task=TASK).order_by("-pk").first()
    assert queued is not None and queued.args[0] == [account.pk]
    tasks.playbooks_evaluate_accounts([account.pk])
    firing = open_firings(account).get()
    assert firing.playbook == playbook
    assert [c.title for c in firing.items.all()] == ["Call them"]

    assert evaluate()["fired"] == 0  # the same episode: nothing twice
    request_resolve(client_request=request, at=timezone.now(), actor=kam_user)
    evaluate()
    assert not open_firings(account).exists()
