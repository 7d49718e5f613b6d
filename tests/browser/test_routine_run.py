"""Routine work on a 390-pixel phone in Chromium, as the engineer does it on the machine-room
floor: open the inspection run that is due, record a check with its measured value and a
photo, see it recorded, fail a check and see the problem it opened; then the duty roster,
nothing wider than the screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from campusdesk.accounts.models import User
from campusdesk.routines import services
from campusdesk.routines.demo import INSPECTION
from campusdesk.routines.models import Evidence, Routine, RunItem
from campusdesk.site import demo
from campusdesk.site.demo import PASSWORD
from tests.browser.test_login import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _fits_the_screen(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a {PHONE['width']} px phone"


def test_an_engineer_records_a_run_and_reads_the_roster_on_a_phone(
    browser: Any, live_server: Any, tmp_path: Path
):
    demo.load()
    engineer = User.objects.get(username="engineer")
    run = services.run_create_now(actor=engineer, routine=Routine.objects.get(name=INSPECTION))
    photo = tmp_path / "磁盘.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 256)
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    try:
        login(page, "engineer", PASSWORD)
        page.wait_for_url(f"{page.base_url}/")
        page.goto(f"{page.base_url}/runs/{run.pk}/")
        assert run.title in page.locator("h1").inner_text()
        _fits_the_screen(page)

        first = page.locator("form[action$='/items/0/']")
        first.locator("input[type=radio][value=pass]").check()
        first.locator("input[name=value]").fill("/ 45%，/data 70%")
        first.locator("input[type=file]").set_input_files(str(photo))
        first.locator("button[type=submit]").click()
        page.wait_for_url(f"**/runs/{run.pk}/#item-0")
        assert "已记录" in page.locator("ul.messages").inner_text()
        row = page.locator("#item-0")
        assert "/data 70%" in row.inner_text() and "磁盘.png" in row.inner_text()
        assert Evidence.objects.filter(item__run=run, item__position=0).count() == 1

        error_logs = page.locator("form[action$='/items/3/']")
        error_logs.locator("input[type=radio][value=fail]").check()
        error_logs.locator("textarea[name=note]").fill("ORA-01555 每小时 20 次")
        error_logs.locator("button[type=submit]").click()
        page.wait_for_url(f"**/runs/{run.pk}/#item-3")
        item = RunItem.objects.select_related("ticket").get(run=run, position=3)
        assert item.result == "fail" and item.ticket is not None
        assert f"#{item.ticket.number}" in page.locator("#item-3").inner_text()
        _fits_the_screen(page)

        page.goto(f"{page.base_url}/duty/")
        assert "值班表" in page.locator("h1").inner_text()
        assert page.locator("#coverage tbody tr").count() >= 1
        _fits_the_screen(page)
    finally:
        context.close()
