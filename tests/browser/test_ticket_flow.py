"""Register → accept → request closure → close, in Chromium, as the customer and the engineer."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from campusdesk.site import demo
from campusdesk.site.demo import PASSWORD
from campusdesk.tickets.models import Ticket
from tests.browser.test_login import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_action(page: Any, action: str) -> Any:
    details = page.locator(f'details[data-action="{action}"]')
    details.locator("summary").click()
    return details


def test_register_accept_request_closure_close(
    page: Any, browser: Any, live_server: Any, tmp_path: Path
):
    demo.load(tickets=False)
    login(page, "user", PASSWORD)
    page.wait_for_url(f"{page.base_url}/")
    page.click("#main-nav >> text=问题登记")
    page.fill("#id_title", "研究生答辩安排无法发布")
    page.fill("#id_description", "秘书点击“发布答辩安排”后一直转圈。")
    page.select_option("#id_urgency", "high")
    page.select_option("#id_service_type", "fault")
    page.click("button.primary")
    page.wait_for_url("**/tickets/*/")
    assert page.locator("#ticket-status").inner_text() == "待受理"
    ticket = Ticket.objects.get()
    ticket_url = page.url

    staff_context = browser.new_context(locale="zh-CN")
    staff = staff_context.new_page()
    staff.base_url = live_server.url
    login(staff, "engineer", PASSWORD)
    staff.wait_for_url(f"{live_server.url}/")
    staff.goto(f"{live_server.url}/queue/")
    staff.click(f"text={ticket.number}")
    accept = open_action(staff, "accept")
    accept.locator("#id_severity").select_option("SIS2")
    due = timezone.localtime() + timedelta(days=1)  # beyond SIS2's 8 h: confirmed once
    accept.locator("#id_committed_resolution_at").fill(due.strftime("%Y-%m-%dT%H:%M"))
    accept.locator("button.primary").click()
    confirm = staff.locator("details[data-action=accept] #id_beyond_target_ok")
    confirm.check()  # the form came back with the warning and the box, the time kept
    staff.locator("details[data-action=accept] button.primary").click()
    staff.wait_for_selector("#ticket-status:has-text('处理中')")  # htmx swapped the panel
    assert staff.locator("#beyond-target").inner_text() == "承诺时间超出目标"
    assert staff.url == ticket_url.replace(page.base_url, live_server.url)  # no full reload
    close_request = open_action(staff, "request_close")
    close_request.locator("#id_solution").fill("清理了答辩安排表中的重复数据，已可发布。")
    close_request.locator("button.primary").click()
    staff.wait_for_selector("#ticket-status:has-text('待确认关闭')")
    staff_context.close()

    page.reload()
    assert page.locator("#ticket-status").inner_text() == "待确认关闭"
    assert "清理了答辩安排表中的重复数据" in page.locator("#timeline").inner_text()
    close = open_action(page, "close")
    close.locator("label:has-text('★★★★★')").first.click()
    close.locator("#id_workload_hours").fill("2")
    close.locator("button.primary").click()
    page.wait_for_selector("#ticket-status:has-text('已关闭')")
    page.screenshot(path=str(tmp_path / "closed.png"), full_page=True)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.rating, ticket.severity) == ("closed", 5, "SIS2")
    assert list(ticket.events.values_list("action", flat=True)) == [
        "register",
        "accept",
        "request_close",
        "close",
    ]
