"""Login pages, API tokens, brute-force throttling and the language switch."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from campusdesk.accounts.models import User
from campusdesk.site.demo import PASSWORD
from tests.helpers import web_login

pytestmark = pytest.mark.security

TOKEN_URL = "/api/v1/auth/token/"


def test_token_for_a_correct_password_authenticates_api_calls(customer: User):
    response = APIClient().post(
        TOKEN_URL, {"username": "user", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "user"
    assert me.json()["organisation"] == "新疆师范大学"


def test_wrong_password_is_400_with_a_chinese_message_by_default(customer: User):
    response = APIClient().post(TOKEN_URL, {"username": "user", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == "用户名或密码不正确。"
    assert "token" not in response.json()


def test_wrong_password_message_follows_accept_language(customer: User):
    response = APIClient().post(
        TOKEN_URL,
        {"username": "user", "password": "nope"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "The username or password is not correct."


def test_missing_fields_are_named(db: None):
    response = APIClient().post(TOKEN_URL, {"username": "user"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()


def test_an_inactive_user_gets_no_token(customer: User):
    User.objects.filter(pk=customer.pk).update(is_active=False)
    response = APIClient().post(
        TOKEN_URL, {"username": "user", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 400


def test_repeated_failures_lock_the_account_out_even_with_the_right_password(
    customer: User, settings
):
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        bad = client.post(TOKEN_URL, {"username": "user", "password": "x"}, format="json")
        assert bad.status_code == 400
    locked = client.post(TOKEN_URL, {"username": "user", "password": "x"}, format="json")
    assert locked.status_code == 429
    right = client.post(TOKEN_URL, {"username": "user", "password": PASSWORD}, format="json")
    assert right.status_code == 429
    assert "登录失败次数过多" in right.json()["detail"]
    assert "token" not in right.json()
    # another account from the same address is not punished
    other = client.post(TOKEN_URL, {"username": "user2", "password": PASSWORD}, format="json")
    assert other.status_code == 200


def test_web_login_lockout_shows_a_page(customer: User, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": "user", "password": "x"})
    page = client.post(reverse("accounts:login"), {"username": "user", "password": PASSWORD})
    assert page.status_code == 429
    assert "登录失败次数过多" in page.content.decode()


def test_web_login_logout_and_password_change(customer: User):
    client = Client()
    wrong = client.post(reverse("accounts:login"), {"username": "user", "password": "bad"})
    assert wrong.status_code == 200
    assert "请输入一个正确的" in wrong.content.decode()
    ok = client.post(reverse("accounts:login"), {"username": "user", "password": PASSWORD})
    assert ok.status_code == 302
    home = client.get(reverse("core:home"))
    assert "研究生院 李老师" in home.content.decode()
    changed = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Xjnu-2026-graduate",
            "new_password2": "Xjnu-2026-graduate",
        },
    )
    assert changed.status_code == 302
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("core:home")).status_code == 302
    assert web_login("user", "Xjnu-2026-graduate")[1]


def test_password_change_rejects_a_weak_password_and_keeps_the_old_one(customer: User):
    client, _ = web_login("user", PASSWORD)
    page = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"},
    )
    assert page.status_code == 200
    assert "密码太短" in page.content.decode()
    assert web_login("user", PASSWORD)[1]


def test_pages_are_chinese_by_default_even_for_an_english_browser(db: None):
    page = Client().get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "<h1>登录</h1>" in page.content.decode()


@pytest.mark.parametrize("login", ["user", "engineer"])
def test_language_switch_is_remembered_for_the_user(people: dict[str, User], login: str):
    client, _ = web_login(login, PASSWORD)
    response = client.post(reverse("accounts:set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert User.objects.get(username=login).preferred_language == "en"
    assert "Welcome" in client.get("/").content.decode()
    # on another device (no cookie) the saved preference still applies
    fresh, _ = web_login(login, PASSWORD)
    assert "Welcome" in fresh.get("/").content.decode()


def test_language_switch_ignores_foreign_redirects_and_unknown_languages(customer: User):
    client, _ = web_login("user", PASSWORD)
    response = client.post(
        reverse("accounts:set_language"), {"language": "xx", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
    assert User.objects.get(username="user").preferred_language == ""
