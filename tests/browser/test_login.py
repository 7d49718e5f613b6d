"""Logging in through the real login page in Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from campusdesk.site import demo
from campusdesk.site.demo import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page: Any, username: str, password: str) -> None:
    page.goto(f"{page.base_url}/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button.primary")


def test_login_through_the_page_and_see_own_projects(page: Any, tmp_path: Path):
    demo.load()
    login(page, "user", "wrong")
    assert page.locator("[role=alert]").inner_text().startswith("请输入一个正确的")
    login(page, "user", PASSWORD)
    page.wait_for_url(f"{page.base_url}/")
    assert "研究生院 李老师" in page.locator("h1").inner_text()
    table = page.locator("table.list").inner_text()
    assert "研究生管理系统运维服务" in table
    assert "学工系统运维服务" not in table
    # htmx is served locally and loaded
    assert page.evaluate("typeof window.htmx") == "object"
    page.screenshot(path=str(tmp_path / "home.png"))


def test_phone_layout_has_a_working_menu(page: Any):
    demo.load()
    page.set_viewport_size({"width": 375, "height": 740})
    login(page, "ops", PASSWORD)
    page.wait_for_url(f"{page.base_url}/")
    nav = page.locator("#main-nav")
    assert not nav.is_visible()
    page.click(".menu-toggle")
    assert nav.is_visible()
    page.click("#main-nav >> text=项目")
    page.wait_for_url(f"{page.base_url}/projects/")
    assert "学工系统运维服务" in page.locator("table.list").inner_text()
