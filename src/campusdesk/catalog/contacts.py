"""Whom a customer reaches (seed §5): the service centre's hotline and e-mail address, and for
each of their contracts its service manager and whoever answers it at this moment.

The 5×8 service centre's number and the service e-mail are settings (``SERVICE_HOTLINE``,
``SERVICE_EMAIL``). Who answers a contract now is known higher up: catalog may not import the
duty app (the layers), so the duty app registers its reading (the engineer on duty, 7×24
outside the centre's hours) with ``register`` in its ``AppConfig.ready()``. The customer's
home page and the foot of every e-mail (notify) read it here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext as _

from campusdesk.catalog import scoping
from campusdesk.catalog.models import Project
from campusdesk.core import clock

if TYPE_CHECKING:
    from campusdesk.accounts.models import User

#: the most contracts the home page lists
MAX_CONTRACTS = 20


@dataclass(frozen=True)
class Contact:
    role: str  # what they are to the customer, in the reader's language
    name: str
    phone: str


@dataclass(frozen=True)
class ContractContacts:
    project: Project
    people: list[Contact]


#: who answers each of some projects at a moment: ``fn(project_ids, now)`` -> {project id: …}
AnswerFn = Callable[[Sequence[int], datetime], dict[int, list[Contact]]]
_answering: dict[str, AnswerFn] = {}


def register(name: str, fn: AnswerFn) -> None:
    """Add who answers the projects now (a new registration under a name replaces one)."""
    _answering[name] = fn


def service_centre() -> dict[str, str]:
    """The service centre's hotline and e-mail address (either may be empty: not shown)."""
    return {"hotline": settings.SERVICE_HOTLINE, "email": settings.SERVICE_EMAIL}


def answering(project_ids: Sequence[int], now: datetime | None = None) -> dict[int, list[Contact]]:
    """Who answers each of ``project_ids`` at ``now``, as the apps above say (a query each)."""
    now = now or clock.now()
    found: dict[int, list[Contact]] = {}
    if not project_ids:
        return found
    for fn in _answering.values():
        for project_id, people in fn(project_ids, now).items():
            found.setdefault(project_id, []).extend(people)
    return found


def for_customer(user: User, now: datetime | None = None) -> list[ContractContacts]:
    """The contacts of each current contract of the customer's own organisation (nobody
    else's; nothing for the vendor's staff): its service manager and who answers it now.
    A fixed number of queries, whatever the number of contracts."""
    if not user.is_customer:
        return []
    now = now or clock.now()
    today = clock.local(now).date()
    projects = list(
        scoping.visible_projects(user)
        .filter(is_active=True, service_start__lte=today, service_end__gte=today)
        .select_related("service_manager")
        .order_by("name", "pk")[:MAX_CONTRACTS]
    )
    now_answering = answering([project.pk for project in projects], now)
    return [
        ContractContacts(project, _managers(project) + now_answering.get(project.pk, []))
        for project in projects
    ]


def _managers(project: Project) -> list[Contact]:
    manager = project.service_manager
    if manager is None:
        return []
    return [Contact(_("Service manager"), str(manager), manager.phone)]
