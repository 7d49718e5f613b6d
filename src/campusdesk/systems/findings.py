"""Findings: what the vulnerability register found on each system, and their life.

The matcher (``reconcile``, called by ``vulns.match_vulnerability`` for a new or edited entry
and by ``match_environment`` for a new environment version) keeps one finding per system
and vulnerability in step with the installed version:

1. In the range: a new finding opens (``open``); an ``unverified`` one is confirmed; one
   fixed because its version had left the range opens again (a rollback). A finding a
   person marked fixed by decision (a distribution backport) stays fixed while the version
   stays in the range and is not older than the version decided on; older, it opens again.
2. Not readable (``versions.Verdict.UNKNOWN``): a new finding is ``unverified``; an open one,
   a fixed one and a decision all become ``unverified`` for a person to look at; ``fixing``
   and ``accepted`` stay as they are.
3. Outside the range, or the component gone: every finding not yet fixed by its version is
   ``fixed`` with a note saying which version closed it.

People's actions (start fixing, accept the risk, mark fixed by decision, reopen) follow
``TRANSITIONS``; an accepted risk is reminded ten days before it expires and reopens when
it has (``expiry_sweep``, run by the worker). Due dates count working days of the
project's calendar (Chinese statutory holidays and 调休) from the day the finding opened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from campusdesk.accounts.models import User
from campusdesk.core import clock
from campusdesk.core.errors import PermissionDenied, TransitionError, ValidationError
from campusdesk.core.text import has_control
from campusdesk.notify import inbox
from campusdesk.notify.models import Kind
from campusdesk.sla.models import Calendar
from campusdesk.sla.worktime import WorkCalendar, add_working_days, default_calendar
from campusdesk.systems import versions
from campusdesk.systems.findings_selectors import finding_for
from campusdesk.systems.models import (
    ApplicationSystem,
    Change,
    DuePolicy,
    EnvironmentVersion,
    Finding,
    Vulnerability,
)
from campusdesk.systems.selectors import may_manage
from campusdesk.systems.services import record
from campusdesk.tickets.models import Ticket

Status = Finding.Status
Verdict = versions.Verdict
#: DefectDojo's defaults, used when the policy table has no row for a severity
DEFAULT_DAYS = {"critical": 7, "high": 30, "medium": 90, "low": 120}
ACCEPT_DAYS = 180
REMIND_DAYS = 10
#: a person's action: the statuses it starts from and the one it leads to
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "fixing": (frozenset({Status.OPEN, Status.UNVERIFIED, Status.ACCEPTED}), Status.FIXING),
    "accept": (frozenset({Status.OPEN, Status.UNVERIFIED, Status.FIXING}), Status.ACCEPTED),
    "fixed": (
        frozenset({Status.OPEN, Status.UNVERIFIED, Status.FIXING, Status.ACCEPTED}),
        Status.FIXED,
    ),
    "reopen": (frozenset({Status.FIXED, Status.ACCEPTED}), Status.OPEN),
}
#: the matcher's "the component is not installed any more"
GONE = "gone"


# --- due dates ------------------------------------------------------------------------------
@dataclass
class Dues:
    """Due dates of one operation: the policy and the calendars read once."""

    days: dict[str, int] = field(default_factory=dict)
    calendars: dict[int | None, WorkCalendar] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.days = {
            **DEFAULT_DAYS,
            **dict(DuePolicy.objects.values_list("severity", "working_days")),
        }

    def calendar(self, system: ApplicationSystem) -> WorkCalendar:
        key = system.project.calendar_id
        if key not in self.calendars:
            chosen = system.project.calendar or Calendar.objects.filter(is_default=True).first()
            self.calendars[key] = (
                chosen.work_calendar()
                if chosen is not None
                else default_calendar(ZoneInfo(settings.TIME_ZONE))
            )
        return self.calendars[key]

    def due(self, system: ApplicationSystem, severity: str, opened: datetime) -> date:
        """The working day ``days`` working days after the day ``opened`` (that day not
        counted): counting starts at the close of the opening day."""
        work = self.calendar(system)
        day = clock.local(opened).date()
        close = datetime.combine(day, time.max, tzinfo=work.tz)
        return add_working_days(close, self.days[severity], work).date()


# --- the matcher ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Seen:
    """What a match saw of one system: its verdict and the installed version."""

    verdict: str  # a Verdict, or GONE
    version: str = ""


def _record(finding: Finding, action: str, actor: User | None, now: datetime, **data: Any) -> None:
    """A line on the system's timeline about ``finding`` (its page reads them back)."""
    data.setdefault("status", finding.status)
    record(
        finding.system,
        action,
        actor,
        now,
        finding=finding.pk,
        vulnerability=finding.vulnerability.identifier,
        **data,
    )


