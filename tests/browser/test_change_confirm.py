"""The service manager approves a planned change in Chromium: the browser asks first
(htmx's hx-confirm on the boosted form); declining leaves the change as it was, accepting
approves it and shows the change page again."""

from __future__ import annotations

from typing import Any

import pytest

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.site import demo
from campusdesk.site.demo import PASSWORD
from campusdesk.systems.models import Change
from tests.browser.test_login import login
from tests.systems.changefix import plan, registered

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_approving_asks_first(page: Any):
    demo.load(tickets=False)
    engineer = User.objects.get(username="engineer")
    system = registered(engineer, Project.objects.get(name="研究生管理系统运维服务"))
    change = plan(system, engineer)
    login(page, "manager", PASSWORD)
    page.wait_for_url(f"{page.base_url}/")
    page.goto(f"{page.base_url}/systems/changes/{change.pk}/")
    questions: list[str] = []

    def answer(dialog: Any, accept: bool) -> None:
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.click("details.object-action summary >> nth=0")
    page.click("details.object-action[open] button[type=submit]")
    page.wait_for_timeout(500)
    assert len(questions) == 1
    change.refresh_from_db()
    assert change.status == "planned"

    planned = page.inner_text("#change-status")
    page.once("dialog", lambda dialog: answer(dialog, True))
    page.click("details.object-action[open] button[type=submit]")
    page.wait_for_function(  # the page came back with the change approved
        "s => document.querySelector('#change-status').textContent.trim() !== s", arg=planned
    )
    change.refresh_from_db()
    assert change.status == Change.Status.APPROVED and len(questions) == 2
    assert page.url.endswith(f"/systems/changes/{change.pk}/")
