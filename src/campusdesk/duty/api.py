"""/api/v1/duty/: who is on duty now for a project, the roster's shifts and its gaps."""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campusdesk.catalog import scoping
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.core.api import IdField, paged, path_id, query_int, valid
from campusdesk.core.errors import NotFound, PermissionDenied, ValidationError
from campusdesk.core.http import current_user
from campusdesk.duty import services
from campusdesk.duty.models import Shift

PROJECT = OpenApiParameter("project", int, required=True, description="The project's id.")


def _project(request: Request) -> Project:
    """The project of ``?project=``: one the (vendor) user serves, else 404."""
    user = current_user(request)
    if not user.is_vendor_staff:
        raise PermissionDenied(_("The duty roster is the vendor's staff's."))
    project_id = query_int(request.query_params.get("project"))
    if project_id is None:
        message = _("Give the project: ?project=<id>.")
        raise ValidationError(message, fields={"project": [message]})
    project = scoping.visible_projects(user).filter(pk=project_id).first()
    if project is None:
        raise NotFound()
    return project


class OnDutyView(APIView):
    """The person on duty now for the project, with name and phone (404: nobody is)."""

    @extend_schema(
        operation_id="duty_now",
        parameters=[PROJECT],
        responses=inline_serializer(
            "OnDuty",
            {
                "project": serializers.IntegerField(),
                "user": serializers.IntegerField(),
                "name": serializers.CharField(),
                "phone": serializers.CharField(),
                "email": serializers.CharField(),
                "shift": serializers.IntegerField(),
                "starts_at": serializers.DateTimeField(),
                "ends_at": serializers.DateTimeField(),
                "handover": serializers.CharField(),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        project = _project(request)
        shift = services.on_duty(project.pk)
        if shift is None:
            raise NotFound(_("Nobody is on duty for this project now."))
        person = shift.user
        return Response(
            {
                "project": project.pk,
                "user": person.pk,
                "name": person.get_full_name() or person.username,
                "phone": person.phone,
                "email": person.email,
                "shift": shift.pk,
                "starts_at": shift.starts_at,
                "ends_at": shift.ends_at,
                "handover": shift.handover,
            }
        )


class ShiftSerializer(serializers.ModelSerializer[Shift]):
    projects: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta:
        model = Shift
        fields = ["id", "user", "starts_at", "ends_at", "projects", "handover"]
        read_only_fields = fields


class ShiftInput(serializers.Serializer[Any]):
    user = IdField(help_text="The person on duty (vendor staff).")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(
        help_text="End excluded; at most seven days after the start."
    )
    projects = serializers.ListField(
        child=IdField(), required=False, help_text="Empty: every project."
    )
    handover = serializers.CharField(required=False, allow_blank=True)


class ShiftsView(APIView):
    """The roster's shifts (vendor staff of the projects); planners add one with POST."""

    @extend_schema(
        operation_id="duty_shifts_list",
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="Shifts ending after."),
        ],
        responses=ShiftSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        shifts = services.visible_shifts(current_user(request)).prefetch_related("projects")
        shifts = shifts.filter(ends_at__gt=clock.now()).order_by("starts_at", "pk")
        return paged(shifts, request, ShiftSerializer)

    @extend_schema(
        operation_id="duty_shifts_create", request=ShiftInput, responses={201: ShiftSerializer}
    )
    def post(self, request: Request) -> Response:
        shift = services.shift_create(actor=current_user(request), data=valid(ShiftInput, request))
        return Response(ShiftSerializer(shift).data, status=status.HTTP_201_CREATED)


class ShiftView(APIView):
    """One shift; planners delete it."""

    @extend_schema(operation_id="duty_shifts_retrieve", responses=ShiftSerializer)
    def get(self, request: Request, pk: Any) -> Response:
        return Response(
            ShiftSerializer(services.shift_for(current_user(request), path_id(pk))).data
        )

    @extend_schema(operation_id="duty_shifts_destroy", responses={204: None})
    def delete(self, request: Request, pk: Any) -> Response:
        user = current_user(request)
        services.shift_delete(actor=user, shift=services.shift_for(user, path_id(pk)))
        return Response(status=status.HTTP_204_NO_CONTENT)


class GapsView(APIView):
    """The uncovered stretches of the next 30 days outside the project's business hours."""

    @extend_schema(
        operation_id="duty_gaps",
        parameters=[PROJECT],
        responses=inline_serializer(
            "DutyGaps",
            {
                "project": serializers.IntegerField(),
                "uncovered_minutes": serializers.IntegerField(),
                "gaps": inline_serializer(
                    "DutyGap",
                    {
                        "starts_at": serializers.DateTimeField(),
                        "ends_at": serializers.DateTimeField(),
                    },
                    many=True,
                ),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        project = _project(request)
        found = services.roster_check(project)
        minutes = int(sum((b - a).total_seconds() for a, b in found) // 60)
        return Response(
            {
                "project": project.pk,
                "uncovered_minutes": minutes,
                "gaps": [{"starts_at": a, "ends_at": b} for a, b in found],
            }
        )


urlpatterns = [
    path("duty/now/", OnDutyView.as_view(), name="duty-now"),
    path("duty/gaps/", GapsView.as_view(), name="duty-gaps"),
    path("duty/shifts/", ShiftsView.as_view(), name="duty-shifts"),
    path("duty/shifts/<str:pk>/", ShiftView.as_view(), name="duty-shift"),
]
