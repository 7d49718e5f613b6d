"""/api/v1/: probes, their results and "run now", systems' maintenance windows, status pages.

Thin views: parse, look the object up through the selectors (another organisation's is not
there: 404), call ``monitoring.services``; the domain errors become 400/403/404 in
``core.api``. Vendor staff of a system's project manage its probes and windows; customers
of its organisation read them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campusdesk.accounts.models import User
from campusdesk.core.api import IdField, paged, path_id, query_int, valid
from campusdesk.core.errors import NotFound, PermissionDenied, ValidationError
from campusdesk.core.http import current_user
from campusdesk.intake.models import MaintenanceWindow
from campusdesk.monitoring import selectors, services
from campusdesk.monitoring import status as status_page
from campusdesk.monitoring.models import Probe, ProbeResult
from campusdesk.systems import selectors as systems
from campusdesk.systems.models import ApplicationSystem, Importance


# --- probes ----------------------------------------------------------------------------
class ProbeSerializer(serializers.ModelSerializer[Probe]):
    class Meta:
        model = Probe
        fields = [
            "id",
            "system",
            *services.FIELDS,  # what a probe is written with, then what its runs set
            "state",
            "consecutive_failures",
            "last_run_at",
            "last_error",
            "last_latency_ms",
            "cert_expires_at",
            "next_run_at",
        ]
        read_only_fields = fields


class ProbeInput(serializers.Serializer[Any]):
    """A probe as written; ``services.probe_create``/``probe_update`` check the values."""

    system = IdField(help_text="The application system; a probe's system is not changed.")
    kind = serializers.ChoiceField(choices=Probe.Kind.choices)
    target = serializers.CharField(
        max_length=500,
        help_text="A URL for http; host:port for tcp and tls. Non-public addresses are refused.",
    )
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    method = serializers.CharField(
        max_length=10, required=False, allow_blank=True, help_text="GET, HEAD, POST or OPTIONS."
    )
    expect_status = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text='The statuses that count as up: "200-399", "200", "200,204,301-302".',
    )
    keyword = serializers.CharField(max_length=200, required=False, allow_blank=True)
    keyword_absent = serializers.BooleanField(
        required=False, help_text="The keyword must be absent (an error page's text)."
    )
    max_latency_ms = serializers.IntegerField(
        required=False, allow_null=True, help_text="1–600000; slower counts as down."
    )
    sni = serializers.CharField(
        max_length=255, required=False, allow_blank=True, help_text="tls: the server name."
    )
    interval_seconds = serializers.IntegerField(required=False, help_text="30–86400.")
    timeout_seconds = serializers.IntegerField(
        required=False, help_text="1–60; with the retries, shorter than the interval."
    )
    retries = serializers.IntegerField(
        required=False, help_text="0–5 immediate re-tries before a run counts as failed."
    )
    failures_to_open = serializers.IntegerField(
        required=False, help_text="1–100 failed runs in a row open an incident (default 3)."
    )
    is_active = serializers.BooleanField(required=False)


class ProbeResultSerializer(serializers.ModelSerializer[ProbeResult]):
    class Meta:
        model = ProbeResult
        fields = [
            "started_at",
            "scheduled_for",
            "ok",
            "latency_ms",
            "status_code",
            "error",
            "cert_expires_at",
        ]
        read_only_fields = fields


PROBE_FILTERS = [
    OpenApiParameter("system", int),
    OpenApiParameter("kind", str, enum=Probe.Kind.values),
    OpenApiParameter("state", str, enum=Probe.State.values),
]


def _choice(params: Any, name: str, choices: list[str], message: str) -> str | None:
    value = params.get(name)
    if value and value not in choices:
        raise ValidationError(message, fields={name: [message]})
    return value or None


def _filtered(probes: QuerySet[Probe], params: Any) -> QuerySet[Probe]:
    system = query_int(params.get("system"))
    kind = _choice(params, "kind", Probe.Kind.values, _("Choose http, tcp or tls."))
    state = _choice(params, "state", Probe.State.values, _("Choose unknown, up or down."))
    if system is not None:
        probes = probes.filter(system_id=system)
    if kind:
        probes = probes.filter(kind=kind)
    if state:
        probes = probes.filter(state=state)
    return probes


def _system_to_probe(user: User, system_id: int) -> ApplicationSystem:
    """The system a new probe is for: one the user sees, else the field is refused."""
    system = systems.visible_systems(user).filter(pk=system_id).first()
    if system is None:
        raise ValidationError(
            _("There is no such system."), fields={"system": [_("Choose a system.")]}
        )
    return system


def _managed(request: Request, pk: Any) -> Probe:
    """The probe to change: 404 if not visible, 403 for those who only read it."""
    user = current_user(request)
    probe = selectors.probe_for(user, path_id(pk))
    if not selectors.may_manage(user, probe.system):
        raise PermissionDenied(_("Only the vendor's staff of the project manage its probes."))
    return probe


class ProbesView(APIView):
    """Probes (探针) of the application systems: vendor staff of the system's project add
    them; customers read their own organisation's."""

    @extend_schema(
        operation_id="probes_list", parameters=PROBE_FILTERS, responses=ProbeSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        probes = _filtered(selectors.visible_probes(current_user(request)), request.query_params)
        return paged(probes.order_by("system_id", "kind", "id"), request, ProbeSerializer)

    @extend_schema(
        operation_id="probes_create", request=ProbeInput, responses={201: ProbeSerializer}
    )
    def post(self, request: Request) -> Response:
        data = valid(ProbeInput, request)
        user = current_user(request)
        system = _system_to_probe(user, data.pop("system"))
        probe = services.probe_create(actor=user, system_id=system.pk, data=data)
        return Response(ProbeSerializer(probe).data, status=status.HTTP_201_CREATED)


class ProbeView(APIView):
    """One probe: read it; vendor staff of its system's project edit (PUT or PATCH) or
    delete it. Its system stays what it was."""

    @extend_schema(operation_id="probes_retrieve", responses=ProbeSerializer)
    def get(self, request: Request, pk: Any) -> Response:
        return Response(
            ProbeSerializer(selectors.probe_for(current_user(request), path_id(pk))).data
        )

    @extend_schema(operation_id="probes_update", request=ProbeInput, responses=ProbeSerializer)
    def put(self, request: Request, pk: Any) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(
        operation_id="probes_partial_update", request=ProbeInput, responses=ProbeSerializer
    )
    def patch(self, request: Request, pk: Any) -> Response:
        return self._update(request, pk, partial=True)

    @extend_schema(operation_id="probes_destroy", responses={204: None})
    def delete(self, request: Request, pk: Any) -> Response:
        probe = _managed(request, pk)
        services.probe_delete(actor=current_user(request), probe=probe)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, pk: Any, *, partial: bool) -> Response:
        probe = _managed(request, pk)
        data = valid(ProbeInput, request, partial=partial)
        if data.pop("system", probe.system_id) != probe.system_id:
            raise ValidationError(
                _("A probe's system cannot be changed."),
                fields={"system": [_("Give the probe's own system, or leave it out.")]},
            )
        updated = services.probe_update(actor=current_user(request), probe=probe, data=data)
        return Response(ProbeSerializer(updated).data)


