"""The demo data has the shape the demo is meant to show (kam/demo.py)."""

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from accounts.coverage import open_departures
from accounts.models import Account, AccountStatus, BuyingRole, RatingCriterion
from activities.models import (
    Commitment,
    CommitmentSource,
    CommitmentStatus,
    Interaction,
    PlaybookFiring,
)
from demo.demo import demo_counts, demo_seed
from kam.dates import business_date
from kam.models import User

# Rough rates, only to compare accounts booked in different currencies.
BRL_PER = {"BRL": Decimal("1"), "USD": Decimal("5"), "EUR": Decimal("5.5")}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seed once for the module (it takes a while) in a transaction rolled back at the end;
    each test still runs in its own savepoint through the `db` fixture."""
    with django_db_blocker.unblock(), transaction.atomic():
        counts = demo_seed()
        yield counts
        transaction.set_rollback(True)


@pytest.fixture
def demo_accounts(seeded, db):
    return list(
        Account.objects.filter(external_id__startswith="demo-")
        .select_related("owner")
        .prefetch_related("stakeholders", "team", "subsidiaries")
    )


@pytest.fixture
def karina(seeded, db):
    return User.objects.get(email="kam@example.com")


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"kam", "accounts", "plans", "activities"}
    }


def test_seed_reports_the_rows_it_made(seeded, db):
    assert seeded == demo_counts()
    assert seeded["users"] == 5
    assert 55 <= seeded["accounts"] <= 65
    assert seeded["interactions"] >= 6 * seeded["accounts"]
    assert seeded["commitments"] > 0
    assert seeded["revenue_records"] > 0


def test_accounts_span_industries_currencies_statuses_and_groups(demo_accounts):
    assert 55 <= len(demo_accounts) <= 65
    assert len({a.industry for a in demo_accounts}) >= 8
    currencies = Counter(a.currency for a in demo_accounts)
    assert currencies["BRL"] > len(demo_accounts) / 2
    assert currencies["USD"] and currencies["EUR"]
    statuses = Counter(a.status for a in demo_accounts)
    assert statuses[AccountStatus.ACTIVE] > len(demo_accounts) / 2
    assert statuses[AccountStatus.AT_RISK]
    assert statuses[AccountStatus.PROSPECT]
    assert statuses[AccountStatus.CHURNED]
    groups = [a for a in demo_accounts if a.subsidiaries.all()]
    assert 3 <= len(groups) <= 4
    assert all(2 <= len(g.subsidiaries.all()) <= 4 for g in groups)
    today = business_date()
    assert any(
        a.renewal_date and today <= a.renewal_date <= today + timedelta(days=90)
        for a in demo_accounts
    )
    for account in demo_accounts:
        assert account.hq_city and account.hq_country and account.region and account.website
        if account.status != AccountStatus.PROSPECT:
            assert account.contract_start and account.first_purchase_date


def test_karina_owns_about_a_dozen_accounts_and_helps_on_a_few(demo_accounts, karina):
    owners = Counter(a.owner.email for a in demo_accounts)
    assert 10 <= owners["kam@example.com"] <= 14
    assert owners["kam2@example.com"] and owners["kam3@example.com"]
    assert not owners["leader@example.com"] and not owners["admin@example.com"]
    helping = [a for a in demo_accounts if a.owner != karina and karina in a.team.all()]
    assert 2 <= len(helping) <= 3


def test_every_account_has_an_org_chart_and_one_active_primary_contact(demo_accounts):
    with_decision_maker = with_buyer = with_champion = 0
    for account in demo_accounts:
        people = list(account.stakeholders.all())
        assert 5 <= len(people) <= 12, account
        by_pk = {p.pk: p for p in people}
        tops = [p for p in people if p.reports_to_id is None]
        assert len(tops) == 1, account  # one person at the top; everyone reports up to them
        assert all(p.reports_to_id in by_pk for p in people if p.reports_to_id)
        active = [p for p in people if p.left_on is None]
        primaries = [p for p in active if p.is_primary]
        if len(primaries) != 1:
            # Only where the primary contact left and nobody has been named yet.
            assert not primaries, account
            assert any(p.is_primary for p in people if p.left_on), account
            assert open_departures(people), account
        roles = {p.buying_role for p in active}
        with_decision_maker += BuyingRole.DECISION_MAKER in roles
        with_buyer += BuyingRole.ECONOMIC_BUYER in roles
        with_champion += BuyingRole.CHAMPION in roles
        assert all(1 <= p.influence <= 5 for p in people)
        assert all(p.email for p in people)
    total = len(demo_accounts)
    assert with_decision_maker > total * 0.75
    assert with_buyer > total * 0.75
    assert total * 0.6 < with_champion < total


def test_karina_has_accounts_whose_key_contact_left_with_no_successor(demo_accounts, karina):
    today = business_date()
    flagged = {}
    for account in demo_accounts:
        if account.owner == karina:
            departures = open_departures(list(account.stakeholders.all()))
            if departures:
                flagged[account.name] = departures
    assert 2 <= len(flagged) <= 3
    for departures in flagged.values():
        assert all(7 <= (today - d.left_on).days <= 60 for d in departures)


def test_karina_has_overdue_open_and_done_commitments(seeded, karina):
    today = business_date()
    hers = Commitment.objects.filter(owner_user=karina)
    assert hers.filter(status=CommitmentStatus.OPEN, due_date__lt=today).exists()
    assert hers.filter(status=CommitmentStatus.OPEN, due_date__gte=today).exists()
    assert hers.filter(status=CommitmentStatus.DONE).exists()


def test_commitments_are_owned_by_the_team_or_the_clients_people(seeded, db):
    commitments = Commitment.objects.select_related(
        "account",
        "owner_user",
        "owner_stakeholder",
        "source_interaction",
        "source_qbr",
        "playbook_firing",
        "plan",
    )
    team_ids = {}
    sources = set()
    for commitment in commitments:
        account = commitment.account
        sources.add(commitment.source)
        if commitment.owner_user_id:
            if account.pk not in team_ids:
                team_ids[account.pk] = account.team_member_ids()
            # A playbook's leader step goes to a leader, who sees every account.
            assert commitment.owner_user_id in team_ids[account.pk] or (
                commitment.playbook_firing_id and commitment.owner_user.sees_all_accounts
            )
        else:
            assert commitment.owner_stakeholder.account_id == account.pk
        if commitment.source == CommitmentSource.PLAN:
            # A plan action: an agreed item of its plan's account, owned by one of us.
            assert commitment.plan.account_id == account.pk
            assert commitment.owner_user_id
            continue
        assert commitment.plan_id is None
        # A next step comes from an interaction, a QBR or a playbook; never due before it.
        if commitment.source == CommitmentSource.PLAYBOOK:
            source_at = commitment.playbook_firing.fired_at
        else:
            assert commitment.source in (CommitmentSource.INTERACTION, CommitmentSource.QBR)
            source_at = (
                commitment.source_interaction.occurred_at
                if commitment.source_interaction
                else commitment.source_qbr.held_at
            )
        assert commitment.due_date >= business_date(source_at)
        if commitment.status == CommitmentStatus.DONE:
            assert commitment.done_at >= source_at
    # One list of agreed items: the interactions' and QBRs' next steps and the plans' actions.
    # Next steps of interactions and QBRs, plan actions, and the shipped playbooks' steps.
    assert sources == {
        CommitmentSource.INTERACTION,
        CommitmentSource.QBR,
        CommitmentSource.PLAN,
        CommitmentSource.PLAYBOOK,
    }


def test_a_year_of_interactions_with_a_few_accounts_owed_a_touch(demo_accounts):
    now = timezone.now()
    assert not Interaction.objects.filter(occurred_at__gt=now).exists()
    assert not Interaction.objects.filter(occurred_at__lt=now - timedelta(days=372)).exists()
    assert all(a.last_touch_at for a in demo_accounts)
    live = [a for a in demo_accounts if a.status != AccountStatus.CHURNED]
    quiet = [a for a in live if a.last_touch_at < now - timedelta(days=45)]
    assert 3 <= len(quiet) <= 8
    assert set(Interaction.objects.values_list("sentiment", flat=True)) == {-2, -1, 0, 1, 2}


def test_the_top_fifth_of_accounts_carries_most_of_the_revenue(demo_accounts):
    year_ago = business_date() - timedelta(days=365)
    rows = Account.objects.filter(pk__in=[a.pk for a in demo_accounts]).annotate(
        revenue=Sum("revenue_records__amount", filter=Q(revenue_records__booked_on__gt=year_ago))
    )
    revenue = sorted(((r.revenue or 0) * BRL_PER[r.currency] for r in rows), reverse=True)
    top = revenue[: len(revenue) // 5]
    assert sum(top) >= Decimal("0.7") * sum(revenue)
    prospects = [r for r in rows if r.status == AccountStatus.PROSPECT]
    assert prospects and all(r.revenue is None for r in prospects)


def test_most_accounts_are_rated_on_every_criterion(demo_accounts):
    rated = [a for a in demo_accounts if a.ratings.exists()]
    assert len(rated) > len(demo_accounts) * 0.75
    for account in rated:
        assert set(account.ratings.values_list("criterion", flat=True)) == set(
            RatingCriterion.values
        )


def test_seeding_again_adds_nothing(seeded, db):
    before = _row_counts()
    last_touches = dict(Account.objects.values_list("external_id", "last_touch_at"))
    again = demo_seed()
    assert again == seeded
    assert _row_counts() == before
    assert dict(Account.objects.values_list("external_id", "last_touch_at")) == last_touches


def test_demo_shows_every_pareto_class_and_tier(demo_accounts):
    from accounts.models import Tier

    live = [a for a in demo_accounts if a.status != AccountStatus.CHURNED]
    assert {a.pareto_class for a in live} == {"A", "B", "C"}
    assert {a.tier_id for a in live} == set(Tier.objects.values_list("pk", flat=True))


def test_demo_has_healthy_watch_and_at_risk_accounts_with_reasons(demo_accounts):
    from accounts.models import HealthScore

    bands = Counter(a.health_band for a in demo_accounts if a.status != AccountStatus.CHURNED)
    assert bands["healthy"] and bands["watch"] and bands["at_risk"]
    worst = HealthScore.objects.filter(day=business_date()).order_by("score").first()
    assert all(component["reason"]["code"] for component in worst.components)


def test_demo_has_a_pending_tier_review(seeded, db):
    from accounts.selectors import tier_review_rows

    leader = User.objects.get(email="leader@example.com")
    assert tier_review_rows(leader).count() >= 1


def test_demo_has_180_days_of_history_with_a_visible_drop(demo_accounts):
    from accounts.models import HealthScore

    today = business_date()
    history = HealthScore.objects.filter(day__gt=today - timedelta(days=180))
    assert history.values("day").distinct().count() == 180
    drops = 0
    for account in demo_accounts:
        scores = list(
            history.filter(account=account, score__isnull=False)
            .order_by("day")
            .values_list("score", flat=True)
        )
        if scores and max(scores) - scores[-1] >= 15:
            drops += 1
    assert drops >= 2


def test_demo_has_plans_a_few_stale_and_whitespace(seeded, db):
    from plans.models import AccountPlan, WhitespaceCell
    from plans.selectors import stale_plans

    active = AccountPlan.objects.filter(status="active")
    assert active.count() >= 10
    assert 1 <= stale_plans(Account.objects.all(), business_date()).count() < active.count()
    assert WhitespaceCell.objects.filter(state="opportunity").exists()


def test_demo_has_qbr_history_with_ratings_and_qbrs_due_and_overdue(seeded, db):
    from activities.models import QBR
    from activities.selectors import qbr_due_rows

    assert QBR.objects.filter(status="held", rating__isnull=False).count() >= 20
    assert QBR.objects.filter(status="planned").exists()
    today = business_date()
    due = [due_on for _account, due_on in qbr_due_rows(Account.objects.all(), today)]
    assert any(due_on < today for due_on in due)  # overdue: escalation material
    assert any(today <= due_on <= today + timedelta(days=14) for due_on in due)  # due soon


def test_client_requests_show_every_sla_outcome_across_tiers(seeded, karina, db):
    from activities.models import ClientRequest
    from activities.selectors import requests_awaiting

    now = timezone.now()
    requests = ClientRequest.objects.filter(account__external_id__startswith="demo-")
    assert requests.count() == seeded["client_requests"] > 20
    assert requests.open().count() > 0
    assert requests.first_response_met().count() > 0
    assert requests.first_response_breached(now).exclude(first_response_at=None).count() > 0
    assert requests.awaiting_response().first_response_breached(now).count() > 0
    assert requests.resolution_met().count() > 0
    tiers = set(requests.values_list("account__tier__key", flat=True))
    assert {"strategic", "key"} <= tiers and len(tiers) >= 3
    assert requests_awaiting(karina, now)  # My work has some to answer


def test_the_shipped_playbooks_fired_on_the_demo_with_their_items(seeded, demo_accounts):
    firings = PlaybookFiring.objects.filter(account__in=demo_accounts, cleared_at__isnull=True)
    assert seeded["playbook_firings"] == firings.count() >= 2
    assert {f.playbook.key for f in firings.select_related("playbook")} >= {"renewal_preparation"}
    for firing in firings:
        assert firing.items.count() == firing.playbook.steps.count()
