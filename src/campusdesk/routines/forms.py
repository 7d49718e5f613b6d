"""The forms of the routine-work pages. They parse what was typed; ``routines.services``
checks it and its errors are shown on the fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campusdesk.routines.models import EmergencyPlan, Kind, Routine, RunItem
from campusdesk.routines.templates_builtin import TEMPLATES

#: "是" / "yes" / "y" / "1" in a checklist line's third part: evidence required
_YES = {"是", "yes", "y", "1", "true", "证据"}
#: "安全" / "security" in its fourth part: a security check (its failure is a finding)
_SECURITY = {"安全", "security", "sec"}


def parse_checklist(text: str) -> list[dict[str, Any]]:
    """One check a line: ``check | expected result | 是 | 安全`` (the last three may be left
    out; 是: evidence required, 安全: a security check)."""
    items = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        items.append(
            {
                "text": parts[0],
                "expected": parts[1] if len(parts) > 1 else "",
                "evidence": len(parts) > 2 and parts[2].lower() in _YES,
                "security": len(parts) > 3 and parts[3].lower() in _SECURITY,
            }
        )
    return items


def checklist_text(items: list[dict[str, Any]]) -> str:
    """The checklist as its form's lines (``parse_checklist`` reads them back)."""
    return "\n".join(
        " | ".join(
            [
                i["text"],
                i.get("expected", ""),
                "是" if i.get("evidence") else "",
                "安全" if i.get("security") else "",
            ]
        ).rstrip(" |")
        for i in items
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (the services check each file's name, type and size)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(one, initial) for one in data if one]
        return [super().clean(data, initial)] if data else []


class RoutineForm(forms.Form):
    template = forms.ChoiceField(
        label=_("start from"),
        required=False,
        choices=[("", _("(my own checklist)")), *((k, t.label) for k, t in TEMPLATES.items())],
        help_text=_("A checklist that ships with the product; the lines below win if filled."),
    )
    name = forms.CharField(label=_("name"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=Kind.choices)
    systems = forms.MultipleChoiceField(label=_("application systems"))
    assignee = forms.ChoiceField(label=_("assignee"), required=False)
    recurrence = forms.CharField(
        label=_("recurrence"),
        max_length=500,
        initial="FREQ=MONTHLY;BYMONTHDAY=1",
        help_text=_(
            "An RRULE: monthly FREQ=MONTHLY;BYMONTHDAY=1, quarterly FREQ=MONTHLY;INTERVAL=3, "
            "every 14 days FREQ=DAILY;INTERVAL=14, Mondays FREQ=WEEKLY;BYDAY=MO."
        ),
    )
    starts_on = forms.DateField(
        label=_("starts on"),
        required=False,
        # a date input reads ISO dates only (the Chinese format's first is 2025/12/01)
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    working_days = forms.BooleanField(
        label=_("working days only"),
        required=False,
        initial=True,
        help_text=_("A due day off work (weekend, holiday) moves to the next working day."),
    )
    lead_days = forms.IntegerField(
        label=_("lead time (days)"), min_value=0, max_value=60, initial=3
    )
    checklist = forms.CharField(
        label=_("checklist"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "One check a line: check | expected result | 是 (evidence required) | 安全 "
            "(a security check: its failure opens a vulnerability finding)."
        ),
    )
    plan = forms.ChoiceField(label=_("emergency plan exercised"), required=False)

    def __init__(
        self,
        *args: Any,
        systems: list[tuple[int, str]],
        people: list[tuple[int, str]],
        plans: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, choices in (
            ("systems", systems),
            ("assignee", [("", _("the project's line-1 team")), *people]),
            ("plan", [("", "—"), *plans]),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
            field.choices = choices

    def data_for_service(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        key = data.pop("template", "")
        items = parse_checklist(data["checklist"] or "")
        if not items and key:
            items = TEMPLATES[key].items()
        data["checklist"] = items
        data["starts_on"] = data["starts_on"] or None
        data["assignee"] = data["assignee"] or None
        data["plan"] = data["plan"] or None
        if data["starts_on"] is None:
            data.pop("starts_on")
        return data


class RoutineEditForm(RoutineForm):
    """A planned routine's form, filled with what it stores: no template to start from, and
    whether it is active (a routine with a history is paused rather than deleted)."""

    is_active = forms.BooleanField(
        label=_("active"),
        required=False,
        help_text=_("A paused routine creates no new runs; its history stays."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["template"]

    @classmethod
    def of(cls, routine: Routine, data: Any = None, **choices: Any) -> RoutineEditForm:
        initial = {
            "name": routine.name,
            "kind": routine.kind,
            "systems": [system.pk for system in routine.systems.all()],
            "assignee": routine.assignee_id or "",
            "recurrence": routine.recurrence,
            "starts_on": routine.starts_on,
            "working_days": routine.working_days,
            "lead_days": routine.lead_days,
            "checklist": checklist_text(routine.checklist),
            "plan": routine.plan_id or "",
            "is_active": routine.is_active,
        }
        return cls(data, initial=initial, **choices)


class PlanForm(forms.Form):
    """An emergency plan of one system: its steps typed one a line."""

    scenario = forms.CharField(label=_("scenario"), max_length=200)
    trigger = forms.CharField(
        label=_("trigger"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    steps = forms.CharField(
        label=_("steps"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("One step a line, in the order they are taken."),
    )
    contacts = forms.CharField(
        label=_("roles and contacts"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    rto_minutes = forms.IntegerField(
        label=_("target recovery time (min)"), required=False, min_value=0, max_value=525600
    )
    rpo_minutes = forms.IntegerField(
        label=_("target data loss (min)"), required=False, min_value=0, max_value=525600
    )
    exercise_days = forms.IntegerField(
        label=_("exercise interval (days)"),
        min_value=1,
        max_value=3650,
        initial=365,
        help_text=_("A plan not exercised within this many days is flagged for a drill."),
    )

    @classmethod
    def of(cls, plan: EmergencyPlan, data: Any = None) -> PlanForm:
        initial = {name: getattr(plan, name) for name in PLAN_FIELDS}
        initial["steps"] = "\n".join(plan.steps)
        return cls(data, initial=initial)

    def data_for_service(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in PLAN_FIELDS}
        data["steps"] = [line.strip() for line in data["steps"].splitlines() if line.strip()]
        return data


#: the plan's fields the form edits (the service's names)
PLAN_FIELDS = (
    "scenario",
    "trigger",
    "steps",
    "contacts",
    "rto_minutes",
    "rpo_minutes",
    "exercise_days",
)


class ItemForm(forms.Form):
    result = forms.ChoiceField(
        label=_("result"),
        choices=[c for c in RunItem.Result.choices if c[0]],
        widget=forms.RadioSelect,
    )
    value = forms.CharField(label=_("measured value"), max_length=200, required=False)
    evidence = MultipleFileField(label=_("evidence files"), required=False)
    severity = forms.ChoiceField(
        label=_("severity of the finding"),
        required=False,
        choices=[
            ("high", pgettext_lazy("vulnerability", "High")),
            ("critical", pgettext_lazy("vulnerability", "Critical")),
            ("medium", pgettext_lazy("vulnerability", "Medium")),
            ("low", pgettext_lazy("vulnerability", "Low")),
        ],
        help_text=_("A failed security check opens a vulnerability finding of this severity."),
    )
    note = forms.CharField(
        label=_("note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when it fails: what was found."),
    )
