"""Planned changes: plan, approval by the service manager only, outcome; a change done
writes the next environment version with the change as its reason, a change rolled back
or failed writes none; wrong states, bad input, and a completed change closing a finding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core.errors import NotFound, PermissionDenied, TransitionError, ValidationError
from campusdesk.systems import changes, environment, services, vulns
from campusdesk.systems.models import ApplicationSystem, Change, Finding, SystemEvent
from tests.systems.changefix import NOW, V1, approved, plan, registered


@pytest.fixture
def system(people: dict[str, User], project: Project) -> ApplicationSystem:
    return registered(people["engineer"], project)


def test_plan_approve_done_writes_the_next_version_with_the_change_as_reason(system, people):
    change = plan(system, people["engineer"])
    assert change.status == "planned" and change.requested_by == people["engineer"]
    with pytest.raises(PermissionDenied):
        changes.change_approve(change, people["engineer"], now=NOW)
    change = changes.change_approve(change, people["manager"], now=NOW)
    assert (change.status, change.approved_by) == ("approved", people["manager"])

    with time_machine.travel(NOW + timedelta(days=1, hours=1), tick=False):
        done = changes.change_complete(change, people["engineer"], "done", "顺利完成")
    system.refresh_from_db()
    version = system.current_environment
    assert version.number == 2 and version.change_id == change.pk
    assert f"#{change.pk}" in version.reason and change.title in version.reason
    before = system.environments.get(number=1)
    assert environment.diff(before.data, version.data) == [
        {"field": "components.nginx.version", "before": "1.24.0", "after": "1.25.5"}
    ]
    assert (done.status, done.completed_by, done.notes) == ("done", people["engineer"], "顺利完成")
    assert changes.change_for(people["engineer"], change.pk).environment_number == 2
    events = SystemEvent.objects.filter(system=system).order_by("id")
    actions = list(events.values_list("action", flat=True))
    assert actions[-4:] == [
        "change.planned",
        "change.approved",
        "environment.changed",
        "change.completed",
    ]


@pytest.mark.parametrize("outcome", ["rolled_back", "failed"])
def test_rolled_back_or_failed_writes_no_version_and_needs_notes(system, people, outcome):
    change = approved(system, people)
    with pytest.raises(ValidationError) as error:
        changes.change_complete(change, people["engineer"], outcome, "  ", now=NOW)
    assert "notes" in error.value.fields
    change.refresh_from_db()
    assert change.status == "approved"  # nothing lost: it can still be completed
    done = changes.change_complete(change, people["engineer"], outcome, "回退到原版本", now=NOW)
    assert done.status == outcome
    assert system.environments.count() == 1
    assert changes.change_for(people["engineer"], change.pk).environment_number is None


def test_wrong_state_is_a_conflict(system, people):
    change = plan(system, people["engineer"])
    with pytest.raises(TransitionError):
        changes.change_complete(change, people["engineer"], "done", "", now=NOW)
    change = changes.change_approve(change, people["manager"], now=NOW)
    with pytest.raises(TransitionError):
        changes.change_approve(change, people["manager"], now=NOW)
    changes.change_complete(change, people["engineer"], "failed", "端口冲突", now=NOW)
    for action in (
        lambda: changes.change_complete(change, people["engineer"], "done", "", now=NOW),
        lambda: changes.change_cancel(change, people["engineer"], "不做了", now=NOW),
    ):
        with pytest.raises(TransitionError, match="Failed|失败"):
            action()


def test_who_may_do_what(system, people, customer, outsider):
    with pytest.raises(PermissionDenied):
        plan(system, customer)  # customers read their systems' changes, no more
    with pytest.raises(NotFound):
        plan(system, outsider)
    change = plan(system, people["engineer"])
    for person in ("engineer", "ops", "expert2", "user"):
        assert not changes.allowed("approve", change, people[person])
        with pytest.raises(PermissionDenied):
            changes.change_approve(change, people[person], now=NOW)
    assert changes.allowed("approve", change, people["manager"])
    assert changes.allowed("approve", change, people["admin"])
    assert changes.allowed("cancel", change, people["engineer"])
    assert not changes.allowed("cancel", change, customer)
    with pytest.raises(NotFound):
        changes.change_for(outsider, change.pk)
    changes.change_approve(change, people["manager"], now=NOW)
    change.refresh_from_db()
    with pytest.raises(PermissionDenied):
        changes.change_complete(change, customer, "done", "", now=NOW)


def test_a_new_component_needs_its_kind_and_the_os_can_be_a_target(system, people):
    with pytest.raises(ValidationError) as error:
        plan(system, people["engineer"], targets=[{"name": "Redis", "version": "7.2.4"}])
    assert "targets[0].kind" in error.value.fields
    change = approved(
        system,
        people,
        targets=[
            {"name": "Redis", "version": "7.2.4", "kind": "database"},
            {"name": "centos", "version": "7.9.2207"},
            {"name": "Apache_Tomcat", "version": "9.0.85"},
        ],
    )
    changes.change_complete(change, people["engineer"], "done", "", now=NOW)
    system.refresh_from_db()
    data = system.current_environment.data
    assert data["os"] == {"name": "CentOS", "version": "7.9.2207"}
    versions = {c["name"]: (c["kind"], c["version"]) for c in data["components"]}
    assert versions["Redis"] == ("database", "7.2.4")
    assert versions["Apache Tomcat"] == ("middleware", "9.0.85")  # its own name kept


def test_a_configuration_change_without_targets_writes_no_version(system, people):
    change = approved(system, people, kind="config", title="系统服务临时启停", targets=[])
    done = changes.change_complete(change, people["engineer"], "done", "已恢复服务", now=NOW)
    assert done.status == "done" and system.environments.count() == 1


def test_versions_recorded_by_hand_before_completion_are_not_a_failure(system, people):
    change = approved(system, people)
    data = {**V1, "components": [{**V1["components"][0], "version": "1.25.5"}]}
    data["components"].append(V1["components"][1])
    services.environment_change(
        system_id=system.pk, actor=people["engineer"], data=data, reason="手工登记"
    )
    done = changes.change_complete(change, people["engineer"], "done", "", now=NOW)
    assert done.status == "done" and system.environments.count() == 2


def test_cancel_needs_a_reason(system, people):
    change = plan(system, people["engineer"])
    with pytest.raises(ValidationError):
        changes.change_cancel(change, people["engineer"], "", now=NOW)
    done = changes.change_cancel(change, people["engineer"], "窗口取消", now=NOW)
    assert done.status == "cancelled" and not done.is_pending


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"window_end": NOW}, "window_end"),  # before the start
        ({"window_end": NOW + timedelta(days=1)}, "window_end"),  # no length
        ({"window_start": datetime(2026, 3, 3, 10, 0)}, "window_start"),  # noqa: DTZ001 - naive
        ({"window_end": datetime(9999, 12, 31, 23, tzinfo=UTC)}, "window_end"),
        ({"kind": "reboot"}, "kind"),
        ({"risk": "extreme"}, "risk"),
        ({"title": "a\nb"}, "title"),
        ({"title": " "}, "title"),
        ({"rollback_plan": ""}, "rollback_plan"),
        ({"targets": []}, "targets"),
        ({"targets": "nginx 1.25.5"}, "targets"),
        ({"targets": [{"name": "nginx"}]}, "targets[0].version"),
        ({"targets": [{"name": "nginx", "version": "1.25\nrm -rf"}]}, "targets[0].version"),
        ({"targets": [{"name": "nginx", "version": "1"}] * 2}, "targets[1].name"),
        ({"targets": [{"name": "x", "version": "1", "kind": "os"}]}, "targets[0].kind"),
        ({"out_of_scope": True}, "workload_hours"),
        ({"workload_hours": "-3"}, "workload_hours"),
        ({"workload_hours": "abc"}, "workload_hours"),
    ],
)
def test_bad_input_is_refused_with_the_field(system, people, fields, field):
    with pytest.raises(ValidationError) as error:
        plan(system, people["engineer"], **fields)
    assert field in error.value.fields
    assert not Change.objects.exists()


def test_out_of_scope_is_flagged_with_its_workload(system, people):
    change = plan(system, people["engineer"], out_of_scope=True, workload_hours="6.5")
    assert change.out_of_scope and change.workload_hours == Decimal("6.5")


def test_a_completed_change_closes_the_finding(system, people):
    vulnerability = vulns.vulnerability_create(
        actor=people["engineer"],
        identifier="CVE-2024-24989",
        title="nginx HTTP/3 QUIC 空指针",
        cvss_score="7.5",
        component="nginx",
        affected="<1.25.4",
        fixed_version="1.25.4",
    )
    finding = Finding.objects.get(system=system, vulnerability=vulnerability)
    assert finding.status == "open"
    change = approved(system, people)
    changes.change_complete(change, people["engineer"], "done", "", now=NOW)
    finding.refresh_from_db()
    assert finding.status == "fixed" and finding.closed_at is not None
    assert finding.change == change  # the finding names the change that fixed it
    assert "1.25.5" in finding.reason