class ProbeRunView(APIView):
    """Run the probe once now (vendor staff) and answer with the result; it is recorded
    like a scheduled run."""

    @extend_schema(operation_id="probes_run", request=None, responses=ProbeResultSerializer)
    def post(self, request: Request, pk: Any) -> Response:
        probe = _managed(request, pk)
        result = services.probe_run_now(actor=current_user(request), probe=probe)
        return Response(ProbeResultSerializer(result).data)


def _moment(params: Any, name: str) -> datetime | None:
    """An ISO 8601 date and time from the query string (without an offset: local time)."""
    raw = params.get(name)
    if not raw:
        return None
    try:
        moment = parse_datetime(raw.strip())
        if moment is not None:
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            moment = moment.astimezone(UTC)  # as the database compares it (any offset)
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        message = _("Give a date and time such as 2026-03-02T10:00:00+08:00.")
        raise ValidationError(message, fields={name: [message]})
    return moment


class ProbeResultsView(APIView):
    """The probe's runs, newest first (kept ``PROBE_RETENTION_DAYS``; older ones are hourly
    figures on the status page)."""

    @extend_schema(
        operation_id="probes_results",
        parameters=[
            OpenApiParameter(
                "since", OpenApiTypes.DATETIME, description="Runs started at or after."
            ),
            OpenApiParameter("until", OpenApiTypes.DATETIME, description="Runs started before."),
        ],
        responses=ProbeResultSerializer(many=True),
    )
    def get(self, request: Request, pk: Any) -> Response:
        probe = selectors.probe_for(current_user(request), path_id(pk))
        since = _moment(request.query_params, "since")
        until = _moment(request.query_params, "until")
        results = ProbeResult.objects.filter(probe=probe)
        if since is not None:
            results = results.filter(started_at__gte=since)
        if until is not None:
            results = results.filter(started_at__lt=until)
        return paged(results.order_by("-started_at", "-id"), request, ProbeResultSerializer)


# --- maintenance windows ---------------------------------------------------------------
class WindowSerializer(serializers.ModelSerializer[MaintenanceWindow]):
    class Meta:
        model = MaintenanceWindow
        fields = ["id", "system", "starts_at", "ends_at", "reason", "weekly"]
        read_only_fields = fields


class WindowInput(serializers.Serializer[Any]):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    weekly = serializers.BooleanField(
        required=False, default=False, help_text="Repeats every week (shorter than a week)."
    )


def _managed_system(request: Request, pk: Any) -> ApplicationSystem:
    user = current_user(request)
    system = systems.system_for(user, path_id(pk))
    if not selectors.may_manage(user, system):
        raise PermissionDenied(_("Only the vendor's staff of the project plan its maintenance."))
    return system


