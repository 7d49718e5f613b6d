"""Findings: due dates on the Chinese working calendar, fixing the component closes the
finding (also through a completed change), backport decisions, accepted risks that are
reminded and expire, people's actions, and the import of advisories."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from campusdesk.core.errors import NotFound, PermissionDenied, TransitionError, ValidationError
from campusdesk.notify.models import Delivery, Notification
from campusdesk.systems import changes, findings, findings_selectors, vulns
from campusdesk.systems import tasks as systems_tasks
from campusdesk.systems.models import DuePolicy, Finding, SystemEvent, Vulnerability
from tests.systems.vulnfix import entry, system_with, upgrade

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def engineer(people):
    return people["engineer"]


def _at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def _finding(system, vulnerability) -> Finding:
    return Finding.objects.get(system=system, vulnerability=vulnerability)


def test_due_dates_count_working_days_of_the_chinese_calendar(engineer, project):
    """Opened on Friday 26 September 2025, before the National Day holiday (1–8 October,
    with Sunday 28 September and Saturday 11 October worked): 7 working days are Sep 28,
    29, 30, Oct 9, 10, 11, 13."""
    system = system_with(engineer, project, "研究生管理系统", nginx="1.24.0")
    with time_machine.travel(_at(2025, 9, 26, 10), tick=False):
        critical = entry(engineer, cvss_score="9.8")
        high = entry(engineer, identifier="CVE-2024-0002", cvss_score="7.5")
    assert _finding(system, critical).due_date == date(2025, 10, 13)
    assert _finding(system, high).due_date > date(2025, 11, 7)  # 30 working days
    # the policy is data: a shorter one applies to what opens next
    DuePolicy.objects.filter(severity="critical").update(working_days=1)
    with time_machine.travel(_at(2025, 9, 30, 23), tick=False):
        later = entry(engineer, identifier="CVE-2024-0003", cvss_score="9.1")
    assert _finding(system, later).due_date == date(2025, 10, 9)  # the first day after


def test_fixing_the_component_closes_the_finding_with_a_note(engineer, project):
    system = system_with(engineer, project, "研究生管理系统", nginx="1.24.0")
    vulnerability = entry(engineer)
    finding = _finding(system, vulnerability)
    findings.finding_start_fixing(finding_id=finding.pk, actor=engineer, reason="已排期")
    assert _finding(system, vulnerability).status == "fixing"
    upgrade(system, engineer, nginx="1.25.4")
    finding.refresh_from_db()
    assert finding.status == "fixed" and not finding.fixed_by_decision
    assert "1.25.4" in finding.reason and finding.closed_at is not None
    assert finding.installed_version == "1.25.4"
    event = SystemEvent.objects.filter(system=system, action="finding.fixed").get()
    assert event.data["version"] == "1.25.4"
    # going back into the range (a rollback) opens it again
    upgrade(system, engineer, nginx="1.24.0")
    assert _finding(system, vulnerability).status == "open"


def test_a_completed_change_closes_the_finding(engineer, project, people):
    system = system_with(engineer, project, "研究生管理系统", nginx="1.24.0")
    vulnerability = entry(engineer)
    change = changes.change_plan(
        system_id=system.pk,
        actor=engineer,
        kind="patch",
        title="升级 nginx",
        window_start=datetime(2026, 1, 5, 22, tzinfo=SHANGHAI),
        window_end=datetime(2026, 1, 5, 23, tzinfo=SHANGHAI),
        risk="low",
        rollback_plan="回退到旧版本",
        targets=[{"name": "nginx", "version": "1.25.5"}],
    )
    findings.finding_start_fixing(
        finding_id=_finding(system, vulnerability).pk, actor=engineer, change_id=change.pk
    )
    changes.change_approve(change, people["manager"])
    changes.change_complete(change, engineer, "done", "")
    finding = _finding(system, vulnerability)
    assert finding.status == "fixed" and finding.change_id == change.pk
    assert "1.25.5" in finding.reason


def test_a_backport_decision_survives_an_upgrade_inside_the_range(engineer, project):
    system = system_with(engineer, project, "科研系统", httpd="2.4.6-99.el7")
    vulnerability = entry(
        engineer,
        identifier="CVE-2021-44790",
        component="httpd",
        affected="<2.4.52",
        fixed_version="2.4.52",
        cvss_score="9.8",
    )
    finding = _finding(system, vulnerability)
    assert finding.status == "open"
    findings.finding_mark_fixed(
        finding_id=finding.pk, actor=engineer, reason="RHSA-2022:0258 已向 2.4.6-99 回移修复"
    )
    upgrade(system, engineer, httpd="2.4.6-99.el7_9.1")
    finding.refresh_from_db()
    assert finding.status == "fixed" and finding.fixed_by_decision
    assert finding.installed_version == "2.4.6-99.el7_9.1"
    # an older package than the one decided on may lack the backport: open again
    upgrade(system, engineer, httpd="2.4.6-90.el7")
    finding.refresh_from_db()
    assert finding.status == "open" and not finding.fixed_by_decision
    findings.finding_mark_fixed(finding_id=finding.pk, actor=engineer, reason="回移")
    # out of the range: fixed by its version, the decision no longer needed
    upgrade(system, engineer, httpd="2.4.58")
    finding.refresh_from_db()
    assert finding.status == "fixed" and not finding.fixed_by_decision


def test_an_unreadable_version_is_unverified_then_confirmed(engineer, project):
    system = system_with(engineer, project, "人事系统", nginx="1.24")
    vulnerability = entry(engineer)
    assert _finding(system, vulnerability).status == "unverified"
    upgrade(system, engineer, nginx="1.24.0")
    assert _finding(system, vulnerability).status == "open"
    upgrade(system, engineer, nginx="最新")
    assert _finding(system, vulnerability).status == "unverified"


def test_removing_the_component_closes_the_finding(engineer, project):
    system = system_with(engineer, project, "人事系统", nginx="1.24.0", tomcat="9.0.85")
    vulnerability = entry(engineer)
    upgrade(system, engineer, tomcat="9.0.85")
    finding = _finding(system, vulnerability)
    assert finding.status == "fixed" and "nginx" in finding.reason


def test_accepted_risk_is_reminded_once_and_expires(engineer, project, people):
    system = system_with(engineer, project, "研究生管理系统", nginx="1.24.0")
    with time_machine.travel(_at(2026, 3, 2, 10), tick=False):
        vulnerability = entry(engineer)
        finding = findings.finding_accept(
            finding_id=_finding(system, vulnerability).pk, actor=engineer, reason="内网访问"
        )
    assert finding.status == "accepted" and finding.accepted_until == date(2026, 8, 29)
    manager = people["manager"]
    with time_machine.travel(_at(2026, 8, 18, 9), tick=False):
        assert findings.expiry_sweep() == 0  # eleven days before: not yet
    with time_machine.travel(_at(2026, 8, 19, 9), tick=False):
        assert systems_tasks._expiry_sweep() == 1
        assert findings.expiry_sweep() == 0  # once
    note = Notification.objects.get(recipient=manager)
    assert "CVE-2024-24989" in note.title and note.url.endswith(f"/findings/{finding.pk}/")
    assert Delivery.objects.filter(recipient=manager, channel="email").count() == 1
    with time_machine.travel(_at(2026, 8, 29, 23), tick=False):
        assert findings.expiry_sweep() == 0  # the last accepted day
    with time_machine.travel(_at(2026, 8, 30, 0, 30), tick=False):
        assert findings.expiry_sweep() == 1
    finding.refresh_from_db()
    assert finding.status == "open" and finding.accepted_until is None
    assert finding.due_date > date(2026, 9, 1)
    assert SystemEvent.objects.filter(system=system, action="finding.expired").exists()


def test_actions_follow_the_transition_table_and_the_project(engineer, project, customer, people):
    system = system_with(engineer, project, "研究生管理系统", nginx="1.24.0")
    finding = _finding(system, entry(engineer))
    with pytest.raises(PermissionDenied):
        findings.finding_accept(finding_id=finding.pk, actor=customer, reason="x")
    with pytest.raises(NotFound):  # engineer2 serves another organisation's project
        findings.finding_accept(finding_id=finding.pk, actor=people["engineer2"], reason="x")
    with pytest.raises(ValidationError) as caught:
        findings.finding_accept(finding_id=finding.pk, actor=engineer, reason=" ")
    assert "reason" in caught.value.fields
    with pytest.raises(ValidationError):
        findings.finding_accept(
            finding_id=finding.pk, actor=engineer, reason="x", until=date(2020, 1, 1)
        )
    with pytest.raises(TransitionError):
        findings.finding_reopen(finding_id=finding.pk, actor=engineer)
    findings.finding_accept(finding_id=finding.pk, actor=engineer, reason="内网")
    reopened = findings.finding_reopen(finding_id=finding.pk, actor=engineer, reason="外网暴露")
    assert reopened.status == "open" and reopened.accepted_until is None
    with pytest.raises(ValidationError) as caught:
        findings.finding_start_fixing(finding_id=finding.pk, actor=engineer, change_id=999999)
    assert "change" in caught.value.fields
    actions = list(
        SystemEvent.objects.filter(system=system, action__startswith="finding.").values_list(
            "action", flat=True
        )
    )
    assert actions == ["finding.opened", "finding.accept", "finding.reopen"]


def test_selectors_for_dashboards(engineer, project, customer, outsider):
    system = system_with(engineer, project, "研究生管理系统", nginx="1.24.0")
    with time_machine.travel(_at(2026, 3, 2, 10), tick=False):
        entry(engineer, cvss_score="9.8")
        entry(engineer, identifier="CVE-2024-0002", cvss_score="5.0")
    today = date(2026, 3, 20)  # after 7 working days, before 90
    assert findings_selectors.open_findings(customer).count() == 2
    assert findings_selectors.open_findings(outsider).count() == 0
    assert [
        f.vulnerability.severity for f in findings_selectors.overdue_findings(customer, today)
    ] == ["critical"]
    counts = findings_selectors.finding_counts_by_severity(
        findings_selectors.visible_systems(customer), today
    )
    assert counts == {system.pk: {"critical": (1, 1), "medium": (1, 0)}}


CSV = """identifier,title,cvss_score,component,affected,fixed_version,references
CVE-2024-24989,nginx QUIC,7.5,nginx,<1.25.4,1.25.4,https://nginx.org/a https://nginx.org/b
CVE-2024-0001,坏的一行,高,nginx,<1.25.4,,
CVE-2023-44487,HTTP/2 Rapid Reset,7.5,nginx,">=1.9.5,<1.25.3",1.25.3,
CVE-2024-0002,坏范围,5.0,nginx,<<1,,
"""


def test_import_skips_bad_rows_and_reports_their_lines(engineer, project):
    system = system_with(engineer, project, "研究生管理系统", nginx="1.24.0")
    result = vulns.vulnerability_import(actor=engineer, data=CSV.encode("gb18030"), format="csv")
    assert (result.created, result.updated) == (2, 0)
    assert [(e["line"], e["identifier"]) for e in result.errors] == [
        (3, "CVE-2024-0001"),
        (5, "CVE-2024-0002"),
    ]
    assert "cvss_score" in result.errors[0]["fields"]
    assert "affected" in result.errors[1]["fields"]
    assert set(Vulnerability.objects.values_list("identifier", flat=True)) == {
        "CVE-2024-24989",
        "CVE-2023-44487",
    }
    assert Finding.objects.filter(system=system).count() == 2
    again = vulns.vulnerability_import(
        actor=engineer,
        data=json.dumps(
            [
                {
                    "identifier": "CVE-2024-24989",
                    "title": "nginx QUIC",
                    "cvss_score": 9.1,
                    "component": "nginx",
                    "affected": "<1.25.4",
                    "fixed_version": "1.25.4",
                },
                {
                    "identifier": "CVE-2023-44487",
                    "title": "HTTP/2 Rapid Reset",
                    "cvss_score": "7.5",
                    "component": "nginx",
                    "affected": ">=1.9.5,<1.25.3",
                    "fixed_version": "1.25.3",
                },
                "not an object",
            ]
        ),
        format="json",
    )
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    assert [e["line"] for e in again.errors] == [3]
    assert Vulnerability.objects.get(identifier="CVE-2024-24989").severity == "critical"


@pytest.mark.parametrize(
    ("data", "kind"),
    [("identifier,title\nX,Y\n", "csv"), ("{}", "json"), ("[", "json"), ("x", "xml")],
)
def test_an_import_that_cannot_be_read_is_refused_whole(engineer, data, kind):
    with pytest.raises(ValidationError):
        vulns.vulnerability_import(actor=engineer, data=data, format=kind)


def test_the_register_import_is_vendor_only(customer):
    with pytest.raises(PermissionDenied):
        vulns.vulnerability_import(actor=customer, data="[]", format="json")


def test_reminder_goes_to_nobody_without_a_service_manager(people, other_project):
    engineer2 = people["engineer2"]
    system = system_with(engineer2, other_project, "学工系统", nginx="1.24.0")
    with time_machine.travel(_at(2026, 3, 2, 10), tick=False):
        finding = _finding(system, entry(engineer2))
        findings.finding_accept(
            finding_id=finding.pk, actor=engineer2, reason="x", until=date(2026, 3, 5)
        )
        assert findings.expiry_sweep() == 1
    assert not Notification.objects.exists()
    assert SystemEvent.objects.filter(action="finding.expiry_reminded").count() == 1
