"""Browser tests: Playwright's Python package driving Debian's Chromium (never a downloaded one)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.kb import services as kb
from campusdesk.kb.models import Article
from campusdesk.site import demo

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Chromium's background services try to reach the internet; this machine has none.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (see .ci/run)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the
    # test body are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    yield page
    context.close()


@pytest.fixture
def published_case() -> Article:
    """The demo without tickets, and one published case of the graduate system's product
    ("录入成绩时系统报错"), which a customer's problem about 成绩录入 should find."""
    demo.load(tickets=False)
    project = Project.objects.get(name="研究生管理系统运维服务")
    expert = User.objects.get(username="expert2")
    article = kb.article_create(
        actor=expert,
        product_id=project.product_id,
        fields={
            "title": "录入成绩时系统报错",
            "symptoms": "保存成绩提示系统异常",
            "solution": "清理重复记录",
            "visibility": "public",
        },
    )
    kb.article_set_status(article_id=article.pk, actor=expert, status="published")
    return article
