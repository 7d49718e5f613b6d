"""Routine work's writes: routines, their runs (created once per due day), checklist results,
completion and sign-off, and the systems' emergency plans.

Vendor staff of a project plan and perform its routine work; the customer's users read it,
and their contact confirms a completed run's report (as they confirm a ticket's closure).
A failed check opens a ticket for its system (or links one given), so nothing found is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog import scoping
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.core.errors import NotFound, PermissionDenied, ValidationError
from campusdesk.core.values import whole_number
from campusdesk.notify import inbox
from campusdesk.notify.models import Kind as MessageKind
from campusdesk.routines import recurrence
from campusdesk.routines.models import (
    DRILLS,
    EmergencyPlan,
    Evidence,
    Kind,
    Routine,
    Run,
    RunItem,
)
from campusdesk.sla import calendars
from campusdesk.systems import findings, ticketlink
from campusdesk.systems import selectors as systems
from campusdesk.systems.models import ApplicationSystem, Finding, Vulnerability
from campusdesk.systems.services import record as system_record
from campusdesk.tickets import selectors as ticket_selectors
from campusdesk.tickets import services as tickets
from campusdesk.tickets.attachments import validate_upload
from campusdesk.tickets.models import Channel, Ticket

log = logging.getLogger(__name__)

#: limits of a checklist and its texts
MAX_ITEMS = 100
TEXT_LIMIT = 500
#: a failed check is a fault of the system, registered by the engineer who found it
FAILURE_URGENCY = "medium"
#: evidence files per check
MAX_FILES = 10
#: a failed security check's severity unless the engineer says, and the CVSS 3.1 base score
#: its register entry carries (the lower bound of the severity's band)
DEFAULT_SEVERITY = "high"
SEVERITY_SCORES = {
    "critical": Decimal("9.0"),
    "high": Decimal("7.0"),
    "medium": Decimal("4.0"),
    "low": Decimal("0.1"),
}


# --- who sees what ---------------------------------------------------------------------------
def visible_routines(user: User) -> QuerySet[Routine]:
    routines = scoping.scope(Routine.objects.all(), user, "project")
    if user.role == Role.CUSTOMER:
        routines = routines.filter(project__organisation_id=user.organisation_id or 0)
    return routines


def routine_for(user: User, routine_id: int) -> Routine:
    routine = (
        visible_routines(user)
        .select_related("project", "assignee", "plan")
        .filter(pk=routine_id)
        .first()
    )
    if routine is None:
        raise NotFound()
    return routine


def visible_runs(user: User) -> QuerySet[Run]:
    return Run.objects.filter(routine__in=visible_routines(user))


def run_for(user: User, run_id: int) -> Run:
    run = (
        visible_runs(user)
        .select_related("routine__project", "assignee", "plan__system", "completed_by")
        .filter(pk=run_id)
        .first()
    )
    if run is None:
        raise NotFound()
    return run


def late_runs(user: User, now: datetime | None = None) -> QuerySet[Run]:
    """The runs ``user`` sees not completed by their due day, oldest first (the routines
    page and the operations watch list)."""
    today = clock.local(now or clock.now()).date()
    return (
        visible_runs(user)
        .filter(status=Run.Status.OPEN, due_on__lt=today)
        .select_related("routine__project__organisation", "assignee")
        .order_by("due_on", "pk")
    )


def visible_plans(user: User) -> QuerySet[EmergencyPlan]:
    return EmergencyPlan.objects.filter(system__in=systems.visible_systems(user))


def _must_manage(actor: User, project: Project) -> None:
    if not systems.may_manage(actor, project):
        raise PermissionDenied(_("Only the vendor's staff of the project plan its routine work."))


# --- checking what is written --------------------------------------------------------------
def _text(value: Any, field: str, *, required: bool = True, limit: int = TEXT_LIMIT) -> str:
    return tickets.clean_text(
        value if isinstance(value, str) else None, field, required=required, limit=limit
    )


def clean_checklist(value: Any) -> list[dict[str, Any]]:
    """``[{"text": …, "expected": …, "evidence": bool}]``: 1 to 100 checks, each with a text."""
    if not isinstance(value, list) or not value:
        raise ValidationError(fields={"checklist": [_("Enter at least one check.")]})
    if len(value) > MAX_ITEMS:
        raise ValidationError(fields={"checklist": [_("At most %(n)d checks.") % {"n": MAX_ITEMS}]})
    items = []
    for number, raw in enumerate(value, start=1):
        if not isinstance(raw, dict) or not str(raw.get("text") or "").strip():
            raise ValidationError(
                fields={"checklist": [_("Check %(n)d has no text.") % {"n": number}]}
            )
        items.append(
            {
                "text": _text(raw.get("text"), "checklist"),
                "expected": _text(raw.get("expected"), "checklist", required=False),
                "evidence": bool(raw.get("evidence", False)),
                "security": bool(raw.get("security", False)),
            }
        )
    return items


def _systems(actor: User, ids: Any) -> list[ApplicationSystem]:
    """The routine's systems: visible to ``actor``, all of one project that they serve."""
    if not isinstance(ids, list | tuple) or not ids:
        raise ValidationError(fields={"systems": [_("Choose at least one application system.")]})
    try:
        wanted = {int(pk) for pk in ids}
    except (TypeError, ValueError):
        raise ValidationError(fields={"systems": [_("Enter the systems' ids.")]}) from None
    found = list(systems.visible_systems(actor).filter(pk__in=wanted).select_related("project"))
    if len(found) != len(wanted):
        raise ValidationError(fields={"systems": [_("Some of these systems do not exist.")]})
    if len({system.project_id for system in found}) != 1:
        raise ValidationError(
            fields={"systems": [_("The systems of one routine belong to one project.")]}
        )
    _must_manage(actor, found[0].project)
    return sorted(found, key=lambda system: system.pk)


