"""The actions on a routine run (complete, sign), declared once with
``systems.actions.ObjectAction``: their API endpoints (``/api/v1/runs/{id}/complete/``,
``…/sign/``), OpenAPI entries, the run page's buttons and forms, and the page's POST handler
are generated from these declarations. Also the run's API shape they answer with."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.routines import services
from campusdesk.routines.models import Evidence, Run, RunItem
from campusdesk.systems import actions
from campusdesk.systems import selectors as systems


class EvidenceSerializer(serializers.ModelSerializer[Evidence]):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = ["id", "name", "size", "content_type", "uploaded_by", "uploaded_at", "url"]
        read_only_fields = fields

    def get_url(self, evidence: Evidence) -> str:
        """Where the file downloads (signed in; always as a download)."""
        return reverse("routines:evidence", args=[evidence.item.run_id, evidence.pk])


class RunItemSerializer(serializers.ModelSerializer[RunItem]):
    n = serializers.IntegerField(source="position", read_only=True)
    tickets = serializers.SerializerMethodField()
    files = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = RunItem
        fields = [
            "n",
            "system",
            "text",
            "expected",
            "evidence",
            "security",
            "result",
            "note",
            "value",
            "recorded_by",
            "recorded_at",
            "tickets",
            "finding",
            "files",
        ]
        read_only_fields = fields

    def get_tickets(self, item: RunItem) -> list[int]:
        """The ids of the tickets the check opened or was linked to."""
        return [item.ticket_id] if item.ticket_id else []


class RunSerializer(serializers.ModelSerializer[Run]):
    items = RunItemSerializer(many=True, read_only=True)

    class Meta:
        model = Run
        fields = [
            "id",
            "routine",
            "kind",
            "title",
            "due_on",
            "scheduled",
            "status",
            "assignee",
            "plan",
            "created_at",
            "completed_at",
            "completed_by",
            "summary",
            "recovery_minutes",
            "data_loss_minutes",
            "workload_hours",
            "manager_signed_by",
            "manager_signed_at",
            "customer_confirmed_by",
            "customer_confirmed_at",
            "items",
        ]
        read_only_fields = fields


class RunCompleteSerializer(serializers.Serializer[Any]):
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    recovery_minutes = serializers.IntegerField(
        required=False, allow_null=True, help_text="A drill: the recovery time measured."
    )
    data_loss_minutes = serializers.IntegerField(
        required=False, allow_null=True, help_text="A drill: the data loss measured."
    )
    workload_hours = serializers.DecimalField(
        max_digits=6,
        decimal_places=1,
        required=False,
        allow_null=True,
        min_value=Decimal(0),
        help_text="The hours the run took: they count against the contract's hour budget.",
    )


class NoInputSerializer(serializers.Serializer[Any]):
    pass


class CompleteForm(forms.Form):
    summary = forms.CharField(
        label=_("conclusion"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    recovery_minutes = forms.IntegerField(
        label=_("measured recovery time (min)"),
        required=False,
        min_value=0,
        help_text=_("A drill records what it measured against its plan's targets."),
    )
    data_loss_minutes = forms.IntegerField(
        label=_("measured data loss (min)"), required=False, min_value=0
    )
    workload_hours = forms.DecimalField(
        label=_("workload (hours)"),
        required=False,
        min_value=0,
        max_digits=6,
        decimal_places=1,
        help_text=_("Counted against the contract's service hour budget."),
    )


def with_items(run: Run) -> Run:
    return Run.objects.prefetch_related("items__files__item").get(pk=run.pk)


def _complete(run: Run, actor: User, data: dict[str, Any]) -> Run:
    return with_items(services.run_complete(actor=actor, run=run, **data))


def _sign(run: Run, actor: User, _data: dict[str, Any]) -> Run:
    return with_items(services.run_sign(actor=actor, run=run))


def may_sign(run: Run, user: User) -> bool:
    if run.status != Run.Status.COMPLETED:
        return False
    project = run.routine.project
    if user.pk == project.service_manager_id:
        return run.manager_signed_at is None
    is_customer = user.role == Role.CUSTOMER and user.organisation_id == project.organisation_id
    return is_customer and run.customer_confirmed_at is None


def _allowed(action: str) -> Callable[[Any, User], bool]:
    if action == "complete":
        return lambda run, user: (
            run.status == Run.Status.OPEN and systems.may_manage(user, run.routine.project)
        )
    return may_sign


actions.register_kind(
    "run",
    lookup=services.run_for,
    output=RunSerializer,
    page=lambda run: reverse("routines:run", args=[run.pk]),
)

_declare = actions.declarer("run", _allowed)

COMPLETE = _declare(
    "complete",
    _("Complete the run"),
    RunCompleteSerializer,
    _complete,
    CompleteForm,
    confirm=_("Complete this run? Its results no longer change afterwards."),
)
SIGN = _declare(
    "sign",
    _("Sign the report"),
    NoInputSerializer,
    _sign,
    confirm=_("Sign this report?"),
)
