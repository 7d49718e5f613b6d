"""Shared fixtures: the demo personas, API clients, and helpers for real subprocesses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from campusdesk.accounts.models import User
from campusdesk.core import demo


@pytest.fixture(autouse=True)
def _fast_and_immediate(settings: Any) -> Iterator[None]:
    """Tasks run inline (Huey immediate mode); passwords hash fast."""
    from huey.contrib.djhuey import HUEY

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    was = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = was


@pytest.fixture
def people(db: None) -> dict[str, User]:
    """Demo data: 新疆师范大学 (``user``), 昆仑大学 (``user2``), one vendor login per role."""
    demo.load(tickets=False)
    return {u.username: u for u in User.objects.select_related("organisation")}


@pytest.fixture
def customer(people: dict[str, User]) -> User:
    return people["user"]


@pytest.fixture
def outsider(people: dict[str, User]) -> User:
    """A customer user of the other university."""
    return people["user2"]
