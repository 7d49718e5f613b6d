"""The availability section of the service report (issue 19): per application system of the
report's scope, the share of successful probe runs in the period, the outages that overlap
the period, and the certificate warnings raised in it.

A system's runs are its raw results (``ProbeResult``) plus the hours already rolled up
(``ProbeHourly``): the roll-up deletes the raw runs it counts, so the two never overlap.
An outage that began before the period or lasts beyond it is clipped to the period, so
its duration is the part the period saw; one in a maintenance window is listed, marked,
and counted as downtime like any other. Five queries whatever the number of systems.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from campusdesk.monitoring import status
from campusdesk.monitoring.models import CertificateWarning, Outage, ProbeHourly, ProbeResult
from campusdesk.reports.periods import Period
from campusdesk.systems.models import ApplicationSystem, Importance


@dataclass(frozen=True)
class SystemLine:
    """One system's runs in the period and how long it was down."""

    system_id: int
    name: str
    importance: str
    runs: int
    failures: int
    outages: int
    down_minutes: int

    @property
    def percent(self) -> float | None:
        """Successful runs of all runs in %, cut to two decimals as the status page does."""
        return status.percent(self.runs, self.failures)


@dataclass(frozen=True)
class OutageLine:
    """An outage as the period saw it: ``start``/``end`` clipped to the period, ``end`` None
    while the system is still down."""

    system_id: int
    system: str
    started_at: datetime
    ended_at: datetime | None
    start: datetime
    end: datetime | None
    minutes: int
    ticket: str
    in_maintenance: bool


@dataclass(frozen=True)
class CertificateLine:
    system: str
    target: str
    expires_at: datetime
    threshold: int
    at: datetime
    ticket: str


@dataclass(frozen=True)
class Availability:
    systems: list[SystemLine]
    outages: list[OutageLine]
    certificates: list[CertificateLine]

    @property
    def probed(self) -> bool:
        """Whether any system of the scope is probed (else the report says so in a line)."""
        return bool(self.systems or self.outages or self.certificates)


def _runs(systems: QuerySet[ApplicationSystem], period: Period) -> dict[int, tuple[int, int]]:
    """System id → (runs, failed runs) in the period, raw and rolled-up alike."""
    found: dict[int, tuple[int, int]] = {}
    raw = ProbeResult.objects.filter(
        probe__system__in=systems, started_at__gte=period.start, started_at__lt=period.end
    )
    rows = raw.values("probe__system").annotate(n=Count("pk"), bad=Count("pk", filter=Q(ok=False)))
    hours = ProbeHourly.objects.filter(
        probe__system__in=systems, hour__gte=period.start, hour__lt=period.end
    )
    rolled = hours.values("probe__system").annotate(n=Sum("runs"), bad=Sum("failures"))
    for row in [*rows.order_by(), *rolled.order_by()]:
        runs, failures = found.get(row["probe__system"], (0, 0))
        found[row["probe__system"]] = (runs + row["n"], failures + row["bad"])
    return found


def _minutes(span: timedelta) -> int:
    return max(0, round(span.total_seconds() / 60))


def _outages(
    systems: QuerySet[ApplicationSystem], period: Period, now: datetime
) -> list[OutageLine]:
    overlapping = Outage.objects.filter(system__in=systems, started_at__lt=period.end).filter(
        Q(ended_at=None) | Q(ended_at__gt=period.start)
    )
    lines = []
    for outage in overlapping.select_related("system", "ticket").order_by("started_at", "pk"):
        start = max(outage.started_at, period.start)
        end = min(outage.ended_at or now, period.end)
        lines.append(
            OutageLine(
                system_id=outage.system_id,
                system=outage.system.name,
                started_at=outage.started_at,
                ended_at=outage.ended_at,
                start=start,
                end=None if outage.ended_at is None else end,
                minutes=_minutes(end - start),
                ticket=outage.ticket.number if outage.ticket else "",
                in_maintenance=outage.in_maintenance,
            )
        )
    return lines


def _certificates(systems: QuerySet[ApplicationSystem], period: Period) -> list[CertificateLine]:
    warnings = CertificateWarning.objects.filter(
        probe__system__in=systems, at__gte=period.start, at__lt=period.end
    )
    return [
        CertificateLine(
            system=w.probe.system.name,
            target=w.probe.sni or w.probe.target,
            expires_at=w.expires_at,
            threshold=w.threshold,
            at=w.at,
            ticket=w.ticket.number if w.ticket else "",
        )
        for w in warnings.select_related("probe__system", "ticket").order_by("at", "pk")
    ]


