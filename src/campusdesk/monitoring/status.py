"""What a status page shows (状态页): each system's state, uptime, latency, open incidents and
announced maintenance; the same rows make the vendor's overview and the API's JSON.

A system's state, in this order:

1. ``maintenance`` while one of its maintenance windows is active;
2. ``down`` while it has an open outage, or one of its active probes is down;
3. ``unknown`` while none of its active probes has run yet (or it has none);
4. ``up`` otherwise.

Uptime is the share of successful runs over the last 24 h / 7 d / 30 d / 90 d, counted from
the raw results (``ProbeResult``) plus the hours already rolled up (``ProbeHourly``): the
roll-up deletes the raw runs it counts, so the two never overlap and are simply added.
An hour counts when it starts inside the period (as in the service report).

Eight queries whatever the number of systems: the systems, their active probes, the raw and
the rolled-up runs, the latency of the last 24 h by hour, the open outages with their
incidents, the last outage's end, and the maintenance windows.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from campusdesk.catalog import scoping
from campusdesk.core import clock
from campusdesk.core.errors import NotFound
from campusdesk.intake import windows as windows_rules
from campusdesk.intake.models import MaintenanceWindow
from campusdesk.monitoring.models import Outage, Probe, ProbeHourly, ProbeResult
from campusdesk.systems.models import ApplicationSystem

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from campusdesk.accounts.models import Organisation, User

#: the uptime periods, by their key in the rows
PERIODS: dict[str, timedelta] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
}
STATES = ("down", "maintenance", "unknown", "up")
#: the overview's order when sorted by state: what needs attention first
STATE_ORDER = {state: rank for rank, state in enumerate(STATES)}
LATENCY_SPAN = timedelta(hours=24)
#: outages listed on a system's page
RECENT_OUTAGES = 10

Row = dict[str, Any]


# --- who may read an organisation's status ---------------------------------------------------
def organisation_for(user: User | AnonymousUser, organisation_id: int) -> Organisation:
    """The organisation whose status page ``user`` reads: a customer their own, vendor staff
    one whose projects they serve; another one is ``NotFound``."""
    if not user.is_authenticated:
        raise NotFound()
    organisation = scoping.visible_organisations(user).filter(pk=organisation_id).first()
    if organisation is None:
        raise NotFound()
    if (
        user.is_vendor_staff
        and not scoping.visible_projects(user).filter(organisation_id=organisation_id).exists()
    ):
        raise NotFound()  # the vendor's own organisation, say: it has no systems to serve
    return organisation


# --- the rows ---------------------------------------------------------------------------------
def organisation_status(
    organisation: Organisation,
    now: datetime | None = None,
    *,
    systems: QuerySet[ApplicationSystem] | None = None,
) -> dict[str, Any]:
    """The organisation's status page as JSON-ready data (times in ISO 8601, local time).

    ``systems`` narrows the page (a vendor engineer who serves one of its projects); by
    default every system of the organisation is shown.
    """
    now = now or clock.now()
    if systems is None:
        systems = ApplicationSystem.objects.all()
    rows = system_rows(systems.filter(organisation=organisation), now)
    data: dict[str, Any] = jsonable(
        {
            "organisation": {"id": organisation.pk, "name": organisation.name},
            "generated_at": now,
            "systems": rows,
        }
    )
    return data


def overview(systems: QuerySet[ApplicationSystem], now: datetime | None = None) -> list[Row]:
    """Every system of ``systems`` with its organisation, as JSON-ready rows."""
    rows: list[Row] = jsonable(system_rows(systems, now or clock.now(), organisation=True))
    return rows


def system_rows(
    systems: QuerySet[ApplicationSystem], now: datetime, *, organisation: bool = False
) -> list[Row]:
    """One row per system (ordered by organisation and name), times as datetimes."""
    chosen = systems.order_by("organisation__name", "name", "pk")
    if organisation:
        chosen = chosen.select_related("organisation")
    listed = list(chosen)
    ids = [system.pk for system in listed]
    if not ids:
        return []
    probes = _probe_rows(Probe.objects.filter(system_id__in=ids, is_active=True))
    counts = _run_counts(ids, now)
    latency = _latency(ids, now)
    outages = _open_outages(ids)
    last_end = _last_ends(ids)
    maintenance = _maintenance(MaintenanceWindow.objects.filter(system_id__in=ids), now)
    rows = []
    for system in listed:
        pk = system.pk
        row = _row(system, probes, counts, latency, outages.get(pk, []), last_end.get(pk))
        row["maintenance"] = maintenance.get(pk, [])
        row["state"], row["since"] = _state(row, outages.get(pk, []), last_end.get(pk), now)
        if organisation:
            row["organisation"] = {"id": system.organisation_id, "name": system.organisation.name}
        rows.append(row)
    return rows


def system_detail(system: ApplicationSystem, now: datetime) -> dict[str, Any]:
    """A system's row (its windows that are not over in ``maintenance``), its probes (paused
    ones too) with their own uptime, and its recent outages: what the system's page shows,
    in six queries."""
    probes = list(Probe.objects.filter(system=system).order_by("kind", "pk"))
    counts = _run_counts([system.pk], now)
    recent = list(
        Outage.objects.filter(system=system)
        .select_related("ticket")
        .order_by("-started_at", "-pk")[:RECENT_OUTAGES]
    )
    open_rows = [_outage_row(o) for o in recent if o.ended_at is None]
    last_end = max((o.ended_at for o in recent if o.ended_at is not None), default=None)
    active = _probe_rows(p for p in probes if p.is_active)
    row = _row(system, active, counts, _latency([system.pk], now), open_rows, last_end)
    row["maintenance"] = _maintenance(MaintenanceWindow.objects.filter(system=system), now).get(
        system.pk, []
    )
    row["state"], row["since"] = _state(row, open_rows, last_end, now)
    return {
        "row": row,
        "probes": [(probe, _uptime(counts.get((system.pk, probe.pk), {}))) for probe in probes],
        "outages": recent,
    }


#: (system id, probe id) → runs and failures per period (``runs_24h``, ``failures_24h`` …)
Counts = dict[tuple[int, int], dict[str, int]]


def _row(
    system: ApplicationSystem,
    probes: dict[int, list[Row]],
    counts: Counts,
    latency: dict[int, list[tuple[datetime, float]]],
    outages: list[Row],
    last_end: datetime | None,
) -> Row:
    totals: dict[str, int] = defaultdict(int)
    for (system_id, _probe), entry in counts.items():
        if system_id == system.pk:
            for key, value in entry.items():
                totals[key] += value
    return {
        "id": system.pk,
        "name": system.name,
        "importance": system.importance,
        "uptime": _uptime(totals),
        "latency": latency.get(system.pk, []),
        "probes": probes.get(system.pk, []),
        "open_incidents": [i for i in outages if i["ticket"]],
    }


def _state(
    row: Row, outages: list[Row], last_end: datetime | None, now: datetime
) -> tuple[str, datetime | None]:
    """The system's state and since when (None when not known)."""
    current = [w for w in row["maintenance"] if w["starts_at"] <= now]
    if current:
        return "maintenance", min(w["starts_at"] for w in current)
    if outages:
        return "down", min(o["since"] for o in outages)
    states = {str(probe["state"]) for probe in row["probes"]}
    if "down" in states:
        return "down", None
    if not states - {"unknown"}:
        return "unknown", None
    return "up", last_end


