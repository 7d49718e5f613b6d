"""Performance figures (绩效考核, R-OPS-4) of a set of tickets, read from the timeline.

Every figure is a count of tickets (or of timeline events) that satisfy a named
condition; the same condition answers the drill-down, so a figure and the list
behind it never disagree. The aggregation runs in the database: one query for the
ticket counts, one per kind of event, two per percentile.

Definitions (written on the KPI page too):

1. Acceptance within 24 h: each acceptance (受理) by a tier, measured from when the
   ticket reached that tier (registration, or the escalation to it); a ticket still
   waiting at a tier for 24 h or more counts as late.
2. Response and resolution within the SIS target: the first response / the solution
   the customer was last asked to confirm, against the ticket's respond_by /
   resolve_by deadlines, which already stand still while it waits for the customer.
   A rejected solution does not count; an open ticket past its deadline is late
   unless its clock stands still.
3. Resolution by the committed time: the solution against the commitment in force
   (after an escalation, the new tier's).
4. Times are wall time from registration; percentiles use the nearest rank.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber

from campusdesk.accounts.models import User
from campusdesk.core import clock
from campusdesk.ops.models import Complaint
from campusdesk.reports import handling
from campusdesk.reports.periods import Period
from campusdesk.tickets import selectors
from campusdesk.tickets.models import OPEN_STATUSES, Status, Ticket, TicketEvent

ACCEPT_WITHIN = timedelta(hours=24)
LIMIT = ACCEPT_WITHIN.total_seconds()
OPEN = [str(s) for s in OPEN_STATUSES]


@dataclass(frozen=True)
class KpiFilters:
    """Which tickets: registered in ``period``, of these customers, handled by whom."""

    period: Period | None = None
    organisation: int | None = None
    project: int | None = None
    product: int | None = None
    region: int | None = None
    manager: int | None = None
    person: int | None = None
    tier: int | None = None
    severity: str = ""

    def query(self) -> dict[str, str]:
        """The query string that names these filters (for links)."""
        result: dict[str, str] = {}
        if self.period is not None:
            result["from"] = self.period.first.isoformat()
            result["to"] = self.period.last.isoformat()
        for name in ("organisation", "project", "product", "region", "manager", "person", "tier"):
            if getattr(self, name) is not None:
                result[name] = str(getattr(self, name))
        if self.severity:
            result["severity"] = self.severity
        return result


def scope(user: User, filters: KpiFilters) -> QuerySet[Ticket]:
    """The tickets ``user`` may see of the customers, products and severity ``filters`` name
    (whenever registered)."""
    exact = {
        "project_id": filters.project,
        "project__organisation_id": filters.organisation,
        "product_id": filters.product,
        "project__organisation__region_id": filters.region,
        "project__service_manager_id": filters.manager,
        "severity": filters.severity or None,
    }
    found = selectors.visible_tickets(user)
    return found.filter(**{k: v for k, v in exact.items() if v is not None})


def by_handler(filters: KpiFilters) -> bool:
    """Whether ``filters`` choose problems by who handled them (a person or a line)."""
    return filters.person is not None or filters.tier is not None


def tickets(user: User, filters: KpiFilters) -> QuerySet[Ticket]:
    """The tickets ``user`` may see that ``filters`` select: registered in the period, or, with
    a person or a line chosen, handled by them in the period (``handling.py``)."""
    found = scope(user, filters)
    if by_handler(filters):
        return found.filter(Exists(_handled(filters).filter(ticket_id=OuterRef("pk"))))
    if filters.period is not None:
        period = filters.period
        found = found.filter(created_at__gte=period.start, created_at__lt=period.end)
    return found


def _handled(filters: KpiFilters) -> QuerySet[TicketEvent]:
    """The handling events of the period, of the chosen person and line only."""
    events = handling.events(filters.period)
    if filters.person is not None:
        events = events.filter(Q(person=filters.person))
    if filters.tier is not None:
        events = events.filter(tier=filters.tier)
    return events


def _events(filters: KpiFilters, action: str) -> QuerySet[TicketEvent]:
    """Events of ``action``; with a person or tier chosen, only their own."""
    events = TicketEvent.objects.filter(action=action)
    if filters.person is not None:
        events = events.filter(actor_id=filters.person)
    if filters.tier is not None:
        events = events.filter(tier=filters.tier)
    return events


def _arrival(ticket_ref: str, at_ref: str) -> Coalesce:
    """When the ticket reached the tier it is accepted at: the last escalation before, or
    its registration."""
    escalated = TicketEvent.objects.filter(
        ticket_id=OuterRef(ticket_ref), action="escalate", at__lte=OuterRef(at_ref)
    ).order_by("-at", "-id")
    created = F("ticket__created_at") if ticket_ref == "ticket_id" else F("created_at")
    return Coalesce(Subquery(escalated.values("at")[:1]), created)


class Seconds(Func):
    """Seconds from the second expression to the first, in the database's own arithmetic
    (SQLite's julianday, PostgreSQL's epoch): no per-row Python function."""

    output_field = FloatField()
    arity = 2
    template = "EXTRACT(EPOCH FROM (%(expressions)s))"
    arg_joiner = " - "

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "((julianday(%(expressions)s)) * 86400.0)"
        joiner = ") - julianday("
        return self.as_sql(compiler, connection, template=template, arg_joiner=joiner, **extra)


def _acceptances(filters: KpiFilters) -> QuerySet[TicketEvent]:
    """Acceptance events with their ``delay`` (seconds) since the ticket reached the tier;
    line 1 is reached at registration, so only escalated tiers need the subquery."""
    events = _events(filters, "accept")
    if filters.period is not None:  # an acceptance never precedes its registration
        events = events.filter(at__gte=filters.period.start)
    arrived = Case(When(tier=1, then=F("ticket__created_at")), default=_arrival("ticket_id", "at"))
    return events.annotate(arrived=arrived).annotate(delay=Seconds(F("at"), F("arrived")))


def _waiting_too_long(now: datetime) -> Q:
    """Not accepted at its current tier 24 h after reaching it."""
    cutoff = now - ACCEPT_WITHIN
    escalated = TicketEvent.objects.filter(ticket_id=OuterRef("pk"), action="escalate")
    reached_before = Exists(escalated) & ~Exists(escalated.filter(at__gt=cutoff))
    never_escalated = ~Exists(escalated) & Q(created_at__lte=cutoff)
    return Q(status=Status.NEW) & (Q(reached_before) | never_escalated)


def _deadline(met_field: str, due_field: str, now: datetime) -> tuple[Q, Q]:
    """(met, missed) of a deadline; an open ticket whose clock stands still is neither."""
    met = Q(**{f"{met_field}__isnull": False, f"{met_field}__lte": F(due_field)})
    still = Q(waiting_since__isnull=False, **{f"{due_field}__gt": F("waiting_since")})
    overdue = Q(**{f"{met_field}__isnull": True, "status__in": OPEN, f"{due_field}__lte": now})
    missed = Q(**{f"{met_field}__gt": F(due_field)}) | (overdue & ~still)
    return met, missed


def conditions(filters: KpiFilters, now: datetime) -> dict[str, Q]:
    """Each drill-down's condition on a ticket, by name."""
    counted = ~Q(status=Status.WITHDRAWN)
    accepts = _acceptances(filters).filter(ticket_id=OuterRef("pk"))
    result = {
        "all": Q(),
        "withdrawn": Q(status=Status.WITHDRAWN),
        "open": Q(status__in=OPEN),
        "closed": Q(status=Status.CLOSED),
        "accept_on_time": Q(Exists(accepts.filter(Q(delay__lte=LIMIT)))),
        "accept_late": Q(Exists(accepts.filter(Q(delay__gt=LIMIT)))) | _waiting_too_long(now),
        "commit_changed": Q(
            Exists(_events(filters, "change_commitment").filter(ticket_id=OuterRef("pk")))
        ),
        "escalated": Q(Exists(_events(filters, "escalate").filter(ticket_id=OuterRef("pk")))),
        "rated": Q(rating__isnull=False),
        "rejected": Q(rejection_count__gt=0),
        "closure_requested": Q(status__in=[Status.PENDING_CLOSE, Status.CLOSED])
        | Q(rejection_count__gt=0),
        "urged": Q(urge_count__gt=0),
        "complained": Q(Exists(Complaint.objects.filter(ticket_id=OuterRef("pk")))),
        "out_of_scope": ~Q(out_of_scope_type=""),
    }
    for name, met_field, due_field in (
        ("respond", "responded_at", "respond_by"),
        ("resolve", "resolved_at", "resolve_by"),
        ("commit", "resolved_at", "committed_resolution_at"),
    ):
        met, missed = _deadline(met_field, due_field, now)
        result[f"{name}_met"], result[f"{name}_missed"] = counted & met, counted & missed
    for rating in range(1, 6):
        result[f"rating_{rating}"] = Q(rating=rating)
    return result


