"""The incident analysis report as .docx and PDF: content, Chinese text, escaping, paging.

The PDF checks read the file back with poppler (``pdftotext``, ``pdfinfo``,
``pdftoppm``); CI needs ``poppler-utils`` (with ``poppler-data``) and a CJK font.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation
from docx import Document
from docx.oxml.ns import qn
from PIL import Image

from campusdesk.tickets.exports import (
    IncidentReportDocument,
    incident_report_docx,
    incident_report_filename,
    incident_report_pdf,
)

TITLE = "数据库连接池耗尽导致研究生系统无法登录"
HOSTILE = '<script>alert("x")</script> & <b>粗体</b> &amp;'


@pytest.fixture(autouse=True)
def _shanghai() -> Iterator[None]:
    with timezone.override(ZoneInfo("Asia/Shanghai")):
        yield


@pytest.fixture
def report() -> IncidentReportDocument:
    return IncidentReportDocument(
        ticket_number="2026-00012",
        ticket_title=TITLE,
        organisation="新疆师范大学",
        project="研究生管理系统运维",
        product="研究生管理系统",
        severity="SIS1",
        registered_at=datetime(2026, 3, 1, 10, 30, tzinfo=UTC),
        closed_at=None,
        what_happened=(
            "08:10 用户反馈无法登录。\n08:25 工程师确认数据库连接池已满。\r\n09:00 恢复服务。"
        ),
        cause=f"连接未归还连接池。{HOSTILE}",
        solution="重启应用服务器并修复连接泄漏。",
        responsible_person="李工程师",
        improvements="增加连接池监控告警\x00。",
        author="王五",
        updated_at=datetime(2026, 3, 2, 1, 5, tzinfo=UTC),
    )


def docx_text(data: bytes) -> str:
    document = Document(BytesIO(data))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def docx_runs_fonts(data: bytes) -> list[str | None]:
    document = Document(BytesIO(data))
    cells = [c for t in document.tables for r in t.rows for c in r.cells]
    paragraphs = list(document.paragraphs) + [p for c in cells for p in c.paragraphs]
    runs = [run for p in paragraphs for run in p.runs]
    return [run._r.get_or_add_rPr().get_or_add_rFonts().get(qn("w:eastAsia")) for run in runs]


def poppler(tool: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is missing: install poppler-utils (apt-get install -y poppler-utils)")
    return subprocess.run([tool, *map(str, args)], capture_output=True, text=True, check=True)


def write_pdf(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return path


def pdf_text(path: Path) -> str:
    return poppler("pdftotext", "-enc", "UTF-8", path, "-").stdout


def pdf_pages(path: Path) -> int:
    match = re.search(r"^Pages:\s+(\d+)$", poppler("pdfinfo", path).stdout, re.MULTILINE)
    assert match, "pdfinfo printed no page count"
    return int(match.group(1))


# --- Word -----------------------------------------------------------------------------


def test_docx_has_english_labels_facts_and_sections(report: IncidentReportDocument) -> None:
    with translation.override("en"):
        text = docx_text(incident_report_docx(report))
    for label in [
        "Incident analysis report",
        "What happened",
        "Cause",
        "Solution",
        "Responsible person",
        "Improvement actions",
        "Ticket",
        "Organisation",
        "Severity",
        "Registered at",
        "Closed at",
        "Filled in by",
        "Last updated",
    ]:
        assert label in text
    for fact in ["2026-00012", TITLE, "新疆师范大学", "研究生管理系统", "SIS1", "王五"]:
        assert fact in text
    assert "2026-03-01 18:30" in text  # registered_at in Asia/Shanghai
    assert "2026-03-02 09:05" in text
    assert "李工程师" in text


def test_docx_in_chinese_keeps_content_and_line_breaks(report: IncidentReportDocument) -> None:
    with translation.override("zh-hans"):
        data = incident_report_docx(report)
    text = docx_text(data)
    assert "08:10 用户反馈无法登录。\n08:25 工程师确认数据库连接池已满。\n09:00 恢复服务。" in text
    assert HOSTILE in text
    assert "增加连接池监控告警。" in text  # the NUL XML cannot hold is dropped
    assert "重启应用服务器并修复连接泄漏。" in text


def test_docx_runs_name_an_east_asian_font(report: IncidentReportDocument) -> None:
    fonts = docx_runs_fonts(incident_report_docx(report))
    assert len(fonts) > 20
    assert set(fonts) == {"宋体"}


def test_dates_follow_the_current_time_zone(report: IncidentReportDocument) -> None:
    closed = dataclasses.replace(report, closed_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    with timezone.override(UTC), translation.override("en"):
        text = docx_text(incident_report_docx(closed))
    assert "2026-03-01 10:30" in text
    assert "2026-03-01 12:00" in text


# --- PDF ------------------------------------------------------------------------------


def test_pdf_text_is_chinese_and_literal(report: IncidentReportDocument, tmp_path: Path) -> None:
    with translation.override("en"):
        path = write_pdf(tmp_path, incident_report_pdf(report))
    text = pdf_text(path)
    compact = re.sub(r"\s+", "", text)
    assert TITLE in compact
    assert "新疆师范大学" in compact
    assert "<script>" in text
    assert "&amp;" in text and " & " in text
    assert "What happened" in text
    assert "2026-03-01 18:30" in text
    assert "Title:           Incident analysis report 2026-00012" in poppler("pdfinfo", path).stdout


def test_pdf_survives_characters_outside_the_font(
    report: IncidentReportDocument, tmp_path: Path
) -> None:
    odd = dataclasses.replace(report, solution="已修复 😀 之后的文字\x0b照常")
    path = write_pdf(tmp_path, incident_report_pdf(odd))
    assert "之后的文字照常" in re.sub(r"\s+", "", pdf_text(path))


def test_pdf_first_page_renders_dark_pixels(report: IncidentReportDocument, tmp_path: Path) -> None:
    path = write_pdf(tmp_path, incident_report_pdf(report))
    result = poppler("pdftoppm", "-png", "-r", "60", "-singlefile", path, tmp_path / "p1")
    with Image.open(tmp_path / "p1.png") as image:
        grey = image.convert("L")
        dark = sum(grey.histogram()[:128])
        assert grey.size[0] > 400
    # Without a CJK font for poppler to substitute, the page has almost no ink.
    said = sorted(set(result.stderr.splitlines()))
    assert dark > 2000, f"page 1 looks blank (install fonts-wqy-microhei?); pdftoppm: {said}"


def test_long_report_flows_onto_more_pages(report: IncidentReportDocument, tmp_path: Path) -> None:
    lines = [f"{n:03d} 第{n}步:检查数据库连接池、应用服务器日志与负载均衡。" for n in range(120)]
    long = dataclasses.replace(report, what_happened="\n".join(lines), improvements="改进" * 3000)
    path = write_pdf(tmp_path, incident_report_pdf(long))
    assert pdf_pages(path) >= 3
    assert "119第119步" in re.sub(r"\s+", "", pdf_text(path))


# --- File name ------------------------------------------------------------------------


def test_filename_is_ascii_and_safe(report: IncidentReportDocument) -> None:
    assert incident_report_filename(report, "docx") == "incident-report-2026-00012.docx"
    assert incident_report_filename(report, ".PDF") == "incident-report-2026-00012.pdf"
    odd = dataclasses.replace(report, ticket_number="../工单 7/x")
    name = incident_report_filename(odd, "pdf")
    assert name.isascii() and "/" not in name and ".." not in name
    assert name == "incident-report-7-x.pdf"
