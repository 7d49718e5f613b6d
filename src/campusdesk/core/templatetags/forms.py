"""``{% form_fields form %}``: a form's fields with their labels and errors, in Python.

Written out by the template engine (one include, then a loop with half a dozen lookups per
field), the ticket page's dozen action forms cost more than their queries; the HTML is the
same (a test compares it with the template this replaced).
"""

from __future__ import annotations

from django import forms, template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

REQUIRED = mark_safe(' <span class="req">*</span>')  # noqa: S308 - a constant


@register.simple_tag
def form_fields(form: forms.BaseForm, through: str = "", after: str = "") -> SafeString:
    """Errors of the form, then each field: its label (a star when required), the widget, its
    errors; a checkbox sits inside its label.

    ``through="description"`` writes the errors and the fields up to that one, ``after=
    "description"`` the fields after it: a page puts something of its own between them.
    """
    names = list(form.fields)
    first = names.index(after) + 1 if after else 0
    wanted = set(names[first : names.index(through) + 1 if through else None])
    parts = [] if after else [_error(error) for error in form.non_field_errors()]
    for field in form:
        if field.name not in wanted:
            continue
        if getattr(field.field.widget, "input_type", None) == "checkbox":
            parts.append(format_html('<label class="check">{} {}</label>', field, field.label))
        else:
            star = REQUIRED if field.field.required else ""
            parts.append(
                format_html(
                    '<label for="{}">{}{}</label>\n{}', field.id_for_label, field.label, star, field
                )
            )
        parts += [_error(error) for error in field.errors]
    return mark_safe("\n".join(parts))  # noqa: S308 - every part made by format_html


def _error(error: object) -> SafeString:
    return format_html('<div class="error" role="alert">{}</div>', error)
