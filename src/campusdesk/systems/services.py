"""Writes of the application systems: the system itself and its environment versions.

Every write is one function here (views, API, demo and tasks call the same), records a
``SystemEvent`` on the system's timeline, and tells the subscribers of ``ENVIRONMENT_CHANGED``
(the vulnerability matcher) after a new environment version.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from campusdesk.accounts.models import Organisation, User
from campusdesk.accounts.roles import Role
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.core.errors import NotFound, PermissionDenied, ValidationError
from campusdesk.core.text import has_control
from campusdesk.systems import environment
from campusdesk.systems.models import (
    ApplicationSystem,
    Change,
    EnvironmentVersion,
    Importance,
    InstalledComponent,
    SystemEvent,
)
from campusdesk.systems.selectors import may_manage, system_for

#: called inside the transaction of every new environment version (the vulnerability
#: matcher subscribes in ``SystemsConfig.ready``): (version, actor, now)
ENVIRONMENT_CHANGED: list[Callable[[EnvironmentVersion, User | None, datetime], None]] = []

#: the system's fields a person edits, as the API names them
FIELDS = (
    "name",
    "importance",
    "owner",
    "urls",
    "hosts",
    "notes",
    "vendor_contact",
    "customer_contact",
)


def record(
    system: ApplicationSystem,
    action: str,
    actor: User | None,
    now: datetime,
    **data: Any,
) -> SystemEvent:
    """One line on the system's timeline."""
    return SystemEvent.objects.create(system=system, action=action, actor=actor, at=now, data=data)


