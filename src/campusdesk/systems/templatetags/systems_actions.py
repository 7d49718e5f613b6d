"""``{% offered_actions kind obj user as specs %}`` and ``{% blank_form spec as form %}``."""

from __future__ import annotations

from typing import Any

from django import template

from campusdesk.systems import actions

register = template.Library()


@register.simple_tag
def offered_actions(kind: str, obj: Any, user: Any) -> list[actions.ObjectAction]:
    return actions.offered(kind, obj, user)


@register.simple_tag
def blank_form(spec: actions.ObjectAction) -> Any:
    return spec.form() if spec.form is not None else None
