"""The QBR prep pack: live data, printable HTML and a PDF, in the reader's language; and the
fixed number of queries of the QBR list and the prep pack (STYLE.md: Data)."""

from datetime import date, datetime, time, timedelta

import pytest
import weasyprint
from django.urls import reverse
from django.utils import timezone

from accounts.models import HealthScore, Tier
from accounts.services import scoring_defaults_ensure
from activities.models import CommitmentStatus, QBRStatus
from activities.services import NextStep, commitment_complete, qbr_hold, qbr_schedule
from insights.portfolio_slices import portfolio_slices_refresh
from tests.factories import CommitmentFactory, RevenueRecordFactory, StakeholderFactory
from tests.insights.sla_data import make_request
from tests.plans.factories import (
    AccountPlanFactory,
    ObjectiveFactory,
    OpportunityFactory,
    RiskFactory,
)

# FROZEN_NOW (tests/conftest.py) is 2026-03-10 12:00 in São Paulo.
TODAY = date(2026, 3, 10)
LAST_QBR_AT = datetime(2026, 1, 15, 10, 0)


@pytest.fixture
def pack_scene(account, kam_user, now):
    """A QBR held on 15 January with one next step, commitments done before and after it, one
    overdue, health scores, a stakeholder map and revenue; and the next QBR, planned today."""
    config = scoring_defaults_ensure()
    account.tier = Tier.objects.get(key="key")
    account.save()
    ana = StakeholderFactory(account=account, name="Ana Lima", buying_role="champion")
    StakeholderFactory(account=account, name="Dora Decider", buying_role="decision_maker")
    last = qbr_hold(
        qbr=qbr_schedule(account=account, actor=kam_user, scheduled_on=date(2026, 1, 15)),
        actor=kam_user,
        held_at=timezone.make_aware(LAST_QBR_AT),
        outcome="Agreed the roll-out plan",
        rating=4,
        next_steps=[NextStep("Roll-out plan v2", date(2026, 2, 1), owner_stakeholder=ana)],
    )
    early = CommitmentFactory(account=account, title="Done before the last QBR")
    late = CommitmentFactory(account=account, title="Done since the last QBR")
    for commitment, when in ((early, datetime(2026, 1, 5)), (late, datetime(2026, 2, 20))):
        commitment.status = CommitmentStatus.DONE
        commitment.done_at = timezone.make_aware(when)
        commitment.save()
    CommitmentFactory(account=account, title="Late pricing sheet", due_date=date(2026, 3, 1))
    for offset, score in ((60, 72), (30, 64), (1, 55)):
        HealthScore.objects.create(
            account=account,
            day=TODAY - timedelta(days=offset),
            score=score,
            band="watch" if score < 70 else "healthy",
            components=[
                {
                    "key": "coverage",
                    "score": 50,
                    "weight": 10,
                    "reason": {"code": "coverage_single_thread", "params": {"engaged": 1}},
                }
            ],
            config=config,
        )
    RevenueRecordFactory(account=account, booked_on=date(2026, 2, 1), amount=125000)
    planned = qbr_schedule(
        account=account, actor=kam_user, scheduled_on=TODAY, stakeholders=[ana], agenda="Year"
    )
    return planned, last


def test_the_prep_pack_is_built_from_live_data(client_for, kam_user, pack_scene):
    planned, last = pack_scene
    response = client_for(kam_user).get(reverse("qbr_prep", args=[planned.pk]))
    assert response.status_code == 200
    pack = response.context["pack"]
    assert pack.last_qbr == last
    assert pack.since == date(2026, 1, 15)
    assert [c.title for c in pack.done] == ["Done since the last QBR"]
    # the client's next step from the last QBR (due 1 February) is overdue too
    assert [c.title for c in pack.overdue] == ["Roll-out plan v2", "Late pricing sheet"]
    assert [c.title for c in pack.from_last_qbr] == ["Roll-out plan v2"]
    assert [p["score"] for p in pack.health["trend"]] == [72, 64, 55]
    assert pack.trend_points
    assert pack.coverage.missing  # economic buyer, influencer, user: nobody
    assert pack.revenue.last_12_months == 125000
    assert response.context["plan_section"]["plan"] is None  # no active plan: said so
    assert response.context["tab"] == "qbrs"
    page = response.content.decode()
    for text in (
        "Done since the last QBR",
        "Late pricing sheet",
        "Roll-out plan v2",
        "Agreed the roll-out plan",
        "Single-threaded",
        "125,000.00",
        "css/qbr_prep.css",
        reverse("qbr_prep_pdf", args=[planned.pk]),
    ):
        assert text in page
    assert "Done before the last QBR" not in page


