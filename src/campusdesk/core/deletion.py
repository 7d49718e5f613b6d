"""Deleting a row only while nothing refers to it: an entry made by mistake can go, one in
use stays (it is deactivated instead), whatever ``on_delete`` its referrers declare.

A cascade would silently take tickets, systems or deliveries with it, and a protected
reference would fail half-way; checking every reverse relation first refuses both with a
message that names what still refers to the row (409 in the API).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import ForeignObjectRel, Model
from django.utils.translation import gettext as _

from campusdesk.core.errors import TransitionError


def referrers(row: Model) -> list[str]:
    """The names (plural) of the kinds of rows that refer to ``row``, one query each."""
    found = []
    for relation in row._meta.get_fields(include_hidden=True):  # also ``related_name="+"``
        if not isinstance(relation, ForeignObjectRel):
            continue
        model = relation.related_model
        if not isinstance(model, type) or model._meta.auto_created:
            continue  # a many-to-many table of the row's own fields goes with it
        if model._default_manager.filter(**{relation.field.name: row}).exists():
            found.append(str(model._meta.verbose_name_plural))
    return list(dict.fromkeys(found))


@transaction.atomic
def delete_unreferenced(row: Model) -> None:
    """Delete ``row``, or refuse (TransitionError, 409) while anything refers to it."""
    uses = referrers(row)
    if uses:
        raise TransitionError(
            _("“%(name)s” cannot be deleted: %(uses)s still refer to it. Deactivate it instead.")
            % {"name": str(row), "uses": ", ".join(uses)}
        )
    row.delete()
