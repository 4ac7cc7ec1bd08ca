"""SLA compliance: one rule (activities.models outcome expressions and ClientRequest methods),
read in bulk by insights.sla per account, tier and KAM in one query each."""

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import weasyprint
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.health_text import component_label, reason_text
from accounts.models import HealthScore, Tier
from accounts.services import scoring_defaults_ensure
from activities.models import ClientRequest, SlaOutcome, request_window_start
from activities.services import qbr_hold, qbr_schedule
from insights import services as insights_services
from insights.health_inputs import sla_inputs
from insights.sla import (
    WINDOWS,
    Compliance,
    account_sla,
    breached_requests,
    sla_breakdown,
    sla_compliance,
    sla_compliance_by_account,
    sla_compliance_by_kam,
    sla_compliance_by_tier,
    sla_compliance_windows,
)
from kam.dates import business_date, business_day_end, business_day_start
from kam.models import Role
from tests.factories import AccountFactory, UserFactory
from tests.insights.sla_data import make_request
from tests.insights.test_health_views import _config_post

SP = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=SP)

# (received days before NOW, response due h, answered after h or None, resolution due h,
# resolved after h or None)
request_row = st.tuples(
    st.integers(min_value=0, max_value=100),
    st.integers(min_value=1, max_value=30),
    st.one_of(st.none(), st.integers(min_value=0, max_value=40)),
    st.integers(min_value=1, max_value=60),
    st.one_of(st.none(), st.integers(min_value=0, max_value=70)),
)
request_rows = st.lists(request_row, max_size=8)
rule_settings = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _make_rows(account, rows) -> list[ClientRequest]:
    return _make_grouped_rows([account], [(0, row) for row in rows])


def _make_grouped_rows(accounts, rows) -> list[ClientRequest]:
    """`rows`: (index of the account in `accounts`, request_row)."""
    ClientRequest.objects.all().delete()
    made = []
    for index, (days_ago, response_due, answered, resolution_due, resolved) in rows:
        account = accounts[index]
        received = NOW - timedelta(days=days_ago, hours=1)
        # Nothing is answered after NOW: the clock cannot read the future.
        answered = (
            answered if answered is None or received + timedelta(hours=answered) <= NOW else None
        )
        resolved = (
            resolved if resolved is None or received + timedelta(hours=resolved) <= NOW else None
        )
        made.append(
            make_request(
                account,
                received_at=received,
                response_due_h=response_due,
                response_after_h=answered,
                resolution_due_h=resolution_due,
                resolved_after_h=resolved,
            )
        )
    return made


def _expected(made, days, clock) -> tuple[Compliance, Compliance]:
    window = [r for r in made if r.received_within(NOW, days)]
    first = Counter(r.first_response_outcome(clock) for r in window)
    resolution = Counter(r.resolution_outcome(clock) for r in window)
    return (
        Compliance(first[SlaOutcome.MET], first[SlaOutcome.MISSED], first[SlaOutcome.PENDING]),
        Compliance(
            resolution[SlaOutcome.MET],
            resolution[SlaOutcome.MISSED],
            resolution[SlaOutcome.PENDING],
        ),
    )


@rule_settings
@given(rows=request_rows, hours_back=st.integers(min_value=0, max_value=72))
def test_outcome_annotation_and_window_agree_with_the_row_answers(account, rows, hours_back):
    made = {r.pk: r for r in _make_rows(account, rows)}
    # Any clock up to three days back, on the hour or half past (due moments fall on the hour).
    clock = NOW - timedelta(hours=hours_back, minutes=30 * (hours_back % 2))
    for row in ClientRequest.objects.with_sla_outcomes(clock):
        assert row.first_response_outcome == made[row.pk].first_response_outcome(clock)
        assert row.resolution_outcome == made[row.pk].resolution_outcome(clock)
    for days in (30, 90):
        received = ClientRequest.objects.received_within(clock, days)
        assert set(received.values_list("pk", flat=True)) == {
            pk for pk, r in made.items() if r.received_within(clock, days)
        }


