"""Web forms: they parse and show field errors; the rules live in services.py."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms import BoundField
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Product, Project
from campusdesk.core import clock
from campusdesk.core.text import validate_one_line
from campusdesk.core.widgets import FastSelect, LazySelect
from campusdesk.tickets.models import (
    IncidentReport,
    OutOfScopeType,
    ServiceType,
    Severity,
    Status,
    Urgency,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MINUTE = "%Y-%m-%dT%H:%M"  # what a datetime-local input reads and writes
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=MINUTE)


def set_choices(form: forms.BaseForm, name: str, queryset: QuerySet[Any]) -> None:
    """Limit a model choice field to ``queryset`` (what the user may pick)."""
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(name)
    field.queryset = queryset


def lazy(form: forms.BaseForm, name: str) -> None:
    """Load the options of filter ``name`` when reached for, however few (a list that grows
    with the vendor's customers need not be counted on every page to find out)."""
    widget = form.fields[name].widget
    if isinstance(widget, LazySelect):
        widget.always_lazy = True


def _text(label: Any, rows: int = 4, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        widget=forms.Textarea(attrs={"rows": rows}),
        required=required,
        max_length=20000,
    )


class RegisterForm(forms.Form):
    project = forms.ModelChoiceField(
        widget=FastSelect, label=_("project"), queryset=Project.objects.none()
    )
    title = forms.CharField(label=_("title"), max_length=200, validators=[validate_one_line])
    description = _text(_("process and symptoms"), rows=6)
    environment = _text(_("system environment"), rows=3, required=False)
    urgency = forms.ChoiceField(
        widget=FastSelect, label=_("urgency"), choices=Urgency.choices, initial=Urgency.MEDIUM
    )
    expected_resolution_date = forms.DateField(
        label=_("expected resolution date"), required=False, widget=DATE
    )
    service_type = forms.ChoiceField(
        widget=FastSelect, label=_("service type"), choices=ServiceType.choices
    )
    reporter = forms.ModelChoiceField(
        widget=FastSelect, label=_("reporter"), queryset=User.objects.none(), required=False
    )
    call_notes = _text(_("notes of the call"), rows=3, required=False)

    def __init__(
        self,
        *args: Any,
        projects: QuerySet[Project],
        customers: QuerySet[User] | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if customers is None:
            del self.fields["reporter"]
            del self.fields["call_notes"]
        else:
            projects = self._for_the_caller(projects, customers)
        set_choices(self, "project", projects)
        if len(projects) == 1:
            self.fields["project"].initial = projects[0]

    def _for_the_caller(
        self, projects: QuerySet[Project], customers: QuerySet[User]
    ) -> QuerySet[Project]:
        """The hotline: the caller first (the page's search sits right above), then the
        project, narrowed to the caller's organisation's contracts once one is chosen (a new
        choice loads them: ``views.project_options``). A project of another organisation is
        refused beside the project's field, naming the caller's organisation."""
        set_choices(self, "reporter", customers)
        self.fields["reporter"].required = True
        self.order_fields(["reporter", "project"])
        self.fields["reporter"].widget.attrs |= {
            "hx-get": reverse("tickets:project_options"),
            "hx-trigger": "change",
            "hx-target": "#id_project",
            "hx-swap": "innerHTML",
            "hx-include": "#id_project",
            "hx-params": "reporter,project",
        }
        raw = str(self["reporter"].value() or "")
        chosen = raw.isdigit() and len(raw) < 19  # a key, not a number beyond the column's
        caller = customers.filter(pk=int(raw)).first() if chosen else None
        if caller is None or caller.organisation is None:
            return projects
        message = _("Choose a project of the caller's organisation (%(organisation)s).") % {
            "organisation": caller.organisation.name
        }
        # Django formats the message with the refused value: a % of the name stays a %
        self.fields["project"].error_messages["invalid_choice"] = message.replace("%", "%%")
        return projects.filter(organisation=caller.organisation)


class TargetCheckForm(forms.Form):
    """A form with a committed time: a time beyond the resolution target comes back once with
    the service's warning on this box, which the person ticks to keep the time. The box is
    shown only then (or while ticked), not on every form."""

    ACK = "beyond_target_ok"  # the field the service's warning names
    beyond_target_ok = forms.BooleanField(
        label=_("I know this is beyond the target time"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[self.ACK] = self.fields.pop(self.ACK)  # after the time it confirms

    def __iter__(self) -> Iterator[BoundField]:
        for bound in super().__iter__():
            if bound.name != self.ACK or bound.errors or bound.value():
                yield bound


class AcceptForm(TargetCheckForm):
    severity = forms.ChoiceField(
        widget=FastSelect,
        label=_("severity"),
        choices=[("", "—"), *Severity.choices],
        required=False,
    )
    committed_resolution_at = forms.DateTimeField(
        label=_("committed resolution time"), widget=DATETIME
    )

    def __init__(
        self,
        *args: Any,
        severity: str = "",
        targets: Mapping[str, datetime] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # the severity is kept from tier to tier: the next line starts from the current one
        self.fields["severity"].initial = severity
        if targets:
            self._prefill(severity, targets)

    def _prefill(self, severity: str, targets: Mapping[str, datetime]) -> None:
        """The committed time starts at the resolution target of the chosen severity (what it
        is measured by), and follows the severity's select (``app.js``: ``data-fill``) until
        the person types a time of their own. Targets to the minute, never rounded past the
        target; one already past (a late tier) is no suggestion."""
        now = clock.now()
        values = {}
        for key, when in targets.items():
            minute = when.replace(second=0, microsecond=0)
            values[key] = clock.local(minute).strftime(MINUTE) if minute > now else ""
        current = values.get(severity, values.get("", ""))
        self.fields["severity"].widget.attrs |= {
            "data-fill": "committed_resolution_at",
            "data-fill-values": json.dumps(values, sort_keys=True),
        }
        self.fields["committed_resolution_at"].initial = current
        self.fields["committed_resolution_at"].widget.attrs["data-filled"] = current


class CommitmentForm(TargetCheckForm):
    committed_resolution_at = forms.DateTimeField(
        label=_("new committed resolution time"), widget=DATETIME
    )
    reason = _text(_("reason for the change"), rows=2)


class RecordForm(forms.Form):
    body = _text(_("record"), rows=4)
    internal = forms.BooleanField(label=_("internal note (vendor staff only)"), required=False)


class ReasonForm(forms.Form):
    reason = _text(_("reason"), rows=2)


class OptionalReasonForm(forms.Form):
    reason = _text(_("reason"), rows=2, required=False)


class AssignForm(forms.Form):
    user = forms.ModelChoiceField(
        widget=FastSelect, label=_("handler"), queryset=User.objects.none()
    )

    def __init__(self, *args: Any, staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "user", staff)


class SolutionForm(forms.Form):
    solution = _text(_("solution"), rows=4)


class CloseForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("rating"),
        coerce=int,
        choices=[(n, "★" * n) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = _text(_("comment"), rows=2, required=False)
    workload_hours = forms.DecimalField(
        label=_("workload (hours)"), min_value=0, max_digits=7, decimal_places=2
    )


class UrgeForm(forms.Form):
    message = _text(_("message"), rows=2, required=False)


class OutOfScopeForm(forms.Form):
    change_type = forms.ChoiceField(
        widget=FastSelect, label=_("out-of-scope change"), choices=OutOfScopeType.choices
    )
    workload_hours = forms.DecimalField(
        label=_("workload (hours)"), min_value=0, max_digits=7, decimal_places=2
    )


class IncidentReportForm(forms.ModelForm[IncidentReport]):
    class Meta:
        model = IncidentReport
        fields = list(IncidentReport.REQUIRED)
        widgets = {
            "what_happened": forms.Textarea(attrs={"rows": 3}),
            "cause": forms.Textarea(attrs={"rows": 3}),
            "solution": forms.Textarea(attrs={"rows": 3}),
            "improvements": forms.Textarea(attrs={"rows": 3}),
        }


class AttachForm(forms.Form):
    file = forms.FileField(label=_("file"))


class IncludeArchivedField(forms.BooleanField):
    """The problem list's "archived too" box (a search finds archived problems anyway)."""

    def __init__(self) -> None:
        super().__init__(label=_("archived too"), required=False)


class QueueFilterForm(forms.Form):
    search = forms.CharField(label=_("keyword"), required=False, max_length=100)
    status = forms.ChoiceField(
        widget=FastSelect,
        label=_("status"),
        required=False,
        choices=[("", "—"), *Status.choices],
    )
    severity = forms.ChoiceField(
        widget=FastSelect,
        label=_("severity"),
        required=False,
        choices=[("", "—"), *Severity.choices],
    )
    tier = forms.TypedChoiceField(
        widget=FastSelect,
        label=_("tier"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), (1, "1"), (2, "2"), (3, "3"), (4, "4")],
    )
    product = forms.ModelChoiceField(
        widget=LazySelect(url=reverse_lazy("tickets:filter_options", args=["product"])),
        label=_("product"),
        required=False,
        queryset=Product.objects.none(),
    )
    project = forms.ModelChoiceField(
        widget=LazySelect(url=reverse_lazy("tickets:filter_options", args=["project"])),
        label=_("project"),
        required=False,
        queryset=Project.objects.none(),
    )
    assignee = forms.ModelChoiceField(
        widget=LazySelect(url=reverse_lazy("tickets:filter_options", args=["assignee"])),
        label=_("assignee"),
        required=False,
        queryset=User.objects.none(),
    )


class QuestionForm(forms.Form):
    question = _text(_("question for the customer"), rows=3)


class AnswerForm(forms.Form):
    answer = _text(_("answer"), rows=3)


class OpsRecordForm(forms.Form):
    body = _text(_("operations record (vendor staff only)"), rows=3)


class CorrectiveActionForm(forms.Form):
    cause = _text(_("cause of the delay"), rows=2)
    plan = _text(_("new plan"), rows=2)


class DispatchForm(forms.Form):
    engineer = forms.ModelChoiceField(
        widget=FastSelect, label=_("engineer"), queryset=User.objects.none()
    )
    arrived_at = forms.DateTimeField(label=_("arrived on site at"), widget=DATETIME)
    note = _text(_("note"), rows=2, required=False)

    def __init__(self, *args: Any, staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "engineer", staff)
