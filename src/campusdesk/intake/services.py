"""Monitoring alerts into incidents (seed §5 监控告警, R-IN-4), de-duplicated by fingerprint.

1. An alert's fingerprint (Alertmanager's own, else a hash of its labels) finds the
   open incident it raised before; a repeat adds to that incident's timeline.
2. A new firing alert registers an emergency incident (channel ``alert``) for the
   source's customer contact, its urgency from the severity label mapping.
3. ``resolved`` adds a note and tells the handler; only the customer closes.
4. During a maintenance window of the source, alerts are recorded and silenced.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from campusdesk.accounts.models import Organisation, User
from campusdesk.accounts.roles import Role
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.core.errors import PermissionDenied, ValidationError
from campusdesk.core.text import one_line
from campusdesk.intake import signing, windows
from campusdesk.intake.models import Alert, AlertSource
from campusdesk.tickets import services as tickets
from campusdesk.tickets import workflow
from campusdesk.tickets.models import OPEN_STATUSES, Channel, Ticket
from campusdesk.tickets.workflow import Action

URGENCY_OF = {"SIS1": "critical", "SIS2": "high", "SIS3": "medium"}
MONITOR = "monitoring"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def monitoring_user() -> User:
    """The vendor-side account alerts act as (it registers incidents for a customer)."""
    vendor = Organisation.objects.filter(kind=Organisation.Kind.VENDOR).first()
    user, created = User.objects.get_or_create(
        username=MONITOR,
        defaults={"role": Role.AGENT, "display_name": _("Monitoring"), "organisation": vendor},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def alert_source_create(
    *,
    actor: User,
    name: str,
    project_id: int | None,
    signed: bool = False,
    now: datetime | None = None,
) -> tuple[AlertSource, str, str | None]:
    """A new source, its token (shown once; only its hash is kept) and, for a source that
    signs its alerts, its signing secret (shown once; kept encrypted: intake.signing)."""
    if not actor.is_administrator:
        raise PermissionDenied(_("Only administrators add alert sources."))
    projects = Project.objects.select_related("organisation")
    project = projects.filter(pk=project_id).first() if project_id is not None else None
    if project is None:
        raise ValidationError(fields={"project": [_("Choose a project.")]})
    reporter = (
        User.objects.filter(organisation=project.organisation, role=Role.CUSTOMER, is_active=True)
        .order_by("id")
        .first()
    )
    if reporter is None:
        raise ValidationError(fields={"project": [_("The project's organisation has no users.")]})
    if not name.strip():
        raise ValidationError(fields={"name": [_("This field is required.")]})
    token = secrets.token_urlsafe(32)
    secret, stored = signing.new_secret() if signed else (None, "")
    source = AlertSource.objects.create(
        name=name.strip()[:100],
        project=project,
        reporter=reporter,
        token_hash=token_hash(token),
        signing_secret=stored,
        created_at=now or clock.now(),
    )
    return source, token, secret


def source_for_token(token: str) -> AlertSource | None:
    return (
        AlertSource.objects.select_related("project", "reporter")
        .filter(token_hash=token_hash(token), is_active=True)
        .first()
    )


@dataclass(frozen=True)
class Incoming:
    fingerprint: str
    firing: bool
    labels: dict[str, str]
    annotations: dict[str, str]


def fingerprint_of(labels: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:32]


def _title(alert: Incoming) -> str:
    summary = alert.annotations.get("summary") or alert.annotations.get("title")
    if summary:
        return one_line(summary)[:200]  # a title is one line, whatever the monitor sent
    name = alert.labels.get("alertname", _("Monitoring alert"))
    return one_line(f"{name} {alert.labels.get('instance', '')}")[:200]


def _description(alert: Incoming) -> str:
    lines = [alert.annotations.get("description", "")]
    lines += [f"{k}={v}" for k, v in sorted(alert.labels.items())]
    return "\n".join(line for line in lines if line) or _title(alert)


def _in_maintenance(source: AlertSource, now: datetime) -> bool:
    return windows.source_in_maintenance(source.pk, now)


@transaction.atomic
def alert_receive(*, source: AlertSource, alert: Incoming, now: datetime | None = None) -> Alert:
    """Record one alert: raise, repeat on, resolve, or silence an incident."""
    now = now or clock.now()
    open_alert = (
        Alert.objects.select_for_update()
        .filter(source=source, fingerprint=alert.fingerprint, ticket__status__in=OPEN_STATUSES)
        .order_by("-last_seen_at")
        .first()
    )
    if open_alert is not None:
        return _repeat(open_alert, alert, now)
    state = Alert.State.FIRING if alert.firing else Alert.State.RESOLVED
    if _in_maintenance(source, now):
        state = Alert.State.SILENCED
    record = Alert.objects.create(
        source=source,
        fingerprint=alert.fingerprint,
        state=state,
        labels=alert.labels,
        annotations=alert.annotations,
        first_seen_at=now,
        last_seen_at=now,
    )
    if state == Alert.State.FIRING:
        record.ticket = raise_incident(source, alert, now)
        record.save(update_fields=["ticket"])
    return record


@transaction.atomic
def alert_receive_many(
    *, source: AlertSource, alerts: list[Incoming], now: datetime | None = None
) -> list[Alert]:
    """Record a batch (Alertmanager's webhook) all or none: a failure half-way (the database
    gone) saves nothing, so the sender's retry records each alert once."""
    now = now or clock.now()
    return [alert_receive(source=source, alert=alert, now=now) for alert in alerts]


