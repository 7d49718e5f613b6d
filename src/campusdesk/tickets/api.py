"""/api/v1/tickets/: the handling flow over REST. Every write calls a service."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from campusdesk.accounts.models import User
from campusdesk.core import idempotency
from campusdesk.core.api import path_id, query_int, query_text
from campusdesk.core.http import current_user
from campusdesk.tickets import (
    actions,
    deadlines,
    downloads,
    extensions,
    selectors,
    services,
    workflow,
)
from campusdesk.tickets.models import Channel, Commitment, IncidentReport, Severity, Status, Ticket
from campusdesk.tickets.serializers import (
    AttachmentSerializer,
    EventSerializer,
    IncidentReportSerializer,
    TicketCreateSerializer,
    UploadSerializer,
)
from campusdesk.tickets.serializers import PersonSerializer as PersonSerializer  # ops.api
from campusdesk.tickets.serializers import TicketSerializer as TicketSerializer  # ops.api
from campusdesk.tickets.workflow import Action

API = Channel.API


class DeadlineSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField()
    name = serializers.CharField(source="label")
    due_at = serializers.DateTimeField()
    met_at = serializers.DateTimeField(allow_null=True)
    state = serializers.ChoiceField(choices=list(deadlines.STATES))
    seconds_left = serializers.SerializerMethodField()

    def get_seconds_left(self, state: deadlines.DeadlineState) -> int | None:
        return int(state.remaining.total_seconds()) if state.remaining is not None else None


class CommitmentOutSerializer(serializers.ModelSerializer[Commitment]):
    set_by = PersonSerializer(read_only=True)

    class Meta:
        model = Commitment
        fields = ["tier", "due_at", "reason", "set_by", "created_at"]


class TicketDetailSerializer(TicketSerializer):
    allowed_actions = serializers.SerializerMethodField()
    deadlines = serializers.SerializerMethodField()
    commitment = serializers.SerializerMethodField()
    commitments = CommitmentOutSerializer(many=True, read_only=True)
    commitment_exceeds_target = serializers.SerializerMethodField(
        help_text="The current committed time is later than the resolution target "
        "(an operations flag: null for customers)."
    )

    class Meta(TicketSerializer.Meta):
        fields = [
            *TicketSerializer.Meta.fields,
            "allowed_actions",
            "deadlines",
            "commitment",
            "commitments",
            "commitment_exceeds_target",
        ]
        read_only_fields = fields

    def get_allowed_actions(self, ticket: Ticket) -> list[str]:
        user = current_user(self.context["request"])
        return [a.value for a in workflow.allowed_actions(user, ticket)]

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_commitment_exceeds_target(self, ticket: Ticket) -> bool | None:
        if not current_user(self.context["request"]).is_vendor_staff:
            return None
        return ticket.commitment_exceeds_target

    @extend_schema_field(DeadlineSerializer(allow_null=True))
    def get_commitment(self, ticket: Ticket) -> dict[str, Any] | None:
        state = deadlines.keeper().commitment_state(ticket)
        return DeadlineSerializer(state).data if state is not None else None

    @extend_schema_field(DeadlineSerializer(many=True))
    def get_deadlines(self, ticket: Ticket) -> list[dict[str, Any]]:
        return DeadlineSerializer(deadlines.keeper().states(ticket), many=True).data  # type: ignore[return-value]


def _valid(serializer_class: type[serializers.Serializer[Any]], request: Request) -> Any:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


FILTERS = [
    OpenApiParameter("status", str, enum=Status.values),
    OpenApiParameter("severity", str, enum=Severity.values),
    OpenApiParameter("tier", int, enum=[1, 2, 3, 4]),
    OpenApiParameter("project", int),
    OpenApiParameter("search", str),
    OpenApiParameter(
        "archived",
        str,
        enum=["1", "true"],
        description="Archived problems too (closed or withdrawn long ago); a search finds them "
        "anyway.",
    ),
]


class TicketViewSet(viewsets.GenericViewSet[Ticket]):
    """Problems (问题): register, follow, and take every step of the handling flow."""

    serializer_class = TicketSerializer
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self) -> QuerySet[Ticket]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the types
            return Ticket.objects.none()
        params = self.request.query_params
        filters = selectors.TicketFilters(
            status=query_text(params.get("status")),
            severity=query_text(params.get("severity")),
            tier=query_int(params.get("tier")),
            project=query_int(params.get("project")),
            assignee=query_int(params.get("assignee")),
            search=query_text(params.get("search"), 100),
            include_archived=query_text(params.get("archived")) in ("1", "true", "include"),
        )
        tickets = selectors.ticket_list(current_user(self.request), filters)
        return tickets.select_related(*extensions.related())  # what the apps above add

    def _ticket(self, pk: str | None) -> Ticket:
        tickets = selectors.visible_tickets(current_user(self.request))
        return get_object_or_404(tickets.select_related(*selectors.LIST_RELATED), pk=path_id(pk))

    def _acting(self, pk: str | None, action: Action) -> Ticket:
        """The ticket, once the role and the status allow ``action``: 403 and 409 come
        before the body is looked at. The service checks again under the row lock."""
        ticket = self._ticket(pk)
        workflow.check(current_user(self.request), ticket, action)
        return ticket

    def _take(
        self, ticket: Ticket, chosen: Action, serializer: type[serializers.Serializer[Any]]
    ) -> Any:
        """The write half of an endpoint that also reads: ``chosen``'s declared service."""
        user = current_user(self.request)
        workflow.check(user, ticket, chosen)
        run = actions.ACTIONS[chosen].run
        assert run is not None  # noqa: S101 -- a declared action that people take
        return run(ticket, user, _valid(serializer, self.request), API)

    def _detail(self, ticket_id: int, status_code: int = status.HTTP_200_OK) -> Response:
        commitments = Commitment.objects.select_related("set_by").order_by("created_at", "id")
        tickets = selectors.visible_tickets(current_user(self.request))
        tickets = tickets.select_related(
            *selectors.LIST_RELATED, "project__calendar", *extensions.related()
        )
        ticket = get_object_or_404(
            tickets.prefetch_related(Prefetch("commitments", queryset=commitments)), pk=ticket_id
        )
        return self._answer(ticket, status_code)

    def _answer(self, ticket: Ticket, status_code: int) -> Response:
        context = self.get_serializer_context()
        return Response(TicketDetailSerializer(ticket, context=context).data, status=status_code)

    @extend_schema(parameters=FILTERS)
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TicketSerializer(page, many=True).data)

    @extend_schema(
        request=TicketCreateSerializer,
        responses={201: TicketDetailSerializer},
        parameters=[idempotency.PARAMETER],
    )
    def create(self, request: Request) -> Response:
        data = _valid(TicketCreateSerializer, request)
        user = current_user(request)

        def register() -> Response:
            # in one transaction: a refused value of an app above's field undoes it all.
            # The ticket as saved (its project, organisation, product and reporter came
            # with it), not read back with the seven-table join of ``_detail``
            return self._answer(self._register(user, data), status.HTTP_201_CREATED)

        return idempotency.once(request, user, "tickets.create", data, register)

    def _register(self, user: User, data: dict[str, Any]) -> Ticket:
        ticket = services.ticket_register(
            actor=user,
            project_id=data["project"],
            product_id=data.get("product"),
            title=data["title"],
            description=data["description"],
            environment=data.get("environment", ""),
            urgency=data["urgency"],
            expected_resolution_date=data.get("expected_resolution_date"),
            service_type=data["service_type"],
            reporter_id=data.get("reporter"),
            channel=API,
        )
        extensions.save(ticket, user, data)
        return ticket

    @extend_schema(responses=TicketDetailSerializer)
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return self._detail(self._ticket(pk).pk)

    @extend_schema(responses=EventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def timeline(self, request: Request, pk: str | None = None) -> Response:
        ticket = self._ticket(pk)
        events = selectors.timeline(ticket, current_user(request))
        context = self.get_serializer_context()
        return Response(EventSerializer(events, many=True, context=context).data)

    @extend_schema(request=IncidentReportSerializer, responses=IncidentReportSerializer)
    @action(detail=True, methods=["get", "put"], url_path="incident-report")
    def incident_report(self, request: Request, pk: str | None = None) -> Response:
        ticket = self._ticket(pk)
        if request.method == "PUT":
            report = self._take(ticket, Action.INCIDENT_REPORT, IncidentReportSerializer)
            return Response(IncidentReportSerializer(report).data)
        found = IncidentReport.objects.select_related("updated_by").filter(ticket=ticket).first()
        if found is None:
            return Response({"detail": _("No incident analysis report yet.")}, status=404)
        return Response(IncidentReportSerializer(found).data)

    @extend_schema(
        operation_id="v1_tickets_incident_report_file",
        responses={(200, "application/octet-stream"): bytes},
        parameters=[OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=["docx", "pdf"])],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"incident-report/(?P<kind>docx|pdf)",
        url_name="incident-report-file",
    )
    def incident_report_file(
        self, request: Request, pk: str | None = None, kind: str = "pdf"
    ) -> HttpResponse:
        ticket = self._ticket(pk)
        return downloads.incident_report(ticket, kind)

    @extend_schema(
        request={"multipart/form-data": UploadSerializer}, responses=AttachmentSerializer
    )
    @action(detail=True, methods=["get", "post"])
    def attachments(self, request: Request, pk: str | None = None) -> Response:
        ticket = self._ticket(pk)
        if request.method == "POST":
            attachment = self._take(ticket, Action.ATTACH, UploadSerializer)
            return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)
        rows = ticket.attachments.select_related("uploaded_by")
        return Response(AttachmentSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="v1_tickets_attachment_file",
        responses={(200, "application/octet-stream"): bytes},
        parameters=[OpenApiParameter("attachment_id", int, OpenApiParameter.PATH)],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>[0-9]{1,10})",
        url_name="attachment-file",
    )
    def attachment_file(
        self, request: Request, pk: str | None = None, attachment_id: str = "0"
    ) -> HttpResponseBase:
        """The attachment's file, with the API's token (the ``url`` of an attachment is the
        web page's, for a signed-in browser): always a download, never rendered inline."""
        ticket = self._ticket(pk)
        return downloads.attachment(ticket, path_id(attachment_id))


