"""The inbox in Chromium: the header counts unread messages, htmx marks one read in place."""

from __future__ import annotations

from typing import Any

import pytest

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.site import demo
from campusdesk.site.demo import PASSWORD
from tests.browser.test_login import login
from tests.tickets.conftest import new_ticket

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
