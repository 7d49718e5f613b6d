"""The service report's charts (SVG in the page, drawings in the PDF): a severity keeps its
colour whatever its rank, nothing is clipped, every chart has a title with its unit and a
text alternative."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import translation
from reportlab.graphics import shapes as pdf
from reportlab.pdfbase.pdfmetrics import stringWidth

from campusdesk.reports import charts, exports
from campusdesk.reports import report as reports
from tests.helpers import api_client_for, web_client_for
from tests.reports.conftest import Month

SVG = "{http://www.w3.org/2000/svg}"
RED = "#c62828"
LONG_SIS1 = "SIS1：系统宕机或核心业务受严重影响"


def _data(severities: dict[str, int]) -> dict[str, Any]:
    """A service report's figures (``report.as_dict``) with these requests per severity."""
    days = [f"2026-11-{d:02d}" for d in range(1, 31)]
    lines = [
        {"key": k, "label": LONG_SIS1 if k == "SIS1" else f"{k}：问题", "count": n}
        for k, n in sorted(severities.items(), key=lambda kv: -kv[1])
    ]
    other = [{"key": "x", "label": "研究生招生、培养、学位与毕业管理系统运维服务项目", "count": 7}]
    return {
        "trend": {
            "unit": "day",
            "points": [
                {"date": d, "registered": i % 4, "closed": i % 3} for i, d in enumerate(days)
            ],
        },
        "totals": {
            "severity": lines,
            "service_type": other,
            "status": other,
            "channel": other,
            "product": other,
        },
        "severity_attainment": [
            {"severity": k, "tickets": n, "resolution": 50.0, "commitment": None}
            for k, n in severities.items()
        ],
        "kpis": {"rating": {"distribution": {str(n): n for n in range(1, 6)}}},
    }


def _charts(data: dict[str, Any]) -> dict[str, charts.Chart]:
    with translation.override("zh-hans"):
        made = charts.for_report(data, reports.dimension_titles())
    return {chart.key: chart for chart in made}


def _width(text: str, size: float) -> float:
    """A browser's sans-serif, erring wide: CJK 1 em, anything else 0.62 em."""
    return size * sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.62 for c in text)


def _check_svg(markup: str) -> ET.Element:
    """The chart is an accessible image whose every text lies inside it."""
    root = ET.fromstring(markup)  # noqa: S314 - the SVG the code under test made
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text and desc is not None and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    _x, _y, width, height = (float(v) for v in (root.get("viewBox") or "").split())
    assert root.get("width") == f"{width:.0f}"  # drawn at its size, never blown up
    for text in root.iter(f"{SVG}text"):
        size, x, y = (
            float(text.get("font-size") or 0),
            float(text.get("x") or 0),
            float(text.get("y") or 0),
        )
        assert 9 <= size <= 13, text.text  # moderate
        w = _width(text.text or "", size)
        left = {"start": x, "middle": x - w / 2, "end": x - w}[text.get("text-anchor") or "start"]
        assert left >= 0 and left + w <= width, (text.text, left, w, width)
        assert y - size >= 0 and y <= height, text.text
    return root


def _fills(root: ET.Element) -> dict[str, str]:
    """Each bar's label (its tooltip) → its colour."""
    found = {}
    for rect in root.iter(f"{SVG}rect"):
        tip = rect.find(f"{SVG}title")
        if tip is not None and tip.text:
            found[tip.text.split(":")[0].split(" ")[0]] = rect.get("fill") or ""
    return found


@pytest.mark.parametrize(
    "counts",
    [
        {"SIS1": 1, "SIS2": 9, "SIS3": 5},  # SIS1 the fewest: last
        {"SIS1": 9, "SIS2": 1, "SIS3": 5},  # the most: first
        {"SIS1": 3},  # alone
    ],
)
def test_sis1_is_always_the_same_red(counts: dict[str, int]) -> None:
    made = _charts(_data(counts))
    for key in ("severity", "attainment"):
        root = _check_svg(charts.svg(made[key]))
        fills = _fills(root)
        sis1 = next(colour for label, colour in fills.items() if label.startswith("SIS1"))
        assert sis1 == RED
        if "SIS2" in counts:
            assert next(c for label, c in fills.items() if label.startswith("SIS2")) != RED
    # measures of another thing never borrow a severity's colour
    assert RED not in charts.svg(made["status"]) and RED not in charts.svg(made["ratings"])


