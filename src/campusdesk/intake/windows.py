"""Maintenance windows (维护窗口): one rule for alert sources and application systems.

A one-off window is active from ``starts_at`` (inclusive) to ``ends_at`` (exclusive). A
weekly one is active at the same offset into every week after its first occurrence:
``(now − starts_at) mod 7 days < ends_at − starts_at``. China keeps no daylight saving
time, so a week is always 7 × 24 hours in Asia/Shanghai.

A window is written with its times checked by ``changed``: a source's here (administrators,
as on the alert sources' admin page), a system's by ``monitoring.services`` (the vendor's
staff of its project).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from campusdesk.core.errors import PermissionDenied, ValidationError
from campusdesk.intake.models import AlertSource, MaintenanceWindow

if TYPE_CHECKING:
    from collections.abc import Iterable

    from campusdesk.accounts.models import User

WEEK = timedelta(days=7)
#: What a window is written with, beside its owner (a source or a system, never changed).
WRITABLE = ("starts_at", "ends_at", "reason", "weekly")


def is_active(window: MaintenanceWindow, now: datetime) -> bool:
    if now < window.starts_at:
        return False
    if not window.weekly:
        return now < window.ends_at
    return (now - window.starts_at) % WEEK < window.ends_at - window.starts_at


def _candidates(windows: QuerySet[MaintenanceWindow], now: datetime) -> QuerySet[MaintenanceWindow]:
    """The windows that may be active at ``now`` (weekly ones are decided in Python)."""
    return windows.filter(starts_at__lte=now).filter(Q(weekly=True) | Q(ends_at__gt=now))


def any_active(windows: Iterable[MaintenanceWindow], now: datetime) -> bool:
    return any(is_active(window, now) for window in windows)


def source_in_maintenance(source_id: int, now: datetime) -> bool:
    windows = _candidates(MaintenanceWindow.objects.filter(source_id=source_id), now)
    return any_active(windows, now)


def system_in_maintenance(system_id: int, now: datetime) -> bool:
    windows = _candidates(MaintenanceWindow.objects.filter(system_id=system_id), now)
    return any_active(windows, now)


def systems_in_maintenance(system_ids: Iterable[int], now: datetime) -> set[int]:
    """Which of ``system_ids`` are in a maintenance window at ``now`` (one query)."""
    windows = _candidates(MaintenanceWindow.objects.filter(system_id__in=list(system_ids)), now)
    return {w.system_id for w in windows if w.system_id is not None and is_active(w, now)}


def next_occurrence(window: MaintenanceWindow, now: datetime) -> tuple[datetime, datetime] | None:
    """The current or next (start, end) of ``window`` from ``now``, or None when past."""
    length = window.ends_at - window.starts_at
    if not window.weekly:
        return (window.starts_at, window.ends_at) if window.ends_at > now else None
    if now < window.starts_at:
        return window.starts_at, window.ends_at
    weeks = (now - window.starts_at) // WEEK
    start = window.starts_at + weeks * WEEK
    if start + length <= now:
        start += WEEK
    return start, start + length


def validate(
    starts_at: datetime | None, ends_at: datetime | None, weekly: bool
) -> tuple[datetime, datetime]:
    """A window ends after it starts; a weekly one lasts less than a week: its two ends."""
    if starts_at is None or ends_at is None:
        raise ValidationError(
            fields={"ends_at" if starts_at else "starts_at": [_("This field is required.")]}
        )
    if ends_at <= starts_at:
        raise ValidationError(fields={"ends_at": [_("The window must end after it starts.")]})
    if weekly and ends_at - starts_at >= WEEK:
        raise ValidationError(
            fields={"ends_at": [_("A weekly window must be shorter than a week.")]}
        )
    return starts_at, ends_at


def reason_checked(reason: str | None) -> str:
    """A window's reason (shown on the status page): one line, at most 200 characters."""
    text = (reason or "").strip()
    if any(ord(c) < 32 for c in text):
        raise ValidationError(fields={"reason": [_("Control characters are not allowed.")]})
    return text[:200]


def changed(window: MaintenanceWindow, data: dict[str, Any]) -> dict[str, Any]:
    """The window's times, reason and weekly flag with those in ``data`` (any of them), checked
    together as a new window's are."""
    values = {name: data.get(name, getattr(window, name)) for name in WRITABLE}
    values["weekly"] = bool(values["weekly"])
    values["starts_at"], values["ends_at"] = validate(
        values["starts_at"], values["ends_at"], values["weekly"]
    )
    values["reason"] = reason_checked(values["reason"])
    return values


# --- the windows of alert sources (administrators, as on the alert sources' admin page) ----
def _administrator(actor: User) -> None:
    if not actor.is_administrator:
        raise PermissionDenied(_("Only administrators plan the maintenance of alert sources."))


@transaction.atomic
def source_window_create(
    *, actor: User, source_id: int, starts_at: datetime | None, ends_at: datetime | None,
    reason: str, weekly: bool,
) -> MaintenanceWindow:  # fmt: skip
    """A maintenance window of an alert source: its alerts are recorded and silenced."""
    _administrator(actor)
    source = AlertSource.objects.filter(pk=source_id).first()
    if source is None:
        raise ValidationError(fields={"source": [_("Choose an alert source.")]})
    given = {"starts_at": starts_at, "ends_at": ends_at, "reason": reason, "weekly": weekly}
    return MaintenanceWindow.objects.create(
        source=source, **changed(MaintenanceWindow(source=source), given)
    )


@transaction.atomic
def source_window_update(
    *, actor: User, window: MaintenanceWindow, data: dict[str, Any]
) -> MaintenanceWindow:
    """Change the given times, reason or weekly flag of a source's window."""
    _administrator(actor)
    values = changed(window, data)
    for name, value in values.items():
        setattr(window, name, value)
    window.save(update_fields=list(values))
    return window


@transaction.atomic
def source_window_delete(*, actor: User, window: MaintenanceWindow) -> None:
    _administrator(actor)
    window.delete()
