"""Environment versions: history never overwritten, a reason always, no empty change, the
field-by-field diff, and who may write."""

from __future__ import annotations

import pytest

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core.errors import NotFound, PermissionDenied, ValidationError
from campusdesk.systems import environment, services
from campusdesk.systems.models import ApplicationSystem, InstalledComponent, SystemEvent

V1 = {
    "os": {"name": "CentOS", "version": "7.9.2009"},
    "components": [
        {"kind": "middleware", "name": "nginx", "version": "1.24.0"},
        {"kind": "runtime", "name": "JDK", "version": "1.8.0_392"},
        {"kind": "database", "name": "MySQL", "version": "5.7.44-log"},
    ],
    "ports": [{"port": 443, "protocol": "tcp", "service": "https", "exposure": "internet"}],
    "notes": "双机部署",
}


@pytest.fixture
def system(people: dict[str, User], project: Project) -> ApplicationSystem:
    return services.system_create(
        actor=people["engineer"], project=project, name="研究生管理系统", importance="core"
    )


def _v2() -> dict:
    data = {**V1, "components": [dict(c) for c in V1["components"]]}
    data["components"][0]["version"] = "1.25.3"
    data["ports"] = [*V1["ports"], {"port": 8080, "protocol": "tcp", "service": "tomcat"}]
    return data


def test_versions_are_numbered_kept_and_diffed(system, people):
    engineer = people["engineer"]
    v1 = services.environment_change(
        system_id=system.pk, actor=engineer, data=V1, reason="初次登记"
    )
    v2 = services.environment_change(
        system_id=system.pk, actor=engineer, data=_v2(), reason="升级 nginx"
    )
    system.refresh_from_db()
    assert (v1.number, v2.number) == (1, 2)
    assert system.current_environment_id == v2.pk
    v1.refresh_from_db()
    assert v1.data["components"][2]["version"] == "1.24.0"  # never overwritten
    changes = environment.diff(v1.data, v2.data)
    assert {"field": "components.nginx.version", "before": "1.24.0", "after": "1.25.3"} in changes
    assert {"field": "ports.8080/tcp.service", "before": None, "after": "tomcat"} in changes
    assert all(c["field"] != "os.version" for c in changes)
    # the components of each version are rows, the OS among them
    names = set(InstalledComponent.objects.filter(environment=v2).values_list("key", "version"))
    assert ("nginx", "1.25.3") in names and ("centos", "7.9.2009") in names
    assert list(
        SystemEvent.objects.filter(system=system, action="environment.changed").values_list(
            "data__number", flat=True
        )
    ) == [1, 2]


def test_a_change_without_reason_or_without_difference_is_refused(system, people):
    engineer = people["engineer"]
    with pytest.raises(ValidationError):
        services.environment_change(system_id=system.pk, actor=engineer, data=V1, reason=" ")
    services.environment_change(system_id=system.pk, actor=engineer, data=V1, reason="登记")
    with pytest.raises(ValidationError, match="1"):
        services.environment_change(system_id=system.pk, actor=engineer, data=V1, reason="再次")
    assert system.environments.count() == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"components": [{"kind": "middleware", "name": "nginx"}]},
        {"components": [{"kind": "gadget", "name": "x", "version": "1"}]},
        {"components": "nginx 1.24"},
        {"ports": [{"port": 70000}]},
        {"ports": [{"port": 80, "exposure": "everywhere"}]},
        {"components": [{"name": "a", "version": "1"}, {"name": "A", "version": "2"}]},
        {"os": {"name": "Debian\nBcc: x", "version": "12"}},
        {"notes": "bad\x00byte"},  # PostgreSQL refuses NUL in text: a field error, not a 500
    ],
)
def test_bad_environments_are_refused_with_the_field(system, people, bad):
    with pytest.raises(ValidationError) as caught:
        services.environment_change(
            system_id=system.pk, actor=people["engineer"], data=bad, reason="试"
        )
    assert caught.value.fields
    assert system.environments.count() == 0


def test_customers_read_and_other_organisations_do_not_see(system, customer, outsider):
    with pytest.raises(PermissionDenied):
        services.environment_change(system_id=system.pk, actor=customer, data=V1, reason="x")
    with pytest.raises(NotFound):
        services.environment_change(system_id=system.pk, actor=outsider, data=V1, reason="x")
    with pytest.raises(PermissionDenied):
        services.system_update(system_id=system.pk, actor=customer, notes="x")
