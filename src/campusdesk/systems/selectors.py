"""Who sees which application systems, through the one scoping layer (catalog.scoping).

Vendor staff see the systems of the projects they serve; a customer sees the systems of
their own organisation; nobody sees another organisation's (the views answer 404).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from campusdesk.accounts.roles import Role
from campusdesk.catalog import scoping
from campusdesk.core.errors import NotFound
from campusdesk.systems.models import ApplicationSystem

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from campusdesk.accounts.models import User
    from campusdesk.catalog.models import Project


def visible_systems(user: User | AnonymousUser) -> QuerySet[ApplicationSystem]:
    systems = scoping.scope(ApplicationSystem.objects.all(), user, "project")
    if user.is_authenticated and user.role == Role.CUSTOMER:
        if user.organisation_id is None:
            return systems.none()
        systems = systems.filter(organisation_id=user.organisation_id)
    return systems


def may_manage(user: User | AnonymousUser, project: Project) -> bool:
    """Vendor staff who serve the project create and edit its systems; customers read."""
    if not user.is_authenticated or not user.is_active or not user.is_vendor_staff:
        return False
    return scoping.visible_projects(user).filter(pk=project.pk).exists()


def system_for(user: User | AnonymousUser, system_id: int) -> ApplicationSystem:
    """The system ``user`` may see, or ``NotFound`` (another organisation's is not there)."""
    system = (
        visible_systems(user)
        .select_related("organisation", "project", "current_environment", "vendor_contact")
        .filter(pk=system_id)
        .first()
    )
    if system is None:
        raise NotFound()
    return system