def _text_list(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(
            _("Give %(field)s as a list of texts.") % {"field": field},
            fields={field: [_("A list of texts.")]},
        )
    items = [v.strip() for v in value if v.strip()]
    if any(has_control(v) or len(v) > 500 for v in items):
        raise ValidationError(
            _("Each entry of %(field)s is one line of at most 500 characters.") % {"field": field},
            fields={field: [_("One line each, at most 500 characters.")]},
        )
    return items


def _clean(fields: dict[str, Any], organisation_id: int) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in fields.items():
        if key not in FIELDS:
            continue
        if key in ("urls", "hosts"):
            clean[key] = _text_list(value, key)
        elif key == "name":
            name = (value or "").strip()
            if not name or has_control(name) or len(name) > 200:
                raise ValidationError(
                    _("Give the system a name of one line, at most 200 characters."),
                    fields={"name": [_("One line, at most 200 characters.")]},
                )
            clean[key] = name
        elif key == "importance":
            if value not in Importance.values:
                raise ValidationError(
                    _("Choose the importance: core, important or normal."),
                    fields={"importance": [_("Choose core, important or normal.")]},
                )
            clean[key] = value
        elif key == "owner":
            owner = (value or "").strip()
            if has_control(owner) or len(owner) > 300:
                raise ValidationError(
                    _("Write the owner on one line, at most 300 characters."),
                    fields={"owner": [_("One line, at most 300 characters.")]},
                )
            clean[key] = owner
        elif key == "vendor_contact":
            clean[key] = _vendor_contact(value)
        elif key == "customer_contact":
            clean[key] = _customer_contact(value, organisation_id)
        else:
            clean[key] = (value or "").strip()
    return clean


def _vendor_contact(value: Any) -> User | None:
    if value in (None, ""):
        return None
    user = value if isinstance(value, User) else User.objects.filter(pk=value).first()
    if user is None or not user.is_active or not user.is_vendor_staff:
        raise ValidationError(
            _("The vendor's contact must be an active member of the vendor's staff."),
            fields={"vendor_contact": [_("Choose one of the vendor's staff.")]},
        )
    return user


def _customer_contact(value: Any, organisation_id: int) -> User | None:
    """The university's contact: an active customer user of the system's organisation."""
    if value in (None, ""):
        return None
    user = value if isinstance(value, User) else User.objects.filter(pk=value).first()
    if (
        user is None
        or not user.is_active
        or user.role != Role.CUSTOMER
        or user.organisation_id != organisation_id
    ):
        raise ValidationError(
            _("The university's contact must be an active user of the system's organisation."),
            fields={"customer_contact": [_("Choose a user of the system's organisation.")]},
        )
    return user


def _unique_name(organisation_id: int, name: str, exclude: int | None = None) -> None:
    others = ApplicationSystem.objects.filter(organisation_id=organisation_id, name=name)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if others.exists():
        raise ValidationError(
            _("This organisation already has a system called %(name)s.") % {"name": name},
            fields={"name": [_("Already taken in this organisation.")]},
        )


@transaction.atomic
def system_create(
    *,
    actor: User,
    project: Project,
    name: str,
    organisation: Organisation | None = None,
    now: datetime | None = None,
    **fields: Any,
) -> ApplicationSystem:
    """A new application system of ``project``'s organisation."""
    now = now or clock.now()
    if not may_manage(actor, project):
        raise PermissionDenied(_("Only the vendor's staff of the project may add its systems."))
    if organisation is not None and organisation.pk != project.organisation_id:
        raise ValidationError(
            _("The project belongs to another organisation."),
            fields={"project": [_("Choose a project of the system's organisation.")]},
        )
    clean = _clean({"name": name, **fields}, project.organisation_id)
    _unique_name(project.organisation_id, clean["name"])
    system = ApplicationSystem.objects.create(
        organisation_id=project.organisation_id,
        project=project,
        created_at=now,
        updated_at=now,
        **clean,
    )
    record(system, "system.created", actor, now, name=system.name)
    return system


@transaction.atomic
def system_update(
    *, system_id: int, actor: User, now: datetime | None = None, **fields: Any
) -> ApplicationSystem:
    """Edit the system's description (not its environment: that is versioned)."""
    now = now or clock.now()
    system = system_for(actor, system_id)
    if not may_manage(actor, system.project):
        raise PermissionDenied(_("Only the vendor's staff of the project may edit its systems."))
    clean = _clean(fields, system.organisation_id)
    if "name" in clean:
        _unique_name(system.organisation_id, clean["name"], exclude=system.pk)
    changed = {}
    for key, value in clean.items():
        before = getattr(system, key)
        if before != value:
            changed[key] = {"before": _plain(before), "after": _plain(value)}
            setattr(system, key, value)
    if changed:
        system.updated_at = now
        system.save()
        record(system, "system.updated", actor, now, fields=changed)
    return system


def _plain(value: Any) -> Any:
    return value.pk if isinstance(value, User) else value


@transaction.atomic
def environment_change(
    *,
    system_id: int,
    actor: User | None,
    data: Any,
    reason: str,
    change: Change | None = None,
    now: datetime | None = None,
    system: ApplicationSystem | None = None,
) -> EnvironmentVersion:
    """A new version of the system's environment, with who, when and why.

    The reason is required; a version identical to the current one is refused. The
    system row is locked so that two writers number their versions one after the other.
    ``system`` may be passed by trusted callers (a completed change, the demo) instead
    of being looked up for ``actor``.
    """
    now = now or clock.now()
    if system is None:
        system = _system_to_change(actor, system_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _("Say why the environment changed."), fields={"reason": [_("This field is required.")]}
        )
    clean = environment.normalise(data)
    locked = ApplicationSystem.objects.select_for_update().get(pk=system.pk)
    current = (
        EnvironmentVersion.objects.filter(pk=locked.current_environment_id).first()
        if locked.current_environment_id
        else None
    )
    changes = environment.diff(current.data, clean) if current else []
    if current is not None and not changes:
        raise ValidationError(
            _("Nothing changed: the environment is the same as version %(number)s.")
            % {"number": current.number}
        )
    version = _store_version(locked, current, clean, reason, actor, now, change)
    system.current_environment = version
    record(
        locked,
        "environment.changed",
        actor,
        now,
        number=version.number,
        reason=reason,
        change=change.pk if change else None,
        fields=[c["field"] for c in changes],
    )
    for subscriber in ENVIRONMENT_CHANGED:
        subscriber(version, actor, now)
    return version


def _system_to_change(actor: User | None, system_id: int) -> ApplicationSystem:
    if actor is None:
        raise PermissionDenied()
    system = system_for(actor, system_id)
    if not may_manage(actor, system.project):
        raise PermissionDenied(
            _("Only the vendor's staff of the project may change its environment.")
        )
    return system


def _store_version(
    locked: ApplicationSystem,
    current: EnvironmentVersion | None,
    clean: dict[str, Any],
    reason: str,
    actor: User | None,
    now: datetime,
    change: Change | None,
) -> EnvironmentVersion:
    """The new version row, its component rows, and the system pointing at it."""
    version = EnvironmentVersion.objects.create(
        system=locked,
        number=(current.number + 1) if current else 1,
        data=clean,
        reason=reason,
        author=actor,
        created_at=now,
        change=change,
    )
    InstalledComponent.objects.bulk_create(
        InstalledComponent(
            environment=version,
            kind=c["kind"],
            name=c["name"],
            key=environment.fold(c["name"]),
            version=c["version"],
        )
        for c in environment.components_of(clean)
    )
    locked.current_environment = version
    locked.updated_at = now
    locked.save(update_fields=["current_environment", "updated_at"])
    return version


def version_of(system: ApplicationSystem, number: int) -> EnvironmentVersion:
    version = system.environments.filter(number=number).first()
    if version is None:
        raise NotFound(_("The system has no environment version %(number)s.") % {"number": number})
    return version
