"""The service report's routine work (seed §4 巡检报告, R-SYS-4): the inspections and drills
due in the period, done on time, late or missed, and what their checks found.

A run counts in the period of its due day. Done on time: completed by the end of its due
day; late: completed after it; missed: still open past its due day. Each failed check is a
finding, with the ticket that tracks it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from campusdesk.core import clock
from campusdesk.reports.availability import Table
from campusdesk.reports.periods import Period
from campusdesk.routines.models import Kind, Run, RunItem
from campusdesk.systems.models import ApplicationSystem


def _state(run: Run, now: datetime) -> str:
    if run.completed_at is not None:
        return "on_time" if clock.local(run.completed_at).date() <= run.due_on else "late"
    return "missed" if clock.local(now).date() > run.due_on else "open"


def compute(systems: QuerySet[ApplicationSystem], period: Period, now: datetime) -> dict[str, Any]:
    """The period's runs and findings as plain data (for the page, the workbook, the PDF)."""
    runs = list(
        Run.objects.filter(
            routine__systems__in=systems, due_on__gte=period.first, due_on__lte=period.last
        )
        .distinct()
        .annotate(failed=Count("items", filter=Q(items__result=RunItem.Result.FAIL)))
        .order_by("due_on", "pk")
    )
    lines = [
        {
            "title": run.title,
            "kind": str(Kind(run.kind).label),
            "due": run.due_on.isoformat(),
            "completed": clock.local(run.completed_at).strftime("%Y-%m-%d %H:%M")
            if run.completed_at
            else None,
            "state": _state(run, now),
            "failed": run.failed,
        }
        for run in runs
    ]
    findings = (
        RunItem.objects.filter(run__in=[run.pk for run in runs], result=RunItem.Result.FAIL)
        .select_related("system", "ticket", "run")
        .order_by("run__due_on", "position")
    )
    states = [line["state"] for line in lines]
    return {
        "runs": lines,
        "done": states.count("on_time") + states.count("late"),
        "late": states.count("late"),
        "missed": states.count("missed"),
        "findings": [
            {
                "run": item.run.title,
                "system": item.system.name,
                "check": item.text,
                "found": item.note,
                "ticket": f"#{item.ticket.number}" if item.ticket else None,
            }
            for item in findings
        ],
    }


def _state_label(state: str) -> str:
    return {
        "on_time": _("Done on time"),
        "late": _("Done late"),
        "missed": _("Missed"),
        "open": _("To do"),
    }[state]


def tables(data: dict[str, Any]) -> list[Table]:
    """The section's two tables: the runs, and the findings with their tickets."""
    summary = _("%(done)d done (%(late)d late), %(missed)d missed") % data
    runs = [
        [
            r["title"],
            r["kind"],
            r["due"],
            _state_label(r["state"]),
            r["completed"] or "—",
            r["failed"],
        ]
        for r in data["runs"]
    ]
    findings = [
        [f["system"], f["run"], f["check"], f["found"], f["ticket"] or "—"]
        for f in data["findings"]
    ]
    return [
        Table(
            "routine-runs",
            _("Routine work: %(summary)s") % {"summary": summary},
            [_("Run"), _("Kind"), _("Due on"), _("Status"), _("Completed"), _("Failed checks")],
            runs,
            _("No inspection or drill was due in this period."),
        ),
        Table(
            "routine-findings",
            _("Found by inspections and drills"),
            [_("Application system"), _("Run"), _("Check"), _("Found"), _("Ticket")],
            findings,
            _("Nothing found in this period."),
        ),
    ]
