"""The service report's workbook in Chinese words: labels for codes, headers that say what
a column holds (a count per day is not a registration time), no two columns alike."""

from __future__ import annotations

import io
from typing import Any

import time_machine
from openpyxl import load_workbook

from campusdesk.tickets.models import Status
from tests.helpers import api_client_for
from tests.reports.conftest import Month

URL = "/api/v1/reports/service/"


def _book(month: Month, **params: Any) -> Any:
    client = api_client_for(month.people["manager"], language="zh-hans")
    query = {"project": month.project.pk, "period": "2026-11", "format": "xlsx", **params}
    with time_machine.travel(month.now, tick=False):
        response = client.get(URL, query)
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


def _sheet(book: Any, title: str) -> list[tuple[Any, ...]]:
    return list(book[title].iter_rows(values_only=True))


def test_all_requests_shows_labels_not_codes(month: Month) -> None:
    header, *rows = _sheet(_book(month), "全部请求")
    column = {name: header.index(name) for name in ("状态", "服务类型", "渠道", "处理线")}
    statuses = {row[column["状态"]] for row in rows}
    assert statuses and statuses <= {str(label) for label in Status.labels}
    assert {"处理中", "已关闭", "已撤回"} <= statuses
    assert {row[column["服务类型"]] for row in rows} == {"故障处理"}
    assert {row[column["渠道"]] for row in rows} == {"网页"}
    assert {row[column["处理线"]] for row in rows} >= {"一线：项目团队", "二线：工程专家"}


def test_the_trend_counts_per_day_or_week(month: Month) -> None:
    assert _sheet(_book(month), "趋势")[0] == ("日期", "登记数", "关闭数")
    quarter = _book(month, period="2026-Q4")
    assert _sheet(quarter, "趋势")[0] == ("周（起始日）", "登记数", "关闭数")


def test_no_sheet_has_two_columns_alike(month: Month) -> None:
    book = _book(month)
    for sheet in book.worksheets:
        header = next(sheet.iter_rows(max_row=1, values_only=True))
        assert len(set(header)) == len(header), (sheet.title, header)
    assert _sheet(book, "重复出现的问题")[0] == ("类别", "问题", "问题数")
    assert _sheet(book, "服务范围外工作计费")[0] == ("编号", "标题", "变更类型", "工时")
