"""The global search (insights/search.py, kam/search.py): Portuguese full text with unaccent,
prefixes for type-ahead, ranking, the one access rule, the page and the palette."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import Stakeholder
from activities.models import Interaction
from insights.search import KIND_KEYS, KINDS, _frequent_kinds, global_search
from kam.search import query_words, search_query
from tests.factories import AccountFactory, InteractionFactory, StakeholderFactory
from tests.insights.sla_data import make_request
from tests.plans.factories import AccountPlanFactory

# Accents and stems: kam/migrations/0005 needs unaccent for these (tests/conftest.py).
pytestmark = pytest.mark.needs_contrib("unaccent")

RECEIVED = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)


def titles(groups, kind):
    return [str(hit.title) for group in groups if group.kind == kind for hit in group.hits]


def plain(groups, kind):
    return [t.replace("<mark>", "").replace("</mark>", "") for t in titles(groups, kind)]


@pytest.fixture
def leader_search(leader):
    return lambda text, **kwargs: global_search(leader, text, **kwargs)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("sao paulo", "Visita à fábrica de São Paulo"),
        ("negociacao", "Negociação do contrato"),
        ("NEGOCIAÇÃO", "negociacao do contrato"),
        ("reuniao", "Reunião de alinhamento"),
        ("fabrica", "Visita à fábrica de São Paulo"),
    ],
)
def test_search_ignores_accents_and_case(leader_search, typed, stored):
    InteractionFactory(summary=stored)
    InteractionFactory(summary="Almoço com o diretor financeiro")
    assert plain(leader_search(typed), "interactions") == [stored]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("contratos", "Renovação do contrato"),
        ("contrato", "Revisão dos contratos anuais"),
        ("entregas atrasadas", "Atraso na entrega"),
        ("propostas comerciais", "Proposta comercial revisada"),
    ],
)
def test_search_stems_portuguese_words(leader_search, typed, stored):
    make_request(AccountFactory(), received_at=RECEIVED, subject=stored)
    make_request(AccountFactory(), received_at=RECEIVED, subject="Segunda via de boleto")
    assert plain(leader_search(typed), "requests") == [stored]


def test_words_whose_plural_changes_the_accented_ending_meet_through_the_prefix(leader_search):
    # The stemmer sees the text without accents (so that typing without them works), where
    # "reunião" and "reuniões" keep different stems; the type-ahead prefix finds both.
    make_request(AccountFactory(), received_at=RECEIVED, subject="Reunião trimestral")
    make_request(AccountFactory(), received_at=RECEIVED, subject="Duas reuniões por mês")
    assert plain(leader_search("reuniao"), "requests") == ["Reunião trimestral"]
    assert sorted(plain(leader_search("reuni"), "requests")) == [
        "Duas reuniões por mês",
        "Reunião trimestral",
    ]


def test_the_last_word_is_a_prefix_while_typing(leader_search):
    AccountFactory(name="Transportadora Brandão")
    AccountFactory(name="Transmissão Elétrica")
    AccountFactory(name="Banco Brasileiro")
    assert plain(leader_search("transp"), "accounts") == ["Transportadora Brandão"]
    assert sorted(plain(leader_search("trans"), "accounts")) == [
        "Transmissão Elétrica",
        "Transportadora Brandão",
    ]
    # Only the last word is a prefix: "tran" alone as a first word is a whole word.
    assert plain(leader_search("tran brandao"), "accounts") == []
    assert plain(leader_search("transportadora bran"), "accounts") == ["Transportadora Brandão"]


def test_two_letters_start_names_but_only_whole_words_of_long_texts(leader_search):
    # Two letters start a word in most interactions and requests: there they match a whole
    # word, from three letters on a prefix (insights/search.py, SearchKind.prefix_from).
    account = AccountFactory(name="Nestlé Brasil")
    StakeholderFactory(account=account, name="Nelson Prado")
    InteractionFactory(account=account, summary="Negociação do reajuste")
    InteractionFactory(account=account, summary="Prazo de ne varietur")
    assert plain(leader_search("ne"), "accounts") == ["Nestlé Brasil"]
    assert plain(leader_search("ne"), "stakeholders") == ["Nelson Prado"]
    assert plain(leader_search("ne"), "interactions") == ["Prazo de ne varietur"]
    assert sorted(plain(leader_search("neg"), "interactions")) == ["Negociação do reajuste"]


def test_frequent_words_read_in_order_find_what_the_index_finds(leader_search, monkeypatch):
    # A word PostgreSQL estimates frequent is looked for by reading rows in order instead of
    # through the GIN index (insights.search.SCAN_KINDS): same matches, same ranking.
    account = AccountFactory(name="Acme Brasil")
    for summary in ["Negociação do contrato", "Negociações anuais", "Almoço", "Visita técnica"]:
        InteractionFactory(account=account, summary=summary)
    make_request(account, received_at=RECEIVED, subject="Negociação de prazo")
    through_the_index = leader_search("negoci")
    monkeypatch.setattr("insights.search.FREQUENT_SHARE", 0.0)  # every word is "frequent"
    # Two candidates: the interactions' two matches are met reading in order; the requests'
    # one is fewer, so there the index takes over.
    monkeypatch.setattr("insights.search.CANDIDATES", 2)
    read_in_order = leader_search("negoci")
    assert plain(read_in_order, "interactions") == plain(through_the_index, "interactions")
    assert sorted(plain(read_in_order, "interactions")) == [
        "Negociação do contrato",
        "Negociações anuais",
    ]
    assert plain(read_in_order, "requests") == ["Negociação de prazo"]


def test_a_frequent_surname_is_read_in_order_too(leader_search, monkeypatch):
    # Stakeholders are read in order for a frequent word as interactions are (a common surname
    # or job title), with the same matches as through the index.
    account = AccountFactory(name="Acme Brasil")
    for name in ["Ana Souza", "Bruno Souza", "Carla Lima", "Davi Souza"]:
        StakeholderFactory(account=account, name=name)
    through_the_index = leader_search("souza")
    monkeypatch.setattr("insights.search.FREQUENT_SHARE", 0.0)  # every word is "frequent"
    monkeypatch.setattr("insights.search.CANDIDATES", 3)
    read_in_order = leader_search("souza")
    assert plain(read_in_order, "stakeholders") == plain(through_the_index, "stakeholders")
    assert sorted(plain(read_in_order, "stakeholders")) == [
        "Ana Souza",
        "Bruno Souza",
        "Davi Souza",
    ]


def test_the_words_of_a_name_meet_by_chance_those_of_a_text_as_a_phrase():
    # Each of two words is in 6 % of the rows, which PostgreSQL estimates as 10-15 % (a word's
    # query is its stem or itself, the last one a prefix): frequent alone. Together, in a text
    # they are taken as a phrase (as frequent as the rarer word: read in order); in a name as
    # met by chance (their shares multiplied, under FREQUENT_SHARE: through the index,
    # insights.search._frequent_kinds). Stakeholders are read in order too (SCAN_KINDS).
    account = AccountFactory()
    names = ["Ana Prado"] * 60 + ["Bia Conceição"] * 60 + ["Caio Lima"] * 880
    Stakeholder.objects.bulk_create(
        Stakeholder(account=account, name=name, email=f"p{n}@example.com")
        for n, name in enumerate(names)
    )
    Interaction.objects.bulk_create(
        InteractionFactory.build(account=account, summary=name, notes="") for name in names
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_stakeholder, activities_interaction")
        assert _frequent_kinds(cursor, KINDS, "ana") == {"stakeholders", "interactions"}
        assert _frequent_kinds(cursor, KINDS, "ana conceição") == {"interactions"}


def test_names_english_words_and_stop_words_match_as_typed(leader_search):
    account = AccountFactory(name="Banco do Brasil", tax_id="12.345.678/0001-90")
    StakeholderFactory(account=account, name="Ana Souza", email="ana.souza@bb.com.br")
    InteractionFactory(account=account, summary="Call about volume forecast for next quarter")
    assert plain(leader_search("banco do brasil"), "accounts") == ["Banco do Brasil"]
    assert plain(leader_search("12345678000190"), "accounts") == ["Banco do Brasil"]
    assert plain(leader_search("ana.souza@bb.com.br"), "stakeholders") == ["Ana Souza"]
    assert plain(leader_search("souza"), "stakeholders") == ["Ana Souza"]
    assert plain(leader_search("forecast quarter"), "interactions") == [
        "Call about volume forecast for next quarter"
    ]


def test_results_are_ranked_best_first(leader_search):
    # The name (weight A) outranks a mention in the notes (weight D); two matches outrank one.
    weak = InteractionFactory(summary="Visita técnica", notes="Falamos de logística no fim")
    strong = InteractionFactory(summary="Logística: revisão da logística")
    middle = InteractionFactory(summary="Plano de logística")
    hits = next(g for g in leader_search("logistica") if g.kind == "interactions").hits
    assert [hit.pk for hit in hits] == [strong.pk, middle.pk, weak.pk]
    assert hits[0].rank > hits[1].rank > hits[2].rank


def test_matches_are_highlighted_and_the_text_escaped(leader_search):
    InteractionFactory(summary="<b>Negociação</b> em São Paulo")
    [title] = titles(leader_search("sao paulo"), "interactions")
    assert title == "&lt;b&gt;Negociação&lt;/b&gt; em <mark>São</mark> <mark>Paulo</mark>"


def test_every_kind_is_searched_and_grouped_in_order(leader_search):
    account = AccountFactory(name="Magalhães Logística")
    StakeholderFactory(account=account, name="Rita Magalhães")
    AccountPlanFactory(account=account, title="Plano Magalhães 2026")
    InteractionFactory(account=account, summary="Visita à Magalhães")
    make_request(account, received_at=RECEIVED, subject="Pedido da Magalhães")
    groups = leader_search("magalhaes")
    assert [group.kind for group in groups] == KIND_KEYS
    assert all(len(group.hits) == 1 for group in groups)
    urls = [group.hits[0].url for group in groups]
    assert urls[0] == reverse("account_detail", args=[account.pk])
    assert all(str(account.pk) in url for url in urls)


def test_per_kind_caps_each_group(leader_search):
    for number in range(7):
        AccountFactory(name=f"Gonçalves {number}")
    assert len(titles(leader_search("goncalves"), "accounts")) == 5
    assert len(titles(leader_search("goncalves", per_kind=3), "accounts")) == 3


@pytest.mark.parametrize("text", ["", " ", "a", "&|!():*'\\", "'"])
def test_nothing_to_look_for_runs_no_query(leader, text, django_assert_num_queries):
    AccountFactory(name="Acme")
    with django_assert_num_queries(0):
        assert global_search(leader, text) == []


@pytest.mark.parametrize("text", ["a & b", "x | y", "!(ab)", "ab:*", "o'brien", "c++ / c#", "ab\\"])
def test_tsquery_syntax_in_the_text_is_never_an_error(leader, text):
    AccountFactory(name="Acme")
    global_search(leader, text)  # no ProgrammingError


def test_query_words_keep_email_and_tax_id_joiners():
    assert query_words(" Ana.Souza@bb.com.br, 12.345.678/0001-90 -x- 'oi' ") == [
        "Ana.Souza@bb.com.br",
        "12.345.678/0001-90",
        "x",
        "oi",
    ]
    assert search_query("x") is None


def test_an_outsider_finds_nothing_of_accounts_they_may_not_see(
    account, kam_user, team_member, outsider, leader
):
    StakeholderFactory(account=account, name="Paula Prado")
    AccountPlanFactory(account=account, title="Acme Industrial plan")
    InteractionFactory(account=account, summary="Acme Industrial QBR")
    make_request(account, received_at=RECEIVED, subject="Acme Industrial invoice")
    mine = AccountFactory(name="Acme Industrial Outsider Branch", owner=outsider)
    for text in ("Acme Industrial", "acme", "Paula Prado"):
        groups = global_search(outsider, text)
        assert {hit.pk for group in groups for hit in group.hits} <= {mine.pk}
    assert plain(global_search(outsider, "Acme Industrial"), "accounts") == [
        "Acme Industrial Outsider Branch"
    ]
    for user in (kam_user, team_member, leader):
        groups = global_search(user, "Acme Industrial")
        assert [group.kind for group in groups][:1] == ["accounts"]
        assert {g.kind for g in groups} == {"accounts", "plans", "interactions", "requests"}
    assert plain(global_search(kam_user, "Paula Prado"), "stakeholders") == ["Paula Prado"]


def test_inactive_users_find_nothing(account):
    account.owner.is_active = False
    account.owner.save()
    assert global_search(account.owner, "Acme") == []


# The page and the palette.


def test_search_page_lists_grouped_highlighted_results(client_for, account):
    InteractionFactory(account=account, summary="Negociação com a Acme")
    response = client_for(account.owner).get(reverse("search"), {"q": "acme"})
    assert response.status_code == 200
    body = response.text
    assert 'id="search-group-accounts"' in body
    assert 'id="search-group-interactions"' in body
    assert "<mark>Acme</mark> Industrial" in body
    assert reverse("account_detail", args=[account.pk]) in body
    assert "2 results" in body


def test_search_page_in_portuguese(client_for, account):
    account.owner.language = "pt-br"
    account.owner.save()
    response = client_for(account.owner).get(
        reverse("search"), {"q": "acme"}, HTTP_ACCEPT_LANGUAGE="pt-br"
    )
    assert "Contas" in response.text
    assert "1 resultado" in response.text


def test_search_page_without_a_query_shows_the_form(client_for, kam_user):
    response = client_for(kam_user).get(reverse("search"))
    assert response.status_code == 200
    assert 'name="q"' in response.text
    assert 'role="status"' not in response.text.split('id="search-palette"')[0]


def test_search_page_of_one_kind_shows_more(client_for, leader):
    for number in range(12):
        AccountFactory(name=f"Nogueira {number:02d}")
    client = client_for(leader)
    everything = client.get(reverse("search"), {"q": "nogueira"}).text
    assert everything.count('class="fw-semibold"') == 10
    assert "kind=accounts" in everything
    accounts_only = client.get(reverse("search"), {"q": "nogueira", "kind": "accounts"}).text
    assert accounts_only.count('class="fw-semibold"') == 12


def test_palette_gets_only_its_options(client_for, account):
    response = client_for(account.owner).get(
        reverse("search"),
        {"q": "acm"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="search-palette-listbox",
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'role="option"' in response.text
    assert 'id="search-palette-status"' in response.text
    assert reverse("account_detail", args=[account.pk]) in response.text


def test_search_page_refuses_the_anonymous(client):
    response = client.get(reverse("search"), {"q": "acme"})
    assert response.status_code == 302


def test_search_page_query_count_does_not_grow_with_the_data(
    client_for, leader, django_assert_num_queries
):
    client = client_for(leader)
    client.get(reverse("search"), {"q": "souza"})  # session, user, caches warm

    def populate(count):
        for number in range(count):
            account = AccountFactory(name=f"Souza {number}")
            StakeholderFactory(account=account, name=f"Maria Souza {number}")
            AccountPlanFactory(account=account, title=f"Plano Souza {number}")
            InteractionFactory(account=account, summary=f"Visita Souza {number}")
            make_request(account, received_at=RECEIVED, subject=f"Pedido Souza {number}")

    for count in (2, 12):
        populate(count)
        # session, user; the search's transaction (a savepoint here, BEGIN in production)
        # with SET LOCAL enable_seqscan and jit (insights/search.py), the leader's EXPLAIN of
        # how frequent the words are, one statement for the five kinds (accounts,
        # stakeholders, plans, interactions, requests) and the transaction's end; unread
        # notifications.
        with django_assert_num_queries(8):
            response = client.get(reverse("search"), {"q": "souza"})
        assert response.status_code == 200


def test_an_outsider_searching_an_exact_account_name_gets_nothing(client_for, account, outsider):
    InteractionFactory(account=account, summary="Acme Industrial kick-off")
    response = client_for(outsider).get(reverse("search"), {"q": "Acme Industrial"})
    assert response.status_code == 200
    assert "0 results" in response.text
    assert f"/accounts/{account.pk}/" not in response.text


def test_the_frequency_estimate_holds_whatever_plan_the_server_prefers(leader_search):
    # A server tuned towards parallel plans (or any other plan shape) must not break the
    # EXPLAIN that judges how frequent the words are (it once expected one plan shape).
    InteractionFactory(summary="Negociação do contrato")
    with connection.cursor() as cursor:
        cursor.execute(
            "SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;"
            " SET min_parallel_table_scan_size = 0; SET min_parallel_index_scan_size = 0"
        )
    try:
        assert plain(leader_search("2026-01-01T00:00:00+16:00 negoci"), "interactions") == []
        assert plain(leader_search("negoci"), "interactions") == ["Negociação do contrato"]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ALL")
