"""Every CheckConstraint and UniqueConstraint of every model, walked: through the API, either
no input writes the fields it is about, or breaking it is a 400 naming a field (or the request
as a whole) and writes nothing — never the IntegrityError the database would answer with.

The input serializers check the row against its model's rules before the services write it
(api.serializers.RowRules); a constraint added to a model fails here until it is listed as one
the API can break (BREAKS, with a request that breaks it)."""

from datetime import date, timedelta

from django.apps import apps
from django.db import models, transaction
from rest_framework.settings import api_settings

import api.views  # noqa: F401  (builds the plan rows' input serializers)
from accounts.models import Account
from api.serializers import RowRules
from plans.models import Opportunity

HELD = "2026-03-01T10:00:00-03:00"
FAR = "2200-01-01"
LONG_AGO = "1900-01-01"
PLAYBOOKS = "/api/v1/playbooks/"
# Written by admins only: their requests go as an admin.
ADMIN_URLS = (PLAYBOOKS,)


def input_serializers() -> list[type]:
    """Every input serializer of the API (each is a RowRules; the schema test below checks
    that no request body escapes)."""
    found, todo = [], [RowRules]
    while todo:
        for subclass in todo.pop().__subclasses__():
            found.append(subclass)
            todo.append(subclass)
    return found


def written_by_the_api() -> dict[type, set[str]]:
    written: dict[type, set[str]] = {}
    for serializer in input_serializers():
        written.setdefault(serializer.Meta.model, set()).update(serializer().written_fields())
    return written


def constraints():
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            yield model, constraint


def breakable(model, constraint, written: dict[type, set[str]]) -> bool:
    """Whether some API input writes what the constraint is about: a field of a check's
    condition; the distinguishing (last) field of a unique constraint."""
    fields = written.get(model, set())
    if isinstance(constraint, models.UniqueConstraint):
        return constraint.fields[-1] in fields
    return bool(models.Q(constraint.condition).referenced_base_fields & fields)