def test_the_prep_pack_follows_the_readers_language(client_for, kam_user, pack_scene):
    planned, _last = pack_scene
    kam_user.language = "pt-br"
    kam_user.save()
    page = client_for(kam_user).get(reverse("qbr_prep", args=[planned.pk])).content.decode()
    assert "Cobertura de stakeholders" in page
    assert "Responsável" in page
    assert "Stakeholder coverage" not in page


@pytest.mark.parametrize(
    ("language", "expected", "not_expected"),
    [
        ("en", "Stakeholder coverage", "Cobertura"),
        ("pt-br", "Cobertura de stakeholders", "Stakeholder coverage"),
    ],
)
def test_the_prep_pack_downloads_as_a_pdf_in_the_readers_language(
    client_for, kam_user, pack_scene, monkeypatch, language, expected, not_expected
):
    planned, _last = pack_scene
    kam_user.language = language
    kam_user.save()
    rendered = []
    real_html = weasyprint.HTML

    def recording_html(*args, **kwargs):
        rendered.append(kwargs["string"])
        return real_html(*args, **kwargs)

    monkeypatch.setattr(weasyprint, "HTML", recording_html)
    response = client_for(kam_user).get(reverse("qbr_prep_pdf", args=[planned.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == (
        'attachment; filename="qbr-acme-industrial-2026-03-10.pdf"'
    )
    (html,) = rendered
    assert f'lang="{language}"' in html
    assert expected in html
    assert not_expected not in html
    assert "Late pricing sheet" in html
    assert "<nav" not in html  # the printable document has no app navigation


def test_the_prep_pack_of_the_first_qbr_covers_everything_on_record(
    client_for, kam_user, account, now
):
    done = CommitmentFactory(account=account, title="Kick-off deck")
    commitment_complete(commitment=done, actor=kam_user)
    planned = qbr_schedule(account=account, actor=kam_user, scheduled_on=TODAY)
    response = client_for(kam_user).get(reverse("qbr_prep", args=[planned.pk]))
    pack = response.context["pack"]
    assert (pack.last_qbr, pack.since) == (None, None)
    assert [c.title for c in pack.done] == ["Kick-off deck"]
    assert "No QBR held yet" in response.content.decode()


def _done(account, title: str, due_date: date, done_on: date):
    commitment = CommitmentFactory(account=account, title=title, due_date=due_date)
    commitment.status = CommitmentStatus.DONE
    commitment.done_at = timezone.make_aware(datetime.combine(done_on, time(11, 0)))
    commitment.save()
    return commitment


def test_a_held_qbrs_pack_covers_the_period_up_to_that_qbr_only(client_for, kam_user, account, now):
    """The QBR of 28 November 2025 (the one before on 1 December 2024), read on 10 March
    2026: what was done or fell due after 28 November belongs to the next QBR, and what was
    delivered is listed in the order it was done."""
    earlier = qbr_hold(
        qbr=qbr_schedule(account=account, actor=kam_user, scheduled_on=date(2024, 12, 1)),
        actor=kam_user,
        held_at=timezone.make_aware(datetime(2024, 12, 1, 10, 0)),
    )
    held = qbr_hold(
        qbr=qbr_schedule(account=account, actor=kam_user, scheduled_on=date(2025, 11, 28)),
        actor=kam_user,
        held_at=timezone.make_aware(datetime(2025, 11, 28, 10, 0)),
    )
    _done(account, "Before the period", date(2024, 11, 1), date(2024, 11, 20))
    _done(account, "Delivered second", date(2025, 3, 1), date(2025, 10, 1))
    _done(account, "Delivered first", date(2025, 9, 1), date(2025, 3, 1))
    _done(account, "Delivered on the QBR's day", date(2025, 11, 28), date(2025, 11, 28))
    _done(account, "Delivered after the QBR", date(2025, 10, 1), date(2026, 1, 10))
    CommitmentFactory(account=account, title="Late at the QBR", due_date=date(2025, 11, 1))
    CommitmentFactory(account=account, title="Due after the QBR", due_date=date(2026, 1, 15))
    make_request(
        account,
        received_at=timezone.make_aware(datetime(2025, 6, 2, 9, 0)),
        response_after_h=9,
        subject="Missed before the QBR",
    )
    make_request(
        account,
        received_at=timezone.make_aware(datetime(2026, 1, 5, 9, 0)),
        response_after_h=9,
        subject="Missed after the QBR",
    )

    response = client_for(kam_user).get(reverse("qbr_prep", args=[held.pk]))

    pack = response.context["pack"]
    assert (pack.last_qbr, pack.since) == (earlier, date(2024, 12, 1))
    assert [c.title for c in pack.done] == [
        "Delivered first",
        "Delivered second",
        "Delivered on the QBR's day",
    ]
    assert [c.title for c in pack.overdue] == ["Late at the QBR"]
    assert [row.request.subject for row in pack.breached_requests] == ["Missed before the QBR"]
    page = response.content.decode()
    assert "Delivered after the QBR" not in page
    assert "Due after the QBR" not in page
    assert "Missed after the QBR" not in page


def test_a_planned_qbrs_pack_runs_to_today(client_for, kam_user, account, now):
    """A QBR planned for next month: its period runs to today, not to its date."""
    _done(account, "Delivered today", TODAY, TODAY)
    CommitmentFactory(account=account, title="Late today", due_date=TODAY - timedelta(days=1))
    CommitmentFactory(account=account, title="Due today", due_date=TODAY)
    planned = qbr_schedule(account=account, actor=kam_user, scheduled_on=TODAY + timedelta(days=30))
    pack = client_for(kam_user).get(reverse("qbr_prep", args=[planned.pk])).context["pack"]
    assert [c.title for c in pack.done] == ["Delivered today"]
    assert [c.title for c in pack.overdue] == ["Late today"]


# --- fixed query counts ----------------------------------------------------------------------


def _grow(account, kam_user, units: int) -> None:
    """Per unit: a held QBR with an attendee, a client attendee and a next step; a cancelled
    and a planned QBR; a done and an overdue commitment; a stakeholder; a health score; and a
    revenue record."""
    config = scoring_defaults_ensure()
    start = account.qbrs.count()
    for index in range(start, start + units):
        person = StakeholderFactory(account=account, name=f"Person {index:02d}")
        qbr_hold(
            qbr=qbr_schedule(
                account=account,
                actor=kam_user,
                scheduled_on=date(2025, 1, 1) + timedelta(days=index),
            ),
            actor=kam_user,
            held_at=timezone.make_aware(datetime(2025, 1, 1, 10) + timedelta(days=index)),
            attendees=[kam_user],
            stakeholders=[person],
            next_steps=[NextStep(f"Step {index:02d}", date(2026, 6, 1), owner_user=kam_user)],
        )
        qbr_schedule(
            account=account, actor=kam_user, scheduled_on=TODAY + timedelta(days=30 + index)
        ).status = QBRStatus.PLANNED
        cancelled = qbr_schedule(account=account, actor=kam_user, scheduled_on=TODAY)
        cancelled.status = QBRStatus.CANCELLED
        cancelled.save()
        done = CommitmentFactory(account=account, title=f"Done {index:02d}")
        commitment_complete(commitment=done, actor=kam_user)
        CommitmentFactory(account=account, title=f"Late {index:02d}", due_date=date(2026, 3, 1))
        HealthScore.objects.create(
            account=account,
            day=TODAY - timedelta(days=index + 1),
            score=60,
            band="watch",
            components=[],
            config=config,
        )
        RevenueRecordFactory(account=account, booked_on=date(2026, 1, 1), amount=1000)


def test_the_qbr_list_has_a_fixed_number_of_queries(
    client_for, kam_user, account, now, django_assert_num_queries
):
    client = client_for(kam_user)
    url = reverse("account_qbrs", args=[account.pk])
    _grow(account, kam_user, units=2)
    client.get(url)  # warm-up

    # 1 session, 2 user, 3 account (+ owner, parent, tier), 4 stakeholders (header, form),
    # 5 QBRs with their commitment counts (+ created by), 6 their attendees, 7 their client
    # attendees, 8 the account team (attendee choices), 9 unread notifications (bell)
    with django_assert_num_queries(9):
        small = client.get(url)
    assert len(small.context["qbrs"]) == 2 * 3

    _grow(account, kam_user, units=4)
    with django_assert_num_queries(9):
        large = client.get(url)
    assert len(large.context["qbrs"]) == 6 * 3


def test_the_prep_pack_has_a_fixed_number_of_queries(
    client_for, kam_user, account, now, django_assert_num_queries
):
    client = client_for(kam_user)
    _grow(account, kam_user, units=2)
    plan = AccountPlanFactory(account=account)
    _grow_plan(plan, units=1)
    planned = qbr_schedule(account=account, actor=kam_user, scheduled_on=TODAY)
    url = reverse("qbr_prep", args=[planned.pk])
    portfolio_slices_refresh()  # as the minute task keeps them
    client.get(url)  # warm-up

    # 1 session, 2 user, 3 the QBR (+ account, owner, parent, tier, created by), 4 the account's
    # QBRs (+ counts), 5 their attendees, 6 their client attendees, 7 commitments done, overdue
    # and from the last QBR, 8-10 health (scores with their config, tier changes, satisfaction),
    # 11 stakeholders, 12-13 revenue (account, portfolio: the summary rows, current here),
    # 14 unread notifications (bell),
    # 15-19 the account plan (active plan, objectives, open risks, open opportunities,
    # changes since the last QBR), 20-21 response times (compliance over 90 days, requests
    # that missed a target; added with that section), 22 this QBR's attendees, 23 its client
    # attendees
    with django_assert_num_queries(23):
        small = client.get(url)
    assert len(small.context["pack"].overdue) == 2
    assert len(small.context["plan_section"]["objectives"]) == 1

    _grow(account, kam_user, units=4)
    _grow_plan(plan, units=3)
    portfolio_slices_refresh()
    with django_assert_num_queries(23):
        large = client.get(url)
    assert len(large.context["pack"].overdue) == 6
    assert len(large.context["plan_section"]["objectives"]) == 4


def _grow_plan(plan, *, units: int) -> None:
    for _ in range(units):
        ObjectiveFactory(plan=plan)
        RiskFactory(plan=plan, severity=4)
        OpportunityFactory(plan=plan)


def test_the_prep_pack_shows_results_against_the_plan(client_for, kam_user, account, now):
    plan = AccountPlanFactory(account=account)
    ObjectiveFactory(plan=plan, description="Cut unplanned downtime", baseline=40, target=10)
    RiskFactory(plan=plan, title="Budget freeze", severity=5)
    planned = qbr_schedule(account=account, actor=kam_user, scheduled_on=TODAY)
    page = client_for(kam_user).get(reverse("qbr_prep", args=[planned.pk])).content.decode()
    assert "Results against the client" in page
    assert "Cut unplanned downtime" in page
    assert "Budget freeze" in page


def _first_page_text(html: str) -> str:
    """The text WeasyPrint lays out on page 1 with the pack's print sheet (what the PDF shows)."""
    from django.contrib.staticfiles import finders
    from weasyprint import CSS, HTML

    document = HTML(string=html).render(
        stylesheets=[CSS(filename=finders.find("css/qbr_prep.css"))]
    )
    boxes = document.pages[0]._page_box.descendants()
    return " ".join(box.text for box in boxes if hasattr(box, "text"))


def test_the_printed_pack_opens_with_its_title_date_attendees_and_agenda(
    client_for, kam_user, pack_scene, monkeypatch
):
    """The print rule hides the site's header, not the pack's own: page 1 of the PDF (and of
    a browser print, same sheet) starts with the account, the date, attendees and agenda."""
    planned, _last = pack_scene
    planned.agenda = "Renewal terms and the 2027 roadmap"
    planned.save()
    rendered = []
    real_html = weasyprint.HTML

    def recording_html(*args, **kwargs):
        rendered.append(kwargs["string"])
        return real_html(*args, **kwargs)

    monkeypatch.setattr(weasyprint, "HTML", recording_html)
    client_for(kam_user).get(reverse("qbr_prep_pdf", args=[planned.pk]))
    (html,) = rendered
    page_one = _first_page_text(html)
    assert "QBR prep pack" in page_one
    assert "Acme Industrial" in page_one
    assert "Our attendees" in page_one
    assert "Renewal terms and the 2027 roadmap" in page_one