def _assignee(value: Any, project: Project) -> User | None:
    if value in (None, ""):
        return None  # the project's line-1 team
    person = User.objects.filter(pk=value, is_active=True).first() if str(value).isdigit() else None
    if person is None or not person.is_vendor_staff:
        raise ValidationError(fields={"assignee": [_("Choose one of the vendor's engineers.")]})
    if not scoping.visible_projects(person).filter(pk=project.pk).exists():
        raise ValidationError(
            fields={"assignee": [_("%(name)s does not serve this project.") % {"name": person}]}
        )
    return person


def _plan(value: Any, system_ids: set[int]) -> EmergencyPlan | None:
    if value in (None, ""):
        return None
    plan = EmergencyPlan.objects.filter(pk=value).first() if str(value).isdigit() else None
    if plan is None or plan.system_id not in system_ids:
        raise ValidationError(
            fields={"plan": [_("Choose an emergency plan of one of the routine's systems.")]}
        )
    return plan


def _clean(actor: User, data: dict[str, Any], routine: Routine | None) -> dict[str, Any]:
    """The routine's fields from ``data`` (all of them on create, those given on update)."""
    merged = _current(routine) | data if routine is not None else data
    chosen = _systems(actor, merged.get("systems"))
    project = chosen[0].project
    if routine is not None and project.pk != routine.project_id:
        raise ValidationError(fields={"systems": [_("A routine stays in its project.")]})
    kind = merged.get("kind")
    if kind not in Kind.values:
        raise ValidationError(fields={"kind": [_("Choose one of the kinds.")]})
    starts_on = merged.get("starts_on") or clock.local(clock.now()).date()
    if isinstance(starts_on, str):
        try:
            starts_on = date.fromisoformat(starts_on)
        except ValueError:
            raise ValidationError(fields={"starts_on": [_("Enter a date.")]}) from None
    recurrence.parse(str(merged.get("recurrence") or ""), starts_on)
    return {
        "project": project,
        "systems": chosen,
        "name": _text(merged.get("name"), "name", limit=200),
        "kind": kind,
        "assignee": _assignee(merged.get("assignee"), project),
        "recurrence": str(merged.get("recurrence")).strip().removeprefix("RRULE:"),
        "starts_on": starts_on,
        "working_days": bool(merged.get("working_days", True)),
        "lead_days": whole_number(merged.get("lead_days", 3), "lead_days", 0, 60),
        "checklist": clean_checklist(merged.get("checklist")),
        "plan": _plan(merged.get("plan"), {system.pk for system in chosen}),
        "is_active": bool(merged.get("is_active", True)),
    }


