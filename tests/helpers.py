"""Helpers for tests: clients for a persona, and real subprocesses sharing the test database."""

from __future__ import annotations

import contextlib
import os
import socket
import socketserver
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from campusdesk.accounts import services as accounts
from campusdesk.accounts.models import ApiToken, User

SRC = Path(__file__).resolve().parents[1] / "src"


@contextlib.contextmanager
def serving(server: socketserver.BaseServer) -> Iterator[None]:
    """Run ``server`` (say a loopback ``ThreadingHTTPServer``) on a thread for the block."""
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def api_client_for(user: User, language: str | None = None) -> APIClient:
    client = APIClient()
    token, secret = accounts.api_token_create(user=user)
    # as if just used: the first request would otherwise also record the token's use (one
    # UPDATE), and tests that count a request's queries would count it once but not again
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=token.created_at)
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    if language:
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def api_token_with_secret(user: User, secret: str) -> ApiToken:
    """A token whose secret the test chose (the service makes a random one)."""
    token, _secret = accounts.api_token_create(user=user)
    token.key_hash = accounts.token_hash(secret)
    token.save(update_fields=["key_hash"])
    return token


def web_login(username: str, password: str) -> tuple[Client, bool]:
    """Log in through the real login form (django-axes sees every attempt)."""
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    return client, response.status_code == 302


def web_client_for(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="campusdesk.accounts.backends.UserBackend")
    return client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_url() -> str:
    """A DATABASE_URL for the test database, for a real subprocess to share it."""
    conf = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{conf['NAME']}"
    user = conf.get("USER") or "postgres"
    host = conf.get("HOST") or "127.0.0.1"
    port = conf.get("PORT") or 5432
    password = f":{conf['PASSWORD']}" if conf.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{conf['NAME']}"


def subprocess_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url(),
            "DATA_DIR": str(data_dir),
            "DEBUG": "1",
            "PYTHONPATH": str(SRC),
            "SECRET_KEY": str(settings.SECRET_KEY),
        }
    )
    env.update(extra)
    return env


PYTHON = sys.executable
