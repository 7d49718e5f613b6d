"""Suggestions from the case library appear while a customer types a problem (R-REG-2)."""

from __future__ import annotations

from typing import Any

import pytest

from campusdesk.kb.models import Article
from campusdesk.site.demo import PASSWORD
from tests.browser.test_login import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_suggestions_appear_while_typing(page: Any, published_case: Article):
    article = published_case
    login(page, "user", PASSWORD)
    page.wait_for_url(f"{page.base_url}/")
    page.goto(f"{page.base_url}/tickets/new/")
    assert page.locator("#kb-suggestions .suggestion").count() == 0
    page.locator("#id_title").press_sequentially("成绩录入报错", delay=30)
    suggestion = page.locator("#kb-suggestions .suggestion a")
    suggestion.first.wait_for(timeout=5000)
    assert suggestion.first.inner_text() == "录入成绩时系统报错"
    assert suggestion.first.get_attribute("href") == f"/kb/{article.pk}/?from=register"
