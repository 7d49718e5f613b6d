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


def test_secret_is_required_without_debug(monkeypatch):
    monkeypatch.delenv("CD_KEY", raising=False)
    monkeypatch.delenv("CD_KEY_FILE", raising=False)
    monkeypatch.setattr(app_settings, "DEBUG", False)
    with pytest.raises(ImproperlyConfigured, match="CD_KEY must be set"):
        app_settings.envsecret("CD_KEY")
