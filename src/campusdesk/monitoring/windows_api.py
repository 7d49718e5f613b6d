"""/api/v1/maintenance-windows/: every maintenance window (维护窗口) the caller may see, of
application systems and of alert sources, over the same services as the pages.

A system's window: read by whoever sees the system (its customers too), planned, changed
and cancelled by the vendor's staff of its project (``monitoring.services``), as on the
system's page. An alert source's window: administrators only (``intake.windows``), as on
the alert sources' admin page. Another organisation's window is not there (404).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campusdesk.accounts.models import User
from campusdesk.core import clock
from campusdesk.core.api import IdField, paged, path_id, query_int
from campusdesk.core.errors import NotFound, PermissionDenied, ValidationError
from campusdesk.core.http import current_user
from campusdesk.intake import windows
from campusdesk.intake.models import MaintenanceWindow
from campusdesk.monitoring import selectors, services
from campusdesk.systems import selectors as systems


class MaintenanceWindowSerializer(serializers.ModelSerializer[MaintenanceWindow]):
    active = serializers.SerializerMethodField(help_text="In the window now.")
    next_starts_at = serializers.SerializerMethodField(
        help_text="The current or next occurrence's start; null when the window is over."
    )
    next_ends_at = serializers.SerializerMethodField()

    class Meta:
        model = MaintenanceWindow
        fields = [
            "id",
            "system",
            "source",
            "starts_at",
            "ends_at",
            "reason",
            "weekly",
            "active",
            "next_starts_at",
            "next_ends_at",
        ]
        read_only_fields = fields

    def get_active(self, window: MaintenanceWindow) -> bool:
        return windows.is_active(window, clock.now())

    def get_next_starts_at(self, window: MaintenanceWindow) -> str | None:
        return self._next(window, 0)

    def get_next_ends_at(self, window: MaintenanceWindow) -> str | None:
        return self._next(window, 1)

    def _next(self, window: MaintenanceWindow, end: int) -> str | None:
        span = windows.next_occurrence(window, clock.now())
        return serializers.DateTimeField().to_representation(span[end]) if span else None


class MaintenanceWindowChange(serializers.Serializer[Any]):
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False)
    reason = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="Shown on the status page, such as “database upgrade”.",
    )
    weekly = serializers.BooleanField(
        required=False, help_text="Repeats every week (shorter than a week)."
    )


class MaintenanceWindowInput(MaintenanceWindowChange):
    """A new window: of a ``system`` or of an alert ``source`` (one of the two)."""

    system = IdField(required=False, help_text="The application system.")
    # a field named like Field.source: DRF's metaclass takes it off the class
    source = IdField(  # type: ignore[assignment]
        required=False, help_text="The alert source (administrators)."
    )
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


def visible_windows(user: User) -> QuerySet[MaintenanceWindow]:
    """The systems' windows the user sees, and the sources' for administrators."""
    rule = Q(system__in=systems.visible_systems(user))
    if user.is_administrator:
        rule |= Q(source__isnull=False)
    return MaintenanceWindow.objects.filter(rule)


def _window(request: Request, pk: Any) -> MaintenanceWindow:
    user = current_user(request)
    window = visible_windows(user).select_related("system").filter(pk=path_id(pk)).first()
    if window is None:
        raise NotFound()
    writes = request.method not in ("GET", "HEAD", "OPTIONS")
    if writes and window.system is not None and not selectors.may_manage(user, window.system):
        raise PermissionDenied(_("Only the vendor's staff of the project plan its maintenance."))
    return window


def _create(user: User, data: dict[str, Any]) -> MaintenanceWindow:
    system_id, source_id = data.pop("system", None), data.pop("source", None)
    if (system_id is None) == (source_id is None):
        message = _("Give the window's system or its alert source, one of the two.")
        raise ValidationError(message, fields={"system": [message]})
    fields: dict[str, Any] = {"reason": "", "weekly": False} | data
    if source_id is not None:
        return windows.source_window_create(actor=user, source_id=source_id, **fields)
    system = systems.system_for(user, system_id)
    if not selectors.may_manage(user, system):
        raise PermissionDenied(_("Only the vendor's staff of the project plan its maintenance."))
    return services.window_create(actor=user, system=system, **fields)


class WindowsView(APIView):
    """Maintenance windows: while one lasts, its system's probes and its source's alerts
    open no incident. Newest first."""

    pagination_class = PageNumberPagination  # paged(): the schema shows the page

    @extend_schema(
        operation_id="maintenance_windows_list",
        parameters=[OpenApiParameter("system", int), OpenApiParameter("source", int)],
        responses=MaintenanceWindowSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        rows = visible_windows(current_user(request))
        for name in ("system", "source"):
            wanted = query_int(request.query_params.get(name))
            if wanted is not None:
                rows = rows.filter(**{f"{name}_id": wanted})
        return paged(rows.order_by("-starts_at", "-id"), request, MaintenanceWindowSerializer)

    @extend_schema(
        operation_id="maintenance_windows_create",
        request=MaintenanceWindowInput,
        responses={201: MaintenanceWindowSerializer},
    )
    def post(self, request: Request) -> Response:
        given = MaintenanceWindowInput(data=request.data)
        given.is_valid(raise_exception=True)
        window = _create(current_user(request), dict(given.validated_data))
        return Response(MaintenanceWindowSerializer(window).data, status=status.HTTP_201_CREATED)


class WindowView(APIView):
    @extend_schema(
        operation_id="maintenance_windows_retrieve", responses=MaintenanceWindowSerializer
    )
    def get(self, request: Request, pk: Any) -> Response:
        return Response(MaintenanceWindowSerializer(_window(request, pk)).data)

    @extend_schema(
        operation_id="maintenance_windows_partial_update",
        request=MaintenanceWindowChange,
        responses=MaintenanceWindowSerializer,
    )
    def patch(self, request: Request, pk: Any) -> Response:
        user, window = current_user(request), _window(request, pk)
        given = MaintenanceWindowChange(data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        if window.source_id is not None:
            window = windows.source_window_update(actor=user, window=window, data=data)
        else:
            window = services.window_update(actor=user, window=window, data=data)
        return Response(MaintenanceWindowSerializer(window).data)

    @extend_schema(operation_id="maintenance_windows_destroy", responses={204: None})
    def delete(self, request: Request, pk: Any) -> Response:
        user, window = current_user(request), _window(request, pk)
        if window.source_id is not None:
            windows.source_window_delete(actor=user, window=window)
        else:
            services.window_delete(actor=user, window=window)
        return Response(status=status.HTTP_204_NO_CONTENT)