@rule_settings
@given(rows=request_rows)
def test_compliance_counts_agree_with_the_row_answers(account, rows):
    made = _make_rows(account, rows)
    for days in (30, 90):
        result = sla_compliance(ClientRequest.objects.all(), NOW, days=days)
        first, resolution = _expected(made, days, NOW)
        assert result.first_response == first
        assert result.resolution == resolution
        assert result.requests == sum(1 for r in made if r.received_within(NOW, days))
        # The per-account reader gives the same figures.
        by_account = sla_compliance_by_account(ClientRequest.objects.all(), NOW, [days])
        assert by_account.get(account.pk, {}).get(days, result) == result
        # The account page's card, counted in Python with the rows' own rules, says the same
        # as the SQL conditions (windows, open requests, open and breached now).
        card = account_sla(account, NOW)
        assert card.windows[days] == result
    assert card.open_requests == ClientRequest.objects.open().count()
    assert card.open_breached == ClientRequest.objects.open().breached(NOW).count()


def test_met_missed_and_pending_follow_the_due_moment(account):
    received = NOW - timedelta(hours=10)
    make_request(account, received_at=received, response_due_h=4, response_after_h=4)  # met at due
    make_request(account, received_at=received, response_due_h=4, response_after_h=5)  # late
    make_request(account, received_at=received, response_due_h=4)  # unanswered, past due
    make_request(account, received_at=received, response_due_h=20)  # unanswered, in target
    result = sla_compliance(ClientRequest.objects.all(), NOW, days=30)
    assert result.first_response == Compliance(met=1, missed=2, pending=1)
    assert result.first_response.pct == pytest.approx(33.3)
    # Nothing resolved, and every resolution still inside its 24 hours: nothing counted.
    assert result.resolution == Compliance(met=0, missed=0, pending=4)
    assert result.resolution.pct is None


def test_the_window_counts_requests_received_in_the_last_n_days(account):
    make_request(account, received_at=NOW - timedelta(days=10), response_after_h=1)
    make_request(account, received_at=NOW - timedelta(days=60), response_after_h=9)
    make_request(account, received_at=NOW - timedelta(days=95), response_after_h=1)
    windows = sla_compliance_windows(ClientRequest.objects.all(), NOW)
    assert windows[30].first_response == Compliance(met=1, missed=0, pending=0)
    assert windows[90].first_response == Compliance(met=1, missed=1, pending=0)
    assert windows[90].first_response.pct == 50.0


def test_the_window_runs_from_the_start_of_the_day_n_days_ago_whatever_the_hour(settings, account):
    """The 30-day window at any moment of 10 March is 8 February from midnight (business time
    zone) to that moment: a request received a month ago in the evening does not drop out of
    the figures at that hour of the day."""
    settings.TIME_ZONE = "America/Sao_Paulo"
    first = datetime(2026, 2, 8, 0, 0, tzinfo=SP)
    inside = make_request(account, received_at=first, response_after_h=1)
    evening = make_request(account, received_at=first + timedelta(hours=20), response_after_h=1)
    before = make_request(account, received_at=first - timedelta(minutes=1), response_after_h=1)
    start_of_day, late_evening = datetime(2026, 3, 10, 0, 1, tzinfo=SP), NOW + timedelta(hours=11)
    for now in (start_of_day, NOW, late_evening):
        assert request_window_start(now, 30) == first
        assert sla_compliance(ClientRequest.objects.all(), now, days=30).requests == 2, now
        received = ClientRequest.objects.received_within(now, 30)
        assert set(received) == {inside, evening}, now
        assert [r.received_within(now, 30) for r in (inside, evening, before)] == [
            True,
            True,
            False,
        ]
    # The day before, the window started a day earlier and ended that day.
    assert (
        sla_compliance(ClientRequest.objects.all(), start_of_day - timedelta(minutes=2)).requests
        == 3
    )


def test_nothing_received_means_no_percentage(account):
    result = sla_compliance(ClientRequest.objects.all(), NOW)
    assert result.requests == 0
    assert result.first_response.pct is None
    assert result.resolution.pct is None


@pytest.fixture
def four_accounts(db):
    """Two KAMs, each with two accounts; strategic, key and untiered accounts."""
    scoring_defaults_ensure()
    strategic, key = Tier.objects.get(key="strategic"), Tier.objects.get(key="key")
    ana, bruno = UserFactory(role=Role.KAM), UserFactory(role=Role.KAM)
    return [
        AccountFactory(owner=ana, tier=strategic),
        AccountFactory(owner=ana, tier=key),
        AccountFactory(owner=bruno, tier=strategic),
        AccountFactory(owner=bruno, tier=None),
    ]


