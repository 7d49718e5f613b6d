"""Open redirects and secrets in logs (issue 23 §1): after a login, a logout or a language
switch the browser goes only to this site, whatever ``next`` says; a failed and a good
login, a token made through the API and a server error leave no password, token or
SECRET_KEY in the logs or on the error page."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from campusdesk.accounts.models import User
from campusdesk.site.demo import PASSWORD
from tests.accounts.test_auth import TOKEN_URL

pytestmark = [pytest.mark.security, pytest.mark.django_db]

ELSEWHERE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    "http://127.0.0.1.evil.example/",
]


def _stays_here(location: str) -> bool:
    return location.startswith("/") and not location.startswith(("//", "/\\"))


def test_login_and_language_switch_go_nowhere_else(customer: User):
    for target in ELSEWHERE:
        client = Client()
        done = client.post(
            f"{reverse('accounts:login')}?next={target}",
            {"username": "user", "password": PASSWORD, "next": target},
        )
        assert done.status_code == 302 and _stays_here(done["Location"]), (target, done["Location"])
        switched = client.post(reverse("accounts:set_language"), {"language": "en", "next": target})
        assert switched.status_code == 302 and _stays_here(switched["Location"]), target
        left = client.post(f"{reverse('accounts:logout')}?next={target}")
        assert left.status_code == 302 and _stays_here(left["Location"]), target
    # a path of the site itself is kept
    kept = Client().post(
        f"{reverse('accounts:login')}?next=/tickets/",
        {"username": "user", "password": PASSWORD, "next": "/tickets/"},
    )
    assert kept["Location"] == "/tickets/"


def test_no_password_token_or_key_reaches_the_logs(
    customer: User, caplog: pytest.LogCaptureFixture, settings: Any
):
    caplog.set_level(logging.DEBUG)
    Client().post(reverse("accounts:login"), {"username": "user", "password": "Wrong-Pass-123"})
    Client().post(reverse("accounts:login"), {"username": "user", "password": PASSWORD})
    made = APIClient().post(TOKEN_URL, {"username": "user", "password": PASSWORD}, format="json")
    token = made.json()["token"]
    logged = "\n".join(
        f"{r.getMessage()} {r.args!r} {getattr(r, 'request', '')!r}" for r in caplog.records
    )
    for secret in ("Wrong-Pass-123", PASSWORD, token, settings.SECRET_KEY):
        assert secret not in logged


def test_a_server_error_shows_no_secret(customer: User, settings: Any, monkeypatch: Any):
    from campusdesk.tickets import views

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"boom {settings.SECRET_KEY[:6]}")

    monkeypatch.setattr(views.selectors, "visible_tickets", broken)
    client = Client(raise_request_exception=False)
    client.force_login(customer, backend="campusdesk.accounts.backends.UserBackend")
    page = client.get("/tickets/")
    assert page.status_code == 500
    text = page.content.decode()
    assert settings.SECRET_KEY[:6] not in text and "Traceback" not in text
    assert "RuntimeError" not in text and "campusdesk/tickets" not in text
