"""The generator: a deterministic, realistic data set at any size (issue 9).

Universities, people of every role, products with their experts, projects with their
line-1 teams; tickets spread over the last years with full timelines (acceptances,
records, commitment changes, escalations, closure requests, rejections, closures with
ratings, the sweeper's warnings and breaches), their commitments, retrospectives and
incident reports; case library entries with their search terms. The same seed gives the
same data.

A development tool, outside the product (issue 17): the wheel ships ``src/campusdesk``
only, and the generator writes every app's tables without owning any. The rules stay the
product's: statuses come from ``tickets.workflow.TRANSITIONS``, the yearly numbers are
``tickets.services``' scheme, retrospectives are due as ``kb.services`` decides, and the
service-level arithmetic is checked against ``sla`` by ``tests/bench/test_gen.py``.
Reference data goes through the ORM; the tickets and everything hanging from them are
written by ``sink``: COPY on PostgreSQL (a million tickets in a few minutes), bulk_create
on SQLite.
"""

# ruff: noqa: S311 - seeded pseudo-random data on purpose: the same seed, the same data

from __future__ import annotations

import multiprocessing
import random
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from bench.gen import cases, people, sink
from bench.gen.clocks import ServiceLevels
from bench.gen.stories import Storyteller, Ticket
from campusdesk.core import clock
from campusdesk.kb.models import Article, ArticleVersion, Retrospective, Term
from campusdesk.kb.services import retrospective_due
from campusdesk.sla import defaults as sla_defaults
from campusdesk.sla.models import SlaFiring
from campusdesk.sla.worktime import WorkCalendar
from campusdesk.tickets import models as tm

PASSWORD = "campusdesk"  # noqa: S105 - generated users share the demo's published password
TICKET_MODELS: tuple[type[Model], ...] = (
    tm.Ticket,
    tm.TicketEvent,
    tm.Commitment,
    SlaFiring,
    Retrospective,
    tm.IncidentReport,
)


class GenError(Exception):
    pass


@dataclass(frozen=True)
class Options:
    tickets: int
    orgs: int = 300
    seed: int = 20261126
    years: int = 3
    end: datetime | None = None  # default: the start of today
    open_share: float = 0.35
    cases: int | None = None  # default: one per 100 tickets, 20 to 10,000
    workers: int = 2  # processes making chunks on PostgreSQL (SQLite: this one)
    password: str = PASSWORD


@dataclass
class Report:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    first_ticket: int = 0
    end: datetime | None = None


def _utc(moment: int) -> datetime:
    return datetime.fromtimestamp(moment, UTC)


_at = sink.At


def _maybe(moment: int | None) -> sink.At | None:
    return None if moment is None else sink.At(moment)


def default_end() -> datetime:
    """The start of today in the site's time zone: the same data all day long."""
    local = clock.local(clock.now())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def created_times(
    rng: random.Random, n: int, first: date, days: int, calendar: WorkCalendar
) -> Iterator[int]:
    """``n`` registration instants in ascending order over ``days`` days from ``first``.

    Busier on working days and as the customer base grows; mostly in office hours.
    """
    weights = []
    for i in range(days):
        day = first + timedelta(days=i)
        weights.append((0.5 + i / days) * (1.0 if calendar.is_working_day(day) else 0.2))
    total, running, given = sum(weights), 0.0, 0
    for i, weight in enumerate(weights):
        running += weight
        count = round(running * n / total) - given
        given += count
        midnight = int(
            datetime.combine(
                first + timedelta(days=i), datetime.min.time(), tzinfo=calendar.tz
            ).timestamp()
        )
        moments = []
        for _n in range(count):
            if rng.random() < 0.85:
                moments.append(midnight + 8 * 3600 + int(rng.random() * 10 * 3600))
            else:
                moments.append(midnight + int(rng.random() * 86400))
        yield from sorted(moments)


#: Tickets per chunk; each chunk draws from its own random stream (seed, chunk), so the data
#: are the same whether the chunks are made in one process or several.
CHUNK = 5000


@dataclass(frozen=True)
class Job:
    index: int
    first_id: int
    created: list[int]
    numbers: list[str]
    cases: int = 0  # not tickets: this many case library entries, from ``first_id`` on


@dataclass
class Chunk:
    rows: dict[type[Model], list[dict[str, Any]]]
    encoded: list[tuple[type[Model], int, str, bytes]]
    closed: list[int]


