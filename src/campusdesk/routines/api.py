"""/api/v1/: routines (例行工作), their runs and checklist results, run reports, and the
systems' emergency plans (应急预案).

Thin views over ``routines.services``: the objects are looked up through the scoping
layer (another organisation's is not there: 404), the domain errors become 400/403/404.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campusdesk.core.api import (
    IdField,
    IgnoreFormatParameter,
    paged,
    path_id,
    query_choice,
    query_int,
    valid,
)
from campusdesk.core.errors import NotFound, ValidationError
from campusdesk.core.http import current_user
from campusdesk.routines import report, services
from campusdesk.routines.models import EmergencyPlan, Kind, Routine, Run
from campusdesk.routines.run_actions import (
    EvidenceSerializer,
    RunItemSerializer,
    RunSerializer,
    with_items,
)
from campusdesk.systems import actions
from campusdesk.systems import selectors as systems


# --- routines --------------------------------------------------------------------------------
class CheckSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=500)
    expected = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    evidence = serializers.BooleanField(
        required=False, default=False, help_text="A measured value or a file must be recorded."
    )
    security = serializers.BooleanField(
        required=False,
        default=False,
        help_text="A security check: its failure opens a vulnerability finding, not a ticket.",
    )


class RoutineSerializer(serializers.ModelSerializer[Routine]):
    systems: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    checklist = CheckSerializer(many=True, read_only=True)

    class Meta:
        model = Routine
        fields = [
            "id",
            "project",
            "name",
            "kind",
            "systems",
            "assignee",
            "recurrence",
            "starts_on",
            "working_days",
            "lead_days",
            "checklist",
            "plan",
            "is_active",
            "next_due_on",
            "next_create_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RoutineInput(serializers.Serializer[Any]):
    """A routine as written; ``services`` checks the systems, assignee, rule and checklist."""

    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Kind.choices)
    systems = serializers.ListField(
        child=IdField(), help_text="The application systems, all of one project."
    )
    assignee = IdField(
        required=False, allow_null=True, help_text="A vendor engineer; empty: the line-1 team."
    )
    recurrence = serializers.CharField(
        max_length=500,
        help_text="An RFC 5545 RRULE: FREQ=MONTHLY;BYMONTHDAY=1, FREQ=MONTHLY;INTERVAL=3, "
        "FREQ=DAILY;INTERVAL=14 …",
    )
    starts_on = serializers.DateField(required=False, help_text="The rule counts from this day.")
    working_days = serializers.BooleanField(
        required=False, help_text="A due day off work moves to the next working day (default)."
    )
    lead_days = serializers.IntegerField(
        required=False, help_text="0–60: the run is created this many days before it is due."
    )
    checklist = CheckSerializer(many=True)
    plan = IdField(
        required=False, allow_null=True, help_text="A drill: the emergency plan it exercises."
    )
    is_active = serializers.BooleanField(required=False)


class RoutinesView(APIView):
    """Routines of the projects the user serves (customers: of their organisation)."""

    @extend_schema(
        operation_id="routines_list",
        parameters=[
            OpenApiParameter("system", int),
            OpenApiParameter("kind", str, enum=Kind.values),
        ],
        responses=RoutineSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        routines = services.visible_routines(current_user(request)).prefetch_related("systems")
        system = query_int(request.query_params.get("system"))
        kind = query_choice(
            request.query_params.get("kind"), Kind.values, "kind", _("Choose one of the kinds.")
        )
        if system is not None:
            routines = routines.filter(systems=system)
        if kind:
            routines = routines.filter(kind=kind)
        return paged(routines.order_by("pk"), request, RoutineSerializer)

    @extend_schema(
        operation_id="routines_create", request=RoutineInput, responses={201: RoutineSerializer}
    )
    def post(self, request: Request) -> Response:
        routine = services.routine_create(
            actor=current_user(request), data=valid(RoutineInput, request)
        )
        return Response(RoutineSerializer(routine).data, status=status.HTTP_201_CREATED)


class RoutineView(APIView):
    """One routine: vendor staff of its project edit (PUT/PATCH) or delete it."""

    @extend_schema(operation_id="routines_retrieve", responses=RoutineSerializer)
    def get(self, request: Request, pk: Any) -> Response:
        routine = services.routine_for(current_user(request), path_id(pk))
        return Response(RoutineSerializer(routine).data)

    @extend_schema(
        operation_id="routines_update", request=RoutineInput, responses=RoutineSerializer
    )
    def put(self, request: Request, pk: Any) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(
        operation_id="routines_partial_update", request=RoutineInput, responses=RoutineSerializer
    )
    def patch(self, request: Request, pk: Any) -> Response:
        return self._update(request, pk, partial=True)

    @extend_schema(operation_id="routines_destroy", responses={204: None})
    def delete(self, request: Request, pk: Any) -> Response:
        user = current_user(request)
        services.routine_delete(actor=user, routine=services.routine_for(user, path_id(pk)))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, pk: Any, *, partial: bool) -> Response:
        user = current_user(request)
        routine = services.routine_for(user, path_id(pk))
        data = valid(RoutineInput, request, partial=partial)
        updated = services.routine_update(actor=user, routine=routine, data=data)
        return Response(RoutineSerializer(updated).data)


# --- runs ------------------------------------------------------------------------------------
class RunListSerializer(RunSerializer):
    class Meta(RunSerializer.Meta):
        fields = [name for name in RunSerializer.Meta.fields if name != "items"]
        read_only_fields = fields


class RoutineRunsView(APIView):
    """The routine's runs, latest due first; POST creates an unscheduled run due today."""

    @extend_schema(operation_id="routine_runs_list", responses=RunListSerializer(many=True))
    def get(self, request: Request, pk: Any) -> Response:
        routine = services.routine_for(current_user(request), path_id(pk))
        return paged(
            Run.objects.filter(routine=routine).order_by("-due_on", "-pk"),
            request,
            RunListSerializer,
        )

    @extend_schema(operation_id="routine_runs_create", request=None, responses={201: RunSerializer})
    def post(self, request: Request, pk: Any) -> Response:
        user = current_user(request)
        run = services.run_create_now(actor=user, routine=services.routine_for(user, path_id(pk)))
        return Response(RunSerializer(with_items(run)).data, status=status.HTTP_201_CREATED)