@rule_settings
@given(rows=st.lists(st.tuples(st.integers(min_value=0, max_value=3), request_row), max_size=12))
def test_grouped_counts_agree_with_the_row_answers(four_accounts, rows):
    """Per account, tier and KAM, and the dashboard's breakdown: both clocks of both windows
    as each request's own rules count them in Python, on random requests of several groups."""
    made = _make_grouped_rows(four_accounts, rows)
    requests = ClientRequest.objects.all()
    grouped = {
        "account": (sla_compliance_by_account(requests, NOW), lambda r: r.account_id),
        "tier": (sla_compliance_by_tier(requests, NOW), lambda r: r.account.tier_id),
        "kam": (sla_compliance_by_kam(requests, NOW), lambda r: r.account.owner_id),
    }
    for name, (counted, key_of) in grouped.items():
        keys = {key_of(r) for r in made if r.received_within(NOW, max(WINDOWS))}
        assert set(counted) == keys, name
        for key in keys:
            theirs = [r for r in made if key_of(r) == key]
            for days in WINDOWS:
                first, resolution = _expected(theirs, days, NOW)
                received = sum(1 for r in theirs if r.received_within(NOW, days))
                result = counted[key][days]
                assert (result.requests, result.first_response, result.resolution) == (
                    received,
                    first,
                    resolution,
                ), (name, key, days)
    breakdown = sla_breakdown(requests, NOW)
    assert breakdown.by_tier == grouped["tier"][0]
    kams = {kam_id: breakdown.kam_windows(kam_id) for kam_id in breakdown.kam_counts}
    assert kams == grouped["kam"][0]


@pytest.fixture
def portfolio_requests(db):
    """Two KAMs; strategic and key accounts; a known spread of outcomes."""
    scoring_defaults_ensure()
    strategic, key = Tier.objects.get(key="strategic"), Tier.objects.get(key="key")
    ana = UserFactory(full_name="Ana KAM", role=Role.KAM)
    bruno = UserFactory(full_name="Bruno KAM", role=Role.KAM)
    accounts = {
        "ana_strategic": AccountFactory(owner=ana, tier=strategic),
        "ana_key": AccountFactory(owner=ana, tier=key),
        "bruno_strategic": AccountFactory(owner=bruno, tier=strategic),
        "bruno_none": AccountFactory(owner=bruno, tier=None),
    }
    day = timedelta(days=1)
    plan = {
        # name: [(days ago, answered after h)] with a 4 h first-response target
        "ana_strategic": [(2, 1), (3, 2), (40, 8)],
        "ana_key": [(5, 9)],
        "bruno_strategic": [(1, 3), (70, 1)],
        "bruno_none": [(10, None)],
    }
    for name, rows in plan.items():
        for days_ago, answered in rows:
            make_request(
                accounts[name], received_at=NOW - days_ago * day, response_after_h=answered
            )
    return {"ana": ana, "bruno": bruno, "strategic": strategic, "key": key, **accounts}


def test_compliance_by_tier_and_by_kam_in_one_query_each(
    portfolio_requests, django_assert_num_queries
):
    p = portfolio_requests
    requests = ClientRequest.objects.all()
    with django_assert_num_queries(1):
        by_tier = sla_compliance_by_tier(requests, NOW)
    assert by_tier[p["strategic"].pk][30].first_response == Compliance(3, 0, 0)
    assert by_tier[p["strategic"].pk][90].first_response == Compliance(4, 1, 0)
    assert by_tier[p["key"].pk][30].first_response == Compliance(0, 1, 0)
    assert by_tier[None][30].first_response == Compliance(0, 1, 0)  # unanswered, past due
    with django_assert_num_queries(1):
        by_kam = sla_compliance_by_kam(requests, NOW)
    assert by_kam[p["ana"].pk][30].first_response == Compliance(2, 1, 0)
    assert by_kam[p["ana"].pk][90].first_response.pct == 50.0
    assert by_kam[p["bruno"].pk][90].first_response == Compliance(2, 1, 0)
    with django_assert_num_queries(1):
        by_account = sla_compliance_by_account(requests, NOW)
    assert by_account[p["ana_key"].pk][90].requests == 1


