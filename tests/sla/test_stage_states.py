"""Each stage's state comes from its own event: met only when that event happened.

A table of stage × case: the event on time, the event late, no event with the deadline
ahead, no event with the deadline past, and the stage not (or no longer) applying.
Times worked out by hand (March 2026 has no holiday):
- SIS2 registered Tue 03-10 09:00 (7×24): accept by Wed 09:00, respond 13:00, resolve
  17:00, engineers on site by Wed 01:00 (resolve + 8 h).
- SIS3 registered Tue 03-10 09:00 (5×8, 09:00–17:00): accept by Wed 09:00, respond and
  resolve Tue 17:00, solution or plan by Thu 17:00 (three working days).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pytest
import time_machine

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.ops import services as ops
from campusdesk.sla import services as sla
from campusdesk.tickets import services
from campusdesk.tickets.models import Ticket
from tests.tickets.conftest import new_ticket

REGISTERED = "2026-03-10T09:00"
Step = Callable[[Ticket, dict[str, User]], object]


def t(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}:00+08:00")


def accept(at: str, severity: str = "SIS2") -> tuple[str, Step]:
    return at, lambda ticket, people: services.ticket_accept(
        ticket_id=ticket.pk,
        actor=people["engineer"],
        severity=severity,
        committed_resolution_at=t("2026-03-31T17:00"),
    )


def record(at: str) -> tuple[str, Step]:
    """A public record of the engineer: the first response."""
    return at, lambda ticket, people: services.ticket_add_record(
        ticket_id=ticket.pk, actor=people["engineer"], body="正在排查，请稍候。"
    )


def solve(at: str) -> tuple[str, Step]:
    return at, lambda ticket, people: services.ticket_request_close(
        ticket_id=ticket.pk, actor=people["engineer"], solution="已调整连接池。"
    )


def dispatch(at: str, arrived: str) -> tuple[str, Step]:
    return at, lambda ticket, people: ops.dispatch_record(
        ticket_id=ticket.pk,
        actor=people["engineer"],
        engineer_id=people["engineer"].pk,
        arrived_at=t(arrived),
    )


def withdraw(at: str) -> tuple[str, Step]:
    return at, lambda ticket, people: services.ticket_withdraw(
        ticket_id=ticket.pk, actor=people["user"], reason="已自行解决。"
    )


@dataclass(frozen=True)
class Case:
    stage: str
    case: str
    steps: tuple[tuple[str, Step], ...]
    look_at: str
    state: str
    met_at: str | None = None
    severity: str = "SIS2"

    def __str__(self) -> str:
        return f"{self.stage}-{self.case}"


SIS2, SIS3 = accept("2026-03-10T10:00"), accept("2026-03-10T10:00", "SIS3")
CASES = [
    # acceptance: by Wed 09:00
    Case("accept", "on time", (SIS2,), "2026-03-10T10:30", "met", "2026-03-10T10:00"),
    Case(
        "accept",
        "late",
        (accept("2026-03-11T10:00"),),
        "2026-03-11T10:30",
        "breached",
        "2026-03-11T10:00",
    ),
    Case("accept", "absent, ahead", (), "2026-03-10T10:00", "running"),
    Case("accept", "absent, past", (), "2026-03-11T10:00", "breached"),
    Case("accept", "ended first", (withdraw("2026-03-10T10:00"),), "2026-03-10T10:30", "stopped"),
    # response: by 13:00, by acceptance or a public record
    Case("respond", "on time", (SIS2,), "2026-03-10T10:30", "met", "2026-03-10T10:00"),
    Case(
        "respond",
        "late",
        (record("2026-03-10T14:00"),),
        "2026-03-10T14:30",
        "breached",
        "2026-03-10T14:00",
    ),
    Case("respond", "absent, ahead", (), "2026-03-10T10:00", "running"),
    Case("respond", "absent, past", (), "2026-03-10T14:00", "breached"),
    Case("respond", "ended first", (withdraw("2026-03-10T10:00"),), "2026-03-10T10:30", "stopped"),
    # resolution: by 17:00, by the solution given with the closure request
    Case(
        "resolve",
        "on time",
        (SIS2, solve("2026-03-10T16:00")),
        "2026-03-10T16:30",
        "met",
        "2026-03-10T16:00",
    ),
    Case(
        "resolve",
        "late",
        (SIS2, solve("2026-03-10T18:00")),
        "2026-03-10T18:30",
        "breached",
        "2026-03-10T18:00",
    ),
    Case("resolve", "absent, ahead", (SIS2,), "2026-03-10T12:00", "running"),
    Case("resolve", "absent, past", (SIS2,), "2026-03-10T18:00", "breached"),
    Case("resolve", "ended first", (withdraw("2026-03-10T10:00"),), "2026-03-10T10:30", "stopped"),
    # engineers on site: by Wed 01:00, only by a dispatch record
    Case(
        "onsite",
        "on time",
        (SIS2, dispatch("2026-03-10T20:00", "2026-03-10T19:30")),
        "2026-03-10T20:00",
        "met",
        "2026-03-10T19:30",
    ),
    Case(
        "onsite",
        "late",
        (SIS2, dispatch("2026-03-11T02:00", "2026-03-11T01:30")),
        "2026-03-11T02:00",
        "breached",
        "2026-03-11T01:30",
    ),
    Case("onsite", "absent, ahead", (SIS2,), "2026-03-10T18:00", "running"),
    Case("onsite", "absent, past", (SIS2,), "2026-03-11T02:00", "breached"),
    # solved within the target: nobody need go (this read "met" before)
    Case(
        "onsite",
        "solved in time",
        (SIS2, solve("2026-03-10T16:00")),
        "2026-03-10T16:30",
        "not_applicable",
    ),
    # solved late, yet before the engineers were due: the visit is moot too
    Case(
        "onsite",
        "solved before due",
        (SIS2, solve("2026-03-10T20:00")),
        "2026-03-10T20:30",
        "not_applicable",
    ),
    # solved after the engineers were due, nobody went: missed, not met by the solution
    Case(
        "onsite",
        "solved after due",
        (SIS2, solve("2026-03-11T02:00")),
        "2026-03-11T02:30",
        "breached",
    ),
    Case("onsite", "ended first", (withdraw("2026-03-10T10:00"),), "2026-03-10T10:30", "stopped"),
    # solution or plan (SIS3): by Thu 17:00
    Case(
        "plan",
        "on time",
        (SIS3, solve("2026-03-11T10:00")),
        "2026-03-11T10:30",
        "met",
        "2026-03-11T10:00",
        "SIS3",
    ),
    Case(
        "plan",
        "late",
        (SIS3, solve("2026-03-13T10:00")),
        "2026-03-13T10:30",
        "breached",
        "2026-03-13T10:00",
        "SIS3",
    ),
    Case("plan", "absent, ahead", (SIS3,), "2026-03-11T10:00", "running", None, "SIS3"),
    Case("plan", "absent, past", (SIS3,), "2026-03-13T10:00", "breached", None, "SIS3"),
    Case(
        "plan",
        "ended first",
        (withdraw("2026-03-10T10:00"),),
        "2026-03-10T10:30",
        "stopped",
        None,
        "SIS3",
    ),
]


def _run(case: Case, people: dict[str, User], project: Project) -> sla.DeadlineState:
    urgency = "high" if case.severity == "SIS2" else "medium"  # the provisional severity
    with time_machine.travel(t(REGISTERED), tick=False):
        ticket = new_ticket(project, people["user"], urgency=urgency)
    for at, step in case.steps:
        with time_machine.travel(t(at), tick=False):
            step(ticket, people)
    ticket.refresh_from_db()
    with time_machine.travel(t(case.look_at), tick=False):
        found = {state.kind: state for state in sla.states(ticket)}
    return found[case.stage]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_each_stage_is_met_only_by_its_own_event(case: Case, people, project):
    state = _run(case, people, project)
    assert (state.state, state.met_at) == (case.state, t(case.met_at) if case.met_at else None), (
        case
    )
    if case.state != "met":  # whatever else it is, it never reads as achieved
        assert state.met_at is None or state.met_at > state.due_at


def test_a_stage_the_severity_has_not_is_not_listed(people, project):
    with time_machine.travel(t(REGISTERED), tick=False):
        high = new_ticket(project, people["user"], urgency="high")
        medium = new_ticket(project, people["user"], urgency="medium")
        assert [s.kind for s in sla.states(high)] == ["accept", "respond", "resolve", "onsite"]
        assert [s.kind for s in sla.states(medium)] == ["accept", "respond", "resolve", "plan"]


def test_a_solution_still_stops_the_on_site_clock_of_the_sweeper(people, project):
    """Not applicable is not overdue: no breach fires for a visit the solution made moot."""
    case = next(c for c in CASES if c.case == "solved before due")
    _run(case, people, project)
    assert sla.sweep(now=t("2026-03-11T03:00")) == 0  # resolve's breach fired at 20:00