def _save(finding: Finding, actor: User | None, now: datetime, action: str, **data: Any) -> Finding:
    finding.updated_at = now
    finding.save()
    _record(finding, action, actor, now, **data)
    return finding


def _open(
    system: ApplicationSystem,
    vulnerability: Vulnerability,
    seen: Seen,
    actor: User | None,
    now: datetime,
    dues: Dues,
) -> Finding:
    status = Status.OPEN if seen.verdict == Verdict.AFFECTED else Status.UNVERIFIED
    finding = Finding(
        system=system,
        vulnerability=vulnerability,
        status=status,
        installed_version=seen.version,
        due_date=dues.due(system, vulnerability.severity, now),
        opened_at=now,
    )
    return _save(finding, actor, now, "finding.opened", version=seen.version)


def open_observed(
    system: ApplicationSystem, vulnerability: Vulnerability, actor: User | None, now: datetime
) -> Finding:
    """The finding of an entry found on ``system`` by a person (an inspection's failed
    security check), not by the matcher: open, due by the severity's policy; an earlier
    finding of the same entry is returned as it is."""
    existing = Finding.objects.filter(system=system, vulnerability=vulnerability).first()
    if existing is not None:
        return existing
    return _open(system, vulnerability, Seen(Verdict.AFFECTED), actor, now, Dues())


def _reopen(finding: Finding, status: str, now: datetime, dues: Dues) -> None:
    finding.status = status
    finding.opened_at = now
    finding.closed_at = None
    finding.fixed_by_decision = False
    finding.decision_version = ""
    finding.accepted_until = None
    finding.expiry_reminded_at = None
    finding.due_date = dues.due(finding.system, finding.vulnerability.severity, now)


def _affected(finding: Finding, seen: Seen, now: datetime, dues: Dues) -> str | None:
    """The event of a finding whose system lies in the range, or None if nothing changes."""
    if finding.status == Status.UNVERIFIED:
        finding.status = Status.OPEN
        return "finding.confirmed"
    if finding.status != Status.FIXED:
        return None
    if not finding.fixed_by_decision:
        _reopen(finding, Status.OPEN, now, dues)
        finding.reason = _("Version %(version)s is in the affected range again.") % {
            "version": seen.version
        }
        return "finding.reopened"
    scheme = versions.scheme_for(finding.vulnerability.component_key)
    sign = versions.compare(scheme, seen.version, finding.decision_version or seen.version)
    if sign is not None and sign >= 0:
        return None  # the backport decision holds
    _reopen(finding, Status.OPEN if sign is not None else Status.UNVERIFIED, now, dues)
    finding.reason = _(
        "Version %(version)s is older than %(decided)s, which was decided fixed."
    ) % {"version": seen.version, "decided": finding.decision_version}
    return "finding.reopened"


def _unknown(finding: Finding, seen: Seen, now: datetime, dues: Dues) -> str | None:
    if finding.status in (Status.UNVERIFIED, Status.FIXING, Status.ACCEPTED):
        return None
    if finding.status == Status.FIXED:
        _reopen(finding, Status.UNVERIFIED, now, dues)
    finding.status = Status.UNVERIFIED
    finding.reason = _("Version %(version)s cannot be compared with the range %(range)s.") % {
        "version": seen.version,
        "range": finding.vulnerability.affected,
    }
    return "finding.unverified"