def breaks(book, kam_user):
    """A request breaking each constraint the API can break: (method, url, body, the fields
    the 400 may name)."""
    account, plan = book.account, book.plan
    new_account = {"name": "Another Co"}
    person = {"account": account.pk, "name": "Paula Person"}
    interaction = {
        "account": account.pk,
        "kind": "call",
        "occurred_at": HELD,
        "summary": "Call",
    }
    commitment = {
        "account": account.pk,
        "title": "Send it",
        "due_date": "2026-04-01",
        "owner_user": kam_user.pk,
    }
    new_plan = {
        "account": account.pk,
        "title": "Next year",
        "period_start": "2027-01-01",
        "period_end": "2027-12-31",
    }
    objective = {
        "plan": plan.pk,
        "description": "Grow",
        "metric": "Units",
        "baseline": "1",
        "target": "2",
    }
    risk = {"plan": plan.pk, "title": "Churn", "owner": kam_user.pk}
    deal = {"plan": plan.pk, "title": "Deal", "amount": "10.00", "owner": kam_user.pk}
    action = {**commitment, "plan": plan.pk}
    playbook = {"name": "Rescue", "trigger": "qbr_overdue"}
    step = {"title": "Call", "owner_role": "account_owner", "due_offset_days": 1}
    hold = f"/api/v1/qbrs/{book.qbr.pk}/hold/"
    new_request = {"account": account.pk, "subject": "Copy", "received_at": HELD}
    answered = book.client_request
    answered_url = f"/api/v1/requests/{answered.pk}/"
    resolved_url = f"/api/v1/requests/{book.resolved_request.pk}/"
    after = lambda row: (row.first_response_at + timedelta(hours=1)).isoformat()  # noqa: E731
    account_url = f"/api/v1/accounts/{account.pk}/"
    champion_url = f"/api/v1/stakeholders/{book.champion.pk}/"
    return {
        "account_external_id_unique": (
            "post", "/api/v1/accounts/", {**new_account, "external_id": "ERP-1"},
            {"external_id"},
        ),
        "account_not_own_parent": (
            "patch", account_url, {"parent": account.pk, "version": account.version},
            {"parent"},
        ),
        "account_status_valid": ("post", "/api/v1/accounts/", {**new_account, "status": "x"},
                                 {"status"}),
        "account_currency_valid": ("post", "/api/v1/accounts/",
                                   {**new_account, "currency": "XYZ"}, {"currency"}),
        "account_contract_start_range": ("post", "/api/v1/accounts/",
                                         {**new_account, "contract_start": LONG_AGO},
                                         {"contract_start"}),
        "account_renewal_date_range": ("post", "/api/v1/accounts/",
                                       {**new_account, "renewal_date": FAR}, {"renewal_date"}),
        "account_first_purchase_range": ("post", "/api/v1/accounts/",
                                         {**new_account, "first_purchase_date": FAR},
                                         {"first_purchase_date"}),
        "account_renewal_not_before_start": (
            "post", "/api/v1/accounts/",
            {**new_account, "contract_start": "2026-01-01", "renewal_date": "2025-01-01"},
            {"renewal_date"},
        ),
        "stakeholder_influence_1_to_5": ("post", "/api/v1/stakeholders/",
                                         {**person, "influence": 9}, {"influence"}),
        "stakeholder_role_valid": ("post", "/api/v1/stakeholders/",
                                   {**person, "buying_role": "x"}, {"buying_role"}),
        "stakeholder_stance_valid": ("post", "/api/v1/stakeholders/", {**person, "stance": "x"},
                                     {"stance"}),
        "stakeholder_not_own_manager": ("patch", champion_url,
                                        {"reports_to": book.champion.pk}, {"reports_to"}),
        "stakeholder_left_on_range": ("post", "/api/v1/stakeholders/",
                                      {**person, "left_on": LONG_AGO}, {"left_on"}),
        "stakeholder_external_id_unique": ("post", "/api/v1/stakeholders/",
                                           {**person, "external_id": "CRM-1"}, {"external_id"}),
        "interaction_kind_valid": ("post", "/api/v1/interactions/",
                                   {**interaction, "kind": "x"}, {"kind"}),
        "interaction_sentiment_range": ("post", "/api/v1/interactions/",
                                        {**interaction, "sentiment": 7}, {"sentiment"}),
        "interaction_category_valid": ("post", "/api/v1/interactions/",
                                       {**interaction, "category": "x"}, {"category"}),
        "interaction_occurred_at_range": ("post", "/api/v1/interactions/",
                                          {**interaction, "occurred_at": "1900-01-01T10:00Z"},
                                          {"occurred_at"}),
        "qbr_rating_1_to_5": ("post", hold, {"held_at": HELD, "rating": 9}, {"rating"}),
        "qbr_held_at_iff_held": (
            "post", f"/api/v1/qbrs/{book.held_qbr.pk}/hold/", {"held_at": HELD},
            {api_settings.NON_FIELD_ERRORS_KEY},
        ),
        "qbr_scheduled_on_range": ("post", "/api/v1/qbrs/",
                                   {"account": account.pk, "scheduled_on": FAR},
                                   {"scheduled_on"}),
        "qbr_held_at_range": ("post", hold, {"held_at": "1900-01-01T10:00Z"}, {"held_at"}),
        "commitment_exactly_one_owner": (
            "post", "/api/v1/commitments/", {**commitment, "owner_stakeholder": book.buyer.pk},
            {"owner_user", "owner_stakeholder"},
        ),
        "commitment_due_date_range": ("post", "/api/v1/commitments/",
                                      {**commitment, "due_date": FAR}, {"due_date"}),
        "plan_one_active_per_account": ("post", "/api/v1/plans/",
                                        {**new_plan, "status": "active"}, {"account", "status"}),
        "plan_period_ordered": ("post", "/api/v1/plans/",
                                {**new_plan, "period_end": "2026-06-01"}, {"period_end"}),
        "plan_status_valid": ("post", "/api/v1/plans/", {**new_plan, "status": "x"}, {"status"}),
        "plan_period_start_range": ("post", "/api/v1/plans/",
                                    {**new_plan, "period_start": LONG_AGO}, {"period_start"}),
        "plan_period_end_range": ("post", "/api/v1/plans/", {**new_plan, "period_end": FAR},
                                  {"period_end"}),
        "objective_target_differs_from_baseline": ("post", "/api/v1/objectives/",
                                                   {**objective, "target": "1"}, {"target"}),
        "objective_status_valid": ("post", "/api/v1/objectives/", {**objective, "status": "x"},
                                   {"status"}),
        "objective_due_date_range": ("post", "/api/v1/objectives/",
                                     {**objective, "due_date": FAR}, {"due_date"}),
        "risk_severity_1_to_5": ("post", "/api/v1/risks/", {**risk, "severity": 9},
                                 {"severity"}),
        "risk_likelihood_1_to_5": ("post", "/api/v1/risks/", {**risk, "likelihood": 0},
                                   {"likelihood"}),
        "risk_status_valid": ("post", "/api/v1/risks/", {**risk, "status": "x"}, {"status"}),
        "opportunity_probability_0_to_100": ("post", "/api/v1/opportunities/",
                                             {**deal, "probability": 101}, {"probability"}),
        "opportunity_amount_not_neg": ("post", "/api/v1/opportunities/",
                                       {**deal, "amount": "-1.00"}, {"amount"}),
        "opportunity_stage_valid": ("post", "/api/v1/opportunities/", {**deal, "stage": "x"},
                                    {"stage"}),
        "opportunity_kind_valid": ("post", "/api/v1/opportunities/", {**deal, "kind": "x"},
                                   {"kind"}),
        "opportunity_expected_close_range": ("post", "/api/v1/opportunities/",
                                             {**deal, "expected_close": FAR},
                                             {"expected_close"}),
        # A plan action is an agreed item: /api/v1/commitments/ with `plan`.
        "commitment_links_at_most_one": (
            "post", "/api/v1/commitments/",
            {**action, "objective": book.objective.pk, "risk": book.risk.pk},
            {"objective", "opportunity", "risk"},
        ),
        "client_request_channel_valid": ("post", "/api/v1/requests/",
                                         {**new_request, "channel": "x"}, {"channel"}),
        "client_request_priority_valid": ("post", "/api/v1/requests/",
                                          {**new_request, "priority": "x"}, {"priority"}),
        "client_request_received_at_range": ("post", "/api/v1/requests/",
                                             {**new_request, "received_at": "1900-01-01T10:00Z"},
                                             {"received_at"}),
        "client_request_response_not_before_received": (
            "patch", answered_url, {"received_at": after(answered), "version": answered.version},
            {"received_at"},
        ),
        "client_request_resolved_not_before_received": (
            "patch", resolved_url,
            {"received_at": after(book.resolved_request),
             "version": book.resolved_request.version},
            {"received_at"},
        ),
        # Playbooks are written by admins (ADMIN_URLS).
        "playbook_trigger_valid": ("post", PLAYBOOKS, {**playbook, "trigger": "x"},
                                   {"trigger"}),
        "playbook_band_iff_health_trigger": ("post", PLAYBOOKS,
                                             {**playbook, "trigger": "health_band"}, {"band"}),
        "playbook_days_in_range": ("post", PLAYBOOKS, {**playbook, "days": 99999}, {"days"}),
        "playbook_step_owner_valid": ("post", PLAYBOOKS,
                                      {**playbook, "steps": [{**step, "owner_role": "x"}]},
                                      {"steps"}),
        "playbook_step_user_iff_named": ("post", PLAYBOOKS,
                                         {**playbook, "steps": [{**step,
                                                                 "owner_role": "named_user"}]},
                                         {"steps"}),
        "playbook_step_offset_range": ("post", PLAYBOOKS,
                                       {**playbook, "steps": [{**step, "due_offset_days": -1}]},
                                       {"steps"}),
        "commitment_links_need_plan": (
            "patch", f"/api/v1/commitments/{book.commitment.pk}/",
            {"risk": book.risk.pk, "version": book.commitment.version},
            {"objective", "opportunity", "risk"},
        ),
    }  # fmt: skip


