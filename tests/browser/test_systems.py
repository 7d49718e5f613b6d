"""An engineer adds a component to a system's environment in Chromium (the row added by
htmx) and finds the new version in the history of the system's page."""

from __future__ import annotations

from typing import Any

import pytest

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.site import demo
from campusdesk.site.demo import PASSWORD
from campusdesk.systems import services
from campusdesk.systems.models import ApplicationSystem
from tests.browser.test_login import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ENVIRONMENT = {
    "os": {"name": "Kylin Linux Advanced Server", "version": "V10 SP3"},
    "components": [
        {"kind": "middleware", "name": "nginx", "version": "1.24.0"},
        {"kind": "database", "name": "DM8", "version": "8.1.3.62"},
    ],
    "ports": [{"port": 443, "protocol": "tcp", "service": "https", "exposure": "internet"}],
    "deployment": "两台应用服务器",
    "backup": "每日全备",
}


def _system() -> ApplicationSystem:
    demo.load(tickets=False)
    engineer = User.objects.get(username="engineer")
    system = services.system_create(
        actor=engineer,
        project=Project.objects.get(name="研究生管理系统运维服务"),
        name="研究生管理系统",
        importance="core",
    )
    services.environment_change(
        system_id=system.pk, actor=engineer, data=ENVIRONMENT, reason="初始登记"
    )
    return system


def test_add_a_component_row_and_see_the_new_version(page: Any):
    system = _system()
    login(page, "engineer", PASSWORD)
    page.wait_for_url(f"{page.base_url}/")
    page.goto(f"{page.base_url}/systems/{system.pk}/")
    page.click("#edit-environment")
    page.wait_for_url(f"**/systems/{system.pk}/environment/edit/")
    rows = page.locator("#components-rows tr")
    before = rows.count()
    page.click("#add-component")  # htmx fetches one blank row and appends it
    page.wait_for_function(
        "n => document.querySelectorAll('#components-rows tr').length === n", arg=before + 1
    )
    assert page.url.endswith("/environment/edit/")  # no form submitted
    added = rows.nth(before)
    added.locator("select").select_option("database")
    added.locator('input[name$="-name"]').fill("Redis")
    added.locator('input[name$="-version"]').fill("7.2.4")
    page.fill("#id_reason", "新增 Redis 会话缓存")
    page.click("#save-environment")
    page.wait_for_url(f"**/systems/{system.pk}/")
    version = page.locator('#versions tr[data-version="2"]')
    assert "新增 Redis 会话缓存" in version.inner_text()
    components = page.locator("#env-components").inner_text()
    assert "Redis" in components and "7.2.4" in components
    system.refresh_from_db()
    assert system.current_environment is not None
    assert system.current_environment.number == 2
