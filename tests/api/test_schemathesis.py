"""Property-based runs over the whole OpenAPI schema (schemathesis), against the live WSGI
application and the schema it serves, over demo-like data, as a KAM and as a leader each with
a token. Every response must be documented: no 5xx, its status listed for the operation, its
content type and body as the schema says; a request that breaks the schema must be refused.

Bounded for `make test` (CI's budget; two cores): per operation and persona EXAMPLES valid
requests (on a real row where the path takes an id) and NEGATIVE_EXAMPLES that break the
schema; then a stateful run (create, read, update, delete, chained by the links schemathesis
infers) of STATEFUL_SCENARIOS scenarios. Each run prints how many requests it made."""

from collections import Counter

import pytest
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.openapi import from_wsgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Account
from activities.models import Commitment, Playbook
from api.services import api_token_create
from insights.playbooks import playbook_defaults_ensure
from kam.dates import business_date
from plans.models import AccountPlan, Objective, Opportunity, Risk
from tests.api.conftest import build_book, score
from tests.factories import AccountFactory

EXAMPLES = 6
NEGATIVE_EXAMPLES = 4
STATEFUL_SCENARIOS = 25
STATEFUL_STEPS = 6

RUN = settings(
    deadline=None,
    database=None,  # no example database: every CI run starts from the same seed
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)

# Every response: documented status, content type and body, never a server error.
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# A request that breaks the schema (wrong type, out of range, unknown choice...) is refused.
NEGATIVE = [*CONFORMANCE, negative_data_rejection]


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
    """Two KAMs' books, scored; an account not scored yet; a token for the leader and one for
    the KAM."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]  # schemathesis' WSGI host
    today = business_date()
    first = AccountFactory(name="Acme Industrial", owner=kam_user)
    first.team.add(team_member)
    books = [build_book(first, kam_user, today)]
    books.append(build_book(AccountFactory(name="Outsider Corp", owner=outsider), outsider, today))
    score(today)
    AccountFactory(name="Newly Signed", owner=kam_user)  # health band and Pareto class: null
    headers = {}
    for persona, user in {"leader": leader, "kam": kam_user}.items():
        _token, secret = api_token_create(user=user, name="schemathesis")
        # Schemathesis's WSGI client asks for gzip and does not unpack it (GZipMiddleware
        # compresses what it is asked to): the bodies are checked as sent uncompressed.
        headers[persona] = {"Authorization": f"Bearer {secret}", "Accept-Encoding": "identity"}
    return books, headers


def _a_playbook_pk() -> int:
    """One of the shipped playbooks (made again if a flush removed the migration's rows)."""
    playbook_defaults_ensure()
    return Playbook.objects.order_by("pk").values_list("pk", flat=True).first()


def real_ids(book) -> dict[str, int]:
    """An existing object behind each collection, for the `{id}` of its detail operations."""
    return {
        "accounts": book.account.pk,
        "stakeholders": book.champion.pk,
        "interactions": book.interaction.pk,
        "commitments": book.commitment.pk,
        "qbrs": book.qbr.pk,
        "requests": book.client_request.pk,
        "plans": book.plan.pk,
        "objectives": book.objective.pk,
        "opportunities": book.opportunity.pk,
        "risks": book.risk.pk,
        "health-scores": book.account.health_scores.first().pk,
        "tier-changes": book.account.tier_changes.first().pk,
        # Configuration every signed-in user reads (the shipped ones; admins write them).
        "playbooks": _a_playbook_pk(),
    }


def _run(strategy, headers, checks, examples: int, statuses: Counter) -> None:
    @settings(RUN, max_examples=examples)
    @given(case=strategy)
    def check(case):
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=checks)

    check()


def _report(capsys, line: str) -> None:
    with capsys.disabled():
        print(f"\n{line}")


