"""The service report's availability section: runs per system from raw results and rolled-up
hours, outages clipped to the period, certificate warnings, nothing of another organisation,
in the JSON, the page, the workbook and the PDF alike; one line when nothing is probed.

The period is November 2026 in Shanghai: 2026-10-31 16:00 to 2026-11-30 16:00 UTC.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.monitoring.models import (
    CertificateWarning,
    Outage,
    Probe,
    ProbeHourly,
    ProbeResult,
)
from campusdesk.reports import availability, periods
from campusdesk.reports import report as reports
from campusdesk.systems import services as systems
from campusdesk.systems.models import ApplicationSystem
from campusdesk.tickets.models import Ticket
from tests.helpers import api_client_for, web_client_for
from tests.tickets.conftest import new_ticket

START = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)  # 2026-11-01 00:00 in Shanghai
END = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
PERIOD = periods.month(2026, 11)
MINUTE = timedelta(minutes=1)


@dataclass
class Built:
    project: Project
    yjs: ApplicationSystem
    card: ApplicationSystem
    ticket: Ticket


def _system(project: Project, actor: User, name: str) -> ApplicationSystem:
    return systems.system_create(
        actor=actor,
        project=project,
        name=name,
        importance="core",
        now=START - 90 * 24 * 60 * MINUTE,
    )


def _probe(system: ApplicationSystem, kind: str, target: str) -> Probe:
    return Probe.objects.create(
        system=system, kind=kind, target=target, next_run_at=NOW, created_at=START
    )


def _runs(probe: Probe, at: datetime, oks: list[bool]) -> None:
    ProbeResult.objects.bulk_create(
        ProbeResult(
            probe=probe,
            scheduled_for=at + i * MINUTE,
            started_at=at + i * MINUTE,
            ok=ok,
            latency_ms=20,
        )
        for i, ok in enumerate(oks)
    )


def _hour(probe: Probe, hour: datetime, runs: int, failures: int) -> None:
    ProbeHourly.objects.create(probe=probe, hour=hour, runs=runs, failures=failures)


def _outage(system: ApplicationSystem, start: datetime, end: datetime | None, **extra: Any) -> None:
    Outage.objects.create(
        system=system, started_at=start, detected_at=start + 3 * MINUTE, ended_at=end, **extra
    )


def _everything_of(system: ApplicationSystem) -> Probe:
    """Runs, hours, an outage and a warning in the period: for the other organisation."""
    probe = _probe(system, "tls", "xg.univ2.example:443")
    _runs(probe, START + 60 * MINUTE, [False] * 5)
    _hour(probe, START + 120 * MINUTE, 60, 60)
    _outage(system, START + 60 * MINUTE, START + 600 * MINUTE)
    CertificateWarning.objects.create(
        probe=probe, expires_at=END, threshold=7, at=START + 24 * 60 * MINUTE
    )
    return probe


@pytest.fixture
def built(people: dict[str, User], project: Project, other_project: Project) -> Built:
    engineer = people["engineer"]
    yjs = _system(project, engineer, "研究生管理系统")
    card = _system(project, engineer, "一卡通系统")
    _system(project, engineer, "乐学平台")  # no probe: not in the section
    web, tls = _probe(yjs, "http", "https://yjs.xjnu.example/"), _probe(yjs, "tls", "yjs:443")
    # 研究生管理系统: 10 raw runs (2 failed) and 60 rolled-up (3 failed) in the period
    _runs(web, START + 5 * 24 * 60 * MINUTE, [True] * 4 + [False] * 2 + [True] * 4)
    _runs(web, START - 10 * MINUTE, [False] * 3)  # before the period
    _runs(web, END, [False] * 3)  # after it
    _hour(web, START + 60 * MINUTE, 60, 3)
    _hour(web, START - 60 * MINUTE, 60, 60)  # the hour before the period
    ticket = new_ticket(project, people["user"], title="研究生管理系统不可用")
    # began an hour before the period, up again 30 minutes into it
    _outage(yjs, START - 60 * MINUTE, START + 30 * MINUTE, ticket=ticket)
    _outage(
        yjs, START + 9 * 24 * 60 * MINUTE, START + (9 * 24 * 60 + 47) * MINUTE, in_maintenance=True
    )
    _outage(yjs, START - 600 * MINUTE, START - 60 * MINUTE)  # over before the period
    CertificateWarning.objects.create(
        probe=tls, expires_at=END + 24 * 60 * MINUTE, threshold=30, at=START + 4 * 24 * 60 * MINUTE
    )
    CertificateWarning.objects.create(
        probe=tls, expires_at=END + 24 * 60 * MINUTE, threshold=7, at=END + MINUTE
    )
    # 一卡通系统: 120 rolled-up runs, none failed; down since the period's last day
    port = _probe(card, "tcp", "card.xjnu.example:443")
    _hour(port, START + 24 * 60 * MINUTE, 60, 0)
    _hour(port, START + 25 * 60 * MINUTE, 60, 0)
    _outage(card, END - 24 * 60 * MINUTE, None)
    _everything_of(_system(other_project, people["engineer2"], "学工系统"))
    return Built(project, yjs, card, ticket)


def _data(scope: reports.Scope) -> dict[str, Any]:
    return reports.as_dict(reports.build(scope, PERIOD, NOW))["availability"]


def test_figures_of_raw_and_rolled_up_runs(built: Built) -> None:
    data = _data(reports.Scope(built.project.organisation, built.project))
    rows = {s["name"]: s for s in data["systems"]}
    assert set(rows) == {"研究生管理系统", "一卡通系统"}  # 乐学平台 has no probe
    yjs, card = rows["研究生管理系统"], rows["一卡通系统"]
    assert (yjs["runs"], yjs["failures"], yjs["percent"]) == (70, 5, 92.85)
    assert (card["runs"], card["failures"], card["percent"]) == (120, 0, 100.0)
    assert yjs["importance"] == "核心"
    assert (yjs["outages"], yjs["down_minutes"]) == (2, 30 + 47)
    assert (card["outages"], card["down_minutes"]) == (1, 24 * 60)


def test_outages_are_clipped_to_the_period(built: Built) -> None:
    outages = _data(reports.Scope(built.project.organisation, built.project))["outages"]
    assert [o["system"] for o in outages] == ["研究生管理系统", "研究生管理系统", "一卡通系统"]
    early, planned, open_ = outages
    assert early["from"] == "2026-11-01 00:00" and early["began_earlier"]
    assert early["started_at"] == (START - 60 * MINUTE).isoformat()
    assert (early["to"], early["minutes"], early["ticket"]) == (
        "2026-11-01 00:30",
        30,
        built.ticket.number,
    )
    assert (planned["from"], planned["to"], planned["minutes"]) == (
        "2026-11-10 00:00",
        "2026-11-10 00:47",
        47,
    )
    assert planned["in_maintenance"] and not planned["began_earlier"]
    assert open_["to"] is None and open_["minutes"] == 24 * 60  # still down: to the period's end
    section = {"probed": True, "systems": [], "outages": outages, "certificates": []}
    rows = {t.key: t.rows for t in availability.tables(section)}["outages"]
    began = _("%(time)s (began before the period)") % {"time": "2026-11-01 00:00"}
    assert rows[0][1] == began and rows[1][1] == "2026-11-10 00:00"
    assert rows[1][4] == _("In a maintenance window: no incident")
    assert rows[2][2] == _("Not recovered yet") and rows[2][3] == 24 * 60


def test_certificate_warnings_of_the_period(built: Built) -> None:
    certs = _data(reports.Scope(built.project.organisation, built.project))["certificates"]
    assert certs == [
        {
            "system": "研究生管理系统",
            "target": "yjs:443",
            "expires": "2026-12-02",
            "threshold": 30,
            "at": "2026-11-05 00:00",
            "ticket": "",
        }
    ]


def test_nothing_of_another_organisation(built: Built, other_project: Project) -> None:
    whole = _data(reports.Scope(built.project.organisation, None))
    assert "学工系统" not in {s["name"] for s in whole["systems"]}
    assert all(o["system"] != "学工系统" for o in whole["outages"])
    assert len(whole["certificates"]) == 1
    theirs = _data(reports.Scope(other_project.organisation, other_project))
    assert [(s["name"], s["runs"], s["failures"]) for s in theirs["systems"]] == [
        ("学工系统", 65, 65)
    ]


def test_a_fixed_number_of_queries(
    built: Built, people: dict[str, User], django_assert_num_queries: Any
) -> None:
    for n in range(5):
        system = _system(built.project, people["engineer"], f"系统{n}")
        _runs(_probe(system, "http", f"https://s{n}.example/"), START, [True, False])
    scope = reports.Scope(built.project.organisation, built.project)
    with django_assert_num_queries(5):
        found = availability.compute(scope.systems(), PERIOD, NOW)
    assert len(found.systems) == 7


def test_no_probes_is_one_line(people: dict[str, User], project: Project) -> None:
    data = _data(reports.Scope(project.organisation, project))
    assert data == {"probed": False, "systems": [], "outages": [], "certificates": []}
    assert availability.tables(data) == []
    client = web_client_for(people["manager"])
    with time_machine.travel(NOW, tick=False):
        page = client.get("/reports/service/", {"project": project.pk, "period": "2026-11"})
    html = page.content.decode()
    assert availability.no_probes() in html and 'id="availability-availability"' not in html


def test_page_json_and_workbook_show_the_section(built: Built, people: dict[str, User]) -> None:
    query = {"project": built.project.pk, "period": "2026-11"}
    with time_machine.travel(NOW, tick=False):
        page = web_client_for(people["manager"]).get("/reports/service/", query)
        api = api_client_for(people["manager"], language="zh-hans")
        data = api.get("/api/v1/reports/service/", query).json()
        book = api.get("/api/v1/reports/service/", {**query, "format": "xlsx"}).content
    html = page.content.decode()
    assert 'id="availability-availability"' in html and "92.85" in html
    assert built.ticket.number in html and 'id="availability-certificates"' in html
    assert data["availability"]["systems"][1]["percent"] == 92.85
    sheets = load_workbook(io.BytesIO(book)).worksheets
    availability_sheet = next(sheet for sheet in sheets if sheet.title == "可用性")
    values = [v for row in availability_sheet.iter_rows(values_only=True) for v in row]
    assert 92.85 in values and built.ticket.number in values and "yjs:443" in values
    # availability, then routine work, then the requests (last)
    assert [sheet.title for sheet in sheets[-3:]] == ["可用性", "例行工作", "全部请求"]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_contains_the_section(built: Built, people: dict[str, User], tmp_path: Path) -> None:
    client = api_client_for(people["manager"], language="zh-hans")
    with time_machine.travel(NOW, tick=False):
        response = client.get(
            "/api/v1/reports/service/",
            {"project": built.project.pk, "period": "2026-11", "format": "pdf"},
        )
    assert response.status_code == 200
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    flat = "".join(text.split())
    for heading in (
        ("可用性", "Availability"),
        ("故障", "Outages"),
        ("证书到期提醒", "Certificate"),
    ):
        assert any(h.replace(" ", "") in flat for h in heading)
    assert "研究生管理系统" in flat and "一卡通系统" in flat and "92.85" in flat
    assert built.ticket.number in flat and "yjs:443" in flat
    assert "学工系统" not in flat
