"""The service desk registers a phone call for a customer, in Chromium (R-IN-2)."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from campusdesk.site import demo
from campusdesk.site.demo import PASSWORD
from campusdesk.tickets.models import Ticket
from tests.browser.test_login import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_agent_finds_the_caller_and_registers_the_call(page: Any):
    demo.load(tickets=False)
    login(page, "agent", PASSWORD)
    page.wait_for_url(f"{page.base_url}/")
    page.goto(f"{page.base_url}/tickets/new/")
    page.locator("#who").press_sequentially("0991", delay=20)  # 研究生院 李老师's phone
    # a function, not an expression: Playwright evals an expression, which the CSP refuses
    page.wait_for_function("() => document.querySelectorAll('#id_reporter option').length === 2")
    options = page.locator("#id_reporter option")  # the prompt and the one match
    assert "0991-4332001" in options.nth(1).inner_text()
    page.select_option("#id_reporter", index=1)
    page.select_option("#id_project", label="研究生管理系统运维服务")
    page.fill("#id_title", "电话报修：学位申请提交后无响应")
    page.fill("#id_description", "李老师来电：学位申请点击提交后一直转圈。")
    page.select_option("#id_service_type", "fault")
    page.fill("#id_call_notes", "来电 10:05，已告知先清理浏览器缓存，问题依旧。")
    page.click("button.primary")
    page.wait_for_url("**/tickets/*/")
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.reporter.username, ticket.created_by.username) == (
        "phone",
        "user",
        "agent",
    )
    register = ticket.events.get(action="register")
    assert register.data["call_notes"].startswith("来电 10:05")
    assert "来电 10:05" in page.locator("#timeline").inner_text()


def test_a_call_outside_business_hours_is_on_the_duty_line(people, project):
    from campusdesk.tickets import services

    with time_machine.travel("2026-11-28 21:30 +0800", tick=False):  # a Saturday night
        ticket = services.ticket_register(
            actor=people["agent"],
            project_id=project.pk,
            product_id=None,
            title="夜间来电",
            description="系统无法登录",
            urgency="critical",
            service_type="fault",
            channel="phone",
            reporter_id=people["user"].pk,
            call_notes="值班电话",
        )
    assert ticket.events.get(action="register").data["duty_line"] is True
    with time_machine.travel("2026-11-27 10:00 +0800", tick=False):  # a Friday morning
        day = services.ticket_register(
            actor=people["agent"],
            project_id=project.pk,
            product_id=None,
            title="白天来电",
            description="系统无法登录",
            urgency="high",
            service_type="fault",
            channel="phone",
            reporter_id=people["user"].pk,
        )
    assert day.events.get(action="register").data["duty_line"] is False
