"""The forms of the survey pages. They parse; ``surveys.services`` decides what is valid (the
web and the API say the same), so the answer form's fields are all optional here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campusdesk.core.text import validate_one_line
from campusdesk.surveys.models import Question, QuestionKind
from campusdesk.surveys.services import MAX_QUESTIONS, field_name

_DAY = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SurveyForm(forms.Form):
    project = forms.TypedChoiceField(label=pgettext_lazy("survey", "service contract"), coerce=int)
    title = forms.CharField(
        label=pgettext_lazy("survey", "title"), max_length=200, validators=[validate_one_line]
    )
    period_label = forms.CharField(
        label=_("period surveyed"),
        max_length=100,
        validators=[validate_one_line],
        help_text=_("As the customers say it, e.g. 2026 秋季学期."),
    )
    opens_on = forms.DateField(label=_("opens on"), widget=_DAY)
    closes_on = forms.DateField(label=_("closes on"), widget=_DAY)

    def __init__(self, *args: Any, projects: list[tuple[int, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if projects is None:  # an existing survey keeps its contract
            del self.fields["project"]
        else:
            field = self.fields["project"]
            assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
            field.choices = projects


class QuestionForm(forms.Form):
    text = forms.CharField(
        label=pgettext_lazy("survey", "question"), max_length=300, required=False
    )
    kind = forms.ChoiceField(
        label=pgettext_lazy("survey question", "answered by"), choices=QuestionKind.choices
    )
    options = forms.CharField(
        label=pgettext_lazy("survey question", "options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("A single-choice question's options, one per line."),
    )
    required = forms.BooleanField(
        label=pgettext_lazy("survey question", "required"), required=False, initial=True
    )


QuestionFormSet = forms.formset_factory(
    QuestionForm, extra=2, can_delete=True, can_order=True, max_num=MAX_QUESTIONS
)


def question_rows(formset: Any) -> list[dict[str, Any]]:
    """The questions the formset keeps, in its order: those with a text, not deleted."""
    kept = [
        form
        for form in formset.ordered_forms
        if form.cleaned_data.get("text", "").strip() and not form.cleaned_data.get("DELETE")
    ]
    return [
        {key: form.cleaned_data.get(key) for key in ("text", "kind", "options", "required")}
        for form in kept
    ]


def question_initial(questions: list[Question]) -> list[dict[str, Any]]:
    return [
        {
            "text": q.text,
            "kind": q.kind,
            "options": "\n".join(q.options),
            "required": q.required,
            "ORDER": q.position,
        }
        for q in questions
    ]


def _stars(n: int) -> str:
    return f"{'★' * n}{'☆' * (5 - n)} {n}"


class AnswerForm(forms.Form):
    """One field per question (``q<id>``), labelled with its text."""

    def __init__(self, *args: Any, questions: list[Question], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[field_name(question)] = _field(question)

    def answers(self) -> dict[int, Any]:
        return {q.pk: self.cleaned_data.get(field_name(q)) for q in self.questions}


def _field(question: Question) -> forms.Field:
    label = question.text
    if question.kind == QuestionKind.TEXT:
        return forms.CharField(
            label=label,
            required=False,
            strip=True,
            widget=forms.Textarea(attrs={"rows": 4}),
        )
    if question.kind == QuestionKind.RATING:
        choices = [(str(n), _stars(n)) for n in (5, 4, 3, 2, 1)]
    else:
        choices = [(option, option) for option in question.options]
    return forms.CharField(
        label=label, required=False, strip=True, widget=forms.RadioSelect(choices=choices)
    )
