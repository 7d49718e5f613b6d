"""A run's report (巡检报告 / 演练报告), made from the run each time it is asked for: the
checklist results with each measured value beside the previous run's, the failures and
their tickets, a drill's recovery time and data loss against its plan's targets, and the
sign-off. The page shows ``blocks``; Word and PDF lay the same blocks out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

from campusdesk.core import clock
from campusdesk.core.documents import Block, Grid, blocks_docx, blocks_pdf, clean
from campusdesk.routines.models import Kind, Run, RunItem

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FORMATS = {"docx": DOCX_TYPE, "pdf": "application/pdf"}
EMPTY = "—"


def when(moment: datetime | None) -> str:
    return clock.local(moment).strftime("%Y-%m-%d %H:%M") if moment is not None else EMPTY


def title(run: Run) -> str:
    if run.kind == Kind.INSPECTION:
        return _("Inspection report: %(title)s") % {"title": clean(run.title)}
    return _("Drill report: %(title)s") % {"title": clean(run.title)}


def previous(run: Run) -> Run | None:
    """The routine's completed run before this one (for the measured values' trend)."""
    return (
        Run.objects.filter(routine_id=run.routine_id, status=Run.Status.COMPLETED)
        .filter(due_on__lt=run.due_on)
        .order_by("-due_on", "-pk")
        .first()
    )


def _minutes(value: int | None) -> str:
    return EMPTY if value is None else _("%(n)d min") % {"n": value}


def _against(measured: int | None, target: int | None) -> str:
    if measured is None:
        return EMPTY
    if target is None:
        return _minutes(measured)
    verdict = _("met") if measured <= target else _("missed")
    return _("%(measured)s (target %(target)s: %(verdict)s)") % {
        "measured": _minutes(measured),
        "target": _minutes(target),
        "verdict": verdict,
    }


def _signed(user: object, at: datetime | None) -> str:
    return f"{user} {when(at)}" if at is not None else _("Not yet")


def facts(run: Run) -> list[tuple[str, Any]]:
    routine = run.routine
    project = routine.project
    rows = [
        (_("Routine"), routine.name),
        (_("Kind"), Kind(run.kind).label),
        (_("Organisation"), project.organisation.name),
        (_("Project"), project.name),
        (_("Application systems"), "、".join(s.name for s in routine.systems.order_by("pk"))),
        (_("Due on"), run.due_on.isoformat()),
        (_("Status"), run.get_status_display()),
        (_("Completed"), f"{run.completed_by or ''} {when(run.completed_at)}".strip()),
    ]
    if run.plan is not None:
        rows += [
            (_("Emergency plan exercised"), run.plan.scenario),
            (_("Recovery time"), _against(run.recovery_minutes, run.plan.rto_minutes)),
            (_("Data loss"), _against(run.data_loss_minutes, run.plan.rpo_minutes)),
        ]
    rows += [
        (_("Signed by the service manager"), _signed(run.manager_signed_by, run.manager_signed_at)),
        (
            _("Confirmed by the customer"),
            _signed(run.customer_confirmed_by, run.customer_confirmed_at),
        ),
    ]
    return rows


def _ticket(item: RunItem) -> str:
    """What tracks a failure: its ticket's number, or its vulnerability finding's entry."""
    if item.ticket is not None:
        return f"#{item.ticket.number}"
    if item.finding is not None:
        return item.finding.vulnerability.identifier
    return ""


def _value(item: RunItem) -> str:
    """The measured value and the names of the evidence files."""
    return "\n".join([item.value, *(file.name for file in item.files.all())]).strip()


def results(run: Run, items: list[RunItem]) -> Grid:
    before = previous(run)
    earlier = (
        {(i.system_id, i.text): i.value for i in before.items.all()} if before is not None else {}
    )
    header = [
        "#",
        _("Application system"),
        _("Check"),
        _("Expected result"),
        _("Result"),
        _("Measured value"),
        _("Previous value"),
        _("Note"),
        _("Ticket"),
    ]
    rows = [
        [
            str(item.position),
            item.system.name,
            item.text,
            item.expected,
            item.get_result_display(),
            _value(item),
            earlier.get((item.system_id, item.text), ""),
            item.note,
            _ticket(item),
        ]
        for item in items
    ]
    return Grid(header, rows, (0.04, 0.12, 0.18, 0.14, 0.08, 0.1, 0.1, 0.16, 0.08))


def failures(items: list[RunItem]) -> Grid:
    header = [_("Application system"), _("Check"), _("Found"), _("Ticket")]
    rows = [
        [item.system.name, item.text, item.note, _ticket(item)]
        for item in items
        if item.result == RunItem.Result.FAIL
    ]
    return Grid(header, rows, (0.2, 0.3, 0.35, 0.15))


def blocks(run: Run) -> list[Block]:
    """What the report says, top to bottom."""
    items = list(
        run.items.select_related("system", "ticket", "finding__vulnerability")
        .prefetch_related("files")
        .order_by("position")
    )
    return [
        ("title", title(run)),
        ("facts", facts(run)),
        ("heading", _("Checklist results")),
        ("grid", results(run, items)),
        ("heading", _("Problems found")),
        ("grid", failures(items)),
        ("heading", _("Conclusion")),
        ("text", run.summary or EMPTY),
    ]


def filename(run: Run, extension: str) -> str:
    """``routine-run-<id>-<due day>.<pdf|docx>``: ASCII only."""
    return f"routine-run-{run.pk}-{run.due_on:%Y%m%d}.{extension}"


def download(run: Run, kind: str) -> HttpResponse:
    """The report as a file to save (the run's scope already checked)."""
    content = (
        blocks_docx(blocks(run), title(run))
        if kind == "docx"
        else blocks_pdf(blocks(run), title(run))
    )
    response = HttpResponse(content, content_type=FORMATS[kind])
    response["Content-Disposition"] = f'attachment; filename="{filename(run, kind)}"'
    return response