def _current(routine: Routine) -> dict[str, Any]:
    return {
        "systems": list(routine.systems.values_list("pk", flat=True)),
        "name": routine.name,
        "kind": routine.kind,
        "assignee": routine.assignee_id,
        "recurrence": routine.recurrence,
        "starts_on": routine.starts_on,
        "working_days": routine.working_days,
        "lead_days": routine.lead_days,
        "checklist": routine.checklist,
        "plan": routine.plan_id,
        "is_active": routine.is_active,
    }


# --- routines --------------------------------------------------------------------------------
def _create_at(due_on: date, lead_days: int) -> datetime:
    """When the run of ``due_on`` is created: midnight (Beijing) ``lead_days`` before."""
    day = due_on - timedelta(days=lead_days)
    return datetime.combine(day, time(), tzinfo=clock.local(clock.now()).tzinfo)


def _plan_next(routine: Routine, today: date) -> None:
    """Set the routine's next due day: the first on or after today (none once it ended)."""
    rule = recurrence.parse(routine.recurrence, routine.starts_on)
    calendar = calendars.for_project(routine.project) if routine.working_days else None
    due = recurrence.next_due(rule, max(today, routine.starts_on), calendar)
    routine.next_due_on = due
    routine.next_create_at = _create_at(due, routine.lead_days) if due else None


@transaction.atomic
def routine_create(*, actor: User, data: dict[str, Any], now: datetime | None = None) -> Routine:
    now = now or clock.now()
    fields = _clean(actor, data, None)
    chosen = fields.pop("systems")
    routine = Routine(**fields, created_by=actor, created_at=now, updated_at=now)
    _plan_next(routine, clock.local(now).date())
    routine.save()
    routine.systems.set(chosen)
    for system in chosen:
        system_record(system, "routine.created", actor, now, routine=routine.pk, name=routine.name)
    return routine


@transaction.atomic
def routine_update(
    *, actor: User, routine: Routine, data: dict[str, Any], now: datetime | None = None
) -> Routine:
    """Change a routine; its next due day is planned again from today (past runs stay)."""
    now = now or clock.now()
    routine = Routine.objects.select_for_update().get(pk=routine.pk)
    _must_manage(actor, routine.project)
    fields = _clean(actor, data, routine)
    chosen = fields.pop("systems")
    for name, value in fields.items():
        setattr(routine, name, value)
    routine.updated_at = now
    _plan_next(routine, clock.local(now).date())
    if (
        routine.next_due_on is not None
        and Run.objects.filter(routine=routine, scheduled=True, due_on=routine.next_due_on).exists()
    ):
        _plan_next(routine, routine.next_due_on + timedelta(days=1))
    routine.save()
    routine.systems.set(chosen)
    return routine


@transaction.atomic
def routine_delete(*, actor: User, routine: Routine, now: datetime | None = None) -> None:
    """Delete a routine without completed runs; one with a history is deactivated instead."""
    _must_manage(actor, routine.project)
    if routine.runs.filter(status=Run.Status.COMPLETED).exists():
        raise ValidationError(
            _("This routine has completed runs and their reports: deactivate it instead.")
        )
    routine.delete()


# --- the scheduler ---------------------------------------------------------------------------
def create_due_runs(*, now: datetime | None = None, limit: int = 500) -> list[Run]:
    """Create the run of every routine whose creation time has come, once per due day.

    Two workers may both read a routine as due; the unique key (routine, due day) lets one
    insert the run, the other's insert fails and it creates nothing, and the routine moves
    to its next due day by a conditional update, so neither a run nor a message is doubled.
    """
    now = now or clock.now()
    created: list[Run] = []
    for _round in range(limit):
        due = list(
            Routine.objects.filter(is_active=True, next_create_at__lte=now)
            .select_related("project", "assignee")
            .order_by("next_create_at", "pk")[:50]
        )
        if not due:
            break
        for routine in due:
            run = _create_scheduled(routine, now)
            if run is not None:
                created.append(run)
        if len(created) >= limit:
            break
    return created