class Maker:
    """Makes the rows of one chunk of tickets (in a worker process, or in this one)."""

    def __init__(self, teller: Storyteller, seed: int, encoder: sink.CopySink | None) -> None:
        self.teller, self.seed, self.encoder = teller, seed, encoder

    def __call__(self, job: Job) -> Chunk:
        if job.cases:
            return self._library(job)
        rng = random.Random(self.seed * 1_000_003 + job.index)
        rows: dict[type[Model], list[dict[str, Any]]] = {m: [] for m in TICKET_MODELS}
        closed: list[int] = []
        for n, (created, number) in enumerate(zip(job.created, job.numbers, strict=True)):
            self.add(rng, rows, closed, job.first_id + n, created, number)
        if self.encoder is None:
            return Chunk(rows, [], closed)
        encoded = [(m, len(r), *self.encoder.encode(m, r)) for m, r in rows.items() if r]
        return Chunk({}, encoded, closed)

    def _library(self, job: Job) -> Chunk:
        """The case library (the source problems are linked later, by the caller)."""
        teller = self.teller
        articles, versions, terms = cases.build(
            random.Random(self.seed + 3),
            teller.world,
            count=job.cases,
            first=job.created[0],
            end=teller.end,
            first_id=job.first_id,
        )
        if self.encoder is None:
            return Chunk({Article: articles, ArticleVersion: versions, Term: terms}, [], [])
        pairs: list[tuple[type[Model], list[dict[str, Any]]]] = [
            (ArticleVersion, versions),
            (Term, terms),
        ]
        encoded = [(m, len(r), *self.encoder.encode(m, r)) for m, r in pairs]
        return Chunk({Article: articles}, encoded, [])

    def add(
        self,
        rng: random.Random,
        rows: dict[type[Model], list[dict[str, Any]]],
        closed: list[int],
        tid: int,
        created: int,
        number: str,
    ) -> None:
        teller = self.teller
        t = teller.new_ticket(rng, tid, number, created)
        expected = None
        if rng.random() < 0.3:
            expected = (_utc(created + 8 * 3600).date()) + timedelta(days=rng.randint(2, 14))
        final = teller.final_status(rng, teller.end - created)
        teller.replay(rng, t, teller.plan(rng, t, final))
        teller.settle(rng, t)
        rows[tm.Ticket].append(self._ticket_row(t, expected))
        self._children(rng, rows, t)
        if t.status == "closed":
            closed.append(t.id)

    def _ticket_row(self, t: Ticket, expected: date | None) -> dict[str, Any]:
        due = t.due
        return {
            "id": t.id,
            "number": t.number,
            "project_id": t.project.id,
            "product_id": t.project.product_id,
            "title": t.title,
            "description": t.description,
            "environment": t.environment,
            "urgency": t.urgency,
            "expected_resolution_date": expected,
            "service_type": t.service_type,
            "channel": t.channel,
            "status": t.status,
            "tier": t.tier,
            "severity": t.severity,
            "reporter_id": t.reporter,
            "created_by_id": t.created_by,
            "assignee_id": t.assignee,
            "committed_resolution_at": _maybe(t.committed),
            "commitment_exceeds_target": t.exceeds,
            "solution": t.solution,
            "urge_count": t.urge_count,
            "last_urged_at": _maybe(t.last_urged),
            "rejection_count": t.rejections,
            "rating": t.rating,
            "rating_comment": t.rating_comment,
            "workload_hours": t.workload,
            "out_of_scope_type": t.oos_type,
            "out_of_scope_hours": t.oos_hours,
            "created_at": _at(t.created),
            "updated_at": _at(t.updated),
            "accepted_at": _maybe(t.accepted),
            "closed_at": _maybe(t.closed),
            "accept_by": _maybe(due["accept"]),
            "respond_by": _maybe(due["respond"]),
            "resolve_by": _maybe(due["resolve"]),
            "onsite_by": _maybe(due["onsite"]),
            "plan_by": _maybe(due["plan"]),
            "responded_at": _maybe(t.responded),
            "resolved_at": _maybe(t.resolved),
            "onsite_at": None,
            "waiting_since": _maybe(t.waiting_since),
            "waiting_for": t.waiting_for,
            "paused_clock": timedelta(seconds=t.paused_clock),
            "paused_working": timedelta(seconds=t.paused_working),
            "next_deadline_at": _maybe(t.next_check),
        }

    def _children(
        self, rng: random.Random, rows: dict[type[Model], list[dict[str, Any]]], t: Ticket
    ) -> None:
        rows[tm.TicketEvent] += [
            {
                "ticket_id": t.id,
                "action": action,
                "actor_id": actor,
                "channel": channel,
                "at": _at(at),
                "tier": tier,
                "status_before": before,
                "status_after": after,
                "internal": internal,
                "data": data,
            }
            for at, action, actor, channel, tier, before, after, internal, data in t.events
        ]
        rows[tm.Commitment] += [
            {
                "ticket_id": t.id,
                "tier": tier,
                "due_at": _at(due),
                "reason": reason,
                "set_by_id": by,
                "created_at": _at(at),
            }
            for tier, due, at, reason, by in t.commitments
        ]
        rows[SlaFiring] += [
            {"ticket_id": t.id, "deadline": d, "kind": k, "due_at": _at(due), "fired_at": _at(at)}
            for d, k, due, at in t.firings
        ]
        if t.report is not None:
            report = dict(t.report, ticket_id=t.id, updated_at=_at(t.report["updated_at"]))
            rows[tm.IncidentReport].append(report)
        if t.status == "closed" and t.closed is not None:
            rows[Retrospective].append(self._retrospective(rng, t, t.closed))

    def _retrospective(self, rng: random.Random, t: Ticket, closed: int) -> dict[str, Any]:
        due, reason = retrospective_due(t.severity, t.rating)
        row: dict[str, Any] = {
            "ticket_id": t.id,
            "status": "due" if due else "offered",
            "reason": reason,
            "findings": "",
            "root_cause": "",
            "tags": [],
            "case_needed": False,
            "expert_id": None,
            "created_at": _at(closed),
            "done_at": None,
        }
        done_at = closed + rng.randint(86400, 14 * 86400)
        if due and done_at < self.teller.end and rng.random() < 0.8:
            experts = self.teller.world.experts[(t.project.product_id, 2)]
            row.update(
                status="done",
                findings=f"复盘：{t.solution}",
                root_cause=rng.choice(
                    ("product_bug", "configuration", "environment", "data", "usage")
                ),
                tags=[t.module],
                case_needed=rng.random() < 0.3,
                expert_id=rng.choice(experts),
                done_at=_at(done_at),
            )
        return row


