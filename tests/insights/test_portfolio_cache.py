"""The dashboard's figures through the shared (Redis) cache: computed once, shown with their
time, recomputed on Refresh or when the generation changes, per audience, and computed anyway
when Redis is unreachable."""

import csv
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils.formats import time_format

from insights.portfolio import GENERATION_KEY, portfolio_cache_reset
from tests.factories import AccountFactory
from tests.insights.portfolio_data import build_portfolio


@pytest.fixture
def data(now, kam_user, outsider, team_member, leader, settings):
    settings.PORTFOLIO_CACHE_SECONDS = 300
    portfolio_cache_reset()  # a generation of this test's own
    return build_portfolio(
        kam_user=kam_user, outsider=outsider, team_member=team_member, leader=leader
    )


def at_risk(response) -> int:
    assert response.status_code == 200
    return response.context["summary"].at_risk.value


def test_a_second_view_comes_from_the_cache_with_its_time(
    client_for, leader, data, django_assert_max_num_queries
):
    client = client_for(leader)
    first = client.get(reverse("portfolio"))
    assert not first.context["summary"].from_cache
    assert "Figures as of" in first.content.decode()
    # session, user, the three filter options and the navigation bell: no figure query
    with django_assert_max_num_queries(6):
        second = client.get(reverse("portfolio"))
    assert second.context["summary"].from_cache
    assert at_risk(second) == at_risk(first) == 2


def test_refresh_recomputes_what_changed_since(client_for, leader, kam_user, data):
    client = client_for(leader)
    assert at_risk(client.get(reverse("portfolio"))) == 2
    AccountFactory(owner=kam_user, health_band="at_risk", health_score=10)
    assert at_risk(client.get(reverse("portfolio"))) == 2  # cached
    refreshed = client.get(reverse("portfolio"), {"refresh": "1"})
    assert not refreshed.context["summary"].from_cache
    assert at_risk(refreshed) == 3
    assert at_risk(client.get(reverse("portfolio"))) == 3  # the refreshed figures are kept


def test_a_new_generation_drops_every_cached_dashboard(client_for, leader, kam_user, data):
    client = client_for(leader)
    client.get(reverse("portfolio"))
    AccountFactory(owner=kam_user, health_band="at_risk", health_score=10)
    portfolio_cache_reset()
    assert at_risk(client.get(reverse("portfolio"))) == 3


def test_a_kam_never_gets_the_leaders_cached_figures(client, leader, kam_user, outsider, data):
    client.force_login(leader)
    assert at_risk(client.get(reverse("portfolio"))) == 2
    client.force_login(outsider)
    assert at_risk(client.get(reverse("portfolio"))) == 1  # Echo, theirs alone
    client.force_login(kam_user)
    assert at_risk(client.get(reverse("portfolio"))) == 1  # Bravo


def test_filters_have_their_own_entries(client_for, leader, data):
    client = client_for(leader)
    everyone = at_risk(client.get(reverse("portfolio")))
    north = at_risk(client.get(reverse("portfolio"), {"region": "Norte"}))
    assert north != everyone
    assert at_risk(client.get(reverse("portfolio"))) == everyone
    assert at_risk(client.get(reverse("portfolio"), {"region": "Norte"})) == north


def test_with_redis_unreachable_the_page_is_computed(client_for, leader, data, settings):
    settings.CACHES = {
        **settings.CACHES,
        "shared": {
            **settings.CACHES["shared"],
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        },
    }
    response = client_for(leader).get(reverse("portfolio"))
    assert at_risk(response) == 2
    assert not response.context["summary"].from_cache


def test_the_warm_task_stores_everyones_dashboard_in_each_language(
    client, leader, admin_user, data, django_assert_max_num_queries
):
    from insights.tasks import portfolio_warm

    assert portfolio_warm() == 2  # English and Portuguese
    for user, language in ((leader, "en"), (admin_user, "pt-br")):
        user.language = language
        user.save(update_fields=["language"])
        client.force_login(user)
        with django_assert_max_num_queries(6):
            response = client.get(reverse("portfolio"))
        assert response.context["summary"].from_cache
        assert at_risk(response) == 2


def test_the_warm_task_does_nothing_with_the_cache_off(leader, data, settings):
    from insights.tasks import portfolio_warm

    settings.PORTFOLIO_CACHE_SECONDS = 0
    assert portfolio_warm() == 0


def test_the_cache_keeps_the_kam_rows_the_page_draws_and_the_csv_has_every_kam(
    client_for, leader, kam_user, data, monkeypatch
):
    monkeypatch.setattr("insights.portfolio.LOAD_ROWS", 1)
    client = client_for(leader)
    computed = client.get(reverse("portfolio")).context["summary"]
    # computed with the rows the page draws only, and every KAM counted
    assert (len(computed.load), computed.load_total) == (1, 2)
    cached_response = client.get(reverse("portfolio"))
    cached = cached_response.context["summary"]
    assert cached.from_cache
    # the entry holds those rows and the counts the page states
    assert [row.name for row in cached.load] == [row.name for row in computed.load]
    assert (cached.load_total, cached.sla_kams_total) == (2, computed.sla_kams_total)
    assert len(cached.sla_kams) == min(1, computed.sla_kams_total)
    assert "The 1 most loaded of 2 KAMs" in cached_response.content.decode()
    # the KAM tables' downloads compute every KAM, header included
    assert len(_csv_rows(client.get(reverse("portfolio_export", args=["load", "csv"])))) == 3
    # the other tables' are the cached figures the page shows
    AccountFactory(owner=kam_user, health_band="at_risk", health_score=10)
    assert at_risk(client.get(reverse("portfolio"))) == 2  # cached
    at_risk_rows = _csv_rows(client.get(reverse("portfolio_export", args=["at-risk", "csv"])))
    assert len(at_risk_rows) == 1 + 2