@dataclass(frozen=True)
class Ratio:
    """``good`` of ``total``; the names of the drill-downs of both parts."""

    good: int
    total: int
    good_metric: str
    bad_metric: str

    @property
    def bad(self) -> int:
        return self.total - self.good

    @property
    def percent(self) -> float | None:
        return round(100 * self.good / self.total, 1) if self.total else None


@dataclass(frozen=True)
class Spread:
    """Median and 90th percentile (nearest rank) of a time, over ``count`` tickets."""

    count: int
    median: timedelta | None
    p90: timedelta | None


@dataclass
class Kpis:
    total: int
    withdrawn: int
    open: int
    closed: int
    acceptance: Ratio
    response: Ratio
    resolution: Ratio
    commitment: Ratio
    commitment_changes: int
    tickets_with_commitment_changes: int
    accept_time: Spread
    response_time: Spread
    resolution_time: Spread
    rated: int
    rating_average: float | None
    ratings: dict[int, int]
    closure_requested: int
    rejected_tickets: int
    rejections: int
    urges: int
    urged_tickets: int
    complaints: int
    escalations: int
    escalated_tickets: int
    out_of_scope_tickets: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rejection_rate(self) -> float | None:
        if not self.closure_requested:
            return None
        return round(100 * self.rejected_tickets / self.closure_requested, 1)


