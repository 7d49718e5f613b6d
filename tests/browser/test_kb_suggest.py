"""Suggestions from the case library appear while a customer types a problem (R-REG-2)."""

from __future__ import annotations

from typing import Any

import pytest

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.kb import services
from campusdesk.site import demo
from campusdesk.site.demo import PASSWORD
from tests.browser.test_login import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_suggestions_appear_while_typing(page: Any):
    demo.load(tickets=False)
    expert = User.objects.get(username="expert2")
    project = Project.objects.get(name="研究生管理系统运维服务")
    article = services.article_create(
        actor=expert,
        product_id=project.product_id,
        fields={
            "title": "录入成绩时系统报错",
            "symptoms": "保存成绩提示系统异常",
            "solution": "清理重复记录",
            "visibility": "public",
        },
    )
    services.article_set_status(article_id=article.pk, actor=expert, status="published")
    login(page, "user", PASSWORD)
    page.wait_for_url(f"{page.base_url}/")
    page.goto(f"{page.base_url}/tickets/new/")
    assert page.locator("#kb-suggestions .suggestion").count() == 0
    page.locator("#id_title").press_sequentially("成绩录入报错", delay=30)
    suggestion = page.locator("#kb-suggestions .suggestion a")
    suggestion.first.wait_for(timeout=5000)
    assert suggestion.first.inner_text() == "录入成绩时系统报错"
    assert suggestion.first.get_attribute("href") == f"/kb/{article.pk}/?from=register"
