"""Planned changes (变更) to an application system: plan, approve, complete, cancel.

The vendor's staff of the system's project plan a change (window, risk, rollback plan, the
components and their target versions); the project's service manager approves it; whoever
carried it out completes it with an outcome and notes. Completing it as *done* applies the
target versions to the current environment and writes the new environment version with the
change as its reason (the vulnerability matcher then re-matches); a change rolled back or
failed leaves the environment as it was. Every step is a line on the system's timeline.
"""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import translation
from django.utils.translation import gettext as _

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.core import clock
from campusdesk.core.errors import NotFound, PermissionDenied, TransitionError, ValidationError
from campusdesk.core.text import has_control
from campusdesk.systems import environment, services
from campusdesk.systems.models import Change, EnvironmentVersion
from campusdesk.systems.selectors import may_manage, system_for, visible_systems

S = Change.Status
#: action → the statuses it may start from (the buttons read the same table)
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "approve": (S.PLANNED,),
    "complete": (S.APPROVED,),
    "cancel": (S.PLANNED, S.APPROVED),
}
OUTCOMES = (S.DONE, S.ROLLED_BACK, S.FAILED)
#: the kinds of change that need no target version (a configuration, a service restart,
#: a move to other hosts that keeps every version)
WITHOUT_TARGETS = (Change.Kind.CONFIG, Change.Kind.MIGRATION)
#: roles that approve changes of every project they see (besides the project's manager)
APPROVER_ROLES = frozenset({Role.MANAGER, Role.ADMIN})
MAX_HOURS = Decimal(10000)
#: the years a change window may lie in (the pages and documents show it in local time)
YEARS = (2000, 2099)


# --- reads ------------------------------------------------------------------------------
def visible_changes(user: User) -> QuerySet[Change]:
    """The changes of the systems ``user`` may see, with the environment version each wrote."""
    written = EnvironmentVersion.objects.filter(change=OuterRef("pk")).values("number")[:1]
    return (
        Change.objects.filter(system__in=visible_systems(user))
        .select_related("system__project", "system__organisation", "requested_by", "approved_by")
        .select_related("completed_by")
        .annotate(environment_number=Subquery(written))
    )


def change_for(user: User, change_id: int) -> Change:
    """The change ``user`` may see, or ``NotFound`` (another organisation's is not there)."""
    change = visible_changes(user).filter(pk=change_id).first()
    if change is None:
        raise NotFound()
    return change


def may_approve(user: User, change: Change) -> bool:
    """The project's service manager approves; so do managers and administrators who
    serve the project."""
    project = change.system.project
    if not may_manage(user, project):
        return False
    return project.service_manager_id == user.pk or user.role in APPROVER_ROLES


def allowed(action: str, change: Change, user: User) -> bool:
    """Whether ``user`` may take ``action`` on ``change`` now (the page's buttons)."""
    if change.status not in TRANSITIONS[action]:
        return False
    if action == "approve":
        return may_approve(user, change)
    return may_manage(user, change.system.project)


# --- checks -----------------------------------------------------------------------------
def _line(value: Any, field: str, limit: int, *, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not isinstance(value, str | None) or has_control(text) or len(text) > limit:
        raise ValidationError(
            _("Write %(field)s on one line, at most %(limit)s characters.")
            % {"field": field, "limit": limit},
            fields={field: [_("One line, at most %(limit)s characters.") % {"limit": limit}]},
        )
    if required and not text:
        raise ValidationError(
            _("%(field)s is required.") % {"field": field},
            fields={field: [_("This field is required.")]},
        )
    return text


def _choice(value: Any, field: str, choices: list[str]) -> str:
    if value not in choices:
        raise ValidationError(
            _("Choose %(field)s: %(choices)s.") % {"field": field, "choices": ", ".join(choices)},
            fields={field: [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(choices)}]},
        )
    return str(value)


def _window(start: Any, end: Any) -> None:
    for field, value in (("window_start", start), ("window_end", end)):
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValidationError(
                _("Give the change window as a date and time."),
                fields={field: [_("A date and time with its time zone.")]},
            )
        if not YEARS[0] <= value.year <= YEARS[1]:
            years = {"first": YEARS[0], "last": YEARS[1]}
            raise ValidationError(
                _("The change window lies between the years %(first)s and %(last)s.") % years,
                fields={field: [_("A date from %(first)s to %(last)s.") % years]},
            )
    if end <= start:
        raise ValidationError(
            _("The change window must end after it starts."),
            fields={"window_end": [_("Later than the start of the window.")]},
        )