#: the counts of each row of ``breakdown``: a part of the page's (``_COUNTED``)
_ROW_COUNTED = (
    "all",
    "open",
    "resolve_met",
    "resolve_missed",
    "commit_met",
    "commit_missed",
    "rated",
    "rejected",
    "closure_requested",
    "urged",
)
_COUNTED = (
    *_ROW_COUNTED,
    "withdrawn",
    "closed",
    "respond_met",
    "respond_missed",
    "out_of_scope",
    "rating_1",
    "rating_2",
    "rating_3",
    "rating_4",
    "rating_5",
)


_TIMES = (
    ("created_at", "accepted_at"),
    ("created_at", "responded_at"),
    ("created_at", "resolved_at"),
)
_NONE = {"n": 0, "on_time": 0, "tickets": 0}
_NOBODY = Spread(0, None, None)


def _nearest(count: int, share: tuple[int, int]) -> int:
    """The nearest rank (1-based) of the ``share`` (numerator, denominator) of ``count``
    values, in integers so that SQL and Python agree."""
    numerator, denominator = share
    return max(-(-count * numerator // denominator), 1)


MEDIAN, P90 = (1, 2), (9, 10)


def _seconds(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(seconds=round(value))


def _spreads(
    tickets: QuerySet[Ticket], start: str, end: str, grouped: bool = True
) -> dict[Any, Spread]:
    """Median and 90th percentile (nearest rank) of the time from ``start`` to ``end`` per
    ``key`` (one key 0 unless ``grouped``): window functions number each key's times and
    only the two ranks wanted are read."""
    if not grouped:
        tickets = tickets.annotate(key=Value(0))
    part: dict[str, Any] = {"partition_by": [F("key")]} if grouped else {}
    measured = (
        tickets.exclude(status=Status.WITHDRAWN)
        .filter(**{f"{end}__isnull": False})
        .annotate(took=Seconds(F(end), F(start)))
        .annotate(
            rank=Window(RowNumber(), order_by=[F("took").asc(), F("pk").asc()], **part),
            count=Window(Count("pk"), **part),
        )
    )
    ranks = [(F("count") * n + d - 1) / d for n, d in (MEDIAN, P90)]
    picked = measured.annotate(
        picked=Case(When(Q(rank=ranks[0]) | Q(rank=ranks[1]), then=Value(1)), default=Value(0))
    ).filter(picked=1)
    found: dict[Any, dict[str, Any]] = {}
    for row in picked.values("key", "took", "rank", "count"):
        entry = found.setdefault(row["key"], {"count": row["count"]})
        for name, share in (("median", MEDIAN), ("p90", P90)):
            if row["rank"] == _nearest(row["count"], share):
                entry[name] = row["took"]
    return {
        key: Spread(e["count"], _seconds(e.get("median")), _seconds(e.get("p90")))
        for key, e in found.items()
    }


def _counting(named: dict[str, Q], now: datetime) -> dict[str, Any]:
    """The aggregates over tickets that the figures are made of."""
    return {
        **{name: Count("pk", filter=named[name]) for name in _COUNTED},
        "waiting": Count("pk", filter=_waiting_too_long(now)),
        "rating_average": Avg("rating"),
        "rejections": Sum("rejection_count"),
        "urges": Sum("urge_count"),
        "complaints": Sum(_complaints_of_ticket()),
    }


def _complaints_of_ticket() -> Subquery:
    per_ticket = Complaint.objects.filter(ticket_id=OuterRef("pk")).order_by()
    return Subquery(per_ticket.values("ticket_id").annotate(n=Count("pk")).values("n"))


def _assemble(
    counts: dict[str, Any],
    accepts: dict[str, int],
    changed: dict[str, int],
    escalated: dict[str, int],
    times: list[Spread],
) -> Kpis:
    average = counts["rating_average"]

    def ratio(name: str) -> Ratio:
        met, missed = counts[f"{name}_met"], counts[f"{name}_missed"]
        return Ratio(met, met + missed, f"{name}_met", f"{name}_missed")

    return Kpis(
        total=counts["all"],
        withdrawn=counts["withdrawn"],
        open=counts["open"],
        closed=counts["closed"],
        acceptance=Ratio(
            accepts["on_time"], accepts["n"] + counts["waiting"], "accept_on_time", "accept_late"
        ),
        response=ratio("respond"),
        resolution=ratio("resolve"),
        commitment=ratio("commit"),
        commitment_changes=changed["n"],
        tickets_with_commitment_changes=changed["tickets"],
        accept_time=times[0],
        response_time=times[1],
        resolution_time=times[2],
        rated=counts["rated"],
        rating_average=round(float(average), 2) if average is not None else None,
        ratings={n: counts[f"rating_{n}"] for n in range(1, 6)},
        closure_requested=counts["closure_requested"],
        rejected_tickets=counts["rejected"],
        rejections=counts["rejections"] or 0,
        urges=counts["urges"] or 0,
        urged_tickets=counts["urged"],
        complaints=counts["complaints"] or 0,
        escalations=escalated["n"],
        escalated_tickets=escalated["tickets"],
        out_of_scope_tickets=counts["out_of_scope"],
    )


def compute(found: QuerySet[Ticket], filters: KpiFilters, now: datetime | None = None) -> Kpis:
    """The figures of the tickets ``found`` (from ``tickets()``) at ``now``. With a person or
    a line chosen, that row of ``handler_rows``: the per-person table and the filtered page
    are one computation."""
    now = now or clock.now()
    if by_handler(filters):
        by = "person" if filters.person is not None else "team"
        key = filters.person if by == "person" else filters.tier
        return handler_rows(found, filters, by, now).get(key, _zero())
    counts = found.aggregate(**_counting(conditions(filters, now), now))
    ids = found.values("pk")
    tickets_of = {"tickets": Count("ticket_id", distinct=True)}
    accepts = (
        _acceptances(filters)
        .filter(ticket_id__in=ids)
        .aggregate(n=Count("pk"), on_time=Count("pk", filter=Q(delay__lte=LIMIT)))
    )
    events = TicketEvent.objects.filter(ticket_id__in=ids)
    changes = events.filter(pk__in=_events(filters, "change_commitment").values("pk"))
    escalations = events.filter(pk__in=_events(filters, "escalate").values("pk"))
    return _assemble(
        counts,
        accepts,
        changes.aggregate(n=Count("pk"), **tickets_of),
        escalations.aggregate(n=Count("pk"), **tickets_of),
        [_spreads(found, start, end, grouped=False).get(0, _NOBODY) for start, end in _TIMES],
    )


# --- per person and per line (按人员 / 按团队) ---------------------------------------------
#: a row's key: the field of the handling event, and of the events a row counts
_KEYS = {"person": ("person", "actor_id"), "team": ("tier", "tier")}


def _pairs(found: QuerySet[Ticket], filters: KpiFilters, by: str) -> QuerySet[Ticket]:
    """One row per problem of ``found`` and person (line) who handled it in the period, with
    that ``key``: the earliest of their handling events joined to the problem."""
    field, _own = _KEYS[by]
    firsts = _handled(filters).values("ticket_id", field).annotate(first=Min("id")).values("first")
    key = handling.person("events__") if by == "person" else F("events__tier")
    return found.filter(events__in=firsts).annotate(key=key)


def _grouped(
    events: QuerySet[TicketEvent],
    found: QuerySet[Ticket],
    filters: KpiFilters,
    by: str,
    **extra: Any,
) -> dict[Any, dict[str, int]]:
    """Counts of ``events`` per their actor (line) on the problems that actor (line) handled:
    what ``compute`` counts with that person (line) chosen."""
    field, own = _KEYS[by]
    mine = _handled(filters).filter(ticket_id=OuterRef("ticket_id"), **{field: OuterRef(own)})
    rows = (
        events.filter(ticket_id__in=found.values("pk"))
        .filter(Exists(mine))
        .values(key=F(own))
        .annotate(n=Count("pk"), **extra)
        .order_by()
    )
    return {row["key"]: row for row in rows}


def handler_rows(
    found: QuerySet[Ticket], filters: KpiFilters, by: str, now: datetime | None = None
) -> dict[Any, Kpis]:
    """The figures per person (``by="person"``) or per line (``"team"``) of the problems of
    ``found`` each handled in the period (``handling.py``), keyed by user id or tier: a
    problem two members of a line handled counts once for the line. A fixed number of
    queries, however many people; ``compute`` gives one row the same way."""
    now = now or clock.now()
    pairs = _pairs(found, filters, by)
    by_key = pairs.values("key")  # type: ignore[misc]  # annotated by _pairs
    counts = by_key.annotate(**_counting(conditions(filters, now), now)).order_by()
    on_time = {"on_time": Count("pk", filter=Q(delay__lte=LIMIT))}
    tickets_of = {"tickets": Count("ticket_id", distinct=True)}
    accepts = _grouped(_acceptances(filters), found, filters, by, **on_time)
    changed = _grouped(_events(filters, "change_commitment"), found, filters, by, **tickets_of)
    escalated = _grouped(_events(filters, "escalate"), found, filters, by, **tickets_of)
    times = [_spreads(pairs, start, end) for start, end in _TIMES]
    return {
        row["key"]: _assemble(
            row,
            accepts.get(row["key"], _NONE),
            changed.get(row["key"], _NONE),
            escalated.get(row["key"], _NONE),
            [t.get(row["key"], _NOBODY) for t in times],
        )
        for row in counts
        if row["key"] is not None
    }


def handler_tickets(
    found: QuerySet[Ticket], filters: KpiFilters, by: str, metric: str, now: datetime | None = None
) -> dict[Any, list[tuple[int, str]]]:
    """The (id, number) of the problems behind ticket figure ``metric`` (``urged``,
    ``complained``, ``rejected``, ``commit_missed``…) of each row of ``handler_rows``, in
    one query: the rows count these same problems."""
    named = conditions(filters, now or clock.now())
    pairs = _pairs(found, filters, by).filter(named[metric]).order_by("number")
    result: dict[Any, list[tuple[int, str]]] = {}
    for key, pk, number in pairs.values_list("key", "pk", "number"):  # type: ignore[misc]
        if key is not None:
            result.setdefault(key, []).append((pk, number))
    return result


def zero() -> Kpis:
    """The figures of no problem at all (a person who handled none)."""
    return _zero()


def _zero() -> Kpis:
    zeros = dict.fromkeys((*_COUNTED, "waiting", "rejections", "urges", "complaints"), 0)
    return _assemble(zeros | {"rating_average": None}, _NONE, _NONE, _NONE, [_NOBODY] * 3)


def drill(
    found: QuerySet[Ticket], filters: KpiFilters, metric: str, now: datetime | None = None
) -> QuerySet[Ticket]:
    """The tickets behind figure ``metric``; KeyError for an unknown one."""
    return found.filter(conditions(filters, now or clock.now())[metric])


def metric_names() -> frozenset[str]:
    return frozenset(conditions(KpiFilters(), clock.now()))


#: groupings of the per-row table: field of the ticket → what it is
GROUPS = {
    "project": "project_id",
    "organisation": "project__organisation_id",
    "severity": "severity",
    "region": "project__organisation__region_id",
}


def breakdown(
    found: QuerySet[Ticket], by: str, now: datetime | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Key figures per ``by`` (a key of GROUPS) in one grouped query, the largest first."""
    named = conditions(KpiFilters(), now or clock.now())
    rows = (
        found.values(key=F(GROUPS[by]))
        .annotate(
            **{n: Count("pk", filter=named[n]) for n in _ROW_COUNTED}, rating_average=Avg("rating")
        )
        .order_by("-all")[:limit]
    )
    result = []
    for row in rows:
        resolve = Ratio(row["resolve_met"], row["resolve_met"] + row["resolve_missed"], "", "")
        commit = Ratio(row["commit_met"], row["commit_met"] + row["commit_missed"], "", "")
        average = row["rating_average"]
        rating = round(float(average), 2) if average else None
        result.append(
            {
                **row,
                "resolution": resolve.percent,
                "commitment": commit.percent,
                "rating_average": rating,
            }
        )
    return result


def with_period(filters: KpiFilters, period: Period) -> KpiFilters:
    return replace(filters, period=period)
