"""Form widgets."""

from __future__ import annotations

from collections.abc import Iterator
from html import escape
from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

#: Models whose ``__str__`` is their ``name``.
NAMED = frozenset(
    {"accounts.organisation", "accounts.region", "catalog.product", "catalog.project"}
)


class FastSelect(forms.Select):
    """A ``<select>`` written in Python rather than one template include per option.

    Lists of every project (hundreds of universities) or every handler made the template
    engine's per-option rendering, and building a model instance per option, most of a
    queue page's time. For a model choice field whose labels are ``str(instance)`` of a
    user (``display_name``, else the full name, else the username) or of a model with a
    ``name``, the options are read as plain values; the HTML is the same.
    """

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        chosen = {str(v) for v in self.format_value(value)}
        options = [
            f'<option value="{escape(key)}"{" selected" if key in chosen else ""}>'
            f"{escape(str(label))}</option>"
            for key, label in self._options()
        ]
        final = self.build_attrs(self.attrs, attrs)
        body = mark_safe("".join(options))  # noqa: S308 - every value and label escaped
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(final), body)

    def _options(self) -> Iterator[tuple[str, Any]]:
        field = getattr(self.choices, "field", None)
        queryset = getattr(self.choices, "queryset", None)
        plain = (
            field is not None
            and field.to_field_name is None
            and type(field).label_from_instance is forms.ModelChoiceField.label_from_instance
        )
        if field is None or queryset is None or not plain:
            for key, label in self.choices:
                yield str(getattr(key, "value", key)), label  # ModelChoiceIteratorValue → pk
            return
        if field.empty_label is not None:
            yield "", field.empty_label
        model = queryset.model._meta.label_lower
        if model == "accounts.user":  # User.__str__
            rows = queryset.values_list("pk", "display_name", "first_name", "last_name", "username")
            for pk, display, first, last, username in rows:
                yield str(pk), display or f"{first} {last}".strip() or username
        elif model in NAMED:
            for pk, label in queryset.values_list("pk", "name"):
                yield str(pk), label
        else:
            for instance in queryset:
                yield str(instance.pk), str(instance)


# --- the form renderer -----------------------------------------------------------------------
def _attrs(attrs: dict[str, Any]) -> str:
    """``django/forms/widgets/attrs.html``."""
    return "".join(
        f" {conditional_escape(name)}"
        + ("" if value is True else f'="{conditional_escape(value)}"')
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict[str, Any]) -> str:
    """``django/forms/widgets/input.html`` (text, number, date, file, checkbox, hidden, …)."""
    value = widget["value"]
    shown = "" if value is None else f' value="{conditional_escape(value)}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _textarea(widget: dict[str, Any]) -> str:
    """``django/forms/widgets/textarea.html``."""
    value = widget["value"]
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{conditional_escape(value) if value else ''}</textarea>"
    )


_INPUTS = ("text", "number", "email", "url", "password", "hidden", "date", "datetime", "time",
           "file", "checkbox", "input", "search", "tel", "color")  # fmt: skip
FAST_TEMPLATES: dict[str, Any] = {
    **{f"django/forms/widgets/{name}.html": _input for name in _INPUTS},
    "django/forms/widgets/textarea.html": _textarea,
}


class FastRenderer(DjangoTemplates):
    """Django's form renderer, with the widget templates of every form (inputs and text areas)
    written in Python: the same HTML (a test compares them) at a fraction of the cost of a
    template include and its ``attrs.html`` per field, which made the ticket page's dozen
    action forms most of its rendering time. Every other template renders as before."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        fast = FAST_TEMPLATES.get(template_name)
        widget = context.get("widget")
        if (
            fast is not None
            and isinstance(widget, dict)
            and widget.get("template_name") == (template_name)
        ):
            return str(fast(widget))
        return str(super().render(template_name, context, request))
