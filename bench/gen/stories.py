"""The life of one generated ticket, from registration to closure, as the services would write it.

1. ``plan`` draws what happens (accept, records, escalations, closure requests, rejections,
   urges, …) and the gaps between the steps, cut short where the ticket is still open.
2. ``replay`` applies the steps in order the way ``tickets.services`` does: each step must be
   allowed by the product's transition table (``tickets.workflow.RULES``: the status and
   the rule's condition), which gives the new status; the tier, handler, commitments, the
   SLA markers and the paused time follow from the steps, so the ticket's columns always
   agree with its timeline.
3. ``sla_firings`` adds the warnings and breaches the sweeper would have fired by the end
   (or by the closure), and ``next_check`` the sweeper's next look, as ``sla.services`` do.

Times are integer epoch seconds; the payloads are those of ``tickets.services``.
"""

# ruff: noqa: S311 - seeded pseudo-random data on purpose: the same seed, the same data

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from bench.gen import words
from bench.gen.clocks import KINDS, Policy, ServiceLevels
from bench.gen.people import ProjectInfo, World
from campusdesk.tickets.workflow import RULE_OF, TRANSITIONS

MINUTE, HOUR, DAY = 60, 3600, 86400
T = TypeVar("T")
OPEN = ("new", "in_progress", "pending_close")

URGENCY = (("low", 25), ("medium", 50), ("high", 18), ("critical", 7))
SERVICE = (("bug", 30), ("fault", 35), ("consultation", 20), ("incident", 3), ("support", 12))
CHANNEL = (("web", 75), ("phone", 18), ("api", 7))
SEVERITY_BY_URGENCY = {
    "low": (("SIS3", 97), ("SIS2", 3)),
    "medium": (("SIS3", 85), ("SIS2", 14), ("SIS1", 1)),
    "high": (("SIS2", 60), ("SIS3", 35), ("SIS1", 5)),
    "critical": (("SIS1", 45), ("SIS2", 45), ("SIS3", 10)),
}
COMMIT_HOURS = {"SIS1": (4, 8), "SIS2": (8, 24), "SIS3": (24, 96)}
RATINGS = ((5, 60), (4, 25), (3, 8), (2, 4), (1, 3))
OUT_OF_SCOPE = ("redeploy", "network", "power_loss", "expansion", "verification", "customisation")


#: The product's transition table on plain strings (status, action) → status, and the
#: conditions beyond the status (withdraw before acceptance, escalate below the task force,
#: one question at a time …), read once: the generator plans only what the services allow.
NEXT_STATUS: dict[tuple[str, str], str] = {
    (str(status), str(action)): str(target) for (status, action), target in TRANSITIONS.items()
}
GUARDS: dict[str, Callable[[Any], bool]] = {
    str(action): rule.guard for action, rule in RULE_OF.items() if rule.guard is not None
}


class PlanError(Exception):
    """A planned step the transition table refuses: a bug in the generator's plan."""


def iso(moment: int) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat()


def _one(rng: random.Random, items: Sequence[T]) -> T:
    """``rng.choice``, a few times faster (the generator draws tens of millions)."""
    return items[int(rng.random() * len(items))]


def _between(rng: random.Random, low: int, high: int) -> int:
    """``rng.randint``, a few times faster."""
    return low + int(rng.random() * (high - low + 1))


_TABLES: dict[tuple[tuple[Any, int | float], ...], tuple[list[Any], list[float]]] = {}


def _pick(rng: random.Random, table: tuple[tuple[Any, int | float], ...]) -> Any:
    """A value of ``table`` ((value, weight), …) drawn by weight (cumulative sums cached)."""
    found = _TABLES.get(table)
    if found is None:
        found = _TABLES[table] = ([v for v, _ in table], _cumulative([w for _, w in table]))
    values, cum = found
    return values[min(bisect_right(cum, rng.random() * cum[-1]), len(values) - 1)]


