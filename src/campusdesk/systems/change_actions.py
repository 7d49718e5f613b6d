"""The actions on a planned change (approve, complete, cancel), declared once with
``systems.actions.ObjectAction``: the API endpoints, their OpenAPI entries, the page's
buttons and forms and its POST handler are generated from these declarations. Also the
change's API shape, which the action endpoints answer with."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from campusdesk.accounts.models import User
from campusdesk.systems import actions, changes
from campusdesk.systems.models import Change
from campusdesk.tickets.serializers import PersonSerializer


class TargetSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    version = serializers.CharField(max_length=100)
    kind = serializers.CharField(
        required=False, help_text="Only for a component the system does not have yet."
    )


class ChangeSerializer(serializers.ModelSerializer[Change]):
    requested_by = PersonSerializer(read_only=True)
    approved_by = PersonSerializer(read_only=True, allow_null=True)
    completed_by = PersonSerializer(read_only=True, allow_null=True)
    targets = TargetSerializer(many=True, read_only=True)
    environment_version = serializers.IntegerField(
        source="environment_number",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The environment version the change's completion wrote, if any.",
    )

    class Meta:
        model = Change
        fields = [
            "id",
            "system",
            "kind",
            "title",
            "description",
            "window_start",
            "window_end",
            "risk",
            "rollback_plan",
            "targets",
            "out_of_scope",
            "workload_hours",
            "status",
            "requested_by",
            "requested_at",
            "approved_by",
            "approved_at",
            "completed_by",
            "completed_at",
            "notes",
            "environment_version",
        ]
        read_only_fields = fields


class NoInputSerializer(serializers.Serializer[Any]):
    pass


class CompleteSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=[(o.value, o.label) for o in changes.OUTCOMES])
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class CancelSerializer(serializers.Serializer[Any]):
    notes = serializers.CharField()


class CompleteForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("outcome"), choices=[(o.value, o.label) for o in changes.OUTCOMES]
    )
    notes = forms.CharField(
        label=_("outcome notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when the change was rolled back or failed."),
    )


class CancelForm(forms.Form):
    notes = forms.CharField(label=_("why"), widget=forms.Textarea(attrs={"rows": 2}))


def _after(change: Change, actor: User) -> Change:
    """The change as the API shows it (with the environment version it wrote)."""
    return changes.change_for(actor, change.pk)


def _approve(change: Change, actor: User, _data: dict[str, Any]) -> Change:
    return _after(changes.change_approve(change, actor), actor)


def _complete(change: Change, actor: User, data: dict[str, Any]) -> Change:
    done = changes.change_complete(change, actor, data["outcome"], data.get("notes") or "")
    return _after(done, actor)


def _cancel(change: Change, actor: User, data: dict[str, Any]) -> Change:
    return _after(changes.change_cancel(change, actor, data["notes"]), actor)


def _allowed(action: str) -> Callable[[Any, User], bool]:
    return lambda change, user: changes.allowed(action, change, user)


actions.register_kind(
    "change",
    lookup=changes.change_for,
    output=ChangeSerializer,
    page=lambda change: reverse("systems-change", args=[change.pk]),
)


_declare = actions.declarer("change", _allowed)


APPROVE = _declare(
    "approve",
    _("Approve"),
    NoInputSerializer,
    _approve,
    confirm=_("Approve this change? It may then be carried out in its window."),
)
COMPLETE = _declare(
    "complete",
    _("Record the outcome"),
    CompleteSerializer,
    _complete,
    CompleteForm,
    confirm=_("Record this outcome? A change done writes the new environment version."),
)
CANCEL = _declare(
    "cancel", _("Cancel the change"), CancelSerializer, _cancel, CancelForm, _("Cancel it?")
)