def test_the_breakdown_sums_to_the_same_figures_in_one_query(
    portfolio_requests, django_assert_num_queries
):
    requests = ClientRequest.objects.all()
    with django_assert_num_queries(1):
        breakdown = sla_breakdown(requests, NOW)
    assert breakdown.by_tier == sla_compliance_by_tier(requests, NOW)
    by_kam = {kam_id: breakdown.kam_windows(kam_id) for kam_id in breakdown.kam_counts}
    assert by_kam == sla_compliance_by_kam(requests, NOW)
    # What the dashboard sorts its KAMs by, read off the counts without building them.
    assert {
        (kam_id, days): breakdown.kam_first_response_pct(kam_id, days)
        for kam_id in breakdown.kam_counts
        for days in WINDOWS
    } == {
        (kam_id, days): windows[days].first_response.pct
        for kam_id, windows in by_kam.items()
        for days in WINDOWS
    }
    assert any(breakdown.kam_first_response_pct(kam_id, 90) for kam_id in breakdown.kam_counts)


def test_more_requests_cost_no_more_queries(portfolio_requests, django_assert_num_queries):
    for index in range(20):
        make_request(portfolio_requests["bruno_none"], received_at=NOW - timedelta(days=index % 80))
    with django_assert_num_queries(1):
        sla_breakdown(ClientRequest.objects.all(), NOW)


def test_account_card_counts_open_requests_breached_now_whenever_received(account):
    make_request(account, received_at=NOW - timedelta(days=200))  # open, breached, old
    make_request(account, received_at=NOW - timedelta(hours=2))  # open, inside its target
    make_request(account, received_at=NOW - timedelta(days=5), resolved_after_h=30)  # late, closed
    card = account_sla(account, NOW)
    assert card.open_requests == 2
    assert card.open_breached == 1
    assert card.windows[30].requests == 2
    assert card.windows[30].resolution == Compliance(met=0, missed=1, pending=1)
    assert card.windows[90].first_response == Compliance(met=0, missed=1, pending=1)


def test_breached_requests_since_a_moment(account):
    late = make_request(account, received_at=NOW - timedelta(days=5), response_after_h=6)
    make_request(
        account, received_at=NOW - timedelta(days=5), response_after_h=1, resolved_after_h=2
    )
    make_request(account, received_at=NOW - timedelta(days=50), response_after_h=6)
    rows = breached_requests(ClientRequest.objects.all(), NOW, since=NOW - timedelta(days=30))
    assert rows == [late]


# --- the health component, from the bulk inputs to the explanation -----------------------------


def test_a_day_scored_later_counts_the_requests_of_its_own_window(account):
    """The health input of a past day (a backfill, `recompute_health --date`) counts the
    requests of that day's 90-day window, from the start of the day 90 days before it, as the
    nightly run and the dashboard did on that day; not the next day's window."""
    yesterday = business_date() - timedelta(days=1)
    first = business_day_start(yesterday - timedelta(days=90))
    make_request(account, received_at=first, response_after_h=1)
    make_request(account, received_at=first - timedelta(minutes=1), response_after_h=1)
    make_request(account, received_at=business_day_end(yesterday), response_after_h=1)  # today
    counted = sla_inputs([account.pk], yesterday)[account.pk]
    assert counted.requests == 1
    last_moment = business_day_end(yesterday) - timedelta(microseconds=1)
    assert counted == sla_compliance(ClientRequest.objects.all(), last_moment, days=90)