def _fill(rng: random.Random, template: str, module: str) -> str:
    return template.format(
        error=_one(rng, words.ERRORS),
        role=_one(rng, words.ROLES),
        action=_one(rng, words.ACTIONS),
        object=_one(rng, words.OBJECTS),
        problem=_one(rng, words.PROBLEMS),
        module=module,
        cause=_one(rng, words.CAUSES),
        since=_one(rng, words.SINCE),
        browser=_one(rng, words.BROWSERS),
    )


@dataclass
class Step:
    gap: int  # seconds after the previous step
    action: str
    actor: int
    fields: dict[str, Any] = field(default_factory=dict)
    channel: str = "web"
    internal: bool = False


@dataclass
class Ticket:
    """A generated ticket: its columns, and the rows that belong to it."""

    id: int
    project: ProjectInfo
    number: str
    title: str
    description: str
    environment: str
    urgency: str
    service_type: str
    channel: str
    reporter: int
    created_by: int
    created: int
    module: str
    pace: float = 1.0  # how fast this problem is handled: the gaps between steps scale by it
    status: str = "new"
    tier: int = 1
    severity: str = ""
    assignee: int | None = None
    committed: int | None = None
    exceeds: bool = False  # the commitment is later than the resolution target
    solution: str = ""
    urge_count: int = 0
    last_urged: int | None = None
    rejections: int = 0
    rating: int | None = None
    rating_comment: str = ""
    workload: str | None = None
    oos_type: str = ""
    oos_hours: str | None = None
    updated: int = 0
    accepted: int | None = None
    closed: int | None = None
    responded: int | None = None
    resolved: int | None = None
    waiting_since: int | None = None
    waiting_for: str = ""
    paused_clock: int = 0
    paused_working: int = 0
    due: dict[str, int | None] = field(default_factory=dict)
    next_check: int | None = None
    #: (at, action, actor, channel, tier, status_before, status_after, internal, data)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    commitments: list[tuple[int, int, int, str, int]] = field(default_factory=list)
    firings: list[tuple[str, str, int, int]] = field(default_factory=list)
    report: dict[str, Any] | None = None

    @property
    def accepted_at(self) -> int | None:
        """The name the transition table's conditions read (``Ticket.accepted_at``)."""
        return self.accepted


