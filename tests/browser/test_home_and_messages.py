"""What a person meets first, in Chromium (issue 22 §4, §5, §7): the customer opens the site on
a phone and sees what needs them, counted, and goes straight to it; an engineer's home on a
laptop starts from the problems to accept; the customer looks up 登录 in the case library;
and tunes 消息设置, a matrix whose every box says which message and which channel it is,
then clears the inbox with one button."""

from __future__ import annotations

from typing import Any

import pytest

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.notify.models import Notification, Preference
from campusdesk.site import demo
from campusdesk.tickets import selectors, services
from campusdesk.tickets.models import OPEN_STATUSES, Status
from tests.browser.test_accessibility import LAPTOP, PHONE, signed_in
from tests.tickets.conftest import accept_now, new_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_each_home_starts_from_what_needs_doing(browser: Any, live_server: Any):
    demo.load()
    customer = User.objects.get(username="user")
    mine = selectors.visible_tickets(customer).filter(reporter=customer)
    confirm = mine.filter(status=Status.PENDING_CLOSE).count()
    still_open = mine.filter(status__in=OPEN_STATUSES).count()
    assert confirm >= 1  # the demo leaves the customer something to confirm

    phone = signed_in(browser, live_server.url, "user", PHONE)
    todo = phone.locator("#todo")
    assert todo.locator("h2").inner_text() == "我的待办"
    # first on the page, above the projects, within the first screen
    assert todo.bounding_box()["y"] < PHONE["height"]
    assert phone.evaluate("document.querySelector('section.card').id") == "todo"
    item = todo.locator("[data-todo=confirm]")
    assert "待我确认关闭" in item.inner_text()
    assert item.locator(".todo-count").inner_text() == str(confirm)
    assert todo.locator("[data-todo=open] .todo-count").inner_text() == str(still_open)
    item.locator("a").click()
    phone.wait_for_url(lambda url: "status=pending_close" in url)
    rows = phone.locator("#ticket-rows tbody tr")
    assert rows.count() == min(confirm, 25)
    assert all("待确认关闭" in text for text in rows.all_inner_texts())

    # the case library answers the commonest question of all
    phone.goto(f"{live_server.url}/kb/")
    phone.fill("input[name=q]", "登录")
    phone.locator("form.filters button[type=submit]").click()
    phone.wait_for_url(lambda url: "q=" in url)
    found = phone.locator("table.list tbody tr a")
    assert found.count() >= 1
    assert phone.locator("table.list tbody td.muted").count() == 0  # not "no cases found"
    found.first.click()
    phone.wait_for_url("**/kb/*/")
    assert phone.locator("h1").inner_text().strip()
    phone.context.close()

    engineer = User.objects.get(username="engineer")
    to_accept = list(
        selectors.my_tier_tickets(engineer)
        .filter(status=Status.NEW)
        .values_list("number", flat=True)
    )
    laptop = signed_in(browser, live_server.url, "engineer", LAPTOP)
    accept = laptop.locator("#todo [data-todo=accept]")
    assert "待受理" in accept.inner_text()
    assert accept.locator(".todo-count").inner_text() == str(len(to_accept))
    accept.locator("a").click()
    laptop.wait_for_url("**/queue/**")
    listed = laptop.locator("#ticket-rows").inner_text()
    assert all(number in listed for number in to_accept[:25])
    laptop.context.close()


def test_the_customer_tunes_messages_and_clears_the_inbox(browser: Any, live_server: Any):
    demo.load(tickets=False)
    project = Project.objects.get(name="研究生管理系统运维服务")
    customer, engineer = User.objects.get(username="user"), User.objects.get(username="engineer")
    ticket = new_ticket(project, customer, title="导师信息无法保存")
    accept_now(ticket, engineer)
    services.ticket_ask_info(ticket_id=ticket.pk, actor=engineer, question="请提供导师工号")
    unread = Notification.objects.filter(recipient=customer, read_at__isnull=True).count()
    assert unread >= 2

    page = signed_in(browser, live_server.url, "user", LAPTOP)
    page.goto(f"{live_server.url}/me/messages/")
    matrix = page.locator("#message-matrix")
    headers = matrix.locator("thead th").all_inner_texts()
    assert headers[0] == "消息类型" and len(headers) == 3  # type, then one column per channel
    boxes = matrix.locator("input[type=checkbox]")
    labels = boxes.evaluate_all("bs => bs.map(b => b.getAttribute('aria-label'))")
    assert len(labels) == 2 * matrix.locator("tbody tr").count()
    assert all(label and " · " in label for label in labels)
    # the customer hears only what needs them: no e-mail for every comment by default
    record = matrix.locator("tbody tr", has_text="新的处理记录或留言")
    assert record.count() == 1
    assert not record.locator("input").first.is_checked()
    box = matrix.locator("input[name=accepted-email]")
    assert box.is_checked()
    row_label = matrix.locator("tbody tr:has(input[name=accepted-email]) th").inner_text()
    column = headers[2]
    assert box.get_attribute("aria-label") == f"{row_label} · {column}"
    page.get_by_role("checkbox", name=f"{row_label} · {column}", exact=True).uncheck()
    page.locator("form.form-card button.primary").click()
    page.wait_for_selector("text=消息设置已保存。")
    assert not page.locator("input[name=accepted-email]").is_checked()
    assert Preference.objects.get(user=customer, kind="accepted").email is False

    page.goto(f"{live_server.url}/inbox/")
    assert page.locator("#unread-count").inner_text() == str(unread)
    page.locator("#read-all button").click()
    page.wait_for_url(f"{live_server.url}/inbox/")
    page.wait_for_selector("#inbox-rows li.note")
    assert page.locator("#unread-count").count() == 0
    assert page.locator("li.note.unread").count() == 0
    assert page.locator("#read-all").count() == 0  # nothing left to mark
    assert not Notification.objects.filter(recipient=customer, read_at__isnull=True).exists()
    page.context.close()