def test_health_recompute_scores_the_sla_component_and_explains_it(account, now):
    scoring_defaults_ensure()
    other = AccountFactory(owner=account.owner)
    today = business_date()
    # Both clocks met; both missed (answered late, still unresolved past 24 h); and one outside
    # the 90 days that does not count.
    make_request(
        account, received_at=now - timedelta(days=10), response_after_h=1, resolved_after_h=2
    )
    make_request(account, received_at=now - timedelta(days=5), response_after_h=6)
    make_request(account, received_at=now - timedelta(days=100), response_after_h=9)
    insights_services.health_recompute(account_ids=[account.pk, other.pk], day=today)

    component = _sla_component(account, today)
    assert component["score"] == 50
    assert component["reason"] == {
        "code": "sla",
        "params": {"late": 1, "responses": 2, "late_resolved": 1, "resolutions": 2, "pct": 50},
    }
    with translation.override("en"):
        assert reason_text(component["reason"]) == (
            "1 of 2 requests answered late and 1 of 2 resolved late in 90 days "
            "(50 % on time; targets from the tier)."
        )
    with translation.override("pt-br"):
        assert reason_text(component["reason"]) == (
            "1 de 2 pedidos respondidos com atraso e 1 de 2 com resolução atrasada em "
            "90 dias (50 % no prazo; metas do nível)."
        )
        assert component_label("sla") == "Tempo de resposta (SLA)"

    # No request: left out (weights renormalised), saying so.
    nothing = _sla_component(other, today)
    assert nothing["score"] is None
    assert nothing["reason"]["code"] == "sla_no_data"
    with translation.override("pt-br"):
        assert reason_text(nothing["reason"]) == (
            "Fora do cálculo: nenhum pedido do cliente nos últimos 90 dias."
        )


def _sla_component(account, day) -> dict:
    score = HealthScore.objects.get(account=account, day=day)
    return next(c for c in score.components if c["key"] == "sla")


def test_the_account_page_shows_the_sla_card(client_for, kam_user, account, now):
    make_request(
        account, received_at=now - timedelta(days=5), response_after_h=1, resolved_after_h=2
    )
    make_request(account, received_at=now - timedelta(days=40), response_after_h=9)
    response = client_for(kam_user).get(reverse("account_detail", args=[account.pk]))
    card = response.context["sla"]
    assert card.windows[30].first_response.pct == 100.0
    assert card.windows[90].first_response.pct == 50.0
    assert card.open_breached == 1  # the second one was never resolved
    page = response.content.decode()
    assert 'id="sla-card"' in page
    assert "1 open request past its target now" in page
    assert "50 %" in page


def test_the_sla_card_reads_in_portuguese(client_for, kam_user, account, now):
    kam_user.language = "pt-br"
    kam_user.save()
    make_request(account, received_at=now - timedelta(days=5), response_after_h=9)
    page = client_for(kam_user).get(reverse("account_detail", args=[account.pk])).content
    page = page.decode()
    assert "Primeira resposta no prazo" in page
    assert "First response on time" not in page


def test_an_account_without_requests_says_so(client_for, kam_user, account, now):
    page = client_for(kam_user).get(reverse("account_detail", args=[account.pk])).content
    assert "No client requests recorded." in page.decode()


# --- the QBR prep pack ---------------------------------------------------------------------


@pytest.fixture
def prep_scene(account, kam_user, now):
    """A QBR held on 15 January and the next planned today; requests before and after it."""
    scoring_defaults_ensure()
    qbr_hold(
        qbr=qbr_schedule(account=account, actor=kam_user, scheduled_on=date(2026, 1, 15)),
        actor=kam_user,
        held_at=datetime(2026, 1, 15, 10, 0, tzinfo=SP),
        outcome="Agreed",
        rating=4,
        next_steps=[],
    )
    make_request(
        account,
        received_at=datetime(2026, 1, 10, 9, 0, tzinfo=SP),
        response_after_h=9,
        subject="Before the QBR, late",
    )
    make_request(
        account,
        received_at=datetime(2026, 2, 10, 9, 0, tzinfo=SP),
        response_after_h=9,
        resolved_after_h=10,
        subject="Price list, late",
    )
    make_request(
        account,
        received_at=datetime(2026, 2, 20, 9, 0, tzinfo=SP),
        response_after_h=1,
        resolved_after_h=2,
        subject="Invoice copy, on time",
    )
    return qbr_schedule(account=account, actor=kam_user, scheduled_on=now.date())


