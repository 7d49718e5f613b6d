"""Which service levels apply: the default version, or a contract's own (R-SLA-4).

A version (``SlaPolicySet``) is written once and never changed: a change retires the
current version of its scope and writes the next. A ticket is pinned to the version
current when it is accepted (``Ticket.sla_policy_version``); until then its deadlines
follow its contract's current version, so a change applies to the tickets accepted after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.core.errors import ValidationError
from campusdesk.sla import deadlines
from campusdesk.sla.models import Calendar, SlaPolicy, SlaPolicySet

if TYPE_CHECKING:
    from campusdesk.accounts.models import User
    from campusdesk.tickets.models import Ticket

SEVERITIES = ("SIS1", "SIS2", "SIS3")
#: the fields of a policy a version sets (the rest of the row is the version's)
FIELDS = (
    "clock",
    "accept_hours",
    "respond",
    "resolve",
    "followup_kind",
    "followup",
    "warning_minutes",
    "pause_while_waiting",
    "pause_while_pending_close",
    "calendar_id",
)


def current_default() -> SlaPolicySet:
    found = SlaPolicySet.objects.filter(project__isnull=True, retired_at__isnull=True).first()
    if found is None:
        raise SlaPolicySet.DoesNotExist("no default service levels")
    return found


def current_override(project_id: int) -> SlaPolicySet | None:
    """The contract's own current version (None: it follows the default)."""
    return SlaPolicySet.objects.filter(project_id=project_id, retired_at__isnull=True).first()


def current_policy(project_id: int | None, severity: str) -> SlaPolicy:
    """The policy of ``severity`` a ticket of the project accepted now would get: one query."""
    scope = Q(policy_set__project__isnull=True)
    if project_id is not None:
        scope |= Q(policy_set__project_id=project_id)
    found = (
        SlaPolicy.objects.select_related("calendar", "policy_set__calendar", "policy_set__project")
        .filter(scope, severity=severity, policy_set__retired_at__isnull=True)
        # the contract's own before the default
        .order_by(F("policy_set__project_id").asc(nulls_last=True))
    )
    policy = found.first()
    if policy is None:
        raise SlaPolicy.DoesNotExist(f"no current policy for {severity}")
    return policy


def policies_for(tickets: list[Ticket]) -> dict[tuple[int | None, int, str], SlaPolicy]:
    """The policy of each ticket of a batch, in two queries whatever their number: keyed
    ``(version, 0, severity)`` for pinned tickets, ``(None, project, severity)`` for others."""
    found: dict[tuple[int | None, int, str], SlaPolicy] = {}
    rows = SlaPolicy.objects.select_related(
        "calendar", "policy_set__calendar", "policy_set__project"
    )
    versions = {t.sla_policy_version for t in tickets if t.sla_policy_version is not None}
    for policy in rows.filter(policy_set_id__in=versions):
        found[(policy.policy_set_id, 0, policy.severity)] = policy
    projects = {t.project_id for t in tickets if t.sla_policy_version is None}
    if projects:
        current = rows.filter(
            Q(policy_set__project__isnull=True) | Q(policy_set__project_id__in=projects),
            policy_set__retired_at__isnull=True,
        )
        defaults = {}
        own: dict[tuple[int, str], SlaPolicy] = {}
        for policy in current:
            if policy.policy_set.project_id is None:
                defaults[policy.severity] = policy
            else:
                own[(policy.policy_set.project_id, policy.severity)] = policy
        for project_id in projects:
            for severity in SEVERITIES:
                chosen = own.get((project_id, severity)) or defaults.get(severity)
                if chosen is not None:
                    found[(None, project_id, severity)] = chosen
    return found


def pinned_policy(version: int, severity: str) -> SlaPolicy | None:
    return (
        SlaPolicy.objects.select_related("calendar", "policy_set__calendar", "policy_set__project")
        .filter(policy_set_id=version, severity=severity)
        .first()
    )


def severity_of(ticket: Ticket) -> str:
    return ticket.severity or deadlines.provisional_severity(ticket.urgency)


def policy_for(ticket: Ticket) -> SlaPolicy:
    """The policy ``ticket``'s deadlines follow: its pinned version's, else the current one."""
    severity = severity_of(ticket)
    if ticket.sla_policy_version is not None:
        pinned = pinned_policy(ticket.sla_policy_version, severity)
        if pinned is not None:
            return pinned
    return current_policy(ticket.project_id, severity)


def pin(ticket: Ticket, policy: SlaPolicy) -> None:
    """Keep ``policy``'s version on an accepted ticket (before the transition's save)."""
    if ticket.accepted_at is not None and ticket.sla_policy_version is None:
        ticket.sla_policy_version = policy.policy_set_id


# --- what the API and the pages show ---------------------------------------------------------
@dataclass(frozen=True)
class Levels:
    """A contract's service levels as the API reads and writes them."""

    version: SlaPolicySet
    policies: list[SlaPolicy]
    calendar_id: int | None
    inherited: bool