def _not_affected(finding: Finding, seen: Seen, now: datetime) -> str | None:
    if finding.status == Status.FIXED and not finding.fixed_by_decision:
        return None
    finding.status = Status.FIXED
    finding.fixed_by_decision = False
    finding.closed_at = now
    finding.accepted_until = None
    if seen.verdict == GONE:
        finding.reason = _("%(component)s is no longer installed.") % {
            "component": finding.vulnerability.component
        }
    else:
        finding.reason = _("Version %(version)s is outside the affected range %(range)s.") % {
            "version": seen.version,
            "range": finding.vulnerability.affected,
        }
    return "finding.fixed"


def reconcile(
    system: ApplicationSystem,
    vulnerability: Vulnerability,
    finding: Finding | None,
    seen: Seen,
    actor: User | None,
    now: datetime,
    dues: Dues,
) -> Finding | None:
    """Bring the finding of ``vulnerability`` on ``system`` in step with what was ``seen``."""
    if finding is None:
        if seen.verdict in (Verdict.AFFECTED, Verdict.UNKNOWN):
            return _open(system, vulnerability, seen, actor, now, dues)
        return None
    finding.system, finding.vulnerability = system, vulnerability
    before = finding.installed_version
    if seen.verdict == Verdict.AFFECTED:
        action = _affected(finding, seen, now, dues)
    elif seen.verdict == Verdict.UNKNOWN:
        action = _unknown(finding, seen, now, dues)
    else:
        action = _not_affected(finding, seen, now)
    if seen.version:
        finding.installed_version = seen.version
    if action is not None:
        return _save(finding, actor, now, action, version=seen.version, reason=finding.reason)
    if finding.installed_version != before:
        finding.updated_at = now
        finding.save(update_fields=["installed_version", "updated_at"])
    return finding


def worst(verdicts: list[str]) -> str:
    """One system's verdict from its components of the vulnerability's name."""
    for verdict in (Verdict.AFFECTED, Verdict.UNKNOWN, Verdict.NOT_AFFECTED):
        if verdict in verdicts:
            return verdict
    return GONE


def match_environment(version: EnvironmentVersion, actor: User | None, now: datetime) -> None:
    """Match a system's new environment version against the register (``ENVIRONMENT_CHANGED``)."""
    system = ApplicationSystem.objects.select_related("project__calendar").get(pk=version.system_id)
    installed: dict[str, list[str]] = {}
    for key, text in version.components.values_list("key", "version"):
        installed.setdefault(key, []).append(text)
    findings = {f.vulnerability_id: f for f in Finding.objects.filter(system=system)}
    entries = Vulnerability.objects.filter(
        Q(component_key__in=list(installed)) | Q(pk__in=list(findings)),
        source=Vulnerability.Source.REGISTER,
    )
    dues = Dues()
    for vulnerability in entries:
        texts = installed.get(vulnerability.component_key, [])
        found = seen(vulnerability, texts)
        finding = reconcile(
            system, vulnerability, findings.get(vulnerability.pk), found, actor, now, dues
        )
        if finding is not None and _closed_by(finding, version, now):
            finding.change_id = version.change_id
            finding.save(update_fields=["change"])


def _closed_by(finding: Finding, version: EnvironmentVersion, now: datetime) -> bool:
    """Whether a completed change's version just fixed the finding (the finding then names
    the change that fixed it, unless it already names one)."""
    return (
        version.change_id is not None
        and finding.change_id is None
        and finding.status == Status.FIXED
        and finding.closed_at == now
    )


def seen(vulnerability: Vulnerability, texts: list[str]) -> Seen:
    verdicts = {
        text: versions.check(vulnerability.component_key, text, vulnerability.affected)
        for text in texts
    }
    verdict = worst(list(verdicts.values()))
    version = next((t for t, v in verdicts.items() if v == verdict), "")
    return Seen(verdict, version)


