"""Shared helpers of the change and document tests: a system with an environment, a change
planned or approved."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.systems import changes, services
from campusdesk.systems.models import ApplicationSystem, Change

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.get_fixed_timezone(0))
V1 = {
    "os": {"name": "CentOS", "version": "7.9.2009"},
    "components": [
        {"kind": "middleware", "name": "nginx", "version": "1.24.0"},
        {"kind": "middleware", "name": "Apache Tomcat", "version": "9.0.83"},
    ],
    "ports": [{"port": 443, "protocol": "tcp", "service": "https", "exposure": "internet"}],
}


def registered(engineer: User, project: Project) -> ApplicationSystem:
    """研究生管理系统 with its first environment version."""
    system = services.system_create(actor=engineer, project=project, name="研究生管理系统")
    services.environment_change(system_id=system.pk, actor=engineer, data=V1, reason="登记")
    system.refresh_from_db()
    return system


def plan(system: ApplicationSystem, actor: User, **fields: Any) -> Change:
    values: dict[str, Any] = {
        "kind": "upgrade",
        "title": "nginx 升级到 1.25.5",
        "window_start": NOW + timedelta(days=1),
        "window_end": NOW + timedelta(days=1, hours=2),
        "risk": "medium",
        "rollback_plan": "恢复 1.24.0 的软件包与配置",
        "targets": [{"name": "nginx", "version": "1.25.5"}],
        **fields,
    }
    return changes.change_plan(system_id=system.pk, actor=actor, now=NOW, **values)


def approved(system: ApplicationSystem, people: dict[str, User], **fields: Any) -> Change:
    change = plan(system, people["engineer"], **fields)
    return changes.change_approve(change, people["manager"], now=NOW)
