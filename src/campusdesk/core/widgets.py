"""Form widgets."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from html import escape
from itertools import islice
from typing import Any

from django import forms
from django.conf import settings
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
        final = self.build_attrs(self.attrs, attrs)
        return _select(name, final, self.options_html(value, self._options()))

    def options_html(self, value: Any, options: Iterable[tuple[str, Any]]) -> SafeString:
        """``<option>``s of ``options`` (pairs of value and label), ``value`` selected."""
        chosen = {str(v) for v in self.format_value(value)}
        html = [
            f'<option value="{escape(key)}"{" selected" if key in chosen else ""}>'
            f"{escape(str(label))}</option>"
            for key, label in options
        ]
        return mark_safe("".join(html))  # noqa: S308 - every value and label escaped

    def all_options(self) -> Iterator[tuple[str, Any]]:
        """(value, label) of every choice, the empty one first (an htmx answer of options)."""
        return self._options()

    def _options(
        self, limit: int | None = None, only: set[str] | None = None
    ) -> Iterator[tuple[str, Any]]:
        """(value, label) of every choice, the empty one first; with ``limit``, no more than
        ``limit`` choices besides the empty one are read; with ``only``, just the choices of
        those values (a value that is no key chooses nothing), without the empty one."""
        field = getattr(self.choices, "field", None)
        queryset = getattr(self.choices, "queryset", None)
        plain = (
            field is not None
            and field.to_field_name is None
            and type(field).label_from_instance is forms.ModelChoiceField.label_from_instance
        )
        if field is None or queryset is None or not plain:
            choices = ((str(getattr(k, "value", k)), v) for k, v in self.choices)  # → pk
            if only is not None:
                choices = ((k, v) for k, v in choices if k in only and k != "")
            yield from (choices if limit is None else islice(choices, limit + 1))
            return
        if only is not None:
            queryset = queryset.filter(pk__in=[int(key) for key in only if key.isdigit()])
        elif field.empty_label is not None:
            yield "", field.empty_label
        model = queryset.model._meta.label_lower
        if model == "accounts.user":  # User.__str__
            rows = queryset.values_list("pk", "display_name", "first_name", "last_name", "username")
            for pk, display, first, last, username in rows[:limit]:
                yield str(pk), display or f"{first} {last}".strip() or username
        elif model in NAMED:
            for pk, label in queryset.values_list("pk", "name")[:limit]:
                yield str(pk), label
        else:
            for instance in queryset[:limit]:
                yield str(instance.pk), str(instance)


class LazySelect(FastSelect):
    """A ``<select>`` of a long list (every project, every handler) whose options are loaded
    when the user reaches for it, as a peer's AJAX dropdowns are: the page carries only the
    empty choice and the chosen one; pointing at, touching or tabbing to the select fetches
    every option from ``url`` (``options_html`` of the same choices, the current value
    selected). A list of at most ``settings.FILTER_INLINE_OPTIONS`` choices is written in
    full, as ``FastSelect`` does, unless ``always_lazy`` (then it is not even counted).
    """

    def __init__(self, *args: Any, url: Any = "", **kwargs: Any) -> None:  # str or lazy
        super().__init__(*args, **kwargs)
        self.url = url
        #: Loaded when reached for however short the list (the vendor's every project or
        #: handler: not counted on every page to find out).
        self.always_lazy = False

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        if not self.url:
            return super().render(name, value, attrs, renderer)
        final = self.build_attrs(self.attrs, attrs)
        inline = settings.FILTER_INLINE_OPTIONS
        # the empty choice, then (unless always lazy) up to one more than may be inline
        head = list(self._options(limit=0 if self.always_lazy else inline + 1))
        has_empty = bool(head) and head[0][0] == ""
        if not self.always_lazy and len(head) - has_empty <= inline:
            return _select(name, final, self.options_html(value, head))
        chosen = {str(v) for v in self.format_value(value)} - {""}
        final |= {
            # the options replace this select's own; nothing of the form's htmx is inherited
            "hx-get": self.url,
            "hx-trigger": "mouseenter once, focus once, touchstart once",
            "hx-target": "this",
            "hx-swap": "innerHTML",
            "hx-select": "unset",
            "hx-push-url": "false",
            "hx-sync": "this:drop",
            "data-lazy": "options",
        }
        chosen_options = self._options(only=chosen) if chosen else ()
        return _select(name, final, self.options_html(value, [*head[:has_empty], *chosen_options]))


def _select(name: str, attrs: dict[str, Any], options: SafeString) -> SafeString:
    return format_html('<select name="{}"{}>{}</select>', name, flatatt(attrs), options)


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


_INPUTS = (
    "text",
    "number",
    "email",
    "url",
    "password",
    "hidden",
    "date",
    "datetime",
    "time",
    "file",
    "checkbox",
    "input",
    "search",
    "tel",
    "color",
)
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