def _rows() -> dict[str, list[dict]]:
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for app in ("accounts", "activities", "plans")
        for model in apps.get_app_config(app).get_models(include_auto_created=True)
    }


def test_every_constraint_is_a_400_through_the_api_or_not_writable_through_it(
    api_as, kam_user, admin_user, book, now
):
    Account.objects.filter(pk=book.account.pk).update(external_id="ERP-1")
    book.account.refresh_from_db()
    book.champion.external_id = "CRM-1"
    book.champion.save()
    requests = breaks(book, kam_user)
    written = written_by_the_api()
    before = _rows()
    problems, tried = [], set()
    for model, constraint in constraints():
        name = constraint.name
        if not breakable(model, constraint, written):
            if name in requests:
                problems.append(f"{name}: listed, but no API input writes its fields")
            continue
        if name not in requests:
            problems.append(f"{name} ({model._meta.label}): the API writes its fields; add a "
                            "request that breaks it to BREAKS")  # fmt: skip
            continue
        tried.add(name)
        method, url, body, fields = requests[name]
        with transaction.atomic():  # a server error must not end the walk
            client = api_as(admin_user if url.startswith(ADMIN_URLS) else kam_user)
            try:
                response = getattr(client, method)(url, body, format="json")
            except Exception as error:
                problems.append(f"{name}: {type(error).__name__}: {error}")
                continue
        if response.status_code != 400 or not set(response.json()) & fields:
            problems.append(f"{name}: {response.status_code} {response.content[:300]!r}")
    assert not problems, "\n".join(problems)
    assert sorted(set(requests) - tried) == []  # no stale entry
    assert _rows() == before  # nothing written


