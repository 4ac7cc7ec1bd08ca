"""REST API v1 (docs/api.md). Thin views: every queryset comes from api.selectors (built on
accounts_for_user), input serializers check types, and writes go through the app services so
the API keeps the same rules as the web. A row the caller cannot see is a 404; a change they
may not make to one they see (accounts.selectors.account_permits) is a 403."""

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services as account_services
from accounts.models import Account
from accounts.selectors import Access, account_change_refusals, account_permits, ensure_permitted
from activities import services as activity_services
from activities.services import NextStep
from api import filters, selectors, serializers
from api.pagination import NewestFirstCursor
from insights.playbooks import StepSpec, playbook_delete, playbook_save
from insights.portfolio import portfolio_filters_from_query, portfolio_options, portfolio_summary
from kam.dates import business_date
from plans import services as plan_services
from plans.models import Objective, Opportunity, Risk

# Error responses are documented for every operation in one place: api.schema.error_responses.


def asked_language(request) -> str | None:
    """The first language of the request's Accept-Language that the app speaks, if any."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return None


class UserLanguageMixin:
    """Labels, reasons and errors in the language the request asks for (Accept-Language), else
    the caller's saved one, as on the web. The web's middleware cannot do it for API requests:
    DRF authenticates a token inside the view."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        language = asked_language(request)
        if language is None and request.user.is_authenticated:
            language = request.user.language
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()


