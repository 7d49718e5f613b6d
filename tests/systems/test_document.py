"""The environment document: made from the data, it opens as Word (read back with
python-docx) and as PDF (text read back with poppler's pdftotext, as the reports' tests
do), in Chinese, with the current environment, the change history and pending changes;
``?format=`` works on the API despite DRF's own format parameter."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
import time_machine
from django.utils import translation
from docx import Document

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.systems import changes, document, services
from campusdesk.systems.models import ApplicationSystem
from tests.helpers import api_client_for, web_client_for
from tests.systems.changefix import NOW, approved, plan, registered

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def system(people: dict[str, User], project: Project) -> ApplicationSystem:
    """Version 1 registered, version 2 written by a change done, one change pending."""
    with time_machine.travel(NOW, tick=False):
        system = registered(people["engineer"], project)
        change = approved(system, people)
        changes.change_complete(change, people["engineer"], "done", "")
        plan(
            system,
            people["engineer"],
            title="Tomcat 升级到 9.0.85",
            targets=[{"name": "Apache Tomcat", "version": "9.0.85"}],
        )
    system.refresh_from_db()
    return system


def docx_text(content: bytes) -> str:
    read = Document(BytesIO(content))
    cells = [cell.text for table in read.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in read.paragraphs] + cells)


def pdf_text(content: bytes, tmp_path: Path) -> str:
    assert shutil.which("pdftotext"), "pdftotext (poppler-utils) is needed: make sysdeps"
    path = tmp_path / "environment.pdf"
    path.write_bytes(content)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return " ".join(text.split())  # table cells wrap where the column ends


def test_the_word_document_holds_the_environment_and_its_history(system, people):
    change = system.current_environment.change
    with translation.override("zh-hans"):
        text = docx_text(document.document_docx(system))
        title = document.title(system)
    assert title in text and "研究生管理系统" in text
    assert "新疆师范大学" in text and "研究生管理系统运维服务" in text  # organisation, project
    assert "1.25.5" in text and "9.0.83" in text and "CentOS 7.9.2009" in text
    assert changes.reason_for(change) in text and "登记" in text  # the history's reasons
    assert "components.nginx.version: 1.24.0 → 1.25.5" in text  # what changed
    assert "2026-03-02 10:00" in text  # Asia/Shanghai
    assert "Tomcat 升级到 9.0.85" in text  # pending
    assert "组织" in text and "原因" in text  # labels in the active language


def test_the_pdf_opens_with_its_chinese_text(system, people, tmp_path):
    client = api_client_for(people["engineer"], "zh-hans")
    answer = client.get(f"/api/v1/systems/{system.pk}/document/?format=pdf")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert answer["Content-Disposition"].startswith(
        f'attachment; filename="environment-{system.pk}-'
    )
    text = pdf_text(answer.content, tmp_path)
    with translation.override("zh-hans"):
        title = document.title(system)
    assert title in text and "研究生管理系统" in text
    assert changes.reason_for(system.current_environment.change) in text
    assert "新疆师范大学" in text and "1.25.5" in text


def test_the_api_takes_format_as_the_documents_not_drfs(system, people):
    client = api_client_for(people["user"])  # the customer reads their system's document
    url = f"/api/v1/systems/{system.pk}/document/"
    for query in ("", "?format=docx"):
        answer = client.get(url + query)
        assert answer.status_code == 200 and answer["Content-Type"] == DOCX, query
        assert answer["Content-Disposition"].endswith('.docx"')
        assert "研究生管理系统" in docx_text(answer.content)
    for bad in ("xls", "json", "api", "DOCX"):
        answer = client.get(f"{url}?format={bad}")
        assert answer.status_code == 400, bad
        assert "docx" in answer.json()["detail"] and "format" in answer.json()


def test_the_page_downloads_it_too(system, customer, tmp_path):
    client = web_client_for(customer)
    answer = client.get(f"/systems/{system.pk}/document/?format=pdf")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert "1.25.5" in pdf_text(answer.content, tmp_path)
    answer = client.get(f"/systems/{system.pk}/document/?format=odt")
    assert answer.status_code == 400 and "docx" in answer.content.decode()
    answer = client.get(f"/systems/{system.pk}/document/")
    assert answer["Content-Type"] == DOCX


def test_a_system_without_environment_and_odd_text(people, project, tmp_path):
    bare = services.system_create(actor=people["engineer"], project=project, name="一卡通 😀")
    with translation.override("en"):
        text = pdf_text(document.document_pdf(bare), tmp_path)
    assert "一卡通 □" in text  # the CJK font has no glyphs beyond the BMP
    assert "No environment has been recorded yet." in text
    assert "一卡通 😀" in docx_text(document.document_docx(bare))
    services.environment_change(
        system_id=bare.pk, actor=people["engineer"], data={"notes": "a"}, reason="登记\x07<b>"
    )
    bare.refresh_from_db()
    assert "登记<b>" in docx_text(document.document_docx(bare))  # XML cannot hold \x07
    assert "登记<b>" in pdf_text(document.document_pdf(bare), tmp_path)  # not markup


def test_the_schema_describes_the_format_parameter(people):
    client = api_client_for(people["engineer"])
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/systems/{id}/document/"]["get"]
    parameter = next(p for p in operation["parameters"] if p["name"] == "format")
    assert parameter["in"] == "query" and parameter["schema"]["enum"] == ["docx", "pdf"]
    assert set(operation["responses"]["200"]["content"]) == {DOCX, "application/pdf"}
    for name in ("approve", "complete", "cancel"):
        assert f"/api/v1/changes/{{id}}/{name}/" in schema["paths"]


def test_a_long_history_spans_pages(system, people, tmp_path):
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        for n in range(40):
            change = approved(
                system,
                people,
                title=f"补丁 {n}",
                targets=[{"name": "nginx", "version": f"1.26.{n}"}],
            )
            changes.change_complete(change, people["engineer"], "done", "")
    content = document.document_pdf(system)
    assert "1.26.39" in pdf_text(content, tmp_path)
    info = subprocess.run(
        ["pdfinfo", str(tmp_path / "environment.pdf")], check=True, capture_output=True, text=True
    ).stdout
    assert int(info.split("Pages:")[1].split()[0]) > 1