def _create_scheduled(routine: Routine, now: datetime) -> Run | None:
    due_on = routine.next_due_on
    if due_on is None:  # the rule has ended: nothing more to create
        Routine.objects.filter(pk=routine.pk, next_due_on=None).update(next_create_at=None)
        return None
    run = None
    try:
        with transaction.atomic():
            run = _new_run(routine, due_on, scheduled=True, now=now)
            _tell_assignees(run, now)  # written with the run: once, by whoever created it
    except IntegrityError:
        log.info("routine %s: the run of %s was created by another worker", routine.pk, due_on)
    _advance(routine, due_on)
    return run


def _advance(routine: Routine, due_on: date) -> None:
    rule = recurrence.parse(routine.recurrence, routine.starts_on)
    calendar = calendars.for_project(routine.project) if routine.working_days else None
    following = recurrence.next_due(rule, due_on, calendar, inclusive=False)
    create_at = _create_at(following, routine.lead_days) if following else None
    Routine.objects.filter(pk=routine.pk, next_due_on=due_on).update(
        next_due_on=following, next_create_at=create_at
    )


def _new_run(routine: Routine, due_on: date, *, scheduled: bool, now: datetime) -> Run:
    run = Run.objects.create(
        routine=routine,
        kind=routine.kind,
        title=f"{routine.name} · {due_on:%Y-%m-%d}"[:300],
        due_on=due_on,
        scheduled=scheduled,
        assignee=routine.assignee,
        plan=routine.plan if routine.kind in DRILLS else None,
        created_at=now,
    )
    chosen = list(routine.systems.order_by("pk"))
    RunItem.objects.bulk_create(
        RunItem(
            run=run,
            position=position,
            system=system,
            text=check["text"],
            expected=check.get("expected", ""),
            evidence=bool(check.get("evidence")),
            security=bool(check.get("security")),
        )
        for position, (system, check) in enumerate(
            (system, check) for system in chosen for check in routine.checklist
        )
    )
    return run


def assignees(run: Run) -> list[User]:
    """Who performs ``run``: its assignee, else the project's line-1 team."""
    if run.assignee_id is not None and run.assignee is not None and run.assignee.is_active:
        return [run.assignee]
    return list(run.routine.project.line1_team.filter(is_active=True))


def _tell_assignees(run: Run, now: datetime) -> None:
    path = reverse("routines:run", args=[run.pk])
    for person in assignees(run):
        with translation.override(person.preferred_language or settings.LANGUAGE_CODE):
            title = _("Routine work due on %(day)s: %(title)s") % {
                "day": run.due_on,
                "title": run.title,
            }
        inbox.tell(person, MessageKind.ROUTINE, title, run.routine.name, path, now)


@transaction.atomic
def run_create_now(*, actor: User, routine: Routine, now: datetime | None = None) -> Run:
    """An unscheduled run, due today (a drill after a change, an extra inspection)."""
    now = now or clock.now()
    _must_manage(actor, routine.project)
    run = _new_run(routine, clock.local(now).date(), scheduled=False, now=now)
    if run.assignee_id is None:
        Run.objects.filter(pk=run.pk).update(assignee=actor)
        run.assignee = actor
    return run


# --- performing a run ------------------------------------------------------------------------
def _open_run(actor: User, run: Run) -> Run:
    run = Run.objects.select_for_update().select_related("routine__project").get(pk=run.pk)
    _must_manage(actor, run.routine.project)
    if run.status != Run.Status.OPEN:
        raise ValidationError(_("This run is completed; its results no longer change."))
    return run