# --- people's actions -----------------------------------------------------------------------
def _transition(
    finding: Finding, action: str, actor: User, now: datetime, **fields: Any
) -> Finding:
    """Check ``TRANSITIONS`` and who may, then compare-and-set the new status."""
    if not may_manage(actor, finding.system.project):
        raise PermissionDenied(_("Only the vendor's staff of the project may handle findings."))
    sources, target = TRANSITIONS[action]
    if finding.status not in sources:
        raise TransitionError(
            _("This finding is %(status)s: the action is not possible now.")
            % {"status": finding.get_status_display()}
        )
    changed = Finding.objects.filter(pk=finding.pk, status=finding.status).update(
        status=target, updated_at=now, **fields
    )
    if changed != 1:
        raise TransitionError(_("Someone else changed this finding meanwhile; please reload."))
    finding.refresh_from_db()
    data = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in fields.items()}
    data = {
        k: v for k, v in data.items() if k in ("reason", "accepted_until", "change_id", "ticket_id")
    }
    name = "finding.fixed_by_decision" if action == "fixed" else f"finding.{action}"
    _record(finding, name, actor, now, **data)
    return finding


def _reason(text: str | None, *, required: bool) -> str:
    reason = (text or "").strip()
    if required and not reason:
        raise ValidationError(_("Say why."), fields={"reason": [_("This field is required.")]})
    if len(reason) > 5000 or has_control(reason.replace("\n", "").replace("\r", "")):
        raise ValidationError(
            _("Write the reason as text of at most 5000 characters."),
            fields={"reason": [_("At most 5000 characters of text.")]},
        )
    return reason


def _links(finding: Finding, change_id: int | None, ticket_id: int | None) -> dict[str, Any]:
    links: dict[str, Any] = {}
    if change_id is not None:
        if not Change.objects.filter(pk=change_id, system_id=finding.system_id).exists():
            raise ValidationError(
                _("Choose a change of this system."),
                fields={"change": [_("Not a change of this system.")]},
            )
        links["change_id"] = change_id
    if ticket_id is not None:
        ticket = Ticket.objects.filter(pk=ticket_id).select_related("project").first()
        if ticket is None or ticket.project.organisation_id != finding.system.organisation_id:
            raise ValidationError(
                _("Choose a problem of this system's organisation."),
                fields={"ticket": [_("Not a problem of this organisation.")]},
            )
        links["ticket_id"] = ticket_id
    return links


