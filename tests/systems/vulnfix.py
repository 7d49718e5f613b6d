"""Shared helpers of the vulnerability tests: systems with an environment, entries."""

from __future__ import annotations

from typing import Any

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.systems import services, vulns
from campusdesk.systems.models import ApplicationSystem, Vulnerability


def environment(**components: str) -> dict[str, Any]:
    return {
        "os": {"name": "CentOS", "version": "7.9.2009"},
        "components": [
            {"kind": "middleware", "name": name.replace("_", " "), "version": version}
            for name, version in components.items()
        ],
    }


def system_with(actor: User, project: Project, name: str, **components: str) -> ApplicationSystem:
    system = services.system_create(actor=actor, project=project, name=name)
    services.environment_change(
        system_id=system.pk, actor=actor, data=environment(**components), reason="登记"
    )
    system.refresh_from_db()
    return system


def upgrade(
    system: ApplicationSystem, actor: User, reason: str = "升级", **components: str
) -> None:
    services.environment_change(
        system_id=system.pk, actor=actor, data=environment(**components), reason=reason
    )


def entry(actor: User, **fields: Any) -> Vulnerability:
    values = {
        "identifier": "CVE-2024-24989",
        "title": "nginx HTTP/3 QUIC 空指针",
        "cvss_score": "7.5",
        "component": "nginx",
        "affected": "<1.25.4",
        "fixed_version": "1.25.4",
        "references": ["https://nginx.org/en/security_advisories.html"],
        **fields,
    }
    return vulns.vulnerability_create(actor=actor, **values)