@transaction.atomic
def run_item_record(
    *,
    actor: User,
    run: Run,
    position: int,
    result: str,
    note: str = "",
    value: str = "",
    ticket_id: int | None = None,
    severity: str = "",
    files: Sequence[UploadedFile] = (),
    now: datetime | None = None,
) -> RunItem:
    """Record one check's result with its evidence ``files``. A failure opens a ticket for
    the system (or links ``ticket_id``, one of the project's tickets), once per check; a
    failed security check opens a vulnerability finding of the system instead."""
    now = now or clock.now()
    run = _open_run(actor, run)
    item = RunItem.objects.select_related("system").filter(run=run, position=position).first()
    if item is None:
        raise NotFound(_("This run has no check number %(n)s.") % {"n": position})
    if result not in (RunItem.Result.PASS, RunItem.Result.FAIL, RunItem.Result.NA):
        raise ValidationError(fields={"result": [_("Choose pass, fail or not applicable.")]})
    checked = [validate_upload(upload) for upload in files]  # every file before any write
    item.result = result
    item.note = _text(note, "note", required=result == RunItem.Result.FAIL, limit=5000)
    item.value = _text(value, "value", required=False, limit=200)
    needs = item.evidence and result != RunItem.Result.NA and not (item.value or checked)
    if needs and not item.files.exists():
        raise ValidationError(
            fields={
                "value": [
                    _("This check needs its evidence: enter the measured value or add a file.")
                ]
            }
        )
    item.recorded_by, item.recorded_at = actor, now
    if result == RunItem.Result.FAIL and item.security and item.finding_id is None:
        item.finding = _security_finding(actor, run, item, severity or DEFAULT_SEVERITY, now)
    elif result == RunItem.Result.FAIL and not item.security and item.ticket_id is None:
        item.ticket = _failure_ticket(actor, run, item, ticket_id, now)
    item.save()
    _store(item, files, checked, actor, now)
    return item


def _store(
    item: RunItem,
    files: Sequence[UploadedFile],
    checked: list[tuple[str, str]],
    actor: User,
    now: datetime,
) -> list[Evidence]:
    """Store ``files`` (checked already) as the check's evidence; at most ``MAX_FILES``."""
    if item.files.count() + len(files) > MAX_FILES:
        raise ValidationError(
            fields={"files": [_("At most %(n)d files per check.") % {"n": MAX_FILES}]}
        )
    stored = []
    for upload, (name, content_type) in zip(files, checked, strict=True):
        evidence = Evidence(
            item=item,
            name=name,
            size=upload.size or 0,
            content_type=content_type,
            uploaded_by=actor,
            uploaded_at=now,
        )
        evidence.file.save(name, upload, save=False)
        evidence.save()
        stored.append(evidence)
    return stored


@transaction.atomic
def evidence_add(
    *, actor: User, run: Run, position: int, upload: UploadedFile, now: datetime | None = None
) -> Evidence:
    """Add one evidence file to check ``position`` of an open run (before or after its
    result is recorded)."""
    now = now or clock.now()
    run = _open_run(actor, run)
    item = RunItem.objects.filter(run=run, position=position).first()
    if item is None:
        raise NotFound(_("This run has no check number %(n)s.") % {"n": position})
    checked = validate_upload(upload)
    (evidence,) = _store(item, [upload], [checked], actor, now)
    return evidence


