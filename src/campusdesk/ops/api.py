"""/api/v1/ops/ and /api/v1/complaints/: watch lists, ticket supervision steps, complaints."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campusdesk.core.api import IdField
from campusdesk.core.errors import PermissionDenied
from campusdesk.core.http import current_user
from campusdesk.core.text import validate_one_line
from campusdesk.notify.models import Delivery
from campusdesk.ops import complaints, selectors, services
from campusdesk.ops.models import Complaint, ComplaintNote, CorrectiveAction, Dispatch
from campusdesk.tickets.api import PersonSerializer, TicketSerializer
from campusdesk.tickets.models import Channel

API = Channel.API


def _valid(serializer_class: type[serializers.Serializer[Any]], request: Request) -> Any:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class WatchTicketSerializer(TicketSerializer):
    has_corrective_action = serializers.BooleanField(read_only=True, default=None)

    class Meta(TicketSerializer.Meta):
        fields = [
            *TicketSerializer.Meta.fields,
            "has_corrective_action",
            "commitment_exceeds_target",
        ]
        read_only_fields = fields


class ComplaintNoteSerializer(serializers.ModelSerializer[ComplaintNote]):
    actor = PersonSerializer(read_only=True, allow_null=True, help_text="Empty: the system.")

    class Meta:
        model = ComplaintNote
        fields = ["action", "actor", "body", "at"]


class ComplaintSerializer(serializers.ModelSerializer[Complaint]):
    organisation = serializers.CharField(source="organisation.name", read_only=True)
    owner = PersonSerializer(read_only=True, allow_null=True, help_text="The group's leader.")
    filed_by = PersonSerializer(read_only=True)
    overdue = serializers.SerializerMethodField(
        help_text="Past its deadline while still open or being handled."
    )

    class Meta:
        model = Complaint
        fields = [
            "id",
            "number",
            "organisation",
            "ticket",
            "subject",
            "body",
            "status",
            "owner",
            "filed_by",
            "resolution",
            "created_at",
            "resolved_at",
            "severity",
            "due_at",
            "overdue",
            "escalated_at",
            "closed_at",
            "rating",
        ]

    def get_overdue(self, complaint: Complaint) -> bool:
        return complaints.is_overdue(complaint)


class ComplaintGroupSerializer(serializers.Serializer[Any]):
    """The special resolution group (专项解决小组): its leader, and every member (the leader
    among them, first)."""

    leader = PersonSerializer(allow_null=True)
    members = PersonSerializer(many=True)


class ComplaintDetailSerializer(ComplaintSerializer):
    notes = ComplaintNoteSerializer(many=True, read_only=True)
    group = serializers.SerializerMethodField()

    class Meta(ComplaintSerializer.Meta):
        fields = [*ComplaintSerializer.Meta.fields, "group", "notes"]

    @extend_schema_field(ComplaintGroupSerializer)
    def get_group(self, complaint: Complaint) -> dict[str, Any]:
        group = {"leader": complaint.owner, "members": complaints.group_of(complaint)}
        return dict(ComplaintGroupSerializer(group).data)


class FailedDeliverySerializer(serializers.ModelSerializer[Delivery]):
    """A message that failed for good; its receiver by name (robot and webhook URLs carry
    their credentials)."""

    receiver = serializers.CharField(read_only=True)
    summary = serializers.CharField(read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "channel",
            "kind",
            "receiver",
            "summary",
            "attempts",
            "last_error",
            "created_at",
        ]
        read_only_fields = fields


class WatchView(APIView):
    """The operations specialist's watch lists (vendor staff only)."""

    @extend_schema(
        parameters=[OpenApiParameter("list", str, enum=list(selectors.LISTS), required=True)],
        responses=WatchTicketSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        user = current_user(request)
        if not user.is_vendor_staff:
            raise PermissionDenied(_("Watch lists are for the vendor's staff."))
        name = request.query_params.get("list", "")
        if name not in selectors.LISTS:
            return Response(
                {"list": [_("Choose one of: %s.") % ", ".join(selectors.LISTS)]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if name == "complaints":
            paginator = PageNumberPagination()
            rows = paginator.paginate_queryset(selectors.open_complaints(user), request, self)
            return paginator.get_paginated_response(ComplaintSerializer(rows, many=True).data)
        if name == "deliveries":
            pages = PageNumberPagination()
            failed = pages.paginate_queryset(selectors.failed_deliveries(user), request, self)
            return pages.get_paginated_response(FailedDeliverySerializer(failed, many=True).data)
        tickets = PageNumberPagination()
        page = tickets.paginate_queryset(selectors.watch(user, name), request, self)
        return tickets.get_paginated_response(WatchTicketSerializer(page, many=True).data)


class BodySerializer(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=20000)


class CorrectiveSerializer(serializers.ModelSerializer[CorrectiveAction]):
    filed_by = PersonSerializer(read_only=True)

    class Meta:
        model = CorrectiveAction
        fields = ["id", "tier", "cause", "plan", "filed_by", "filed_at", "done_at"]
        read_only_fields = ["id", "tier", "filed_by", "filed_at", "done_at"]


class DispatchInput(serializers.Serializer[Any]):
    engineer = serializers.IntegerField()
    arrived_at = serializers.DateTimeField()
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class DispatchSerializer(serializers.ModelSerializer[Dispatch]):
    engineer = PersonSerializer(read_only=True)

    class Meta:
        model = Dispatch
        fields = ["id", "engineer", "arrived_at", "note", "recorded_at"]


class OpsRecordView(APIView):
    @extend_schema(request=BodySerializer, responses={201: None})
    def post(self, request: Request, pk: int) -> Response:
        data = _valid(BodySerializer, request)
        services.ops_record_add(
            ticket_id=pk, actor=current_user(request), body=data["body"], channel=API
        )
        return Response(status=status.HTTP_201_CREATED)


class CorrectiveActionsView(APIView):
    @extend_schema(request=CorrectiveSerializer, responses={201: CorrectiveSerializer})
    def post(self, request: Request, pk: int) -> Response:
        data = _valid(CorrectiveSerializer, request)
        action = services.corrective_action_file(
            ticket_id=pk,
            actor=current_user(request),
            cause=data["cause"],
            plan=data["plan"],
            channel=API,
        )
        return Response(CorrectiveSerializer(action).data, status=status.HTTP_201_CREATED)


class CorrectiveDoneView(APIView):
    @extend_schema(request=None, responses=CorrectiveSerializer)
    def post(self, request: Request, pk: int) -> Response:
        action = services.corrective_action_done(action_id=pk, actor=current_user(request))
        return Response(CorrectiveSerializer(action).data)


class DispatchView(APIView):
    @extend_schema(request=DispatchInput, responses={201: DispatchSerializer})
    def post(self, request: Request, pk: int) -> Response:
        data = _valid(DispatchInput, request)
        dispatch = services.dispatch_record(
            ticket_id=pk,
            actor=current_user(request),
            engineer_id=data["engineer"],
            arrived_at=data["arrived_at"],
            note=data["note"],
            channel=API,
        )
        return Response(DispatchSerializer(dispatch).data, status=status.HTTP_201_CREATED)


class ComplaintInput(serializers.Serializer[Any]):
    subject = serializers.CharField(max_length=200, validators=[validate_one_line])
    body = serializers.CharField(max_length=20000)
    ticket = serializers.IntegerField(required=False, allow_null=True)
    severity = serializers.ChoiceField(
        choices=Complaint.Severity.choices, required=False, default=Complaint.Severity.NORMAL
    )


class ComplaintsView(APIView):
    """Complaints (投诉): customers file them; every viewer sees those of their scope."""

    @extend_schema(responses=ComplaintSerializer(many=True))
    def get(self, request: Request) -> Response:
        complaints = services.visible_complaints(current_user(request)).select_related(
            "organisation", "owner", "filed_by"
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(complaints, request, self)
        return paginator.get_paginated_response(ComplaintSerializer(page, many=True).data)

    @extend_schema(request=ComplaintInput, responses={201: ComplaintDetailSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(ComplaintInput, request)
        complaint = services.complaint_file(
            actor=current_user(request),
            subject=data["subject"],
            body=data["body"],
            ticket_id=data.get("ticket"),
            severity=data["severity"],
        )
        return Response(ComplaintDetailSerializer(complaint).data, status=status.HTTP_201_CREATED)


class ComplaintDetailView(APIView):
    @extend_schema(responses=ComplaintDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        complaint = services.visible_complaints(current_user(request)).filter(pk=pk).first()
        if complaint is None:
            return Response({"detail": _("Not found.")}, status=status.HTTP_404_NOT_FOUND)
        return Response(ComplaintDetailSerializer(complaint).data)


class OwnerSerializer(serializers.Serializer[Any]):
    owner = serializers.IntegerField()


class ResolutionSerializer(serializers.Serializer[Any]):
    resolution = serializers.CharField(max_length=20000)


class ComplaintStepView(APIView):
    """``assign`` {"owner"}, ``notes`` {"body"}, ``resolve`` {"resolution"}."""

    step = ""

    @extend_schema(request=BodySerializer, responses=ComplaintDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        user = current_user(request)
        if self.step == "assign":
            owner = _valid(OwnerSerializer, request)["owner"]
            complaint = services.complaint_assign(complaint_id=pk, actor=user, owner_id=owner)
        elif self.step == "notes":
            body = _valid(BodySerializer, request)["body"]
            complaint = services.complaint_add_note(complaint_id=pk, actor=user, body=body)
        else:
            text = _valid(ResolutionSerializer, request)["resolution"]
            complaint = services.complaint_resolve(complaint_id=pk, actor=user, resolution=text)
        return Response(ComplaintDetailSerializer(complaint).data)


class GroupInput(serializers.Serializer[Any]):
    leader = IdField(help_text="The group's leader (vendor staff); becomes the owner.")
    members = serializers.ListField(
        child=IdField(),
        max_length=complaints.GROUP_LIMIT,
        help_text="The other members (vendor staff); those left out leave the group.",
    )


class SeverityInput(serializers.Serializer[Any]):
    severity = serializers.ChoiceField(choices=Complaint.Severity.choices)


class ConfirmInput(serializers.Serializer[Any]):
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class ReopenInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=5000, allow_blank=True)


class ComplaintGroupView(APIView):
    """Operations name the special resolution group: its members see and handle the
    complaint; whoever joins is told in the inbox."""

    @extend_schema(request=GroupInput, responses=ComplaintDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        data = _valid(GroupInput, request)
        complaint = complaints.complaint_group_set(
            complaint_id=pk,
            actor=current_user(request),
            leader_id=data["leader"],
            member_ids=data["members"],
        )
        return Response(ComplaintDetailSerializer(complaint).data)


class ComplaintSeverityView(APIView):
    """Operations grade the complaint; its deadline follows the severity."""

    @extend_schema(request=SeverityInput, responses=ComplaintDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        severity = _valid(SeverityInput, request)["severity"]
        complaint = complaints.complaint_severity_set(
            complaint_id=pk, actor=current_user(request), severity=severity
        )
        return Response(ComplaintDetailSerializer(complaint).data)


class ComplaintConfirmView(APIView):
    """The filer confirms the resolution: the complaint is closed."""

    @extend_schema(request=ConfirmInput, responses=ComplaintDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        data = _valid(ConfirmInput, request)
        complaint = complaints.complaint_confirm(
            complaint_id=pk,
            actor=current_user(request),
            rating=data.get("rating"),
            comment=data.get("comment", ""),
        )
        return Response(ComplaintDetailSerializer(complaint).data)


class ComplaintReopenView(APIView):
    """The filer says it is not resolved, and why: the group handles it again."""

    @extend_schema(request=ReopenInput, responses=ComplaintDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        reason = _valid(ReopenInput, request)["reason"]
        complaint = complaints.complaint_reopen(
            complaint_id=pk, actor=current_user(request), reason=reason
        )
        return Response(ComplaintDetailSerializer(complaint).data)