def levels_of(project: Project) -> Levels:
    own = current_override(project.pk)
    version = own or current_default()
    return Levels(
        version=version,
        policies=list(version.policies.order_by("severity")),
        calendar_id=project.calendar_id,
        inherited=own is None,
    )


# --- changes ----------------------------------------------------------------------------------
def _clean_rows(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    by_severity: dict[str, dict[str, Any]] = {}
    for row in rows:
        severity = row.get("severity")
        if severity not in SEVERITIES:
            message = _("Choose SIS1, SIS2 or SIS3.")
            raise ValidationError(message, fields={"severity": [message]})
        if severity in by_severity:
            message = _("%(severity)s is given twice.") % {"severity": severity}
            raise ValidationError(message, fields={"policies": [message]})
        by_severity[severity] = row
    for severity, row in by_severity.items():
        for name in ("respond", "resolve", "followup", "accept_hours"):
            value = row.get(name)
            if value is not None and Decimal(value) <= 0:
                message = _("%(severity)s: the time limits must be more than zero.") % {
                    "severity": severity
                }
                raise ValidationError(message, fields={name: [message]})
        respond, resolve = row.get("respond"), row.get("resolve")
        if respond is not None and resolve is not None and Decimal(respond) > Decimal(resolve):
            message = _(
                "%(severity)s: the response limit cannot be longer than the resolution limit."
            ) % {"severity": severity}
            raise ValidationError(message, fields={"respond": [message]})
    return by_severity


def _scope_lock(project: Project | None) -> None:
    """Serialise the writers of one scope: two administrators saving at once write two
    versions one after the other, never two current ones."""
    if project is not None:
        Project.objects.select_for_update().filter(pk=project.pk).first()
    else:
        SlaPolicySet.objects.select_for_update().filter(
            project__isnull=True, retired_at__isnull=True
        ).first()


@transaction.atomic
def levels_set(
    *,
    project: Project | None,
    policies: list[dict[str, Any]],
    calendar: Calendar | None = None,
    set_calendar: bool = False,
    actor: User | None = None,
    now: datetime | None = None,
) -> SlaPolicySet:
    """Write the next version of ``project``'s service levels (None: the default ones).

    Each row gives a severity and the fields it sets; a field or a severity not given keeps
    the value of the version it replaces (a contract without its own: the default's).
    ``set_calendar`` also sets the contract's working calendar to ``calendar``.
    Tickets accepted before keep their version; the others follow the new one.
    """
    now = now or clock.now()
    given = _clean_rows(policies)
    _scope_lock(project)
    base = (current_override(project.pk) if project is not None else None) or current_default()
    previous = {policy.severity: policy for policy in base.policies.all()}
    values = {}
    for severity in SEVERITIES:
        old = previous.get(severity)
        row = {name: getattr(old, name) for name in FIELDS} if old is not None else {}
        row.update({k: v for k, v in given.get(severity, {}).items() if k in FIELDS})
        required = ("clock", "respond", "resolve", "followup_kind", "followup")
        missing = [name for name in required if row.get(name) is None]
        if missing:
            message = _("%(severity)s: give %(fields)s.") % {
                "severity": severity,
                "fields": ", ".join(missing),
            }
            raise ValidationError(message, fields={"policies": [message]})
        values[severity] = row
    # the version keeps its calendar, so that a ticket accepted under it keeps its hours too
    calendar_id = (calendar.pk if calendar else None) if set_calendar else base.calendar_id
    unchanged = calendar_id == base.calendar_id and all(
        severity in previous
        and all(values[severity][name] == getattr(previous[severity], name) for name in FIELDS)
        for severity in SEVERITIES
    )
    if project is not None and set_calendar and project.calendar_id != calendar_id:
        Project.objects.filter(pk=project.pk).update(calendar=calendar)
        project.calendar = calendar
    own = project is None or base.project_id == project.pk
    if unchanged and own:
        return base
    if own:
        SlaPolicySet.objects.filter(pk=base.pk, retired_at__isnull=True).update(retired_at=now)
    try:
        version = SlaPolicySet.objects.create(
            project=project, calendar_id=calendar_id, created_at=now, created_by=actor
        )
    except IntegrityError as error:  # a writer that did not take the lock got there first
        message = _("Someone else changed these service levels; try again.")
        raise ValidationError(message) from error
    SlaPolicy.objects.bulk_create(
        [
            SlaPolicy(policy_set=version, severity=severity, **values[severity])
            for severity in SEVERITIES
        ]
    )
    return version


@transaction.atomic
def levels_clear(*, project: Project, now: datetime | None = None) -> bool:
    """Return ``project`` to the default service levels and calendar; whether it had its own."""
    now = now or clock.now()
    _scope_lock(project)
    retired = SlaPolicySet.objects.filter(project=project, retired_at__isnull=True).update(
        retired_at=now
    )
    had_calendar = project.calendar_id is not None
    if had_calendar:
        Project.objects.filter(pk=project.pk).update(calendar=None)
        project.calendar = None
    return bool(retired) or had_calendar