def test_the_prep_pack_shows_response_times_and_the_requests_missed_since_the_last_qbr(
    client_for, kam_user, prep_scene
):
    response = client_for(kam_user).get(reverse("qbr_prep", args=[prep_scene.pk]))
    pack = response.context["pack"]
    assert pack.sla.days == 90
    # 10 Jan, 10 Feb and 20 Feb are all within 90 days of 10 March.
    assert pack.sla.first_response == Compliance(met=1, missed=2, pending=0)
    assert pack.sla.resolution == Compliance(met=2, missed=1, pending=0)  # 10 Jan never resolved
    assert [row.request.subject for row in pack.breached_requests] == ["Price list, late"]
    (row,) = pack.breached_requests
    assert row.first_response_missed
    assert not row.resolution_missed
    page = response.content.decode()
    assert "Response times" in page
    assert "Requests that missed a target since the last QBR" in page
    assert "Price list, late" in page
    assert "Before the QBR, late" not in page


def test_the_prep_pack_pdf_has_the_response_times_in_portuguese(
    client_for, kam_user, prep_scene, monkeypatch
):
    kam_user.language = "pt-br"
    kam_user.save()
    rendered = []
    real_html = weasyprint.HTML

    def recording_html(*args, **kwargs):
        rendered.append(kwargs["string"])
        return real_html(*args, **kwargs)

    monkeypatch.setattr(weasyprint, "HTML", recording_html)
    response = client_for(kam_user).get(reverse("qbr_prep_pdf", args=[prep_scene.pk]))
    assert response.status_code == 200
    (html,) = rendered
    assert "Tempos de resposta" in html
    assert "Price list, late" in html
    assert "Response times" not in html


# --- the portfolio dashboard ---------------------------------------------------------------


@pytest.fixture
def dashboard(db, now):
    scoring_defaults_ensure()
    strategic, key = Tier.objects.get(key="strategic"), Tier.objects.get(key="key")
    ana = UserFactory(full_name="Ana KAM", role=Role.KAM)
    bruno = UserFactory(full_name="Bruno KAM", role=Role.KAM)
    ana_strategic = AccountFactory(owner=ana, tier=strategic, industry="Retail")
    ana_key = AccountFactory(owner=ana, tier=key, industry="Energy")
    bruno_strategic = AccountFactory(owner=bruno, tier=strategic, industry="Retail")
    day = timedelta(days=1)
    make_request(  # both clocks met
        ana_strategic, received_at=now - 2 * day, response_after_h=1, resolved_after_h=2
    )
    make_request(ana_key, received_at=now - 5 * day, response_after_h=9)  # late
    make_request(bruno_strategic, received_at=now - 60 * day, response_after_h=9)  # late, 90 d
    return {
        "ana": ana,
        "bruno": bruno,
        "strategic": strategic,
        "key": key,
        "ana_strategic": ana_strategic,
        "ana_key": ana_key,
        "bruno_strategic": bruno_strategic,
    }


def _tier_row(summary, tier):
    return next(row for row in summary.sla_tiers if row.key == tier.pk)


def test_a_leader_sees_sla_compliance_of_every_tier_and_kam(client_for, leader, dashboard):
    response = client_for(leader).get(reverse("portfolio"))
    summary = response.context["summary"]
    strategic = _tier_row(summary, dashboard["strategic"])
    assert strategic.windows[30].first_response == Compliance(1, 0, 0)
    assert strategic.windows[90].first_response == Compliance(1, 1, 0)
    assert _tier_row(summary, dashboard["key"]).windows[30].first_response.pct == 0.0
    assert {row.key for row in summary.sla_kams} == {dashboard["ana"].pk, dashboard["bruno"].pk}
    # Lowest 90-day first-response compliance first: Bruno 0 %, Ana 50 %.
    assert [row.name for row in summary.sla_kams] == ["Bruno KAM", "Ana KAM"]
    chart = response.context["chart"]["sla"]
    assert chart["labels"][: len(summary.sla_tiers)] == [row.name for row in summary.sla_tiers]
    assert len(chart["series"]) == 4
    page = response.content.decode()
    assert 'id="sla-chart"' in page
    assert 'id="sla-kams-table"' in page


def test_a_kam_sees_only_the_compliance_of_their_own_accounts(client_for, dashboard):
    summary = client_for(dashboard["ana"]).get(reverse("portfolio")).context["summary"]
    assert [row.key for row in summary.sla_kams] == [dashboard["ana"].pk]
    strategic = _tier_row(summary, dashboard["strategic"])
    assert strategic.windows[90].first_response == Compliance(1, 0, 0)  # not Bruno's miss
    page = client_for(dashboard["ana"]).get(reverse("portfolio")).content.decode()
    assert "Bruno KAM" not in page


