"""Fields the apps above add to a ticket without tickets knowing them (the layers).

systems lets a ticket name the application system it concerns, yet tickets may not import
systems. As with the page's panels (``tickets.panels``), the higher app declares its field
here in its ``AppConfig.ready()``: the registration form's field (with the choices the
registering user may pick), the API's input and output fields, how the value is stored once
the ticket is registered, and what a list must join to show it without a query per row.
The registration form, the create serializer, the ticket serializer and both registration
paths (web and API) read this registry; tickets' own fields stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db.models import Model, QuerySet, prefetch_related_objects

if TYPE_CHECKING:
    from django import forms
    from django.utils.functional import Promise
    from rest_framework import serializers

    from campusdesk.accounts.models import User
    from campusdesk.catalog.models import Project
    from campusdesk.tickets.models import Ticket


class Fact(NamedTuple):
    """A line of the ticket page's facts: the label, the value, a link (or "")."""

    label: str | Promise
    value: str
    url: str


@dataclass(frozen=True)
class TicketField:
    #: the field's name in the registration form and in the API (``system``)
    name: str
    #: how the ticket page labels its value
    label: str | Promise
    #: the registration form's field for ``user`` registering under ``projects`` (None: not
    #: offered to this user)
    form_field: Callable[[User, QuerySet[Project]], forms.Field | None]
    #: the create serializer's (writable) field
    input_field: Callable[[], serializers.Field[Any, Any, Any, Any]]
    #: the ticket serializer's (read-only) field, its ``source`` read from the ticket
    output_field: Callable[[], serializers.Field[Any, Any, Any, Any]]
    #: store ``value`` (None: none given) for the ticket just registered, inside the
    #: registration's transaction; a ``ValidationError`` naming the field undoes it all
    save: Callable[[Ticket, User, Any], None]
    #: the value on the ticket page for ``user`` as (text, link), None: nothing to show
    shown: Callable[[Ticket, User], tuple[str, str] | None] | None = None
    #: the relations the output reads (``select_related``/``prefetch_related`` names)
    related: tuple[str, ...] = ()
    #: the form field it follows
    after: str = ""


_FIELDS: dict[str, TicketField] = {}


def register(field: TicketField) -> None:
    """Add ``field`` to the ticket (a new registration of the same name replaces it)."""
    _FIELDS[field.name] = field


def fields() -> list[TicketField]:
    return list(_FIELDS.values())


def add_form_fields(form: forms.BaseForm, user: User, projects: QuerySet[Project]) -> None:
    """Add the registered fields ``user`` is offered to the registration ``form``."""
    order = list(form.fields)
    for extra in _FIELDS.values():
        field = extra.form_field(user, projects)
        if field is None:
            continue
        form.fields[extra.name] = field
        at = order.index(extra.after) + 1 if extra.after in order else len(order)
        order.insert(at, extra.name)
    form.order_fields(order)


def input_fields() -> dict[str, serializers.Field[Any, Any, Any, Any]]:
    return {extra.name: extra.input_field() for extra in _FIELDS.values()}


def output_fields() -> dict[str, serializers.Field[Any, Any, Any, Any]]:
    return {extra.name: extra.output_field() for extra in _FIELDS.values()}


def save(ticket: Ticket, user: User, data: Mapping[str, Any]) -> None:
    """Store the registered fields' values of a ticket just registered (in its transaction)."""
    for extra in _FIELDS.values():
        extra.save(ticket, user, data.get(extra.name))


def facts(ticket: Ticket, user: User) -> list[Fact]:
    """The registered fields' values the ticket page shows among the ticket's facts."""
    found = []
    for extra in _FIELDS.values():
        value = extra.shown(ticket, user) if extra.shown is not None else None
        if value is not None:
            found.append(Fact(extra.label, *value))
    return found


def related() -> tuple[str, ...]:
    return tuple(name for extra in _FIELDS.values() for name in extra.related)


def prefetch(tickets: Iterable[Model]) -> None:
    """Read what the registered outputs show for all ``tickets`` at once (nothing for the
    relations a ``select_related`` already read)."""
    rows = list(tickets)
    names = related()
    if rows and names:
        prefetch_related_objects(rows, *names)
