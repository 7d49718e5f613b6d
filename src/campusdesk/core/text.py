"""One-line text: titles, names and subjects end up in e-mail headers and single-line cells.

A line break in a ticket title would become a header of its own in every e-mail about
the ticket (``"a\\r\\nBcc: x@y"``), so people's input is refused with a clear message
(``validate_one_line``: forms, serializers, the admin), and text that is already stored
or comes from machines (mail subjects, alerts) is made one line (``one_line``) where it
is used.

Control characters are the C0 and C1 ranges (CR, LF, TAB, NUL, ESC …, DEL, NEL) and the
Unicode line and paragraph separators U+2028/U+2029.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_RUNS = re.compile(CONTROL.pattern + "+")


def has_control(value: str) -> bool:
    return CONTROL.search(value) is not None


def one_line(value: str) -> str:
    """``value`` with each run of control characters (line breaks, tabs) made one space."""
    return _RUNS.sub(" ", value).strip()


def validate_one_line(value: Any) -> None:
    """A field validator (Django forms, model admin, DRF serializers) for one-line text."""
    if isinstance(value, str) and has_control(value):
        raise ValidationError(
            _("Write this on one line, without line breaks, tabs or other control characters."),
            code="control_characters",
        )


#: A model admin's ``formfield_overrides`` under which every CharField (one line by nature;
#: longer text is a TextField) refuses control characters.
ONE_LINE_FIELDS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.CharField: {"validators": [validate_one_line]},
}
