"""The demo's application systems: the seed's eleven systems with their own stacks, two
environment versions or more each, a pending patch, a temporary service stop recorded as a
change, and vulnerabilities matched against the installed versions."""

from __future__ import annotations

import pytest

from campusdesk.accounts.demo import UNIV2, XJNU
from campusdesk.site import demo
from campusdesk.systems.models import (
    ApplicationSystem,
    Change,
    EnvironmentVersion,
    Finding,
    TicketSystem,
)

SEED_SYSTEMS = {
    "网上办事服务大厅",
    "校级数据中心",
    "统一身份认证管理系统",
    "学工系统",
    "人事系统",
    "研究生管理系统",
    "科研管理系统",
    "一卡通系统",
    "乐学平台",
    "网络计费系统",
    "网站群管理系统",
}


@pytest.fixture
def loaded(db: None) -> None:
    demo.load()


def _counts() -> tuple[int, ...]:
    return tuple(
        m.objects.count()
        for m in (ApplicationSystem, EnvironmentVersion, Change, Finding, TicketSystem)
    )


def test_the_seed_university_has_its_eleven_systems_with_differing_stacks(loaded: None):
    systems = ApplicationSystem.objects.filter(organisation__name=XJNU)
    assert set(systems.values_list("name", flat=True)) == SEED_SYSTEMS
    stacks = set()
    for system in systems.select_related("current_environment"):
        assert system.environments.count() >= 2
        data = system.current_environment.data
        assert data["os"]["name"] and data["components"] and data["ports"]
        stacks.add((data["os"]["name"], data["os"]["version"]))
    assert len(stacks) >= 5  # CentOS, Kylin, Windows, Ubuntu, RHEL … as the seed says
    assert ApplicationSystem.objects.filter(organisation__name=UNIV2).count() == 1


def test_changes_and_findings_of_the_demo(loaded: None):
    assert Change.objects.filter(kind=Change.Kind.PATCH, status=Change.Status.PLANNED).exists()
    stop = Change.objects.get(title__contains="系统服务临时启停")
    assert (stop.kind, stop.status) == (Change.Kind.CONFIG, Change.Status.DONE)
    # the completed upgrade wrote its version and closed the finding it fixed
    upgrade = Change.objects.get(kind=Change.Kind.UPGRADE, status=Change.Status.DONE)
    assert upgrade.system.current_environment.change == upgrade
    fixed = Finding.objects.get(system=upgrade.system, vulnerability__identifier="CVE-2022-25845")
    assert fixed.status == Finding.Status.FIXED and fixed.closed_at is not None
    assert fixed.change == upgrade
    statuses = set(Finding.objects.values_list("status", flat=True))
    assert statuses >= {"open", "unverified", "fixing", "fixed", "accepted"}
    # nginx 1.20.1 is just outside `>=0.6.18,<1.20.1`: no finding for it
    assert not Finding.objects.filter(
        system__name="网上办事服务大厅", vulnerability__identifier="CVE-2021-23017"
    ).exists()
    assert TicketSystem.objects.filter(system__name="研究生管理系统").exists()


def test_loading_twice_changes_nothing(loaded: None):
    first = _counts()
    demo.load()
    assert _counts() == first
