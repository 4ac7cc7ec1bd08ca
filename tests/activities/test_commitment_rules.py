"""One rule for "overdue commitment" (open and due before today): the QuerySet, the account
filter, the API filter, the template filter and the health input give the per-row answer of
Commitment.is_overdue, whatever the statuses, due dates and clock (around midnight in
São Paulo, where the local date and the UTC date differ). Likewise one rule for a client's
item "to chase" (Commitment.is_to_chase)."""

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.template import Context, RequestContext, Template
from django.test import RequestFactory
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Account
from activities.models import Commitment, CommitmentStatus
from activities.selectors import commitments_overdue_q
from api.filters import CommitmentFilter
from insights.health_inputs import health_inputs
from kam.dates import business_date
from tests.factories import AccountFactory, CommitmentFactory, StakeholderFactory

BASE = date(2026, 3, 10)

# A commitment: (status, due date in days from BASE, which account, ours or the client's).
commitment_rows = st.lists(
    st.tuples(
        st.sampled_from(CommitmentStatus.values),
        st.integers(min_value=-3, max_value=3),
        st.integers(min_value=0, max_value=1),
        st.booleans(),
    ),
    max_size=10,
)
# Up to two hours either side of a local midnight, a few days either side of BASE.
clocks = st.tuples(
    st.integers(min_value=-2, max_value=2), st.integers(min_value=-120, max_value=120)
)
rule_settings = settings(
    max_examples=40,
    deadline=None,
    # The accounts fixture is made once per test, not per example; each example deletes the
    # commitments it made before the next one.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _instant(days: int, minutes: int) -> datetime:
    midnight = datetime.combine(BASE + timedelta(days=days), time.min)
    return timezone.make_aware(midnight) + timedelta(minutes=minutes)


@pytest.fixture
def accounts(kam_user):
    pair = [AccountFactory(owner=kam_user), AccountFactory(owner=kam_user)]
    for account in pair:
        account.client_owner = StakeholderFactory(account=account)
    return pair


def _make(accounts, rows) -> list[Commitment]:
    Commitment.objects.all().delete()
    made = []
    for status, days, which, ours in rows:
        account = accounts[which]
        made.append(
            CommitmentFactory(
                account=account,
                status=status,
                due_date=BASE + timedelta(days=days),
                done_at=timezone.now() if status == CommitmentStatus.DONE else None,
                owner_user=account.owner if ours else None,
                owner_stakeholder=None if ours else account.client_owner,
            )
        )
    return made


@rule_settings
@given(rows=commitment_rows, clock=clocks)
def test_overdue_queryset_and_filters_agree_with_the_row_answer(accounts, rows, clock):
    with time_machine.travel(_instant(*clock), tick=False):
        made = _make(accounts, rows)
        today = business_date()
        expected = {c.pk for c in made if c.is_overdue(today)}

        assert set(Commitment.objects.overdue(today).values_list("pk", flat=True)) == expected
        assert set(Commitment.objects.not_overdue(today).values_list("pk", flat=True)) == (
            {c.pk for c in made} - expected
        )
        # The API's ?overdue= reads the clock itself.
        api_true = CommitmentFilter({"overdue": "true"}, queryset=Commitment.objects.all()).qs
        api_false = CommitmentFilter({"overdue": "false"}, queryset=Commitment.objects.all()).qs
        assert {c.pk for c in api_true} == expected
        assert {c.pk for c in api_false} == {c.pk for c in made} - expected
        # Accounts with an overdue commitment (the accounts list's filter).
        flagged = Account.objects.filter(commitments_overdue_q(today))
        assert set(flagged.values_list("pk", flat=True)) == {
            c.account_id for c in made if c.is_overdue(today)
        }


@rule_settings
@given(rows=commitment_rows, clock=clocks)
def test_templates_and_health_inputs_use_the_same_answer(accounts, rows, clock):
    """The templates' filter (the digest e-mail) and the row every list of agreed items draws
    say "overdue" exactly for the items Commitment.is_overdue names, and the health inputs
    count those."""
    template = Template(
        "{% load commitment_tags %}{% if c|overdue_on:today %}1{% else %}0{% endif %}"
    )
    row = Template("{% load commitment_tags %}{% commitment_row c today %}")
    request = RequestFactory().get("/")
    with time_machine.travel(_instant(*clock), tick=False):
        made = _make(accounts, rows)
        today = business_date()
        for commitment in made:
            shown = template.render(Context({"c": commitment, "today": today}))
            assert shown == ("1" if commitment.is_overdue(today) else "0")
            drawn = row.render(RequestContext(request, {"c": commitment, "today": today}))
            assert ("overdue since" in drawn) is commitment.is_overdue(today)
        # Health counts our side's overdue commitments only.
        inputs = health_inputs([a.pk for a in accounts], today)
        for account in accounts:
            assert inputs[account.pk].commitments_overdue == sum(
                1 for c in made if c.account_id == account.pk and c.is_ours and c.is_overdue(today)
            )


@pytest.mark.parametrize(
    ("status", "due", "overdue"),
    [
        (CommitmentStatus.OPEN, BASE - timedelta(days=1), True),
        (CommitmentStatus.OPEN, BASE, False),  # due today is not late yet
        (CommitmentStatus.OPEN, BASE + timedelta(days=1), False),
        (CommitmentStatus.DONE, BASE - timedelta(days=1), False),
        (CommitmentStatus.CANCELLED, BASE - timedelta(days=1), False),
    ],
)
def test_is_overdue_on_an_unsaved_commitment(status, due, overdue):
    assert Commitment(status=status, due_date=due).is_overdue(BASE) is overdue


@rule_settings
@given(rows=commitment_rows, clock=clocks)
def test_to_chase_queryset_agrees_with_the_row_answer(accounts, rows, clock):
    """ "To chase with the client" (My work, the account page, the chase reminder) is one rule:
    the queryset names exactly the items Commitment.is_to_chase names."""
    with time_machine.travel(_instant(*clock), tick=False):
        made = _make(accounts, rows)
        today = business_date()
        expected = {c.pk for c in made if c.is_to_chase(today)}
        assert set(Commitment.objects.to_chase(today).values_list("pk", flat=True)) == expected


@pytest.mark.parametrize(
    ("status", "due", "theirs", "to_chase"),
    [
        (CommitmentStatus.OPEN, BASE - timedelta(days=1), True, True),
        (CommitmentStatus.OPEN, BASE, True, True),  # due today: chase it today
        (CommitmentStatus.OPEN, BASE + timedelta(days=3), True, False),  # not owed yet
        (CommitmentStatus.OPEN, BASE - timedelta(days=1), False, False),  # ours, not theirs
        (CommitmentStatus.DONE, BASE - timedelta(days=1), True, False),
        (CommitmentStatus.CANCELLED, BASE - timedelta(days=1), True, False),
    ],
)
def test_is_to_chase_on_an_unsaved_commitment(status, due, theirs, to_chase):
    commitment = Commitment(status=status, due_date=due, owner_stakeholder_id=1 if theirs else None)
    assert commitment.is_to_chase(BASE) is to_chase


@pytest.mark.parametrize("minutes", [-30, 30])  # 23:30 the day before, then 00:30 on BASE
def test_the_api_field_and_filter_turn_overdue_at_local_midnight(
    client, kam_user, accounts, minutes
):
    yesterday = CommitmentFactory(account=accounts[0], due_date=BASE - timedelta(days=1))
    today = CommitmentFactory(account=accounts[0], due_date=BASE)
    client.force_login(kam_user)
    with time_machine.travel(_instant(0, minutes), tick=False):
        listed = client.get("/api/v1/commitments/").json()["results"]
        flagged = client.get("/api/v1/commitments/", {"overdue": "true"}).json()["results"]
    field = {row["id"]: row["is_overdue"] for row in listed}
    # Before midnight nothing is late yet; after it, only what was due yesterday.
    assert field == {yesterday.pk: minutes > 0, today.pk: False}
    assert [row["id"] for row in flagged] == ([yesterday.pk] if minutes > 0 else [])