def _csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_a_page_from_the_cache_draws_nothing_again_and_each_time_zone_its_own(
    client, leader, admin_user, data, monkeypatch
):
    """Beside the entry, the cache keeps the figures as the page drew them, per time zone: a
    page served from it does not draw them again (drawing would fail here), a viewer in another
    time zone gets them drawn in theirs ("Figures as of" their time) without the first
    viewer's being drawn again, and figures drawn from an entry since refreshed are drawn
    again."""
    leader.time_zone, admin_user.time_zone = "America/Sao_Paulo", "Asia/Tokyo"
    leader.save(update_fields=["time_zone"])
    admin_user.save(update_fields=["time_zone"])
    client.force_login(leader)
    first = client.get(reverse("portfolio"))
    computed_at = first.context["summary"].computed_at

    def fails(summary):
        raise AssertionError("drawn again")

    drawn = "insights.views.portfolio_chart_data"
    monkeypatch.setattr(drawn, fails)
    second = client.get(reverse("portfolio"))
    assert second.context["summary"].from_cache
    assert second.context["figures"] == first.context["figures"]
    assert first.context["figures"] in second.content.decode()
    monkeypatch.undo()

    client.force_login(admin_user)  # the same audience (everyone), another time zone
    tokyo = client.get(reverse("portfolio"))
    assert tokyo.context["summary"].from_cache

    def as_of(zone) -> str:
        return f"Figures as of {time_format(computed_at.astimezone(ZoneInfo(zone)))}."

    assert as_of("Asia/Tokyo") in tokyo.content.decode()
    assert as_of("America/Sao_Paulo") in first.content.decode()
    assert as_of("Asia/Tokyo") != as_of("America/Sao_Paulo")
    monkeypatch.setattr(drawn, fails)
    assert client.get(reverse("portfolio")).context["figures"] == tokyo.context["figures"]
    client.force_login(leader)
    assert client.get(reverse("portfolio")).context["figures"] == first.context["figures"]
    monkeypatch.undo()

    # Refreshed by the leader: the Tokyo figures drawn from the older entry are drawn again.
    AccountFactory(owner=leader, health_band="at_risk", health_score=10)
    client.get(reverse("portfolio"), {"refresh": "1"})
    client.force_login(admin_user)
    again = client.get(reverse("portfolio"))
    assert again.context["summary"].from_cache
    assert again.context["summary"].computation != first.context["summary"].computation
    assert again.context["figures"] != tokyo.context["figures"]
    assert at_risk(again) == 3


def test_a_page_served_from_the_cache_does_not_read_its_summary(
    client_for, leader, data, monkeypatch
):
    """With its figures drawn in this time zone, a page from the cache reads the computation
    and the drawing, not the summary (unpickling it was up to a fifth of the page): the
    summary it returns is read only when used, and computed if it is gone meanwhile."""
    client = client_for(leader)
    first = client.get(reverse("portfolio"))
    shared = caches["shared"]
    read = []
    for name in ("get", "get_many"):
        method = getattr(shared, name)

        def spy(keys, *args, _method=method, **kwargs):
            read.extend([keys] if isinstance(keys, str) else keys)
            return _method(keys, *args, **kwargs)

        monkeypatch.setattr(shared, name, spy)
    second = client.get(reverse("portfolio"))
    assert second.context["figures"] == first.context["figures"]
    assert read and not [key for key in read if key.endswith(":summary")]
    assert second.context["summary"].from_cache  # read now, when used
    assert read[-1].endswith(":summary")
    assert second.context["summary"].computation == first.context["summary"].computation
    monkeypatch.undo()

    # Its summary expired (this test's generation's entries only).
    redis = shared._cache.get_client(write=True)
    generation = shared.get(GENERATION_KEY)
    assert redis.delete(*redis.keys(f"*:{generation}:*:summary")) == 1
    third = client.get(reverse("portfolio"))
    assert third.context["figures"] == first.context["figures"]
    assert not third.context["summary"].from_cache  # gone from the cache: computed
    assert at_risk(third) == 2


def test_the_load_table_has_a_column_per_tier_drawn_or_cached(client_for, leader, data):
    """The load table's tier columns come with the figures (the tiers their cells are of)."""
    client = client_for(leader)
    for response in (client.get(reverse("portfolio")), client.get(reverse("portfolio"))):
        page = response.content.decode()
        tiers = response.context["summary"].load_tiers
        assert tiers
        for tier in tiers:
            assert f"{tier} <span" in page
