"""The API's serializers for tickets: what the endpoints read and write (``tickets.api``)
and the input of each action (named by its declaration in ``tickets.actions``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Manager
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from campusdesk.core.http import current_user
from campusdesk.core.text import validate_one_line
from campusdesk.tickets import extensions, services
from campusdesk.tickets.models import (
    Attachment,
    IncidentReport,
    OutOfScopeType,
    ServiceType,
    Severity,
    Ticket,
    TicketEvent,
    Urgency,
)


class PersonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="__str__")


class TicketListSerializer(serializers.ListSerializer[Ticket]):
    """Tickets as a list: what the apps above add (``tickets.extensions``) read for all
    rows at once, not once per row."""

    def to_representation(self, data: Any) -> list[Any]:
        rows = list(data.all() if isinstance(data, Manager) else data)
        extensions.prefetch(rows)
        return super().to_representation(rows)


class TicketSerializer(serializers.ModelSerializer[Ticket]):
    reporter = PersonSerializer(read_only=True)
    assignee = PersonSerializer(read_only=True, allow_null=True)
    project_name = serializers.CharField(source="project.name", read_only=True)
    organisation = serializers.CharField(source="project.organisation.name", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "title",
            "description",
            "environment",
            "urgency",
            "expected_resolution_date",
            "service_type",
            "channel",
            "status",
            "tier",
            "severity",
            "project",
            "project_name",
            "organisation",
            "product",
            "product_name",
            "reporter",
            "assignee",
            "committed_resolution_at",
            "solution",
            "urge_count",
            "rejection_count",
            "rating",
            "rating_comment",
            "workload_hours",
            "out_of_scope_type",
            "out_of_scope_hours",
            "out_of_contract",
            "archived",
            "sla_policy_version",
            "created_at",
            "updated_at",
            "accepted_at",
            "closed_at",
            "accept_by",
            "respond_by",
            "resolve_by",
            "onsite_by",
            "plan_by",
            "waiting_for",
        ]
        read_only_fields = fields
        list_serializer_class = TicketListSerializer

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {**super().get_fields(), **extensions.output_fields()}  # the apps above's


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

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {**super().get_fields(), **extensions.input_fields()}  # the apps above's


class EventSerializer(serializers.ModelSerializer[TicketEvent]):
    actor = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = TicketEvent
        fields = [
            "id",
            "action",
            "actor",
            "at",
            "channel",
            "tier",
            "status_before",
            "status_after",
            "internal",
            "data",
        ]

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
        fields = [
            "what_happened",
            "cause",
            "solution",
            "responsible_person",
            "improvements",
            "updated_by",
            "updated_at",
            "complete",
        ]
        read_only_fields = ["updated_by", "updated_at", "complete"]


class AttachmentSerializer(serializers.ModelSerializer[Attachment]):
    uploaded_by = PersonSerializer(read_only=True)
    url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "name",
            "size",
            "content_type",
            "uploaded_by",
            "uploaded_at",
            "url",
            "download_url",
        ]

    def get_url(self, attachment: Attachment) -> str:
        """The web page's download, for a signed-in browser."""
        return f"/tickets/{attachment.ticket_id}/attachments/{attachment.pk}/"

    def get_download_url(self, attachment: Attachment) -> str:
        """The API's download, with the token (``Authorization: Token …``)."""
        return f"/api/v1/tickets/{attachment.ticket_id}/attachments/{attachment.pk}/"


class QuestionSerializer(serializers.Serializer[Any]):
    question = serializers.CharField(max_length=5000)


class AnswerSerializer(serializers.Serializer[Any]):
    answer = serializers.CharField(max_length=20000)


class UploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField()