def test_sla_blocks_follow_the_dashboard_filters(client_for, leader, dashboard):
    client = client_for(leader)
    summary = client.get(reverse("portfolio"), {"industry": "Energy"}).context["summary"]
    assert [row.key for row in summary.sla_kams] == [dashboard["ana"].pk]
    assert _tier_row(summary, dashboard["strategic"]).windows[90].requests == 0
    assert _tier_row(summary, dashboard["key"]).windows[90].requests == 1
    summary = client.get(reverse("portfolio"), {"owner": dashboard["bruno"].pk}).context["summary"]
    assert [row.key for row in summary.sla_kams] == [dashboard["bruno"].pk]


def test_missed_figures_link_to_the_accounts_that_missed(client_for, leader, dashboard):
    client = client_for(leader)
    summary = client.get(reverse("portfolio")).context["summary"]
    strategic = _tier_row(summary, dashboard["strategic"])
    listed = client.get(strategic.missed[90]).context["page"].object_list
    assert [account.pk for account in listed] == [dashboard["bruno_strategic"].pk]
    assert list(client.get(strategic.missed[30]).context["page"].object_list) == []
    ana = next(row for row in summary.sla_kams if row.key == dashboard["ana"].pk)
    listed = client.get(ana.missed[30]).context["page"].object_list
    assert [account.pk for account in listed] == [dashboard["ana_key"].pk]


def _csv(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_the_sla_tables_export_as_csv(client_for, leader, dashboard):
    client = client_for(leader)
    response = client.get(reverse("portfolio_export", args=["sla-kams", "csv"]))
    assert response.status_code == 200
    text = _csv(response)
    assert "First response on time, 30 days (%)" in text
    assert "Bruno KAM" in text and "Ana KAM" in text
    response = client.get(reverse("portfolio_export", args=["sla-tiers", "csv"]))
    assert str(dashboard["strategic"]) in _csv(response)
    # A KAM's export holds only their own figures.
    text = _csv(
        client_for(dashboard["ana"]).get(reverse("portfolio_export", args=["sla-kams", "csv"]))
    )
    assert "Bruno KAM" not in text


def test_the_sla_weight_is_set_on_the_configuration_page(client_for, admin_user):
    client = client_for(admin_user)
    page = client.get(reverse("configuration")).content.decode()
    assert 'name="health_sla"' in page
    assert "Response times (SLA)" in page
    response = client.post(reverse("configuration"), _config_post(health_sla=12))
    assert response.status_code == 302
    assert scoring_defaults_ensure().health_weights["sla"] == 12


def test_the_sla_blocks_read_in_portuguese(client_for, leader, dashboard):
    leader.language = "pt-br"
    leader.save()
    page = client_for(leader).get(reverse("portfolio")).content.decode()
    assert "Cumprimento do SLA por nível" in page
    assert "Cumprimento do SLA por KAM" in page
    assert "SLA compliance by tier" not in page


def test_the_sla_cells_show_the_share_met_and_the_missed_linked(client_for, leader, dashboard):
    """{% sla_cells row %}: per window and clock, the share on time, the met count and the
    missed count linked to the accounts that missed (plain text at zero), in either language."""
    client = client_for(leader)
    response = client.get(reverse("portfolio"))
    summary = response.context["summary"]
    strategic = _tier_row(summary, dashboard["strategic"])
    page = response.content.decode()
    # the strategic tier's first response over 90 days: one met, one missed
    assert (
        '<td class="text-end">50 %<div class="small text-body-secondary">1 met · '
        f'<a href="{strategic.missed[90].replace("&", "&amp;")}">1 missed</a></div></td>'
    ) in page
    # over 30 days: one met, none missed, so no link
    assert (
        '<td class="text-end">100 %<div class="small text-body-secondary">1 met · 0 missed</div>'
    ) in page
    leader.language = "pt-br"
    leader.save(update_fields=["language"])
    page = client_for(leader).get(reverse("portfolio")).content.decode()
    assert '50 %<div class="small text-body-secondary">1 no prazo · <a href=' in page
    assert "1 fora do prazo</a>" in page