class RunView(APIView):
    """One run with each check's result and the ids of the tickets it opened."""

    @extend_schema(operation_id="runs_retrieve", responses=RunSerializer)
    def get(self, request: Request, pk: Any) -> Response:
        run = services.run_for(current_user(request), path_id(pk))
        return Response(RunSerializer(with_items(run)).data)


class ItemInput(serializers.Serializer[Any]):
    result = serializers.ChoiceField(choices=["pass", "fail", "na"])
    note = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required when it fails."
    )
    value = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="Measured value."
    )
    ticket = IdField(
        required=False,
        allow_null=True,
        help_text="A failure: link this ticket instead of opening a new one.",
    )
    severity = serializers.ChoiceField(
        choices=["critical", "high", "medium", "low"],
        required=False,
        help_text="A failed security check: the finding's severity (default high).",
    )


class RunItemView(APIView):
    """Record check ``n`` (from 0) of an open run: pass, fail or not applicable. A failure
    opens a ticket for the check's system (once), or links the ``ticket`` given."""

    @extend_schema(operation_id="runs_item_record", request=ItemInput, responses=RunItemSerializer)
    def post(self, request: Request, pk: Any, n: Any) -> Response:
        user = current_user(request)
        run = services.run_for(user, path_id(pk))
        data = valid(ItemInput, request)
        item = services.run_item_record(
            actor=user,
            run=run,
            position=_position(n),
            result=data["result"],
            note=data["note"],
            value=data["value"],
            ticket_id=data.get("ticket"),
            severity=data.get("severity", ""),
        )
        return Response(RunItemSerializer(item).data)


class EvidenceInput(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="A screenshot, a log excerpt, a listing (multipart).")


class RunEvidenceView(APIView):
    """Add an evidence file to check ``n`` (from 0) of an open run (multipart ``file``)."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="runs_item_evidence_add",
        request={"multipart/form-data": EvidenceInput},
        responses={201: EvidenceSerializer},
    )
    def post(self, request: Request, pk: Any, n: Any) -> Response:
        user = current_user(request)
        run = services.run_for(user, path_id(pk))
        upload = request.FILES.get("file")
        if upload is None:
            message = _("Choose a file.")
            raise ValidationError(message, fields={"file": [message]})
        evidence = services.evidence_add(actor=user, run=run, position=_position(n), upload=upload)
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)


def _position(raw: Any) -> int:
    number = path_id(raw)
    if number > 10000:
        raise ValidationError(_("This run has no such check."))
    return number


class RunReportView(APIView):
    """The run's report (巡检报告 / 演练报告) as PDF or Word (.docx), in Chinese."""

    content_negotiation_class = IgnoreFormatParameter

    @extend_schema(
        operation_id="runs_report",
        parameters=[OpenApiParameter("format", str, enum=["pdf", "docx"])],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, pk: Any) -> HttpResponse:
        run = services.run_for(current_user(request), path_id(pk))
        kind = request.query_params.get("format", "pdf")
        if kind not in ("pdf", "docx"):
            message = _("Choose pdf or docx.")
            raise ValidationError(message, fields={"format": [message]})
        return report.download(run, kind)


