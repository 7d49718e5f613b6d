"""The forms of the routine-work pages. They parse what was typed; ``routines.services``
checks it and its errors are shown on the fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from campusdesk.routines.models import Kind, RunItem
from campusdesk.routines.templates_builtin import TEMPLATES

#: "是" / "yes" / "y" / "1" at the end of a checklist line: evidence required
_YES = {"是", "yes", "y", "1", "true", "证据"}


def parse_checklist(text: str) -> list[dict[str, Any]]:
    """One check a line: ``check | expected result | 是`` (the last two may be left out)."""
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
            }
        )
    return items


def checklist_text(items: list[dict[str, Any]]) -> str:
    return "\n".join(
        " | ".join([i["text"], i.get("expected", ""), "是" if i.get("evidence") else ""]).rstrip(
            " |"
        )
        for i in items
    )


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
        label=_("starts on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
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
        help_text=_("One check a line: check | expected result | 是 (evidence required)."),
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
        key = data.pop("template")
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


class ItemForm(forms.Form):
    result = forms.ChoiceField(
        label=_("result"),
        choices=[c for c in RunItem.Result.choices if c[0]],
        widget=forms.RadioSelect,
    )
    value = forms.CharField(label=_("measured value"), max_length=200, required=False)
    note = forms.CharField(
        label=_("note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when it fails: what was found."),
    )
