"""The error pages (400, 403, CSRF, 404, 500) speak Chinese, whatever the browser asks for.

Django's own 400, CSRF and 500 pages are English; ours are made without a request (no
context processors, no database) in the site's look. An answer made before the language
middleware runs (a bad Host header) is not in the language the previous request left.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

from campusdesk.accounts.models import User
from tests.helpers import web_client_for
from tests.test_i18n_pages import findings, visible_text

pytestmark = pytest.mark.security

ENGLISH_BROWSER = {"accept-language": "en-US,en;q=0.9"}


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", _boom), path("", include("campusdesk.urls"))]
handler500 = "campusdesk.core.failures.server_error"


def _page(response: Any) -> str:
    return response.content.decode()


def _chinese(body: str, title: str) -> None:
    assert '<html lang="zh-hans">' in body
    assert f"<title>{title} · campusdesk</title>" in body
    assert findings("page", visible_text(body)) == []


@pytest.mark.urls("tests.core.test_error_pages")
def test_a_server_error_is_a_chinese_page(people: dict[str, User]) -> None:
    client = web_client_for(people["user"])
    client.raise_request_exception = False
    response = client.get("/boom/", headers=ENGLISH_BROWSER)
    assert response.status_code == 500
    _chinese(_page(response), "服务器错误")
    assert "Server Error" not in _page(response)


@pytest.mark.urls("tests.core.test_error_pages")
def test_the_server_error_page_follows_a_chosen_language(db: None) -> None:
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/boom/")
    assert response.status_code == 500 and '<html lang="en">' in _page(response)
    assert "<title>Server error · campusdesk</title>" in _page(response)


def test_not_found_and_not_allowed_are_chinese(people: dict[str, User]) -> None:
    anonymous = Client()
    _chinese(_page(anonymous.get("/no-such-page/", headers=ENGLISH_BROWSER)), "未找到")
    forbidden = web_client_for(people["user"]).get("/status/", headers=ENGLISH_BROWSER)
    assert forbidden.status_code == 403
    _chinese(_page(forbidden), "无权访问")


def test_a_refused_form_is_explained_in_chinese(db: None) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "user"}, headers=ENGLISH_BROWSER)
    assert response.status_code == 403
    _chinese(_page(response), "请求被拒绝")


def test_a_bad_request_is_chinese_even_after_an_english_one(db: None) -> None:
    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert '<html lang="en">' in _page(english.get("/accounts/login/"))
    # refused by CommonMiddleware before the language middleware runs
    response = Client().get("/accounts/login/", headers={"host": "evil.example"})
    assert response.status_code == 400
    _chinese(_page(response), "请求无效")
