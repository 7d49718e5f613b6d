"""API tokens: kept as hashes, expiring, listed and revoked by their owner, and revoked by a
password change or a deactivation."""

from __future__ import annotations

import hashlib
import importlib
import io
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.forms import SetPasswordForm
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from campusdesk.accounts import services
from campusdesk.accounts.models import ApiToken, User
from campusdesk.site.demo import PASSWORD
from tests.helpers import api_token_with_secret, web_client_for, web_login

pytestmark = pytest.mark.security

TOKEN_URL = "/api/v1/auth/token/"
NEW_PASSWORD = "Xjnu-2026-graduate"


def _obtain(username: str = "user", password: str = PASSWORD) -> str:
    response = APIClient().post(
        TOKEN_URL, {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"token"}
    return str(response.json()["token"])


def _client(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def _works(secret: str) -> bool:
    status = _client(secret).get("/api/v1/me/").status_code
    assert status in {200, 401}, status
    return status == 200


def test_the_database_keeps_no_plain_token(customer: User):
    secret = _obtain()
    row = ApiToken.objects.get(user=customer)
    assert row.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert row.prefix == secret[:8]
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert secret not in dump.getvalue()
    assert "authtoken_token" not in connection.introspection.table_names()
    assert _works(secret)


def test_every_login_gives_a_new_token_and_the_old_ones_keep_working(customer: User):
    first, second = _obtain(), _obtain()
    assert first != second
    assert _works(first) and _works(second)


def test_a_token_expires_after_api_token_days(customer: User, settings):
    settings.API_TOKEN_DAYS = 3
    with time_machine.travel("2026-12-01 09:00 +0800", tick=False) as clock:
        secret = _obtain()
        assert ApiToken.objects.get().expires_at == timezone.now() + timedelta(days=3)
        clock.shift(timedelta(days=3) - timedelta(seconds=1))
        assert _works(secret)
        clock.shift(timedelta(seconds=1))
        response = _client(secret).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["detail"] == "令牌已过期。"
    assert response["WWW-Authenticate"] == "Token"


def test_the_default_lifetime_is_90_days(customer: User):
    with time_machine.travel("2026-12-01 09:00 +0800", tick=False) as clock:
        secret = _obtain()
        clock.shift(timedelta(days=90) - timedelta(seconds=1))
        assert _works(secret)
        clock.shift(timedelta(seconds=1))
        assert not _works(secret)


def test_unknown_token_is_401_in_chinese(db: None):
    response = _client("no-such-token").get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["detail"] == "认证令牌无效。"


def test_last_use_is_recorded_at_most_once_a_minute(customer: User):
    with time_machine.travel("2026-12-01 09:00 +0800", tick=False) as clock:
        secret = _obtain()
        assert ApiToken.objects.get().last_used_at is None
        clock.shift(timedelta(seconds=5))
        assert _works(secret)
        first_use = timezone.now()
        assert ApiToken.objects.get().last_used_at == first_use
        clock.shift(timedelta(seconds=30))
        assert _works(secret)
        assert ApiToken.objects.get().last_used_at == first_use
        clock.shift(timedelta(seconds=31))
        assert _works(secret)
        assert ApiToken.objects.get().last_used_at == timezone.now()


def test_the_list_shows_live_tokens_never_a_secret(customer: User, outsider: User):
    with time_machine.travel("2026-12-01 09:00 +0800", tick=False) as clock:
        old = _obtain()
        clock.shift(timedelta(days=80))
        mine = _obtain()
        _obtain("user2")
        clock.shift(timedelta(days=11))  # the first token has expired
        response = _client(mine).get("/api/v1/me/tokens/")
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == 1
    assert set(rows[0]) == {
        "id",
        "name",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "current",
    }
    assert rows[0]["id"] == ApiToken.objects.get(prefix=mine[:8]).pk
    assert rows[0]["current"] is True
    assert rows[0]["prefix"] == mine[:8]
    assert mine not in response.content.decode() and old not in response.content.decode()


def test_revoking_one_token(customer: User):
    keep, drop = _obtain(), _obtain()
    token = ApiToken.objects.get(prefix=drop[:8])
    assert _client(keep).delete(f"/api/v1/me/tokens/{token.pk}/").status_code == 204
    assert not _works(drop)
    assert _works(keep)
    assert _client(keep).delete(f"/api/v1/me/tokens/{token.pk}/").status_code == 404


def test_another_users_token_is_not_found(customer: User, outsider: User):
    theirs = _obtain("user2")
    token = ApiToken.objects.get(user=outsider)
    response = _client(_obtain()).delete(f"/api/v1/me/tokens/{token.pk}/")
    assert response.status_code == 404
    assert _works(theirs)
    huge = _client(_obtain()).delete(f"/api/v1/me/tokens/{2**70}/")
    assert huge.status_code == 404


def test_api_logout_revokes_only_the_token_it_was_made_with(customer: User):
    used, other = _obtain(), _obtain()
    assert _client(used).post("/api/v1/me/logout/").status_code == 204
    assert not _works(used)
    assert _works(other)


def test_password_change_through_the_api(customer: User, outsider: User):
    caller, other = _obtain(), _obtain()
    theirs = _obtain("user2")
    response = _client(caller).post(
        "/api/v1/me/password/",
        {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 200, response.content
    fresh = response.json()["token"]
    assert response.json()["expires_at"]
    assert not _works(caller) and not _works(other)
    assert _works(fresh)
    assert _works(theirs)
    assert ApiToken.objects.filter(user=customer).count() == 1
    assert web_login("user", NEW_PASSWORD)[1]


def test_wrong_old_password_is_400_and_revokes_nothing(customer: User):
    caller = _obtain()
    response = _client(caller).post(
        "/api/v1/me/password/",
        {"old_password": "not-it", "new_password": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["old_password"] == ["原密码不正确。"]
    assert _works(caller)
    assert web_login("user", PASSWORD)[1]


def test_weak_new_password_is_400_and_revokes_nothing(customer: User):
    caller = _obtain()
    response = _client(caller).post(
        "/api/v1/me/password/", {"old_password": PASSWORD, "new_password": "123"}, format="json"
    )
    assert response.status_code == 400
    assert any("密码太短" in m for m in response.json()["new_password"])
    assert _works(caller)


def test_web_password_change_revokes_every_token(customer: User):
    secret = _obtain()
    client, _ = web_login("user", PASSWORD)
    changed = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    assert not _works(secret)


def test_admin_setting_a_password_revokes_every_token(customer: User, people):
    secret = _obtain()
    admin = web_client_for(people["admin"])
    page = admin.post(
        reverse("admin:auth_user_password_change", args=[customer.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    assert not _works(secret)


def test_password_reset_and_set_password_revoke_every_token(customer: User):
    secret = _obtain()
    form = SetPasswordForm(customer, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert form.is_valid(), form.errors
    form.save()
    assert not _works(secret)
    again = _obtain(password=NEW_PASSWORD)
    user = User.objects.get(pk=customer.pk)
    user.set_password(PASSWORD)
    user.save()
    assert not _works(again)


def test_logging_in_keeps_tokens_even_when_the_password_hash_is_upgraded(customer: User, settings):
    secret = _obtain()  # the demo's password is hashed with MD5 in tests
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert User.objects.get(pk=customer.pk).password.startswith("md5$")
    assert web_login("user", PASSWORD)[1]
    second = _obtain()
    assert User.objects.get(pk=customer.pk).password.startswith("pbkdf2_sha256$")
    assert _works(secret) and _works(second)


def test_saving_other_fields_keeps_tokens(customer: User):
    secret = _obtain()
    user = User.objects.get(pk=customer.pk)
    user.display_name = "李老师"
    user.save()
    assert _works(secret)


def test_deactivation_revokes_every_token(customer: User, people):
    secret = _obtain()
    admin = web_client_for(people["admin"])
    form = admin.get(f"/admin/accounts/user/{customer.pk}/change/").context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        is_active="",
        groups=[],
        user_permissions=[],
        date_joined_0=customer.date_joined.strftime("%Y-%m-%d"),
        date_joined_1=customer.date_joined.strftime("%H:%M:%S"),
        last_login_0="",
        last_login_1="",
        organisation=customer.organisation_id,
    )
    page = admin.post(f"/admin/accounts/user/{customer.pk}/change/", data)
    assert page.status_code == 302, page.context["adminform"].form.errors
    assert not User.objects.get(pk=customer.pk).is_active
    assert not ApiToken.objects.filter(user=customer).exists()
    User.objects.filter(pk=customer.pk).update(is_active=True)
    assert not _works(secret)


def test_an_inactive_users_token_is_refused(customer: User):
    secret = _obtain()
    User.objects.filter(pk=customer.pk).update(is_active=False)  # no save(), no signal
    response = _client(secret).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["detail"] == "用户未激活或者已删除。"


def test_a_user_keeps_at_most_the_cap_of_tokens(customer: User, monkeypatch):
    monkeypatch.setattr(services, "TOKEN_MAX_PER_USER", 3)
    with time_machine.travel("2026-12-01 09:00 +0800", tick=False) as clock:
        first = _obtain()
        clock.shift(timedelta(minutes=1))
        second = _obtain()
        clock.shift(timedelta(minutes=1))
        third = _obtain()
        clock.shift(timedelta(minutes=1))
        assert _works(first)  # used now: the least recently used is the second
        clock.shift(timedelta(minutes=1))
        fourth = _obtain()
        assert [_works(s) for s in (first, second, third, fourth)] == [True, False, True, True]


# --- 个人设置 ------------------------------------------------------------------


def test_settings_page_creates_a_token_shown_once(customer: User):
    client = web_client_for(customer)
    created = client.post(reverse("accounts:settings"), {"name": "监控脚本"})
    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    secret = created.context["secret"]
    page = created.content.decode()
    assert secret in page and "只显示这一次" in page
    assert "监控脚本" in page
    assert _works(secret)
    again = client.get(reverse("accounts:settings")).content.decode()
    assert secret not in again
    assert f"{secret[:8]}…" in again and "个人设置" in again


def test_a_token_name_with_a_line_break_is_refused_and_nothing_made(customer: User):
    client = web_client_for(customer)
    refused = client.post(reverse("accounts:settings"), {"name": "监控\r\nBcc: x@y"})
    assert refused.status_code == 200 and refused.context["secret"] is None
    assert refused.context["form"].errors["name"]
    assert not ApiToken.objects.filter(user=customer).exists()


def test_settings_page_lists_and_revokes_own_tokens_only(customer: User, outsider: User):
    mine, theirs = _obtain(), _obtain("user2")
    client = web_client_for(customer)
    page = client.get(reverse("accounts:settings")).content.decode()
    assert mine[:8] in page and theirs[:8] not in page and mine not in page
    their_token = ApiToken.objects.get(user=outsider)
    refused = client.post(reverse("accounts:token_revoke", args=[their_token.pk]))
    assert refused.status_code == 404
    assert _works(theirs)
    my_token = ApiToken.objects.get(user=customer)
    revoked = client.post(reverse("accounts:token_revoke", args=[my_token.pk]), follow=True)
    assert "令牌已撤销。" in revoked.content.decode()
    assert not _works(mine)
    assert client.get(reverse("accounts:token_revoke", args=[my_token.pk])).status_code == 405


def test_the_header_links_to_personal_settings(customer: User):
    page = web_client_for(customer).get(reverse("core:home")).content.decode()
    assert f'href="{reverse("accounts:settings")}"' in page


# --- the migration from DRF's plain authtoken table ---------------------------------


class _Editor:
    """What the migration's function uses of a schema editor, on the test's connection."""

    connection = connection

    def execute(self, sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


def test_plain_tokens_of_the_old_table_become_hashes(customer: User):
    from django.apps import apps

    migration = importlib.import_module("campusdesk.accounts.migrations.0002_api_tokens")
    plain = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            'CREATE TABLE authtoken_token ("key" varchar(40) PRIMARY KEY, '
            '"created" timestamp with time zone NOT NULL, "user_id" bigint NOT NULL)'
            if connection.vendor == "postgresql"
            else 'CREATE TABLE authtoken_token ("key" varchar(40) PRIMARY KEY, '
            '"created" datetime NOT NULL, "user_id" bigint NOT NULL)'
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)",
            [plain, timezone.now() - timedelta(days=400), customer.pk],
        )
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, %s)",
            ["authtoken", "0001_initial", timezone.now()],
        )
    migration.hash_plain_tokens(apps, _Editor())
    assert "authtoken_token" not in connection.introspection.table_names()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_migrations WHERE app = 'authtoken'")
        assert cursor.fetchone()[0] == 0
    token = ApiToken.objects.get(user=customer)
    assert token.key_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert token.expires_at > timezone.now() + timedelta(days=89)
    assert _works(plain)


@pytest.mark.parametrize("secret", ["", "a b", "\xe4"])
def test_malformed_headers_are_401_not_500(db: None, secret: str):
    response = APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {secret}")
    assert response.status_code == 401


def test_chosen_secret_helper_makes_a_working_token(customer: User):
    api_token_with_secret(customer, "a-chosen-secret")
    assert _works("a-chosen-secret")
