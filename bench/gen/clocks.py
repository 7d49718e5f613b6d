"""Service-level arithmetic for generated tickets, on integer seconds and fast.

The generator computes the deadlines of a million tickets; ``sla.worktime`` walks the
calendar day by day for each one, which is exact but too slow at that scale. ``WorkIndex``
lays the business intervals of the whole period out once, with the working time before
each, so that a position, a difference or an addition is one binary search. The results
are the same instants as ``worktime.add_working_time`` and ``working_time_between``
(``tests/core/test_gen.py`` compares them on random instants).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from campusdesk.sla import deadlines
from campusdesk.sla.models import Calendar, SlaPolicy
from campusdesk.sla.worktime import WorkCalendar

KINDS = deadlines.KINDS


class WorkIndex:
    """The business intervals of ``calendar`` from ``first`` to ``last``, as epoch seconds."""

    def __init__(self, calendar: WorkCalendar, first: date, last: date) -> None:
        self.opens: list[int] = []
        self.before: list[int] = []  # working seconds before each interval
        self.after: list[int] = []  # … up to its end
        total = 0
        day = first
        while day <= last:
            for opens, closes in calendar.intervals(day):
                start = int(datetime.combine(day, opens, tzinfo=calendar.tz).timestamp())
                end = int(datetime.combine(day, closes, tzinfo=calendar.tz).timestamp())
                self.opens.append(start)
                self.before.append(total)
                total += end - start
                self.after.append(total)
            day += timedelta(days=1)
        self.day_length = int(calendar.day_length().total_seconds())

    def position(self, moment: int) -> int:
        """Working seconds from the start of the index to ``moment``."""
        i = bisect_right(self.opens, moment) - 1
        if i < 0:
            return 0
        return min(self.after[i], self.before[i] + moment - self.opens[i])

    def between(self, start: int, end: int) -> int:
        """Working seconds inside [start, end] (``working_time_between``)."""
        return max(0, self.position(end) - self.position(start)) if end > start else 0

    def is_open(self, moment: int) -> bool:
        """Whether ``moment`` falls inside business hours."""
        i = bisect_right(self.opens, moment) - 1
        return i >= 0 and moment < self.opens[i] + self.after[i] - self.before[i]

    def add(self, start: int, seconds: int) -> int:
        """The first instant at which ``seconds`` of working time after ``start`` have passed."""
        if seconds <= 0:
            return start
        target = self.position(start) + seconds
        j = bisect_left(self.after, target)
        if j == len(self.after):
            raise ValueError("the working-time index ends too early; generate a shorter period")
        return self.opens[j] + target - self.before[j]


@dataclass(frozen=True)
class Policy:
    """One ``SlaPolicy`` in seconds."""

    severity: str
    business: bool
    accept: int
    respond: int
    resolve: int
    onsite: bool
    followup: int
    lead: int
    pause_waiting: bool
    pause_closing: bool
    work: WorkIndex


def _seconds(policy: SlaPolicy, amount: object, day_length: int) -> int:
    value = float(str(amount))
    if policy.clock == SlaPolicy.Clock.ALWAYS:
        return round(value * 3600)
    return round(value * day_length)


class ServiceLevels:
    """The policies of the database with a working-time index for each calendar they use."""

    def __init__(self, first: date, last: date) -> None:
        self.policies: dict[str, Policy] = {}
        indexes: dict[int, WorkIndex] = {}
        default = Calendar.objects.get(is_default=True)
        self.default_work_calendar = default.work_calendar()
        self.default_work = WorkIndex(self.default_work_calendar, first, last)
        indexes[default.pk] = self.default_work
        for policy in SlaPolicy.objects.select_related("calendar"):
            calendar: Calendar = deadlines.calendar_of(policy, None)
            if calendar.pk not in indexes:
                indexes[calendar.pk] = WorkIndex(calendar.work_calendar(), first, last)
            work = indexes[calendar.pk]
            day = work.day_length
            self.policies[policy.severity] = Policy(
                severity=policy.severity,
                business=policy.clock == SlaPolicy.Clock.BUSINESS,
                accept=round(float(policy.accept_hours) * 3600),
                respond=_seconds(policy, policy.respond, day),
                resolve=_seconds(policy, policy.resolve, day),
                onsite=policy.followup_kind == SlaPolicy.Followup.ONSITE,
                followup=_seconds(policy, policy.followup, day),
                lead=policy.warning_minutes * 60,
                pause_waiting=policy.pause_while_waiting,
                pause_closing=policy.pause_while_pending_close,
                work=work,
            )

    def policy(self, severity: str, urgency: str) -> Policy:
        return self.policies[severity or deadlines.provisional_severity(urgency)]

    @staticmethod
    def deadlines(
        policy: Policy, start: int, paused_clock: int, paused_working: int
    ) -> dict[str, int | None]:
        """``deadlines.compute`` in seconds: kind → due instant."""
        accept = start + policy.accept
        if policy.business:
            work, paused = policy.work, paused_working
            respond = work.add(start, policy.respond + paused)
            resolve = work.add(start, policy.resolve + paused)
            if policy.onsite:
                return _due(accept, respond, resolve, work.add(resolve, policy.followup), None)
            return _due(accept, respond, resolve, None, work.add(start, policy.followup + paused))
        respond = start + policy.respond + paused_clock
        resolve = start + policy.resolve + paused_clock
        if policy.onsite:
            return _due(accept, respond, resolve, resolve + policy.followup, None)
        return _due(accept, respond, resolve, None, start + policy.followup + paused_clock)


def _due(
    accept: int, respond: int, resolve: int, onsite: int | None, plan: int | None
) -> dict[str, int | None]:
    return {
        "accept": accept,
        "respond": respond,
        "resolve": resolve,
        "onsite": onsite,
        "plan": plan,
    }
