"""The deadlines of a ticket under its severity's policy, and their state at an instant.

Every deadline counts from registration. The respond, resolve and plan clocks stand
still while the ticket waits for the customer; they move by exactly the paused time
(working time on the business clock, wall time on the 7×24 clock). The on-site
deadline follows the resolution target; acceptance always runs on the 7×24 clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from campusdesk.sla.models import Calendar, SlaPolicy
from campusdesk.sla.worktime import WorkCalendar, add_clock_time, add_working_time

if TYPE_CHECKING:
    from campusdesk.tickets.models import Ticket

KINDS = ("accept", "respond", "resolve", "onsite", "plan")
LABELS = {
    "accept": _("Acceptance"),
    "respond": _("Response"),
    "resolve": _("Resolution"),
    "onsite": _("Engineers on site"),
    "plan": _("Solution or plan"),
}
PROVISIONAL = {"critical": "SIS1", "high": "SIS2"}


def provisional_severity(urgency: str) -> str:
    """Until a handler sets it: critical → SIS1, high → SIS2, otherwise SIS3."""
    return PROVISIONAL.get(urgency, "SIS3")


@dataclass(frozen=True)
class Deadlines:
    accept_by: datetime
    respond_by: datetime
    resolve_by: datetime
    onsite_by: datetime | None
    plan_by: datetime | None

    def as_dict(self) -> dict[str, datetime | None]:
        return {f"{kind}_by": getattr(self, f"{kind}_by") for kind in KINDS}


def _span(policy: SlaPolicy, amount: Decimal, calendar: WorkCalendar) -> timedelta:
    """``amount`` in the policy's unit: hours (7×24) or working days (business clock)."""
    if policy.clock == SlaPolicy.Clock.ALWAYS:
        return timedelta(hours=float(amount))
    return calendar.day_length() * float(amount)


def _add(policy: SlaPolicy, base: datetime, span: timedelta, calendar: WorkCalendar) -> datetime:
    if policy.clock == SlaPolicy.Clock.ALWAYS:
        return add_clock_time(base, span)
    return add_working_time(base, span, calendar)


def compute(
    *,
    start: datetime,
    policy: SlaPolicy,
    calendar: WorkCalendar,
    paused_clock: timedelta = timedelta(0),
    paused_working: timedelta = timedelta(0),
) -> Deadlines:
    """The deadlines of a ticket registered at ``start``.

    1. Acceptance: ``start`` + the accept hours, always on the 7×24 clock.
    2. Respond and resolve: ``start`` + the policy's span (hours, or working days of
       the calendar's business-day length) + the time the clock stood still
       (wall time on 7×24, working time on the business clock).
    3. On site: the resolution target + the follow-up span. Plan: ``start`` + the
       follow-up span + the paused time.
    """
    paused = paused_clock if policy.clock == SlaPolicy.Clock.ALWAYS else paused_working
    accept_by = add_clock_time(start, timedelta(hours=float(policy.accept_hours)))
    respond_by = _add(policy, start, _span(policy, policy.respond, calendar) + paused, calendar)
    resolve_by = _add(policy, start, _span(policy, policy.resolve, calendar) + paused, calendar)
    followup = _span(policy, policy.followup, calendar)
    if policy.followup_kind == SlaPolicy.Followup.ONSITE:
        onsite_by = _add(policy, resolve_by, followup, calendar)
        return Deadlines(accept_by, respond_by, resolve_by, onsite_by, None)
    plan_by = _add(policy, start, followup + paused, calendar)
    return Deadlines(accept_by, respond_by, resolve_by, None, plan_by)


def calendar_of(policy: SlaPolicy, project_calendar: Calendar | None) -> Calendar:
    """The policy's own calendar, else its version's (a contract's, kept with the version),
    else the project's, else the default one."""
    found = (
        policy.calendar
        or policy.policy_set.calendar
        or project_calendar
        or Calendar.objects.filter(is_default=True).first()
    )
    if found is None:
        raise Calendar.DoesNotExist("no default working calendar")
    return found


def for_ticket(ticket: Ticket, policy: SlaPolicy, calendar: WorkCalendar) -> Deadlines:
    return compute(
        start=ticket.created_at,
        policy=policy,
        calendar=calendar,
        paused_clock=ticket.paused_clock,
        paused_working=ticket.paused_working,
    )
