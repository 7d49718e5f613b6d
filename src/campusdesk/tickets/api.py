"""/api/v1/tickets/: the handling flow over REST. Every write calls a service."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from campusdesk.core.api import path_id, query_int, query_text
from campusdesk.core.http import current_user
from campusdesk.core.text import validate_one_line
from campusdesk.sla import services as sla
from campusdesk.tickets import downloads, selectors, services, workflow
from campusdesk.tickets.models import (
    Attachment,
    Channel,
    Commitment,
    IncidentReport,
    OutOfScopeType,
    ServiceType,
    Severity,
    Status,
    Ticket,
    TicketEvent,
    Urgency,
)
from campusdesk.tickets.workflow import Action

API = Channel.API


class PersonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="__str__")


class TicketSerializer(serializers.ModelSerializer[Ticket]):
    reporter = PersonSerializer(read_only=True)
    assignee = PersonSerializer(read_only=True, allow_null=True)
    project_name = serializers.CharField(source="project.name", read_only=True)
    organisation = serializers.CharField(source="project.organisation.name", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id", "number", "title", "description", "environment", "urgency",
            "expected_resolution_date", "service_type", "channel", "status", "tier", "severity",
            "project", "project_name", "organisation", "product", "product_name", "reporter",
            "assignee", "committed_resolution_at", "solution", "urge_count", "rejection_count",
            "rating", "rating_comment", "workload_hours", "out_of_scope_type",
            "out_of_scope_hours", "created_at", "updated_at", "accepted_at", "closed_at",
            "accept_by", "respond_by", "resolve_by", "onsite_by", "plan_by", "waiting_for",
        ]  # fmt: skip
        read_only_fields = fields


class DeadlineSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField()
    name = serializers.CharField(source="label")
    due_at = serializers.DateTimeField()
    met_at = serializers.DateTimeField(allow_null=True)
    state = serializers.ChoiceField(choices=list(sla.STATES))
    seconds_left = serializers.SerializerMethodField()

    def get_seconds_left(self, state: sla.DeadlineState) -> int | None:
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
        fields = [*TicketSerializer.Meta.fields, "allowed_actions", "deadlines", "commitment",
                  "commitments", "commitment_exceeds_target"]  # fmt: skip
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
        state = sla.commitment_state(ticket)
        return DeadlineSerializer(state).data if state is not None else None

    @extend_schema_field(DeadlineSerializer(many=True))
    def get_deadlines(self, ticket: Ticket) -> list[dict[str, Any]]:
        return DeadlineSerializer(sla.states(ticket), many=True).data  # type: ignore[return-value]


class TicketCreateSerializer(serializers.Serializer[Any]):
    project = serializers.IntegerField(label=_("project"))
    product = serializers.IntegerField(label=_("product"), required=False)
    title = serializers.CharField(label=_("title"), max_length=200, validators=[validate_one_line])
    description = serializers.CharField(label=_("process and symptoms"), max_length=20000)
    environment = serializers.CharField(
        label=_("system environment"), max_length=20000, required=False, allow_blank=True
    )
    urgency = serializers.ChoiceField(label=_("urgency"), choices=Urgency.choices)
    expected_resolution_date = serializers.DateField(
        label=_("expected resolution date"), required=False, allow_null=True
    )
    service_type = serializers.ChoiceField(label=_("service type"), choices=ServiceType.choices)
    reporter = serializers.IntegerField(
        label=_("reporter"), required=False, help_text="For agents registering on behalf."
    )


class EventSerializer(serializers.ModelSerializer[TicketEvent]):
    actor = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = TicketEvent
        fields = ["id", "action", "actor", "at", "channel", "tier", "status_before",
                  "status_after", "internal", "data"]  # fmt: skip

    def to_representation(self, event: TicketEvent) -> dict[str, Any]:
        """The event; its operations flags (``services.STAFF_DATA``) for vendor staff only."""
        shown: dict[str, Any] = super().to_representation(event)
        request, data = self.context.get("request"), shown.get("data")
        staff = request is not None and current_user(request).is_vendor_staff
        if isinstance(data, dict) and not staff:
            shown["data"] = {k: v for k, v in data.items() if k not in services.STAFF_DATA}
        return shown


class AcceptSerializer(serializers.Serializer[Any]):
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    committed_resolution_at = serializers.DateTimeField()


class CommitmentSerializer(serializers.Serializer[Any]):
    committed_resolution_at = serializers.DateTimeField()
    reason = serializers.CharField(max_length=2000)


class RecordSerializer(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=20000)
    internal = serializers.BooleanField(default=False)


class ReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=2000)


class OptionalReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class AssignSerializer(serializers.Serializer[Any]):
    user = serializers.IntegerField()


class SolutionSerializer(serializers.Serializer[Any]):
    solution = serializers.CharField(max_length=20000)


class CloseSerializer(serializers.Serializer[Any]):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    workload_hours = serializers.DecimalField(max_digits=7, decimal_places=2, min_value=0)


class UrgeSerializer(serializers.Serializer[Any]):
    message = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class OutOfScopeSerializer(serializers.Serializer[Any]):
    change_type = serializers.ChoiceField(choices=OutOfScopeType.choices)
    workload_hours = serializers.DecimalField(max_digits=7, decimal_places=2, min_value=0)


class IncidentReportSerializer(serializers.ModelSerializer[IncidentReport]):
    updated_by = PersonSerializer(read_only=True)
    complete = serializers.BooleanField(source="is_complete", read_only=True)

    class Meta:
        model = IncidentReport
        fields = ["what_happened", "cause", "solution", "responsible_person", "improvements",
                  "updated_by", "updated_at", "complete"]  # fmt: skip
        read_only_fields = ["updated_by", "updated_at", "complete"]


class AttachmentSerializer(serializers.ModelSerializer[Attachment]):
    uploaded_by = PersonSerializer(read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "content_type", "uploaded_by", "uploaded_at", "url"]

    def get_url(self, attachment: Attachment) -> str:
        return f"/tickets/{attachment.ticket_id}/attachments/{attachment.pk}/"


class QuestionSerializer(serializers.Serializer[Any]):
    question = serializers.CharField(max_length=5000)


class AnswerSerializer(serializers.Serializer[Any]):
    answer = serializers.CharField(max_length=20000)


class UploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField()


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
        )
        return selectors.ticket_list(current_user(self.request), filters)

    def _ticket(self, pk: str | None) -> Ticket:
        tickets = selectors.visible_tickets(current_user(self.request))
        return get_object_or_404(tickets.select_related(*selectors.LIST_RELATED), pk=path_id(pk))

    def _acting(self, pk: str | None, action: Action) -> Ticket:
        """The ticket, once the role and the status allow ``action``: 403 and 409 come
        before the body is looked at. The service checks again under the row lock."""
        ticket = self._ticket(pk)
        workflow.check(current_user(self.request), ticket, action)
        return ticket

    def _detail(self, ticket_id: int, status_code: int = status.HTTP_200_OK) -> Response:
        commitments = Commitment.objects.select_related("set_by").order_by("created_at", "id")
        tickets = selectors.visible_tickets(current_user(self.request))
        tickets = tickets.select_related(*selectors.LIST_RELATED, "project__calendar")
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

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketDetailSerializer})
    def create(self, request: Request) -> Response:
        data = _valid(TicketCreateSerializer, request)
        ticket = services.ticket_register(
            actor=current_user(request),
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
        # the registered ticket as saved (its project, organisation, product and reporter
        # came with it), not read back with the seven-table join of ``_detail``
        return self._answer(ticket, status.HTTP_201_CREATED)

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

    @extend_schema(request=AcceptSerializer, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        ticket = self._acting(pk, Action.ACCEPT)
        data = _valid(AcceptSerializer, request)
        ticket = services.ticket_accept(
            ticket_id=ticket.pk,
            actor=current_user(request),
            severity=data.get("severity"),
            committed_resolution_at=data["committed_resolution_at"],
            channel=API,
        )
        return self._detail(ticket.pk)

    @extend_schema(request=CommitmentSerializer, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def commitment(self, request: Request, pk: str | None = None) -> Response:
        ticket = self._acting(pk, Action.CHANGE_COMMITMENT)
        data = _valid(CommitmentSerializer, request)
        ticket = services.ticket_change_commitment(
            ticket_id=ticket.pk,
            actor=current_user(request),
            committed_resolution_at=data["committed_resolution_at"],
            reason=data["reason"],
            channel=API,
        )
        return self._detail(ticket.pk)

    @extend_schema(request=RecordSerializer, responses={201: EventSerializer})
    @action(detail=True, methods=["post"])
    def records(self, request: Request, pk: str | None = None) -> Response:
        ticket = self._acting(pk, Action.RECORD)
        data = _valid(RecordSerializer, request)
        event = services.ticket_add_record(
            ticket_id=ticket.pk,
            actor=current_user(request),
            body=data["body"],
            internal=data["internal"],
            channel=API,
        )
        return Response(EventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReasonSerializer, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str | None = None) -> Response:
        ticket = self._acting(pk, Action.ESCALATE)
        data = _valid(ReasonSerializer, request)
        ticket = services.ticket_escalate(
            ticket_id=ticket.pk,
            actor=current_user(request),
            reason=data["reason"],
            channel=API,
        )
        return self._detail(ticket.pk)

    @extend_schema(request=AssignSerializer, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        ticket = self._acting(pk, Action.ASSIGN)
        data = _valid(AssignSerializer, request)
        ticket = services.ticket_assign(
            ticket_id=ticket.pk,
            actor=current_user(request),
            user_id=data["user"],
            channel=API,
        )
        return self._detail(ticket.pk)

    @extend_schema(request=SolutionSerializer, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"], url_path="request-close")
    def request_close(self, request: Request, pk: str | None = None) -> Response:
        ticket = self._acting(pk, Action.REQUEST_CLOSE)
        data = _valid(SolutionSerializer, request)
        ticket = services.ticket_request_close(
            ticket_id=ticket.pk,
            actor=current_user(request),
            solution=data["solution"],
            channel=API,
        )
        return self._detail(ticket.pk)

    @extend_schema(request=ReasonSerializer, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"], url_path="reject-close")
    def reject_close(self, request: Request, pk: str | None = None) -> Response:
        ticket = self._acting(pk, Action.REJECT_CLOSE)
        data = _valid(ReasonSerializer, request)
        ticket = services.ticket_reject_close(
            ticket_id=ticket.pk,
            actor=current_user(request),
            reason=data["reason"],
            channel=API,
        )
        return self._detail(ticket.pk)

    @extend_schema(request=CloseSerializer, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        ticket = self._acting(pk, Action.CLOSE)
        data = _valid(CloseSerializer, request)
        ticket = services.ticket_close(
            ticket_id=ticket.pk,
            actor=current_user(request),
            rating=data["rating"],
            comment=data["comment"],
            workload_hours=data["workload_hours"],
            channel=API,
        )
        return self._detail(ticket.pk)

    @extend_schema(request=UrgeSerializer, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def urge(self, request: Request, pk: str | None = None) -> Response:
        ticket = self._acting(pk, Action.URGE)
        data = _valid(UrgeSerializer, request)
        ticket = services.ticket_urge(
            ticket_id=ticket.pk,
            actor=current_user(request),
            message=data["message"],
            channel=API,
        )
        return self._detail(ticket.pk)

    @extend_schema(request=OptionalReasonSerializer, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        ticket = self._acting(pk, Action.WITHDRAW)
        data = _valid(OptionalReasonSerializer, request)
        ticket = services.ticket_withdraw(
            ticket_id=ticket.pk,
            actor=current_user(request),
            reason=data["reason"],
            channel=API,
        )
        return self._detail(ticket.pk)

    @extend_schema(request=OutOfScopeSerializer, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"], url_path="out-of-scope")
    def out_of_scope(self, request: Request, pk: str | None = None) -> Response:
        ticket = self._acting(pk, Action.OUT_OF_SCOPE)
        data = _valid(OutOfScopeSerializer, request)
        ticket = services.ticket_mark_out_of_scope(
            ticket_id=ticket.pk,
            actor=current_user(request),
            change_type=data["change_type"],
            workload_hours=data["workload_hours"],
            channel=API,
        )
        return self._detail(ticket.pk)

    @extend_schema(request=QuestionSerializer, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"], url_path="ask-info")
    def ask_info(self, request: Request, pk: str | None = None) -> Response:
        ticket = self._acting(pk, Action.ASK_INFO)
        data = _valid(QuestionSerializer, request)
        services.ticket_ask_info(
            ticket_id=ticket.pk, actor=current_user(request), question=data["question"],
            channel=API,
        )  # fmt: skip
        return self._detail(ticket.pk)

    @extend_schema(request=AnswerSerializer, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"], url_path="answer-info")
    def answer_info(self, request: Request, pk: str | None = None) -> Response:
        ticket = self._acting(pk, Action.ANSWER_INFO)
        data = _valid(AnswerSerializer, request)
        services.ticket_answer_info(
            ticket_id=ticket.pk, actor=current_user(request), answer=data["answer"], channel=API
        )
        return self._detail(ticket.pk)

    @extend_schema(request=IncidentReportSerializer, responses=IncidentReportSerializer)
    @action(detail=True, methods=["get", "put"], url_path="incident-report")
    def incident_report(self, request: Request, pk: str | None = None) -> Response:
        ticket = self._ticket(pk)
        if request.method == "PUT":
            workflow.check(current_user(request), ticket, Action.INCIDENT_REPORT)
            data = _valid(IncidentReportSerializer, request)
            report = services.incident_report_save(
                ticket_id=ticket.pk, actor=current_user(request), fields=data, channel=API
            )
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
            workflow.check(current_user(request), ticket, Action.ATTACH)
            data = _valid(UploadSerializer, request)
            attachment = services.attachment_add(
                ticket_id=ticket.pk, actor=current_user(request), upload=data["file"], channel=API
            )
            return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)
        rows = ticket.attachments.select_related("uploaded_by")
        return Response(AttachmentSerializer(rows, many=True).data)