def _probe_rows(probes: Iterable[Probe]) -> dict[int, list[Row]]:
    found: dict[int, list[Row]] = defaultdict(list)
    for probe in sorted(probes, key=lambda p: (p.system_id, p.kind, p.pk)):
        found[probe.system_id].append(
            {
                "id": probe.pk,
                "kind": probe.kind,
                "name": probe.name,
                "state": probe.state,
                "last_run_at": probe.last_run_at,
                "last_latency_ms": probe.last_latency_ms,
                "cert_expires_at": probe.cert_expires_at,
            }
        )
    return found


def percent(runs: int, failures: int) -> float | None:
    """Successful runs of all runs in %, cut (not rounded) to two decimals: a period with a
    failure never reads 100 %."""
    if not runs:
        return None
    return math.floor(10000 * (runs - failures) / runs) / 100


def _uptime(entry: dict[str, int]) -> dict[str, float | None]:
    return {
        key: percent(entry.get(f"runs_{key}", 0), entry.get(f"failures_{key}", 0))
        for key in PERIODS
    }


def _run_counts(ids: list[int], now: datetime) -> Counts:
    """Runs and failures per probe of the systems ``ids`` and period: two aggregate queries
    (raw runs, rolled-up hours), paused and deleted-since probes' history included."""
    since = {key: now - span for key, span in PERIODS.items()}
    oldest = min(since.values())
    raw = ProbeResult.objects.filter(
        probe__system_id__in=ids, started_at__gte=oldest, started_at__lte=now
    )
    raw_rows = raw.values("probe_id", "probe__system_id").annotate(
        **{f"runs_{k}": Count("pk", filter=Q(started_at__gte=s)) for k, s in since.items()},
        **{
            f"failures_{k}": Count("pk", filter=Q(started_at__gte=s, ok=False))
            for k, s in since.items()
        },
    )
    hours = ProbeHourly.objects.filter(probe__system_id__in=ids, hour__gte=oldest, hour__lte=now)
    hour_rows = hours.values("probe_id", "probe__system_id").annotate(
        **{f"runs_{k}": Sum("runs", filter=Q(hour__gte=s)) for k, s in since.items()},
        **{f"failures_{k}": Sum("failures", filter=Q(hour__gte=s)) for k, s in since.items()},
    )
    counts: Counts = defaultdict(lambda: defaultdict(int))
    for row in [*raw_rows.order_by(), *hour_rows.order_by()]:
        entry = counts[row["probe__system_id"], row["probe_id"]]
        for key in PERIODS:
            entry[f"runs_{key}"] += row[f"runs_{key}"] or 0
            entry[f"failures_{key}"] += row[f"failures_{key}"] or 0
    return counts


