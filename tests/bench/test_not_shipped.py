"""The data generator is a development tool: the installed product does not ship it (issue 17)."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

from django.core.management import get_commands
from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_holds_src_campusdesk_only_and_no_generator():
    found = (
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )["find"]
    assert found["where"] == ["src"]
    packages = find_packages(where=str(ROOT / found["where"][0]))
    assert packages and all(p.split(".")[0] == "campusdesk" for p in packages)
    assert not [p for p in packages if p.endswith(".gen")]
    assert importlib.util.find_spec("campusdesk.core.gen") is None
    assert importlib.util.find_spec("bench.gen") is not None  # still there for the bench


def test_the_product_neither_imports_nor_offers_the_generator():
    sources = (ROOT / "src" / "campusdesk").rglob("*.py")
    importing = [
        str(p.relative_to(ROOT))
        for p in sources
        if "import bench" in (text := p.read_text()) or "from bench" in text
    ]
    assert importing == []
    assert "gen" not in get_commands()
