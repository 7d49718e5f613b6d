"""Sessions: in the database by default; read from Redis, written through, when REDIS_URL is
set; the signed-in user is read with their organisation in one query."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from campusdesk.accounts.models import User
from campusdesk.site.demo import PASSWORD
from tests.helpers import PYTHON, subprocess_env, web_client_for, web_login

pytestmark = pytest.mark.security

REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _settings_with(tmp_path: Path, redis_url: str) -> dict[str, object]:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'cache': s.CACHES['default']['BACKEND'], "
        "'sessions': s.SESSION_ENGINE}))"
    )
    env = subprocess_env(
        tmp_path, REDIS_URL=redis_url, DJANGO_SETTINGS_MODULE="campusdesk.settings"
    )
    done = subprocess.run(
        [PYTHON, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_redis_url_puts_the_cache_and_sessions_in_redis(tmp_path: Path):
    assert _settings_with(tmp_path, REDIS_TEST_URL) == {
        "cache": "django.core.cache.backends.redis.RedisCache",
        "sessions": "django.contrib.sessions.backends.cached_db",
    }
    assert _settings_with(tmp_path, "") == {
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "sessions": "django.contrib.sessions.backends.db",
    }


@pytest.fixture
def redis_sessions(settings):
    redis.Redis.from_url(REDIS_TEST_URL).flushdb()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_TEST_URL,
            "KEY_PREFIX": "campusdesk-test",
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    yield
    redis.Redis.from_url(REDIS_TEST_URL).flushdb()


def _session_queries(client: Client, path: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(path)
    return answer.status_code, [q["sql"] for q in queries if "django_session" in q["sql"]]


def test_a_session_in_redis_is_read_without_the_database_and_ends_at_logout(
    people: dict[str, User], redis_sessions: None
):
    client, ok = web_login("engineer", PASSWORD)
    assert ok
    status, reads = _session_queries(client, "/tickets/")
    assert status == 200 and reads == []
    # the same cookie in another browser (another process would read the same Redis)
    other = Client()
    other.cookies = client.cookies
    assert other.get("/tickets/").status_code == 200
    client.post("/accounts/logout/")
    assert other.get("/tickets/").status_code == 302  # to the login page


def test_without_redis_sessions_are_read_from_the_database(people: dict[str, User]):
    client, ok = web_login("engineer", PASSWORD)
    assert ok
    status, reads = _session_queries(client, "/tickets/")
    assert status == 200 and len(reads) == 1


def test_the_signed_in_user_is_read_with_the_organisation(people: dict[str, User]):
    client = web_client_for(people["user"])
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/tickets/").status_code == 200
    organisation_reads = [
        q["sql"]
        for q in queries
        if 'FROM "accounts_organisation"' in q["sql"] and '"accounts_user"' not in q["sql"]
    ]
    assert organisation_reads == []
    organisation = people["user"].organisation
    assert organisation is not None
    page = client.get("/tickets/").content.decode()
    assert (organisation.short_name or organisation.name) in page
