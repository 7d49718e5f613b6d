"""/api/v1/tickets/{id}/emergency-plans/: an incident ticket's emergency plans (应急预案),
those opened on it with their checklist and its system's others; open one; tick a step.

Thin views over ``routines.ticket_plans``: the ticket is looked up through
``tickets.selectors.visible_tickets`` (another organisation's is not there: 404); the
domain errors become 400/403/404/409 (``core.api``).
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campusdesk.core.api import IdField, path_id, valid
from campusdesk.core.errors import NotFound
from campusdesk.core.http import current_user
from campusdesk.routines import ticket_plans
from campusdesk.routines.models import EmergencyPlan
from campusdesk.tickets.models import Channel, Ticket
from campusdesk.tickets.selectors import visible_tickets


class StepSerializer(serializers.Serializer[ticket_plans.Step]):
    n = serializers.IntegerField(read_only=True, help_text="The step's number, from 0.")
    text = serializers.CharField(read_only=True)
    done_at = serializers.DateTimeField(read_only=True, allow_null=True)
    done_by = serializers.IntegerField(
        source="done_by_id", read_only=True, allow_null=True, help_text="Who ticked it."
    )


class OpenedPlanSerializer(serializers.Serializer[ticket_plans.OpenedPlan]):
    plan = serializers.IntegerField(source="plan.pk", read_only=True)
    scenario = serializers.CharField(source="plan.scenario", read_only=True)
    contacts = serializers.CharField(source="plan.contacts", read_only=True)
    rto_minutes = serializers.IntegerField(
        source="plan.rto_minutes", read_only=True, allow_null=True
    )
    rpo_minutes = serializers.IntegerField(
        source="plan.rpo_minutes", read_only=True, allow_null=True
    )
    opened_by = serializers.IntegerField(source="ticket_plan.opened_by_id", read_only=True)
    opened_at = serializers.DateTimeField(source="ticket_plan.opened_at", read_only=True)
    steps = StepSerializer(many=True, read_only=True)
    done = serializers.IntegerField(read_only=True, help_text="How many steps are ticked.")
    total = serializers.IntegerField(read_only=True)


class MatchingPlanSerializer(serializers.ModelSerializer[EmergencyPlan]):
    class Meta:
        model = EmergencyPlan
        fields = ["id", "scenario", "trigger", "steps", "contacts", "rto_minutes", "rpo_minutes"]
        read_only_fields = fields


class TicketPlansSerializer(serializers.Serializer[ticket_plans.TicketPlans]):
    opened = OpenedPlanSerializer(many=True, read_only=True)
    matching = MatchingPlanSerializer(
        many=True,
        read_only=True,
        help_text="The plans of the ticket's application system not opened on it yet.",
    )


class OpenInput(serializers.Serializer[Any]):
    plan = IdField(help_text="An emergency plan of the ticket's application system.")


class StepInput(serializers.Serializer[Any]):
    done = serializers.BooleanField(help_text="true: ticked by you, now; false: not done.")


def _ticket(request: Request, pk: Any) -> Ticket:
    user = current_user(request)
    ticket = visible_tickets(user).select_related("project").filter(pk=path_id(pk)).first()
    if ticket is None:
        raise NotFound()
    return ticket


class TicketPlansView(APIView):
    """An incident ticket's emergency plans; vendor staff of its project open one (POST)."""

    @extend_schema(operation_id="ticket_emergency_plans_list", responses=TicketPlansSerializer)
    def get(self, request: Request, pk: Any) -> Response:
        plans = ticket_plans.plans_of(_ticket(request, pk))
        return Response(TicketPlansSerializer(plans).data)

    @extend_schema(
        operation_id="ticket_emergency_plans_open",
        request=OpenInput,
        responses={201: OpenedPlanSerializer},
    )
    def post(self, request: Request, pk: Any) -> Response:
        ticket = _ticket(request, pk)
        data = valid(OpenInput, request)
        opened = ticket_plans.plan_open(
            actor=current_user(request), ticket=ticket, plan_id=data["plan"], channel=Channel.API
        )
        body = OpenedPlanSerializer(ticket_plans.opened_plan(opened)).data
        return Response(body, status=status.HTTP_201_CREATED)


class TicketPlanStepView(APIView):
    """Tick step ``n`` (from 0) of a plan opened on the ticket, or untick it."""

    @extend_schema(
        operation_id="ticket_emergency_plans_step",
        request=StepInput,
        responses=OpenedPlanSerializer,
    )
    def post(self, request: Request, pk: Any, plan_pk: Any, n: Any) -> Response:
        ticket = _ticket(request, pk)
        ticket_plan = ticket_plans.ticket_plan_for(ticket, path_id(plan_pk))
        data = valid(StepInput, request)
        changed = ticket_plans.step_toggle(
            actor=current_user(request),
            ticket_plan=ticket_plan,
            n=path_id(n),
            done=data["done"],
        )
        return Response(OpenedPlanSerializer(ticket_plans.opened_plan(changed)).data)


urlpatterns = [
    path(
        "tickets/<str:pk>/emergency-plans/",
        TicketPlansView.as_view(),
        name="ticket-emergency-plans",
    ),
    path(
        "tickets/<str:pk>/emergency-plans/<str:plan_pk>/steps/<str:n>/",
        TicketPlanStepView.as_view(),
        name="ticket-emergency-plan-step",
    ),
]