def _latency(ids: list[int], now: datetime) -> dict[int, list[tuple[datetime, float]]]:
    """System id → [(hour, average latency in ms)] over the last 24 h, oldest first: one
    grouped query of the raw runs by hour in the local time zone, and one of the rolled-up
    hours only when the retention is shorter than a day (else none can be that recent)."""
    since = now - LATENCY_SPAN
    raw = (
        ProbeResult.objects.filter(
            probe__system_id__in=ids,
            started_at__gte=since,
            started_at__lte=now,
            latency_ms__isnull=False,
        )
        .annotate(at=TruncHour("started_at", tzinfo=timezone.get_default_timezone()))
        .values("probe__system_id", "at")
        .annotate(total=Sum("latency_ms"), n=Count("latency_ms"))
        .order_by()
    )
    sums: dict[int, dict[datetime, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for row in raw:
        _add(sums[row["probe__system_id"]][row["at"]], row["total"], row["n"])
    if settings.PROBE_RETENTION_DAYS < 1:
        hours = (
            ProbeHourly.objects.filter(
                probe__system_id__in=ids, hour__gte=since, hour__lte=now, latency_count__gt=0
            )
            .values("probe__system_id", "hour")
            .annotate(total=Sum("latency_sum_ms"), n=Sum("latency_count"))
            .order_by()
        )
        for row in hours:
            _add(sums[row["probe__system_id"]][row["hour"]], row["total"], row["n"])
    return {
        system_id: [(hour, round(total / n, 1)) for hour, (total, n) in sorted(by_hour.items())]
        for system_id, by_hour in sums.items()
    }


def _add(entry: list[int], total: int | None, n: int | None) -> None:
    entry[0] += total or 0
    entry[1] += n or 0


def _outage_row(outage: Outage) -> Row:
    ticket = outage.ticket
    return {
        "ticket": ticket.pk if ticket else None,
        "number": ticket.number if ticket else "",
        "title": ticket.title if ticket else "",
        "since": outage.started_at,
    }


def _open_outages(ids: list[int]) -> dict[int, list[Row]]:
    """The open outages per system, with their incident if one was registered."""
    found: dict[int, list[Row]] = defaultdict(list)
    for outage in (
        Outage.objects.filter(system_id__in=ids, ended_at=None)
        .select_related("ticket")
        .order_by("started_at", "pk")
    ):
        found[outage.system_id].append(_outage_row(outage))
    return found


def _last_ends(ids: list[int]) -> dict[int, datetime]:
    """The end of each system's last ended outage."""
    ended = (
        Outage.objects.filter(system_id__in=ids, ended_at__isnull=False)
        .values("system_id")
        .annotate(last=Max("ended_at"))
        .order_by()
    )
    return {row["system_id"]: row["last"] for row in ended}


def _maintenance(windows: Iterable[MaintenanceWindow], now: datetime) -> dict[int, list[Row]]:
    """The current and coming occurrence of each window that is not over, soonest first
    (a queryset is narrowed to the windows that may not be over)."""
    if isinstance(windows, QuerySet):
        windows = windows.filter(Q(weekly=True) | Q(ends_at__gt=now)).order_by("starts_at")
    found: dict[int, list[Row]] = defaultdict(list)
    for window in windows:
        occurrence = windows_rules.next_occurrence(window, now)
        if occurrence is None or window.system_id is None:
            continue
        found[window.system_id].append(
            {
                "id": window.pk,
                "starts_at": occurrence[0],
                "ends_at": occurrence[1],
                "reason": window.reason,
                "weekly": window.weekly,
            }
        )
    for rows in found.values():
        rows.sort(key=lambda w: w["starts_at"])
    return found


# --- JSON -------------------------------------------------------------------------------------
def jsonable(value: Any) -> Any:
    """``value`` with every datetime as ISO 8601 in the local time zone (``+08:00``) and
    every tuple as a list."""
    if isinstance(value, datetime):
        return clock.local(value).isoformat()
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value
