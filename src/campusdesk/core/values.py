"""Checks of typed values that the services of several apps share; their errors name the
field, in the user's language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from campusdesk.core.errors import ValidationError


def whole_number(value: Any, field: str, low: int, high: int) -> int:
    """``value`` as an int from ``low`` to ``high``, else a field error."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(fields={field: [_("Enter a whole number.")]}) from None
    if not low <= number <= high:
        raise ValidationError(
            fields={
                field: [_("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}]
            }
        )
    return number
