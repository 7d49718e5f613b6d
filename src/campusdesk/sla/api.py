"""/api/v1/sla/: what deadlines a ticket would get, and the administrators' calendar overrides."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campusdesk.catalog.models import Project
from campusdesk.catalog.scoping import visible_projects
from campusdesk.core.api import IdField, path_id, valid
from campusdesk.core.http import current_user
from campusdesk.core.text import validate_one_line
from campusdesk.sla import policies, services
from campusdesk.sla.models import Calendar, CalendarDay, SlaPolicy, parse_weekly

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
    calendar = IdField(required=False)
    project = IdField(
        required=False, help_text=_("The contract whose own service levels and calendar apply.")
    )


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
        project = None
        if "project" in data:
            project = get_object_or_404(
                visible_projects(request.user).select_related("calendar"), pk=data["project"]
            )
        if not SlaPolicy.objects.filter(
            severity=data["severity"], policy_set__retired_at__isnull=True
        ).exists():
            return Response({"severity": [_("No policy for this severity.")]}, status=400)
        result = services.preview(
            severity=data["severity"],
            start=data["start"],
            calendar=_calendar(data.get("calendar")),
            project=project,
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


# --- service levels: the default ones and a contract's own (R-SLA-4) -------------------------
class PolicyRow(serializers.ModelSerializer[SlaPolicy]):
    """One severity's promise: the fields of the policy model."""

    severity = serializers.ChoiceField(choices=SEVERITIES)
    respond = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=Decimal("0.01"))
    resolve = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=Decimal("0.01"))
    followup = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=Decimal("0.01"))
    accept_hours = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=Decimal("0.01"), required=False
    )

    class Meta:
        model = SlaPolicy
        fields = [
            "severity",
            "clock",
            "accept_hours",
            "respond",
            "resolve",
            "followup_kind",
            "followup",
            "warning_minutes",
            "pause_while_waiting",
            "pause_while_pending_close",
        ]
        extra_kwargs = {
            "warning_minutes": {"required": False, "max_value": 10080},
            "pause_while_waiting": {"required": False},
            "pause_while_pending_close": {"required": False},
        }


class LevelsInput(serializers.Serializer[Any]):
    policies = PolicyRow(many=True, allow_empty=False)
    calendar = IdField(
        required=False,
        allow_null=True,
        help_text=_("The contract's working calendar; null: the default."),
    )


class LevelsOutput(serializers.Serializer[Any]):
    version = serializers.IntegerField(help_text=_("The service level version (its id)."))
    inherited = serializers.BooleanField(
        help_text=_("True: the contract has no levels of its own and follows the default ones.")
    )
    created_at = serializers.DateTimeField()
    policies = PolicyRow(many=True)
    calendar = serializers.IntegerField(allow_null=True)


def _levels_answer(levels: policies.Levels) -> Response:
    return Response(
        LevelsOutput(
            {
                "version": levels.version.pk,
                "inherited": levels.inherited,
                "created_at": levels.version.created_at,
                "policies": levels.policies,
                "calendar": levels.calendar_id,
            }
        ).data
    )


def _given_calendar(data: dict[str, Any]) -> tuple[Calendar | None, bool]:
    if "calendar" not in data:
        return None, False
    if data["calendar"] is None:
        return None, True
    found = Calendar.objects.filter(pk=data["calendar"]).first()
    if found is None:
        raise serializers.ValidationError({"calendar": [_("No such calendar.")]})
    return found, True


