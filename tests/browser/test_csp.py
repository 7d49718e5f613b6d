"""Under the Content-Security-Policy the pages still work in Chromium, and it refuses nothing:
htmx, our script and styles, the admin and the API docs all come from files of ours."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from campusdesk.kb.models import Article
from campusdesk.site import demo
from campusdesk.site.demo import PASSWORD
from campusdesk.tickets.models import Ticket
from tests.browser.test_login import login
from tests.browser.test_ticket_flow import open_action

pytestmark = [pytest.mark.security, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch(page: Any) -> list[str]:
    """The CSP violations Chromium reports on the console ("Executing inline script
    violates the following Content Security Policy directive …", "Refused to apply inline
    style …", "Refused to evaluate …")."""
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text or message.text.startswith("Refused to")
            else None
        ),
    )
    return refused


def test_main_pages_run_under_the_policy_without_a_violation(
    page: Any, browser: Any, published_case: Article
):
    refused = watch(page)

    login(page, "user", PASSWORD)  # the login page
    page.wait_for_url(f"{page.base_url}/")
    page.goto(f"{page.base_url}/tickets/new/")  # registration with case suggestions (htmx)
    page.locator("#id_title").press_sequentially("成绩录入报错", delay=30)
    page.locator("#kb-suggestions .suggestion a").first.wait_for(timeout=5000)
    page.fill("#id_description", "保存成绩时提示系统异常。")
    page.click("button.primary")
    page.wait_for_url("**/tickets/*/")
    ticket = Ticket.objects.get()

    staff = browser.new_context(locale="zh-CN").new_page()
    staff.base_url = page.base_url
    refused += watch(staff)
    login(staff, "engineer", PASSWORD)
    staff.wait_for_url(f"{page.base_url}/")
    staff.goto(f"{page.base_url}/tickets/")  # the list, its filters swapped by htmx
    staff.select_option("select[name=status]", "new")
    staff.wait_for_url("**status=new**")
    staff.goto(f"{page.base_url}/tickets/{ticket.pk}/")  # an htmx action on the ticket page
    accept = open_action(staff, "accept")
    accept.locator("#id_severity").select_option("SIS3")
    due = timezone.localtime() + timedelta(hours=2)  # within SIS3's target: not asked again
    accept.locator("#id_committed_resolution_at").fill(due.strftime("%Y-%m-%dT%H:%M"))
    accept.locator("button.primary").click()
    staff.wait_for_selector("#ticket-status:has-text('处理中')")
    # the menu of a phone-sized screen: our own app.js
    staff.set_viewport_size({"width": 375, "height": 740})
    staff.click(".menu-toggle")
    assert staff.locator("#main-nav").is_visible()

    assert refused == []


def test_admin_and_api_docs_run_under_the_policy(page: Any):
    demo.load(tickets=False)
    refused = watch(page)
    page.goto(f"{page.base_url}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{page.base_url}/admin/")
    page.goto(f"{page.base_url}/admin/catalog/project/")
    page.locator("#result_list").wait_for()
    page.click("#result_list tbody a >> nth=0")  # a change form with its widgets' scripts
    page.locator("#content-main form").wait_for()
    page.goto(f"{page.base_url}/api/docs/")  # Swagger UI, its script served apart
    page.locator("#swagger-ui .info .title").wait_for(timeout=15_000)
    assert page.locator("#swagger-ui .opblock").count() > 10
    assert refused == []


def test_a_violation_would_be_seen(page: Any, live_server: Any):
    """The check above is not blind: an inline script on one of our pages is refused and
    reported on the console."""
    refused = watch(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
        " document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.ran") is None
    assert refused and "inline script violates" in refused[0], refused