def _endpoint(spec: actions.ActionSpec) -> Any:
    """The API endpoint of a declared action: 403 and 409 before the body is read, then the
    input serializer, the service, and the ticket (or the recorded event) as it is now."""
    api = spec.api
    assert api is not None  # noqa: S101 -- ``actions.with_api`` chose it
    run = api.run or spec.run
    assert run is not None  # noqa: S101

    def endpoint(self: TicketViewSet, request: Request, pk: str | None = None) -> Response:
        ticket = self._acting(pk, spec.action)
        data = _valid(api.serializer, request)
        result = run(ticket, current_user(request), data, API)
        if api.answers_event:
            return Response(EventSerializer(result).data, status=status.HTTP_201_CREATED)
        return self._detail(ticket.pk)

    endpoint.__name__ = endpoint.__qualname__ = api.name
    responses: Any = {201: EventSerializer} if api.answers_event else TicketDetailSerializer
    routed = action(detail=True, methods=["post"], url_path=api.url_path)(endpoint)
    return extend_schema(request=api.serializer, responses=responses)(routed)


def add_action_endpoints(viewset: type[TicketViewSet]) -> type[TicketViewSet]:
    """Give ``viewset`` one endpoint per declared action with an API (``actions.ACTIONS``)."""
    for spec in actions.with_api():
        assert spec.api is not None  # noqa: S101
        setattr(viewset, spec.api.name, _endpoint(spec))
    return viewset


add_action_endpoints(TicketViewSet)