def compute(systems: QuerySet[ApplicationSystem], period: Period, now: datetime) -> Availability:
    """The availability of ``systems`` (those that have a probe or runs) in ``period``."""
    runs = _runs(systems, period)
    outages = _outages(systems, period, now)
    down: dict[int, tuple[int, int]] = {}
    for line in outages:
        count, minutes = down.get(line.system_id, (0, 0))
        down[line.system_id] = (count + 1, minutes + line.minutes)
    labels = dict(Importance.choices)
    rows = systems.annotate(probes_n=Count("probes")).values("pk", "name", "importance", "probes_n")
    lines = [
        SystemLine(
            system_id=row["pk"],
            name=row["name"],
            importance=str(labels.get(row["importance"], row["importance"])),
            runs=runs.get(row["pk"], (0, 0))[0],
            failures=runs.get(row["pk"], (0, 0))[1],
            outages=down.get(row["pk"], (0, 0))[0],
            down_minutes=down.get(row["pk"], (0, 0))[1],
        )
        for row in rows.order_by("name", "pk")
        if row["probes_n"] or row["pk"] in runs
    ]
    return Availability(lines, outages, _certificates(systems, period))


def _local(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else None


def as_dict(found: Availability) -> dict[str, Any]:
    """The section as JSON; times in local time as the report shows them."""
    return {
        "probed": found.probed,
        "systems": [
            {
                "system": line.system_id,
                "name": line.name,
                "importance": line.importance,
                "runs": line.runs,
                "failures": line.failures,
                "percent": line.percent,
                "outages": line.outages,
                "down_minutes": line.down_minutes,
            }
            for line in found.systems
        ],
        "outages": [
            {
                "system": o.system,
                "started_at": o.started_at.isoformat(),
                "ended_at": o.ended_at.isoformat() if o.ended_at else None,
                "from": _local(o.start),
                "to": _local(o.end),
                "began_earlier": o.start > o.started_at,
                "minutes": o.minutes,
                "ticket": o.ticket,
                "in_maintenance": o.in_maintenance,
            }
            for o in found.outages
        ],
        "certificates": [
            {
                "system": c.system,
                "target": c.target,
                "expires": timezone.localtime(c.expires_at).date().isoformat(),
                "threshold": c.threshold,
                "at": _local(c.at),
                "ticket": c.ticket,
            }
            for c in found.certificates
        ],
    }


# --- the section as the page, the workbook and the PDF show it ---------------------------
@dataclass(frozen=True)
class Table:
    """One table of the section: its heading, columns, rows, and the line when it is empty."""

    key: str
    title: str
    header: list[str]
    rows: list[list[Any]]
    empty: str


def no_probes() -> str:
    return _("No probe checks the systems of this report: no availability figures.")


def _threshold(days: int) -> str:
    if days == 0:
        return _("Expired or invalid")
    return _("%(days)d days left") % {"days": days}  # 30 or 7, never one


def _outage_row(o: dict[str, Any]) -> list[Any]:
    start = o["from"]
    if o["began_earlier"]:
        start = _("%(time)s (began before the period)") % {"time": start}
    ticket = o["ticket"] or "—"
    if o["in_maintenance"]:
        ticket = _("In a maintenance window: no incident")
    return [o["system"], start, o["to"] or _("Not recovered yet"), o["minutes"], ticket]


def tables(data: dict[str, Any]) -> list[Table]:
    """The three tables of ``report.as_dict()["availability"]``; none without probes."""
    if not data["probed"]:
        return []
    systems = [
        [
            s["name"],
            s["importance"],
            s["runs"],
            s["failures"],
            s["percent"],
            s["outages"],
            s["down_minutes"],
        ]
        for s in data["systems"]
    ]
    certificates = [
        [
            c["system"],
            c["target"],
            c["expires"],
            _threshold(c["threshold"]),
            c["at"],
            c["ticket"] or "—",
        ]
        for c in data["certificates"]
    ]
    return [
        Table(
            "availability",
            _("Availability"),
            [
                _("Application system"),
                _("Importance"),
                _("Probe runs"),
                _("Failed runs"),
                _("Availability (%)"),
                _("Outages"),
                _("Down (min)"),
            ],
            systems,
            "",
        ),
        Table(
            "outages",
            _("Outages"),
            [
                _("Application system"),
                _("Down since"),
                _("Up again at"),
                _("Duration in the period (min)"),
                _("Incident"),
            ],
            [_outage_row(o) for o in data["outages"]],
            _("No outage in this period."),
        ),
        Table(
            "certificates",
            _("Certificate expiry warnings"),
            [
                _("Application system"),
                _("Probe target"),
                _("Certificate expires"),
                _("Threshold"),
                _("Warned at"),
                _("Ticket"),
            ],
            certificates,
            _("No certificate warning in this period."),
        ),
    ]