_MAKER: Maker | None = None  # the worker processes' (inherited by fork)


def _make(job: Job) -> Chunk:
    assert _MAKER is not None  # noqa: S101 - set before the pool starts
    return _MAKER(job)


def numbered(times: list[int], years: dict[int, int]) -> list[str]:
    """Numbers ``YYYY-NNNNN`` of tickets registered at ``times`` (ascending), counted per
    local year as ``tickets.services`` does; ``years`` holds each year's last number."""
    number = tm.TicketCounter.number
    result: list[str] = []
    if not times:
        return result
    year = clock.local(_utc(times[0])).year
    next_year = _new_year(year + 1)
    for moment in times:
        while moment >= next_year:
            year += 1
            next_year = _new_year(year + 1)
        years[year] = years.get(year, 0) + 1
        result.append(number(year, years[year]))
    return result


def _new_year(year: int) -> int:
    return int(datetime(year, 1, 1, tzinfo=timezone.get_default_timezone()).timestamp())


def load_tickets(
    maker: Maker,
    out: sink.Sink,
    times: list[int],
    first_id: int,
    workers: int,
    log: Callable[[str], None],
    library: Job,
) -> tuple[dict[int, int], list[int], Chunk]:
    """Make and write every chunk of tickets, in order, and make the case library alongside.

    Returns the yearly counters, the closed tickets, and the library's rows (not written).
    """
    global _MAKER
    years: dict[int, int] = {}
    numbers = numbered(times, years)
    jobs = [
        Job(i, first_id + start, times[start : start + CHUNK], numbers[start : start + CHUNK])
        for i, start in enumerate(range(0, len(times), CHUNK))
    ]
    closed: list[int] = []
    started = time.perf_counter()

    def write(chunk: Chunk, done: int) -> None:
        for model, rows in chunk.rows.items():
            if rows:
                out.write(model, rows)
        for model, count, statement, data in chunk.encoded:
            out.write_encoded(model, count, statement, data)  # type: ignore[attr-defined]
        closed.extend(chunk.closed)
        if done % 20 == 0:
            log(f"{done * CHUNK} tickets, {time.perf_counter() - started:.0f} s")

    if workers <= 1:
        for n, job in enumerate(jobs, 1):
            write(maker(job), n)
        return years, closed, maker(library)
    _MAKER = maker
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        made = pool.apply_async(_make, (library,))
        pending: deque[Any] = deque()
        for n, job in enumerate(jobs, 1):
            pending.append(pool.apply_async(_make, (job,)))
            if len(pending) > 2 * workers:  # a few chunks ahead, not the whole data set
                write(pending.popleft().get(), n - len(pending))
        while pending:
            write(pending.popleft().get(), len(jobs) - len(pending) + 1)
        chunk = made.get()
    _MAKER = None
    return years, closed, chunk


