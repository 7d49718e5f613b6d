"""消息设置 as data: the matrix of message types × a person's channels, and quiet hours.

The settings page and ``/api/v1/me/notification-settings/`` read the same rows
(``preference_rows``) and write through the same functions (``inbox.preference_set`` for
each type, ``quiet_hours_set``). A mandatory type keeps the inbox (``MANDATORY``): the page
shows that box ticked and disabled, the API refuses to switch it off.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import time
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from campusdesk.accounts.models import User
from campusdesk.core.errors import ValidationError
from campusdesk.notify.inbox import default_channels, preference_set
from campusdesk.notify.models import MANDATORY, Kind, Preference, QuietHours

#: The channels a person chooses per message type (group robots are set up per project).
CHANNELS = ("inbox", "email")


def preference_rows(user: User) -> list[dict[str, Any]]:
    """One row per message type: its label, whether it is mandatory, and its channels as the
    settings page shows them (a type never chosen: the default of the user's role,
    ``inbox.default_channels``)."""
    prefs = {p.kind: p for p in Preference.objects.filter(user=user)}
    rows = []
    for kind in Kind:
        pref = prefs.get(kind)
        default = default_channels(user, kind)
        channels = {
            channel: bool(getattr(pref, channel)) if pref else channel in default
            for channel in CHANNELS
        }
        if kind in MANDATORY:
            channels["inbox"] = True
        rows.append(
            {"kind": kind.value, "label": str(kind.label), "mandatory": kind in MANDATORY}
            | {"channels": channels}
        )
    return rows


def _refuse(field: str, message: str) -> ValidationError:
    return ValidationError(message, fields={field: [message]})


def _checked(
    kind: str, channels: Mapping[str, bool], complete: bool, seen: set[str]
) -> dict[str, bool]:
    if kind not in Kind.values:
        raise _refuse(
            "kind",
            _("Unknown message type: %(kind)s. Choose one of: %(choices)s.")
            % {"kind": kind, "choices": ", ".join(Kind.values)},
        )
    label = str(Kind(kind).label)
    if kind in seen:
        raise _refuse("kind", _("“%(type)s” is given twice.") % {"type": label})
    unknown = sorted(set(channels) - set(CHANNELS))
    if unknown:
        raise _refuse(
            "channels",
            _("Unknown channel: %(channel)s. Choose one of: %(choices)s.")
            % {"channel": unknown[0], "choices": ", ".join(CHANNELS)},
        )
    if complete and set(channels) != set(CHANNELS):
        raise _refuse(
            "channels",
            _("Give every channel of “%(type)s”: %(choices)s.")
            % {"type": label, "choices": ", ".join(CHANNELS)},
        )
    if kind in MANDATORY and channels.get("inbox") is False:
        raise _refuse(
            "channels", _("“%(type)s” always reaches the in-app inbox.") % {"type": label}
        )
    return dict(channels)


@transaction.atomic
def preferences_set(
    *, user: User, rows: Iterable[tuple[str, Mapping[str, bool]]], complete: bool
) -> list[dict[str, Any]]:
    """Choose the channels of several message types at once and answer the whole matrix.

    ``complete`` (a PUT): every type with every channel must be given. Otherwise the given
    channels of the given types change and the rest stay. Everything is checked before
    anything is written, so a refused request changes nothing.
    """
    current = {row["kind"]: row["channels"] for row in preference_rows(user)}
    wanted: dict[str, dict[str, bool]] = {}
    for kind, channels in rows:
        given = _checked(kind, channels, complete, set(wanted))
        wanted[kind] = current[kind] | given
    missing = [kind for kind in Kind.values if kind not in wanted]
    if complete and missing:
        raise _refuse(
            "kind",
            _("Give every message type; missing: %(kinds)s.") % {"kinds": ", ".join(missing)},
        )
    for kind, channels in wanted.items():
        if channels != current[kind]:
            preference_set(user=user, kind=kind, inbox=channels["inbox"], email=channels["email"])
    return preference_rows(user)


def quiet_hours_of(user: User) -> QuietHours:
    """The user's quiet hours, or the defaults (not saved) when never set."""
    return QuietHours.objects.filter(user=user).first() or QuietHours(user=user)


def quiet_hours_set(
    *, user: User, enabled: bool, digest: bool, start: time, end: time
) -> QuietHours:
    """When non-urgent e-mails wait (免打扰), and whether they come as one daily digest."""
    quiet, _created = QuietHours.objects.update_or_create(
        user=user,
        defaults={"enabled": enabled, "digest": digest, "start": start, "end": end},
    )
    return quiet
