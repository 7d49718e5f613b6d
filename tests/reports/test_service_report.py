"""The service report: JSON figures, the same figures in the workbook and the PDF, scope."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import time_machine
from openpyxl import load_workbook

from campusdesk.reports import exports
from campusdesk.tickets import services
from tests.helpers import api_client_for, web_client_for
from tests.reports.conftest import Month, at

URL = "/api/v1/reports/service/"


def _get(month: Month, who: str, **params: Any) -> Any:
    client = api_client_for(month.people[who], language="zh-hans")
    with time_machine.travel(month.now, tick=False):
        return client.get(URL, {"project": month.project.pk, "period": "2026-11", **params})


def test_json_figures(month: Month) -> None:
    response = _get(month, "manager")
    assert response.status_code == 200
    data = response.json()
    k = data["kpis"]
    assert k["total"] == 6
    assert k["resolution_within_target"] == {"met": 1, "due": 4, "percent": 25.0}
    assert k["rating"]["average"] == 3.5
    totals = {line["key"]: line["count"] for line in data["totals"]["status"]}
    assert totals == {"closed": 2, "in_progress": 2, "new": 1, "withdrawn": 1}
    assert data["totals"]["service_type"] == [{"key": "fault", "label": "故障处理", "count": 6}]
    trend = {p["date"]: (p["registered"], p["closed"]) for p in data["trend"]["points"]}
    assert len(trend) == 30 and trend["2026-11-02"] == (4, 1) and trend["2026-11-04"] == (1, 1)
    assert data["workload"]["hours"] == "4.00"  # two closures confirmed 2 h each
    assert data["complaints"] == 1


def test_quarter_and_custom_periods(month: Month) -> None:
    quarter = _get(month, "hq", period="2026-Q4").json()
    assert quarter["kpis"]["total"] == 6 and quarter["trend"]["unit"] == "week"
    custom = _get(month, "hq", period="", **{"from": "2026-11-03", "to": "2026-11-30"}).json()
    assert custom["kpis"]["total"] == 2  # D (+20 h) and F (+40 h)
    assert _get(month, "hq", period="2026-13").status_code == 400


def test_customer_sees_only_their_own_report(month: Month) -> None:
    assert _get(month, "user").status_code == 200
    assert _get(month, "user2").status_code == 404
    client = web_client_for(month.people["user2"])
    page = client.get("/reports/service/", {"project": month.project.pk, "period": "2026-11"})
    assert page.status_code == 404


def test_out_of_scope_billing_and_suggestions(month: Month) -> None:
    eng = month.people["engineer"]
    for name, hours in (("A", "3.5"), ("B", "2")):
        with time_machine.travel(at(50), tick=False):
            services.ticket_mark_out_of_scope(
                ticket_id=month.tickets[name].pk,
                actor=eng,
                change_type="network",
                workload_hours=hours,
                now=at(50),
            )
    data = _get(month, "hq").json()
    work = data["workload"]
    assert work["out_of_scope_tickets"] == 2 and work["out_of_scope_hours"] == "5.50"
    assert work["out_of_scope"][0]["key"] == "network"
    codes = {s["code"]: s for s in data["suggestions"]}
    assert "out_of_scope_network" in codes  # the same change twice
    figures = [f["value"] for f in codes["out_of_scope_network"]["figures"]]
    assert figures == ["2", "5.50"]
    assert "resolution_SIS2" in codes  # 1 of 3 SIS2 resolutions in time
    assert "acceptance" in codes  # 50 %


def test_xlsx_holds_the_same_figures(month: Month) -> None:
    data = _get(month, "manager").json()
    response = _get(month, "manager", format="xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_TYPE
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    values = [row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    k = data["kpis"]
    for expected in (
        k["total"],
        k["resolution_within_target"]["percent"],
        k["resolution_by_commitment"]["percent"],
        k["rating"]["average"],
    ):
        assert expected in values
    requests = book.worksheets[-1]
    assert requests.max_row == 1 + k["total"]
    trend = {row[0]: row[1:] for row in book.worksheets[2].iter_rows(min_row=2, values_only=True)}
    assert trend["2026-11-02"] == (4, 1)


@pytest.mark.security
def test_xlsx_is_safe_from_formula_injection(month: Month) -> None:
    with time_machine.travel(at(41), tick=False):
        services.ticket_register(
            actor=month.people["user"],
            project_id=month.project.pk,
            product_id=None,
            title='=HYPERLINK("http://evil.example","点我")',
            description="@SUM(1+1)",
            urgency="low",
            service_type="consultation",
            channel="web",
            now=at(41),
        )
    book = load_workbook(io.BytesIO(_get(month, "hq", format="xlsx").content))
    cells = [c for row in book.worksheets[-1].iter_rows() for c in row]
    titles = [c for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert titles and all(c.data_type == "s" and c.value.startswith("'=") for c in titles)
    assert not any(c.data_type == "f" for c in cells)
    assert exports.safe_cell("-2+3") == "'-2+3" and exports.safe_cell(5) == 5


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_pdf_renders_with_chinese_text(month: Month, tmp_path: Path) -> None:
    response = _get(month, "manager", format="pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.content)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2 and all(p.stat().st_size > 1000 for p in pages)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "研究生管理系统运维服务" in text and "新疆师范大学" in text
    assert "改进建议" in text or "Improvement suggestions" in text


def test_service_page_charts_and_queries(month: Month, django_assert_max_num_queries: Any) -> None:
    client = web_client_for(month.people["manager"])
    with time_machine.travel(month.now, tick=False), django_assert_max_num_queries(45):
        page = client.get("/reports/service/", {"project": month.project.pk, "period": "2026-11"})
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<svg") >= 7  # trend, five dimensions, ratings
    assert "format=xlsx" in html and "format=pdf" in html
    assert "<script" not in html.split("<main", 1)[1]  # charts need no JavaScript