class ApiViewSet(UserLanguageMixin, viewsets.GenericViewSet):
    """Reads through the resource's selector; writes answer with the row as read back. A row
    is seen through its account (at `account_path`, "" for an account itself), and changed
    only by who may edit that account (accounts.selectors.account_permits): else 403."""

    output_serializer = None
    account_path = "account"
    # Ids are integers (Django's `int` path converter): any other {id} ("0.5", "abc", "²") is
    # no route, a JSON 404 (kam.views.page_not_found).
    lookup_value_converter = "int"

    def get_serializer_class(self):
        return self.output_serializer

    def filter_queryset(self, queryset):
        # Filters and ?ordering= are the list's parameters (the schema's); a row's own URL
        # finds the row whatever the query string says.
        if self.action != "list":
            return queryset
        filters.refuse_repeated(self.request.query_params)
        return super().filter_queryset(queryset)

    def read_back(self, instance):
        """The row as the caller now sees it, or None when their own write took it out of
        their sight (they left the account's team)."""
        return self.get_queryset().filter(pk=instance.pk).first()

    def output(self, instance, *, status_code=status.HTTP_200_OK):
        row = self.read_back(instance)
        if row is None:
            # Done, and nothing of it left to show them: never a 500 after the commit.
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(
            self.output_serializer(row, context=self.get_serializer_context()).data,
            status=status_code,
        )

    def account_of(self, row) -> Account:
        for name in filter(None, self.account_path.split("__")):
            row = getattr(row, name)
        return row

    def get_object_to(self, action: Access = Access.EDIT):
        """The row (404 when the caller does not see it), if they may do `action` on its
        account (else 403)."""
        row = self.get_object()
        ensure_permitted(self.request.user, self.account_of(row), action)
        return row

    def permit(self, account: Account, action: Access = Access.EDIT) -> None:
        """For a row about to be added to `account` (one the caller sees): 403 unless they
        may do `action` on it."""
        ensure_permitted(self.request.user, account, action)

    def validated(self, serializer_class, *, instance=None, partial=False) -> dict:
        serializer = serializer_class(
            instance=instance,
            data=self.request.data,
            partial=partial,
            context=self.get_serializer_context(),
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


def _next_steps(rows) -> list[NextStep]:
    return [
        NextStep(
            title=row["title"],
            due_date=row["due_date"],
            owner_user=row.get("owner_user"),
            owner_stakeholder=row.get("owner_stakeholder"),
        )
        for row in rows
    ]


# --- accounts ---------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List accounts"),
    retrieve=extend_schema(
        summary="Get an account", responses={200: serializers.AccountSerializer}
    ),
)
class AccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Accounts you own or are on the team of (leaders and admins: all). Tier, Pareto class and
    health are computed by the nightly jobs and read-only here; `revenue_12m` is in the
    account's currency."""

    output_serializer = serializers.AccountSerializer
    account_path = ""
    filterset_class = filters.AccountFilter
    ordering_fields = ["name", "id", "created_at", "updated_at"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.api_accounts(self.request.user, business_date())

    @extend_schema(
        summary="Create an account",
        request=serializers.AccountInputSerializer,
        responses={201: serializers.AccountSerializer},
    )
    def create(self, request):
        data = self.validated(serializers.AccountInputSerializer)
        team = data.pop("team", [])
        # Asked as if the caller owned the new account: may they hand it to someone else?
        if not account_permits(request.user, Account(owner=request.user), Access.CHANGE_OWNER):
            owner = data.get("owner")
            if owner is not None and owner.pk != request.user.pk:
                raise ValidationError(
                    {"owner": [_("A key account manager creates accounts for themselves.")]}
                )
            data["owner"] = request.user
        elif "owner" not in data:
            raise ValidationError({"owner": [_("This field is required.")]})
        account = account_services.account_create(actor=request.user, team=team, **data)
        return self.output(account, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Update an account",
        request=serializers.AccountUpdateSerializer,
        responses={200: serializers.AccountSerializer},
    )
    def partial_update(self, request, pk=None):
        account = self.get_object_to(Access.EDIT)
        data = self.validated(serializers.AccountUpdateSerializer, instance=account, partial=True)
        if "version" not in data:
            raise ValidationError({"version": [_("This field is required.")]})
        refused = account_change_refusals(
            request.user, account, owner=data.get("owner"), team=data.get("team")
        )
        if refused:
            raise PermissionDenied({field: [reason] for field, reason in refused.items()})
        expected = data.pop("version")
        team = data.pop("team", None)
        account = account_services.account_update(
            account=account, expected_version=expected, actor=request.user, team=team, **data
        )
        return self.output(account)


# --- stakeholders -----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List stakeholders"),
    retrieve=extend_schema(
        summary="Get a stakeholder",
        responses={200: serializers.StakeholderSerializer},
    ),
)
class StakeholderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    output_serializer = serializers.StakeholderSerializer
    filterset_class = filters.StakeholderFilter
    ordering_fields = ["name", "id", "created_at"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.api_stakeholders(self.request.user)

    @extend_schema(
        summary="Add a stakeholder",
        request=serializers.StakeholderInputSerializer,
        responses={201: serializers.StakeholderSerializer},
    )
    def create(self, request):
        data = self.validated(serializers.StakeholderInputSerializer)
        self.permit(data["account"])
        person = account_services.stakeholder_create(actor=request.user, **data)
        return self.output(person, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Update a stakeholder",
        request=serializers.StakeholderUpdateSerializer,
        responses={200: serializers.StakeholderSerializer},
    )
    def partial_update(self, request, pk=None):
        person = self.get_object_to(Access.EDIT)
        data = self.validated(
            serializers.StakeholderUpdateSerializer, instance=person, partial=True
        )
        person = account_services.stakeholder_update(stakeholder=person, actor=request.user, **data)
        return self.output(person)


# --- interactions and commitments -------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List interactions"),
    retrieve=extend_schema(
        summary="Get an interaction",
        responses={200: serializers.InteractionSerializer},
    ),
)
class InteractionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    output_serializer = serializers.InteractionSerializer
    filterset_class = filters.InteractionFilter
    ordering_fields = ["occurred_at", "id"]
    ordering = ["-occurred_at"]

    def get_queryset(self):
        return selectors.api_interactions(self.request.user)

    @extend_schema(
        summary="Log an interaction with its next steps",
        description="As the quick log: the interaction and one commitment per next step are "
        "written together, or nothing is. Owners of next steps are the account's team or its "
        "active stakeholders; due dates are not before the interaction.",
        request=serializers.InteractionInputSerializer,
        responses={201: serializers.InteractionSerializer},
    )
    def create(self, request):
        data = self.validated(serializers.InteractionInputSerializer)
        self.permit(data["account"])
        interaction = activity_services.interaction_log(
            account=data["account"],
            actor=request.user,
            kind=data["kind"],
            occurred_at=data["occurred_at"],
            summary=data["summary"],
            stakeholders=data.get("stakeholders", []),
            notes=data.get("notes", ""),
            sentiment=data.get("sentiment", 0),
            category=data.get("category", "evolution"),
            next_steps=_next_steps(data.get("next_steps", [])),
        )
        return self.output(interaction, status_code=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List commitments"),
    retrieve=extend_schema(
        summary="Get a commitment",
        responses={200: serializers.CommitmentSerializer},
    ),
)
class CommitmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Agreed items, whatever their source: one resource (docs/api.md)."""

    output_serializer = serializers.CommitmentSerializer
    filterset_class = filters.CommitmentFilter
    ordering_fields = ["due_date", "id", "created_at"]
    ordering = ["due_date"]

    def get_queryset(self):
        return selectors.api_commitments(self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": business_date()}

    @extend_schema(
        summary="Add an agreed item",
        description=(
            "With `plan`, the item is one of that plan's actions (recorded on the plan's "
            "history too)."
        ),
        request=serializers.CommitmentInputSerializer,
        responses={201: serializers.CommitmentSerializer},
    )
    def create(self, request):
        data = self.validated(serializers.CommitmentInputSerializer)
        self.permit(data["account"])
        plan = data.pop("plan", None)
        links = {name: data.pop(name, None) for name in ("objective", "opportunity", "risk")}
        if plan is not None:
            data.pop("owner_stakeholder", None)
            commitment = plan_services.action_create(
                plan=plan, actor=request.user, title=data["title"], due_date=data["due_date"],
                owner_user=data["owner_user"], **links,
            )  # fmt: skip
        else:
            for name, value in links.items():
                if value is not None:
                    raise ValidationError({name: [_("Only a plan action links to a plan row.")]})
            commitment = activity_services.commitment_create(actor=request.user, **data)
        return self.output(commitment, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit, reschedule or reassign",
        request=serializers.CommitmentUpdateSerializer,
        responses={200: serializers.CommitmentSerializer},
    )
    def partial_update(self, request, pk=None):
        commitment = self.get_object_to(Access.EDIT)
        data = self.validated(
            serializers.CommitmentUpdateSerializer, instance=commitment, partial=True
        )
        if "version" not in data:
            raise ValidationError({"version": [_("This field is required.")]})
        expected = data.pop("version")
        reason = data.pop("reason", "")
        if commitment.plan_id is not None:
            commitment = plan_services.action_update(
                action=commitment, actor=request.user, expected_version=expected,
                reason=reason, **data,
            )  # fmt: skip
        else:
            commitment = activity_services.commitment_update(
                commitment=commitment, actor=request.user, expected_version=expected,
                reason=reason, **data,
            )  # fmt: skip
        return self.output(commitment)

    def _transition(self, service, **kwargs):
        commitment = service(
            commitment=self.get_object_to(Access.EDIT), actor=self.request.user, **kwargs
        )
        return self.output(commitment)

    @extend_schema(
        summary="Mark done",
        request=None,
        responses={200: serializers.CommitmentSerializer},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._transition(activity_services.commitment_complete)

    @extend_schema(
        summary="Reopen",
        request=serializers.CommitmentReasonSerializer,
        responses={200: serializers.CommitmentSerializer},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        data = self.validated(serializers.CommitmentReasonSerializer)
        return self._transition(activity_services.commitment_reopen, reason=data.get("reason", ""))

    @extend_schema(
        summary="Cancel (with a reason)",
        request=serializers.CommitmentReasonSerializer,
        responses={200: serializers.CommitmentSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = self.validated(serializers.CommitmentReasonSerializer)
        return self._transition(activity_services.commitment_cancel, reason=data.get("reason", ""))

    @extend_schema(
        summary="History of the item",
        request=None,
        responses={200: serializers.CommitmentEventSerializer(many=True)},
    )
    # The whole history, newest first (an item's history is short): one list, no pages, no
    # list filters.
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        commitment = self.get_object_to(Access.VIEW)
        events = selectors.api_commitment_events(commitment)
        return Response(serializers.CommitmentEventSerializer(events, many=True).data)


# --- client requests --------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List client requests"),
    retrieve=extend_schema(
        summary="Get a client request",
        responses={200: serializers.ClientRequestSerializer},
    ),
)
class ClientRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Client requests with their SLA clocks (first response and resolution), due moments in
    business hours of the account's working calendar and targets from its tier."""

    output_serializer = serializers.ClientRequestSerializer
    filterset_class = filters.ClientRequestFilter
    ordering_fields = ["received_at", "first_response_due_at", "resolution_due_at", "id"]
    ordering = ["-received_at"]

    def get_queryset(self):
        return selectors.api_requests(self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(
        summary="Record a client request",
        request=serializers.ClientRequestInputSerializer,
        responses={201: serializers.ClientRequestSerializer},
    )
    def create(self, request):
        data = self.validated(serializers.ClientRequestInputSerializer)
        self.permit(data["account"])
        created = activity_services.request_create(actor=request.user, **data)
        return self.output(created, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Update a client request",
        request=serializers.ClientRequestUpdateSerializer,
        responses={200: serializers.ClientRequestSerializer},
    )
    def partial_update(self, request, pk=None):
        row = self.get_object_to(Access.EDIT)
        data = self.validated(serializers.ClientRequestUpdateSerializer, instance=row, partial=True)
        if "version" not in data:
            raise ValidationError({"version": [_("This field is required.")]})
        expected = data.pop("version")
        row = activity_services.request_update(
            client_request=row, actor=request.user, expected_version=expected, **data
        )
        return self.output(row)

    def _moment(self, service):
        row = self.get_object_to(Access.EDIT)
        data = self.validated(serializers.RequestMomentSerializer)
        row = service(
            client_request=row, at=data.get("at") or timezone.now(), actor=self.request.user
        )
        return self.output(row)

    @extend_schema(
        summary="Record the first response (once)",
        request=serializers.RequestMomentSerializer,
        responses={200: serializers.ClientRequestSerializer},
    )
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        return self._moment(activity_services.request_respond)

    @extend_schema(
        summary="Resolve (an unanswered request is answered by it)",
        request=serializers.RequestMomentSerializer,
        responses={200: serializers.ClientRequestSerializer},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._moment(activity_services.request_resolve)

    @extend_schema(
        summary="Reopen a resolved request",
        request=None,
        responses={200: serializers.ClientRequestSerializer},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        row = activity_services.request_reopen(
            client_request=self.get_object_to(Access.EDIT), actor=request.user
        )
        return self.output(row)


# --- QBRs -------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List QBRs"),
    retrieve=extend_schema(summary="Get a QBR", responses={200: serializers.QBRSerializer}),
)
class QBRViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    output_serializer = serializers.QBRSerializer
    filterset_class = filters.QBRFilter
    ordering_fields = ["scheduled_on", "id"]
    ordering = ["-scheduled_on"]

    def get_queryset(self):
        return selectors.api_qbrs(self.request.user)

    @extend_schema(
        summary="Schedule a QBR",
        request=serializers.QBRScheduleSerializer,
        responses={201: serializers.QBRSerializer},
    )
    def create(self, request):
        data = self.validated(serializers.QBRScheduleSerializer)
        self.permit(data["account"])
        qbr = activity_services.qbr_schedule(actor=request.user, **data)
        return self.output(qbr, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record a QBR as held, with next steps",
        request=serializers.QBRHoldSerializer,
        responses={200: serializers.QBRSerializer},
    )
    @action(detail=True, methods=["post"])
    def hold(self, request, pk=None):
        qbr = self.get_object_to(Access.EDIT)
        data = self.validated(serializers.QBRHoldSerializer)
        data["next_steps"] = _next_steps(data.get("next_steps", []))
        qbr = activity_services.qbr_hold(qbr=qbr, actor=request.user, **data)
        return self.output(qbr)

    @extend_schema(
        summary="Cancel a planned QBR",
        request=None,
        responses={200: serializers.QBRSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        qbr = activity_services.qbr_cancel(qbr=self.get_object_to(Access.EDIT), actor=request.user)
        return self.output(qbr)


# --- health and tiers (read-only) -------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List health scores"),
    retrieve=extend_schema(
        summary="Get a health score",
        responses={200: serializers.HealthScoreSerializer},
    ),
)
class HealthScoreViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """One score per account per day, with its components and the reasons in plain words."""

    output_serializer = serializers.HealthScoreSerializer
    filterset_class = filters.HealthScoreFilter
    ordering_fields = ["day", "id"]
    ordering = ["-day"]

    def get_queryset(self):
        return selectors.api_health_scores(self.request.user)


@extend_schema_view(
    list=extend_schema(summary="List tier changes"),
    retrieve=extend_schema(
        summary="Get a tier change",
        responses={200: serializers.TierChangeSerializer},
    ),
)
class TierChangeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    output_serializer = serializers.TierChangeSerializer
    filterset_class = filters.TierChangeFilter
    ordering_fields = ["changed_at", "id"]
    ordering = ["-changed_at"]

    def get_queryset(self):
        return selectors.api_tier_changes(self.request.user)


# --- plans ------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List account plans"),
    retrieve=extend_schema(
        summary="Get a plan with its objectives, opportunities, risks and actions",
        responses={200: serializers.PlanDetailSerializer},
    ),
)
class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    output_serializer = serializers.PlanSerializer
    filterset_class = filters.PlanFilter
    ordering_fields = ["period_start", "id", "updated_at"]
    ordering = ["-period_start"]

    def get_queryset(self):
        plans = selectors.api_plans(self.request.user)
        if self.action != "list":
            plans = plans.prefetch_related("objectives", "opportunities", "risks", "actions")
        return plans

    def get_serializer_class(self):
        return (
            serializers.PlanSerializer
            if self.action == "list"
            else serializers.PlanDetailSerializer
        )

    def output(self, instance, *, status_code=status.HTTP_200_OK):
        row = self.read_back(instance)
        if row is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        serializer = serializers.PlanDetailSerializer(row, context=self.get_serializer_context())
        return Response(serializer.data, status=status_code)

    @extend_schema(
        summary="Create a plan",
        request=serializers.PlanInputSerializer,
        responses={201: serializers.PlanDetailSerializer},
    )
    def create(self, request):
        data = self.validated(serializers.PlanInputSerializer)
        self.permit(data["account"])
        plan = plan_services.plan_create(actor=request.user, **data)
        return self.output(plan, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Update a plan's own fields",
        request=serializers.PlanUpdateSerializer,
        responses={200: serializers.PlanDetailSerializer},
    )
    def partial_update(self, request, pk=None):
        plan = self.get_object_to(Access.EDIT)
        data = self.validated(serializers.PlanUpdateSerializer, instance=plan, partial=True)
        if "version" not in data:
            raise ValidationError({"version": [_("This field is required.")]})
        expected = data.pop("version")
        plan = plan_services.plan_update(
            plan=plan, expected_version=expected, actor=request.user, **data
        )
        return self.output(plan)

    def _transition(self, service):
        plan = service(plan=self.get_object_to(Access.EDIT), actor=self.request.user)
        return self.output(plan)

    @extend_schema(
        summary="Make this the account's active plan",
        request=None,
        responses={200: serializers.PlanDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        return self._transition(plan_services.plan_activate)

    @extend_schema(
        summary="Archive the plan",
        request=None,
        responses={200: serializers.PlanDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        return self._transition(plan_services.plan_archive)

    @extend_schema(
        summary="Mark the plan reviewed",
        request=None,
        responses={200: serializers.PlanDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        return self._transition(plan_services.plan_mark_reviewed)


def plan_row_viewset(model, output_serializer, noun: str):
    """Objectives, opportunities, risks and actions: list, get, add, change (with the
    `version` read), remove; each through its plans.services function."""
    create_service, update_service, delete_service, keyword = plan_services.ITEM_SERVICES[model]
    input_serializer = serializers.plan_row_input(model, update=False)
    update_serializer = serializers.plan_row_input(model, update=True)

    @extend_schema_view(
        list=extend_schema(summary=f"List {noun}s"),
        retrieve=extend_schema(
            summary=f"Get an {noun}" if noun[0] in "aeiou" else f"Get a {noun}",
            responses={200: output_serializer},
        ),
        create=extend_schema(
            summary=f"Add to a plan ({noun})",
            request=input_serializer,
            responses={201: output_serializer},
        ),
        partial_update=extend_schema(
            summary=f"Change ({noun})",
            request=update_serializer,
            responses={200: output_serializer},
        ),
        destroy=extend_schema(summary=f"Remove ({noun})", responses={204: None}),
    )
    class PlanRowViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
        filterset_class = filters.PlanRowFilter
        account_path = "plan__account"
        ordering_fields = ["id"]
        ordering = ["id"]

        def get_queryset(self):
            return selectors.api_plan_rows(self.request.user, model)

        def create(self, request):
            data = self.validated(input_serializer)
            self.permit(data["plan"].account)
            row = create_service(actor=request.user, **data)
            return self.output(row, status_code=status.HTTP_201_CREATED)

        def partial_update(self, request, pk=None):
            row = self.get_object_to(Access.EDIT)
            data = self.validated(update_serializer, instance=row, partial=True)
            if "version" not in data:
                raise ValidationError({"version": [_("This field is required.")]})
            expected = data.pop("version")
            row = update_service(
                **{keyword: row}, actor=request.user, expected_version=expected, **data
            )
            return self.output(row)

        def destroy(self, request, pk=None):
            # Removing a row of the plan is an edit of the account's plan (docs/architecture.md).
            delete_service(**{keyword: self.get_object_to(Access.EDIT)}, actor=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)

    PlanRowViewSet.output_serializer = output_serializer
    PlanRowViewSet.__name__ = PlanRowViewSet.__qualname__ = f"{model.__name__}ViewSet"
    return PlanRowViewSet


ObjectiveViewSet = plan_row_viewset(Objective, serializers.ObjectiveSerializer, "objective")
OpportunityViewSet = plan_row_viewset(Opportunity, serializers.OpportunitySerializer, "opportunity")
RiskViewSet = plan_row_viewset(Risk, serializers.RiskSerializer, "risk")


# --- playbooks --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List playbooks"),
    retrieve=extend_schema(
        summary="Get a playbook with its steps", responses={200: serializers.PlaybookSerializer}
    ),
    destroy=extend_schema(summary="Delete a playbook (admins)", responses={204: None}),
)
class PlaybookViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """What a signal on an account starts (docs/playbooks.md). Everyone signed in reads them;
    admins create, change and delete them (403 for anyone else)."""

    output_serializer = serializers.PlaybookSerializer
    ordering_fields = ["name", "id"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.api_playbooks()

    def _admin_only(self) -> None:
        if not self.request.user.is_admin:
            raise PermissionDenied(_("Only admins change playbooks."))

    def _save(self, data: dict, playbook=None):
        steps = data.pop("steps", None)
        return playbook_save(
            actor=self.request.user,
            playbook=playbook,
            steps=None if steps is None else [StepSpec(**step) for step in steps],
            tiers=data.pop("tiers", None),
            **data,
        )

    @extend_schema(
        summary="Create a playbook (admins)",
        request=serializers.PlaybookInputSerializer,
        responses={201: serializers.PlaybookSerializer},
    )
    def create(self, request):
        self._admin_only()
        data = self.validated(serializers.PlaybookInputSerializer)
        return self.output(self._save(data), status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a playbook (admins); steps given replace the steps",
        request=serializers.PlaybookInputSerializer,
        responses={200: serializers.PlaybookSerializer},
    )
    def partial_update(self, request, pk=None):
        playbook = self.get_object()
        self._admin_only()
        # Only what was sent changes (a partial update gets no defaults).
        data = self.validated(serializers.PlaybookInputSerializer, instance=playbook, partial=True)
        return self.output(self._save(data, playbook))

    def destroy(self, request, pk=None):
        playbook = self.get_object()
        self._admin_only()
        playbook_delete(actor=request.user, playbook=playbook)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="A playbook's firings on the accounts you see (newest first)",
        responses={200: serializers.PlaybookFiringSerializer(many=True)},
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=NewestFirstCursor)
    def firings(self, request, pk=None):
        playbook = self.get_object()
        rows = selectors.api_playbook_firings(request.user, playbook)
        page = self.paginator.paginate_queryset(rows, request, view=self)
        data = serializers.PlaybookFiringSerializer(page, many=True).data
        return self.paginator.get_paginated_response(data)


# --- portfolio --------------------------------------------------------------------------------


class PortfolioSummaryView(UserLanguageMixin, APIView):
    """The portfolio dashboard's figures over the accounts you see (leaders and admins: the
    whole portfolio), optionally narrowed to one KAM, tier, industry or region."""

    @extend_schema(
        summary="Portfolio summary",
        parameters=[
            OpenApiParameter("owner", int, description="Owner user id"),
            OpenApiParameter("tier", int, description="Tier id"),
            OpenApiParameter("industry", str),
            OpenApiParameter("region", str),
        ],
        responses={200: serializers.PortfolioSummarySerializer},
    )
    def get(self, request):
        filters.refuse_repeated(request.query_params)
        options = portfolio_options(request.user)
        chosen, notices = portfolio_filters_from_query(request.query_params, options)
        if notices:
            # The page falls back to the whole portfolio; a program asked for something else.
            raise ValidationError({"filters": notices[:-1]})
        summary = portfolio_summary(request.user, chosen, options=options)
        data = serializers.PortfolioSummarySerializer.from_summary(summary)
        return Response(serializers.PortfolioSummarySerializer(data).data)