class MaintenanceView(APIView):
    """The system's maintenance windows (维护窗口), latest first: probes still run and record
    in them, but open no incident. Vendor staff of its project plan one with POST."""

    @extend_schema(operation_id="system_maintenance_list", responses=WindowSerializer(many=True))
    def get(self, request: Request, pk: Any) -> Response:
        system = systems.system_for(current_user(request), path_id(pk))
        windows = MaintenanceWindow.objects.filter(system=system).order_by("-starts_at", "-id")
        return paged(windows, request, WindowSerializer)

    @extend_schema(
        operation_id="system_maintenance_create",
        request=WindowInput,
        responses={201: WindowSerializer},
    )
    def post(self, request: Request, pk: Any) -> Response:
        system = _managed_system(request, pk)
        data = valid(WindowInput, request)
        window = services.window_create(actor=current_user(request), system=system, **data)
        return Response(WindowSerializer(window).data, status=status.HTTP_201_CREATED)


class MaintenanceWindowView(APIView):
    @extend_schema(operation_id="system_maintenance_destroy", responses={204: None})
    def delete(self, request: Request, pk: Any, window_id: Any) -> Response:
        system = _managed_system(request, pk)
        window = MaintenanceWindow.objects.filter(pk=path_id(window_id), system=system).first()
        if window is None:
            raise NotFound()
        services.window_delete(actor=current_user(request), window=window)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- status page -----------------------------------------------------------------------
Fields = dict[str, serializers.Field[Any, Any, Any, Any]]


def _status_serializer() -> Any:
    """The status page's shape, for the schema (``status.py`` builds the JSON)."""
    probe: Fields = {
        "id": serializers.IntegerField(),
        "kind": serializers.ChoiceField(choices=Probe.Kind.choices),
        "name": serializers.CharField(),
        "state": serializers.ChoiceField(choices=Probe.State.choices),
        "last_run_at": serializers.DateTimeField(allow_null=True),
        "last_latency_ms": serializers.IntegerField(allow_null=True),
        "cert_expires_at": serializers.DateTimeField(allow_null=True),
    }
    incident: Fields = {
        "ticket": serializers.IntegerField(),
        "number": serializers.CharField(),
        "title": serializers.CharField(),
        "since": serializers.DateTimeField(),
    }
    window: Fields = {
        "starts_at": serializers.DateTimeField(help_text="The current or next occurrence."),
        "ends_at": serializers.DateTimeField(),
        "reason": serializers.CharField(),
        "weekly": serializers.BooleanField(),
    }
    uptime: Fields = {
        key: serializers.FloatField(allow_null=True, help_text="% of runs up; null: no runs.")
        for key in status_page.PERIODS
    }
    system: Fields = {
        "id": serializers.IntegerField(),
        "name": serializers.CharField(),
        "importance": serializers.ChoiceField(choices=Importance.choices),
        "state": serializers.ChoiceField(choices=list(status_page.STATES)),
        "since": serializers.DateTimeField(allow_null=True),
        "uptime": inline_serializer("StatusUptime", uptime),
        "latency": serializers.ListField(
            child=serializers.ListField(child=serializers.JSONField()),
            help_text="[hour, average latency in ms] over the last 24 hours, oldest first.",
        ),
        "probes": inline_serializer("StatusProbe", probe, many=True),
        "open_incidents": inline_serializer("StatusIncident", incident, many=True),
        "maintenance": inline_serializer("StatusMaintenance", window, many=True),
    }
    organisation: Fields = {"id": serializers.IntegerField(), "name": serializers.CharField()}
    return inline_serializer(
        "StatusPage",
        {
            "organisation": inline_serializer("StatusOrganisation", organisation),
            "generated_at": serializers.DateTimeField(),
            "systems": inline_serializer("StatusSystem", system, many=True),
        },
    )


class StatusView(APIView):
    """The organisation's status page (状态页) as JSON: each system's state, its uptime over
    24 h / 7 d / 30 d / 90 d, its latency by hour, open incidents and announced maintenance.
    Customers of the organisation and vendor staff serving it read it."""

    @extend_schema(operation_id="status_retrieve", responses=_status_serializer())
    def get(self, request: Request, organisation_id: Any) -> Response:
        user = current_user(request)
        organisation = status_page.organisation_for(user, path_id(organisation_id))
        visible = systems.visible_systems(user)
        return Response(status_page.organisation_status(organisation, systems=visible))


urlpatterns = [
    path("probes/", ProbesView.as_view(), name="api-probes"),
    path("probes/<int:pk>/", ProbeView.as_view(), name="api-probe"),
    path("probes/<int:pk>/run/", ProbeRunView.as_view(), name="api-probe-run"),
    path("probes/<int:pk>/results/", ProbeResultsView.as_view(), name="api-probe-results"),
    path("systems/<int:pk>/maintenance/", MaintenanceView.as_view(), name="api-system-maintenance"),
    path(
        "systems/<int:pk>/maintenance/<int:window_id>/",
        MaintenanceWindowView.as_view(),
        name="api-system-maintenance-window",
    ),
    path("status/<int:organisation_id>/", StatusView.as_view(), name="api-status"),
]
