"""Property-based run over the whole OpenAPI schema (schemathesis): every operation, as a
leader with a token, over demo-like data. Generated requests (valid by the schema, then
invalid) must never get a 5xx, and every response must match the schema.

Bounded so it stays around a minute on two cores: EXAMPLES per operation with generated ids,
the same again on real objects, and NEGATIVE_EXAMPLES schema-violating requests."""

from collections import Counter

import pytest
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.openapi import from_wsgi
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.services import api_token_create
from tests.api.conftest import build_book, score
from tests.factories import AccountFactory

EXAMPLES = 10
NEGATIVE_EXAMPLES = 5

RUN = settings(
    deadline=None,
    database=None,  # no example database: every CI run starts from the same seed
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def wsgi_app():
    """The real WSGI application, called in this test's transaction. Like Django's test client,
    keep the request signals from closing the connection (and with it the transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def demo(leader, kam_user, team_member, outsider, settings):
    """Two KAMs' books, scored, and a leader's token."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]  # schemathesis' WSGI host
    today = timezone.localdate()
    first = AccountFactory(name="Acme Industrial", owner=kam_user)
    first.team.add(team_member)
    books = [build_book(first, kam_user, today)]
    books.append(build_book(AccountFactory(name="Outsider Corp", owner=outsider), outsider, today))
    score(today)
    _token, secret = api_token_create(user=leader, name="schemathesis")
    return books, {"Authorization": f"Bearer {secret}"}


def real_ids(book) -> dict[str, int]:
    """An existing object behind each collection, for the `{id}` of its detail operations."""
    return {
        "accounts": book.account.pk,
        "stakeholders": book.champion.pk,
        "interactions": book.interaction.pk,
        "commitments": book.commitment.pk,
        "qbrs": book.qbr.pk,
        "plans": book.plan.pk,
        "objectives": book.objective.pk,
        "opportunities": book.opportunity.pk,
        "risks": book.risk.pk,
        "actions": book.action.pk,
        "health-scores": book.account.health_scores.first().pk,
        "tier-changes": book.account.tier_changes.first().pk,
    }


def _run(strategy, headers, checks, examples: int, statuses: Counter) -> None:
    @settings(RUN, max_examples=examples)
    @given(case=strategy)
    def check(case):
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=checks)

    check()


def test_whole_schema_no_server_errors_and_responses_match(demo, wsgi_app):
    books, headers = demo
    ids = real_ids(books[0])
    schema = from_wsgi("/api/schema/", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    conformance = [not_a_server_error, response_schema_conformance]
    failures, statuses = [], Counter()
    for operation in operations:
        strategies = [(operation.as_strategy(), conformance, EXAMPLES)]
        if "{id}" in operation.path:
            collection = operation.path.split("/")[3]
            fixed = operation.as_strategy(path_parameters={"id": ids[collection]})
            strategies.append((fixed, conformance, EXAMPLES))
        negative = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
        strategies.append((negative, [not_a_server_error], NEGATIVE_EXAMPLES))
        for strategy, checks, examples in strategies:
            try:
                _run(strategy, headers, checks, examples, statuses)
            except Exception as error:  # collect every operation's failure
                failures.append(f"{operation.label}: {error}")
    assert not failures, "\n\n".join(failures)
    # The run reached the views, not only the validation and the 404s: reads and writes
    # succeeded, bad input was refused.
    assert statuses[200] > 100
    assert statuses[201] + statuses[204] > 0
    assert statuses[400] > 100
    assert set(statuses) <= {200, 201, 204, 400, 401, 404, 405, 406, 409, 415}, statuses
