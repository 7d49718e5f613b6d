"""A contract's hour budget (服务工时): the service hours a project buys, consumed by the
confirmed workload of its closed tickets and of its completed routine runs.

When the hours used reach 80 % and 100 % of the budget the project's service manager is
told, once per threshold whatever the number of workers (a conditional update of the
project's ``budget_alerted`` decides who tells); a budget raised later below the threshold
re-arms it. A ticket's closure checks at once (a subscriber to the ticket events), a routine
run's completion at the hourly sweep. The service report shows the balance.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.notify import inbox
from campusdesk.notify.models import Kind
from campusdesk.routines.models import Run
from campusdesk.tickets.models import Status, Ticket, TicketEvent
from campusdesk.tickets.workflow import Action

#: the shares of the budget (in percent) at which the service manager hears, highest first
THRESHOLDS = (100, 80)


@dataclass(frozen=True)
class Budget:
    project: Project
    hours: Decimal
    tickets: Decimal
    routines: Decimal

    @property
    def used(self) -> Decimal:
        return self.tickets + self.routines

    @property
    def balance(self) -> Decimal:
        return self.hours - self.used

    @property
    def percent(self) -> int:
        """The share used, in whole percent (rounded down: 79.9 % is not yet 80 %)."""
        return int(self.used * 100 // self.hours) if self.hours > 0 else 100


def budget_of(project: Project) -> Budget | None:
    """The project's budget and the hours used so far (two queries); None without one."""
    if project.hour_budget is None:
        return None
    tickets = Ticket.objects.filter(project=project, status=Status.CLOSED).aggregate(
        h=Sum("workload_hours")
    )["h"]
    routines = Run.objects.filter(routine__project=project, status=Run.Status.COMPLETED).aggregate(
        h=Sum("workload_hours")
    )["h"]
    return Budget(project, project.hour_budget, tickets or Decimal(0), routines or Decimal(0))


def budgets(projects: Iterable[Project]) -> list[Budget]:
    """The budgets of those of ``projects`` that have one."""
    return [found for project in projects if (found := budget_of(project)) is not None]


def check(project: Project, now: datetime | None = None) -> int | None:
    """Tell the service manager of the highest threshold the hours used have newly reached
    (returns it), or re-arm the thresholds when a larger budget left them behind."""
    now = now or clock.now()
    found = budget_of(project)
    if found is None:
        return None
    for threshold in THRESHOLDS:
        if found.percent < threshold:
            continue
        claimed = Project.objects.filter(pk=project.pk, budget_alerted__lt=threshold).update(
            budget_alerted=threshold
        )
        if claimed:  # this worker moved the mark: it alone tells
            _tell(found, threshold, now)
            return threshold
        return None
    Project.objects.filter(pk=project.pk, budget_alerted__gt=found.percent).update(budget_alerted=0)
    return None


def _tell(found: Budget, threshold: int, now: datetime) -> None:
    project = found.project
    manager = project.service_manager
    if manager is None or not manager.is_active:
        return
    with translation.override(manager.preferred_language or settings.LANGUAGE_CODE):
        title = _("%(project)s has used %(percent)d %% of its service hours") % {
            "project": project.name,
            "percent": threshold,
        }
        body = _(
            "Budget %(budget)s h; used %(used)s h (closed tickets %(tickets)s h, routine work "
            "%(routines)s h); balance %(balance)s h."
        ) % {
            "budget": found.hours,
            "used": found.used,
            "tickets": found.tickets,
            "routines": found.routines,
            "balance": found.balance,
        }
    path = reverse("reports:service") + f"?project={project.pk}"
    inbox.tell(manager, Kind.CONTRACT, title, body, path, now, project_id=None)


def on_ticket_events(events: list[TicketEvent]) -> None:
    """A closed ticket's confirmed workload counts against its project's budget at once."""
    closed = {e.ticket.project_id for e in events if e.action == Action.CLOSE}
    if not closed:
        return
    for project in Project.objects.filter(pk__in=closed, hour_budget__isnull=False).select_related(
        "service_manager"
    ):
        check(project, events[0].at)


def sweep(now: datetime | None = None) -> int:
    """Check every project with a budget (routine runs completed since the last sweep);
    returns how many thresholds were newly told."""
    told = 0
    for project in Project.objects.filter(hour_budget__isnull=False).select_related(
        "service_manager"
    ):
        told += check(project, now) is not None
    return told