def test_labels_are_whole_and_titled_with_units() -> None:
    made = _charts(_data({"SIS1": 1, "SIS2": 9}))
    severity = _check_svg(charts.svg(made["severity"]))
    texts = [t.text for t in severity.iter(f"{SVG}text")]
    assert LONG_SIS1 in texts  # the whole label, not clipped nor cut
    assert "按故障级别统计的请求数（个）" in texts  # visible title with its unit
    assert "1 个" in texts and "9 个" in texts  # values with their unit
    attainment = _check_svg(charts.svg(made["attainment"]))
    assert "50%" in [t.text for t in attainment.iter(f"{SVG}text")]
    trend = _check_svg(charts.svg(made["trend"]))
    assert "每日登记与关闭的请求数（个）" in [t.text for t in trend.iter(f"{SVG}text")]
    desc = trend.find(f"{SVG}desc")
    assert desc is not None and "11-30" in (desc.text or "")  # every value, in words
    for chart in made.values():
        _check_svg(charts.svg(chart))
        assert chart.summary


def test_pdf_drawings_use_the_same_colours_and_fit() -> None:
    font = exports._font()
    for counts in ({"SIS1": 1, "SIS2": 9, "SIS3": 5}, {"SIS1": 9, "SIS3": 2}):
        made = _charts(_data(counts))
        for chart in made.values():
            drawing = charts.drawing(chart, font)
            for shape in drawing.contents:
                if isinstance(shape, pdf.String):
                    w = stringWidth(shape.text, font, shape.fontSize)
                    left = {"start": shape.x, "middle": shape.x - w / 2, "end": shape.x - w}[
                        shape.textAnchor
                    ]
                    assert left >= 0 and left + w <= drawing.width, shape.text
        bars = charts.drawing(made["severity"], font).contents
        labels = [s for s in bars if isinstance(s, pdf.String)]
        rects = [s for s in bars if isinstance(s, pdf.Rect)]
        sis1 = next(i for i, s in enumerate(labels[1::2]) if s.text.startswith("SIS1"))
        assert rects[sis1].fillColor.hexval().lower() == "0x" + RED[1:]


def test_service_page_charts_are_accessible(month: Month) -> None:
    client = web_client_for(month.people["manager"])
    with time_machine.travel(month.now, tick=False):
        html = client.get(
            "/reports/service/", {"project": month.project.pk, "period": "2026-11"}
        ).content.decode()
    svgs = [html[i : html.index("</svg>", i) + 6] for i in _starts(html, "<svg")]
    assert len(svgs) == 8  # trend, five dimensions, attainment, ratings
    for markup in svgs:
        root = _check_svg(markup)
        assert root.find(f"{SVG}title") is not None
    assert html.count('<figcaption class="muted">') == 8  # a text summary beside each
    severity = next(_check_svg(m) for m in svgs if "chart-severity-title" in m)
    fills = _fills(severity)  # every problem of the month is SIS2, but the withdrawn one
    assert {c for label, c in fills.items() if label.startswith("SIS2")} == {"#e65100"}
    assert len(fills) == 2 and "#e65100" in fills.values()


def _starts(text: str, needle: str) -> list[int]:
    found, at = [], text.find(needle)
    while at != -1:
        found.append(at)
        at = text.find(needle, at + 1)
    return found


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_has_the_chart_titles_and_summaries(month: Month, tmp_path: Path) -> None:
    client = api_client_for(month.people["manager"], language="zh-hans")
    with time_machine.travel(month.now, tick=False):
        response = client.get(
            "/api/v1/reports/service/",
            {"project": month.project.pk, "period": "2026-11", "format": "pdf"},
        )
    path = tmp_path / "report.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    flat = "".join(text.split())
    for title in (
        "每日登记与关闭的请求数（个）",
        "按故障级别统计的请求数（个）",
        "按服务类型统计的请求数（个）",
        "各故障级别SIS目标内解决率（%）",
        "评分分布（次）",
        "本期共登记6个",
    ):
        assert title in flat, title
