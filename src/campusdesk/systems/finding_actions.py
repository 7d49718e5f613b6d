"""The actions on a finding (start fixing, accept the risk, mark fixed by decision, reopen),
declared once with ``systems.actions.ObjectAction``: the API endpoints
(``/api/v1/findings/{id}/<name>/``), their OpenAPI entries, the page's buttons and forms
and its POST handler come from these declarations. Also the finding's API shape, which
the action endpoints answer with."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from campusdesk.accounts.models import User
from campusdesk.core import clock
from campusdesk.core.api import IdField
from campusdesk.systems import actions, findings
from campusdesk.systems.findings_selectors import ACTIVE, finding_for
from campusdesk.systems.models import Finding
from campusdesk.systems.selectors import may_manage


class FindingSerializer(serializers.ModelSerializer[Finding]):
    system_name = serializers.CharField(source="system.name", read_only=True)
    identifier = serializers.CharField(source="vulnerability.identifier", read_only=True)
    title = serializers.CharField(source="vulnerability.title", read_only=True)
    severity = serializers.CharField(source="vulnerability.severity", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = [
            "id",
            "system",
            "system_name",
            "vulnerability",
            "identifier",
            "title",
            "severity",
            "status",
            "installed_version",
            "due_date",
            "overdue",
            "reason",
            "fixed_by_decision",
            "accepted_until",
            "change",
            "ticket",
            "opened_at",
            "closed_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_overdue(self, finding: Finding) -> bool:
        return is_overdue(finding)


def is_overdue(finding: Finding, today: date | None = None) -> bool:
    today = today or clock.local(clock.now()).date()
    return finding.status in ACTIVE and finding.due_date < today


class FixingSerializer(serializers.Serializer[Any]):
    change = IdField(required=False, allow_null=True, help_text="A change of the same system.")
    ticket = IdField(required=False, allow_null=True, help_text="A problem of the organisation.")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class FindingAcceptSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField()
    until = serializers.DateField(
        required=False, allow_null=True, help_text="The last day; default: in 180 days."
    )


class FindingReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField()


class ReopenSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class FixingForm(forms.Form):
    change = forms.IntegerField(label=_("change (number)"), required=False, min_value=1)
    ticket = forms.IntegerField(label=_("problem (id)"), required=False, min_value=1)
    reason = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AcceptForm(forms.Form):
    reason = forms.CharField(
        label=_("why the risk is accepted"), widget=forms.Textarea(attrs={"rows": 3})
    )
    until = forms.DateField(
        label=_("accepted until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: 180 days from today."),
    )


class FixedForm(forms.Form):
    reason = forms.CharField(
        label=_("why it is fixed"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Such as: the distribution's package carries the fix (its advisory)."),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("why"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def _fixing(finding: Finding, actor: User, data: dict[str, Any]) -> Finding:
    return findings.finding_start_fixing(
        finding_id=finding.pk,
        actor=actor,
        change_id=data.get("change"),
        ticket_id=data.get("ticket"),
        reason=data.get("reason") or "",
    )


def _accept(finding: Finding, actor: User, data: dict[str, Any]) -> Finding:
    return findings.finding_accept(
        finding_id=finding.pk, actor=actor, reason=data["reason"], until=data.get("until")
    )


def _fixed(finding: Finding, actor: User, data: dict[str, Any]) -> Finding:
    return findings.finding_mark_fixed(finding_id=finding.pk, actor=actor, reason=data["reason"])


def _reopen(finding: Finding, actor: User, data: dict[str, Any]) -> Finding:
    return findings.finding_reopen(
        finding_id=finding.pk, actor=actor, reason=data.get("reason") or ""
    )


def allowed(action: str, finding: Finding, user: User) -> bool:
    """Whether ``user`` is offered ``action`` on ``finding`` now (the service checks again)."""
    sources, _target = findings.TRANSITIONS[action]
    return finding.status in sources and may_manage(user, finding.system.project)


def _allowed(action: str) -> Any:
    return lambda finding, user: allowed(action, finding, user)


actions.register_kind(
    "finding",
    lookup=finding_for,
    output=FindingSerializer,
    page=lambda finding: reverse("systems-finding", args=[finding.pk]),
)


_declare = actions.declarer("finding", _allowed)


FIXING = _declare("fixing", _("Start fixing"), FixingSerializer, _fixing, FixingForm)
ACCEPT = _declare(
    "accept",
    _("Accept the risk"),
    FindingAcceptSerializer,
    _accept,
    AcceptForm,
    confirm=_("Accept this risk until the day given? It is reminded 10 days before."),
)
FIXED = _declare(
    "fixed",
    _("Mark fixed"),
    FindingReasonSerializer,
    _fixed,
    FixedForm,
    confirm=_(
        "Mark this finding fixed although its version lies in the range? The decision "
        "holds while the version stays in the range."
    ),
)
REOPEN = _declare("reopen", _("Reopen"), ReopenSerializer, _reopen, ReopenForm)