# --- emergency plans -------------------------------------------------------------------------
class PlanSerializer(serializers.ModelSerializer[EmergencyPlan]):
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = EmergencyPlan
        fields = [
            "id",
            "system",
            "scenario",
            "trigger",
            "steps",
            "contacts",
            "rto_minutes",
            "rpo_minutes",
            "exercise_days",
            "last_exercised_at",
            "last_run",
            "exercise_due_at",
            "overdue",
        ]
        read_only_fields = fields

    def get_overdue(self, plan: EmergencyPlan) -> bool:
        """Never exercised, or not within ``exercise_days``."""
        return services.plan_overdue(plan)


class PlanInput(serializers.Serializer[Any]):
    scenario = serializers.CharField(max_length=200)
    trigger = serializers.CharField(required=False, allow_blank=True)
    steps = serializers.ListField(child=serializers.CharField(max_length=2000))
    contacts = serializers.CharField(required=False, allow_blank=True)
    rto_minutes = serializers.IntegerField(required=False, allow_null=True)
    rpo_minutes = serializers.IntegerField(required=False, allow_null=True)
    exercise_days = serializers.IntegerField(
        required=False, help_text="1–3650: a plan not exercised within it is flagged (365)."
    )


class SystemPlansView(APIView):
    """The system's emergency plans; vendor staff of its project write one with POST."""

    @extend_schema(operation_id="system_plans_list", responses=PlanSerializer(many=True))
    def get(self, request: Request, pk: Any) -> Response:
        system = systems.system_for(current_user(request), path_id(pk))
        plans = EmergencyPlan.objects.filter(system=system).order_by("pk")
        return paged(plans, request, PlanSerializer)

    @extend_schema(
        operation_id="system_plans_create", request=PlanInput, responses={201: PlanSerializer}
    )
    def post(self, request: Request, pk: Any) -> Response:
        user = current_user(request)
        system = systems.system_for(user, path_id(pk))
        plan = services.plan_create(actor=user, system=system, data=valid(PlanInput, request))
        return Response(PlanSerializer(plan).data, status=status.HTTP_201_CREATED)


class PlanView(APIView):
    """One emergency plan: read it; vendor staff of its project edit or delete it."""

    @extend_schema(operation_id="plans_retrieve", responses=PlanSerializer)
    def get(self, request: Request, pk: Any) -> Response:
        return Response(PlanSerializer(_plan(request, pk)).data)

    @extend_schema(operation_id="plans_partial_update", request=PlanInput, responses=PlanSerializer)
    def patch(self, request: Request, pk: Any) -> Response:
        plan = _plan(request, pk)
        data = valid(PlanInput, request, partial=True)
        updated = services.plan_update(actor=current_user(request), plan=plan, data=data)
        return Response(PlanSerializer(updated).data)

    @extend_schema(operation_id="plans_destroy", responses={204: None})
    def delete(self, request: Request, pk: Any) -> Response:
        services.plan_delete(actor=current_user(request), plan=_plan(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _plan(request: Request, pk: Any) -> EmergencyPlan:
    plan = (
        services.visible_plans(current_user(request))
        .select_related("system__project")
        .filter(pk=path_id(pk))
        .first()
    )
    if plan is None:
        raise NotFound()
    return plan


urlpatterns = [
    path("routines/", RoutinesView.as_view(), name="routines"),
    path("routines/<str:pk>/", RoutineView.as_view(), name="routine"),
    path("routines/<str:pk>/runs/", RoutineRunsView.as_view(), name="routine-runs"),
    path("runs/<str:pk>/", RunView.as_view(), name="run"),
    path("runs/<str:pk>/items/<str:n>/", RunItemView.as_view(), name="run-item"),
    path("runs/<str:pk>/items/<str:n>/evidence/", RunEvidenceView.as_view(), name="run-evidence"),
    path("runs/<str:pk>/report/", RunReportView.as_view(), name="run-report"),
    path("systems/<str:pk>/emergency-plans/", SystemPlansView.as_view(), name="system-plans"),
    path("emergency-plans/<str:pk>/", PlanView.as_view(), name="emergency-plan"),
    # complete, sign: generated from their declarations (routines.run_actions)
    *(
        path(f"runs/<str:pk>/{name}/", actions.endpoint("run", name), name=f"run-{name}")
        for name in actions.ACTIONS["run"]
    ),
]
