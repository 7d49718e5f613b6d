"""The inbox in Chromium: the header counts unread messages, htmx marks one read in place; a
problem's messages are one row, read when the problem is opened."""

from __future__ import annotations

from typing import Any

import pytest

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.site import demo
from campusdesk.site.demo import PASSWORD
from campusdesk.tickets import services
from tests.browser.test_login import login
from tests.tickets.conftest import accept_now, new_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_engineer_reads_a_new_problem_message(page: Any):
    demo.load(tickets=False)
    project = Project.objects.get(name="研究生管理系统运维服务")
    new_ticket(project, User.objects.get(username="user"), title="浏览器里的新问题")
    login(page, "engineer", PASSWORD)
    page.wait_for_url(f"{page.base_url}/")
    assert page.locator("#unread-count").inner_text() == "1"
    page.click("#inbox-link")
    page.wait_for_url(f"{page.base_url}/inbox/")
    note = page.locator("li.note").first
    assert "浏览器里的新问题" in note.inner_text()
    note.locator("button:has-text('标为已读')").click()
    page.wait_for_selector("li.note:not(.unread)")
    page.reload()
    assert page.locator("#unread-count").count() == 0


def test_the_reporter_sees_one_row_per_problem_and_opening_it_reads_them(page: Any):
    demo.load(tickets=False)
    project = Project.objects.get(name="研究生管理系统运维服务")
    engineer = User.objects.get(username="engineer")
    ticket = new_ticket(project, User.objects.get(username="user"), title="成绩录入报错")
    accept_now(ticket, engineer)
    services.ticket_ask_info(ticket_id=ticket.pk, actor=engineer, question="请提供截图")
    services.ticket_request_close(ticket_id=ticket.pk, actor=engineer, solution="已清理")
    login(page, "user", PASSWORD)
    page.wait_for_url(f"{page.base_url}/")
    assert page.locator("#unread-count").inner_text() == "3"
    page.click("#inbox-link")
    page.wait_for_url(f"{page.base_url}/inbox/")
    rows = page.locator("li.note")
    assert rows.count() == 1  # three messages, one problem
    assert "成绩录入报错" in rows.first.inner_text() and "申请关闭" in rows.first.inner_text()
    assert "3" in rows.first.locator(".n-unread").inner_text()
    rows.first.locator("a[href^='/tickets/']").click()
    page.wait_for_url(f"{page.base_url}/tickets/{ticket.pk}/")
    assert page.locator("#unread-count").count() == 0
    page.go_back()
    page.reload()
    assert page.locator("li.note.unread").count() == 0
