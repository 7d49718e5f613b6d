from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog.models import Project
from campusdesk.core.widgets import FastSelect


class RegisterForm(forms.Form):
    reporter = forms.ModelChoiceField(
        widget=FastSelect, label=_("Customer user"), queryset=User.objects.none(), required=True
    )
    project = forms.ModelChoiceField(
        widget=FastSelect, label=_("Project"), queryset=Project.objects.none()
    )

    def __init__(self, *args: Any, projects: QuerySet[Project], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]
        self.fields["reporter"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            role=Role.CUSTOMER, is_active=True
        ).select_related("organisation")


class AppendForm(forms.Form):
    ticket_number = forms.CharField(label=_("Problem number"), max_length=20)


class DiscardForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class RetryForm(forms.Form):
    """No fields: a quarantined e-mail is processed again as it came."""


# --- alert triage --------------------------------------------------------------------------
class AcknowledgeForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class FalseAlarmForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        error_messages={"required": _("Say why this is a false alarm.")},
    )


class LinkForm(forms.Form):
    ticket_number = forms.CharField(label=_("Problem number"), max_length=20)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class RaiseForm(forms.Form):
    """No fields: the problem is registered from the alert as the monitoring would have."""
