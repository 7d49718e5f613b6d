"""What the probes write on an incident's timeline, declared like every ticket action
(``tickets.actions``); registered when the app is ready: tickets does not import monitoring."""

from __future__ import annotations

from django.utils.translation import gettext as _

from campusdesk.tickets.actions import ActionSpec, Notice, register
from campusdesk.tickets.presenters import when_label
from campusdesk.tickets.workflow import Action


def declare() -> None:
    register(
        ActionSpec(
            Action.PROBE_RECOVERED,
            notice=Notice("record", ("current_tier", "reporter")),
            summary=lambda d: (
                _(
                    "The probes find the system up again after %(duration)s (down since "
                    "%(since)s). Handler: please confirm the cause; the customer confirms "
                    "and closes."
                )
                % {"duration": d.get("duration", ""), "since": when_label(d.get("since"))}
            ),
        )
    )
    register(
        ActionSpec(
            Action.PROBE_FLAPPED,
            summary=lambda d: (
                _(
                    "The probes find the system down again soon after it came back "
                    "(%(flaps)s times): the same outage."
                )
                % {"flaps": d.get("flaps", "")}
            ),
        )
    )
    register(
        ActionSpec(
            Action.CERT_WARNING,
            notice=Notice("record", ("current_tier",)),
            summary=lambda d: (
                _("The certificate of %(target)s expires on %(when)s.")
                % {"target": d.get("target", ""), "when": when_label(d.get("expires_at"))}
            ),
        )
    )
