"""Who sees which probes: those of the systems they see (``systems.selectors``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from campusdesk.core.errors import NotFound
from campusdesk.intake.models import MaintenanceWindow
from campusdesk.monitoring.models import Outage, Probe
from campusdesk.systems import selectors as systems

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from campusdesk.accounts.models import User
    from campusdesk.systems.models import ApplicationSystem


def visible_probes(user: User | AnonymousUser) -> QuerySet[Probe]:
    return Probe.objects.filter(system__in=systems.visible_systems(user))


def probe_for(user: User | AnonymousUser, probe_id: int) -> Probe:
    """The probe ``user`` may see, or ``NotFound`` (another organisation's is not there)."""
    probe = (
        visible_probes(user)
        .select_related("system", "system__organisation", "system__project")
        .filter(pk=probe_id)
        .first()
    )
    if probe is None:
        raise NotFound()
    return probe


def may_manage(user: User | AnonymousUser, system: ApplicationSystem) -> bool:
    """Vendor staff who serve the system's project set up its probes and windows."""
    return systems.may_manage(user, system.project)


def visible_windows(user: User | AnonymousUser) -> QuerySet[MaintenanceWindow]:
    return MaintenanceWindow.objects.filter(system__in=systems.visible_systems(user))


def visible_outages(user: User | AnonymousUser) -> QuerySet[Outage]:
    return Outage.objects.filter(system__in=systems.visible_systems(user))
