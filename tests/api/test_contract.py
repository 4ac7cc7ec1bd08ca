"""The API answers what its schema says, whatever the input: JSON errors in one shape wherever
they are raised, query parameters read strictly, bodies that cannot be read refused with a 400
(never a 500), in the caller's language. tests/api/test_schemathesis.py fuzzes the same."""

import json

import pytest
from django.test import Client

from api.services import api_token_create
from tests.factories import AccountFactory

LIST_URLS = [
    "/api/v1/accounts/",
    "/api/v1/stakeholders/",
    "/api/v1/interactions/",
    "/api/v1/commitments/",
    "/api/v1/qbrs/",
    "/api/v1/plans/",
    "/api/v1/objectives/",
    "/api/v1/opportunities/",
    "/api/v1/risks/",
    "/api/v1/health-scores/",
    "/api/v1/tier-changes/",
]


@pytest.fixture
def wire(kam_user):
    """A plain Django client with a token (the request goes through every middleware, the URL
    resolver and Django's own request parsing, as over the network)."""
    _token, secret = api_token_create(user=kam_user, name="contract")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", raise_request_exception=False)


@pytest.fixture
def schema(client):
    return client.get("/api/schema/?format=json").json()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/accounts/0.5/",
        "/api/v1/accounts/abc/",
        "/api/v1/accounts/%C2%B2/",  # "²": a digit to str.isdigit(), not to the route
        "/api/v1/accounts/-1/",
        "/api/v1/accounts/1/nope/",
        "/api/v1/nope/",
        "/api/nope",
    ],
)
def test_a_url_under_api_that_matches_no_route_is_a_json_404(wire, path):
    response = wire.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_pages_keep_their_html_404(client_for, kam_user):
    response = client_for(kam_user).get("/accounts/0.5/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_body_over_the_upload_limit_is_a_json_413(wire, settings, account):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"name": "x" * 2000})
    response = wire.post("/api/v1/accounts/", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "The request body is too large: at most 1000 bytes."}


def test_django_refusing_a_request_under_api_answers_json(wire):
    """A SuspiciousOperation (here a Host outside ALLOWED_HOSTS) is Django's 400: JSON too."""
    response = wire.get("/api/v1/accounts/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response.json() == {"detail": "The request could not be read."}


@pytest.mark.parametrize(
    ("method", "extra", "status"),
    [
        ("delete", {}, 405),
        ("get", {"HTTP_ACCEPT": "text/html"}, 406),
        ("post", {"data": "name=x", "content_type": "text/plain"}, 415),
    ],
)
def test_drf_refusals_are_json_too(wire, method, extra, status):
    response = getattr(wire, method)("/api/v1/accounts/", **extra)
    assert response.status_code == status
    assert list(response.json()) == ["detail"]


def test_a_body_nested_too_deeply_is_a_400_not_a_server_error(wire):
    body = "[" * 50_000 + "]" * 50_000
    response = wire.post("/api/v1/accounts/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "JSON parse error - the body is nested too deeply."}


def test_nul_bytes_in_body_strings_are_refused_naming_the_field(wire, account):
    response = wire.post(
        "/api/v1/stakeholders/",
        json.dumps({"account": account.pk, "name": "Ana\x00", "email": "a\x00@example.com"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"name", "email"}


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("account=1.5", "account"),  # not read as account 1
        ("account=1e3", "account"),
        ("account=%C2%B2", "account"),
        ("account=0", "account"),
        ("account=99999999999999999999", "account"),
        ("page_size=null", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=201", "page_size"),
        ("page_size=2.5", "page_size"),
        ("ordering=secret", "ordering"),
        ("ordering=name,-id", "ordering"),
    ],
)
def test_a_query_parameter_outside_its_schema_is_a_400_naming_it(wire, query, parameter):
    # Every list but the accounts' filters by account; every list pages and orders.
    urls = LIST_URLS[1:] if parameter == "account" else LIST_URLS
    for url in urls:
        response = wire.get(f"{url}?{query}")
        assert response.status_code == 400, url
        assert list(response.json()) == [parameter], url


@pytest.mark.parametrize(
    ("url", "query", "parameter"),
    [
        ("/api/v1/accounts/", "owner=1.5", "owner"),
        ("/api/v1/accounts/", "status=nope", "status"),
        ("/api/v1/stakeholders/", "active=yes", "active"),
        ("/api/v1/stakeholders/", "is_primary=2", "is_primary"),
        ("/api/v1/commitments/", "overdue=maybe", "overdue"),
        ("/api/v1/commitments/", "due_after=2026-02-30", "due_after"),
        ("/api/v1/interactions/", "occurred_after=yesterday", "occurred_after"),
    ],
)
def test_a_filter_value_outside_its_schema_is_a_400_naming_it(wire, url, query, parameter):
    response = wire.get(f"{url}?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [parameter]


def test_a_parameter_sent_twice_is_a_400_naming_it(wire):
    for url in [*LIST_URLS, "/api/v1/portfolio/summary/"]:
        response = wire.get(f"{url}?ordering=id&ordering=-id&region=a&region=b")
        assert response.status_code == 400, url
        assert response.json() == {
            "ordering": ["Send this parameter once."],
            "region": ["Send this parameter once."],
        }


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"name": 3.5}, {"name": ["Not a valid string."]}),
        ({"name": "Co", "employees": "12"}, {"employees": ["A valid integer is required."]}),
        ({"name": "Co", "employees": True}, {"employees": ["A valid integer is required."]}),
        ({"name": "Co", "status": 1}, {"status": ['"1" is not a valid choice.']}),
        (
            {"name": "Co", "team": ["1"]},
            {"team": ["Incorrect type. Expected pk value, received str."]},
        ),
        (
            {"name": "Co", "parent": "1"},
            {"parent": ["Incorrect type. Expected pk value, received str."]},
        ),
    ],
)
def test_body_values_of_another_json_type_than_the_schema_says_are_refused(wire, body, errors):
    response = wire.post("/api/v1/accounts/", json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.json() == errors


def test_numbers_and_booleans_are_read_only_as_json_numbers_and_booleans(wire, kam_user, book):
    deal = {"plan": book.plan.pk, "title": "Deal", "owner": kam_user.pk}
    response = wire.post(
        "/api/v1/opportunities/", json.dumps({**deal, "amount": 10.5}),
        content_type="application/json",
    )  # fmt: skip
    assert response.json() == {"amount": ['Send the number as a string, such as "12500.00".']}
    response = wire.post(
        "/api/v1/opportunities/", json.dumps({**deal, "amount": "10.50", "probability": 40.0}),
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201  # 40.0 is a JSON integer
    response = wire.post(
        "/api/v1/interactions/",
        json.dumps({"account": book.account.pk, "kind": "call", "summary": "Call",
                    "occurred_at": "2026-03-09T10:00:00-03:00", "sentiment": "1"}),
        content_type="application/json",
    )  # fmt: skip
    assert response.json() == {"sentiment": ['"1" is not a valid choice.']}
    response = wire.patch(
        f"/api/v1/stakeholders/{book.champion.pk}/", json.dumps({"is_primary": "yes"}),
        content_type="application/json",
    )  # fmt: skip
    assert response.json() == {"is_primary": ["Must be a valid boolean."]}


@pytest.mark.parametrize(
    ("urls", "query"),
    [
        (LIST_URLS[1:], "account=%00"),
        (LIST_URLS, "ordering=-id%00"),
        (LIST_URLS, "cursor=%00"),
        (LIST_URLS[:1], "industry=a%00b"),
        (LIST_URLS[:1], "q=%00"),
    ],
)
def test_nul_bytes_in_the_list_parameters_are_refused_in_json(wire, urls, query):
    for url in urls:
        response = wire.get(f"{url}?{query}")
        assert response.status_code in (400, 404), url  # 404: an invalid cursor
        assert response["Content-Type"] == "application/json", url


def test_parameters_read_as_the_schema_says(wire, kam_user, account):
    other = AccountFactory(owner=kam_user, name="Zeta")
    names = [row["name"] for row in wire.get("/api/v1/accounts/?ordering=-name").json()["results"]]
    assert names == ["Zeta", "Acme Industrial"]
    assert len(wire.get("/api/v1/accounts/?page_size=1").json()["results"]) == 1
    # Empty is as if not sent (the schema's allowEmptyValue).
    assert len(wire.get("/api/v1/accounts/?page_size=&owner=&ordering=").json()["results"]) == 2
    assert wire.get(f"/api/v1/accounts/?owner={kam_user.pk}").json()["results"]
    assert wire.get("/api/v1/stakeholders/?active=TRUE").status_code == 200
    # Filters are the list's: a row's own URL finds it whatever the query string says.
    assert wire.get(f"/api/v1/accounts/{other.pk}/?status=churned&owner=abc").status_code == 200


def test_a_never_scored_account_has_a_null_health_band_and_pareto_class(wire, account, schema):
    body = wire.get(f"/api/v1/accounts/{account.pk}/").json()
    assert body["health_band"] is None
    assert body["pareto_class"] is None
    fields = schema["components"]["schemas"]["Account"]["properties"]
    assert fields["health_band"]["nullable"] is True
    assert fields["pareto_class"]["nullable"] is True
    # The `unknown` filter includes them, as on the accounts list.
    found = wire.get("/api/v1/accounts/?health_band=unknown").json()["results"]
    assert [row["id"] for row in found] == [account.pk]


def test_errors_speak_the_language_the_request_asks_for(wire, kam_user):
    assert kam_user.language == "en"
    response = wire.get("/api/v1/accounts/?owner=abc", HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9")
    assert response.json() == {"owner": ["Informe um número inteiro."]}
    response = wire.get("/api/v1/accounts/x/", HTTP_ACCEPT_LANGUAGE="pt-BR")
    assert response.json() == {"detail": "Não encontrado."}
    # Without a language the app speaks, the saved one.
    response = wire.get("/api/v1/accounts/?owner=abc", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.json() == {"owner": ["Enter a whole number."]}
    kam_user.language = "pt-br"
    kam_user.save()
    response = wire.get("/api/v1/accounts/?owner=abc")
    assert response.json() == {"owner": ["Informe um número inteiro."]}


def test_the_schema_declares_what_the_parameters_accept(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/accounts/"]["get"]["parameters"]}
    assert parameters["owner"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 2**63 - 1,
    }
    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200}
    assert "-updated_at" in parameters["ordering"]["schema"]["enum"]
    assert all(p["allowEmptyValue"] for p in parameters.values())
    detail = schema["paths"]["/api/v1/accounts/{id}/"]["get"]["parameters"]
    assert detail == [{"in": "path", "name": "id", "schema": {"type": "integer"}, "required": True}]


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/api/v1/accounts/", "get", {"200", "400", "401", "404", "406"}),
        ("/api/v1/accounts/", "post", {"201", "400", "401", "403", "406", "413", "415"}),
        (
            "/api/v1/accounts/{id}/",
            "patch",
            {"200", "400", "401", "403", "404", "406", "409", "413", "415"},
        ),
        (
            "/api/v1/stakeholders/{id}/",
            "patch",
            {"200", "400", "401", "403", "404", "406", "413", "415"},
        ),
        ("/api/v1/risks/{id}/", "delete", {"204", "400", "401", "403", "404", "406"}),
        (
            "/api/v1/commitments/{id}/complete/",
            "post",
            {"200", "400", "401", "403", "404", "406", "413"},
        ),
        ("/api/v1/portfolio/summary/", "get", {"200", "400", "401", "406"}),
    ],
)
def test_every_operation_documents_its_error_statuses(schema, path, method, statuses):
    responses = schema["paths"][path][method]["responses"]
    assert set(responses) == statuses
    for status in statuses - {"200", "201", "204"}:
        content = responses[status]["content"]["application/json"]["schema"]
        assert content["$ref"].rpartition("/")[2] in {"Error", "FieldErrors", "Conflict"}