def test_a_negative_opportunity_amount_is_refused_naming_the_field(api_as, kam_user, book, now):
    response = api_as(kam_user).post(
        "/api/v1/opportunities/",
        {"plan": book.plan.pk, "title": "Deal", "amount": "-5.00", "owner": kam_user.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"amount": ["Ensure this value is greater than or equal to 0."]}
    assert not Opportunity.objects.filter(title="Deal").exists()


def test_a_duplicate_external_id_within_an_account_is_a_400_not_an_integrity_error(
    api_as, kam_user, book, now
):
    client = api_as(kam_user)
    body = {"account": book.account.pk, "name": "One", "external_id": "CRM-7"}
    assert client.post("/api/v1/stakeholders/", body, format="json").status_code == 201
    response = client.post("/api/v1/stakeholders/", {**body, "name": "Two"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["external_id"]
    # The same external id in another account is fine (the rule is per account).
    other = (
        api_as(kam_user)
        .post("/api/v1/accounts/", {"name": "Elsewhere"}, format="json")
        .json()["id"]
    )
    assert (
        client.post("/api/v1/stakeholders/", {**body, "account": other}, format="json").status_code
        == 201
    )


def test_model_rules_across_fields_keep_their_words(api_as, kam_user, book, now):
    """Model.clean() words the rules the constraints hold (the API, the forms and the services
    alike): not the generic message of a constraint check."""
    client = api_as(kam_user)
    response = client.post(
        "/api/v1/objectives/",
        {"plan": book.plan.pk, "description": "Grow", "metric": "Units", "baseline": "3",
         "target": "3"},
        format="json",
    )  # fmt: skip
    assert response.json() == {
        "target": ["The target must differ from the baseline, or there is nothing to achieve."]
    }
    response = client.patch(
        f"/api/v1/stakeholders/{book.champion.pk}/",
        {"reports_to": book.champion.pk},
        format="json",
    )
    assert response.json() == {"reports_to": ["A stakeholder cannot report to themselves."]}


def test_every_request_body_of_the_schema_is_checked_against_its_model(client):
    """Each operation's body is one of RowRules' serializers (input_serializers above)."""
    schema = client.get("/api/schema/?format=json").json()
    bodies = {
        operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rpartition("/")[2]
        for operations in schema["paths"].values()
        for operation in operations.values()
        if "requestBody" in operation
    }
    checked = {cls.__name__.removesuffix("Serializer") for cls in input_serializers()}
    names = {body.removeprefix("Patched").removesuffix("Request") for body in bodies}
    assert names and names <= checked, names - checked


def test_a_partial_update_checks_the_row_as_it_would_be_saved(api_as, kam_user, book, now):
    """A PATCH of renewal_date alone is checked against the contract start already saved."""
    Account.objects.filter(pk=book.account.pk).update(contract_start=date(2026, 1, 1))
    book.account.refresh_from_db()
    response = api_as(kam_user).patch(
        f"/api/v1/accounts/{book.account.pk}/",
        {"renewal_date": "2025-06-01", "version": book.account.version},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["renewal_date"]
