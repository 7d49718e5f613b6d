"""Shared fixtures: the demo personas, API clients, and helpers for real subprocesses."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.site import demo
from campusdesk.tickets import services
from campusdesk.tickets.models import Ticket

_real_getaddrinfo = socket.getaddrinfo


def _loopback_only_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    """The tests talk to loopback only: a name other than localhost is never sent to the
    machine's resolver (which is not on loopback), it simply does not resolve."""
    name = host.decode() if isinstance(host, bytes) else str(host or "")
    if name and name != "localhost" and not name.endswith(".localhost") and not _numeric(name):
        raise socket.gaierror(socket.EAI_NONAME, f"{name}: not resolved in tests")
    return _real_getaddrinfo(host, *args, **kwargs)


def _numeric(name: str) -> bool:
    """An address written as one (also the inet_aton forms such as 2130706433 or 0x7f.1)."""
    try:
        ipaddress.ip_address(name.strip("[]").split("%")[0])
    except ValueError:
        try:
            socket.inet_aton(name)
        except OSError:
            return False
    return True


@pytest.fixture(autouse=True, scope="session")
def _no_dns_beyond_loopback() -> Iterator[None]:
    socket.getaddrinfo = _loopback_only_getaddrinfo
    yield
    socket.getaddrinfo = _real_getaddrinfo


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


@pytest.fixture
def project(people: dict[str, User]) -> Project:
    return Project.objects.get(name="研究生管理系统运维服务")


@pytest.fixture
def other_project(people: dict[str, User]) -> Project:
    return Project.objects.get(name="学工系统运维服务")


@pytest.fixture
def ticket(project: Project, customer: User) -> Ticket:
    return _new_ticket(project, customer)


@pytest.fixture
def accepted(ticket: Ticket, people: dict[str, User]) -> Ticket:
    return services.ticket_accept(
        ticket_id=ticket.pk,
        actor=people["engineer"],
        severity="SIS2",
        committed_resolution_at=timezone.now() + timedelta(hours=8),
    )


def _new_ticket(project: Project, reporter: User) -> Ticket:
    from tests.tickets.conftest import new_ticket

    return new_ticket(project, reporter)