def _hours(value: Any, out_of_scope: bool) -> Decimal | None:
    if value in (None, ""):
        if out_of_scope:
            raise ValidationError(
                _("Give the workload in hours: out-of-scope work is billed by it."),
                fields={"workload_hours": [_("Required for out-of-scope work.")]},
            )
        return None
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        hours = Decimal(-1)
    if not 0 < hours < MAX_HOURS:
        raise ValidationError(
            _("Give the workload as a number of hours between 0 and 9999."),
            fields={"workload_hours": [_("Give a number of hours between 0 and 9999.")]},
        )
    return hours


def _known_names(data: dict[str, Any]) -> set[str]:
    return {environment.fold(c["name"]) for c in environment.components_of(data)}


def clean_targets(raw: Any, current: dict[str, Any], kind: str) -> list[dict[str, str]]:
    """The targets as stored: ``[{"name", "version"}]`` with ``"kind"`` where the component
    is new to the system (a target for a component it does not have must say its kind)."""
    if raw is None:
        raw = []
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise ValidationError(
            _("Give the targets as a list of components with their target versions."),
            fields={"targets": [_("A list of name and version.")]},
        )
    if not raw and kind not in WITHOUT_TARGETS:
        raise ValidationError(
            _("Name the components this change brings to which versions."),
            fields={"targets": [_("At least one component and its target version.")]},
        )
    known, seen, out = _known_names(current), set(), []
    for index, item in enumerate(raw):
        field = f"targets[{index}]"
        target = {
            "name": _line(item.get("name"), f"{field}.name", 200),
            "version": _line(item.get("version"), f"{field}.version", 100),
        }
        key = environment.fold(target["name"])
        if key in seen:
            raise ValidationError(
                _("%(name)s is listed twice.") % {"name": target["name"]},
                fields={f"{field}.name": [_("Listed twice.")]},
            )
        seen.add(key)
        if item.get("kind") not in (None, ""):
            target["kind"] = _choice(item["kind"], f"{field}.kind", list(environment.KINDS))
        elif key not in known:
            raise ValidationError(
                _("The system has no component %(name)s: say its kind to add it.")
                % {"name": target["name"]},
                fields={f"{field}.kind": [_("Say the kind of the new component.")]},
            )
        out.append(target)
    return out


def _current_data(system_id: int) -> dict[str, Any]:
    version = (
        EnvironmentVersion.objects.filter(current_for__pk=system_id).values_list("data", flat=True)
    ).first()
    return version or {}


def apply_targets(data: dict[str, Any], targets: list[dict[str, str]]) -> dict[str, Any]:
    """``data`` with each target's component (or the operating system) at its version;
    a component the environment lacks is added when the target says its kind."""
    new = copy.deepcopy(data)
    os = new.setdefault("os", {"name": "", "version": ""})
    components = new.setdefault("components", [])
    for target in targets:
        key = environment.fold(target["name"])
        if os.get("name") and environment.fold(os["name"]) == key:
            os["version"] = target["version"]
            continue
        found = next((c for c in components if environment.fold(c["name"]) == key), None)
        if found is None:
            if not target.get("kind"):
                raise ValidationError(
                    _("The system no longer has the component %(name)s.") % {"name": target["name"]}
                )
            found = {"kind": target["kind"], "name": target["name"]}
            components.append(found)
        found["version"] = target["version"]
        if target.get("kind"):
            found["kind"] = target["kind"]
    return new


# --- writes -----------------------------------------------------------------------------
@transaction.atomic
def change_plan(
    *,
    system_id: int,
    actor: User,
    kind: str,
    title: str,
    window_start: datetime,
    window_end: datetime,
    risk: str,
    rollback_plan: str,
    targets: Any,
    description: str = "",
    out_of_scope: bool = False,
    workload_hours: Any = None,
    now: datetime | None = None,
) -> Change:
    """A new change of the system, awaiting the service manager's approval."""
    now = now or clock.now()
    system = system_for(actor, system_id)
    if not may_manage(actor, system.project):
        raise PermissionDenied(_("Only the vendor's staff of the project may plan its changes."))
    kind = _choice(kind, "kind", Change.Kind.values)
    fields = {
        "title": _line(title, "title", 200),
        "risk": _choice(risk, "risk", Change.Risk.values),
        "rollback_plan": (rollback_plan or "").strip(),
        "description": (description or "").strip(),
    }
    if not fields["rollback_plan"]:
        raise ValidationError(
            _("Say how the change is rolled back if it goes wrong."),
            fields={"rollback_plan": [_("This field is required.")]},
        )
    _window(window_start, window_end)
    change = Change.objects.create(
        system=system,
        kind=kind,
        window_start=window_start,
        window_end=window_end,
        targets=clean_targets(targets, _current_data(system.pk), kind),
        out_of_scope=bool(out_of_scope),
        workload_hours=_hours(workload_hours, bool(out_of_scope)),
        requested_by=actor,
        requested_at=now,
        **fields,
    )
    services.record(system, "change.planned", actor, now, change=change.pk, title=change.title)
    return change