class ProjectLevelsView(APIView):
    """A contract's service levels: its own, or the default ones it inherits.

    Anyone who sees the project reads them; administrators set (``PUT``) and remove
    (``DELETE``) the contract's own. A change applies to the tickets accepted after it.
    """

    def _project(self, request: Request, pk: Any) -> Project:
        return get_object_or_404(visible_projects(request.user), pk=path_id(pk))

    def _only_administrators(self, request: Request) -> None:
        if not current_user(request).is_administrator:
            raise PermissionDenied(_("Only administrators change service levels."))

    @extend_schema(responses=LevelsOutput)
    def get(self, request: Request, pk: int) -> Response:
        return _levels_answer(policies.levels_of(self._project(request, pk)))

    @extend_schema(request=LevelsInput, responses=LevelsOutput)
    def put(self, request: Request, pk: int) -> Response:
        project = self._project(request, pk)
        self._only_administrators(request)
        data = valid(LevelsInput, request)
        calendar, set_calendar = _given_calendar(data)
        policies.levels_set(
            project=project,
            policies=[dict(row) for row in data["policies"]],
            calendar=calendar,
            set_calendar=set_calendar,
            actor=current_user(request),
        )
        return _levels_answer(policies.levels_of(project))

    @extend_schema(responses=LevelsOutput)
    def delete(self, request: Request, pk: int) -> Response:
        project = self._project(request, pk)
        self._only_administrators(request)
        policies.levels_clear(project=project)
        return _levels_answer(policies.levels_of(project))


class DefaultLevelsView(APIView):
    """The default service levels of every contract without its own (administrators change)."""

    @extend_schema(responses=LevelsOutput)
    def get(self, request: Request) -> Response:
        version = policies.current_default()
        return Response(
            LevelsOutput(
                {
                    "version": version.pk,
                    "inherited": False,
                    "created_at": version.created_at,
                    "policies": list(version.policies.order_by("severity")),
                    "calendar": Calendar.objects.filter(is_default=True)
                    .values_list("pk", flat=True)
                    .first(),
                }
            ).data
        )

    @extend_schema(request=LevelsInput, responses=LevelsOutput)
    def put(self, request: Request) -> Response:
        if not current_user(request).is_administrator:
            raise PermissionDenied(_("Only administrators change service levels."))
        data = valid(LevelsInput, request)
        if data.get("calendar") is not None:
            message = _(
                "The default levels use the default calendar; give a contract its own "
                "calendar with its service levels."
            )
            raise serializers.ValidationError({"calendar": [message]})
        policies.levels_set(
            project=None,
            policies=[dict(row) for row in data["policies"]],
            actor=current_user(request),
        )
        return self.get(request)


# --- working calendars --------------------------------------------------------------------
class CalendarSerializer(serializers.ModelSerializer[Calendar]):
    days = CalendarDayOutput(many=True, read_only=True)

    class Meta:
        model = Calendar
        fields = ["id", "name", "is_default", "use_chinese_calendar", "weekly", "days"]
        read_only_fields = ["is_default"]

    def validate_weekly(self, value: Any) -> Any:
        try:
            week = parse_weekly(value)
        except (ValueError, TypeError, AttributeError) as error:
            raise serializers.ValidationError(
                _('Give the hours per weekday (0 = Monday) as [["09:00", "17:00"], …].')
            ) from error
        if any(day not in range(7) for day in week) or any(
            start >= end for spans in week.values() for start, end in spans
        ):
            raise serializers.ValidationError(
                _("Weekdays are 0 (Monday) to 6 (Sunday); each span starts before it ends.")
            )
        return value


class CalendarsView(APIView):
    """Working calendars (a contract's business hours, holidays and 调休): everyone reads,
    administrators add."""

    @extend_schema(responses=CalendarSerializer(many=True))
    def get(self, request: Request) -> Response:
        calendars = Calendar.objects.prefetch_related("days").order_by("-is_default", "name")
        return Response(CalendarSerializer(calendars, many=True).data)

    @extend_schema(request=CalendarSerializer, responses={201: CalendarSerializer})
    def post(self, request: Request) -> Response:
        if not current_user(request).is_administrator:
            raise PermissionDenied(_("Only administrators edit calendars."))
        given = CalendarSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        calendar = given.save()
        return Response(CalendarSerializer(calendar).data, status=status.HTTP_201_CREATED)
