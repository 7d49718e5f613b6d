"""/api/v1/ of routine work as an integration uses it: a routine with an RRULE, a run now,
its checks, completion, the report as PDF and Word, emergency plans, who is on duty; and
another organisation's user finds none of it (404 on every route)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import docx
import pytest

from campusdesk.core import clock
from campusdesk.duty.models import Shift
from tests.helpers import api_client_for
from tests.routines.conftest import CHECKLIST

ROUTINE = {
    "name": "研究生管理系统月度巡检",
    "kind": "inspection",
    "recurrence": "FREQ=MONTHLY;BYMONTHDAY=1",
    "checklist": CHECKLIST,
}


@pytest.fixture
def engineer_api(people):
    return api_client_for(people["engineer"], "zh-hans")


def _routine(engineer_api, system, **fields):
    response = engineer_api.post(
        "/api/v1/routines/", {**ROUTINE, "systems": [system.pk], **fields}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def _performed_run(engineer_api, system) -> dict:
    routine = _routine(engineer_api, system)
    run = engineer_api.post(f"/api/v1/routines/{routine['id']}/runs/").json()
    for n, body in enumerate(
        [
            {"result": "pass", "value": "71%"},
            {"result": "fail", "note": "ORA-01555 每小时 20 次"},
            {"result": "pass", "value": "2 小时前"},
        ]
    ):
        answer = engineer_api.post(f"/api/v1/runs/{run['id']}/items/{n}/", body, format="json")
        assert answer.status_code == 200, answer.content
    done = engineer_api.post(
        f"/api/v1/runs/{run['id']}/complete/",
        {"summary": "总体正常，错误日志待处理"},
        format="json",
    )
    assert done.status_code == 200, done.content
    return done.json()


def test_a_routine_is_planned_and_a_run_performed_through_the_api(engineer_api, system):
    routine = _routine(engineer_api, system)
    assert routine["systems"] == [system.pk] and routine["next_due_on"]
    assert [c["text"] for c in routine["checklist"]] == [c["text"] for c in CHECKLIST]
    run = _performed_run(engineer_api, system)
    assert run["status"] == "completed" and run["scheduled"] is False
    items = run["items"]
    assert [i["result"] for i in items] == ["pass", "fail", "pass"]
    assert items[1]["tickets"] and items[0]["tickets"] == []
    listed = engineer_api.get(f"/api/v1/routines/{run['routine']}/runs/").json()
    assert [r["id"] for r in listed["results"]] == [run["id"]]
    assert engineer_api.get(f"/api/v1/routines/{routine['id']}/runs/").json()["count"] == 0


def test_bad_input_is_refused_in_chinese_and_nothing_is_kept(engineer_api, system):
    response = engineer_api.post(
        "/api/v1/routines/",
        {**ROUTINE, "systems": [system.pk], "recurrence": "FREQ=MINUTELY"},
        format="json",
    )
    assert response.status_code == 400
    assert "recurrence" in response.json()
    assert engineer_api.get("/api/v1/routines/").json()["count"] == 0
    routine = _routine(engineer_api, system)
    run = engineer_api.post(f"/api/v1/routines/{routine['id']}/runs/").json()
    bad = engineer_api.post(f"/api/v1/runs/{run['id']}/items/0/", {"result": "ok"}, format="json")
    assert bad.status_code == 400
    missing = engineer_api.post(
        f"/api/v1/runs/{run['id']}/items/99/", {"result": "na"}, format="json"
    )
    assert missing.status_code == 404
    early = engineer_api.post(f"/api/v1/runs/{run['id']}/complete/", {}, format="json")
    assert early.status_code == 400 and "记录" in early.json()["detail"]


def _pdftotext(body: bytes, tmp_path: Path) -> str:
    source = tmp_path / "report.pdf"
    source.write_bytes(body)
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext (poppler-utils) is needed: make sysdeps"
    done = subprocess.run(  # noqa: S603 - a fixed program on our own file
        [pdftotext, "-layout", str(source), "-"], capture_output=True, check=True, text=True
    )
    return done.stdout


def test_the_report_opens_as_pdf_and_word_with_the_results(engineer_api, system, tmp_path):
    run = _performed_run(engineer_api, system)
    pdf = engineer_api.get(f"/api/v1/runs/{run['id']}/report/?format=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = _pdftotext(pdf.content, tmp_path)
    assert "巡检报告" in text and "错误日志" in text and "ORA-01555" in text and "71%" in text
    word = engineer_api.get(f"/api/v1/runs/{run['id']}/report/?format=docx")
    assert word.status_code == 200
    document = docx.Document(BytesIO(word.content))
    cells = " ".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    assert "不通过" in cells and "磁盘使用率" in cells
    assert engineer_api.get(f"/api/v1/runs/{run['id']}/report/?format=xls").status_code == 400


def test_emergency_plans_of_a_system(engineer_api, system):
    created = engineer_api.post(
        f"/api/v1/systems/{system.pk}/emergency-plans/",
        {
            "scenario": "证书过期",
            "trigger": "TLS 探针告警",
            "steps": ["申请新证书", "替换并重载 nginx", "验证"],
            "contacts": "李工",
            "rto_minutes": 60,
            "rpo_minutes": 0,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    plan = created.json()
    assert plan["overdue"] is True and plan["steps"][1] == "替换并重载 nginx"
    listed = engineer_api.get(f"/api/v1/systems/{system.pk}/emergency-plans/").json()
    assert [p["id"] for p in listed["results"]] == [plan["id"]]


def test_duty_now_names_the_person_and_number(engineer_api, people, project):
    person = people["expert2"]
    person.phone = "13912345678"
    person.save(update_fields=["phone"])
    now = clock.now()
    night = Shift.objects.create(
        user=person,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=8),
        created_at=now,
    )
    night.projects.set([project])
    answer = engineer_api.get(f"/api/v1/duty/now/?project={project.pk}")
    assert answer.status_code == 200
    assert answer.json()["phone"] == "13912345678" and answer.json()["user"] == person.pk
    night.delete()
    assert engineer_api.get(f"/api/v1/duty/now/?project={project.pk}").status_code == 404


def test_another_organisation_finds_none_of_it(engineer_api, people, system, project):
    run = _performed_run(engineer_api, system)
    plan = engineer_api.post(
        f"/api/v1/systems/{system.pk}/emergency-plans/",
        {"scenario": "断电", "steps": ["启动 UPS"]},
        format="json",
    ).json()
    outsider = api_client_for(people["user2"])
    routine = run["routine"]
    for url in (
        f"/api/v1/routines/{routine}/",
        f"/api/v1/routines/{routine}/runs/",
        f"/api/v1/runs/{run['id']}/",
        f"/api/v1/runs/{run['id']}/report/?format=pdf",
        f"/api/v1/systems/{system.pk}/emergency-plans/",
        f"/api/v1/emergency-plans/{plan['id']}/",
    ):
        assert outsider.get(url).status_code == 404, url
    for url in (
        f"/api/v1/routines/{routine}/runs/",
        f"/api/v1/runs/{run['id']}/items/0/",
        f"/api/v1/runs/{run['id']}/complete/",
        f"/api/v1/runs/{run['id']}/sign/",
    ):
        assert outsider.post(url, {"result": "pass"}, format="json").status_code == 404, url
    assert outsider.get("/api/v1/routines/").json()["count"] == 0
    assert outsider.get(f"/api/v1/duty/now/?project={project.pk}").status_code == 403
    # the customer of the organisation reads, but does not write
    own = api_client_for(people["user"])
    assert own.get(f"/api/v1/runs/{run['id']}/").status_code == 200
    assert own.post(f"/api/v1/routines/{routine}/runs/").status_code == 403


def test_an_unknown_kind_filter_is_a_400_naming_the_parameter(engineer_api):
    answer = engineer_api.get("/api/v1/routines/", {"kind": "nonsense"})
    assert answer.status_code == 400 and answer.json()["kind"] == ["请选择一种类型。"]
    assert engineer_api.get("/api/v1/routines/", {"kind": ""}).status_code == 200