def _begin(change: Change, action: str, actor: User) -> Change:
    """The change locked for ``action`` by ``actor``: 403 if they may not, 409 if its
    status does not allow it (someone else may have been first)."""
    if action == "approve" and not may_approve(actor, change):
        raise PermissionDenied(_("Only the project's service manager may approve its changes."))
    if action != "approve" and not may_manage(actor, change.system.project):
        raise PermissionDenied(_("Only the vendor's staff of the project may do this."))
    locked = Change.objects.select_for_update().select_related("system__project").get(pk=change.pk)
    if locked.status not in TRANSITIONS[action]:
        raise TransitionError(
            _("The change is %(status)s: this is no longer possible.")
            % {"status": locked.get_status_display()}
        )
    return locked


@transaction.atomic
def change_approve(change: Change, actor: User, now: datetime | None = None) -> Change:
    now = now or clock.now()
    change = _begin(change, "approve", actor)
    change.status, change.approved_by, change.approved_at = S.APPROVED, actor, now
    change.save(update_fields=["status", "approved_by", "approved_at"])
    services.record(change.system, "change.approved", actor, now, change=change.pk)
    return change


def reason_for(change: Change) -> str:
    """The reason of the environment version a completed change writes: stored text, so in
    the site's language whatever the language of the one who completed it."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("Change #%(id)s: %(title)s") % {"id": change.pk, "title": change.title}


@transaction.atomic
def change_complete(
    change: Change, actor: User, outcome: str, notes: str, now: datetime | None = None
) -> Change:
    """The outcome of an approved change; *done* writes the new environment version."""
    now = now or clock.now()
    change = _begin(change, "complete", actor)
    outcome = _choice(outcome, "outcome", list(OUTCOMES))
    notes = (notes or "").strip()
    if outcome != S.DONE and not notes:
        raise ValidationError(
            _("Say what happened: a change rolled back or failed needs notes."),
            fields={"notes": [_("Required when the change was rolled back or failed.")]},
        )
    change.status, change.notes = outcome, notes
    change.completed_by, change.completed_at = actor, now
    change.save(update_fields=["status", "notes", "completed_by", "completed_at"])
    number = None
    if outcome == S.DONE:
        number = _write_environment(change, actor, now)
    services.record(
        change.system,
        "change.completed",
        actor,
        now,
        change=change.pk,
        outcome=outcome,
        number=number,
    )
    return change


def _write_environment(change: Change, actor: User, now: datetime) -> int | None:
    """The environment version the change's targets make, or None if nothing changes (no
    targets, or the versions were already recorded by hand)."""
    current = _current_data(change.system_id)
    new = apply_targets(current, change.targets)
    if current and not environment.diff(current, environment.normalise(new)):
        return None
    if not current and not change.targets:
        return None
    version = services.environment_change(
        system_id=change.system_id,
        actor=actor,
        data=new,
        reason=reason_for(change),
        change=change,
        now=now,
        system=change.system,
    )
    return version.number


@transaction.atomic
def change_cancel(change: Change, actor: User, notes: str, now: datetime | None = None) -> Change:
    """A change that will not be carried out (before its completion), with why."""
    now = now or clock.now()
    change = _begin(change, "cancel", actor)
    notes = (notes or "").strip()
    if not notes:
        raise ValidationError(
            _("Say why the change is cancelled."), fields={"notes": [_("This field is required.")]}
        )
    change.status, change.notes = S.CANCELLED, notes
    change.completed_by, change.completed_at = actor, now
    change.save(update_fields=["status", "notes", "completed_by", "completed_at"])
    services.record(change.system, "change.cancelled", actor, now, change=change.pk)
    return change