def evidence_for(user: User, run_id: int, evidence_id: int) -> Evidence:
    """An evidence file of a run ``user`` sees (another organisation's: not found)."""
    found = (
        Evidence.objects.filter(pk=evidence_id, item__run__in=visible_runs(user).filter(pk=run_id))
        .select_related("item")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def _security_finding(
    actor: User, run: Run, item: RunItem, severity: str, now: datetime
) -> Finding:
    """A failed security check: an entry of the register found on this system by this run
    (not matched by version) and its finding, due by the severity's policy."""
    if severity not in SEVERITY_SCORES:
        raise ValidationError(fields={"severity": [_("Choose critical, high, medium or low.")]})
    identifier = f"INSP-{run.pk}-{item.position}"
    vulnerability, _created = Vulnerability.objects.get_or_create(
        identifier=identifier,
        defaults={
            "title": item.text[:300],
            "description": "\n".join([_("Found by %(run)s.") % {"run": run.title}, item.note]),
            "cvss_score": SEVERITY_SCORES[severity],
            "severity": severity,
            "component": item.system.name[:200],
            "component_key": "",
            "affected": "",
            "source": Vulnerability.Source.INSPECTION,
            "created_by": actor,
            "created_at": now,
            "updated_at": now,
        },
    )
    return findings.open_observed(item.system, vulnerability, actor, now)


def _failure_ticket(
    actor: User, run: Run, item: RunItem, ticket_id: int | None, now: datetime
) -> Ticket | None:
    if ticket_id is not None:
        ticket = ticket_selectors.visible_tickets(actor).filter(pk=ticket_id).first()
        if ticket is None or ticket.project_id != run.routine.project_id:
            raise ValidationError(fields={"ticket": [_("Choose a problem of this project.")]})
        return ticket
    reporter = ticketlink.default_reporter(item.system)
    path = reverse("routines:run", args=[run.pk])
    lines = [
        _("Found by %(run)s, check %(n)d.") % {"run": run.title, "n": item.position},
        _("Check: %(text)s") % {"text": item.text},
        _("Expected: %(text)s") % {"text": item.expected or "—"},
        _("Found: %(text)s") % {"text": item.note},
    ]
    if item.value:
        lines.append(_("Measured: %(value)s") % {"value": item.value})
    lines.append(f"{settings.SITE_URL}{path}")
    ticket = tickets.ticket_register(
        actor=actor,
        project_id=run.routine.project_id,
        product_id=None,
        title=(
            _("%(kind)s found: %(text)s (%(system)s)")
            % {
                "kind": Kind(run.kind).label,
                "text": item.text,
                "system": item.system.name,
            }
        )[:200],
        description="\n".join(lines),
        urgency=FAILURE_URGENCY,
        service_type="fault",
        channel=Channel.SYSTEM,
        environment=ticketlink.environment_text(item.system.current_environment),
        reporter_id=reporter,
        now=now,
    )
    ticketlink.ticket_system_set(ticket=ticket, actor=actor, system=item.system, now=now)
    return ticket


@transaction.atomic
def run_complete(
    *,
    actor: User,
    run: Run,
    summary: str = "",
    recovery_minutes: int | None = None,
    data_loss_minutes: int | None = None,
    workload_hours: Decimal | None = None,
    now: datetime | None = None,
) -> Run:
    """Complete a run whose every check is recorded; a drill records what it measured
    against its plan's targets, and the plan counts as exercised."""
    now = now or clock.now()
    run = _open_run(actor, run)
    missing = list(
        run.items.filter(result=RunItem.Result.PENDING).values_list("position", flat=True)
    )
    if missing:
        raise ValidationError(
            _("Record every check first; not yet recorded: %(items)s")
            % {"items": ", ".join(str(n) for n in missing)}
        )
    if run.plan_id is not None and recovery_minutes is None:
        raise ValidationError(
            fields={"recovery_minutes": [_("A drill records the recovery time it measured.")]}
        )
    run.summary = _text(summary, "summary", required=False, limit=20000)
    run.recovery_minutes = _optional_minutes(recovery_minutes, "recovery_minutes")
    run.data_loss_minutes = _optional_minutes(data_loss_minutes, "data_loss_minutes")
    run.workload_hours = _hours(workload_hours)
    run.status, run.completed_at, run.completed_by = Run.Status.COMPLETED, now, actor
    run.save()
    if run.plan_id is not None:
        plan = EmergencyPlan.objects.select_for_update().get(pk=run.plan_id)
        plan.last_exercised_at, plan.last_run, plan.updated_at = now, run, now
        plan.save()
    failed = run.items.filter(result=RunItem.Result.FAIL).count()
    for system in ApplicationSystem.objects.filter(pk__in=run.items.values("system_id")):
        system_record(
            system, "routine.completed", actor, now, run=run.pk, title=run.title, failed=failed
        )
    return run


def _hours(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        hours = Decimal(str(value))
    except ArithmeticError:
        hours = Decimal(-1)
    if not hours.is_finite() or not 0 <= hours <= 9999:
        raise ValidationError(fields={"workload_hours": [_("Enter the hours, from 0 to 9999.")]})
    return hours.quantize(Decimal("0.1"))


def _optional_minutes(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    return whole_number(value, field, 0, 525600)


@transaction.atomic
def run_sign(*, actor: User, run: Run, now: datetime | None = None) -> Run:
    """Sign a completed run's report: the project's service manager signs it off, the
    customer's users of the organisation confirm it (each once)."""
    now = now or clock.now()
    run = Run.objects.select_for_update().select_related("routine__project").get(pk=run.pk)
    if run.status != Run.Status.COMPLETED:
        raise ValidationError(_("Only a completed run's report is signed."))
    project = run.routine.project
    if actor.pk == project.service_manager_id:
        if run.manager_signed_at is not None:
            raise ValidationError(_("The service manager has signed this report already."))
        run.manager_signed_by, run.manager_signed_at = actor, now
    elif actor.role == Role.CUSTOMER and actor.organisation_id == project.organisation_id:
        if run.customer_confirmed_at is not None:
            raise ValidationError(_("The customer has confirmed this report already."))
        run.customer_confirmed_by, run.customer_confirmed_at = actor, now
    else:
        raise PermissionDenied(
            _("The project's service manager and the customer's users sign a report.")
        )
    run.save()
    return run


# --- emergency plans -------------------------------------------------------------------------
def _steps(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [line for line in value.splitlines() if line.strip()]
    if not isinstance(value, list) or not value or not all(isinstance(s, str) for s in value):
        raise ValidationError(fields={"steps": [_("Enter the steps, one per line.")]})
    if len(value) > MAX_ITEMS:
        raise ValidationError(fields={"steps": [_("At most %(n)d steps.") % {"n": MAX_ITEMS}]})
    return [_text(step, "steps", limit=2000) for step in value]


def _plan_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "scenario": _text(data.get("scenario"), "scenario", limit=200),
        "trigger": _text(data.get("trigger"), "trigger", required=False, limit=5000),
        "steps": _steps(data.get("steps")),
        "contacts": _text(data.get("contacts"), "contacts", required=False, limit=5000),
        "rto_minutes": _optional_minutes(data.get("rto_minutes"), "rto_minutes"),
        "rpo_minutes": _optional_minutes(data.get("rpo_minutes"), "rpo_minutes"),
        "exercise_days": whole_number(data.get("exercise_days", 365), "exercise_days", 1, 3650),
    }


@transaction.atomic
def plan_create(
    *, actor: User, system: ApplicationSystem, data: dict[str, Any], now: datetime | None = None
) -> EmergencyPlan:
    now = now or clock.now()
    _must_manage(actor, system.project)
    plan = EmergencyPlan.objects.create(
        system=system, **_plan_fields(data), created_at=now, updated_at=now
    )
    system_record(system, "plan.created", actor, now, plan=plan.pk, scenario=plan.scenario)
    return plan


@transaction.atomic
def plan_update(
    *, actor: User, plan: EmergencyPlan, data: dict[str, Any], now: datetime | None = None
) -> EmergencyPlan:
    now = now or clock.now()
    _must_manage(actor, plan.system.project)
    current = {
        "scenario": plan.scenario,
        "trigger": plan.trigger,
        "steps": plan.steps,
        "contacts": plan.contacts,
        "rto_minutes": plan.rto_minutes,
        "rpo_minutes": plan.rpo_minutes,
        "exercise_days": plan.exercise_days,
    }
    for name, value in _plan_fields(current | data).items():
        setattr(plan, name, value)
    plan.updated_at = now
    plan.save()
    return plan


@transaction.atomic
def plan_delete(*, actor: User, plan: EmergencyPlan) -> None:
    _must_manage(actor, plan.system.project)
    plan.delete()


def plan_overdue(plan: EmergencyPlan, now: datetime | None = None) -> bool:
    """A plan never exercised, or not within its interval, is flagged."""
    now = now or clock.now()
    return plan.exercise_due_at is None or plan.exercise_due_at < now


def unexercised_plans(user: User, now: datetime | None = None) -> QuerySet[EmergencyPlan]:
    """The plans ``user`` sees that are due for a drill (the operations watch list)."""
    now = now or clock.now()
    return (
        visible_plans(user)
        .filter(Q(exercise_due_at__isnull=True) | Q(exercise_due_at__lt=now))
        .select_related("system")
        .order_by("exercise_due_at", "pk")
    )
