"""A ticket knows its system (issue 18 item 6), through ``tickets.extensions``.

tickets lies below systems and does not know it: this module declares the ticket's
``system`` field there (the registration form's choice of the organisation's systems, the
API's writable id and its value on read, its line among the ticket page's facts), and keeps
the link as a ``TicketSystem`` row. ``environment_text`` is what the registration form's
environment field is pre-filled with when a system is chosen (``views/ticketlink.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.core.api import IdField
from campusdesk.core.errors import ValidationError
from campusdesk.core.widgets import FastSelect
from campusdesk.systems.models import (
    ApplicationSystem,
    ComponentKind,
    EnvironmentVersion,
    TicketSystem,
)
from campusdesk.systems.selectors import visible_systems
from campusdesk.systems.services import record
from campusdesk.tickets import extensions
from campusdesk.tickets.models import Ticket

FIELD = "system"
LABEL = gettext_lazy("application system")
EXPOSURES = {"intranet": gettext_lazy("intranet"), "internet": gettext_lazy("internet")}


# --- the registration form ------------------------------------------------------------
def choices(user: User, projects: QuerySet[Project]) -> QuerySet[ApplicationSystem]:
    """The systems ``user`` may name on a ticket of one of ``projects``: those of the
    projects' organisations (a customer's: their own organisation's)."""
    return (
        visible_systems(user)
        .filter(organisation_id__in=projects.values("organisation_id"))
        .select_related("organisation")
        .order_by("organisation__name", "name", "id")
    )


class SystemChoiceField(forms.ModelChoiceField[ApplicationSystem]):
    """A system by name; the vendor's staff, who register for several universities, also
    see whose it is."""

    def __init__(self, *args: Any, staff: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.staff = staff

    def label_from_instance(self, obj: ApplicationSystem) -> str:
        if not self.staff:
            return obj.name
        organisation = obj.organisation
        return f"{obj.name} ({organisation.short_name or organisation.name})"


def form_field(user: User, projects: QuerySet[Project]) -> forms.Field | None:
    """The form's choice of system, which fills the environment field when chosen (htmx);
    not offered when there is no system to choose."""
    systems = choices(user, projects)
    if not systems.exists():
        return None
    widget = FastSelect(
        attrs={
            "hx-get": reverse_lazy("systems-ticket-environment"),
            "hx-trigger": "change",
            "hx-target": "#id_environment",
            "hx-swap": "outerHTML",
            "hx-include": "#id_environment",
            "hx-params": f"{FIELD},environment",
        }
    )
    return SystemChoiceField(
        queryset=systems,
        required=False,
        label=LABEL,
        widget=widget,
        staff=user.is_vendor_staff,
        help_text=gettext_lazy("Choosing the system fills in its current environment."),
    )


# --- the link --------------------------------------------------------------------------
def _refused(message: str) -> ValidationError:
    return ValidationError(message, fields={FIELD: [message]})


def ticket_system_set(
    *, ticket: Ticket, actor: User, system: Any, now: datetime | None = None
) -> TicketSystem | None:
    """Link the ticket just registered to ``system`` (an id or a system; None: no link).

    The system must be one ``actor`` sees and of the ticket's organisation; otherwise a
    field error, which undoes the registration (the caller's transaction).
    """
    if system in (None, ""):
        return None
    system_id = system.pk if isinstance(system, ApplicationSystem) else system
    found = visible_systems(actor).filter(pk=system_id).first()
    if found is None:
        raise _refused(_("There is no such application system."))
    if found.organisation_id != ticket.project.organisation_id:
        raise _refused(_("Choose an application system of the problem's organisation."))
    now = now or clock.now()
    link = TicketSystem.objects.create(ticket=ticket, system=found)
    record(found, "ticket.linked", actor, now, ticket=ticket.pk, number=ticket.number)
    return link


def _save(ticket: Ticket, actor: User, value: Any) -> None:
    ticket_system_set(ticket=ticket, actor=actor, system=value)


def _input() -> serializers.Field[Any, Any, Any, Any]:
    return IdField(
        label=LABEL,
        required=False,
        allow_null=True,
        help_text="The application system the problem concerns (of its organisation).",
    )


def _output() -> serializers.Field[Any, Any, Any, Any]:
    return serializers.IntegerField(
        source="system_link.system_id",
        label=LABEL,
        read_only=True,
        allow_null=True,
        help_text="The application system the problem concerns, if named.",
    )


# --- the environment as text -------------------------------------------------------------
def environment_text(version: EnvironmentVersion | None) -> str:
    """The environment version as the readable lines of a ticket's environment field."""
    if version is None:
        return ""
    data = version.data
    kinds = dict(ComponentKind.choices)
    lines = []
    os = data.get("os") or {}
    if os.get("name"):
        label = _("Operating system")
        lines.append(f"{label}: {os['name']} {os.get('version', '')}".rstrip())
    for component in data.get("components", []):
        kind = kinds.get(component["kind"], component["kind"])
        lines.append(f"{kind}: {component['name']} {component['version']}")
    ports = [
        " ".join(
            part
            for part in (
                f"{p['port']}/{p['protocol']}",
                p["service"],
                f"({EXPOSURES.get(p['exposure'], p['exposure'])})",
            )
            if part
        )
        for p in data.get("ports", [])
    ]
    if ports:
        label = _("Open ports")
        lines.append(f"{label}: {'; '.join(ports)}")
    texts = (("deployment", _("Deployment")), ("backup", _("Backup")), ("notes", _("Notes")))
    lines += [f"{label}: {data[key]}" for key, label in texts if data.get(key)]
    return "\n".join(lines)


# --- the ticket page --------------------------------------------------------------------
def _shown(ticket: Ticket, user: User) -> tuple[str, str] | None:
    """The ticket's system among the ticket page's facts, linked to the system's page."""
    link = TicketSystem.objects.select_related("system").filter(ticket=ticket).first()
    if link is None:
        return None
    return link.system.name, reverse("systems-detail", args=[link.system_id])


def register() -> None:
    """Declare the ticket's ``system`` field (``ready()``)."""
    extensions.register(
        extensions.TicketField(
            name=FIELD,
            label=LABEL,
            form_field=form_field,
            input_field=_input,
            output_field=_output,
            save=_save,
            shown=_shown,
            related=("system_link",),
            after="project",
        )
    )


def default_reporter(system: ApplicationSystem) -> int | None:
    """Who a ticket the platform registers for ``system`` (a probe's incident, a routine's
    finding) is registered for: the system's customer contact, else the organisation's
    first active customer user (None: the organisation has none)."""
    contact = system.customer_contact
    if (
        contact is not None
        and contact.is_active
        and contact.organisation_id == system.organisation_id
    ):
        return contact.pk
    return (
        User.objects.filter(
            organisation_id=system.organisation_id, role=Role.CUSTOMER, is_active=True
        )
        .order_by("id")
        .values_list("pk", flat=True)
        .first()
    )