def raise_incident(
    source: AlertSource, alert: Incoming, now: datetime, actor: User | None = None
) -> Ticket:
    """The incident an alert raises: by the monitoring account, or by the agent who triaged
    an alert that had none (``triage.alert_raise``)."""
    raw = alert.labels.get(source.severity_label, "").lower()
    severity = source.severity_map.get(raw, source.default_severity)
    return tickets.ticket_register(
        actor=actor or monitoring_user(),
        project_id=source.project_id,
        product_id=None,
        title=_title(alert),
        description=_description(alert),
        urgency=URGENCY_OF.get(severity, "high"),
        service_type="incident",
        channel=Channel.ALERT,
        reporter_id=source.reporter_id,
        now=now,
    )


def _repeat(record: Alert, alert: Incoming, now: datetime) -> Alert:
    ticket = workflow.lock_visible(record.ticket_id or 0, monitoring_user())
    if alert.firing:
        record.fired_count += 1
        record.state = Alert.State.FIRING
        action, data = Action.ALERT_FIRED, {"count": record.fired_count, "title": _title(alert)}
    else:
        record.state = Alert.State.RESOLVED
        action, data = Action.ALERT_RESOLVED, {"title": _title(alert)}
    record.last_seen_at = now
    record.save(update_fields=["fired_count", "state", "last_seen_at"])
    workflow.record(
        ticket=ticket,
        action=action,
        actor=None,
        channel=Channel.ALERT,
        now=now,
        status_before=ticket.status,
        data=data,
    )
    return record


# --- payloads --------------------------------------------------------------------------------
def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k)[:100]: str(v)[:2000] for k, v in value.items()}


def from_alertmanager(payload: Any) -> list[Incoming]:
    """Alertmanager's webhook JSON (version 4): one Incoming per alert."""
    if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
        raise ValidationError(fields={"alerts": [_("Expected Alertmanager's webhook JSON.")]})
    result = []
    for item in payload["alerts"][:500]:
        if not isinstance(item, dict):
            raise ValidationError(fields={"alerts": [_("Each alert must be an object.")]})
        labels = _strings(item.get("labels"))
        fingerprint = str(item.get("fingerprint") or "")[:128] or fingerprint_of(labels)
        firing = item.get("status", payload.get("status")) != "resolved"
        result.append(Incoming(fingerprint, firing, labels, _strings(item.get("annotations"))))
    return result


def from_generic(payload: Any) -> Incoming:
    """The simple JSON: {"title", "description", "severity", "status", "fingerprint", "labels"}."""
    if not isinstance(payload, dict) or not str(payload.get("title", "")).strip():
        raise ValidationError(fields={"title": [_("This field is required.")]})
    status = payload.get("status", "firing")
    if status not in ("firing", "resolved"):
        raise ValidationError(fields={"status": [_("Use firing or resolved.")]})
    labels = _strings(payload.get("labels"))
    if payload.get("severity"):
        labels.setdefault("severity", str(payload["severity"])[:50])
    annotations = {
        "summary": str(payload["title"])[:200],
        "description": str(payload.get("description", ""))[:10000],
    }
    fingerprint = str(payload.get("fingerprint") or "")[:128] or fingerprint_of(
        {**labels, "title": annotations["summary"]}
    )
    return Incoming(fingerprint, status == "firing", labels, annotations)
