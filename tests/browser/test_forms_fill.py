"""Forms that fill themselves, in Chromium (issue 22 §2, §3): a customer registering on a phone
sees how many cases may answer the problem, under the description and before the button; an
engineer accepting finds the committed time filled from the severity's target, and following
the severity chosen; the hotline's agent choosing the caller sees only the projects of the
caller's organisation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.kb.models import Article
from campusdesk.site import demo
from campusdesk.site.demo import PASSWORD
from campusdesk.tickets import deadlines
from tests.browser.test_login import login
from tests.tickets.conftest import new_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    yield page
    context.close()


def test_on_a_phone_the_cases_found_show_before_the_button(phone: Any, published_case: Article):
    with translation.override("zh-hans"):  # "找到 1 条相关案例"
        found = translation.gettext("Found %(count)s related cases") % {"count": 1}
    login(phone, "user", PASSWORD)
    phone.wait_for_url(f"{phone.base_url}/")
    phone.goto(f"{phone.base_url}/tickets/new/")
    phone.locator("#id_description").press_sequentially("成绩录入报错", delay=30)
    heading = phone.locator("#kb-suggestions h2")
    heading.wait_for(timeout=5000)
    assert heading.inner_text() == found
    assert phone.locator("#kb-suggestions .suggestion a").first.inner_text() == published_case.title
    description = phone.locator("#id_description").bounding_box()
    cases = phone.locator("#kb-suggestions").bounding_box()
    button = phone.locator("form button.primary").bounding_box()
    assert description["y"] + description["height"] <= cases["y"]  # under the description
    assert cases["y"] + cases["height"] <= button["y"]  # before the button
    assert cases["x"] + cases["width"] <= 390  # on the screen, not beside it


def test_accepting_fills_the_committed_time_and_follows_the_severity(page: Any):
    demo.load(tickets=False)
    project = Project.objects.get(name="研究生管理系统运维服务")
    ticket = new_ticket(project, User.objects.get(username="user"), urgency="medium")
    sis1 = clock.local(deadlines.keeper().resolve_target(ticket, "SIS1"))
    login(page, "engineer", PASSWORD)
    page.wait_for_url(f"{page.base_url}/")
    page.goto(f"{page.base_url}/tickets/{ticket.pk}/")
    accept = page.locator('details[data-action="accept"]')
    accept.locator("summary").click()
    due = accept.locator("#id_committed_resolution_at")
    filled = due.input_value()
    assert filled  # the provisional severity's target
    accept.locator("#id_severity").select_option("SIS1")
    assert due.input_value() == sis1.strftime("%Y-%m-%dT%H:%M") != filled
    due.fill("2030-01-01T10:00")  # the engineer's own time is theirs
    accept.locator("#id_severity").select_option("SIS3")
    assert due.input_value() == "2030-01-01T10:00"


def test_choosing_the_caller_narrows_the_projects(page: Any):
    demo.load(tickets=False)
    ours = Project.objects.get(name="研究生管理系统运维服务")
    login(page, "agent", PASSWORD)
    page.wait_for_url(f"{page.base_url}/")
    page.goto(f"{page.base_url}/tickets/new/")
    projects = page.locator("#id_project option")
    every = projects.count()
    assert every > 2  # the prompt and every customer's projects
    page.locator("#who").press_sequentially("0991", delay=20)  # 研究生院 李老师's phone
    page.wait_for_function("() => document.querySelectorAll('#id_reporter option').length === 2")
    page.select_option("#id_reporter", index=1)
    # a function, not an expression: Playwright evals an expression, which the CSP refuses
    page.wait_for_function(
        "() => document.querySelectorAll('#id_project option').length === 2", timeout=5000
    )
    assert page.locator("#id_project").input_value() == str(ours.pk)  # their only contract
    assert projects.nth(1).inner_text() == ours.name