@transaction.atomic
def finding_start_fixing(
    *,
    finding_id: int,
    actor: User,
    change_id: int | None = None,
    ticket_id: int | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> Finding:
    """Work on the fix begins, perhaps under a planned change or a problem ticket."""
    now = now or clock.now()
    finding = finding_for(actor, finding_id)
    links = _links(finding, change_id, ticket_id)
    fields = {"reason": _reason(reason, required=False), **links}
    return _transition(finding, "fixing", actor, now, accepted_until=None, **fields)


@transaction.atomic
def finding_accept(
    *,
    finding_id: int,
    actor: User,
    reason: str,
    until: date | None = None,
    now: datetime | None = None,
) -> Finding:
    """Accept the risk, with a reason, until a date (default: in 180 days)."""
    now = now or clock.now()
    finding = finding_for(actor, finding_id)
    today = clock.local(now).date()
    until = until or today + timedelta(days=ACCEPT_DAYS)
    if until <= today:
        raise ValidationError(
            _("The risk can be accepted only until a later day."),
            fields={"until": [_("Choose a day after today.")]},
        )
    return _transition(
        finding,
        "accept",
        actor,
        now,
        reason=_reason(reason, required=True),
        accepted_until=until,
        expiry_reminded_at=None,
    )


@transaction.atomic
def finding_mark_fixed(
    *, finding_id: int, actor: User, reason: str, now: datetime | None = None
) -> Finding:
    """Fixed by decision (a distribution's backport): holds while the version stays in range."""
    now = now or clock.now()
    finding = finding_for(actor, finding_id)
    return _transition(
        finding,
        "fixed",
        actor,
        now,
        reason=_reason(reason, required=True),
        fixed_by_decision=True,
        decision_version=finding.installed_version,
        closed_at=now,
        accepted_until=None,
    )


@transaction.atomic
def finding_reopen(
    *, finding_id: int, actor: User, reason: str = "", now: datetime | None = None
) -> Finding:
    """Open a fixed or accepted finding again, with a new due date from today."""
    now = now or clock.now()
    finding = finding_for(actor, finding_id)
    due = Dues().due(finding.system, finding.vulnerability.severity, now)
    return _transition(
        finding,
        "reopen",
        actor,
        now,
        reason=_reason(reason, required=False),
        fixed_by_decision=False,
        decision_version="",
        closed_at=None,
        accepted_until=None,
        expiry_reminded_at=None,
        opened_at=now,
        due_date=due,
    )


def redue(vulnerability: Vulnerability, now: datetime) -> int:
    """New due dates for the unfinished findings of an entry whose severity changed."""
    dues = Dues()
    findings = Finding.objects.filter(
        vulnerability=vulnerability, status__in=[Status.OPEN, Status.UNVERIFIED, Status.FIXING]
    ).select_related("system__project__calendar")
    changed = 0
    for finding in findings:
        due = dues.due(finding.system, vulnerability.severity, finding.opened_at)
        if due != finding.due_date:
            Finding.objects.filter(pk=finding.pk).update(due_date=due, updated_at=now)
            changed += 1
    return changed


# --- accepted risks that expire ---------------------------------------------------------------
def expiry_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Remind the service manager ten days before an accepted risk expires (once), and open
    the finding again the day after its last accepted day. Returns how many it handled."""
    now = now or clock.now()
    today = clock.local(now).date()
    accepted = Finding.objects.filter(status=Status.ACCEPTED).select_related(
        "system__project__service_manager", "system__project__calendar", "vulnerability"
    )
    done = 0
    for finding in accepted.filter(accepted_until__lt=today)[:limit]:
        done += _expire(finding, now)
    due_soon = accepted.filter(
        accepted_until__gte=today,
        accepted_until__lte=today + timedelta(days=REMIND_DAYS),
        expiry_reminded_at__isnull=True,
    )
    for finding in due_soon[:limit]:
        done += _remind(finding, now)
    return done


def _expire(finding: Finding, now: datetime) -> int:
    verdict = versions.check(
        finding.vulnerability.component_key,
        finding.installed_version,
        finding.vulnerability.affected,
    )
    status = Status.UNVERIFIED if verdict == Verdict.UNKNOWN else Status.OPEN
    due = Dues().due(finding.system, finding.vulnerability.severity, now)
    changed = Finding.objects.filter(
        pk=finding.pk, status=Status.ACCEPTED, accepted_until=finding.accepted_until
    ).update(
        status=status,
        opened_at=now,
        due_date=due,
        accepted_until=None,
        expiry_reminded_at=None,
        updated_at=now,
    )
    if changed != 1:
        return 0
    _record(finding, "finding.expired", None, now, status=status, accepted_until=_day(finding))
    return 1


def _day(finding: Finding) -> str | None:
    return finding.accepted_until.isoformat() if finding.accepted_until else None


def _remind(finding: Finding, now: datetime) -> int:
    changed = Finding.objects.filter(
        pk=finding.pk, status=Status.ACCEPTED, expiry_reminded_at__isnull=True
    ).update(expiry_reminded_at=now)
    if changed != 1:
        return 0
    manager = finding.system.project.service_manager
    recipient = manager.pk if manager is not None else None
    _record(
        finding,
        "finding.expiry_reminded",
        None,
        now,
        accepted_until=_day(finding),
        recipient=recipient,
    )
    if manager is not None and manager.is_active:
        tell(manager, finding, now)
    return 1


def tell(person: User, finding: Finding, now: datetime) -> None:
    """An inbox message and an e-mail (through the outbox) of an accepted risk's expiry,
    in the reader's language, as a "deadline near" message (their channel choice holds)."""
    path = reverse("systems-finding", args=[finding.pk])
    with translation.override(person.preferred_language or settings.LANGUAGE_CODE):
        title = _("Accepted risk of %(vulnerability)s on %(system)s expires on %(day)s") % {
            "vulnerability": finding.vulnerability.identifier,
            "system": finding.system.name,
            "day": finding.accepted_until,
        }
        body = _("%(title)s. Reason it was accepted: %(reason)s") % {
            "title": finding.vulnerability.title,
            "reason": finding.reason,
        }
    inbox.tell(person, Kind.SLA_WARNING, title, body, path, now)
