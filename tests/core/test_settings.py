"""Typed environment helpers of settings.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from campusdesk import settings as app_settings


def test_envbool_accepts_the_usual_spellings(monkeypatch):
    for raw, expected in [("1", True), ("yes", True), ("On", True), ("0", False), ("no", False)]:
        monkeypatch.setenv("CD_FLAG", raw)
        assert app_settings.envbool("CD_FLAG", not expected) is expected


def test_envbool_and_envint_refuse_nonsense(monkeypatch):
    monkeypatch.setenv("CD_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="CD_FLAG"):
        app_settings.envbool("CD_FLAG", False)
    monkeypatch.setenv("CD_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="CD_NUMBER"):
        app_settings.envint("CD_NUMBER", 1)


def test_file_variant_wins(monkeypatch, tmp_path: Path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n", encoding="utf-8")
    monkeypatch.setenv("CD_SECRET", "from-env")
    monkeypatch.setenv("CD_SECRET_FILE", str(secret))
    assert app_settings.envstr("CD_SECRET") == "from-a-file"


def test_envlist_splits_and_trims(monkeypatch):
    monkeypatch.setenv("CD_HOSTS", " a.example , b.example,,")
    assert app_settings.envlist("CD_HOSTS") == ["a.example", "b.example"]


def test_a_missing_secret_is_made_once_kept_private_and_flagged(monkeypatch, tmp_path: Path):
    monkeypatch.delenv("CD_KEY", raising=False)
    monkeypatch.delenv("CD_KEY_FILE", raising=False)
    monkeypatch.setattr(app_settings, "DATA_DIR", tmp_path)
    first = app_settings.envsecret("CD_KEY")
    assert len(first) > 40 and app_settings.envsecret("CD_KEY") == first
    assert (tmp_path / ".cd_key").stat().st_mode & 0o777 == 0o600
    assert "CD_KEY" in app_settings.GENERATED_SECRETS


def test_deploy_check_warns_about_a_generated_secret_key(settings):
    from campusdesk.core.checks import generated_secret_key

    settings.GENERATED_SECRETS = {"SECRET_KEY"}
    assert [w.id for w in generated_secret_key(None)] == ["campusdesk.W001"]
    settings.GENERATED_SECRETS = set()
    assert generated_secret_key(None) == []
