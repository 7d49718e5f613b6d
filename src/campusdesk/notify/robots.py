"""Group robots (群机器人) of WeCom, DingTalk and Feishu: administrators add, change and
remove them through ``/api/v1/robots/`` with the checks of the admin's 群机器人 page (one
line names, known platforms and message types, the guarded URL).

A robot's webhook URL carries its credential (WeCom's ``key``, DingTalk's
``access_token``, Feishu's hook id) and its signing secret is one: neither is shown again
once stored, only a hint (``url_hint``, ``secret_hint``). The URL must lead where outgoing
requests may go (``core.outbound``), as the admin's form checks it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils.translation import gettext as _

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core import outbound
from campusdesk.core.errors import PermissionDenied, ValidationError
from campusdesk.core.text import has_control
from campusdesk.notify.models import Kind, RobotChannel

#: What a robot is written with (``secret`` left out of an update keeps the stored one).
FIELDS = ("name", "platform", "webhook_url", "secret", "project", "kinds", "internal", "is_active")
HINT_CHARS = 4


def _hint(text: str) -> str:
    return f"…{text[-HINT_CHARS:]}" if len(text) > HINT_CHARS * 2 else "…"


def url_hint(robot: RobotChannel) -> str:
    """The robot's platform host and the URL's last characters: enough to tell robots apart."""
    parts = urlsplit(robot.webhook_url)
    return f"{parts.scheme}://{parts.hostname or ''}/{_hint(robot.webhook_url)}"


def secret_hint(robot: RobotChannel) -> str:
    """ "" without a secret, else its last characters."""
    return _hint(robot.secret) if robot.secret else ""


def administrator(actor: User) -> None:
    if not actor.is_administrator:
        raise PermissionDenied(_("Only administrators manage group robots."))


def _refuse(field: str, message: str) -> ValidationError:
    return ValidationError(message, fields={field: [message]})


def _one_line(field: str, value: Any, limit: int, required: bool) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise _refuse(field, _("This field is required."))
    if has_control(text):
        raise _refuse(
            field,
            _("Write this on one line, without line breaks, tabs or other control characters."),
        )
    return text[:limit]


def _url(value: Any) -> str:
    url = _one_line("webhook_url", value, 500, required=True)
    try:
        outbound.check_url(url)
    except ValidationError as error:
        raise _refuse("webhook_url", str(error.message)) from error
    return url


def _kinds(value: Any) -> list[str]:
    kinds = list(dict.fromkeys(str(kind) for kind in value or []))
    unknown = [kind for kind in kinds if kind not in Kind.values]
    if unknown:
        raise _refuse(
            "kinds",
            _("Unknown message type: %(kind)s. Choose one of: %(choices)s.")
            % {"kind": unknown[0], "choices": ", ".join(Kind.values)},
        )
    return kinds


def _project(value: Any) -> Project | None:
    if value is None:
        return None
    project = Project.objects.filter(pk=value).first()
    if project is None:
        raise _refuse("project", _("Choose a project."))
    return project


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """The given fields of ``data``, checked: a refused one raises, naming its field."""
    checks: dict[str, Callable[[Any], Any]] = {
        "name": lambda v: _one_line("name", v, 100, required=True),
        "platform": _platform,
        "webhook_url": _url,
        "secret": lambda v: _one_line("secret", v, 200, required=False),
        "project": _project,
        "kinds": _kinds,
        "internal": bool,
        "is_active": bool,
    }
    return {name: checks[name](data[name]) for name in FIELDS if name in data}


def _platform(value: Any) -> str:
    if value not in RobotChannel.Platform.values:
        raise _refuse(
            "platform",
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(RobotChannel.Platform.values)},
        )
    return str(value)


@transaction.atomic
def robot_create(*, actor: User, data: dict[str, Any]) -> RobotChannel:
    """A new group robot; ``project`` None: it hears every project."""
    administrator(actor)
    robot = RobotChannel(**_clean({"name": "", "platform": "", "webhook_url": "", **data}))
    robot.save()
    return robot


@transaction.atomic
def robot_update(*, actor: User, robot: RobotChannel, data: dict[str, Any]) -> RobotChannel:
    """Change the given fields; a secret left out stays, an empty one is removed."""
    administrator(actor)
    values = _clean(data)
    for name, value in values.items():
        setattr(robot, name, value)
    if values:
        robot.save(update_fields=list(values))
    return robot


@transaction.atomic
def robot_delete(*, actor: User, robot: RobotChannel) -> None:
    """Remove the robot, with its deliveries (as the admin does)."""
    administrator(actor)
    robot.delete()
