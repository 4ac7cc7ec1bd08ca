from datetime import timedelta

import pytest
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils import timezone

from accounts.currency import rates_on
from accounts.selectors import account_owners_for_user
from insights.selectors import ACCOUNT_SORT_KEYS, REVENUE, account_list_rows
from kam.dates import business_date
from kam.pagination import DeferredJoinPaginator
from tests.factories import AccountFactory


@pytest.fixture
def accounts(kam_user, team_member):
    now = timezone.now()
    rows = []
    for n in range(21):  # pages of 5, the last one with the orphan
        rows.append(
            AccountFactory(
                name=f"Account {n % 7}",  # ties, broken by id
                owner=kam_user if n % 3 else team_member,
                last_touch_at=None if n % 5 == 0 else now - timedelta(days=n % 4),
                renewal_date=None if n % 4 == 0 else business_date() + timedelta(days=n % 6),
                health_score=None if n % 6 == 0 else n % 5 * 20,
                status="at_risk" if n % 2 else "active",
                revenue_last_12m=n % 3 * 1000,
                industry=f"Industry {n % 2}",
            )
        )
    return rows


@pytest.mark.parametrize("direction", ["", "-"])
@pytest.mark.parametrize("key", sorted([*ACCOUNT_SORT_KEYS, REVENUE]))
def test_deferred_join_pages_match_plain_pagination_for_every_sort(
    leader, accounts, key, direction
):
    rows = account_list_rows(leader, sort=direction + key, rates=rates_on(business_date()))
    plain, deferred = Paginator(rows, 5, orphans=1), DeferredJoinPaginator(rows, 5, orphans=1)
    assert deferred.num_pages == plain.num_pages == 4
    for number in plain.page_range:
        assert list(deferred.page(number)) == list(plain.page(number))


def test_deferred_join_pages_keep_filters_and_joins(leader, accounts, django_assert_num_queries):
    rows = account_list_rows(leader, status="at_risk", sort="-last_touch")
    page = DeferredJoinPaginator(rows, 5).page(2)
    with django_assert_num_queries(1):  # the page's rows with owner and tier, in one query
        names = [(a.pk, a.owner.email, a.tier) for a in page]
    assert [pk for pk, _email, _tier in names] == [a.pk for a in list(Paginator(rows, 5).page(2))]
    assert all(a.status == "at_risk" for a in page)


def test_a_count_given_to_the_paginator_replaces_its_count_statement(
    leader, accounts, django_assert_num_queries
):
    rows = account_list_rows(leader, sort="name")
    known = DeferredJoinPaginator(rows, 5, orphans=1, count=len(accounts))
    with django_assert_num_queries(0):
        assert (known.count, known.num_pages) == (21, 4)
    with django_assert_num_queries(1):  # the page's rows: no COUNT
        last = [a.pk for a in known.page(4)]
    assert last == [a.pk for a in Paginator(rows, 5, orphans=1).page(4)]
    with django_assert_num_queries(1):  # none given: Paginator's COUNT
        assert DeferredJoinPaginator(rows, 5).count == 21


def test_owner_filter_lists_the_kams_owning_visible_accounts(
    kam_user, team_member, outsider, leader, accounts
):
    assert set(account_owners_for_user(leader)) == {kam_user, team_member}
    assert set(account_owners_for_user(kam_user)) == {kam_user}
    assert list(account_owners_for_user(outsider)) == []


def test_the_lists_owner_filter_offers_the_owners_keeps_the_choice_and_refuses_others(
    client_for, leader, kam_user, team_member, outsider, accounts
):
    client = client_for(leader)
    response = client.get(f"/accounts/?owner={team_member.pk}")
    html = response.content.decode()
    assert f'<option value="{team_member.pk}" selected>{team_member}</option>' in html
    # The filter is a people picker: it draws the owner chosen, its search finds the others.
    assert f'<option value="{kam_user.pk}">' not in html
    found = client.get(reverse("people_search", args=["owners"])).json()["results"]
    assert {row["value"] for row in found} == {kam_user.pk, team_member.pk}  # outsider owns none
    assert response.context["page"].paginator.count == 7  # n % 3 == 0 of 21
    # An owner the leader cannot filter by is named as ignored, and the list is unfiltered.
    response = client.get(f"/accounts/?owner={outsider.pk}")
    assert response.context["page"].paginator.count == 21
    assert "Owner" in response.context["notices"][0]
