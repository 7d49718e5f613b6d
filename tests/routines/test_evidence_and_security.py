"""Evidence files of a check and security checks: a check that needs evidence takes a
measured value or a file; the files download only for those who see the run, always as a
download; a failed security check opens a vulnerability finding of the system (not a
ticket), one per check, which a later environment version does not close by itself."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campusdesk.core.errors import ValidationError
from campusdesk.routines import services
from campusdesk.routines.models import Evidence, Run, RunItem
from campusdesk.systems import services as system_services
from campusdesk.systems.models import Finding, Vulnerability
from campusdesk.tickets.models import Ticket
from tests.helpers import api_client_for, web_client_for
from tests.routines.conftest import CHECKLIST, T0, monthly
from tests.systems.changefix import V1

SECURITY = [*CHECKLIST, {"text": "管理员账号审查", "expected": "无陌生账号", "security": True}]


def _run(people, system, checklist=SECURITY) -> Run:
    routine = monthly(people["engineer"], system, checklist=checklist)
    return services.run_create_now(actor=people["engineer"], routine=routine, now=T0)


def _png(name: str = "磁盘.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + b"0" * 64, content_type="image/png")


def test_a_file_is_evidence_enough_and_is_kept_with_the_check(people, system):
    run = _run(people, system)
    item = services.run_item_record(
        actor=people["engineer"], run=run, position=0, result="pass", files=[_png()], now=T0
    )
    stored = Evidence.objects.get(item=item)
    assert (
        stored.name == "磁盘.png" and stored.size == 72 and stored.uploaded_by == people["engineer"]
    )
    assert stored.file.read().startswith(b"\x89PNG")
    assert "磁盘" not in stored.file.name  # stored under a random name


def test_evidence_missing_and_a_refused_file_lose_nothing(people, system):
    run = _run(people, system)
    with pytest.raises(ValidationError) as missing:
        services.run_item_record(actor=people["engineer"], run=run, position=0, result="pass")
    assert "文件" in str(missing.value.fields["value"][0])
    bad = SimpleUploadedFile("run.exe", b"MZ" * 10)
    with pytest.raises(ValidationError) as refused:
        services.run_item_record(
            actor=people["engineer"], run=run, position=1, result="pass", files=[bad]
        )
    assert "file" in refused.value.fields
    assert RunItem.objects.get(run=run, position=1).result == "" and not Evidence.objects.exists()


def test_a_failed_security_check_opens_one_finding_not_a_ticket(people, system):
    run = _run(people, system)
    engineer = people["engineer"]
    item = services.run_item_record(
        actor=engineer,
        run=run,
        position=3,
        result="fail",
        note="发现离职人员的 admin 账号仍可登录",
        severity="critical",
        now=T0,
    )
    finding = Finding.objects.select_related("vulnerability").get(pk=item.finding_id)
    assert finding.system_id == system.pk and finding.status == Finding.Status.OPEN
    assert finding.vulnerability.severity == "critical"
    assert finding.vulnerability.source == Vulnerability.Source.INSPECTION
    assert finding.vulnerability.title == "管理员账号审查"
    assert "离职人员" in finding.vulnerability.description
    assert item.ticket_id is None and not Ticket.objects.exists()
    again = services.run_item_record(
        actor=engineer, run=run, position=3, result="fail", note="已禁用账号，待复核", now=T0
    )
    assert again.finding_id == finding.pk and Finding.objects.count() == 1
    # a new environment version (no component of that name) does not close it
    system_services.environment_change(
        system_id=system.pk, actor=engineer, data={**V1, "notes": "补丁"}, reason="补丁"
    )
    finding.refresh_from_db()
    assert finding.status == Finding.Status.OPEN


def test_an_unknown_severity_is_refused_in_chinese(people, system):
    run = _run(people, system)
    with pytest.raises(ValidationError) as refused:
        services.run_item_record(
            actor=people["engineer"], run=run, position=3, result="fail", note="x", severity="x"
        )
    assert str(refused.value.fields["severity"][0]).startswith("请选择")
    assert not Finding.objects.exists()


def test_the_page_records_with_files_and_shows_the_finding(people, system):
    run = _run(people, system)
    client = web_client_for(people["engineer"])
    page = client.get(f"/runs/{run.pk}/")
    html = page.content.decode()
    assert 'enctype="multipart/form-data"' in html and "安全检查" in html
    answer = client.post(
        f"/runs/{run.pk}/items/0/", {"result": "pass", "evidence": [_png(), _png("日志.txt")]}
    )
    assert answer.status_code == 302
    assert Evidence.objects.filter(item__run=run, item__position=0).count() == 2
    client.post(
        f"/runs/{run.pk}/items/3/", {"result": "fail", "note": "弱口令", "severity": "high"}
    )
    finding = Finding.objects.get()
    html = client.get(f"/runs/{run.pk}/").content.decode()
    assert finding.vulnerability.identifier in html and "日志.txt" in html
    evidence = Evidence.objects.get(name="日志.txt")
    download = client.get(f"/runs/{run.pk}/evidence/{evidence.pk}/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]


def test_another_organisation_gets_no_evidence(people, system):
    run = _run(people, system)
    services.run_item_record(
        actor=people["engineer"], run=run, position=0, result="pass", files=[_png()], now=T0
    )
    evidence = Evidence.objects.get()
    stranger = web_client_for(people["user2"])
    assert stranger.get(f"/runs/{run.pk}/evidence/{evidence.pk}/").status_code == 404
    api = api_client_for(people["user2"], "zh-hans")
    answer = api.post(f"/api/v1/runs/{run.pk}/items/0/evidence/", {"file": _png()})
    assert answer.status_code == 404
    # the run's own customer reads the file
    own = web_client_for(people["user"])
    assert own.get(f"/runs/{run.pk}/evidence/{evidence.pk}/").status_code == 200


def test_the_api_adds_a_file_and_reads_it_back_with_the_finding(people, system):
    api = api_client_for(people["engineer"], "zh-hans")
    run = _run(people, system)
    added = api.post(f"/api/v1/runs/{run.pk}/items/2/evidence/", {"file": _png("备份.png")})
    assert added.status_code == 201, added.content
    assert added.json()["name"] == "备份.png"
    assert added.json()["url"] == f"/runs/{run.pk}/evidence/{added.json()['id']}/"
    # the file is the evidence: no value needed
    recorded = api.post(f"/api/v1/runs/{run.pk}/items/2/", {"result": "pass"}, format="json")
    assert recorded.status_code == 200, recorded.content
    failed = api.post(
        f"/api/v1/runs/{run.pk}/items/3/",
        {"result": "fail", "note": "弱口令", "severity": "medium"},
        format="json",
    )
    assert failed.status_code == 200 and failed.json()["finding"] and failed.json()["tickets"] == []
    read = api.get(f"/api/v1/runs/{run.pk}/").json()
    assert [f["name"] for f in read["items"][2]["files"]] == ["备份.png"]
    assert read["items"][3]["security"] is True
    empty = api.post(f"/api/v1/runs/{run.pk}/items/0/evidence/", {})
    assert empty.status_code == 400 and "file" in empty.json()


def test_the_report_names_the_files_and_the_finding(people, system):
    from campusdesk.routines import report

    run = _run(people, system)
    engineer = people["engineer"]
    services.run_item_record(
        actor=engineer, run=run, position=0, result="pass", files=[_png()], now=T0
    )
    services.run_item_record(actor=engineer, run=run, position=3, result="fail", note="弱口令")
    grids = [b[1] for b in report.blocks(run) if b[0] == "grid"]
    cells = [cell for grid in grids for row in grid.rows for cell in row]
    assert any("磁盘.png" in cell for cell in cells)
    assert Finding.objects.get().vulnerability.identifier in cells
