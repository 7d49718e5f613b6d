"""A row checked as the admin's form checks it, with the answer as a domain error.

The admin validates a model through ``full_clean`` (field types, choices, lengths, unique
values and constraints) and refuses control characters in every one-line field
(``core.text.ONE_LINE_FIELDS``). A service that writes the same model outside the admin
(the API) calls ``checked`` so that both accept and refuse the same values.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import CharField, Model

from campusdesk.core.errors import ValidationError
from campusdesk.core.text import has_control, validate_one_line


def _one_line_errors(row: Model, exclude: Iterable[str]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field in row._meta.concrete_fields:
        value = getattr(row, field.attname)
        if field.name in exclude or not isinstance(field, CharField) or not isinstance(value, str):
            continue
        if has_control(value):
            try:
                validate_one_line(value)
            except DjangoValidationError as error:
                errors[field.name] = list(error.messages)
    return errors


def checked(row: Model, *, exclude: Iterable[str] = ()) -> None:
    """Raise a ValidationError naming each refused field (400 in the API), else return."""
    exclude = list(exclude)
    errors = _one_line_errors(row, exclude)
    try:
        row.full_clean(exclude=exclude)
    except DjangoValidationError as error:
        for name, messages in error.message_dict.items():
            known = errors.setdefault(name, [])
            known += [m for m in messages if m not in known]
    if errors:
        general = errors.pop(NON_FIELD_ERRORS, [])
        raise ValidationError(general[0] if general else None, fields=errors)