def _check_empty() -> None:
    if tm.Ticket.objects.exists():
        raise GenError("gen loads into a database without problems: use a fresh database")


def generate(options: Options, log: Callable[[str], None] = lambda _m: None) -> Report:
    """Generate and load the data set of ``options``; one transaction."""
    with transaction.atomic():
        return _generate(options, log)


def _generate(options: Options, log: Callable[[str], None]) -> Report:
    report, started = Report(), time.perf_counter()
    _check_empty()
    sla_defaults.ensure()
    end = options.end or default_end()
    report.end = end
    end_s = int(end.timestamp())
    days = options.years * 365
    first_day = clock.local(end).date() - timedelta(days=days)
    world = people.build(
        rng=random.Random(options.seed + 1),
        orgs=options.orgs,
        first=first_day,
        last=clock.local(end).date(),
        password=options.password,
    )
    levels = ServiceLevels(
        first_day - timedelta(days=2), clock.local(end).date() + timedelta(days=150)
    )
    report.seconds["reference_data"] = round(time.perf_counter() - started, 1)
    log(f"reference data: {len(world.projects)} projects, {len(world.names)} users")

    out = sink.for_connection()
    out.start([*TICKET_MODELS, *cases.MODELS])
    teller = Storyteller(world, levels, end_s, options.open_share)
    encoder = out if isinstance(out, sink.CopySink) else None
    maker = Maker(teller, options.seed, encoder)
    first_id = (tm.Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    report.first_ticket = first_id
    times = list(
        created_times(
            random.Random(options.seed + 2),
            options.tickets,
            first_day,
            days,
            levels.default_work_calendar,
        )
    )
    tick = time.perf_counter()
    workers = options.workers if encoder is not None else 1
    years, closed, library = load_tickets(
        maker, out, times, first_id, workers, log, _library_job(options, first_day)
    )
    tm.TicketCounter.objects.bulk_create(
        [tm.TicketCounter(year=y, last=n) for y, n in years.items()]
    )
    report.seconds["tickets"] = round(time.perf_counter() - tick, 1)
    tick = time.perf_counter()
    _write_library(options, library, closed, out)
    report.seconds["cases"] = round(time.perf_counter() - tick, 1)
    tick = time.perf_counter()
    out.finish()
    report.seconds["indexes_and_analyze"] = round(time.perf_counter() - tick, 1)
    report.counts = dict(out.counts)
    report.seconds["total"] = round(time.perf_counter() - started, 1)
    return report


def _library_job(options: Options, first_day: date) -> Job:
    count = options.cases
    if count is None:
        count = min(10_000, max(20, options.tickets // 100))
    first_id = (Article.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    start = int(datetime.combine(first_day, datetime.min.time(), tzinfo=UTC).timestamp())
    return Job(-1, first_id, [start], [], cases=count)


def _write_library(options: Options, library: Chunk, closed: list[int], out: sink.Sink) -> None:
    """Write the case library; about 30 % of the cases come from a closed problem."""
    rng = random.Random(options.seed + 4)
    articles = library.rows.pop(Article)
    for article in articles:
        if closed and rng.random() < 0.3:
            article["source_ticket_id"] = closed[int(rng.random() * len(closed))]
    out.write(Article, articles)
    for model, rows in library.rows.items():
        out.write(model, rows)
    for model, count, statement, data in library.encoded:
        out.write_encoded(model, count, statement, data)  # type: ignore[attr-defined]
