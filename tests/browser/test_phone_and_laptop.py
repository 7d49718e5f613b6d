"""A customer reads the problem list on a phone, the operations specialist works on a laptop,
an engineer escalates: the pages as these people meet them (issue 22 §1 and §6)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.site import demo
from campusdesk.tickets import selectors, services
from tests.browser.test_accessibility import LAPTOP, PHONE, signed_in
from tests.browser.test_ticket_flow import open_action

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LABEL = "el => getComputedStyle(el, '::before').content"


def test_phone_list_is_cards_and_laptop_navigation_one_line(browser: Any, live_server: Any):
    demo.load()
    customer = User.objects.get(username="user")
    shown = min(25, selectors.visible_tickets(customer).count())
    assert shown >= 10  # the demo gives the customer a list worth reading

    phone = signed_in(browser, live_server.url, "user", PHONE)
    phone.goto(f"{live_server.url}/tickets/")
    rows = phone.locator("#ticket-rows tbody tr")
    assert rows.count() == shown
    first = rows.first
    assert first.evaluate("el => getComputedStyle(el).display") == "flex"  # a card, not a row
    assert not phone.locator("#ticket-rows thead").is_visible()
    # the key field heads the card; every other value says what it is
    number = first.locator("td").nth(0)
    assert number.evaluate(LABEL) == "none"
    assert int(number.evaluate("el => getComputedStyle(el).fontWeight")) >= 700
    registered = first.locator("td").nth(8)
    assert registered.get_attribute("data-label") == "登记时间"
    assert registered.evaluate(LABEL) == '"登记时间"'
    project = first.locator("td").nth(5)
    assert project.is_visible() and project.evaluate(LABEL) == '"项目"'
    # no card wider than the phone, and the page stays a page
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    height = phone.evaluate("document.documentElement.scrollHeight")
    assert height < 4000, height  # 13,000 px before the cards
    assert max(rows.evaluate_all("rs => rs.map(r => r.getBoundingClientRect().height)")) < 170
    phone.context.close()

    laptop = signed_in(browser, live_server.url, "ops", LAPTOP)
    nav = laptop.locator("#main-nav")
    line = laptop.locator("#main-nav > a").first.bounding_box()["height"]
    assert nav.bounding_box()["height"] <= line + 2  # one line
    more = laptop.locator("#main-nav details.nav-more")
    assert not more.locator("a", has_text="值班表").is_visible()  # every link is still there
    more.locator("summary").click()
    more.locator("a", has_text="值班表").click()
    laptop.wait_for_url(f"{live_server.url}/duty/**")
    assert "current" in (laptop.locator("details.nav-more").get_attribute("class") or "")
    laptop.context.close()


def test_escalation_gives_feedback_keeps_focus_and_names_the_line(browser: Any, live_server: Any):
    demo.load(tickets=False)
    project = Project.objects.get(name="研究生管理系统运维服务")
    customer, engineer = User.objects.get(username="user"), User.objects.get(username="engineer")
    ticket = services.ticket_register(
        actor=customer,
        project_id=project.pk,
        product_id=project.product_id,
        title="研究生答辩安排无法发布",
        description="秘书点击“发布答辩安排”后一直转圈。",
        urgency="high",
        service_type="fault",
        channel="web",
    )
    services.ticket_accept(
        ticket_id=ticket.pk,
        actor=engineer,
        severity="SIS2",
        committed_resolution_at=timezone.now() + timedelta(hours=6),
    )
    page = signed_in(browser, live_server.url, "engineer", LAPTOP)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    assert page.locator("#ticket-tier").inner_text() == "一线：项目团队"
    toast = page.locator("#toast")
    assert toast.get_attribute("aria-live") == "polite"

    escalate = open_action(page, "escalate")
    escalate.locator("button.primary").click()  # no reason: the form comes back
    page.wait_for_selector("details[data-action=escalate] .error")
    page.wait_for_function("() => document.getElementById('toast').textContent.trim() !== ''")
    assert toast.inner_text() == "请修改标出的字段。"
    assert page.evaluate("document.activeElement.id") == "id_reason"  # focus on the field

    page.locator("details[data-action=escalate] #id_reason").fill("需要工程专家分析数据库锁")
    page.locator("details[data-action=escalate] button.primary").click()
    page.wait_for_selector("#ticket-tier:has-text('二线')")
    page.wait_for_function("() => document.getElementById('toast').textContent.includes('升级')")
    assert toast.inner_text() == "已完成：升级/转交。"
    assert toast.is_visible()
    assert page.evaluate("document.activeElement.id") == "ticket-main"  # the swapped region
    assert page.locator("#ticket-tier").inner_text() == "二线：工程专家"

    page.goto(f"{live_server.url}/tickets/")
    row = page.locator("#ticket-rows tbody tr", has_text=ticket.number)
    assert row.locator("td").nth(3).inner_text() == "二线"
    page.context.close()
