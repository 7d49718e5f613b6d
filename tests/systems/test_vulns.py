"""The vulnerability register: entries refused when not valid, severity from the CVSS score,
and matching exactly the systems whose installed version lies in the range."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campusdesk.core.errors import PermissionDenied, ValidationError
from campusdesk.systems import findings_selectors, vulns
from campusdesk.systems.models import Finding, SystemEvent, Vulnerability
from tests.systems.vulnfix import entry, system_with, upgrade


@pytest.fixture
def engineer(people):
    return people["engineer"]


@pytest.fixture
def fleet(engineer, project, other_project, people):
    """Systems of two organisations with nginx in and out of the range, and one with a
    component of another name (``nginx-ui``) whose version would be in it."""
    return {
        "old": system_with(engineer, project, "网上办事服务大厅", nginx="1.24.0"),
        "new": system_with(engineer, project, "统一身份认证", nginx="1.25.4"),
        "newer": system_with(engineer, project, "一卡通", nginx="1.25.10"),
        "other_name": system_with(engineer, project, "乐学平台", nginx_ui="1.20.0"),
        "rhel": system_with(engineer, project, "科研系统", nginx="1.20.1-14.el9"),
        "odd": system_with(engineer, project, "人事系统", nginx="latest"),
        "kunlun": system_with(people["engineer2"], other_project, "学工系统", nginx="1.22.1"),
    }


@pytest.mark.parametrize(
    ("score", "severity"),
    [
        ("9.8", "critical"),
        ("9.0", "critical"),
        ("8.9", "high"),
        ("7.0", "high"),
        ("6.9", "medium"),
        ("4.0", "medium"),
        ("3.9", "low"),
        ("0.1", "low"),
    ],
)
def test_severity_follows_the_cvss_score(score, severity):
    assert vulns.severity_of(Decimal(score)) == severity


def test_the_entry_matches_exactly_the_systems_in_the_range(engineer, fleet):
    vulnerability = entry(engineer)
    assert vulnerability.severity == "high"
    assert vulnerability.component_key == "nginx"
    statuses = dict(
        Finding.objects.filter(vulnerability=vulnerability).values_list("system__name", "status")
    )
    assert statuses == {
        "网上办事服务大厅": "open",
        "科研系统": "open",  # the RHEL package of 1.20.1 is 1.20.1
        "人事系统": "unverified",  # "latest" cannot be compared: never "not affected"
        "学工系统": "open",
    }
    ids = vulns.match_vulnerability(vulnerability)
    assert set(ids) == {fleet[k].pk for k in ("old", "rhel", "odd", "kunlun")}
    # each finding is an event on its system's timeline
    opened = SystemEvent.objects.filter(action="finding.opened")
    assert sorted(opened.values_list("system__name", flat=True)) == sorted(statuses)
    assert opened.get(system=fleet["old"]).data["vulnerability"] == "CVE-2024-24989"


def test_affected_systems_are_those_the_user_sees(engineer, fleet, customer, outsider, people):
    vulnerability = entry(engineer)
    mine = {fleet[k].pk for k in ("old", "rhel", "odd")}
    assert set(findings_selectors.affected_systems(vulnerability, customer)) == mine
    assert findings_selectors.affected_systems(vulnerability, outsider) == [fleet["kunlun"].pk]
    assert findings_selectors.affected_systems(vulnerability, engineer) == sorted(mine)


def test_matching_does_not_query_per_system(engineer, fleet, project):
    vulnerability = entry(engineer, identifier="CVE-2099-0001")
    with CaptureQueriesContext(connection) as few:
        vulns.match_vulnerability(vulnerability)
    for n in range(8):
        system_with(engineer, project, f"系统{n}", nginx=f"1.18.{n}")
    with CaptureQueriesContext(connection) as many:
        vulns.match_vulnerability(vulnerability)
    # only the writes of the eight new findings (one insert and one event each) are added
    assert len(many) - len(few) <= 8 * 2


def test_editing_the_range_matches_again_and_closes_with_a_note(engineer, fleet):
    vulnerability = entry(engineer)
    vulns.vulnerability_update(
        vulnerability_id=vulnerability.pk,
        actor=engineer,
        affected=">=1.25.0,<1.25.5",
        fixed_version="1.25.5",
    )
    rows = dict(
        Finding.objects.filter(vulnerability=vulnerability).values_list("system__name", "status")
    )
    assert rows["统一身份认证"] == "open"
    assert rows["网上办事服务大厅"] == "fixed"
    old = Finding.objects.get(vulnerability=vulnerability, system=fleet["old"])
    assert "1.24.0" in old.reason and old.closed_at is not None
    assert SystemEvent.objects.filter(system=fleet["old"], action="vulnerability.updated").exists()


def test_a_new_severity_gives_new_due_dates(engineer, fleet):
    vulnerability = entry(engineer)
    finding = Finding.objects.get(vulnerability=vulnerability, system=fleet["old"])
    vulns.vulnerability_update(vulnerability_id=vulnerability.pk, actor=engineer, cvss_score="9.8")
    later = Finding.objects.get(pk=finding.pk)
    assert later.due_date < finding.due_date  # critical: 7 working days instead of 30


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"affected": "<1.25.x"}, "affected"),
        ({"affected": "~>1.25"}, "affected"),
        ({"affected": ""}, "affected"),
        ({"cvss_score": "0"}, "cvss_score"),
        ({"cvss_score": "10.5"}, "cvss_score"),
        ({"cvss_score": "7.55"}, "cvss_score"),
        ({"cvss_score": "高"}, "cvss_score"),
        ({"identifier": "CVE 2024 1"}, "identifier"),
        ({"title": "两行\n标题"}, "title"),
        ({"references": ["javascript:alert(1)"]}, "references"),
        ({"references": ["ftp://example.org/a"]}, "references"),
        ({"references": "not a url"}, "references"),
        ({"fixed_version": "1.24.0"}, "fixed_version"),  # inside the range
        ({"component": "OpenSSL", "affected": "<1.1"}, "affected"),
    ],
)
def test_a_bad_entry_is_refused_with_a_field_error(engineer, fields, field):
    with pytest.raises(ValidationError) as caught:
        entry(engineer, **fields)
    assert field in caught.value.fields
    assert not Vulnerability.objects.exists()


def test_a_bad_entry_is_refused_in_chinese(engineer, settings):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        entry(engineer, cvss_score="0")
    assert "cvss_score" in caught.value.fields


def test_identifiers_are_unique_and_cve_upper_case(engineer):
    vulnerability = entry(engineer, identifier="cve-2024-24989")
    assert vulnerability.identifier == "CVE-2024-24989"
    with pytest.raises(ValidationError) as caught:
        entry(engineer, identifier="CVE-2024-24989")
    assert "identifier" in caught.value.fields


def test_only_vendor_staff_keep_the_register(customer, engineer):
    with pytest.raises(PermissionDenied):
        entry(customer)
    vulnerability = entry(engineer)
    with pytest.raises(PermissionDenied):
        vulns.vulnerability_update(vulnerability_id=vulnerability.pk, actor=customer, title="x")


def test_a_customer_sees_only_entries_found_on_their_systems(engineer, fleet, customer, outsider):
    found = entry(engineer)
    elsewhere = entry(
        engineer, identifier="CVE-2023-0001", component="redis", affected="<7.0.0", fixed_version=""
    )
    assert list(findings_selectors.visible_vulnerabilities(customer)) == [found]
    assert set(findings_selectors.visible_vulnerabilities(engineer)) == {found, elsewhere}
    upgrade(fleet["kunlun"], fleet["kunlun"].project.line1_team.first(), nginx="1.26.0")
    assert list(findings_selectors.visible_vulnerabilities(outsider)) == [found]  # fixed, kept
