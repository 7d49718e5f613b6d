"""The Python form renderer writes the same HTML as Django's widget templates (issue 9)."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from campusdesk.core.widgets import FAST_TEMPLATES, FastRenderer, FastSelect
from campusdesk.tickets import forms as ticket_forms

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Everything(forms.Form):
    text = forms.CharField(max_length=20, help_text="x")
    quoted = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"placeholder": 'a "b" <c> & d'})
    )
    number = forms.IntegerField(min_value=0)
    decimal = forms.DecimalField(max_digits=5, decimal_places=1, required=False)
    email = forms.EmailField(required=False)
    url = forms.URLField(required=False, assume_scheme="https")
    password = forms.CharField(widget=forms.PasswordInput(render_value=True), required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False)
    moment = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), required=False
    )
    upload = forms.FileField(required=False)
    check = forms.BooleanField(required=False)
    flag = forms.BooleanField(required=False, widget=forms.CheckboxInput(attrs={"data-x": True}))
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "disabled": False}))
    empty_body = forms.CharField(widget=forms.Textarea, required=False)
    choice = forms.ChoiceField(choices=[("", "—"), ("a", "<A>")], required=False, widget=FastSelect)


VALUES = [
    {},
    {
        "text": 'say "hi" <b>&amp;</b>',
        "number": "7",
        "decimal": "2.5",
        "email": "a@b.cn",
        "url": "http://校园.cn/?a=1&b=2",
        "password": "p<w>",
        "hidden": "h&1",
        "day": "2026-12-01",
        "moment": "2026-12-01T09:30",
        "check": "on",
        "flag": "on",
        "body": "第一行\n<script>alert(1)</script>",
        "empty_body": "",
        "choice": "a",
    },
    {"text": "", "number": "not a number", "body": "  ", "check": ""},
]


def _render_all(form: forms.Form) -> list[str]:
    return [str(field) for field in form]


@pytest.mark.parametrize("data", VALUES)
def test_every_widget_renders_as_djangos_templates_do(data: dict[str, str]) -> None:
    fast = Everything(data or None, renderer=FastRenderer())
    slow = Everything(data or None, renderer=DjangoTemplates())
    fast.is_bound and fast.is_valid()
    slow.is_bound and slow.is_valid()
    assert _render_all(fast) == _render_all(slow)


def test_initial_values_of_every_type_render_the_same() -> None:
    initial = {
        "text": mark_safe("<i>safe</i>"),
        "number": 0,
        "decimal": 1.5,
        "day": date(2026, 12, 1),
        "moment": datetime(2026, 12, 1, 9, 30, tzinfo=SHANGHAI),
        "check": True,
        "body": "正文 & <more>",
    }
    fast = Everything(initial=initial, renderer=FastRenderer())
    slow = Everything(initial=initial, renderer=DjangoTemplates())
    assert _render_all(fast) == _render_all(slow)


def test_the_projects_forms_render_the_same() -> None:
    for form_class in (
        ticket_forms.QuestionForm,
        ticket_forms.CorrectiveActionForm,
        ticket_forms.AttachForm,
        ticket_forms.QueueFilterForm,
    ):
        fast, slow = form_class(renderer=FastRenderer()), form_class(renderer=DjangoTemplates())
        assert _render_all(fast) == _render_all(slow), form_class


def test_the_fast_path_is_taken_and_other_templates_still_render(settings) -> None:
    assert settings.FORM_RENDERER == "campusdesk.core.widgets.FastRenderer"
    calls = []
    original = FAST_TEMPLATES["django/forms/widgets/text.html"]
    FAST_TEMPLATES["django/forms/widgets/text.html"] = lambda w: calls.append(w) or original(w)
    try:
        html = str(Everything()["text"])
    finally:
        FAST_TEMPLATES["django/forms/widgets/text.html"] = original
    assert calls and 'name="text"' in html
    # a widget whose template is not one of them (radio buttons) goes through the templates
    radios = forms.ChoiceField(choices=[("1", "一"), ("2", "二")], widget=forms.RadioSelect)
    form = type("F", (forms.Form,), {"r": radios})(renderer=FastRenderer())
    assert 'type="radio"' in str(form["r"]) and "一" in str(form["r"])


#: The template ``{% form_fields %}`` replaced (``templates/_form_fields.html``), verbatim.
FORM_FIELDS_TEMPLATE = """\
{% for e in form.non_field_errors %}<div class="error" role="alert">{{ e }}</div>{% endfor %}
{% for field in form %}
  {% if field.field.widget.input_type == "checkbox" %}
  <label class="check">{{ field }} {{ field.label }}</label>
  {% else %}
  <label for="{{ field.id_for_label }}">{{ field.label }}{% if field.field.required %} \
<span class="req">*</span>{% endif %}</label>
  {{ field }}
  {% endif %}
  {% for e in field.errors %}<div class="error" role="alert">{{ e }}</div>{% endfor %}
{% endfor %}
"""


class WithFormError(Everything):
    def clean(self) -> dict[str, object]:
        raise forms.ValidationError('the whole form is <wrong> & "bad"')


def _same_html(form: forms.BaseForm) -> None:
    from django.template import Context, Template

    from campusdesk.core.templatetags.forms import form_fields

    def squeeze(html: str) -> str:
        return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()

    old = Template(FORM_FIELDS_TEMPLATE).render(Context({"form": form}))
    assert squeeze(str(form_fields(form))) == squeeze(old)


@pytest.mark.parametrize("data", VALUES)
def test_form_fields_writes_what_the_template_wrote(data: dict[str, str]) -> None:
    for form_class in (Everything, WithFormError):
        form = form_class(data or None)
        form.is_bound and form.is_valid()
        _same_html(form)


def test_form_fields_of_every_action_form_as_the_template(db) -> None:
    from campusdesk.accounts.models import User
    from campusdesk.tickets.actions import ACTIONS

    for form_class in (s.form for s in ACTIONS.values() if s.form and s.form_kwargs is None):
        _same_html(form_class())
        bound = form_class({})
        bound.is_valid()
        _same_html(bound)
    _same_html(ticket_forms.AssignForm({"user": "x"}, staff=User.objects.all()))