class Storyteller:
    """Plans and replays ticket lives against one world and one set of service levels."""

    def __init__(self, world: World, levels: ServiceLevels, end: int, open_share: float) -> None:
        self.world, self.levels, self.end = world, levels, end
        self.open_share = open_share
        self.cum_weights = _cumulative(world.project_weights)
        self.modules = {pid: words.PRODUCTS[code][2] for code, pid in world.products.items()}

    # --- 1. what happens ------------------------------------------------------------------
    def final_status(self, rng: random.Random, age: int) -> str:
        """Recent problems are mostly open; older ones open with ``open_share``'s odds."""
        recent = math.exp(-age / (12 * DAY))
        p_open = self.open_share + (0.95 - self.open_share) * recent
        if rng.random() < p_open:
            return str(_pick(rng, (("new", 15), ("in_progress", 65), ("pending_close", 20))))
        return "withdrawn" if rng.random() < 0.04 else "closed"

    def new_ticket(self, rng: random.Random, tid: int, number: str, created: int) -> Ticket:
        at = bisect_right(self.cum_weights, rng.random() * self.cum_weights[-1])
        project = self.world.projects[min(at, len(self.world.projects) - 1)]
        module = _one(rng, self.modules[project.product_id])
        obj, act, prob = (
            _one(rng, words.OBJECTS),
            _one(rng, words.ACTIONS),
            _one(rng, words.PROBLEMS),
        )
        title = _one(
            rng,
            (
                f"{module}{obj}{act}{prob}",
                f"{module}模块{act}{obj}时{prob}",
                f"{_one(rng, words.ROLES)}{act}{module}{obj}{prob}",
            ),
        )
        description = (
            f"{_one(rng, words.SINCE)}，{_one(rng, words.ROLES)}在“{module}”中{act}{obj}时"
            f"{prob}，提示“{_one(rng, words.ERRORS)}”。使用{_one(rng, words.BROWSERS)}。"
            f"{_one(rng, words.IMPACT)}"
        )
        reporter = _one(rng, project.customers)
        channel = _pick(rng, CHANNEL)
        created_by = _one(rng, self.world.agents) if channel == "phone" else reporter
        urgency = _pick(rng, URGENCY)
        service = (
            "incident" if urgency == "critical" and rng.random() < 0.3 else _pick(rng, SERVICE)
        )
        return Ticket(
            id=tid,
            project=project,
            number=number,
            title=title,
            description=description,
            environment=_one(rng, words.ENVIRONMENTS),
            urgency=urgency,
            service_type=service,
            channel=channel,
            reporter=reporter,
            created_by=created_by,
            created=created,
            module=module,
            pace=_pick(rng, ((0.25, 60), (1.0, 30), (3.0, 10))),
        )

    def plan(self, rng: random.Random, t: Ticket, final: str) -> list[Step]:
        """The steps of ``t``'s life up to ``final``; gaps in seconds."""

        def fill(template: str) -> str:
            return _fill(rng, template, t.module)

        steps = [Step(0, "register", t.created_by, channel=t.channel)]
        if final == "withdrawn":
            reason = _one(rng, ("已自行解决。", "重复登记。", ""))
            steps.append(
                Step(
                    _between(rng, 5 * MINUTE, 6 * HOUR), "withdraw", t.reporter, {"reason": reason}
                )
            )
            return steps
        if rng.random() < 0.1:
            steps.append(
                Step(
                    _between(rng, 10 * MINUTE, 3 * HOUR),
                    "record",
                    t.reporter,
                    {"body": fill(_one(rng, words.COMMENTS))},
                )
            )
        escalations = _pick(rng, ((0, 80), (1, 13), (2, 5), (3, 2)))
        if final == "new" and (escalations == 0 or rng.random() < 0.7):
            if rng.random() < 0.3:
                steps.append(
                    Step(
                        _between(rng, HOUR, DAY),
                        "urge",
                        t.reporter,
                        {"message": _one(rng, words.URGES)},
                    )
                )
            return steps
        engineer = _one(rng, t.project.line1)
        severity = _pick(rng, SEVERITY_BY_URGENCY[t.urgency])
        delay = _pick(rng, ((0, 85), (1, 10), (2, 5)))
        gap = (
            _between(rng, 5 * MINUTE, 6 * HOUR),
            _between(rng, 6 * HOUR, 24 * HOUR),
            _between(rng, 24 * HOUR, 72 * HOUR),
        )[delay]
        steps.append(
            Step(
                gap,
                "accept",
                engineer,
                {"severity": severity, "hours": _commit_hours(rng, severity)},
            )
        )
        handler = engineer
        if len(t.project.line1) > 1 and rng.random() < 0.05:
            handler = next(u for u in t.project.line1 if u != engineer)
            steps.append(Step(_between(rng, MINUTE, HOUR), "assign", engineer, {"user": handler}))
        steps += self._work(rng, t, handler, fill)
        if rng.random() < 0.12:
            steps.append(
                Step(
                    _between(rng, HOUR, DAY),
                    "change_commitment",
                    handler,
                    {
                        "hours": _between(rng, 24, 120),
                        "reason": _one(rng, words.COMMITMENT_REASONS),
                    },
                )
            )
        if rng.random() < 0.1:
            for _n in range(_between(rng, 1, 2)):
                steps.append(
                    Step(
                        _between(rng, 40 * MINUTE, DAY),
                        "urge",
                        t.reporter,
                        {"message": _one(rng, words.URGES)},
                    )
                )
        for tier in range(2, 2 + escalations):
            steps.append(
                Step(
                    _between(rng, HOUR, 2 * DAY),
                    "escalate",
                    handler,
                    {"reason": _one(rng, words.ESCALATIONS)},
                )
            )
            if final == "new" and tier == 1 + escalations:
                return steps
            handler = _one(rng, self.world.experts[(t.project.product_id, tier)])
            steps.append(
                Step(
                    _between(rng, 30 * MINUTE, DAY),
                    "accept",
                    handler,
                    {"hours": _between(rng, 24, 120)},
                )
            )
            steps += self._work(rng, t, handler, fill)
        if rng.random() < 0.02:
            steps.append(
                Step(
                    _between(rng, HOUR, DAY),
                    "out_of_scope",
                    handler,
                    {
                        "change_type": _one(rng, OUT_OF_SCOPE),
                        "workload_hours": f"{_between(rng, 1, 16)}.00",
                    },
                )
            )
        if final == "in_progress" and rng.random() < 0.85:
            if rng.random() < 0.1:
                steps.append(
                    Step(
                        _between(rng, HOUR, DAY),
                        "ask_info",
                        handler,
                        {"question": fill(_one(rng, words.QUESTIONS))},
                    )
                )
            return steps
        steps += self._closing(rng, t, handler, fill, final)
        return steps

    def _work(
        self, rng: random.Random, t: Ticket, handler: int, fill: Callable[[str], str]
    ) -> list[Step]:
        steps = []
        for _n in range(_pick(rng, ((0, 20), (1, 45), (2, 25), (3, 10)))):
            steps.append(
                Step(
                    _between(rng, 20 * MINUTE, DAY),
                    "record",
                    handler,
                    {"body": fill(_one(rng, words.INVESTIGATIONS))},
                    internal=rng.random() < 0.2,
                )
            )
        if rng.random() < 0.15:
            steps.append(
                Step(
                    _between(rng, 10 * MINUTE, DAY),
                    "record",
                    t.reporter,
                    {"body": fill(_one(rng, words.COMMENTS))},
                )
            )
        if rng.random() < 0.08:
            steps.append(
                Step(
                    _between(rng, 10 * MINUTE, 6 * HOUR),
                    "ask_info",
                    handler,
                    {"question": fill(_one(rng, words.QUESTIONS))},
                )
            )
            steps.append(
                Step(
                    _between(rng, 30 * MINUTE, 2 * DAY),
                    "answer_info",
                    t.reporter,
                    {"answer": _one(rng, words.ANSWERS)},
                )
            )
        return steps

    def _closing(
        self, rng: random.Random, t: Ticket, handler: int, fill: Callable[[str], str], final: str
    ) -> list[Step]:
        steps = []
        if t.service_type == "incident":
            steps.append(Step(_between(rng, HOUR, DAY), "incident_report", handler))
        rejections = _pick(rng, ((0, 85), (1, 12), (2, 3)))
        if final == "in_progress":
            rejections = max(1, rejections)
        for n in range(rejections + 1):
            cause, fix = rng.randrange(len(words.CAUSES)), rng.randrange(len(words.FIXES))
            solution = f"原因：{words.CAUSES[cause]}。处理：{words.FIXES[fix]}，请验证。"
            steps.append(
                Step(_between(rng, HOUR, 2 * DAY), "request_close", handler, {"solution": solution})
            )
            if n == rejections:
                break
            steps.append(
                Step(
                    _between(rng, HOUR, DAY),
                    "reject_close",
                    t.reporter,
                    {"reason": fill(_one(rng, words.REJECTS))},
                )
            )
            if final == "in_progress" and n == rejections - 1:
                return steps
            steps.append(
                Step(
                    _between(rng, HOUR, DAY),
                    "record",
                    handler,
                    {"body": fill(_one(rng, words.INVESTIGATIONS))},
                )
            )
        if final == "closed":
            rating = _pick(rng, RATINGS)
            steps.append(
                Step(
                    _between(rng, HOUR, 3 * DAY),
                    "close",
                    t.reporter,
                    {
                        "rating": rating,
                        "comment": _one(rng, words.RATING_COMMENTS[rating]),
                        "workload_hours": f"{_between(rng, 1, 24)}.{_one(rng, '05')}0",
                    },
                )
            )
        return steps

    # --- 2. doing it ---------------------------------------------------------------------------
    def fit(self, t: Ticket, steps: list[Step]) -> list[int]:
        """The instants of ``steps``: gaps squeezed when the life would run past the end."""
        total = sum(s.gap for s in steps) * t.pace
        room = self.end - MINUTE - t.created
        scale = t.pace * max(0.0, min(1.0, room / total)) if total > 0 else 1.0
        moments, at = [], t.created
        for step in steps:
            at += int(step.gap * scale)
            moments.append(at)
        return moments

    def replay(self, rng: random.Random, t: Ticket, steps: list[Step]) -> None:
        for step, at in zip(steps, self.fit(t, steps), strict=True):
            before, tier = t.status, t.tier
            if step.action != "register":
                t.status = self._allowed(t, step.action)
            data = getattr(self, f"_do_{step.action}")(rng, t, step, at)
            if step.action != "register":
                t.updated = at
            else:
                before, t.updated = "", at
            t.events.append(
                (
                    at,
                    step.action,
                    step.actor,
                    step.channel if step.action == "register" else "web",
                    tier,
                    before,
                    t.status,
                    step.internal,
                    data,
                )
            )

    @staticmethod
    def _allowed(t: Ticket, action: str) -> str:
        """The status after ``action``, as ``workflow.check`` would give it, or PlanError."""
        target = NEXT_STATUS.get((t.status, action))
        guard = GUARDS.get(action)
        if target is None or (guard is not None and not guard(cast(Any, t))):
            raise PlanError(f"{t.number}: {action} is not allowed from {t.status}")
        return target

    def _policy(self, t: Ticket) -> Policy:
        return self.levels.policy(t.severity, t.urgency)

    def _pause(self, t: Ticket, reason: str, at: int, pauses: bool) -> None:
        t.waiting_for = reason
        if pauses and t.waiting_since is None:
            t.waiting_since = at

    def _resume(self, t: Ticket, at: int) -> None:
        if t.waiting_since is not None:
            t.paused_clock += at - t.waiting_since
            t.paused_working += self._policy(t).work.between(t.waiting_since, at)
        t.waiting_since, t.waiting_for = None, ""

    def _do_register(self, rng: random.Random, t: Ticket, s: Step, at: int) -> dict[str, Any]:
        data: dict[str, Any] = {
            "title": t.title,
            "urgency": t.urgency,
            "service_type": t.service_type,
        }
        if t.reporter != t.created_by:
            data["on_behalf_of"] = t.reporter
        if t.channel == "phone":
            data["call_notes"] = f"来电：{t.description[:40]}"
            data["duty_line"] = not self.levels.default_work.is_open(at)
        return data

    def _do_accept(self, rng: random.Random, t: Ticket, s: Step, at: int) -> dict[str, Any]:
        before = t.severity
        t.severity = t.severity or s.fields["severity"]
        due = self._within_target(t, at, at + s.fields["hours"] * HOUR)
        t.commitments.append((t.tier, due, at, "", s.actor))
        t.committed, t.assignee = due, s.actor
        t.accepted = t.accepted or at
        t.responded = t.responded or at
        return {
            "severity": {"before": before, "after": t.severity},
            "committed_resolution_at": iso(due),
            "assignee": s.actor,
            **self._against_target(t, due),
        }

    def _do_record(self, rng: random.Random, t: Ticket, s: Step, at: int) -> dict[str, Any]:
        staff = s.actor != t.reporter
        if staff and not s.internal:
            t.responded = t.responded or at
        if not staff and t.waiting_for == "info":
            self._resume(t, at)
        return {"body": s.fields["body"], "kind": "investigation" if staff else "comment"}

    def _do_change_commitment(
        self, rng: random.Random, t: Ticket, s: Step, at: int
    ) -> dict[str, Any]:
        before, due = t.committed, at + s.fields["hours"] * HOUR
        t.commitments.append((t.tier, due, at, s.fields["reason"], s.actor))
        t.committed = due
        return {
            "before": iso(before) if before else None,
            "after": iso(due),
            "reason": s.fields["reason"],
            **self._against_target(t, due),
        }

    def _resolve_target(self, t: Ticket) -> int:
        target = self.levels.deadlines(
            self._policy(t), t.created, t.paused_clock, t.paused_working
        )["resolve"]
        assert target is not None  # noqa: S101 - every policy has a resolution time
        return target

    def _within_target(self, t: Ticket, at: int, wished: int) -> int:
        """The committed time an engineer enters: within the resolution target while it is
        ahead (the form asks before accepting a later one), except for one problem in ten."""
        target = self._resolve_target(t)
        if t.id % 10 == 0 or target <= at:  # by the ticket's id: no draw, the same data
            return wished
        return min(wished, target)

    def _against_target(self, t: Ticket, due: int) -> dict[str, Any]:
        """``tickets.services._against_target``: the commitment against the resolution
        deadline the ticket has now (``sla.services.resolve_target``)."""
        resolve = self._resolve_target(t)
        t.exceeds = due > resolve
        return {"resolve_target": iso(resolve), "exceeds_target": t.exceeds}

    def _do_escalate(self, rng: random.Random, t: Ticket, s: Step, at: int) -> dict[str, Any]:
        data = {"reason": s.fields["reason"], "from_tier": t.tier, "to_tier": t.tier + 1}
        t.tier, t.assignee, t.committed, t.exceeds = t.tier + 1, None, None, False
        return data

    def _do_assign(self, rng: random.Random, t: Ticket, s: Step, at: int) -> dict[str, Any]:
        before, t.assignee = t.assignee, s.fields["user"]
        return {"before": before, "after": t.assignee}

    def _do_request_close(self, rng: random.Random, t: Ticket, s: Step, at: int) -> dict[str, Any]:
        t.solution, t.resolved = s.fields["solution"], at
        self._pause(t, "closure", at, self._policy(t).pause_closing)
        return {"solution": t.solution}

    def _do_reject_close(self, rng: random.Random, t: Ticket, s: Step, at: int) -> dict[str, Any]:
        t.resolved = None
        t.rejections += 1
        self._resume(t, at)
        return {"reason": s.fields["reason"]}

    def _do_close(self, rng: random.Random, t: Ticket, s: Step, at: int) -> dict[str, Any]:
        f = s.fields
        t.rating, t.rating_comment, t.workload = f["rating"], f["comment"], f["workload_hours"]
        t.closed = at
        self._resume(t, at)
        return {"rating": t.rating, "comment": t.rating_comment, "workload_hours": t.workload}

    def _do_urge(self, rng: random.Random, t: Ticket, s: Step, at: int) -> dict[str, Any]:
        t.urge_count, t.last_urged = t.urge_count + 1, at
        return {"message": s.fields["message"], "count": t.urge_count}

    def _do_withdraw(self, rng: random.Random, t: Ticket, s: Step, at: int) -> dict[str, Any]:
        t.closed = at
        self._resume(t, at)
        return {"reason": s.fields["reason"]}

    def _do_out_of_scope(self, rng: random.Random, t: Ticket, s: Step, at: int) -> dict[str, Any]:
        data = {
            "change_type": s.fields["change_type"],
            "workload_hours": s.fields["workload_hours"],
            "before": {"change_type": t.oos_type, "workload_hours": t.oos_hours or ""},
        }
        t.oos_type, t.oos_hours = s.fields["change_type"], s.fields["workload_hours"]
        return data

    def _do_incident_report(
        self, rng: random.Random, t: Ticket, s: Step, at: int
    ) -> dict[str, Any]:
        cause = _one(rng, words.CAUSES)
        t.report = {
            "what_happened": f"{t.module}服务中断，{_one(rng, words.IMPACT)}",
            "cause": cause,
            "solution": _one(rng, words.FIXES),
            "responsible_person": self.world.names.get(s.actor, "")[:100],
            "improvements": "增加监控告警，完善应急预案并组织演练。",
            "updated_by_id": s.actor,
            "updated_at": at,
        }
        return {
            "changed": ["what_happened", "cause", "solution", "responsible_person", "improvements"],
            "complete": True,
        }

    def _do_ask_info(self, rng: random.Random, t: Ticket, s: Step, at: int) -> dict[str, Any]:
        self._pause(t, "info", at, self._policy(t).pause_waiting)
        return {"question": s.fields["question"]}

    def _do_answer_info(self, rng: random.Random, t: Ticket, s: Step, at: int) -> dict[str, Any]:
        self._resume(t, at)
        return {"answer": s.fields["answer"]}

    # --- 3. the service levels -----------------------------------------------------------------
    def settle(self, rng: random.Random, t: Ticket) -> None:
        """Deadlines, the warnings and breaches fired so far, and the sweeper's next look."""
        policy = self._policy(t)
        t.due = self.levels.deadlines(policy, t.created, t.paused_clock, t.paused_working)
        until = t.closed if t.closed is not None else self.end
        fired = self._firings(rng, t, policy, until)
        if fired:
            self._merge(t, policy, fired)
        t.next_check = self._next_check(t, policy) if t.status in OPEN else None

    def met(self, t: Ticket, kind: str) -> int | None:
        if kind == "accept":
            return t.accepted
        if kind == "respond":
            return t.responded
        return t.resolved  # resolve, plan, and on site (nobody went: a solution made it moot)

    def _firings(
        self, rng: random.Random, t: Ticket, policy: Policy, until: int
    ) -> list[tuple[str, str, int, int]]:
        """(deadline, kind, due, fired_at) that ``fire_due`` would have fired by ``until``."""
        fired = []
        for kind in KINDS:
            due, met = t.due[kind], self.met(t, kind)
            if due is None or (met is not None and met <= due - policy.lead):
                continue
            warn = due - policy.lead
            paused = t.waiting_since is not None and warn >= t.waiting_since
            if warn <= until and not paused and warn >= t.created:
                fired.append((kind, "warning", due, min(until, warn + _between(rng, 0, 59))))
            standing = t.waiting_since is not None and kind != "accept" and due > t.waiting_since
            late = met > due if met is not None else not standing
            if due <= until and late:
                fired.append((kind, "breached", due, min(until, due + _between(rng, 0, 59))))
        return fired

    def _merge(self, t: Ticket, policy: Policy, fired: list[tuple[str, str, int, int]]) -> None:
        """Put the sweeper's events into the timeline, with the status and tier of that time."""
        t.firings = fired
        times = [e[0] for e in t.events]
        extra = []
        for deadline, kind, due, at in fired:
            i = max(0, bisect_right(times, at) - 1)
            status, tier = t.events[i][6], _tier_at(t.events, i)
            action = "sla_warning" if kind == "warning" else "sla_breached"
            data = {"deadline": deadline, "due_at": iso(due), "severity": policy.severity}
            extra.append((at, action, None, "system", tier, status, status, False, data))
            if deadline == "resolve" and kind == "breached" and t.due["onsite"] is not None:
                data = {"onsite_by": iso(t.due["onsite"]), "inform_group": "客户服务部"}
                extra.append(
                    (at, "dispatch_required", None, "system", tier, status, status, True, data)
                )
        t.events = sorted(t.events + extra, key=lambda e: e[0])

    def _next_check(self, t: Ticket, policy: Policy) -> int | None:
        """``sla.services.next_check`` on the generated state."""
        if t.waiting_since is not None:
            return None
        done = {(d, k) for d, k, _due, _at in t.firings}
        moments = []
        for kind in KINDS:
            due = t.due[kind]
            if due is None or self.met(t, kind) is not None:
                continue
            breached = (kind, "breached") in done
            if (kind, "warning") not in done and not breached:
                moments.append(due - policy.lead)
            if not breached:
                moments.append(due)
        return min(moments, default=None)


def _tier_at(events: list[tuple[Any, ...]], i: int) -> int:
    """The tier after event ``i`` (an escalation's row holds the tier it left)."""
    tier = events[i][4]
    if events[i][1] == "escalate":
        tier = events[i][8]["to_tier"]
    return int(tier)


def _commit_hours(rng: random.Random, severity: str) -> int:
    low, high = COMMIT_HOURS[severity]
    return _between(rng, low, high)


def _cumulative(weights: list[float] | list[int]) -> list[float]:
    total, result = 0.0, []
    for w in weights:
        total += w
        result.append(total)
    return result
