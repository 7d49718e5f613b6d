"""The status page on a 390-pixel phone in Chromium: the customer sees every system of their
organisation with its state, uptime and latency chart, nothing wider than the screen, no
asset fetched from anywhere but this server; the public link shows the same page without a
login and without the incident links."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from campusdesk.accounts.demo import XJNU
from campusdesk.accounts.models import Organisation, User
from campusdesk.monitoring import services
from campusdesk.site import demo
from campusdesk.site.demo import PASSWORD
from campusdesk.systems.models import ApplicationSystem
from tests.browser.test_login import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _phone(browser: Any, base_url: str) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = base_url
    hosts: list[str] = []
    page.on("request", lambda request: hosts.append(urlsplit(request.url).netloc))
    return context, page, hosts


def _fits_the_screen(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a {PHONE['width']} px phone"


def test_the_status_page_on_a_phone_and_its_public_link(browser: Any, live_server: Any):
    demo.load()
    organisation = Organisation.objects.get(name=XJNU)
    names = set(
        ApplicationSystem.objects.filter(organisation=organisation).values_list("name", flat=True)
    )
    server = urlsplit(live_server.url).netloc
    context, page, hosts = _phone(browser, live_server.url)
    try:
        login(page, "user", PASSWORD)
        page.wait_for_url(f"{page.base_url}/")
        page.goto(f"{page.base_url}/status/{organisation.pk}/")
        cards = page.locator("section.status-system")
        assert cards.count() == len(names) > 1
        shown = {cards.nth(i).locator("h2 a").inner_text() for i in range(cards.count())}
        assert shown == names
        graduate = page.locator("section.status-system", has_text="研究生管理系统").first
        assert "%" in graduate.inner_text()  # its uptime figures
        assert graduate.locator("svg").count() >= 1  # the latency chart, drawn by the server
        assert graduate.locator("svg").first.bounding_box()["width"] <= PHONE["width"]
        _fits_the_screen(page)
        assert set(hosts) == {server}, hosts
    finally:
        context.close()

    engineer = User.objects.get(username="engineer")
    link = services.status_token_rotate(actor=engineer, organisation_id=organisation.pk)
    context, page, hosts = _phone(browser, live_server.url)
    try:
        page.goto(f"{page.base_url}/status/public/{link.token}/")
        cards = page.locator("section.status-system")
        assert cards.count() == len(names)
        assert page.locator("section.status-system a").count() == 0  # no links inward
        assert page.locator("#id_username").count() == 0  # no login asked
        _fits_the_screen(page)
        assert set(hosts) == {server}, hosts
    finally:
        context.close()