@pytest.mark.parametrize("persona", ["kam", "leader"])
def test_every_operation_answers_as_its_schema_says(persona, demo, wsgi_app, capsys):
    books, headers = demo
    ids = real_ids(books[0])  # the KAM's own book: leaders see it too
    schema = from_wsgi("/api/schema/", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    failures, statuses = [], Counter()
    for operation in operations:
        if "{id}" in operation.path:
            # A generated id finds nothing (the negative run covers those 404s): a real row.
            collection = operation.path.split("/")[3]
            positive = operation.as_strategy(path_parameters={"id": ids[collection]})
        else:
            positive = operation.as_strategy()
        negative = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
        strategies = [(positive, CONFORMANCE, EXAMPLES), (negative, NEGATIVE, NEGATIVE_EXAMPLES)]
        for strategy, checks, examples in strategies:
            try:
                _run(strategy, headers[persona], checks, examples, statuses)
            except (Exception, BaseExceptionGroup) as error:  # every operation's failures
                failures.append(f"{operation.label}: {error}")
    _report(
        capsys,
        f"schemathesis as {persona}: {statuses.total()} requests over {len(operations)} "
        f"operations, statuses {dict(sorted(statuses.items()))}",
    )
    assert not failures, "\n\n".join(failures)
    # The run reached the views, not only the validation and the 404s: reads and writes
    # succeeded, bad input was refused.
    assert statuses[200] > 100
    assert statuses[201] + statuses[204] > 0
    assert statuses[400] > 100
    # 403: a KAM or a leader writing a playbook (configuration is the admins').
    assert set(statuses) <= {200, 201, 204, 400, 401, 403, 404, 406, 409, 413, 415}, statuses


# The stateful run's models by collection, to send the `version` an update must carry.
VERSIONED = {
    "accounts": Account,
    "commitments": Commitment,  # agreed items, plan actions included
    "plans": AccountPlan,
    "objectives": Objective,
    "opportunities": Opportunity,
    "risks": Risk,
}


def test_create_read_update_chains_answer_as_their_schema_says(demo, wsgi_app, kam_user, capsys):
    """As the KAM: schemathesis chains operations by the links it infers from the schema (a
    created row's id into its read, update, delete and actions). Bodies name rows the KAM
    can use (their account, plan, stakeholder and themselves) where the schema can only say
    "an integer", and updates send the version saved, so creates and updates get through."""
    books, headers = demo
    book = books[0]
    schema = from_wsgi("/api/schema/", wsgi_app)
    grounded = {
        "account": book.account.pk,
        "plan": book.plan.pk,
        "owner": kam_user.pk,
        "owner_user": kam_user.pk,
        "owner_stakeholder": None,
        "team": [],
        "attendees": [kam_user.pk],
        "stakeholders": [book.champion.pk],
        "parent": None,
        "reports_to": None,
        "objective": None,
        "opportunity": None,
        "risk": None,
        "product": None,
    }
    steps = Counter()

    class Chains(schema.as_state_machine()):
        # Each scenario starts from the same rows (else one that deleted the opportunity
        # changes what the next one can draw: Hypothesis calls that flaky).
        def setup(self):
            self.savepoint = transaction.savepoint_create()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        def before_call(self, case):
            if isinstance(case.body, dict):
                for name, value in grounded.items():
                    if name in case.body:
                        case.body[name] = value
                for step in case.body.get("next_steps") or []:
                    if isinstance(step, dict):
                        step.update(owner_user=kam_user.pk, owner_stakeholder=None)
                collection = case.operation.path.split("/")[3]
                pk = str(case.path_parameters.get("id", ""))
                # A generated id may be any text (the API answers 404); only a number is a row.
                if (
                    case.method == "PATCH"
                    and collection in VERSIONED
                    and pk.isascii()
                    and pk.isdigit()
                ):
                    row = VERSIONED[collection].objects.filter(pk=int(pk))
                    case.body["version"] = row.values_list("version", flat=True).first() or 1

        def get_call_kwargs(self, case):
            return {"headers": headers["kam"]}

        def after_call(self, response, case):
            super().after_call(response, case)
            steps[response.status_code] += 1

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CONFORMANCE, recorder=self.recorder)

    Chains.run(
        settings=settings(
            RUN,
            phases=[Phase.generate],
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
        )
    )
    _report(
        capsys,
        f"schemathesis stateful as kam: {STATEFUL_SCENARIOS} scenarios, {steps.total()} "
        f"requests, statuses {dict(sorted(steps.items()))}",
    )
    # The chains created and changed rows, not only refused bad input.
    assert steps[201] > 0
    assert steps[200] > 0
