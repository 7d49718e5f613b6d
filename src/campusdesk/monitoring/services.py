"""Probes: their set-up, each run's result, and the outages and incidents they open (R-SYS-2).

``record`` is the one place a run's result lands. It follows healthchecks' flips:

1. The result is a row; the probe's counters move by one UPDATE with expressions.
2. The probe's state flips (up → down after ``failures_to_open`` failures in a row, down →
   up at the first success) by a *conditional* UPDATE: of two workers that see the same
   failure, only one changes the row, and only that one goes on.
3. A flip to down opens the system's outage: at most one is open per system (a partial
   unique index). A flip back within ``PROBE_FLAP_MINUTES`` of the last outage's end
   re-opens that outage and counts a flap, so a flapping target stays one incident.
4. Whoever *claims* the outage (a second conditional UPDATE of ``ticket_claimed_at``,
   in the same transaction as the registration) registers its incident ticket: exactly
   once, whatever the number of workers. During a maintenance window nothing is claimed;
   an outage still open when the window ends is claimed then, once, as the same outage.
5. The last probe of a system to come back ends the outage and adds the recovery note,
   with the outage's length, to the incident, asking the handler to confirm the cause.

A TLS certificate 30 and 7 days before expiry opens one SIS3 ticket per certificate and
threshold (``CertificateWarning``'s unique key), or adds a note to the one still open.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from campusdesk.accounts.models import Organisation, User
from campusdesk.accounts.roles import Role
from campusdesk.core import clock
from campusdesk.core.errors import NotFound, PermissionDenied, ValidationError
from campusdesk.core.values import whole_number
from campusdesk.intake import windows
from campusdesk.intake.models import MaintenanceWindow
from campusdesk.monitoring import checks
from campusdesk.monitoring.checks import CheckResult
from campusdesk.monitoring.models import (
    MIN_INTERVAL,
    CertificateWarning,
    Outage,
    Probe,
    ProbeResult,
    StatusPage,
)
from campusdesk.systems import selectors as systems
from campusdesk.systems import ticketlink
from campusdesk.systems.models import ApplicationSystem, Importance
from campusdesk.systems.services import record as system_record
from campusdesk.tickets import services as tickets
from campusdesk.tickets import workflow
from campusdesk.tickets.models import OPEN_STATUSES, Channel, Ticket
from campusdesk.tickets.workflow import Action

log = logging.getLogger(__name__)

PROBE_USER = "probes"
#: a system's importance → the incident's urgency (核心 → SIS1, 重要 → SIS2, 一般 → SIS3)
URGENCY = {Importance.CORE: "critical", Importance.IMPORTANT: "high", Importance.NORMAL: "medium"}
#: days before a certificate's expiry at which it is reported, most urgent last
CERT_THRESHOLDS = (30, 7)

FIELDS = (
    "name",
    "kind",
    "target",
    "method",
    "expect_status",
    "keyword",
    "keyword_absent",
    "max_latency_ms",
    "sni",
    "interval_seconds",
    "timeout_seconds",
    "retries",
    "failures_to_open",
    "is_active",
)
METHODS = ("GET", "HEAD", "POST", "OPTIONS")


def probe_user() -> User:
    """The vendor-side system account that registers the probes' incidents (探针监测)."""
    vendor = Organisation.objects.filter(kind=Organisation.Kind.VENDOR).order_by("id").first()
    user, created = User.objects.get_or_create(
        username=PROBE_USER,
        defaults={"role": Role.AGENT, "display_name": _("Probe monitor"), "organisation": vendor},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def duration_text(seconds: float) -> str:
    """``1 小时 5 分`` / ``3 分 20 秒``: an outage's length as people say it."""
    total = max(int(seconds), 0)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d min %(s)d s") % {"m": minutes, "s": secs}
    return _("%(s)d s") % {"s": secs}


# --- set-up ----------------------------------------------------------------------------------
def _managed_system(actor: User, system_id: int) -> ApplicationSystem:
    system = systems.system_for(actor, system_id)
    if not systems.may_manage(actor, system.project):
        raise PermissionDenied(_("Only the vendor's staff of the project manage its probes."))
    return system


def _clean(data: dict[str, Any], probe: Probe) -> dict[str, Any]:
    """The probe's fields from ``data`` (keys of FIELDS), checked; the target through the guard."""
    values = {name: data[name] for name in FIELDS if name in data}
    kind = values.get("kind", probe.kind)
    if kind not in Probe.Kind.values:
        raise ValidationError(fields={"kind": [_("Choose HTTP, TCP or TLS.")]})
    for name in ("name", "keyword", "sni", "method", "expect_status"):
        if name in values:
            values[name] = str(values[name] or "").strip()
            if any(ord(c) < 32 for c in values[name]):
                raise ValidationError(fields={name: [_("Control characters are not allowed.")]})
    if "method" in values:
        values["method"] = values["method"].upper() or "GET"
        if values["method"] not in METHODS:
            raise ValidationError(fields={"method": [_("Choose GET, HEAD, POST or OPTIONS.")]})
    if values.get("expect_status", "x") == "":
        values["expect_status"] = "200-399"
    if "expect_status" in values:
        checks.parse_status_ranges(values["expect_status"])
    limits = {
        "interval_seconds": (MIN_INTERVAL, 86400),
        "timeout_seconds": (1, 60),
        "retries": (0, 5),
        "failures_to_open": (1, 100),
    }
    for name, (low, high) in limits.items():
        if name in values:
            values[name] = whole_number(values[name], name, low, high)
    if values.get("max_latency_ms") in ("", None):
        values["max_latency_ms"] = None if "max_latency_ms" in values else probe.max_latency_ms
    else:
        values["max_latency_ms"] = whole_number(
            values["max_latency_ms"], "max_latency_ms", 1, 600000
        )
    target = values.get("target", probe.target)
    if not str(target or "").strip():
        raise ValidationError(fields={"target": [_("This field is required.")]})
    if "target" in values or "kind" in values or "sni" in values:
        values["target"] = checks.validate_target(
            kind, str(target), sni=values.get("sni", probe.sni)
        )
    timeout = values.get("timeout_seconds", probe.timeout_seconds)
    interval = values.get("interval_seconds", probe.interval_seconds)
    if timeout * (1 + values.get("retries", probe.retries)) >= interval:
        raise ValidationError(
            fields={
                "timeout_seconds": [
                    _("The timeout (with its retries) must be shorter than the interval.")
                ]
            }
        )
    return values


@transaction.atomic
def probe_create(
    *, actor: User, system_id: int, data: dict[str, Any], now: datetime | None = None
) -> Probe:
    """A new probe of ``system_id``, due at once."""
    now = now or clock.now()
    system = _managed_system(actor, system_id)
    probe = Probe(system=system, created_at=now, next_run_at=now)
    for name, value in _clean(data, probe).items():
        setattr(probe, name, value)
    probe.save()
    system_record(system, "probe.created", actor, now, probe=probe.pk, target=probe.target)
    return probe


@transaction.atomic
def probe_update(
    *, actor: User, probe: Probe, data: dict[str, Any], now: datetime | None = None
) -> Probe:
    now = now or clock.now()
    _managed_system(actor, probe.system_id)
    values = _clean(data, probe)
    for name, value in values.items():
        setattr(probe, name, value)
    if {"interval_seconds", "target", "kind", "is_active"} & values.keys():
        probe.next_run_at = now  # checked at once with what was changed
    probe.save()
    system_record(probe.system, "probe.changed", actor, now, probe=probe.pk, target=probe.target)
    if not probe.is_active and probe.state == Probe.State.DOWN:
        Probe.objects.filter(pk=probe.pk).update(state=Probe.State.UNKNOWN, consecutive_failures=0)
        _maybe_recovered(probe.system, now)  # nothing probes the outage any more
    return probe


@transaction.atomic
def probe_delete(*, actor: User, probe: Probe, now: datetime | None = None) -> None:
    _managed_system(actor, probe.system_id)
    system_record(
        probe.system,
        "probe.deleted",
        actor,
        now or clock.now(),
        probe=probe.pk,
        target=probe.target,
    )
    system = probe.system
    probe.delete()
    _maybe_recovered(system, now or clock.now())  # nothing probes the outage any more


# --- running ---------------------------------------------------------------------------------
def probe_run(probe_id: int, *, scheduled_for: datetime | None = None) -> ProbeResult | None:
    """Run the probe now and record what it found (the task's body); None if it is gone."""
    probe = Probe.objects.select_related("system").filter(pk=probe_id, is_active=True).first()
    if probe is None:
        return None
    started_at = clock.now()
    result = checks.check(probe)
    return record(probe, result, scheduled_for=scheduled_for or started_at, started_at=started_at)


def probe_run_now(*, actor: User, probe: Probe) -> ProbeResult:
    """Run a probe on a person's request (the page's button, ``POST …/run/``)."""
    _managed_system(actor, probe.system_id)
    started_at = clock.now()
    result = checks.check(probe)
    return record(probe, result, scheduled_for=started_at, started_at=started_at)


def record(
    probe: Probe, result: CheckResult, *, scheduled_for: datetime, started_at: datetime
) -> ProbeResult:
    """Keep one run's result and move the probe, its system's outage and incident on."""
    done_at = started_at + timedelta(milliseconds=result.latency_ms or 0)
    row = ProbeResult.objects.create(
        probe=probe,
        scheduled_for=scheduled_for,
        started_at=started_at,
        ok=result.ok,
        latency_ms=result.latency_ms,
        status_code=result.status_code,
        error=result.error[:500],
        cert_expires_at=result.cert_expires_at,
    )
    if result.ok:
        _succeeded(probe, result, started_at)
    else:
        _failed(probe, result, started_at)
    if result.cert_expires_at is not None and result.ok:
        _certificate(probe, result.cert_expires_at, done_at)
    return row


def _succeeded(probe: Probe, result: CheckResult, at: datetime) -> None:
    Probe.objects.filter(pk=probe.pk).update(
        consecutive_failures=0,
        last_run_at=at,
        last_ok_at=at,
        last_error="",
        last_latency_ms=result.latency_ms,
        cert_expires_at=result.cert_expires_at,
    )
    flipped = (
        Probe.objects.filter(pk=probe.pk).exclude(state=Probe.State.UP).update(state=Probe.State.UP)
    )
    if flipped:
        _maybe_recovered(probe.system, at)


def _failed(probe: Probe, result: CheckResult, at: datetime) -> None:
    Probe.objects.filter(pk=probe.pk).update(
        consecutive_failures=F("consecutive_failures") + 1,
        last_run_at=at,
        last_error=result.error[:500],
        last_latency_ms=result.latency_ms,
        cert_expires_at=result.cert_expires_at or F("cert_expires_at"),
    )
    flipped = (
        Probe.objects.filter(pk=probe.pk, consecutive_failures__gte=probe.failures_to_open)
        .exclude(state=Probe.State.DOWN)
        .update(state=Probe.State.DOWN)
    )
    outage: Outage | None
    if flipped:
        outage = _open_outage(probe, result, at)
    else:
        outage = Outage.objects.filter(system_id=probe.system_id, ended_at=None).first()
        if outage is None:
            return
        Outage.objects.filter(pk=outage.pk).update(failures=F("failures") + 1)
    if outage.ticket_id is None and outage.ticket_claimed_at is None:
        _raise_incident(outage, probe, at)


# --- outages ---------------------------------------------------------------------------------
def _open_outage(probe: Probe, result: CheckResult, at: datetime) -> Outage:
    """The system's open outage: a new one, the last one again (a flap), or another worker's."""
    first_failure = (
        ProbeResult.objects.filter(probe=probe, ok=False, started_at__lte=at)
        .filter(**({"started_at__gt": probe.last_ok_at} if probe.last_ok_at else {}))
        .order_by("started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    flap_since = at - timedelta(minutes=settings.PROBE_FLAP_MINUTES)
    last = (
        Outage.objects.filter(system_id=probe.system_id, ended_at__gte=flap_since)
        .filter(Q(ticket=None) | Q(ticket__status__in=OPEN_STATUSES))
        .order_by("-ended_at")
        .first()
    )
    try:
        with transaction.atomic():
            if last is not None and Outage.objects.filter(
                pk=last.pk, ended_at=last.ended_at
            ).update(ended_at=None, flaps=F("flaps") + 1, failures=F("failures") + 1):
                last.refresh_from_db()
                _flapped(last, probe, at)
                return last
            outage = Outage.objects.create(
                system_id=probe.system_id,
                probe=probe,
                started_at=first_failure or at,
                detected_at=at,
                error=result.error[:500],
                failures=probe.failures_to_open,
                in_maintenance=windows.system_in_maintenance(probe.system_id, at),
            )
    except IntegrityError:  # another probe of the system, or another worker, opened it
        opened = Outage.objects.filter(system_id=probe.system_id, ended_at=None).first()
        if opened is None:  # ended again in between: the next failure opens it
            raise
        return opened
    system_record(
        probe.system, "outage.opened", None, at, probe=probe.pk, error=outage.error,
        since=outage.started_at.isoformat(),
    )  # fmt: skip
    return outage


def _flapped(outage: Outage, probe: Probe, at: datetime) -> None:
    data = {"flaps": outage.flaps, "target": probe.target, "error": probe.last_error}
    _on_open_incident(outage.ticket_id, Action.PROBE_FLAPPED, at, data)


def _on_open_incident(
    ticket_id: int | None, action: Action, at: datetime, data: dict[str, Any]
) -> None:
    """A step of the probes on the outage's incident, while the incident is open."""
    if ticket_id is None:
        return
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if ticket is None or ticket.status not in OPEN_STATUSES:
            return
        workflow.record(
            ticket=ticket,
            action=action,
            actor=None,
            channel=Channel.ALERT,
            now=at,
            status_before=ticket.status,
            data=data,
        )


def _incident_text(outage: Outage, probe: Probe) -> tuple[str, str]:
    system = outage.system
    title = _("%(system)s is down (probe %(probe)s)") % {"system": system.name, "probe": probe}
    lines = [
        _("The probe %(probe)s found %(system)s unreachable.")
        % {"probe": probe, "system": system.name},
        _("Target: %(target)s") % {"target": probe.target},
        _("Error: %(error)s") % {"error": outage.error or "-"},
        _("Down since: %(at)s")
        % {"at": clock.local(outage.started_at).strftime("%Y-%m-%d %H:%M:%S")},
        _("Failed runs in a row: %(n)s") % {"n": outage.failures},
    ]
    return title[:200], "\n".join(lines)


def _register(
    system: ApplicationSystem, title: str, text: str, urgency: str, at: datetime
) -> Ticket | None:
    reporter = ticketlink.default_reporter(system)
    if reporter is None:
        return None  # an organisation without users: the outage stays on the status page only
    actor = probe_user()
    ticket = tickets.ticket_register(
        actor=actor,
        project_id=system.project_id,
        product_id=None,
        title=title,
        description=text,
        urgency=urgency,
        service_type="incident",
        channel=Channel.ALERT,
        environment=ticketlink.environment_text(system.current_environment),
        reporter_id=reporter,
        now=at,
    )
    ticketlink.ticket_system_set(ticket=ticket, actor=actor, system=system, now=at)
    return ticket


def _raise_incident(outage: Outage, probe: Probe, at: datetime) -> None:
    """Claim the outage and register its incident, unless in maintenance or claimed already."""
    if windows.system_in_maintenance(outage.system_id, at):
        Outage.objects.filter(pk=outage.pk).update(in_maintenance=True)
        return
    with transaction.atomic():
        claimed = Outage.objects.filter(pk=outage.pk, ticket_claimed_at=None, ended_at=None).update(
            ticket_claimed_at=at
        )
        if not claimed:
            return
        outage = Outage.objects.select_related(
            "system__current_environment", "system__customer_contact"
        ).get(pk=outage.pk)
        title, text = _incident_text(outage, probe)
        urgency = URGENCY[Importance(outage.system.importance)]
        try:
            with transaction.atomic():
                ticket = _register(outage.system, title, text, urgency, at)
        except (ValidationError, PermissionDenied) as error:  # the contract ended, say
            log.warning(
                "outage %s of system %s: no incident: %s", outage.pk, outage.system_id, error
            )
            return  # claimed all the same: the next failure does not try again
        if ticket is None:
            return
        notice = int((at - outage.started_at).total_seconds())
        Outage.objects.filter(pk=outage.pk).update(ticket=ticket, notice_seconds=max(notice, 0))


def _maybe_recovered(system: ApplicationSystem, at: datetime) -> None:
    """End the system's outage when none of its probes is down any more."""
    if Probe.objects.filter(system_id=system.pk, is_active=True, state=Probe.State.DOWN).exists():
        return
    outage = Outage.objects.filter(system_id=system.pk, ended_at=None).first()
    if outage is None:
        return
    if not Outage.objects.filter(pk=outage.pk, ended_at=None).update(ended_at=at):
        return  # another worker ended it
    length = duration_text((at - outage.started_at).total_seconds())
    system_record(system, "outage.ended", None, at, duration=length, ticket=outage.ticket_id)
    data = {
        "duration": length,
        "seconds": int((at - outage.started_at).total_seconds()),
        "since": outage.started_at.isoformat(),
        "until": at.isoformat(),
        "flaps": outage.flaps,
    }
    _on_open_incident(outage.ticket_id, Action.PROBE_RECOVERED, at, data)


# --- certificates ----------------------------------------------------------------------------
def _certificate(probe: Probe, expires_at: datetime, at: datetime) -> None:
    """One SIS3 ticket per certificate and threshold crossed (the most urgent one only)."""
    days_left = (expires_at - at).total_seconds() / 86400
    crossed = [limit for limit in CERT_THRESHOLDS if days_left <= limit]
    if not crossed:
        return
    threshold = crossed[-1]
    try:
        with transaction.atomic():
            warning = CertificateWarning.objects.create(
                probe=probe, expires_at=expires_at, threshold=threshold, at=at
            )
            earlier = (
                CertificateWarning.objects.filter(
                    probe=probe, expires_at=expires_at, ticket__status__in=OPEN_STATUSES
                )
                .exclude(pk=warning.pk)
                .select_related("ticket")
                .first()
            )
            data = {
                "target": probe.target,
                "expires_at": expires_at.isoformat(),
                "days": max(int(days_left), 0),
                "threshold": threshold,
            }
            ticket: Ticket | None
            if earlier is not None and earlier.ticket is not None:
                ticket = earlier.ticket
                workflow.record(
                    ticket=ticket, action=Action.CERT_WARNING, actor=None, channel=Channel.ALERT,
                    now=at, status_before=ticket.status, data=data,
                )  # fmt: skip
            else:
                ticket = _certificate_ticket(probe, expires_at, days_left, at)
            CertificateWarning.objects.filter(pk=warning.pk).update(ticket=ticket)
    except IntegrityError:
        return  # warned already for this certificate and threshold


def _certificate_ticket(
    probe: Probe, expires_at: datetime, days_left: float, at: datetime
) -> Ticket | None:
    system = ApplicationSystem.objects.select_related(
        "current_environment", "customer_contact"
    ).get(pk=probe.system_id)
    when = clock.local(expires_at).strftime("%Y-%m-%d %H:%M")
    title = _("The TLS certificate of %(target)s expires in %(days)s days") % {
        "target": probe.target,
        "days": max(int(days_left), 0),
    }
    text = "\n".join(
        [
            _("The probe %(probe)s found the certificate of %(system)s expiring at %(when)s.")
            % {"probe": probe, "system": system.name, "when": when},
            _("Renew it before then, or the system's users see a certificate error."),
        ]
    )
    return _register(system, title[:200], text, "medium", at)


# --- maintenance windows ---------------------------------------------------------------------
@transaction.atomic
def window_create(
    *,
    actor: User,
    system: ApplicationSystem,
    starts_at: datetime | None,
    ends_at: datetime | None,
    reason: str,
    weekly: bool,
    now: datetime | None = None,
) -> MaintenanceWindow:
    """A maintenance window of the system: probes still run and record, but open nothing."""
    _managed_system(actor, system.pk)
    starts_at, ends_at = windows.validate(starts_at, ends_at, weekly)
    reason = (reason or "").strip()
    if any(ord(c) < 32 for c in reason):
        raise ValidationError(fields={"reason": [_("Control characters are not allowed.")]})
    window = MaintenanceWindow.objects.create(
        system=system,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason[:200],
        weekly=bool(weekly),
    )
    system_record(
        system, "maintenance.planned", actor, now or clock.now(), window=window.pk,
        starts_at=window.starts_at.isoformat(), ends_at=window.ends_at.isoformat(),
        weekly=window.weekly, reason=window.reason,
    )  # fmt: skip
    return window


@transaction.atomic
def window_update(
    *, actor: User, window: MaintenanceWindow, data: dict[str, Any], now: datetime | None = None
) -> MaintenanceWindow:
    """Change the given times, reason or weekly flag of a system's window, checked as a new
    window's are."""
    if window.system_id is None:
        raise NotFound()
    system = _managed_system(actor, window.system_id)
    values = windows.changed(window, data)
    for name, value in values.items():
        setattr(window, name, value)
    window.save(update_fields=list(values))
    system_record(
        system, "maintenance.changed", actor, now or clock.now(), window=window.pk,
        starts_at=window.starts_at.isoformat(), ends_at=window.ends_at.isoformat(),
        weekly=window.weekly, reason=window.reason,
    )  # fmt: skip
    return window


@transaction.atomic
def window_delete(*, actor: User, window: MaintenanceWindow, now: datetime | None = None) -> None:
    if window.system_id is None:
        raise NotFound()
    system = _managed_system(actor, window.system_id)
    system_record(system, "maintenance.cancelled", actor, now or clock.now(), window=window.pk)
    window.delete()


# --- status pages ----------------------------------------------------------------------------
@transaction.atomic
def status_token_rotate(
    *, actor: User, organisation_id: int, now: datetime | None = None
) -> StatusPage:
    """A new secret for the organisation's public status link; the old link stops working."""
    if not actor.is_authenticated or not actor.is_vendor_staff:
        raise PermissionDenied(_("Only the vendor's staff change the public status link."))
    serves = systems.visible_systems(actor).filter(organisation_id=organisation_id).exists()
    if not serves and not actor.is_administrator:
        raise NotFound()
    page, _created = StatusPage.objects.get_or_create(organisation_id=organisation_id)
    page.token = secrets.token_urlsafe(32)
    page.rotated_at = now or clock.now()
    page.save(update_fields=["token", "rotated_at"])
    return page
