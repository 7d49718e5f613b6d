"""/api/v1/sla/: what deadlines a ticket would get, and the administrators' calendar overrides."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campusdesk.core.http import current_user
from campusdesk.core.text import validate_one_line
from campusdesk.sla import services
from campusdesk.sla.models import Calendar, CalendarDay, SlaPolicy

SEVERITIES = ["SIS1", "SIS2", "SIS3"]


class InstantField(serializers.DateTimeField):
    """An ISO 8601 instant with its UTC offset, kept as given (the answer uses that offset).

    A naive time is refused rather than read in the server's zone. In a query string an
    unencoded ``+`` of the offset arrives as a space; it is read as the ``+`` it was.
    """

    default_error_messages = {"naive": _("Give the time with its time zone.")}

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str):
            value = re.sub(r"(T[\d:.]+) (\d{2}(:?\d{2})?)$", r"\1+\2", value.strip())
        return super().to_internal_value(value)

    def enforce_timezone(self, value: datetime) -> datetime:
        if timezone.is_naive(value):
            self.fail("naive")
        # Far from datetime's own limits: deadlines go to UTC and years of working days ahead.
        if not 1900 <= value.year < 3000:
            self.fail("overflow")
        return value


class PreviewQuery(serializers.Serializer[Any]):
    severity = serializers.ChoiceField(choices=SEVERITIES)
    start = InstantField()
    calendar = serializers.IntegerField(required=False)


class CalendarDayInput(serializers.Serializer[Any]):
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=CalendarDay.Kind.choices)
    name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", validators=[validate_one_line]
    )
    calendar = serializers.IntegerField(required=False)


class CalendarDayOutput(serializers.ModelSerializer[CalendarDay]):
    class Meta:
        model = CalendarDay
        fields = ["id", "calendar", "date", "kind", "name"]


class IsAdministrator(BasePermission):
    message = _("Only administrators edit calendars.")

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user.is_authenticated and current_user(request).is_administrator)


def _calendar(calendar_id: int | None) -> Calendar | None:
    if calendar_id is None:
        return None
    return get_object_or_404(Calendar, pk=calendar_id)


class PreviewView(APIView):
    """The deadlines a ticket of a severity registered at an instant would get."""

    @extend_schema(
        parameters=[PreviewQuery],
        responses=inline_serializer(
            "SlaPreview",
            {
                "accept_by": serializers.DateTimeField(),
                "respond_by": serializers.DateTimeField(),
                "resolve_by": serializers.DateTimeField(),
                "onsite_by": serializers.DateTimeField(required=False),
                "plan_by": serializers.DateTimeField(required=False),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        query = PreviewQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        if not SlaPolicy.objects.filter(severity=data["severity"]).exists():
            return Response({"severity": [_("No policy for this severity.")]}, status=400)
        result = services.preview(
            severity=data["severity"],
            start=data["start"],
            calendar=_calendar(data.get("calendar")),
        )
        offset = data["start"].tzinfo
        return Response(
            {
                key: value.astimezone(offset).isoformat()
                for key, value in result.as_dict().items()
                if value is not None
            }
        )


class CalendarDayView(APIView):
    """Add or change a holiday or adjusted working day (administrators)."""

    permission_classes = [IsAdministrator]

    @extend_schema(request=CalendarDayInput, responses={201: CalendarDayOutput})
    def post(self, request: Request) -> Response:
        given = CalendarDayInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        calendar = _calendar(data.get("calendar")) or Calendar.objects.get(is_default=True)
        entry = services.calendar_day_set(
            calendar=calendar, day=data["date"], kind=data["kind"], name=data["name"]
        )
        return Response(CalendarDayOutput(entry).data, status=status.HTTP_201_CREATED)
