"""axe-core (its JavaScript from the axe-playwright-python package, nothing fetched) finds no
serious or critical violation on the main pages, as the people who use them, on a 1366-pixel
laptop and a 390-pixel phone: the problem list, a problem's page (its action forms open),
registration (问题登记), the KPI page and the message settings (消息设置)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from campusdesk.accounts.models import User
from campusdesk.site import demo
from campusdesk.site.demo import PASSWORD
from campusdesk.tickets import selectors
from tests.browser.test_login import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
BLOCKING = {"serious", "critical"}


def signed_in(browser: Any, base_url: str, username: str, viewport: dict[str, int]) -> Any:
    """A page of a fresh browser context, ``username`` logged in through the login page."""
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = base_url
    login(page, username, PASSWORD)
    page.wait_for_url(f"{base_url}/")
    return page


def blocking_violations(axe: Axe, page: Any, where: str) -> Iterator[str]:
    """What axe finds serious or critical on the page as it stands, one line per rule."""
    for violation in axe.run(page).response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [node["target"] for node in violation["nodes"][:5]]
            yield f"{where}: {violation['id']} ({violation['impact']}) {targets}"


def test_main_pages_have_no_serious_violation(browser: Any, live_server: Any):
    demo.load()
    customer = User.objects.get(username="user")
    mine = selectors.visible_tickets(customer)
    ticket = (mine.filter(status="pending_close").first() or mine.first()).pk  # type: ignore[union-attr]
    pages = {
        "user": ["/tickets/", f"/tickets/{ticket}/", "/tickets/new/", "/me/messages/"],
        "engineer": [f"/tickets/{ticket}/"],  # the staff's action forms
        "ops": ["/reports/kpi/"],
    }
    axe = Axe()
    found: list[str] = []
    for username, paths in pages.items():
        for viewport in (LAPTOP, PHONE):
            page = signed_in(browser, live_server.url, username, viewport)
            for path in paths:
                response = page.goto(f"{live_server.url}{path}")
                assert response.status == 200, (username, path)
                # forms folded in <details> (the ticket's actions) are checked open
                page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
                where = f"{username} {viewport['width']}px {path}"
                found += blocking_violations(axe, page, where)
            page.context.close()
    assert found == []
