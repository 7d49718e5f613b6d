"""A system's environment as data: the one accepted shape, and the diff of two versions.

``normalise`` turns what a person or an integration sends into the stored shape (or
refuses it with a message per field); ``diff`` compares two stored shapes field by field:
``[{"field": "components.nginx.version", "before": "1.24.0", "after": "1.25.3"}, …]``.
Components are keyed by their folded name, ports by ``<port>/<protocol>``.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from campusdesk.core.errors import ValidationError
from campusdesk.core.text import has_control
from campusdesk.systems.models import ComponentKind

EXPOSURES = ("intranet", "internet")
PROTOCOLS = ("tcp", "udp")
TEXTS = ("deployment", "backup", "notes")
#: the component kinds a person lists (the operating system is ``os``, not a component)
KINDS = tuple(kind for kind in ComponentKind.values if kind != ComponentKind.OS)
_FOLD = re.compile(r"[\s_]+")


def fold(name: str) -> str:
    """The matching key of a component name: ``Apache Tomcat`` → ``apache-tomcat``."""
    return _FOLD.sub("-", name.strip().lower())


def normalise(raw: Any) -> dict[str, Any]:
    """The stored shape of ``raw``; ``ValidationError`` with per-field messages if not valid."""
    errors: dict[str, list[Any]] = {}
    if not isinstance(raw, dict):
        raise ValidationError(_("The environment must be an object."))
    data = {
        "os": _os(raw.get("os"), errors),
        "components": _components(raw.get("components"), errors),
        "ports": _ports(raw.get("ports"), errors),
    }
    for name in TEXTS:
        value = raw.get(name) or ""
        if not isinstance(value, str):
            errors.setdefault(name, []).append(_("Write this as text."))
            value = ""
        elif has_control(value.replace("\n", "").replace("\r", "").replace("\t", "")):
            errors.setdefault(name, []).append(_("Remove the control characters from this text."))
            value = ""
        data[name] = value.strip()
    if errors:
        raise ValidationError(
            _("The environment is not valid: %(fields)s.")
            % {"fields": "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in errors.items())},
            fields=errors,
        )
    return data


def _line(value: Any, field: str, errors: dict[str, list[Any]], *, required: bool) -> str:
    if value is None:
        value = ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or has_control(value):
        errors.setdefault(field, []).append(_("Write this as one line of text."))
        return ""
    value = value.strip()
    if required and not value:
        errors.setdefault(field, []).append(_("This field is required."))
    elif len(value) > 100 and field.endswith("version"):
        errors.setdefault(field, []).append(_("At most 100 characters."))
    elif len(value) > 200:
        errors.setdefault(field, []).append(_("At most 200 characters."))
    return str(value)


def _os(raw: Any, errors: dict[str, list[Any]]) -> dict[str, str]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        errors.setdefault("os", []).append(_("Give the operating system as name and version."))
        return {"name": "", "version": ""}
    name = _line(raw.get("name"), "os.name", errors, required=False)
    version = _line(raw.get("version"), "os.version", errors, required=bool(name))
    return {"name": name, "version": version}


def _components(raw: Any, errors: dict[str, list[Any]]) -> list[dict[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors.setdefault("components", []).append(_("Give the components as a list."))
        return []
    seen: set[str] = set()
    out = []
    for index, item in enumerate(raw):
        field = f"components[{index}]"
        if not isinstance(item, dict):
            errors.setdefault(field, []).append(_("Give each component as kind, name and version."))
            continue
        kind = item.get("kind") or "application"
        if kind not in KINDS:
            errors.setdefault(f"{field}.kind", []).append(
                _("Choose one of: %(kinds)s.") % {"kinds": ", ".join(KINDS)}
            )
        name = _line(item.get("name"), f"{field}.name", errors, required=True)
        version = _line(item.get("version"), f"{field}.version", errors, required=True)
        if name and fold(name) in seen:
            errors.setdefault(f"{field}.name", []).append(
                _("%(name)s is listed twice.") % {"name": name}
            )
        seen.add(fold(name))
        out.append({"kind": str(kind), "name": name, "version": version})
    return sorted(out, key=lambda c: fold(c["name"]))


def _ports(raw: Any, errors: dict[str, list[Any]]) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors.setdefault("ports", []).append(_("Give the open ports as a list."))
        return []
    seen: set[tuple[int, str]] = set()
    out = []
    for index, item in enumerate(raw):
        field = f"ports[{index}]"
        if not isinstance(item, dict):
            errors.setdefault(field, []).append(_("Give each port as port, protocol and service."))
            continue
        port = item.get("port")
        if isinstance(port, str) and port.strip().isdigit():
            port = int(port)
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            errors.setdefault(f"{field}.port", []).append(_("A port is a number from 1 to 65535."))
            continue
        protocol = str(item.get("protocol") or "tcp").lower()
        if protocol not in PROTOCOLS:
            errors.setdefault(f"{field}.protocol", []).append(_("Choose tcp or udp."))
        exposure = str(item.get("exposure") or "intranet")
        if exposure not in EXPOSURES:
            errors.setdefault(f"{field}.exposure", []).append(_("Choose intranet or internet."))
        if (port, protocol) in seen:
            errors.setdefault(f"{field}.port", []).append(
                _("Port %(port)s/%(protocol)s is listed twice.")
                % {"port": port, "protocol": protocol}
            )
        seen.add((port, protocol))
        service = _line(item.get("service"), f"{field}.service", errors, required=False)
        out.append({"port": port, "protocol": protocol, "service": service, "exposure": exposure})
    return sorted(out, key=lambda p: (p["port"], p["protocol"]))


def components_of(data: dict[str, Any]) -> list[dict[str, str]]:
    """The components to match vulnerabilities against: the listed ones and the OS."""
    rows = [dict(c) for c in data.get("components", [])]
    os = data.get("os") or {}
    if os.get("name"):
        rows.append({"kind": ComponentKind.OS, "name": os["name"], "version": os["version"]})
    return rows


def _flat(data: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    os = data.get("os") or {}
    flat["os.name"], flat["os.version"] = os.get("name", ""), os.get("version", "")
    for component in data.get("components", []):
        key = fold(component["name"])
        flat[f"components.{key}.version"] = component["version"]
        flat[f"components.{key}.kind"] = component["kind"]
    for port in data.get("ports", []):
        key = f"{port['port']}/{port['protocol']}"
        flat[f"ports.{key}.service"] = port["service"]
        flat[f"ports.{key}.exposure"] = port["exposure"]
    for name in TEXTS:
        flat[name] = data.get(name, "")
    return flat


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Field by field what changed from ``before`` to ``after`` (a missing field is None)."""
    old, new = _flat(before), _flat(after)
    fields = [*old, *(key for key in new if key not in old)]
    return [
        {"field": field, "before": old.get(field), "after": new.get(field)}
        for field in fields
        if old.get(field) != new.get(field)
    ]
